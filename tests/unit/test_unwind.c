// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Unwinding stack samples (tools/lib/kernel/unwind.c): a sample of this
 * test's own stack, taken in a chain of functions built without frame
 * pointers (the registers read by inline assembly, the stack copied from
 * the stack pointer up), unwound by CFI against its own mappings; the
 * frame-pointer mode giving a frameless leaf its caller; and, where BPF
 * runs, a sample taken by the BPF side of this process's own stack.
 */
#pragma GCC optimize("omit-frame-pointer", "no-optimize-sibling-calls")
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/session.h"
#include "kernel/session_int.h"
#include "kernel/symbolize.h"
#include "kernel/unwind.h"
#include "model/snapshot.h"
#include "model/stacks.h"

#define COPY	65536

static struct {
	struct devmem_ustack_sample s;
	__u8 stack[COPY];
} rec;

/* the registers in DWARF order, the ip at the label: the leaf's state there */
__attribute__((noinline)) void chain_leaf(void)
{
	__u64 *r = rec.s.regs;

	asm volatile("movq %%rax, 0(%0)\n\t"
		     "movq %%rdx, 8(%0)\n\t"
		     "movq %%rcx, 16(%0)\n\t"
		     "movq %%rbx, 24(%0)\n\t"
		     "movq %%rsi, 32(%0)\n\t"
		     "movq %%rdi, 40(%0)\n\t"
		     "movq %%rbp, 48(%0)\n\t"
		     "movq %%rsp, 56(%0)\n\t"
		     "movq %%r8, 64(%0)\n\t"
		     "movq %%r9, 72(%0)\n\t"
		     "movq %%r10, 80(%0)\n\t"
		     "movq %%r11, 88(%0)\n\t"
		     "movq %%r12, 96(%0)\n\t"
		     "movq %%r13, 104(%0)\n\t"
		     "movq %%r14, 112(%0)\n\t"
		     "movq %%r15, 120(%0)\n\t"
		     "leaq 0(%%rip), %%rax\n\t"
		     "movq %%rax, 128(%0)\n\t"
		     : : "r"(r) : "rax", "memory");
	/* the stack as it is now, from sp up, as far as it is mapped */
	{
		struct iovec local = { rec.stack, COPY };
		struct iovec remote = { (void *)(uintptr_t)r[DEVMEM_UREG_SP], COPY };
		ssize_t n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

		rec.s.stack_len = n > 0 ? (__u32)n : 0;
	}
}

__attribute__((noinline)) int chain_mid(int x)
{
	chain_leaf();
	return x + 1;
}

__attribute__((noinline)) int chain_outer(int x)
{
	return chain_mid(x * 2) + 1;
}

static const char *name_at(struct devmem_symbolizer *sym, const struct devmem_unwound *u,
			   __u32 i, char *buf, size_t len)
{
	return devmem_sym_name(sym, getpid(), 1, 0, i ? u->pc[i] - 1 : u->pc[i], buf, len);
}

/* the index of name in u's frames, or -1 */
static int find_frame(struct devmem_symbolizer *sym, const struct devmem_unwound *u,
		      const char *name)
{
	char buf[160];

	for (__u32 i = 0; i < u->depth; i++)
		if (!strcmp(name_at(sym, u, i, buf, sizeof(buf)), name))
			return (int)i;
	return -1;
}

static void take_sample(void)
{
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(chain_outer(3), 8);
	rec.s.tgid = (__u32)getpid();
	rec.s.pid = (__u32)getpid();
	rec.s.start_ns = 1;
}

