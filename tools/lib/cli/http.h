/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The little HTTP/1.1 that devmem-exporter speaks (http.c): parse one
 * request head, choose the metrics format from its Accept header, write a
 * response head. Plain C, no sockets: unit-tested on bytes. Every response
 * closes the connection.
 */
#ifndef DEVMEM_HTTP_H
#define DEVMEM_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/* a request head (request line and headers) longer than this is refused with 431 */
#define DEVMEM_HTTP_MAX_HEAD	8192

enum devmem_http_method {
	DEVMEM_HTTP_GET = 1,
	DEVMEM_HTTP_HEAD,
};

struct devmem_http_request {
	enum devmem_http_method method;
	char path[256];			/* the target without query, e.g. "/metrics" */
	bool openmetrics;		/* the Accept header prefers OpenMetrics 1.0 */
	size_t head_len;		/* bytes of the head, blank line included */
};

/*
 * Parse the request head at the start of buf (len bytes received so far).
 * Returns 0 if more bytes are needed, 200 for a well-formed GET or HEAD
 * (req filled), or the status to answer with: 400 (malformed: bad request
 * line, header, missing Host in HTTP/1.1), 405 (a method other than GET
 * and HEAD), 414 (a target longer than req->path), 431 (the head exceeds
 * DEVMEM_HTTP_MAX_HEAD), 505 (not HTTP/1.x).
 */
int devmem_http_parse(const char *buf, size_t len, struct devmem_http_request *req);

/*
 * true if an Accept header value asks for application/openmetrics-text
 * (version 1.0.0, 0.0.1 or none) with a quality above 0 and not below that
 * of text/plain; false for NULL, an empty value or anything else.
 */
bool devmem_http_accepts_openmetrics(const char *accept, size_t len);

/* the reason phrase of a status this server sends ("Not Found") */
const char *devmem_http_reason(int status);

/*
 * A response head: status line, Content-Type (NULL: none), Content-Length,
 * Connection: close, extra header lines (NULL or "Name: value\r\n"...), the
 * blank line. Returns its length, or 0 if it does not fit in size.
 */
size_t devmem_http_head(char *buf, size_t size, int status, const char *ctype,
			size_t content_length, const char *extra);

#endif /* DEVMEM_HTTP_H */
