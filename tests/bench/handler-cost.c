// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * handler-cost: native per-event cost of the devmem BPF handlers on the
 * running kernel, for tests/bench/run.sh.
 *
 * Loads the raw_tp variants of the handlers (the only tracing programs a
 * host without the devmem series and with fentry refused can run) with the
 * tools' default map set-up and runs them through BPF_PROG_TEST_RUN. raw_tp
 * test runs take no repeat count, so the time comes from the kernel's
 * run-time statistics (run_time_ns / run_cnt), which time the program alone,
 * not the syscall. An empty program measured the same way is what the
 * statistics themselves cost; "net" figures have it subtracted.
 *
 * The handlers take their real path: their arguments point into kernel
 * memory laid out like the structures they read. That memory is an
 * mmap-able BPF array; a three-instruction program stores the kernel
 * address of its first element into it (pointer leaks are allowed to a
 * privileged loader), and user space writes fake struct vm_fault, page,
 * dev_pagemap and migrate_vma objects there at the field offsets the
 * running kernel's BTF gives. So every CO-RE read succeeds, owners are
 * non-zero (device counters are updated), alloc/free pairs time a lifetime
 * and each fault finds its start.
 *
 * One round runs, per pagemap: fault, migrate (fault-driven, to RAM),
 * fault_done, page_alloc, page_free. With D pagemaps (each of its own
 * device) the rounds cycle through them, which shows whether the cost
 * depends on the number of pagemaps and devices. Each figure is the best
 * of PASSES passes (the host is shared and virtualized: the minimum is the
 * handler, the rest is interference).
 *
 * Output lines:
 *   cost NAME RAW_NS NET_NS RUNS        one pagemap
 *   floor NAME RAW_NS NET_NS RUNS       single helpers, for what limits it
 *   pagemaps D NAME NET_NS              D pagemaps
 * Exit status 0, or 77 (with one line on stderr) when BPF is not usable.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/session.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "devmem.skel.h"

#define SLOT		4096		/* bytes per pagemap in the arena */
#define MAX_PAGEMAPS	255	/* range slots of the BPF side */
#define OFF_PAGE	0
#define OFF_PGMAP	1024
#define OFF_VMF		2048
#define OFF_MIGRATE	3072
#define NR_DEPTHS	3		/* pagemap counts measured */
#define PASSES		3		/* each figure is the best of this many */

enum { P_FAULT, P_MIGRATE, P_FAULT_DONE, P_ALLOC, P_FREE, P_MIG_START, P_MIG_END, NR_PROGS };
static const char *const prog_names[NR_PROGS] = {
	"raw_fault", "raw_migrate_folios", "raw_fault_done", "raw_folio_alloc", "raw_folio_free",
	"raw_migrate_start", "raw_migrate_end",
};

static long runs = 100000;
static unsigned char *arena;	/* user mapping */
static __u64 karena;		/* its kernel address */

struct offs {
	long vmf_page, vmf_address, vmf_flags;
	long page_pgmap;	/* -1: the pgmap is in struct folio */
	long page_head, folio_pgmap;
	long pgmap_owner, pgmap_type, pgmap_range, pgmap_nr_range;
	long mig_fault_page, mig_start;
};

static void die(const char *what)
{
	fprintf(stderr, "handler-cost: %s: %s\n", what, strerror(errno));
	exit(77);
}

/* byte offset of member NAME in struct/union ID, looking into anonymous members */
static long member_off(const struct btf *btf, __u32 id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;

	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (!t || !btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);
		long off = btf_member_bit_offset(t, i) / 8, sub;

		if (n && *n && !strcmp(n, name))
			return off;
		if (!n || !*n) {
			sub = member_off(btf, m->type, name);
			if (sub >= 0)
				return off + sub;
		}
	}
	return -1;
}

static long off_of(const struct btf *btf, const char *type, const char *name)
{
	__s32 id = btf__find_by_name_kind(btf, type, BTF_KIND_STRUCT);

	return id < 0 ? -1 : member_off(btf, id, name);
}