/* the chain unwound by CFI: leaf, its callers in order, up to main */
static void test_dwarf_own_stack(void **state)
{
	struct devmem_symbolizer *sym = devmem_sym_new(NULL);
	struct devmem_unwound u;
	void **uw = NULL;
	Dwfl *dwfl;
	int leaf;

	assert_non_null(sym);
	take_sample();
	assert_int_equal(devmem_sym_capture(sym, getpid(), 1, 0), 0);
	dwfl = devmem_sym_dwfl(sym, getpid(), 1, 0, &uw);
	assert_non_null(dwfl);
	devmem_unwind_dwarf(dwfl, uw, &rec.s, sizeof(rec), &u);
	leaf = find_frame(sym, &u, "chain_leaf");
	assert_int_equal(leaf, 0);
	assert_int_equal(find_frame(sym, &u, "chain_mid"), 1);
	assert_int_equal(find_frame(sym, &u, "chain_outer"), 2);
	assert_int_equal(find_frame(sym, &u, "test_dwarf_own_stack"), 4);
	assert_true(find_frame(sym, &u, "main") > 4);
	if (getenv("DEVMEM_TEST_VERBOSE")) {
		char buf[160];

		for (__u32 i = 0; i < u.depth; i++)
			fprintf(stderr, "frame %u: %#llx %s\n", i, (unsigned long long)u.pc[i],
				name_at(sym, &u, i, buf, sizeof(buf)));
	}
	assert_int_equal(u.loss, 0);
	/* again on the same Dwfl: the unwinder stays attached */
	devmem_unwind_dwarf(dwfl, uw, &rec.s, sizeof(rec), &u);
	assert_int_equal(find_frame(sym, &u, "chain_outer"), 2);
	/* a copy too short for the whole stack (64 bytes taken of 64): cut, and said so */
	rec.s.stack_len = 64;
	devmem_unwind_dwarf(dwfl, uw, &rec.s, sizeof(rec.s) + 64, &u);
	assert_true(u.depth < 4);
	assert_int_equal(u.loss, DEVMEM_LOST_STACK_TRUNCATED);
	/* no maps: the ip alone */
	devmem_unwind_dwarf(NULL, NULL, &rec.s, sizeof(rec), &u);
	assert_int_equal(u.depth, 1);
	assert_int_equal(u.loss, DEVMEM_LOST_STACK_NO_MAPS);
	devmem_sym_free(sym);
}

/*
 * fp mode: chain_leaf has no frame (its CFA is sp-based), so a walk by
 * frame pointer goes from whatever rbp holds; the leaf's caller comes
 * from the copied stack, just below the CFA, and the same from the word
 * the kernel read where the leaf's rule said.
 */
static void test_fp_frameless_leaf(void **state)
{
	struct devmem_symbolizer *sym = devmem_sym_new(NULL);
	struct devmem_leaf_rule r, framed = { .kind = DEVMEM_LEAF_FRAMED };
	struct devmem_unwound u, k;
	void **uw = NULL;
	Dwfl *dwfl;
	__u64 caller;
	__s64 off;
	int reg;

	take_sample();
	assert_int_equal(devmem_sym_capture(sym, getpid(), 1, 0), 0);
	dwfl = devmem_sym_dwfl(sym, getpid(), 1, 0, &uw);
	assert_int_equal(devmem_cfa_rule(dwfl, rec.s.regs[DEVMEM_UREG_IP], &reg, &off), 0);
	assert_int_equal(reg, DEVMEM_UREG_SP);
	assert_int_equal(devmem_leaf_rule(dwfl, rec.s.regs[DEVMEM_UREG_IP], &r), 0);
	assert_int_equal(r.kind, DEVMEM_LEAF_FRAMELESS);
	assert_int_equal(r.ra_off, off - 8);
	/* the walk as the kernel gives it without the caller: the leaf, then main */
	rec.s.ips[0] = rec.s.regs[DEVMEM_UREG_IP];
	rec.s.ips[1] = (__u64)(uintptr_t)&chain_outer + 1;
	rec.s.nr_ips = 2;
	assert_int_equal(devmem_unwind_fp(dwfl, &rec.s, sizeof(rec), &u, &r), 0);
	assert_int_equal(u.depth, 3);
	assert_int_equal(u.loss, 0);
	assert_int_equal(find_frame(sym, &u, "chain_leaf"), 0);
	assert_int_equal(find_frame(sym, &u, "chain_mid"), 1);
	/* the kernel's count of the same walk with the word it read: the same frames */
	memcpy(&caller, rec.s.stack + r.ra_off, sizeof(caller));
	devmem_fp_frames(rec.s.ips, 2, &r, caller, &k);
	assert_int_equal(k.depth, u.depth);
	assert_memory_equal(k.pc, u.pc, u.depth * sizeof(u.pc[0]));
	/* its caller unreadable: the walk, counted as unchecked */
	devmem_fp_frames(rec.s.ips, 2, &r, 0, &k);
	assert_int_equal(k.depth, 2);
	assert_int_equal(k.loss, DEVMEM_LOST_STACK_LEAF_UNCHECKED);
	/* a framed leaf: the walk as it is */
	devmem_fp_frames(rec.s.ips, 2, &framed, caller, &k);
	assert_int_equal(k.depth, 2);
	assert_int_equal(k.loss, 0);
	/* an ip with no CFI (none mapped there): the walk as it is, and no rule */
	rec.s.ips[0] = 0x10;
	assert_int_equal(devmem_unwind_fp(dwfl, &rec.s, sizeof(rec), &u, &r), -1);
	assert_int_equal(u.depth, 2);
	assert_int_equal(u.loss, DEVMEM_LOST_STACK_LEAF_UNCHECKED);
	/* no maps: the walk, said so */
	assert_int_equal(devmem_unwind_fp(NULL, &rec.s, sizeof(rec), &u, &r), -1);
	assert_int_equal(u.loss, DEVMEM_LOST_STACK_NO_MAPS);
	devmem_sym_free(sym);
}

