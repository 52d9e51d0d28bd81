/* A black hole on 127.0.0.1: a listening socket on a free port whose
 * thread accepts every connection and never answers, for the tests of
 * fetch timeouts and of signals arriving mid-transfer. Connections are
 * held open until t_hole_stop().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support.h"

#define HOLD_MAX 64

struct t_hole {
    int lfd, quit[2];
    unsigned port;
    pthread_t th;
    int fds[HOLD_MAX], n;
    int accepted;
};

static void *
hole_run(void *arg)
{
    struct t_hole *h = arg;
    for (;;) {
        struct pollfd p[2] = {
            { h->lfd, POLLIN, 0 }, { h->quit[0], POLLIN, 0 },
        };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (p[0].revents) {
            int fd = accept(h->lfd, NULL, NULL);
            if (fd >= 0 && h->n < HOLD_MAX)
                h->fds[h->n++] = fd;
            else if (fd >= 0)
                close(fd);
            __atomic_add_fetch(&h->accepted, 1, __ATOMIC_SEQ_CST);
        }
    }
    return NULL;
}

struct t_hole *
t_hole_start(void)
{
    struct t_hole *h = calloc(1, sizeof *h);
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t len = sizeof a;

    if (h == NULL)
        return NULL;
    h->quit[0] = h->quit[1] = -1;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    h->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->lfd < 0 || bind(h->lfd, (struct sockaddr *)&a, sizeof a) != 0
        || listen(h->lfd, 16) != 0
        || getsockname(h->lfd, (struct sockaddr *)&a, &len) != 0
        || pipe(h->quit) != 0
        || pthread_create(&h->th, NULL, hole_run, h) != 0) {
        if (h->lfd >= 0)
            close(h->lfd);
        if (h->quit[0] >= 0) {
            close(h->quit[0]);
            close(h->quit[1]);
        }
        free(h);
        return NULL;
    }
    h->port = ntohs(a.sin_port);
    return h;
}

unsigned
t_hole_port(const struct t_hole *h)
{
    return h->port;
}

int
t_hole_accepted(void *hole)
{
    struct t_hole *h = hole;
    return __atomic_load_n(&h->accepted, __ATOMIC_SEQ_CST) > 0;
}

void
t_hole_stop(struct t_hole *h)
{
    if (h == NULL)
        return;
    if (write(h->quit[1], "q", 1) != 1)
        return;
    pthread_join(h->th, NULL);
    for (int i = 0; i < h->n; i++)
        close(h->fds[i]);
    close(h->lfd);
    close(h->quit[0]);
    close(h->quit[1]);
    free(h);
}
