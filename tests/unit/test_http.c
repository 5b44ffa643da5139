// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The exporter's HTTP request parsing, content negotiation and response heads (http.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "cli/http.h"

#define PROMETHEUS_ACCEPT "application/openmetrics-text;version=1.0.0,application/openmetrics-text;" \
	"version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"

static int parse(const char *s, struct devmem_http_request *req)
{
	return devmem_http_parse(s, strlen(s), req);
}

static void test_good_requests(void **state)
{
	struct devmem_http_request r;

	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: " PROMETHEUS_ACCEPT
			       "\r\n\r\n", &r), 200);
	assert_int_equal(r.method, DEVMEM_HTTP_GET);
	assert_string_equal(r.path, "/metrics");
	assert_true(r.openmetrics);
	assert_int_equal(r.head_len, strlen("GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: "
					    PROMETHEUS_ACCEPT "\r\n\r\n"));
	/* curl's defaults, bare LF line ends, a query, HTTP/1.0 without Host */
	assert_int_equal(parse("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:19477\r\n"
			       "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n", &r), 200);
	assert_false(r.openmetrics);
	assert_int_equal(parse("HEAD /metrics?x=1 HTTP/1.1\nhost: x\n\n", &r), 200);
	assert_int_equal(r.method, DEVMEM_HTTP_HEAD);
	assert_string_equal(r.path, "/metrics");
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), 200);
	assert_string_equal(r.path, "/");
	assert_int_equal(parse("GET http://h:1/metrics HTTP/1.1\r\nHost: h\r\n\r\n", &r), 200);
	assert_string_equal(r.path, "/metrics");
	/* the body of a request is not part of its head */
	assert_int_equal(parse("GET /nope HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE", &r), 200);
	assert_string_equal(r.path, "/nope");
}

static void test_incomplete(void **state)
{
	struct devmem_http_request r;
	static const char full[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";

	/* every prefix of a good request asks for more, never an error */
	for (size_t n = 0; n < sizeof(full) - 1; n++)
		assert_int_equal(devmem_http_parse(full, n, &r), 0);
	assert_int_equal(devmem_http_parse(full, sizeof(full) - 1, &r), 200);
}

static void test_bad_requests(void **state)
{
	struct devmem_http_request r;
	static const struct { const char *req; int status; } cases[] = {
		{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400 },	/* TLS hello */
		{ "GET /metrics\r\n\r\n", 400 },			/* HTTP/0.9 */
		{ "GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },	/* two spaces */
		{ "GET /metrics HTTP/1.1 extra\r\nHost: x\r\n\r\n", 400 },
		{ "GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },	/* not a path */
		{ "GET /met\x01rics HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\n\r\n", 400 },		/* no Host */
		{ "GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost x\r\n\r\n", 400 },	/* no colon */
		{ "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n", 400 },	/* space before it */
		{ "GET /metrics HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400 },
		{ "GET /metrics HTTP/1.1\r\nHost: x\x1b[31m\r\n\r\n", 400 },
		{ "GET /metrics HTTP/x.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /metrics HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505 },
		{ "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 405 },
		{ "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
		{ "get /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 405 },	/* methods are case-sensitive */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int st = parse(cases[i].req, &r);

		if (st != cases[i].status)
			fail_msg("case %zu: status %d, want %d", i, st, cases[i].status);
	}
}

static void test_bounds(void **state)
{
	struct devmem_http_request r;
	size_t n = DEVMEM_HTTP_MAX_HEAD + 100;
	char *big = malloc(n + 1);
	int len;

	/* headers that never end: 431 once the bound is reached, more wanted before */
	len = snprintf(big, n, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: ");
	memset(big + len, 'a', n - (size_t)len);
	big[n] = '\0';
	assert_int_equal(devmem_http_parse(big, DEVMEM_HTTP_MAX_HEAD - 1, &r), 0);
	assert_int_equal(devmem_http_parse(big, DEVMEM_HTTP_MAX_HEAD, &r), 431);
	assert_int_equal(devmem_http_parse(big, n, &r), 431);
	/* a head that ends just past the bound is refused too */
	memcpy(big + DEVMEM_HTTP_MAX_HEAD - 2, "\r\n\r\n", 4);
	assert_int_equal(devmem_http_parse(big, DEVMEM_HTTP_MAX_HEAD + 2, &r), 431);
	/* one that ends inside it is fine */
	memcpy(big + DEVMEM_HTTP_MAX_HEAD - 4, "\r\n\r\n", 4);
	assert_int_equal(devmem_http_parse(big, DEVMEM_HTTP_MAX_HEAD, &r), 200);
	/* a target longer than the path buffer */
	len = snprintf(big, n, "GET /");
	memset(big + len, 'p', 300);
	snprintf(big + len + 300, n - (size_t)len - 300, " HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(parse(big, &r), 414);
	free(big);
}

static void test_accept(void **state)
{
	static const struct { const char *accept; bool om; } cases[] = {
		{ PROMETHEUS_ACCEPT, true },
		{ "application/openmetrics-text", true },
		{ "Application/OpenMetrics-Text; version=1.0.0; charset=utf-8", true },
		{ "application/openmetrics-text;version=0.0.1", true },
		{ "application/openmetrics-text;version=2.0.0", false },
		{ "application/openmetrics-text;q=0", false },
		{ "application/openmetrics-text;q=0.4, text/plain;q=0.5", false },
		{ "text/plain;version=0.0.4", false },
		{ "*/*", false },
		{ "", false },
		{ ",,;;==", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (devmem_http_accepts_openmetrics(cases[i].accept, strlen(cases[i].accept)) !=
		    cases[i].om)
			fail_msg("Accept '%s': want %d", cases[i].accept, cases[i].om);
	assert_false(devmem_http_accepts_openmetrics(NULL, 0));
}

static void test_head(void **state)
{
	char b[256];
	size_t n = devmem_http_head(b, sizeof(b), 405, "text/plain", 12, "Allow: GET, HEAD\r\n");

	assert_string_equal(b, "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain\r\n"
			    "Content-Length: 12\r\nConnection: close\r\nAllow: GET, HEAD\r\n\r\n");
	assert_int_equal(n, strlen(b));
	assert_int_equal(devmem_http_head(b, 10, 200, NULL, 0, NULL), 0);
	assert_string_equal(devmem_http_reason(431), "Request Header Fields Too Large");
	assert_string_equal(devmem_http_reason(408), "Request Timeout");
	assert_string_equal(devmem_http_reason(503), "Service Unavailable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_head),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
