// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * handler-cost: native per-event cost of the devmem BPF handlers on the
 * running kernel, for tests/bench/run.sh.
 *
 * Loads the raw_tp variants of the handlers (the only tracing programs a
 * host without the devmem series and with fentry refused can run), with the
 * tools' default map set-up, and runs each one RUNS times through
 * BPF_PROG_TEST_RUN. raw_tp test runs take no repeat count, so the time
 * comes from the kernel's run-time statistics (run_time_ns / run_cnt), which
 * time the program alone, not the syscall. An empty raw_tp program is
 * measured the same way: its figure is what the statistics themselves cost
 * and is reported, and subtracted in the "net" column.
 *
 * The arguments are fake kernel pointers in the first page, so every CO-RE
 * read of them returns zeros: the handlers take their full path up to the
 * map updates, but a device lookup finds no owner.
 *
 * Output, one line per program:  cost NAME RAW_NS NET_NS RUNS
 * Exit status 0, or 77 (with one line on stderr) when BPF is not usable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "../../tools/lib/devmem.h"
#include "devmem.skel.h"

#define FAKE_VMF	0x1000ULL
#define FAKE_PGMAP	0x2000ULL
#define FAKE_PAGE	0x3000ULL

static long runs = 100000;

static int cost_of(int fd, __u64 *a, int nr, double *ns)
{
	struct bpf_prog_info before = {}, after = {};
	__u32 len = sizeof(before);
	LIBBPF_OPTS(bpf_test_run_opts, topts,
		.ctx_in = a,
		.ctx_size_in = nr * sizeof(__u64),
	);

	if (bpf_obj_get_info_by_fd(fd, &before, &len))
		return -errno;
	for (long r = 0; r < runs; r++)
		if (bpf_prog_test_run_opts(fd, &topts))
			return -errno;
	len = sizeof(after);
	if (bpf_obj_get_info_by_fd(fd, &after, &len))
		return -errno;
	if (after.run_cnt - before.run_cnt != (__u64)runs)
		return -EIO;
	*ns = (double)(after.run_time_ns - before.run_time_ns) / runs;
	return 0;
}

static int empty_prog(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "empty", "GPL", insns, 2, NULL);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int nr; __u64 a[6]; } cases[] = {
		{ "raw_fault", 1, { FAKE_VMF } },
		{ "raw_fault_done", 2, { FAKE_VMF, 0 } },
		{ "raw_migrate", 6, { 0, FAKE_PGMAP, 16, 16, 16, DEVMEM_TO_DEVICE } },
		{ "raw_page_alloc", 1, { FAKE_PAGE } },
		{ "raw_page_free", 1, { FAKE_PAGE } },
	};
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.no_attach = true,
	};
	struct devmem_session *sess;
	struct devmem_bpf *skel;
	enum devmem_error err;
	double base, ns;
	__u64 a[6] = { 0 };
	int stats_fd, fd, ret;

	if (argc > 1)
		runs = strtol(argv[1], NULL, 10);
	if (runs <= 0)
		runs = 100000;
	err = devmem_session_open(&o, &sess);
	if (err) {
		fprintf(stderr, "handler-cost: %s\n", devmem_strerror(err));
		return 77;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "handler-cost: BPF run-time statistics cannot be enabled: %s\n",
			strerror(errno));
		devmem_session_close(sess);
		return 77;
	}
	fd = empty_prog();
	if (fd < 0 || cost_of(fd, a, 1, &base)) {
		fprintf(stderr, "handler-cost: the empty program could not be run: %s\n",
			strerror(errno));
		return 77;
	}
	close(fd);
	printf("cost empty %.1f 0.0 %ld\n", base, runs);
	skel = devmem_session_skel(sess);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct bpf_program *p = bpf_object__find_program_by_name(skel->obj, cases[i].name);

		if (!p)
			continue;
		memcpy(a, cases[i].a, sizeof(a));
		ret = cost_of(bpf_program__fd(p), a, cases[i].nr, &ns);
		if (ret) {
			fprintf(stderr, "handler-cost: %s: %s\n", cases[i].name, strerror(-ret));
			continue;
		}
		printf("cost %s %.1f %.1f %ld\n", cases[i].name, ns, ns - base, runs);
	}
	close(stats_fd);
	devmem_session_close(sess);
	return 0;
}
