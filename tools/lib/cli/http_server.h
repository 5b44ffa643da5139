/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A small non-blocking HTTP/1.1 server over poll(2) (http_server.c): the
 * listening socket, connections with their deadlines, and a handler that
 * answers each well-formed request. Every response closes its connection;
 * past the connection cap a client gets 503 at once.
 */
#ifndef DEVMEM_CLI_HTTP_SERVER_H
#define DEVMEM_CLI_HTTP_SERVER_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "cli/http.h"

struct devmem_http_response {
	int status;
	const char *ctype;		/* Content-Type, NULL: none */
	const char *body;		/* copied by the server before the handler's caller returns */
	size_t len;
	const char *extra;		/* further header lines, "Name: value\r\n"... or NULL */
};

/* the answer to req (never called for a malformed request: that is answered here) */
typedef void (*devmem_http_handler_fn)(void *ctx, const struct devmem_http_request *req,
				       struct devmem_http_response *resp);
/* every status sent, for the server's own metrics */
typedef void (*devmem_http_status_fn)(void *ctx, int status);

/*
 * ADDR:PORT into host and port for getaddrinfo(): [ADDR6]:PORT is IPv6,
 * :PORT every IPv4 address. false if it is not of that form.
 */
bool devmem_http_split_listen(const char *spec, char *host, size_t host_len, char *port,
			      size_t port_len, int *family);
/* a non-blocking socket listening on spec; -1 with the reason and remedy in err */
int devmem_http_listen(const char *spec, char *err, size_t errlen);

struct devmem_http_server;

/* NULL when out of memory; the server owns lfd from here */
struct devmem_http_server *devmem_http_server_new(int lfd, unsigned long max_conns,
						  double timeout_s, devmem_http_handler_fn handler,
						  devmem_http_status_fn on_status, void *ctx);
/* how many pollfds the server wants at most */
size_t devmem_http_server_nfds(const struct devmem_http_server *s);
/* fill them (the listener first), and lower *next to the nearest deadline; the count */
size_t devmem_http_server_pollfds(struct devmem_http_server *s, struct pollfd *pfd, __u64 *next);
/* serve what poll(2) reported for those pollfds, now being CLOCK_MONOTONIC ns */
void devmem_http_server_serve(struct devmem_http_server *s, const struct pollfd *pfd, __u64 now);
void devmem_http_server_free(struct devmem_http_server *s);

#endif /* DEVMEM_CLI_HTTP_SERVER_H */
