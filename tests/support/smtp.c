/* Test helpers around tests/support/smtp_server.py: start it as a child
 * process, learn its port from the port file it writes once listening,
 * read back the messages it stored, stop it. Only libc is used, since
 * every test program links this file. */
#include "smtp.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct t_smtp {
    pid_t pid;
    unsigned port;
};

static void
sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The whole file, NUL-terminated, or NULL. */
static char *
read_all(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    char *data = NULL;
    size_t n = 0, cap = 0;

    if (fd < 0)
        return NULL;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            char *p;
            cap = cap ? cap * 2 : 8192;
            p = realloc(data, cap);
            if (p == NULL) {
                free(data);
                close(fd);
                return NULL;
            }
            data = p;
        }
        ssize_t got = read(fd, data + n, 4096);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            free(data);
            close(fd);
            return NULL;
        }
        if (got == 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    data[n] = '\0';
    if (len)
        *len = n;
    return data;
}

/* Copy the server's log to stderr, so a failed start says why. */
static void
show_log(const char *maildir)
{
    char path[PATH_MAX];
    char *log;

    snprintf(path, sizeof path, "%s/.smtp-server.log", maildir);
    log = read_all(path, NULL);
    if (log && log[0])
        fprintf(stderr, "smtp_server.py said:\n%s", log);
    free(log);
}

static struct t_smtp *
start(const char *maildir, const char *mode, const char *user,
      const char *password)
{
    char portfile[PATH_MAX], logfile[PATH_MAX];
    struct t_smtp *s;

    if (access(T_SMTP_PYTHON, X_OK) != 0) {
        fprintf(stderr, "t_smtp: %s is missing; the SMTP tests need "
                "Debian's python3 and python3-aiosmtpd (make deps)\n",
                T_SMTP_PYTHON);
        return NULL;
    }
    if (access(T_SMTP_SCRIPT, R_OK) != 0) {
        fprintf(stderr, "t_smtp: %s not found; run tests from the "
                "project root\n", T_SMTP_SCRIPT);
        return NULL;
    }
    snprintf(portfile, sizeof portfile, "%s/.smtp-server.port", maildir);
    snprintf(logfile, sizeof logfile, "%s/.smtp-server.log", maildir);
    unlink(portfile);
    if ((s = calloc(1, sizeof *s)) == NULL)
        return NULL;

    s->pid = fork();
    if (s->pid < 0) {
        perror("t_smtp: fork");
        free(s);
        return NULL;
    }
    if (s->pid == 0) {
        const char *argv[16];
        int i = 0;
        int in = open("/dev/null", O_RDONLY);
        int log = open(logfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || log < 0)
            _exit(127);
        dup2(in, 0);
        dup2(log, 1);
        dup2(log, 2);
        argv[i++] = T_SMTP_PYTHON;
        argv[i++] = T_SMTP_SCRIPT;
        argv[i++] = "--port-file";
        argv[i++] = portfile;
        argv[i++] = "--maildir";
        argv[i++] = maildir;
        argv[i++] = "--mode";
        argv[i++] = mode;
        if (user) {
            argv[i++] = "--user";
            argv[i++] = user;
            argv[i++] = "--password";
            argv[i++] = password;
        }
        argv[i] = NULL;
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }

    /* The port file is renamed into place, so once it exists it is
     * whole; the child exiting first means it failed (no aiosmtpd). */
    for (int waited = 0; waited < 10000; waited += 20) {
        char *text = read_all(portfile, NULL);
        if (text) {
            long port = strtol(text, NULL, 10);
            free(text);
            if (port > 0 && port < 65536) {
                s->port = (unsigned)port;
                return s;
            }
        }
        int ws;
        if (waitpid(s->pid, &ws, WNOHANG) == s->pid) {
            fprintf(stderr, "t_smtp: smtp_server.py exited with status "
                    "%d\n", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
            show_log(maildir);
            free(s);
            return NULL;
        }
        sleep_ms(20);
    }
    fprintf(stderr, "t_smtp: smtp_server.py did not listen within 10 s\n");
    show_log(maildir);
    t_smtp_stop(s);
    return NULL;
}

struct t_smtp *
t_smtp_start(const char *maildir, const char *mode)
{
    return start(maildir, mode && mode[0] ? mode : "accept", NULL, NULL);
}

struct t_smtp *
t_smtp_start_auth(const char *maildir, const char *user,
                  const char *password)
{
    return start(maildir, "auth", user, password);
}

unsigned
t_smtp_port(const struct t_smtp *s)
{
    return s ? s->port : 0;
}

void
t_smtp_stop(struct t_smtp *s)
{
    int ws;

    if (s == NULL)
        return;
    kill(s->pid, SIGTERM);
    for (int waited = 0;; waited += 20) {
        pid_t r = waitpid(s->pid, &ws, WNOHANG);
        if (r == s->pid || (r < 0 && errno != EINTR))
            break;
        if (waited >= 5000) {
            kill(s->pid, SIGKILL);
            while (waitpid(s->pid, &ws, 0) < 0 && errno == EINTR)
                ;
            break;
        }
        sleep_ms(20);
    }
    free(s);
}

int
t_smtp_count(const char *maildir)
{
    DIR *d = opendir(maildir);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] != '.' && len > 4
            && strcmp(de->d_name + len - 4, ".eml") == 0)
            n++;
    }
    closedir(d);
    return n;
}

char *
t_smtp_message(const char *maildir, int n, size_t *len)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%04d.eml", maildir, n);
    return read_all(path, len);
}

char *
t_smtp_envelope(const char *maildir, int n)
{
    char path[PATH_MAX];

    snprintf(path, sizeof path, "%s/%04d.env", maildir, n);
    return read_all(path, NULL);
}