/* ---- a sample the BPF side takes of this process ------------------------- */

__attribute__((noinline)) int devmem_test_faulting_caller(struct bpf_program *prog)
{
	__u64 a[4] = { 0x1000, 0x2000, 0, 0 };	/* (vmf, pgmap, order, ret): fakes read as 0 */
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = a, .ctx_size_in = sizeof(a));

	return bpf_prog_test_run_opts(bpf_program__fd(prog), &o);
}

static void sampled_by_bpf(unsigned int mode, bool want_caller)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP, .no_attach = true, .no_thrash = true,
		.stacks = mode,
	};
	struct devmem_session *s = NULL;
	struct devmem_snapshot snap;
	enum devmem_error e = devmem_session_open(&o, &s);
	struct devmem_bpf *skel;
	bool found = false;
	__u64 faults = 0;

	if (e == DEVMEM_E_PERM || e == DEVMEM_E_NO_BTF || e == DEVMEM_E_REFUSED) {
		print_message("skipped: %s\n", devmem_strerror(e));
		skip();
	}
	assert_int_equal(e, DEVMEM_OK);
	skel = devmem_session_skel(s);
	for (int i = 0; i < 3; i++)
		assert_int_equal(devmem_test_faulting_caller(skel->progs.raw_fault), 0);
	devmem_snapshot_init(&snap);
	assert_int_equal(devmem_session_snapshot(s, &snap), 0);
	assert_true(snap.stacks_on);
	for (size_t i = 0; i < snap.nr_stacks; i++) {
		const struct devmem_snap_stack *st = &snap.stacks[i];
		const char *p = st->names;

		assert_int_equal(st->tgid, getpid());
		faults += st->faults;
		for (__u32 d = 0; d < st->depth; d++, p += strlen(p) + 1)
			found = found || !strcmp(p, "devmem_test_faulting_caller");
	}
	assert_int_equal(faults, 3);
	if (want_caller)
		assert_true(found);
	assert_int_equal(snap.lost[DEVMEM_LOST_USTACK_RING] + snap.lost[DEVMEM_LOST_USTACK_NO_REGS] +
			 snap.lost[DEVMEM_LOST_USTACK_UNREADABLE], 0);
	devmem_snapshot_free(&snap);
	devmem_session_close(s);
}

static void test_bpf_sample_dwarf(void **state)
{
	sampled_by_bpf(DEVMEM_STACKS_DWARF, true);
}

static void test_bpf_sample_fp(void **state)
{
	/* libbpf and libc keep no frame pointers: the count, not the names */
	sampled_by_bpf(DEVMEM_STACKS_FP, false);
}

/* ---- a copy of this test that faults, then is gone ---------------------- */

/* the fault program as a child runs it: its fd, then a name to find in its stacks */
__attribute__((noinline)) int devmem_test_faulting_child(int fd)
{
	__u64 a[4] = { 0x1000, 0x2000, 0, 0 };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = a, .ctx_size_in = sizeof(a));

	return bpf_prog_test_run_opts(fd, &o);
}

#define CHILD_FD	100
#define CHILD_FAULTS	3

