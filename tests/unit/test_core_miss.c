// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A field that one optional helper reads, missing from the kernel: the BPF
 * object is relocated against a copy of the running kernel's BTF in which
 * struct page has neither compound_head (up to v7.2) nor compound_info
 * (v7.3), and every program must still load (only the helper that reads
 * the field gives up: page_head() finds no head). On 7.3 a CO-RE miss of
 * compound_head in one helper made the verifier refuse every program.
 * The programs are the raw_tp ones the host can load; skips, saying why,
 * without root or BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/errors.h"
#include "kernel/session.h"

/*
 * Rename the member called name of the struct or union id, or of the
 * anonymous members inside it, to new_off; the number renamed.
 */
static int rename_member(struct btf *btf, __u32 id, const char *name, __u32 new_off, int depth)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	struct btf_member *m;
	int n = 0;

	if (!t || depth > 4 || (!btf_is_struct(t) && !btf_is_union(t)))
		return 0;
	m = (struct btf_member *)btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *mn = btf__name_by_offset(btf, m->name_off);

		if (mn && !strcmp(mn, name)) {
			m->name_off = new_off;
			n++;
		} else if (!mn || !mn[0]) {
			n += rename_member(btf, btf__resolve_type(btf, m->type), name, new_off,
					   depth + 1);
		}
	}
	return n;
}

/* the kernel's BTF without struct page's compound head field, written to path */
static int btf_without_compound_head(const char *path)
{
	struct btf *btf = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	const void *raw;
	__u32 size;
	int off, id, renamed = 0;
	FILE *f;

	if (!btf)
		return -errno;
	/* adding a string makes the BTF modifiable: look the types up after it */
	off = btf__add_str(btf, "compound_gone");
	id = btf__find_by_name_kind(btf, "page", BTF_KIND_STRUCT);
	if (off < 0 || id < 0) {
		btf__free(btf);
		return -ENOENT;
	}
	renamed += rename_member(btf, id, "compound_head", off, 0);
	renamed += rename_member(btf, id, "compound_info", off, 0);
	raw = btf__raw_data(btf, &size);
	f = fopen(path, "w");
	if (!raw || !f || fwrite(raw, 1, size, f) != size) {
		if (f)
			fclose(f);
		btf__free(btf);
		return -EIO;
	}
	fclose(f);
	btf__free(btf);
	return renamed;
}

static enum devmem_error open_with(const char *btf_path)
{
	struct devmem_opts o = {
		.force_mode = DEVMEM_MODE_RAW_TP,
		.no_attach = true,
		.hist_per_device = true,
		.hist_per_process = true,
		.stacks = true,		/* every optional path through the verifier */
		.btf_path = btf_path,
		.verbose = getenv("DEVMEM_TEST_VERBOSE") != NULL,
	};
	struct devmem_session *s;
	enum devmem_error e = devmem_session_open(&o, &s);

	if (!e)
		devmem_session_close(s);
	return e;
}

static void test_missing_field_costs_only_itself(void **state)
{
	char path[] = "/tmp/devmem-btf.XXXXXX";
	enum devmem_error e;
	int fd, renamed;

	e = open_with(NULL);
	if (e == DEVMEM_E_PERM || e == DEVMEM_E_NO_BTF || e == DEVMEM_E_REFUSED) {
		print_message("skipped: %s\n", devmem_strerror(e));
		skip();
	}
	assert_int_equal(e, DEVMEM_OK);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	renamed = btf_without_compound_head(path);
	if (renamed < 0)
		unlink(path);
	assert_true(renamed >= 1);
	/* the programs load, on a kernel where page_head() finds no field */
	e = open_with(path);
	unlink(path);
	if (e)
		fail_msg("with struct page's compound head field missing the load failed: %s "
			 "(rerun with DEVMEM_TEST_VERBOSE=1)", devmem_strerror(e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_field_costs_only_itself),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
