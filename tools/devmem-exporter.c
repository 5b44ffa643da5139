// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-exporter: the devmem counters, gauges and histograms for
 * Prometheus. Serves /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0
 * when the Accept header asks for it) from a single-threaded poll() loop
 * that also takes in what the BPF session sends (process exits), or writes
 * them for node_exporter's textfile collector. The metrics are rendered by
 * tools/lib/render/openmetrics.c; the HTTP parsing is tools/lib/cli/http.c.
 */
#include <argp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/parse.h"
#include "cli/http.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"
#include "render/openmetrics.h"

/*
 * 19477: the Prometheus wiki's "default port allocations" list is full from
 * 9100 to 9999 and goes on above 10000; this port is outside both, and
 * below the Linux ephemeral range (32768-60999). See docs/prometheus.md.
 */
#define DEFAULT_LISTEN	"127.0.0.1:19477"

static struct env {
	struct devmem_cli cli;		/* the shared options: -p, -D, -P, -i, -t, --fentry, -v */
	const char *listen;
	bool listen_set;
	unsigned long max_processes;
	unsigned long max_connections;
	bool max_connections_set;
	double timeout;			/* seconds a request may take to arrive */
	bool timeout_set;
	const char *textfile;		/* directory */
	double interval;		/* seconds between textfile writes */
} env = {
	.listen = DEFAULT_LISTEN, .max_processes = 50, .max_connections = 16, .timeout = 10,
	.interval = 10,
};

static const char doc[] =
"Export device-private memory metrics to Prometheus.\n"
"\n"
"Serves http://ADDR:PORT/metrics (default " DEFAULT_LISTEN ") in the Prometheus\n"
"text format, or OpenMetrics 1.0 when the scraper asks for it. With --textfile\n"
"it writes DIR/devmem.prom for node_exporter's textfile collector instead\n"
"(atomically, every -i seconds, default 10). Runs until Ctrl-C, SIGTERM or\n"
"-t SECS. Needs root (or CAP_BPF and CAP_PERFMON). Metric names:\n"
"docs/prometheus.md.\n"
"\n"
"EXAMPLES:\n"
"    devmem-exporter                         # 127.0.0.1:19477/metrics\n"
"    devmem-exporter -l 0.0.0.0:19477 -P     # every address, per process too\n"
"    devmem-exporter -p 1234 -t 600          # one process, for ten minutes\n"
"    devmem-exporter --textfile /var/lib/prometheus/node-exporter -i 15\n"
"\v"
"-i is the time between the writes of --textfile. -P adds per-process\n"
"series of live processes, at most --max-processes. -p and -D filter in the\n"
"kernel, so every figure counts only that process or device; -D takes the\n"
"device's owner address (the owner field of devmemstat -j).";

enum {
	OPT_MAX_PROCS = 0x200,
	OPT_MAX_CONNS,
	OPT_TIMEOUT,
	OPT_TEXTFILE,
};

static const struct argp_option exporter_options[] = {
	{ "listen", 'l', "ADDR:PORT", 0, "Address and port to serve on (default "
	  DEFAULT_LISTEN "; [ADDR6]:PORT for IPv6, :PORT for every IPv4 address)", 0 },
	{ "max-connections", OPT_MAX_CONNS, "N", 0, "Connections served at once; more get 503 "
	  "(default 16)", 0 },
	{ "max-processes", OPT_MAX_PROCS, "N", 0, "With -P: at most N processes, the most "
	  "active (default 50)", 0 },
	{ "textfile", OPT_TEXTFILE, "DIR", 0, "Write DIR/devmem.prom for node_exporter instead "
	  "of serving HTTP", 0 },
	{ "timeout", OPT_TIMEOUT, "SECS", 0, "Time a request may take to arrive, else 408 "
	  "(default 10)", 0 },
	{ 0 },
};