/* this test's file copied to dst */
static void copy_self(const char *dst)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/* the copy run with mode (--fault, --fault-exec), the fault program as fd CHILD_FD; its pid */
static pid_t run_copy(const char *copy, int fd, const char *mode)
{
	int status;
	pid_t c = fork();

	assert_true(c >= 0);
	if (!c) {
		if (dup2(fd, CHILD_FD) < 0)
			_exit(126);
		execl(copy, copy, mode, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(c, &status, 0), c);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return c;
}

/* the faults of process pid under stacks that name fn, and its faults in all */
static __u64 faults_naming(const struct devmem_snapshot *snap, pid_t pid, const char *fn,
			   __u64 *all)
{
	__u64 n = 0;

	*all = 0;
	for (size_t i = 0; i < snap->nr_stacks; i++) {
		const struct devmem_snap_stack *st = &snap->stacks[i];
		bool named = false;

		if (st->tgid != (__u32)pid)
			continue;
		*all += st->faults;
		for (__u32 d = 0; d < st->depth; d++)
			named = named || !strcmp(devmem_stack_frame(st, d), fn);
		if (getenv("DEVMEM_TEST_VERBOSE"))
			for (__u32 d = 0; d < st->depth; d++)
				fprintf(stderr, "%u: %s [%s]\n", d, devmem_stack_frame(st, d),
					devmem_stack_file(st, d));
		if (named)
			n += st->faults;
	}
	return n;
}

/*
 * A copy of this test faults (BPF_PROG_TEST_RUN from its own function),
 * then exits or exec's, before the session reads a thing; the copy may be
 * deleted then, its debug file under a debug directory. Its stacks still
 * name the function, by the build-id and mappings the BPF side took.
 */
static void gone_copy(const char *mode, bool delete)
{
	char dir[] = "/tmp/devmem-unwind.XXXXXX", copy[128], cmd[512], hex[64], dbg[256];
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP, .no_attach = true, .no_thrash = true,
		.stacks = DEVMEM_STACKS_DWARF, .verbose = getenv("DEVMEM_TEST_VERBOSE") != NULL,
	};
	struct devmem_session *s = NULL;
	struct devmem_snapshot snap;
	struct devmem_bpf *skel;
	enum devmem_error e;
	__u64 all;
	pid_t child;

	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	copy_self(copy);
	setenv("DEVMEM_DEBUG_DIRS", dir, 1);
	e = devmem_session_open(&o, &s);
	unsetenv("DEVMEM_DEBUG_DIRS");
	if (e == DEVMEM_E_PERM || e == DEVMEM_E_NO_BTF || e == DEVMEM_E_REFUSED) {
		unlink(copy);
		rmdir(dir);
		print_message("skipped: %s\n", devmem_strerror(e));
		skip();
	}
	assert_int_equal(e, DEVMEM_OK);
	skel = devmem_session_skel(s);
	child = run_copy(copy, bpf_program__fd(skel->progs.raw_fault), mode);
	if (delete) {
		/* its debug file, named by its build-id, and the copy gone */
		snprintf(cmd, sizeof(cmd), "id=$(readelf -n %s | sed -n 's/.*Build ID: //p') && "
			 "mkdir -p %s/.build-id/$(echo $id | cut -c1-2) && "
			 "objcopy --only-keep-debug %s %s/.build-id/$(echo $id | cut -c1-2)/"
			 "$(echo $id | cut -c3-).debug && echo $id", copy, dir, copy, dir);
		{
			FILE *p = popen(cmd, "r");

			assert_non_null(p);
			assert_non_null(fgets(hex, sizeof(hex), p));
			assert_int_equal(pclose(p), 0);
			hex[strcspn(hex, "\n")] = '\0';
		}
		assert_int_equal(unlink(copy), 0);
	}
	devmem_snapshot_init(&snap);
	assert_int_equal(devmem_session_snapshot(s, &snap), 0);
	assert_int_equal(faults_naming(&snap, child, "devmem_test_faulting_child", &all),
			 CHILD_FAULTS);
	assert_int_equal(all, CHILD_FAULTS);
	assert_int_equal(snap.lost[DEVMEM_LOST_STACK_NO_MAPS], 0);
	devmem_snapshot_free(&snap);
	devmem_session_close(s);
	if (delete) {
		snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
		unlink(dbg);
		snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s", dir, hex);
		rmdir(dbg);
		snprintf(dbg, sizeof(dbg), "%s/.build-id", dir);
		rmdir(dbg);
	} else {
		unlink(copy);
	}
	rmdir(dir);
}

static void test_bpf_exited_and_deleted(void **state)
{
	gone_copy("--fault", true);
}

static void test_bpf_execed(void **state)
{
	gone_copy("--fault-exec", false);
}

/* the copy's part: fault CHILD_FAULTS times, then exit or exec */
static int child_main(const char *mode)
{
	for (int i = 0; i < CHILD_FAULTS; i++)
		if (devmem_test_faulting_child(CHILD_FD))
			return 1;
	if (!strcmp(mode, "--fault-exec"))
		execl("/bin/true", "true", (char *)NULL);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dwarf_own_stack),
		cmocka_unit_test(test_fp_frameless_leaf),
		cmocka_unit_test(test_bpf_sample_dwarf),
		cmocka_unit_test(test_bpf_sample_fp),
		cmocka_unit_test(test_bpf_exited_and_deleted),
		cmocka_unit_test(test_bpf_execed),
	};

	if (argc == 2 && !strncmp(argv[1], "--fault", 7))
		return child_main(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
