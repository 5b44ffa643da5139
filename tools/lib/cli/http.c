// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Request heads, content negotiation and response heads of the exporter (http.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli/http.h"

/* RFC 9110 token characters */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* the end of the line at p (before CRLF or LF), NULL if none before end */
static const char *line_end(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl)
		return NULL;
	*next = nl + 1;
	return nl > p && nl[-1] == '\r' ? nl - 1 : nl;
}

/* 0: valid so far; else the status */
static int parse_request_line(const char *p, const char *e, struct devmem_http_request *req)
{
	const char *m = p, *t, *v;
	size_t n;

	while (p < e && tchar((unsigned char)*p))
		p++;
	if (p == m || p >= e || *p != ' ')
		return 400;
	n = (size_t)(p - m);
	t = ++p;
	while (p < e && *p != ' ') {
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p == 0x7f)
			return 400;
		p++;
	}
	if (p == t || p >= e)
		return 400;
	v = p + 1;
	if (e - v != 8 || memcmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	/* origin form, or the path of an absolute form */
	if (*t != '/') {
		const char *s = NULL;

		if ((size_t)(p - t) > 7 && !strncasecmp(t, "http://", 7))
			s = memchr(t + 7, '/', (size_t)(p - t - 7));
		if (!s && !(p - t == 1 && *t == '*') && !((size_t)(p - t) > 7 &&
							   !strncasecmp(t, "http://", 7)))
			return 400;
		t = s ? s : p;
	}
	if (n == 3 && !memcmp(m, "GET", 3))
		req->method = DEVMEM_HTTP_GET;
	else if (n == 4 && !memcmp(m, "HEAD", 4))
		req->method = DEVMEM_HTTP_HEAD;
	else
		req->method = 0;
	{
		const char *q = memchr(t, '?', (size_t)(p - t));
		size_t plen = (size_t)((q ? q : p) - t);

		if (plen >= sizeof(req->path))
			return 414;
		memcpy(req->path, t, plen);
		req->path[plen] = '\0';
		if (!plen)
			snprintf(req->path, sizeof(req->path), "/");
	}
	return v[7] == '0' ? -1 : 0;	/* -1: HTTP/1.0, no Host needed */
}

int devmem_http_parse(const char *buf, size_t len, struct devmem_http_request *req)
{
	const char *p = buf, *end, *e, *next, *head_end = NULL, *headers;
	size_t scan = len < DEVMEM_HTTP_MAX_HEAD ? len : DEVMEM_HTTP_MAX_HEAD;
	int st, hosts = 0;
	bool http10;

	memset(req, 0, sizeof(*req));
	end = buf + scan;
	/* leading empty lines are allowed before the request line */
	while (p < end && (*p == '\r' || *p == '\n'))
		p++;
	e = line_end(p, end, &next);
	if (!e) {
		/* a request line that cannot be one is refused at once */
		for (const char *q = p; q < end && *q != ' '; q++)
			if (!tchar((unsigned char)*q))
				return 400;
		return len >= DEVMEM_HTTP_MAX_HEAD ? 431 : 0;
	}
	st = parse_request_line(p, e, req);
	if (st > 0)
		return st;
	http10 = st < 0;
	headers = next;
	/* the head ends at the first empty line */
	for (const char *q = next; q < end;) {
		const char *qe = line_end(q, end, &next);

		if (!qe)
			break;
		if (qe == q) {
			head_end = next;
			break;
		}
		q = next;
	}
	if (!head_end)
		return len >= DEVMEM_HTTP_MAX_HEAD ? 431 : 0;
	req->head_len = (size_t)(head_end - buf);
	for (p = headers; p < head_end;) {
		const char *name = p, *colon, *val;

		e = line_end(p, head_end, &next);
		if (e == p)
			break;
		if (*p == ' ' || *p == '\t')
			return 400;	/* obsolete line folding */
		while (p < e && tchar((unsigned char)*p))
			p++;
		if (p == name || p >= e || *p != ':')
			return 400;
		colon = p;
		for (const char *q = colon + 1; q < e; q++)
			if (((unsigned char)*q < 0x20 && *q != '\t') || *q == 0x7f)
				return 400;
		val = colon + 1;
		while (val < e && (*val == ' ' || *val == '\t'))
			val++;
		if (colon - name == 4 && !strncasecmp(name, "Host", 4))
			hosts++;
		if (colon - name == 6 && !strncasecmp(name, "Accept", 6) &&
		    devmem_http_accepts_openmetrics(val, (size_t)(e - val)))
			req->openmetrics = true;
		p = next;
	}
	if (hosts > 1 || (!http10 && hosts != 1))
		return 400;
	if (!req->method)
		return 405;
	return 200;
}

static bool ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(s, lit, n);
}

static const char *trim(const char *s, const char *e, const char **te)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	*te = e;
	return s;
}

bool devmem_http_accepts_openmetrics(const char *accept, size_t len)
{
	const char *p = accept, *end = accept ? accept + len : NULL;
	double q_om = 0, q_text = 0;

	while (p && p < end) {
		const char *item_end = memchr(p, ',', (size_t)(end - p)), *s, *se, *semi;
		bool om, text, version_ok = true;
		double q = 1;

		if (!item_end)
			item_end = end;
		semi = memchr(p, ';', (size_t)(item_end - p));
		s = trim(p, semi ? semi : item_end, &se);
		om = ieq(s, (size_t)(se - s), "application/openmetrics-text");
		text = ieq(s, (size_t)(se - s), "text/plain");
		while (semi) {
			const char *ps = semi + 1, *pe, *eq, *k, *ke, *v, *ve;

			semi = memchr(ps, ';', (size_t)(item_end - ps));
			pe = semi ? semi : item_end;
			eq = memchr(ps, '=', (size_t)(pe - ps));
			if (!eq)
				continue;
			k = trim(ps, eq, &ke);
			v = trim(eq + 1, pe, &ve);
			if (ieq(k, (size_t)(ke - k), "q")) {
				char num[16];
				size_t n = (size_t)(ve - v) < sizeof(num) - 1 ? (size_t)(ve - v) :
					   sizeof(num) - 1;

				memcpy(num, v, n);
				num[n] = '\0';
				q = strtod(num, NULL);
				if (!(q >= 0) || q > 1)
					q = 0;
			} else if (ieq(k, (size_t)(ke - k), "version")) {
				version_ok = ieq(v, (size_t)(ve - v), "1.0.0") ||
					     ieq(v, (size_t)(ve - v), "0.0.1");
			}
		}
		if (om && version_ok && q > q_om)
			q_om = q;
		if (text && q > q_text)
			q_text = q;
		p = item_end + 1;
	}
	return q_om > 0 && q_om >= q_text;
}

const char *devmem_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

size_t devmem_http_head(char *buf, size_t size, int status, const char *ctype,
			size_t content_length, const char *extra)
{
	int n = snprintf(buf, size, "HTTP/1.1 %d %s\r\n%s%s%sContent-Length: %zu\r\n"
			 "Connection: close\r\n%s\r\n", status, devmem_http_reason(status),
			 ctype ? "Content-Type: " : "", ctype ? ctype : "", ctype ? "\r\n" : "",
			 content_length, extra ? extra : "");

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
