// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* A small non-blocking HTTP/1.1 server over poll(2) (http_server.h). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "cli/http_server.h"
#include "cli/parse.h"

enum conn_state { C_FREE, C_READ, C_WRITE, C_DRAIN };

struct conn {
	enum conn_state state;
	int fd;
	__u64 deadline;
	char *out;
	size_t out_len, out_off;
	size_t in_len;
	char in[DEVMEM_HTTP_MAX_HEAD + 1];
};

struct devmem_http_server {
	int lfd;
	unsigned long max_conns;
	__u64 timeout_ns;
	devmem_http_handler_fn handler;
	devmem_http_status_fn on_status;
	void *ctx;
	__u64 now;
	struct conn *conns;
};

bool devmem_http_split_listen(const char *spec, char *host, size_t host_len, char *port,
			      size_t port_len, int *family)
{
	const char *colon = strrchr(spec, ':');
	__u64 p;
	size_t n;

	*family = AF_UNSPEC;
	if (!colon || (size_t)(colon - spec) >= host_len || strlen(colon + 1) >= port_len)
		return false;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	snprintf(port, port_len, "%s", colon + 1);
	if (!devmem_parse_u64(port, 10, 65535, &p) || p < 1)
		return false;
	if (host[0] == '[') {
		n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			return false;
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
		*family = AF_INET6;
	} else if (!host[0]) {
		snprintf(host, host_len, "0.0.0.0");
	} else if (strchr(host, ':')) {
		return false;	/* an IPv6 address needs brackets */
	}
	return true;
}

int devmem_http_listen(const char *spec, char *err, size_t errlen)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	int fd, one = 1, rc;

	if (!devmem_http_split_listen(spec, host, sizeof(host), port, sizeof(port),
				      &hints.ai_family)) {
		snprintf(err, errlen, "bad address '%s': give ADDR:PORT, e.g. -l 127.0.0.1:19477.",
			 spec);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "cannot use the address '%s' of -l %s (%s): give an address "
			 "of this machine, e.g. 127.0.0.1:19477.", host, spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot make a socket: %s; check the limit of open files "
			 "(ulimit -n).", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		int e = errno;

		snprintf(err, errlen, "cannot listen on %s: %s; %s", spec, strerror(e),
			 e == EADDRINUSE ? "another program has that port: stop it or choose "
			 "another port with -l ADDR:PORT." :
			 e == EADDRNOTAVAIL ? "no interface of this machine has that address: "
			 "give one it has, e.g. 127.0.0.1." :
			 e == EACCES ? "ports below 1024 need privileges: choose a higher port." :
			 "choose another address with -l ADDR:PORT.");
		close(fd);
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	return fd;
}

struct devmem_http_server *devmem_http_server_new(int lfd, unsigned long max_conns,
						  double timeout_s, devmem_http_handler_fn handler,
						  devmem_http_status_fn on_status, void *ctx)
{
	struct devmem_http_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->conns = calloc(max_conns, sizeof(*s->conns));
	if (!s->conns) {
		free(s);
		return NULL;
	}
	s->lfd = lfd;
	s->max_conns = max_conns;
	s->timeout_ns = (__u64)(timeout_s * 1e9);
	s->handler = handler;
	s->on_status = on_status;
	s->ctx = ctx;
	return s;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->state = C_FREE;
}

/* a response: head and (unless HEAD) body, to be written */
static void respond(struct devmem_http_server *s, struct conn *c,
		    const struct devmem_http_response *r, bool head_only)
{
	char head[512];
	size_t hl = devmem_http_head(head, sizeof(head), r->status, r->ctype, r->len, r->extra);

	if (s->on_status)
		s->on_status(s->ctx, r->status);
	free(c->out);
	c->out = malloc(hl + (head_only ? 0 : r->len));
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, head, hl);
	if (!head_only && r->len)
		memcpy(c->out + hl, r->body, r->len);
	c->out_len = hl + (head_only ? 0 : r->len);
	c->out_off = 0;
	c->state = C_WRITE;
	c->deadline = s->now + s->timeout_ns;
}

static void respond_error(struct devmem_http_server *s, struct conn *c, int status)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, devmem_http_reason(status));
	struct devmem_http_response r = {
		.status = status, .ctype = "text/plain; charset=utf-8", .body = body,
		.len = (size_t)n, .extra = status == 405 ? "Allow: GET, HEAD\r\n" : NULL,
	};

	respond(s, c, &r, false);
}

