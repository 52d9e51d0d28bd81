/* The web page: a libmicrohttpd server with its own thread pool that
 * shows the latest items. It opens its own store handle (one per
 * server, used under a lock), so it never shares the daemon's. */
#ifndef CURATOR_WEB_SERVER_H
#define CURATOR_WEB_SERVER_H

struct web;

struct web_cfg {
    const char *address;        /* IP literal to bind */
    unsigned port;              /* 0 picks a free port */
    unsigned threads;
    unsigned page_items;
    const char *store_path;
};

/* Start serving. On success *out is the running server. Errors are
 * logged (address, port and reason). */
int web_start(const struct web_cfg *cfg, struct web **out);

/* The port actually bound (useful with port 0). */
unsigned web_port(const struct web *w);

/* Stop accepting, finish requests in flight, free everything. */
void web_stop(struct web *w);

#endif
