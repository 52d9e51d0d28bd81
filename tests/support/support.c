/* Test helpers: temporary files, child processes, fixture HTTP server. */
#define _GNU_SOURCE     /* mkdtemp, nftw flags */
#include "support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *
t_build_dir(void)
{
    const char *b = getenv("CURATOR_BUILD");
    return b && b[0] ? b : "build";
}

char *
t_mkdtemp(void)
{
    const char *tmp = getenv("TMPDIR");
    char *path;
    if (asprintf(&path, "%s/curator-test-XXXXXX", tmp && tmp[0] ? tmp
                 : "/tmp") < 0)
        return NULL;
    if (mkdtemp(path) == NULL) {
        free(path);
        return NULL;
    }
    return path;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
t_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
t_write_file(const char *dir, const char *name, const char *text)
{
    char *path;
    if (asprintf(&path, "%s/%s", dir, name) < 0)
        return NULL;
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        free(path);
        return NULL;
    }
    fputs(text, f);
    fclose(f);
    return path;
}

char *
t_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(data, cap);
            if (p == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
        }
        size_t got = fread(data + n, 1, 4096, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

/* Read everything from fd into a new string. */
static char *
slurp_fd(int fd)
{
    char *data = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = realloc(data, cap);
            if (p == NULL)
                break;
            data = p;
        }
        ssize_t got = read(fd, data + n, 4096);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    if (data)
        data[n] = '\0';
    return data;
}

int
t_run(char *const argv[], char **out, char **err)
{
    char *outpath = NULL, *errpath = NULL;
    char *dir = t_mkdtemp();
    int status = -1;

    if (dir == NULL || asprintf(&outpath, "%s/out", dir) < 0
        || asprintf(&errpath, "%s/err", dir) < 0)
        goto done;
    pid_t pid = fork();
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int o = open(outpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || o < 0 || e < 0)
            _exit(127);
        dup2(in, 0);
        dup2(o, 1);
        dup2(e, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0)
        goto done;
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (out) {
        int fd = open(outpath, O_RDONLY);
        *out = fd >= 0 ? slurp_fd(fd) : NULL;
        if (fd >= 0)
            close(fd);
    }
    if (err) {
        int fd = open(errpath, O_RDONLY);
        *err = fd >= 0 ? slurp_fd(fd) : NULL;
        if (fd >= 0)
            close(fd);
    }
done:
    free(outpath);
    free(errpath);
    t_rmtree(dir);
    free(dir);
    return status;
}

unsigned
t_free_port(void)
{
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    unsigned port = 0;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0
        && getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int
t_wait_for(int (*pred)(void *), void *arg, int ms)
{
    int v = 0;
    for (int waited = 0; waited <= ms; waited += 50) {
        if ((v = pred(arg)) != 0)
            return v;
        struct timespec ts = { 0, 50 * 1000000L };
        nanosleep(&ts, NULL);
    }
    return v;
}

struct t_http {
    struct MHD_Daemon *mhd;
    char *root;
    unsigned port;
    volatile unsigned requests;
};

static enum MHD_Result
serve(void *cls, struct MHD_Connection *c, const char *url,
      const char *method, const char *version, const char *upload,
      size_t *upload_size, void **req)
{
    struct t_http *h = cls;
    char *path = NULL, etag[64], lastmod[64];
    struct MHD_Response *r;
    struct stat st;
    unsigned status;
    (void)version;
    (void)upload;
    (void)upload_size;

    if (*req == NULL) {
        *req = (void *)1;
        return MHD_YES;
    }
    __atomic_add_fetch(&h->requests, 1, __ATOMIC_SEQ_CST);
    if (strcmp(method, "GET") != 0 || strstr(url, "..") || url[0] != '/'
        || asprintf(&path, "%s%s", h->root, url) < 0
        || stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(path);
        r = MHD_create_response_from_buffer(10, (void *)"not found\n",
                                            MHD_RESPMEM_PERSISTENT);
        enum MHD_Result ret = MHD_queue_response(c, 404, r);
        MHD_destroy_response(r);
        return ret;
    }
    snprintf(etag, sizeof etag, "\"%lld-%lld\"", (long long)st.st_size,
             (long long)st.st_mtime);
    struct tm tm;
    gmtime_r(&st.st_mtime, &tm);
    strftime(lastmod, sizeof lastmod, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    const char *inm = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        r = MHD_create_response_from_buffer(0, (void *)"",
                                            MHD_RESPMEM_PERSISTENT);
        status = 304;
    } else {
        size_t len;
        char *body = t_read_file(path, &len);
        r = MHD_create_response_from_buffer(len, body,
                                            MHD_RESPMEM_MUST_FREE);
        status = 200;
        MHD_add_response_header(r, "Content-Type", "application/xml");
    }
    free(path);
    MHD_add_response_header(r, "ETag", etag);
    MHD_add_response_header(r, "Last-Modified", lastmod);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

struct t_http *
t_http_start(const char *root)
{
    struct t_http *h = calloc(1, sizeof *h);
    struct sockaddr_in a = { .sin_family = AF_INET };
    if (h == NULL || (h->root = strdup(root)) == NULL) {
        free(h);
        return NULL;
    }
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD
                              | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
                              serve, h, MHD_OPTION_SOCK_ADDR,
                              (struct sockaddr *)&a, MHD_OPTION_END);
    if (h->mhd == NULL) {
        free(h->root);
        free(h);
        return NULL;
    }
    h->port = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT)->port;
    return h;
}

unsigned
t_http_port(const struct t_http *h)
{
    return h->port;
}

unsigned
t_http_requests(const struct t_http *h)
{
    return __atomic_load_n(&h->requests, __ATOMIC_SEQ_CST);
}

void
t_http_stop(struct t_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->mhd);
    free(h->root);
    free(h);
}

/* See support.h: written apart from the modules it checks. */
int
t_utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], cp, len;
        if (c == 0)
            return 0;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0) {
            len = 2;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + len > n)
            return 0;
        for (unsigned k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800)
            || (len == 4 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += len;
    }
    return 1;
}
