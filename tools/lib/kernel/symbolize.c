// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * User-space symbols for the stacks of CPU faults (symbolize.h), with
 * elfutils' libdwfl: a process's address space is taken from its
 * /proc/PID/maps while it lives (a stack may be read after it exited, so
 * the maps are kept), and each mapped ELF file is reported to a Dwfl of
 * that process, which finds the function and offset of an address from the
 * file's symbol table (and its separate debug file where one is installed).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <gelf.h>
#include <elfutils/libdwfl.h>
#include "kernel/symbolize.h"

struct sym_proc {
	__u32 tgid;
	__u64 start_ns;
	Dwfl *dwfl;
	void *unwind;			/* the unwinder's state attached to dwfl (unwind.h) */
	bool failed;			/* maps unreadable: addresses only */
};

struct devmem_symbolizer {
	struct sym_proc *procs;
	size_t nr_procs;
	char *debuginfo_path;
	Dwfl_Callbacks cb;
};

struct devmem_symbolizer *devmem_sym_new(void)
{
	struct devmem_symbolizer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->cb.find_elf = dwfl_build_id_find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.section_address = dwfl_offline_section_address;
	s->cb.debuginfo_path = &s->debuginfo_path;
	return s;
}

void devmem_sym_free(struct devmem_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		if (s->procs[i].dwfl)
			dwfl_end(s->procs[i].dwfl);
	free(s->procs);
	free(s);
}

static struct sym_proc *find(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns)
{
	for (size_t i = s->nr_procs; i-- > 0;)
		if (s->procs[i].tgid == tgid && s->procs[i].start_ns == start_ns)
			return &s->procs[i];
	return NULL;
}

/*
 * The load bias of an ELF file whose bytes from offset off are mapped at
 * start: the program header segment holding off says which address the
 * file meant for them (0 for an executable linked at fixed addresses).
 */
static bool load_bias(const char *path, __u64 start, __u64 off, GElf_Addr *bias)
{
	bool found = false;
	size_t n = 0;
	Elf *elf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (elf && !elf_getphdrnum(elf, &n)) {
		for (size_t i = 0; i < n && !found; i++) {
			GElf_Phdr ph;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD ||
			    off < ph.p_offset || off >= ph.p_offset + ph.p_filesz)
				continue;
			*bias = start - (ph.p_vaddr + (off - ph.p_offset));
			found = true;
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/*
 * One line of /proc/PID/maps: "start-end perms offset dev inode path".
 * Executable mappings of a file are what a user stack points into.
 */
static void report_line(Dwfl *dwfl, const char *line)
{
	unsigned long long start, end, off;
	char perms[8], path[4096];
	GElf_Addr bias;
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &n) < 4 ||
	    !n || perms[2] != 'x')
		return;
	if (sscanf(line + n, "%4095[^\n]", path) != 1 || path[0] != '/')
		return;
	if (load_bias(path, start, off, &bias))
		dwfl_report_elf(dwfl, path, path, -1, bias, false);
}

int devmem_sym_add_maps(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, FILE *maps)
{
	struct sym_proc *p = find(s, tgid, start_ns);
	char line[4200];
	void *n;

	if (p)
		return 0;
	n = realloc(s->procs, (s->nr_procs + 1) * sizeof(*s->procs));
	if (!n)
		return -ENOMEM;
	s->procs = n;
	p = &s->procs[s->nr_procs++];
	memset(p, 0, sizeof(*p));
	p->tgid = tgid;
	p->start_ns = start_ns;
	p->dwfl = dwfl_begin(&s->cb);
	if (!p->dwfl) {
		p->failed = true;
		return 0;
	}
	dwfl_report_begin(p->dwfl);
	while (fgets(line, sizeof(line), maps))
		report_line(p->dwfl, line);
	dwfl_report_end(p->dwfl, NULL, NULL);
	return 0;
}

void devmem_sym_forget(struct devmem_symbolizer *s,
		       bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr_procs; i++) {
		struct sym_proc *p = &s->procs[i];

		if (keep(ctx, p->tgid, p->start_ns)) {
			s->procs[n++] = *p;
			continue;
		}
		if (p->dwfl)
			dwfl_end(p->dwfl);
	}
	s->nr_procs = n;
}

int devmem_sym_capture_from(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 from)
{
	char path[64];
	FILE *f;
	int c, err;

	if (find(s, tgid, start_ns))
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/maps", from);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	/* a process that exited but was not reaped yet has no maps left */
	c = getc(f);
	if (c == EOF) {
		fclose(f);
		return -ESRCH;
	}
	ungetc(c, f);
	err = devmem_sym_add_maps(s, tgid, start_ns, f);
	fclose(f);
	return err;
}

int devmem_sym_capture(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns)
{
	return devmem_sym_capture_from(s, tgid, start_ns, tgid);
}

Dwfl *devmem_sym_dwfl(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, void ***unwind)
{
	struct sym_proc *p = find(s, tgid, start_ns);

	if (!p || p->failed || !p->dwfl)
		return NULL;
	*unwind = &p->unwind;
	return p->dwfl;
}

const char *devmem_sym_name(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u64 addr,
			    char *buf, size_t len)
{
	struct sym_proc *p = find(s, tgid, start_ns);
	Dwfl_Module *mod;
	GElf_Off off = 0;
	GElf_Sym sym;
	Dwarf_Addr start = 0;
	const char *name;

	if (p && !p->failed && (mod = dwfl_addrmodule(p->dwfl, addr))) {
		name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
		if (name) {
			snprintf(buf, len, "%s", name);
			return buf;
		}
		/* in a file without that symbol: the file's base name and the offset in it */
		name = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
		if (name) {
			const char *b = strrchr(name, '/');

			snprintf(buf, len, "%s+0x%" PRIx64, b ? b + 1 : name,
				 (uint64_t)(addr - start));
			return buf;
		}
	}
	snprintf(buf, len, "0x%" PRIx64, (uint64_t)addr);
	return buf;
}