static void find_offsets(struct offs *o)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf)
		die("the kernel BTF cannot be read");
	o->vmf_page = off_of(btf, "vm_fault", "page");
	o->vmf_address = off_of(btf, "vm_fault", "address");
	o->vmf_flags = off_of(btf, "vm_fault", "flags");
	o->page_pgmap = off_of(btf, "page", "pgmap");
	o->page_head = off_of(btf, "page", "compound_head");
	o->folio_pgmap = off_of(btf, "folio", "pgmap");
	o->pgmap_owner = off_of(btf, "dev_pagemap", "owner");
	o->pgmap_type = off_of(btf, "dev_pagemap", "type");
	o->pgmap_range = off_of(btf, "dev_pagemap", "range");
	o->pgmap_nr_range = off_of(btf, "dev_pagemap", "nr_range");
	o->mig_fault_page = off_of(btf, "migrate_vma", "fault_page");
	o->mig_start = off_of(btf, "migrate_vma", "start");
	btf__free(btf);
	if (o->vmf_page < 0 || o->vmf_address < 0 || o->vmf_flags < 0 || o->page_head < 0 ||
	    (o->page_pgmap < 0 && o->folio_pgmap < 0) || o->pgmap_owner < 0 ||
	    o->pgmap_type < 0 || o->mig_start < 0 || o->pgmap_range < 0 ||
	    o->pgmap_nr_range < 0) {
		errno = ENOENT;
		die("a structure field the handlers read is not in the kernel BTF");
	}
}

static void put64(long off, __u64 v)
{
	memcpy(arena + off, &v, sizeof(v));
}

static void put32(long off, __u32 v)
{
	memcpy(arena + off, &v, sizeof(v));
}

/* fake objects of pagemap i at arena slot i */
static void lay_out(const struct offs *o, int i)
{
	long b = (long)i * SLOT;
	__u64 k = karena + b;

	put64(b + OFF_PAGE + o->page_head, 0);		/* a head page */
	if (o->page_pgmap >= 0)
		put64(b + OFF_PAGE + o->page_pgmap, k + OFF_PGMAP);
	else
		put64(b + OFF_PAGE + o->folio_pgmap, k + OFF_PGMAP);
	put64(b + OFF_PGMAP + o->pgmap_owner, 0x4000 + i);	/* device i */
	put32(b + OFF_PGMAP + o->pgmap_type, DEVMEM_TYPE_PRIVATE);
	/* one 256 MiB range of its own: struct range { u64 start, end; } */
	put64(b + OFF_PGMAP + o->pgmap_range, (__u64)i << 28);
	put64(b + OFF_PGMAP + o->pgmap_range + 8, ((__u64)i << 28) + (256ULL << 20) - 1);
	put32(b + OFF_PGMAP + o->pgmap_nr_range, 1);
	put64(b + OFF_VMF + o->vmf_page, k + OFF_PAGE);
	put64(b + OFF_VMF + o->vmf_address, 0x7f0000000000ULL + b);
	put32(b + OFF_VMF + o->vmf_flags, 1);
	if (o->mig_fault_page >= 0)
		put64(b + OFF_MIGRATE + o->mig_fault_page, k + OFF_PAGE);
	put64(b + OFF_MIGRATE + o->mig_start, 0x7f0000000000ULL + b);
}