static unsigned long parse_count(const char *opt, const char *arg, unsigned long min,
				 unsigned long max)
{
	__u64 v;

	if (!devmem_parse_u64(arg, 10, max, &v) || v < min)
		devmem_cli_usage_error(&env.cli, "%s wants a whole number from %lu to %lu, not '%s'",
				       opt, min, max, arg);
	return v;
}

static double parse_seconds(const char *opt, const char *arg, double min, double max)
{
	double v;

	if (!devmem_parse_double(arg, min, max, &v))
		devmem_cli_usage_error(&env.cli, "%s wants seconds from %g to %g, not '%s'", opt, min,
				       max, arg);
	return v;
}

/*
 * ADDR:PORT into host and port for getaddrinfo(): [ADDR6]:PORT is IPv6,
 * :PORT every IPv4 address. false if it is not of that form.
 */
static bool split_listen(const char *spec, char *host, size_t host_len, char *port,
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

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char host[256], port[16];
	int family;

	switch (key) {
	case 'l':
		if (!split_listen(arg, host, sizeof(host), port, sizeof(port), &family))
			devmem_cli_usage_error(&env.cli, "bad address '%s': give ADDR:PORT with a port "
					       "from 1 to 65535, e.g. -l 127.0.0.1:19477 or -l "
					       "[::1]:19477", arg);
		env.listen = arg;
		env.listen_set = true;
		break;
	case OPT_MAX_PROCS:
		env.max_processes = parse_count("--max-processes", arg, 1, 100000);
		break;
	case OPT_MAX_CONNS:
		env.max_connections = parse_count("--max-connections", arg, 1, 1000);
		env.max_connections_set = true;
		break;
	case OPT_TIMEOUT:
		env.timeout = parse_seconds("--timeout", arg, 0.1, 3600);
		env.timeout_set = true;
		break;
	case OPT_TEXTFILE:
		if (!*arg)
			devmem_cli_usage_error(&env.cli, "--textfile wants a directory, not ''");
		env.textfile = arg;
		break;
	case ARGP_KEY_ARG:
		devmem_cli_usage_error(&env.cli, "unexpected argument '%s': give the address as "
				       "-l ADDR:PORT", arg);
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

/* the options of one mode are refused in the other, not ignored */
static void check_modes(void)
{
	if (env.textfile) {
		const char *http = env.listen_set ? "-l" : env.max_connections_set ?
				   "--max-connections" : env.timeout_set ? "--timeout" : NULL;

		if (http)
			devmem_cli_usage_error(&env.cli, "%s is for serving HTTP, and --textfile "
					       "serves none: leave out one of them", http);
		if (env.cli.interval_set)
			env.interval = env.cli.interval_s;
	} else if (env.cli.interval_set) {
		devmem_cli_usage_error(&env.cli, "-i sets how often --textfile DIR is written (a "
				       "scrape reads the figures of its moment): give --textfile "
				       "DIR too, or leave -i out");
	}
}

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static __u64 now_ns(void)
{
	return devmem_mono_ns();
}

/* ---- the exporter's own cost -------------------------------------------------- */

#define MAX_PROGS 64

static const int status_codes[] = { 200, 400, 404, 405, 408, 414, 431, 500, 503, 505 };
#define NR_CODES (sizeof(status_codes) / sizeof(status_codes[0]))

static struct devmem_om_code_count code_counts[NR_CODES];
static struct devmem_prog_stat progs[MAX_PROGS];
static double start_time;

static void count_status(int status)
{
	for (size_t i = 0; i < NR_CODES; i++)
		if (code_counts[i].code == status)
			code_counts[i].count++;
}

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	long n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

static void read_self(struct devmem_session *sess, struct devmem_om_self *self, bool process)
{
	struct rusage ru;
	FILE *f;
	long pages = 0;
	int on = -1;

	memset(self, 0, sizeof(*self));
	self->cpu_seconds = -1;
	self->open_fds = -1;
	f = fopen("/proc/sys/kernel/bpf_stats_enabled", "r");
	if (f) {
		if (fscanf(f, "%d", &on) != 1)
			on = -1;
		fclose(f);
	}
	self->bpf_stats_enabled = on;
	self->nr_progs = devmem_session_prog_stats(sess, progs, MAX_PROGS);
	self->progs = progs;
	if (!process)
		return;	/* node_exporter has process_* metrics of its own */
	self->codes = code_counts;
	self->nr_codes = NR_CODES;
	if (!getrusage(RUSAGE_SELF, &ru))
		self->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	f = fopen("/proc/self/statm", "r");
	if (f) {
		if (fscanf(f, "%*s %ld", &pages) == 1 && pages > 0)
			self->rss_bytes = (__u64)pages * (__u64)sysconf(_SC_PAGESIZE);
		fclose(f);
	}
	self->start_time_seconds = start_time;
	self->open_fds = count_fds();
}

/* the metrics now, in the chosen format; 0 or an error sentence printed */
static int metrics(struct devmem_session *sess, struct devmem_om_buf *out,
		   enum devmem_om_format format, bool process_self)
{
	struct devmem_snapshot snap;
	struct devmem_om_self self;
	struct devmem_om_opts o = {
		.format = format, .per_process = env.cli.per_process,
		.max_processes = env.max_processes, .page_size = (__u64)sysconf(_SC_PAGESIZE),
		.self = &self,
	};
	int err;

	devmem_snapshot_init(&snap);
	err = devmem_session_snapshot(sess, &snap);
	if (err) {
		char msg[256];

		fprintf(stderr, "devmem-exporter: %s\n",
			devmem_strerror_errno(DEVMEM_E_READ, err, msg, sizeof(msg)));
		devmem_snapshot_free(&snap);
		return err;
	}
	/* only live processes are exported; the exited ones need not be kept */
	devmem_session_forget_exited(sess, snap.ts_ns);
	read_self(sess, &self, process_self);
	err = devmem_om_render(out, &snap, &o);
	devmem_snapshot_free(&snap);
	if (err)
		fprintf(stderr, "devmem-exporter: out of memory while writing the metrics.\n");
	return err;
}

/* ---- textfile mode -------------------------------------------------------------- */

static int write_textfile(struct devmem_session *sess, const char *dir)
{
	struct devmem_om_buf b = {};
	char tmp[PATH_MAX], path[PATH_MAX];
	size_t off = 0;
	int fd, dfd, err = 0;

	if (metrics(sess, &b, DEVMEM_OM_PROMETHEUS, false)) {
		devmem_om_buf_free(&b);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/devmem.prom", dir);
	/* a name node_exporter ignores (not *.prom) until the rename */
	snprintf(tmp, sizeof(tmp), "%s/.devmem.prom.XXXXXX", dir);
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	while (off < b.len) {
		ssize_t n = write(fd, b.data + off, b.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	if (!err && (fchmod(fd, 0644) || fsync(fd)))
		err = errno;
	if (close(fd) && !err)
		err = errno;
	if (!err && rename(tmp, path))
		err = errno;
	if (err) {
		unlink(tmp);
		goto fail;
	}
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);	/* the rename itself reaches the disk */
		close(dfd);
	}
	devmem_om_buf_free(&b);
	return 0;
fail:
	fprintf(stderr, "devmem-exporter: writing %s failed: %s; check that the directory is "
		"writable and has space.\n", path, strerror(err));
	devmem_om_buf_free(&b);
	return -1;
}

static int check_dir(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "devmem-exporter: %s is not a directory: create it or give "
			"node_exporter's --collector.textfile.directory.\n", dir);
		return -1;
	}
	if (access(dir, W_OK | X_OK)) {
		fprintf(stderr, "devmem-exporter: cannot write into %s (%s): run as a user who "
			"may, or choose another directory.\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* "Hit Ctrl-C to end.", or when -t ends it */
static void say_end(char *buf, size_t len)
{
	if (env.cli.duration_s > 0)
		snprintf(buf, len, "Stops after %g s, or at Ctrl-C.", env.cli.duration_s);
	else
		snprintf(buf, len, "Hit Ctrl-C to end.");
}

static int run_textfile(struct devmem_session *sess, __u64 deadline)
{
	__u64 next = now_ns();
	char end[64];

	say_end(end, sizeof(end));
	fprintf(stderr, "Writing %s/devmem.prom every %g s (%s)... %s\n", env.textfile,
		env.interval, devmem_mode_name(devmem_session_mode(sess)), end);
	while (!exiting) {
		write_textfile(sess, env.textfile);
		next += (__u64)(env.interval * 1e9);
		if (deadline && next >= deadline) {
			/* at the end of -t, the file holds the figures of the whole run */
			devmem_session_wait(sess, deadline, &exiting);
			if (!exiting && write_textfile(sess, env.textfile))
				return DEVMEM_EXIT_FAILURE;
			break;
		}
		devmem_session_wait(sess, next, &exiting);
	}
	return 0;
}

/* ---- the HTTP server ------------------------------------------------------------- */

enum conn_state { C_FREE, C_READ, C_WRITE, C_DRAIN };

struct conn {
	enum conn_state state;
	int fd;
	__u64 deadline;
	char in[DEVMEM_HTTP_MAX_HEAD + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
};

static struct conn *conns;

/* the socket listening on -l (checked by the parser already); -1 after saying why */
static int listen_on(const char *spec)
{
	char host[256], port[16];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	int fd, one = 1, rc;

	if (!split_listen(spec, host, sizeof(host), port, sizeof(port), &hints.ai_family)) {
		fprintf(stderr, "devmem-exporter: bad address '%s': give ADDR:PORT, e.g. -l "
			"127.0.0.1:19477.\n", spec);
		return -1;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		fprintf(stderr, "devmem-exporter: cannot use the address '%s' of -l %s (%s): give "
			"an address of this machine, e.g. 127.0.0.1:19477.\n", host, spec,
			gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "devmem-exporter: cannot make a socket: %s; check the limit of open "
			"files (ulimit -n).\n", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
		int e = errno;

		fprintf(stderr, "devmem-exporter: cannot listen on %s: %s; %s\n", spec, strerror(e),
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

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->out = NULL;
	c->state = C_FREE;
}

static const char index_page[] =
"<!DOCTYPE html>\n<html><head><title>devmem-exporter</title></head><body>\n"
"<h1>devmem-exporter</h1>\n<p>Device-private memory metrics of this host: "
"<a href=\"/metrics\">/metrics</a> (Prometheus text, or OpenMetrics 1.0 on request).</p>\n"
"</body></html>\n";

/* a response: head and (unless HEAD) body, then write it */
static void respond(struct conn *c, int status, const char *ctype, const char *body,
		    size_t body_len, bool head_only, const char *extra)
{
	char head[512];
	size_t hl = devmem_http_head(head, sizeof(head), status, ctype, body_len, extra);

	count_status(status);
	free(c->out);
	c->out = malloc(hl + (head_only ? 0 : body_len));
	if (!c->out) {
		conn_close(c);
		return;
	}
	memcpy(c->out, head, hl);
	if (!head_only && body_len)
		memcpy(c->out + hl, body, body_len);
	c->out_len = hl + (head_only ? 0 : body_len);
	c->out_off = 0;
	c->state = C_WRITE;
	c->deadline = now_ns() + (__u64)(env.timeout * 1e9);
}

static void respond_error(struct conn *c, int status)
{
	char body[128];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, devmem_http_reason(status));

	respond(c, status, "text/plain; charset=utf-8", body, (size_t)n, false,
		status == 405 ? "Allow: GET, HEAD\r\n" : NULL);
}

static void handle_request(struct conn *c, struct devmem_session *sess)
{
	struct devmem_http_request req;
	int st = devmem_http_parse(c->in, c->in_len, &req);
	bool head_only = req.method == DEVMEM_HTTP_HEAD;

	if (!st)
		return;	/* more to come */
	if (st != 200) {
		respond_error(c, st);
		return;
	}
	if (!strcmp(req.path, "/metrics")) {
		struct devmem_om_buf b = {};
		enum devmem_om_format f = req.openmetrics ? DEVMEM_OM_OPENMETRICS :
							    DEVMEM_OM_PROMETHEUS;

		if (metrics(sess, &b, f, true)) {
			respond_error(c, 500);
		} else {
			respond(c, 200, f == DEVMEM_OM_OPENMETRICS ? DEVMEM_OM_CTYPE_OPENMETRICS :
				DEVMEM_OM_CTYPE_PROMETHEUS, b.data, b.len, head_only, NULL);
		}
		devmem_om_buf_free(&b);
	} else if (!strcmp(req.path, "/")) {
		respond(c, 200, "text/html; charset=utf-8", index_page, sizeof(index_page) - 1,
			head_only, NULL);
	} else {
		static const char body[] = "404 Not Found: the metrics are at /metrics\n";

		respond(c, 404, "text/plain; charset=utf-8", body, sizeof(body) - 1, head_only, NULL);
	}
}

static void conn_write(struct conn *c)
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
	c->deadline = now_ns() + 2000000000ULL;
}

static void conn_read(struct conn *c, struct devmem_session *sess)
{
	for (;;) {
		char drain[4096];
		char *dst = c->state == C_READ ? c->in + c->in_len : drain;
		size_t room = c->state == C_READ ? sizeof(c->in) - 1 - c->in_len : sizeof(drain);
		ssize_t n;

		if (c->state == C_READ && !room) {
			handle_request(c, sess);	/* a full buffer is over the bound */
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
		handle_request(c, sess);
		if (c->state != C_READ)
			break;
	}
	if (c->state == C_WRITE)
		conn_write(c);
}

static void accept_all(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c = NULL;

		if (fd < 0)
			return;	/* EAGAIN, or the client gave up already */
		for (unsigned long i = 0; i < env.max_connections; i++)
			if (conns[i].state == C_FREE) {
				c = &conns[i];
				break;
			}
		if (!c) {
			/* over the cap: a clean refusal, written at once, and closed */
			char head[256];
			static const char body[] = "503 Service Unavailable\n";
			size_t hl = devmem_http_head(head, sizeof(head), 503,
						     "text/plain; charset=utf-8",
						     sizeof(body) - 1, "Retry-After: 1\r\n");

			char sink[DEVMEM_HTTP_MAX_HEAD];

			count_status(503);
			/* take what already came, so that the close does not reset the answer */
			recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (send(fd, head, hl, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)hl)
				send(fd, body, sizeof(body) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			shutdown(fd, SHUT_WR);
			close(fd);
			continue;
		}
		memset(c, 0, offsetof(struct conn, in));
		c->fd = fd;
		c->in_len = 0;
		c->state = C_READ;
		c->deadline = now_ns() + (__u64)(env.timeout * 1e9);
	}
}

static int run_server(struct devmem_session *sess, int lfd, __u64 deadline)
{
	size_t nfds = 2 + env.max_connections;
	struct pollfd *pfd = calloc(nfds, sizeof(*pfd));
	int sfd = devmem_session_fd(sess);
	char end[64];

	conns = calloc(env.max_connections, sizeof(*conns));
	if (!pfd || !conns) {
		fprintf(stderr, "devmem-exporter: out of memory.\n");
		free(pfd);
		return DEVMEM_EXIT_NOMEM;
	}
	say_end(end, sizeof(end));
	fprintf(stderr, "Serving http://%s/metrics (%s)... %s\n", env.listen,
		devmem_mode_name(devmem_session_mode(sess)), end);
	while (!exiting) {
		__u64 now = now_ns(), next = now + 1000000000ULL;
		int timeout;

		if (deadline && now >= deadline)
			break;
		if (deadline && deadline < next)
			next = deadline;

		pfd[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		for (unsigned long i = 0; i < env.max_connections; i++) {
			struct conn *c = &conns[i];

			pfd[2 + i] = (struct pollfd){ .fd = -1 };
			if (c->state == C_FREE)
				continue;
			pfd[2 + i].fd = c->fd;
			pfd[2 + i].events = c->state == C_WRITE ? POLLOUT : POLLIN;
			if (c->deadline < next)
				next = c->deadline;
		}
		timeout = next > now ? (int)((next - now) / 1000000ULL) + 1 : 0;
		if (poll(pfd, nfds, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "devmem-exporter: poll failed: %s.\n", strerror(errno));
			break;
		}
		if (pfd[1].revents)
			devmem_session_poll(sess, 0);	/* process exits into the history */
		now = now_ns();
		for (unsigned long i = 0; i < env.max_connections; i++) {
			struct conn *c = &conns[i];
			short ev = pfd[2 + i].revents;

			if (c->state == C_FREE || pfd[2 + i].fd != c->fd)
				continue;
			if (ev & (POLLIN | POLLHUP | POLLERR)) {
				if (c->state == C_WRITE)
					conn_write(c);
				else
					conn_read(c, sess);
			} else if (ev & POLLOUT) {
				conn_write(c);
			}
			if (c->state != C_FREE && now >= c->deadline) {
				if (c->state == C_READ) {
					respond_error(c, 408);	/* the request stalled */
					conn_write(c);
				} else {
					conn_close(c);	/* the client does not read */
				}
			}
		}
		if (pfd[0].revents & POLLIN)
			accept_all(lfd);
	}
	for (unsigned long i = 0; i < env.max_connections; i++)
		if (conns[i].state != C_FREE)
			conn_close(&conns[i]);
	free(conns);
	free(pfd);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		exporter_options, parse_arg,
		"[-l ADDR:PORT]\n--textfile DIR [-i SECS]",
		doc, NULL, NULL, NULL,
	};
	struct sigaction sa = { .sa_handler = on_signal };
	struct devmem_session *sess = NULL;
	struct devmem_opts o = {};
	struct timespec ts;
	enum devmem_error e;
	int lfd = -1, ret;
	__u64 deadline;

	devmem_cli_init(&env.cli, "devmem-exporter", DEVMEM_CLI_PID | DEVMEM_CLI_DEVICE |
			DEVMEM_CLI_PER_PROCESS | DEVMEM_CLI_INTERVAL | DEVMEM_CLI_DURATION |
			DEVMEM_CLI_FENTRY);
	devmem_cli_parse(&env.cli, &argp, argc, argv);
	check_modes();
	o.tgid = env.cli.pid;
	o.force_fentry = env.cli.fentry;
	o.verbose = env.cli.verbose;
	ret = devmem_opts_device_from_cli(&env.cli, &o);
	if (ret)
		return ret;
	o.hist_per_device = true;
	for (size_t i = 0; i < NR_CODES; i++)
		code_counts[i].code = status_codes[i];
	clock_gettime(CLOCK_REALTIME, &ts);
	start_time = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	/* what the user can get wrong is checked before the programs load */
	if (env.textfile) {
		if (check_dir(env.textfile))
			return DEVMEM_EXIT_FAILURE;
	} else {
		lfd = listen_on(env.listen);
		if (lfd < 0)
			return DEVMEM_EXIT_FAILURE;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	e = devmem_session_open(&o, &sess);
	if (e) {
		fprintf(stderr, "devmem-exporter: %s\n", devmem_strerror(e));
		if (lfd >= 0)
			close(lfd);
		return devmem_exit_code(e);
	}
	deadline = devmem_cli_deadline(&env.cli, now_ns());
	ret = env.textfile ? run_textfile(sess, deadline) : run_server(sess, lfd, deadline);
	if (lfd >= 0)
		close(lfd);
	devmem_session_close(sess);
	return ret;
}
