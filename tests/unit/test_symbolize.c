// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * User-space symbols from a process's maps and from the mappings the BPF
 * side sends (tools/lib/kernel/symbolize.c), by build-id when the file is
 * gone.
 */
#include <dlfcn.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include "kernel/symbolize.h"

__attribute__((noinline)) int devmem_test_target(int x)
{
	return x * 3 + 1;
}

/* this test's own functions, from its live maps, and from kept ones */
static void test_own_functions(void **state)
{
	struct devmem_symbolizer *s = devmem_sym_new(NULL);
	char buf[128], *maps = NULL;
	size_t len = 0;
	__u64 addr = (__u64)(uintptr_t)&devmem_test_target;
	FILE *f, *kept;
	int c;

	assert_non_null(s);
	assert_int_equal(devmem_sym_capture(s, (__u32)getpid(), 1, 0), 0);
	assert_string_equal(devmem_sym_name(s, getpid(), 1, 0, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	/* inside the function, not only at its start */
	assert_string_equal(devmem_sym_name(s, getpid(), 1, 0, addr + 4, buf, sizeof(buf)),
			    "devmem_test_target");
	/* a function of a shared library (libc names it __getpid or getpid) */
	assert_non_null(strstr(devmem_sym_name(s, getpid(), 1, 0, (__u64)(uintptr_t)&getpid, buf,
					       sizeof(buf)), "getpid"));
	/* nothing mapped there: the address */
	assert_string_equal(devmem_sym_name(s, getpid(), 1, 0, 0x10, buf, sizeof(buf)), "0x10");
	/* an unknown process: the address */
	assert_string_equal(devmem_sym_name(s, 1, 7, 0, addr, buf, sizeof(buf))[0] == '0' ? "ok" : buf,
			    "ok");
	/* maps kept as text serve a process that is gone */
	f = fopen("/proc/self/maps", "r");
	kept = open_memstream(&maps, &len);
	assert_non_null(f);
	assert_non_null(kept);
	while ((c = fgetc(f)) != EOF)
		fputc(c, kept);
	fclose(f);
	fclose(kept);
	f = fmemopen(maps, len, "r");
	assert_int_equal(devmem_sym_add_maps(s, 424242, 9, 0, f), 0);
	fclose(f);
	assert_string_equal(devmem_sym_name(s, 424242, 9, 0, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	free(maps);
	assert_int_equal(devmem_test_target(1), 4);
	devmem_sym_free(s);
}

/*
 * hostile maps lines are skipped, never crash; a file that cannot be
 * opened is named by its base name and the offset in it
 */
static void test_bad_maps(void **state)
{
	static const char text[] =
		"zzzz\n"
		"1000-2000 r-xp 00000000 00:00 0 /nonexistent/file\n"
		"3000-2000 r-xp\n"
		"4000-5000 r-xp 0 0:0 0 relative/path\n";
	struct devmem_symbolizer *s = devmem_sym_new(NULL);
	char buf[64];
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");

	assert_int_equal(devmem_sym_add_maps(s, 5, 5, 0, f), 0);
	fclose(f);
	assert_string_equal(devmem_sym_name(s, 5, 5, 0, 0x1500, buf, sizeof(buf)), "file+0x500");
	assert_string_equal(devmem_sym_name(s, 5, 5, 0, 0x4500, buf, sizeof(buf)), "0x4500");
	devmem_sym_free(s);
}

/* the build-id of this test's own file */
static __u32 own_build_id(__u8 *out)
{
	int fd = open("/proc/self/exe", O_RDONLY);
	Elf *elf;
	const void *id = NULL;
	ssize_t n;

	assert_true(fd >= 0);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	assert_true(n > 0 && n <= DEVMEM_BUILD_ID_MAX);
	memcpy(out, id, (size_t)n);
	elf_end(elf);
	close(fd);
	return (__u32)n;
}

/*
 * A mapping record as the BPF side sends it, for the executable mapping of
 * this test's own file that holds addr, its path given as path (file first).
 */
static void own_map(__u64 addr, const char *path, struct devmem_stack_map *m)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char line[4200], perms[8];
	const char *c[32];
	char copy[512], *save = NULL, *t;
	size_t n = 0, pos = 0;

	memset(m, 0, sizeof(*m));
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &start, &end, perms, &off, &maj,
			   &min, &ino) == 7 && perms[2] == 'x' && addr >= start && addr < end)
			break;
	fclose(f);
	assert_true(addr >= start && addr < end);
	m->type = DEVMEM_USTACK_MAP;
	m->start = start;
	m->end = end;
	m->pgoff = off;
	m->ino = ino;
	m->dev = (maj << 20) | min;
	snprintf(copy, sizeof(copy), "%s", path);
	for (t = strtok_r(copy, "/", &save); t && n < 32; t = strtok_r(NULL, "/", &save))
		c[n++] = t;
	while (n-- > 0) {
		size_t len = strlen(c[n]) + 1;

		memcpy(m->path + pos, c[n], len);
		pos += len;
	}
	m->path_len = (__u32)pos;
}

/*
 * Mappings from the BPF side: named, located by build-id and offset, and
 * named again from the location alone.
 */
static void test_map_records(void **state)
{
	struct devmem_symbolizer *s = devmem_sym_new(NULL);
	__u64 addr = (__u64)(uintptr_t)&devmem_test_target;
	struct devmem_stack_map m;
	struct devmem_frame_loc loc;
	__u8 id[DEVMEM_BUILD_ID_MAX];
	char exe[4096], buf[128];
	const char *path;
	Dl_info dl;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	own_map(addr, exe, &m);
	m.tgid = 4242421;
	m.start_ns = 5;
	m.layout = 77;
	m.build_id_len = own_build_id(m.build_id);
	memcpy(id, m.build_id, m.build_id_len);
	assert_int_equal(devmem_sym_add_map(s, &m), 0);
	assert_true(devmem_sym_known(s, 4242421, 5, 77));
	assert_false(devmem_sym_known(s, 4242421, 5, 78));
	assert_true(devmem_sym_covers(s, 4242421, 5, 77, addr));
	assert_false(devmem_sym_covers(s, 4242421, 5, 77, 0x10));
	assert_string_equal(devmem_sym_name(s, 4242421, 5, 77, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	devmem_sym_where(s, 4242421, 5, 77, addr, &loc, &path);
	assert_string_equal(path, exe);
	assert_int_equal(loc.build_id_len, m.build_id_len);
	assert_memory_equal(loc.build_id, id, m.build_id_len);
	/* the address in the file's own addresses: what addr2line -e FILE takes */
	assert_true(dladdr((void *)(uintptr_t)addr, &dl));
	assert_int_equal(loc.offset, addr - (__u64)(uintptr_t)dl.dli_fbase);
	assert_int_equal(loc.flags, 0);
	assert_string_equal(devmem_sym_name_at(s, &loc, NULL, buf, sizeof(buf)),
			    "devmem_test_target");
	/* outside every mapping: the address, no build-id */
	devmem_sym_where(s, 4242421, 5, 77, 0x10, &loc, &path);
	assert_int_equal(loc.build_id_len, 0);
	assert_int_equal(loc.offset, 0x10);
	assert_null(devmem_sym_name_at(s, &loc, NULL, buf, sizeof(buf)));
	/* no build-id from the kernel: the file is taken by its inode */
	m.layout = 78;
	m.build_id_len = 0;
	assert_int_equal(devmem_sym_add_map(s, &m), 0);
	devmem_sym_where(s, 4242421, 5, 78, addr, &loc, &path);
	assert_int_equal(loc.build_id_len, sizeof(id) > 0 ? own_build_id(id) : 0);
	assert_string_equal(devmem_sym_name(s, 4242421, 5, 78, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	devmem_sym_free(s);
}

/* cp SRC DST */
static void copy_file(const char *src, const char *dst)
{
	char buf[65536];
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

/*
 * A file deleted after its mapping was learnt is named from what was
 * read (the file kept open); a symbolizer that never saw it finds it by
 * build-id among the debug files, and nowhere else.
 */
static void test_deleted_file(void **state)
{
	char dir[] = "/tmp/devmem-sym.XXXXXX", copy[128], dbg[256], hex[64], buf[128];
	__u64 addr = (__u64)(uintptr_t)&devmem_test_target;
	struct devmem_symbolizer *s = devmem_sym_new(NULL), *later;
	struct devmem_stack_map m;
	struct devmem_frame_loc loc;
	const char *path;

	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	copy_file("/proc/self/exe", copy);
	own_map(addr, copy, &m);
	/* a process that is gone: its map_files are not there, the copy is found by build-id */
	m.tgid = 0x7ffffff0;
	m.start_ns = 1;
	m.build_id_len = own_build_id(m.build_id);
	assert_int_equal(devmem_sym_add_map(s, &m), 0);
	assert_int_equal(unlink(copy), 0);
	assert_string_equal(devmem_sym_name(s, m.tgid, 1, 0, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	devmem_sym_where(s, m.tgid, 1, 0, addr, &loc, &path);
	assert_string_equal(path, copy);
	assert_string_equal(devmem_sym_name_at(s, &loc, copy, buf, sizeof(buf)),
			    "devmem_test_target");
	devmem_sym_free(s);

	/* later, elsewhere: the file is gone, its debug file is under .build-id */
	snprintf(dbg, sizeof(dbg), "%s/.build-id", dir);
	assert_int_equal(mkdir(dbg, 0755), 0);
	for (__u32 i = 0; i < loc.build_id_len; i++)
		snprintf(hex + 2 * i, 3, "%02x", loc.build_id[i]);
	later = devmem_sym_new(dir);
	assert_null(devmem_sym_name_at(later, &loc, copy, buf, sizeof(buf)));
	devmem_sym_free(later);
	snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s", dir, hex);
	assert_int_equal(mkdir(dbg, 0755), 0);
	snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
	copy_file("/proc/self/exe", dbg);
	later = devmem_sym_new(dir);
	assert_string_equal(devmem_sym_name_at(later, &loc, copy, buf, sizeof(buf)),
			    "devmem_test_target");
	/* a process whose file is gone and was never read: its debug file names it */
	m.tgid = 0x7ffffff1;
	assert_int_equal(devmem_sym_add_map(later, &m), 0);
	assert_string_equal(devmem_sym_name(later, m.tgid, 1, 0, addr, buf, sizeof(buf)),
			    "devmem_test_target");
	devmem_sym_free(later);
	unlink(dbg);
	snprintf(dbg, sizeof(dbg), "%s/.build-id/%.2s", dir, hex);
	rmdir(dbg);
	snprintf(dbg, sizeof(dbg), "%s/.build-id", dir);
	rmdir(dbg);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_own_functions),
		cmocka_unit_test(test_bad_maps),
		cmocka_unit_test(test_map_records),
		cmocka_unit_test(test_deleted_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