/* the arena: an mmap-able array; returns its fd, sets arena and karena */
static int make_arena(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, mo, .map_flags = BPF_F_MMAPABLE);
	LIBBPF_OPTS(bpf_test_run_opts, topts);
	int fd, pfd;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "hc_arena", 4, SLOT, MAX_PAGEMAPS + 1, &mo);
	if (fd < 0)
		die("the arena map cannot be created");
	arena = mmap(NULL, (size_t)SLOT * (MAX_PAGEMAPS + 1), PROT_READ | PROT_WRITE,
		     MAP_SHARED, fd, 0);
	if (arena == MAP_FAILED)
		die("the arena map cannot be mapped");
	{
		/* v = lookup(arena, 0); if (v) *(u64 *)v = v; return 0 */
		const struct bpf_insn insns[] = {
			{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1,
			  .src_reg = BPF_PSEUDO_MAP_FD, .imm = fd },
			{ 0 },
			{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4 },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2,
			  .src_reg = BPF_REG_10 },
			{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
			{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
			{ .code = BPF_JMP | BPF_JEQ | BPF_K, .dst_reg = BPF_REG_0, .off = 1 },
			{ .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_0,
			  .src_reg = BPF_REG_0 },
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
			{ .code = BPF_JMP | BPF_EXIT },
		};
		__u64 ctx[1] = { 0 };

		topts.ctx_in = ctx;
		topts.ctx_size_in = sizeof(ctx);
		pfd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "hc_addr", "GPL", insns,
				    sizeof(insns) / sizeof(insns[0]), NULL);
		if (pfd < 0 || bpf_prog_test_run_opts(pfd, &topts))
			die("the arena's kernel address cannot be found");
		close(pfd);
	}
	memcpy(&karena, arena, sizeof(karena));
	if (!karena) {
		errno = EINVAL;
		die("the arena's kernel address came back 0");
	}
	memset(arena, 0, sizeof(karena));
	return fd;
}

/*
 * A raw_tp program calling one helper. probe_read: read 8 bytes at ctx[0];
 * map_fd >= 0: look key 0 up in that map.
 */
static int helper_prog(int func, bool probe_read, int map_fd)
{
	struct bpf_insn insns[12] = {};
	int n = 0;

	if (map_fd >= 0) {
		/* r1 = map; *(u32 *)(fp - 4) = 0; r2 = fp - 4 */
		insns[n++] = (struct bpf_insn){ .code = BPF_LD | BPF_DW | BPF_IMM,
			.dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd };
		insns[n++] = (struct bpf_insn){ 0 };
		insns[n++] = (struct bpf_insn){ .code = BPF_ST | BPF_MEM | BPF_W,
			.dst_reg = BPF_REG_10, .off = -4 };
		insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X,
			.dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 };
		insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K,
			.dst_reg = BPF_REG_2, .imm = -4 };
	}
	if (probe_read) {
		/* r3 = ctx[0]; r1 = fp - 8; r2 = 8; probe_read_kernel(r1, r2, r3) */
		insns[n++] = (struct bpf_insn){ .code = BPF_LDX | BPF_MEM | BPF_DW,
			.dst_reg = BPF_REG_3, .src_reg = BPF_REG_1 };
		insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_X,
			.dst_reg = BPF_REG_1, .src_reg = BPF_REG_10 };
		insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_ADD | BPF_K,
			.dst_reg = BPF_REG_1, .imm = -8 };
		insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
			.dst_reg = BPF_REG_2, .imm = 8 };
	}
	if (func)
		insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_CALL, .imm = func };
	insns[n++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 };
	insns[n++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	return bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, "hc_helper", "GPL", insns, n, NULL);
}

