// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * devmem-exporter: the devmem counters, gauges and histograms for
 * Prometheus. Serves /metrics (Prometheus text 0.0.4, or OpenMetrics 1.0
 * when the Accept header asks for it) from a single-threaded poll() loop
 * that also takes in what the BPF session sends (process exits), or writes
 * them for node_exporter's textfile collector. The metrics are rendered by
 * tools/lib/render/openmetrics.c; the HTTP server is tools/lib/cli/http_server.c.
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
#include <sys/utsname.h>
#include "cli/cli.h"
#include "cli/errors.h"
#include "cli/parse.h"
#include "cli/http.h"
#include "cli/http_server.h"
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
"kernel, so every figure counts only that process or device.\n"
"\n"
DEVMEM_CLI_DEVICE_IN_KERNEL;

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

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	char host[256], port[16];
	int family;

	switch (key) {
	case 'l':
		if (!devmem_http_split_listen(arg, host, sizeof(host), port, sizeof(port), &family))
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
	static char host[sizeof(((struct utsname *)0)->nodename)];
	/* the host name on every series, as a recording's backfill has it */
	const struct devmem_om_label host_label = { "host", host };
	struct devmem_snapshot snap;
	struct devmem_om_self self;
	struct devmem_om_opts o = {
		.format = format, .per_process = env.cli.per_process,
		.max_processes = env.max_processes, .page_size = (__u64)sysconf(_SC_PAGESIZE),
		.self = &self, .labels = &host_label, .nr_labels = 1,
	};
	int err;

	if (!host[0]) {
		struct utsname u;

		snprintf(host, sizeof(host), "%s", uname(&u) == 0 ? u.nodename : "unknown");
	}

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

static const char index_page[] =
"<!DOCTYPE html>\n<html><head><title>devmem-exporter</title></head><body>\n"
"<h1>devmem-exporter</h1>\n<p>Device-private memory metrics of this host: "
"<a href=\"/metrics\">/metrics</a> (Prometheus text, or OpenMetrics 1.0 on request).</p>\n"
"</body></html>\n";

struct server {
	struct devmem_session *sess;
	struct devmem_om_buf metrics;	/* the last scrape's text, until the next one */
};

static void on_status(void *ctx, int status)
{
	count_status(status);
}

static void handle_request(void *ctx, const struct devmem_http_request *req,
			   struct devmem_http_response *r)
{
	struct server *srv = ctx;
	static const char not_found[] = "404 Not Found: the metrics are at /metrics\n";

	if (!strcmp(req->path, "/metrics")) {
		enum devmem_om_format f = req->openmetrics ? DEVMEM_OM_OPENMETRICS :
							     DEVMEM_OM_PROMETHEUS;

		devmem_om_buf_free(&srv->metrics);
		if (metrics(srv->sess, &srv->metrics, f, true)) {
			r->status = 500;	/* answered with its status line */
			return;
		}
		*r = (struct devmem_http_response){
			.status = 200, .body = srv->metrics.data, .len = srv->metrics.len,
			.ctype = f == DEVMEM_OM_OPENMETRICS ? DEVMEM_OM_CTYPE_OPENMETRICS :
							      DEVMEM_OM_CTYPE_PROMETHEUS,
		};
	} else if (!strcmp(req->path, "/")) {
		*r = (struct devmem_http_response){
			.status = 200, .ctype = "text/html; charset=utf-8", .body = index_page,
			.len = sizeof(index_page) - 1,
		};
	} else {
		*r = (struct devmem_http_response){
			.status = 404, .ctype = "text/plain; charset=utf-8", .body = not_found,
			.len = sizeof(not_found) - 1,
		};
	}
}

static int run_server(struct devmem_session *sess, int lfd, __u64 deadline)
{
	struct server srv = { .sess = sess };
	struct devmem_http_server *http;
	struct pollfd *pfd;
	int sfd = devmem_session_fd(sess);
	size_t nfds;
	char end[64];

	http = devmem_http_server_new(lfd, env.max_connections, env.timeout, handle_request,
				      on_status, &srv);
	nfds = http ? 1 + devmem_http_server_nfds(http) : 0;
	pfd = http ? calloc(nfds, sizeof(*pfd)) : NULL;
	if (!pfd) {
		fprintf(stderr, "devmem-exporter: %s\n", devmem_strerror(DEVMEM_E_NOMEM));
		if (http)
			devmem_http_server_free(http);
		else
			close(lfd);
		return devmem_exit_code(DEVMEM_E_NOMEM);
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
		pfd[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		devmem_http_server_pollfds(http, pfd + 1, &next);
		timeout = next > now ? (int)((next - now) / 1000000ULL) + 1 : 0;
		if (poll(pfd, nfds, timeout) < 0 && errno != EINTR) {
			fprintf(stderr, "devmem-exporter: poll failed: %s.\n", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			devmem_session_poll(sess, 0);	/* process exits into the history */
		devmem_http_server_serve(http, pfd + 1, now_ns());
	}
	devmem_http_server_free(http);
	devmem_om_buf_free(&srv.metrics);
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
	devmem_cli_doc(&env.cli, 'i', "With --textfile: write it every SECS seconds (0.01 to "
		       "86400, default 10)");
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
		char why[384];

		lfd = devmem_http_listen(env.listen, why, sizeof(why));
		if (lfd < 0) {
			fprintf(stderr, "devmem-exporter: %s\n", why);
			return DEVMEM_EXIT_FAILURE;
		}
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
	/* the server owns the socket from here */
	ret = env.textfile ? run_textfile(sess, deadline) : run_server(sess, lfd, deadline);
	devmem_session_close(sess);
	return ret;
}
