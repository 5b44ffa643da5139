// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What a fault stack costs, natively on this host: the fault handler
 * (raw_fault through BPF_PROG_TEST_RUN, which takes this process's own
 * stack) without stacks, with --stacks=fp and with --stacks=dwarf, in ns
 * per fault by the kernel's run-time statistics once the first batch has
 * been read (in fp mode the leaf's rule is known from then on, and the
 * faults are counted in the kernel), and what user space spends on each
 * stack, in us: the unwinding of each sample (the session's ring
 * callback, timed around its polls) and the reading of the kernel's
 * counts (a snapshot), over the faults. The ring is drained every BATCH
 * faults, so no sample meets a full ring.
 *
 *   stack-cost [ROUNDS]	prints "stackcost MODE handler_ns unwind_us faults"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "model/snapshot.h"

#define BATCH	256

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

__attribute__((noinline)) static int fault_once(int fd)
{
	__u64 a[4] = { 0x1000, 0x2000, 0, 0 };	/* (vmf, pgmap, order, ret): fakes read as 0 */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = a, .ctx_size_in = sizeof(a));

	return bpf_prog_test_run_opts(fd, &o);
}

static int measure(const char *name, unsigned int mode, long rounds)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP, .no_attach = true, .no_thrash = true,
		.stacks = mode,
	};
	struct devmem_session *s;
	struct devmem_snapshot snap;
	struct bpf_prog_info info = {}, info0 = {};
	__u32 len = sizeof(info);
	double unwind = 0, t;
	__u64 samples = 0, measured = 0;
	enum devmem_error e = devmem_session_open(&o, &s);
	int fd;

	if (e) {
		fprintf(stderr, "stack-cost: %s\n", devmem_strerror(e));
		return 77;
	}
	fd = bpf_program__fd(((struct devmem_bpf *)devmem_session_skel(s))->progs.raw_fault);
	/* the first batch: the process's mappings, in fp mode the leaf's rule */
	for (int i = 0; i < BATCH; i++)
		if (fault_once(fd))
			return 1;
	while (devmem_session_poll(s, 0) > 0)
		;
	bpf_obj_get_info_by_fd(fd, &info0, &len);
	for (long r = 0; r < rounds; r += BATCH) {
		for (int i = 0; i < BATCH; i++)
			if (fault_once(fd))
				return 1;
		t = now_us();
		while (devmem_session_poll(s, 0) > 0)
			;
		unwind += now_us() - t;
		measured += BATCH;
	}
	len = sizeof(info);
	bpf_obj_get_info_by_fd(fd, &info, &len);
	devmem_snapshot_init(&snap);
	t = now_us();
	if (!devmem_session_snapshot(s, &snap))
		for (size_t i = 0; i < snap.nr_stacks; i++)
			samples += snap.stacks[i].faults;
	unwind += now_us() - t;
	devmem_snapshot_free(&snap);
	printf("stackcost %s %.1f %.2f %llu\n", name,
	       info.run_cnt > info0.run_cnt ?
	       (double)(info.run_time_ns - info0.run_time_ns) /
	       (double)(info.run_cnt - info0.run_cnt) : 0.0,
	       samples && measured ? unwind / (double)measured : 0.0,
	       (unsigned long long)samples);
	devmem_session_close(s);
	return 0;
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 4096;
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME), ret;

	if (stats < 0) {
		fprintf(stderr, "stack-cost: BPF run-time statistics cannot be enabled: %s\n",
			strerror(errno));
		return 77;
	}
	ret = measure("off", DEVMEM_STACKS_OFF, rounds);
	if (!ret)
		ret = measure("fp", DEVMEM_STACKS_FP, rounds);
	if (!ret)
		ret = measure("dwarf", DEVMEM_STACKS_DWARF, rounds);
	return ret;
}