static int stats_of(int fd, __u64 *cnt, __u64 *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

static int run1(int fd, __u64 *a, int nr)
{
	LIBBPF_OPTS(bpf_test_run_opts, topts, .ctx_in = a, .ctx_size_in = nr * sizeof(__u64));

	return bpf_prog_test_run_opts(fd, &topts) ? -errno : 0;
}

/* ns per run of a single program run RUNS times with args a */
static double cost_single(int fd, __u64 *a, int nr)
{
	__u64 c0 = 0, t0 = 0, c1 = 0, t1 = 0;

	if (stats_of(fd, &c0, &t0))
		die("program statistics cannot be read");
	for (long r = 0; r < runs; r++)
		if (run1(fd, a, nr))
			die("a test run failed");
	if (stats_of(fd, &c1, &t1))
		die("program statistics cannot be read");
	return (double)(t1 - t0) / (double)(c1 - c0);
}

/* N rounds over D pagemaps; ns[p] per run of each handler */
static void cost_rounds(const int *fds, int d, long n, double *ns)
{
	__u64 c0[NR_PROGS], t0[NR_PROGS], c1 = 0, t1 = 0, a[9];

	for (int p = 0; p < NR_PROGS; p++)
		if (stats_of(fds[p], &c0[p], &t0[p]))
			die("program statistics cannot be read");
	for (long r = 0; r < n; r++) {
		__u64 k = karena + (__u64)(r % d + 1) * SLOT;

		/* the tracepoints' arguments: see the tp_btf/raw_tp entry points */
		a[0] = k + OFF_VMF; a[1] = k + OFF_PGMAP; a[2] = 0; a[3] = 0;
		if (run1(fds[P_FAULT], a, 4))
			die("a test run failed");
		/* a CPU fault's migration of 16 pages to RAM: start, its folios, end */
		a[0] = k + OFF_MIGRATE; a[1] = k + OFF_MIGRATE + 512; a[2] = 16; a[3] = 16; a[4] = 1;
		if (run1(fds[P_MIG_START], a, 5))
			die("a test run failed");
		a[0] = k + OFF_MIGRATE; a[1] = k + OFF_MIGRATE + 512; a[2] = k + OFF_PGMAP; a[3] = 0;
		a[4] = 0; a[5] = 16;
		if (run1(fds[P_MIGRATE], a, 6))
			die("a test run failed");
		a[0] = k + OFF_MIGRATE; a[1] = k + OFF_MIGRATE + 512; a[2] = 16; a[3] = 16; a[4] = 1;
		if (run1(fds[P_MIG_END], a, 5))
			die("a test run failed");
		a[0] = k + OFF_VMF; a[1] = k + OFF_PGMAP; a[2] = 0; a[3] = 0x400;	/* VM_FAULT_NOPAGE-like */
		if (run1(fds[P_FAULT_DONE], a, 4))
			die("a test run failed");
		a[0] = k + OFF_PAGE; a[1] = k + OFF_PGMAP; a[2] = 0;
		if (run1(fds[P_ALLOC], a, 3) || run1(fds[P_FREE], a, 3))
			die("a test run failed");
	}
	for (int p = 0; p < NR_PROGS; p++) {
		if (stats_of(fds[p], &c1, &t1))
			die("program statistics cannot be read");
		ns[p] = (double)(t1 - t0[p]) / (double)(c1 - c0[p]);
	}
}

int main(int argc, char **argv)
{
	static const int depths[NR_DEPTHS] = { 1, 16, MAX_PAGEMAPS };
	static const struct { const char *name; int func; bool probe, map; } floors[] = {
		{ "bpf_ktime_get_ns", BPF_FUNC_ktime_get_ns, false, false },
		{ "bpf_get_current_pid_tgid", BPF_FUNC_get_current_pid_tgid, false, false },
		{ "bpf_probe_read_kernel", BPF_FUNC_probe_read_kernel, true, false },
		{ "percpu_hash_lookup", BPF_FUNC_map_lookup_elem, false, true },
	};
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.no_attach = true,
	};
	struct devmem_session *sess;
	struct devmem_bpf *skel;
	enum devmem_error err;
	int fds[NR_PROGS], stats_fd, fd, hash_fd;
	double base, ns[NR_PROGS], best[NR_DEPTHS][NR_PROGS];
	struct offs off;
	__u64 a[6] = { 0 };

	if (argc > 1)
		runs = strtol(argv[1], NULL, 10);
	if (runs <= 0)
		runs = 100000;
	/* the diagnosis options: thrashing off, the default (on), stacks too */
	if (argc > 2 && !strcmp(argv[2], "nothrash"))
		o.no_thrash = true;
	else if (argc > 2 && !strcmp(argv[2], "stacks"))
		o.stacks = true;
	else if (argc > 2 && strcmp(argv[2], "thrash")) {
		fprintf(stderr, "handler-cost: the second argument is nothrash, thrash or stacks, "
			"not '%s'.\n", argv[2]);
		return 2;
	}
	err = devmem_session_open(&o, &sess);
	if (err) {
		fprintf(stderr, "handler-cost: %s\n", devmem_strerror(err));
		return 77;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0)
		die("BPF run-time statistics cannot be enabled");
	find_offsets(&off);
	make_arena();
	for (int i = 1; i <= MAX_PAGEMAPS; i++)
		lay_out(&off, i);

	{
		/* what the per-device and per-process counters are kept in */
		__u32 k = 0;
		__u64 v[256] = { 0 };

		hash_fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_HASH, "hc_hash", sizeof(k),
					 sizeof(__u64), 4096, NULL);
		if (hash_fd < 0 || libbpf_num_possible_cpus() > 256 ||
		    bpf_map_update_elem(hash_fd, &k, v, BPF_ANY))
			die("the per-CPU hash for the floor cannot be set up");
	}
	fd = helper_prog(0, false, -1);
	if (fd < 0)
		die("the empty program cannot be loaded");
	base = cost_single(fd, a, 1);
	close(fd);
	printf("floor empty %.1f 0.0 %ld\n", base, runs);
	a[0] = karena + SLOT;
	for (size_t i = 0; i < sizeof(floors) / sizeof(floors[0]); i++) {
		double v;

		fd = helper_prog(floors[i].func, floors[i].probe, floors[i].map ? hash_fd : -1);
		if (fd < 0)
			die("a helper program cannot be loaded");
		v = cost_single(fd, a, 1);
		close(fd);
		printf("floor %s %.1f %.1f %ld\n", floors[i].name, v, v - base, runs);
	}

	skel = devmem_session_skel(sess);
	for (int p = 0; p < NR_PROGS; p++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(skel->obj,
									    prog_names[p]);

		if (!prog) {
			errno = ENOENT;
			die(prog_names[p]);
		}
		fds[p] = bpf_program__fd(prog);
	}
	/* warm-up: creates the map entries and fills the caches */
	cost_rounds(fds, MAX_PAGEMAPS, MAX_PAGEMAPS * 4, ns);
	/* the best of PASSES passes, the depths in turn within each */
	for (int pass = 0; pass < PASSES; pass++) {
		for (size_t i = 0; i < NR_DEPTHS; i++) {
			cost_rounds(fds, depths[i], runs, ns);
			for (int p = 0; p < NR_PROGS; p++)
				if (!pass || ns[p] < best[i][p])
					best[i][p] = ns[p];
		}
	}
	for (size_t i = 0; i < NR_DEPTHS; i++) {
		for (int p = 0; p < NR_PROGS; p++) {
			if (depths[i] == 1)
				printf("cost %s %.1f %.1f %ld\n", prog_names[p], best[i][p],
				       best[i][p] - base, runs);
			printf("pagemaps %d %s %.1f\n", depths[i], prog_names[p], best[i][p] - base);
		}
	}
	/* the handlers saw what they should have: every fault found its start */
	{
		struct devmem_snapshot snap;

		devmem_snapshot_init(&snap);
		if (!devmem_session_snapshot(sess, &snap)) {
			printf("check faults %llu lifetimes %llu unmatched %llu devices %u\n",
			       (unsigned long long)snap.total.faults,
			       (unsigned long long)devmem_hist_total(&snap.hist[DEVMEM_HIST_FAULT_LATENCY]),
			       (unsigned long long)(snap.tallies[DEVMEM_UNMATCHED_FAULT_DONE] +
						    snap.tallies[DEVMEM_UNMATCHED_FREE]),
			       (unsigned)snap.nr_devices);
		}
		devmem_snapshot_free(&snap);
	}
	close(stats_fd);
	devmem_session_close(sess);
	return 0;
}