static void handle_request(struct devmem_http_server *s, struct conn *c)
{
	struct devmem_http_request req;
	struct devmem_http_response r = { .status = 500 };
	int st = devmem_http_parse(c->in, c->in_len, &req);

	if (!st)
		return;	/* more to come */
	if (st != 200) {
		respond_error(s, c, st);
		return;
	}
	s->handler(s->ctx, &req, &r);
	if (!r.body)
		respond_error(s, c, r.status);
	else
		respond(s, c, &r, req.method == DEVMEM_HTTP_HEAD);
}

static void conn_write(struct devmem_http_server *s, struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->out_off += (size_t)n;
	}
	/* all sent: no more from us; read what the client still sends, then close */
	shutdown(c->fd, SHUT_WR);
	free(c->out);
	c->out = NULL;
	c->state = C_DRAIN;
	c->deadline = s->now + 2000000000ULL;
}

static void conn_read(struct devmem_http_server *s, struct conn *c)
{
	for (;;) {
		char drain[4096];
		char *dst = c->state == C_READ ? c->in + c->in_len : drain;
		size_t room = c->state == C_READ ? sizeof(c->in) - 1 - c->in_len : sizeof(drain);
		ssize_t n;

		if (c->state == C_READ && !room) {
			handle_request(s, c);	/* a full buffer is over the bound */
			break;
		}
		n = recv(c->fd, dst, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_close(c);	/* the client is gone, or done */
			return;
		}
		if (c->state != C_READ)
			continue;
		c->in_len += (size_t)n;
		c->in[c->in_len] = '\0';
		handle_request(s, c);
		if (c->state != C_READ)
			break;
	}
	if (c->state == C_WRITE)
		conn_write(s, c);
}

/* over the cap: a clean refusal, written at once, and closed */
static void refuse(struct devmem_http_server *s, int fd)
{
	static const char body[] = "503 Service Unavailable\n";
	char head[256], sink[DEVMEM_HTTP_MAX_HEAD];
	size_t hl = devmem_http_head(head, sizeof(head), 503, "text/plain; charset=utf-8",
				     sizeof(body) - 1, "Retry-After: 1\r\n");

	if (s->on_status)
		s->on_status(s->ctx, 503);
	/* take what already came, so that the close does not reset the answer */
	recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
	if (send(fd, head, hl, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)hl)
		send(fd, body, sizeof(body) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	shutdown(fd, SHUT_WR);
	close(fd);
}

static void accept_all(struct devmem_http_server *s)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;

		if (fd < 0)
			return;	/* EAGAIN, or the client gave up already */
		for (unsigned long i = 0; i < s->max_conns && !c; i++)
			if (s->conns[i].state == C_FREE)
				c = &s->conns[i];
		if (!c) {
			refuse(s, fd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->state = C_READ;
		c->deadline = s->now + s->timeout_ns;
	}
}

size_t devmem_http_server_nfds(const struct devmem_http_server *s)
{
	return 1 + s->max_conns;
}

size_t devmem_http_server_pollfds(struct devmem_http_server *s, struct pollfd *pfd, __u64 *next)
{
	pfd[0] = (struct pollfd){ .fd = s->lfd, .events = POLLIN };
	for (unsigned long i = 0; i < s->max_conns; i++) {
		struct conn *c = &s->conns[i];

		pfd[1 + i] = (struct pollfd){ .fd = -1 };
		if (c->state == C_FREE)
			continue;
		pfd[1 + i].fd = c->fd;
		pfd[1 + i].events = c->state == C_WRITE ? POLLOUT : POLLIN;
		if (c->deadline < *next)
			*next = c->deadline;
	}
	return 1 + s->max_conns;
}

void devmem_http_server_serve(struct devmem_http_server *s, const struct pollfd *pfd, __u64 now)
{
	s->now = now;
	for (unsigned long i = 0; i < s->max_conns; i++) {
		struct conn *c = &s->conns[i];
		short ev = pfd[1 + i].revents;

		if (c->state == C_FREE || pfd[1 + i].fd != c->fd)
			continue;
		if (ev & (POLLIN | POLLHUP | POLLERR)) {
			if (c->state == C_WRITE)
				conn_write(s, c);
			else
				conn_read(s, c);
		} else if (ev & POLLOUT) {
			conn_write(s, c);
		}
		if (c->state != C_FREE && now >= c->deadline) {
			if (c->state == C_READ) {
				respond_error(s, c, 408);	/* the request stalled */
				conn_write(s, c);
			} else {
				conn_close(c);	/* the client does not read */
			}
		}
	}
	if (pfd[0].revents & POLLIN)
		accept_all(s);
}

void devmem_http_server_free(struct devmem_http_server *s)
{
	if (!s)
		return;
	for (unsigned long i = 0; i < s->max_conns; i++)
		if (s->conns[i].state != C_FREE)
			conn_close(&s->conns[i]);
	close(s->lfd);
	free(s->conns);
	free(s);
}
