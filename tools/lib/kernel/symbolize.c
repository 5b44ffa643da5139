// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * User-space symbols for the stacks of CPU faults (symbolize.h), with
 * elfutils' libdwfl. A process's layout (its address space between two
 * execs) is a list of executable file mappings, each pointing at a file
 * known by its build-id. A file is opened when its mapping is learnt,
 * while the process most likely still lives (through /proc/PID/map_files,
 * or its path, checked by build-id or inode), and kept open: a file
 * deleted or replaced since still reads as it was. Without it, the debug
 * directories are searched by build-id. Each layout has a Dwfl with its
 * files at their load addresses (names, and the CFI for the unwinder);
 * each file has one of its own at its link-time addresses, which names an
 * offset in it (recordings).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include "kernel/symbolize.h"

#define MAX_FILES	4096	/* files kept open at most; more are named by path */

/* an ELF file, by build-id */
struct sym_file {
	__u8 build_id[DEVMEM_BUILD_ID_MAX];
	__u32 build_id_len;
	char *path;			/* where it was found */
	int fd;				/* kept open; -1: not any more */
	bool debug;			/* a separate debug file (its symbols, maybe no code) */
	Dwfl *alone;			/* the file alone at its link-time addresses */
	Dwfl_Module *alone_mod;
	bool alone_failed;
};

struct sym_map {
	__u64 start, end, pgoff;
	char *path;			/* its file's path in the process ("" unknown) */
	__u8 build_id[DEVMEM_BUILD_ID_MAX];
	__u32 build_id_len;
	struct sym_file *file;		/* NULL: not found */
	GElf_Addr bias;			/* where the file is loaded, with file */
	bool has_bias;
	bool reported;			/* in the layout's Dwfl */
};

struct sym_proc {
	__u32 tgid, layout;
	__u64 start_ns;
	struct sym_map *maps;
	size_t nr_maps;
	Dwfl *dwfl;
	void *unwind;			/* the unwinder's state attached to dwfl (unwind.h) */
	bool dwfl_failed;
	bool captured;			/* /proc/PID/maps read once */
};

struct devmem_symbolizer {
	struct sym_proc **procs;
	size_t nr_procs;
	struct sym_file **files;
	size_t nr_files, nr_open;
	char *debug_dirs;		/* ':'-separated */
	char *debuginfo_path;		/* libdwfl's: ":.debug:" then debug_dirs */
	Dwfl_Callbacks cb;
	long page_size;
};

struct devmem_symbolizer *devmem_sym_new(const char *debug_dirs)
{
	struct devmem_symbolizer *s = calloc(1, sizeof(*s));
	const char *d = debug_dirs ? debug_dirs : getenv("DEVMEM_DEBUG_DIRS");

	if (!s)
		return NULL;
	if (!d || !*d)
		d = "/usr/lib/debug";
	s->debug_dirs = strdup(d);
	if (!s->debug_dirs || asprintf(&s->debuginfo_path, ":.debug:%s", d) < 0) {
		free(s->debug_dirs);
		free(s);
		return NULL;
	}
	s->cb.find_elf = dwfl_build_id_find_elf;
	s->cb.find_debuginfo = dwfl_standard_find_debuginfo;
	s->cb.section_address = dwfl_offline_section_address;
	s->cb.debuginfo_path = &s->debuginfo_path;
	s->page_size = sysconf(_SC_PAGESIZE);
	if (s->page_size <= 0)
		s->page_size = 4096;
	elf_version(EV_CURRENT);
	return s;
}

static void proc_free(struct sym_proc *p)
{
	if (p->dwfl)
		dwfl_end(p->dwfl);
	for (size_t i = 0; i < p->nr_maps; i++)
		free(p->maps[i].path);
	free(p->maps);
	free(p);
}

void devmem_sym_free(struct devmem_symbolizer *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nr_procs; i++)
		proc_free(s->procs[i]);
	for (size_t i = 0; i < s->nr_files; i++) {
		struct sym_file *f = s->files[i];

		if (f->alone)
			dwfl_end(f->alone);
		if (f->fd >= 0)
			close(f->fd);
		free(f->path);
		free(f);
	}
	free(s->procs);
	free(s->files);
	free(s->debug_dirs);
	free(s->debuginfo_path);
	free(s);
}

static struct sym_proc *find_proc(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns,
				  __u32 layout)
{
	for (size_t i = s->nr_procs; i-- > 0;) {
		struct sym_proc *p = s->procs[i];

		if (p->tgid == tgid && p->start_ns == start_ns && p->layout == layout)
			return p;
	}
	return NULL;
}

static struct sym_proc *get_proc(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns,
				 __u32 layout)
{
	struct sym_proc *p = find_proc(s, tgid, start_ns, layout), **n;

	if (p)
		return p;
	n = realloc(s->procs, (s->nr_procs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	s->procs = n;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->start_ns = start_ns;
	p->layout = layout;
	s->procs[s->nr_procs++] = p;
	return p;
}

/* ---- files ------------------------------------------------------------------ */

/* the GNU build-id of an open ELF file: its length (0: none) */
static __u32 fd_build_id(int fd, __u8 *out)
{
	const void *id = NULL;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	ssize_t n = elf ? dwelf_elf_gnu_build_id(elf, &id) : -1;
	__u32 len = 0;

	if (n > 0 && n <= DEVMEM_BUILD_ID_MAX) {
		memcpy(out, id, (size_t)n);
		len = (__u32)n;
	}
	if (elf)
		elf_end(elf);
	return len;
}

static struct sym_file *file_by_id(struct devmem_symbolizer *s, const __u8 *id, __u32 len)
{
	if (!len)
		return NULL;
	for (size_t i = 0; i < s->nr_files; i++)
		if (s->files[i]->build_id_len == len && !memcmp(s->files[i]->build_id, id, len))
			return s->files[i];
	return NULL;
}

/* a new file known by fd (taken) and found at path; NULL out of memory */
static struct sym_file *file_add(struct devmem_symbolizer *s, int fd, const char *path,
				 const __u8 *id, __u32 len, bool debug)
{
	struct sym_file *f = calloc(1, sizeof(*f)), **n;

	n = f ? realloc(s->files, (s->nr_files + 1) * sizeof(*n)) : NULL;
	if (!n || !(f->path = strdup(path))) {
		free(f);
		close(fd);
		return NULL;
	}
	s->files = n;
	memcpy(f->build_id, id, len);
	f->build_id_len = len;
	f->debug = debug;
	/* beyond the bound, files are named through their path alone */
	if (s->nr_open < MAX_FILES) {
		f->fd = fd;
		s->nr_open++;
	} else {
		f->fd = -1;
		close(fd);
	}
	s->files[s->nr_files++] = f;
	return f;
}

/* open path if it is the file wanted (by build-id, else by inode); the fd or -1 */
static int open_checked(const char *path, const __u8 *id, __u32 len, __u64 ino, __u32 dev,
			__u8 *got, __u32 *got_len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	*got_len = fd_build_id(fd, got);
	if (len ? (*got_len == len && !memcmp(got, id, len)) :
	    (ino && !fstat(fd, &st) && st.st_ino == ino &&
	     (!dev || (major(st.st_dev) == dev >> 20 && minor(st.st_dev) == (dev & 0xfffff)))))
		return fd;
	close(fd);
	return -1;
}

/* the debug file of a build-id under the debug directories; the fd or -1 */
static int open_debug(struct devmem_symbolizer *s, const __u8 *id, __u32 len, char *path,
		      size_t plen)
{
	char hex[2 * DEVMEM_BUILD_ID_MAX + 1], *dirs, *dir, *save = NULL;
	__u8 got[DEVMEM_BUILD_ID_MAX];
	__u32 got_len;
	int fd = -1;

	if (len < 2)
		return -1;
	for (__u32 i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", id[i]);
	dirs = strdup(s->debug_dirs);
	for (dir = dirs ? strtok_r(dirs, ":", &save) : NULL; dir && fd < 0;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, plen, "%s/.build-id/%.2s/%s.debug", dir, hex, hex + 2);
		fd = open_checked(path, id, len, 0, 0, got, &got_len);
	}
	free(dirs);
	return fd;
}

/*
 * The file of a mapping: one known by its build-id, else the mapped file
 * itself (map_files while the process lives, else its path), else a debug
 * file by build-id. NULL when none is found.
 */
static struct sym_file *file_for(struct devmem_symbolizer *s, __u32 tgid, const struct sym_map *m,
				 __u64 ino, __u32 dev)
{
	__u8 got[DEVMEM_BUILD_ID_MAX];
	__u32 got_len = 0;
	char mf[96], dbg[4096];
	struct sym_file *f = file_by_id(s, m->build_id, m->build_id_len);
	int fd = -1;

	if (f)
		return f;
	snprintf(mf, sizeof(mf), "/proc/%u/map_files/%llx-%llx", tgid,
		 (unsigned long long)m->start, (unsigned long long)m->end);
	if (m->build_id_len || ino) {
		fd = open_checked(mf, m->build_id, m->build_id_len, ino, 0, got, &got_len);
		if (fd < 0 && m->path[0] == '/')
			fd = open_checked(m->path, m->build_id, m->build_id_len, ino, dev, got,
					  &got_len);
	}
	if (fd >= 0) {
		/* a file without a build-id is known by its path alone */
		f = file_by_id(s, got, got_len);
		if (f) {
			close(fd);
			return f;
		}
		return file_add(s, fd, m->path[0] ? m->path : mf, got, got_len, false);
	}
	fd = open_debug(s, m->build_id, m->build_id_len, dbg, sizeof(dbg));
	return fd >= 0 ? file_add(s, fd, dbg, m->build_id, m->build_id_len, true) : NULL;
}

/* ---- mappings ----------------------------------------------------------------- */

/*
 * The load bias of file f, whose bytes from the page-aligned offset pgoff
 * are mapped executable from start to end: the PT_LOAD segment holding
 * pgoff says which address the file meant for them. A separate debug file
 * keeps the segments' addresses, not their offsets: there the executable
 * segment the mapping's size fits is the one.
 */
static bool load_bias(const struct devmem_symbolizer *s, const struct sym_file *f, __u64 start,
		      __u64 end, __u64 pgoff, GElf_Addr *bias)
{
	__u64 page = (__u64)s->page_size;
	bool found = false;
	size_t n = 0;
	Elf *elf;
	int fd = f->fd >= 0 ? f->fd : open(f->path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && !elf_getphdrnum(elf, &n)) {
		for (size_t i = 0; i < n && !found; i++) {
			GElf_Phdr ph;
			__u64 seg, lo, hi;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			if (f->debug) {
				lo = ph.p_vaddr & ~(page - 1);
				hi = (ph.p_vaddr + ph.p_memsz + page - 1) & ~(page - 1);
				if (!(ph.p_flags & PF_X) || hi - lo < end - start)
					continue;
				*bias = start - lo;
				found = true;
				continue;
			}
			seg = ph.p_offset & ~(page - 1);
			if (pgoff < seg || pgoff >= ph.p_offset + ph.p_filesz)
				continue;
			*bias = start - (ph.p_vaddr + pgoff - ph.p_offset);
			found = true;
		}
	}
	if (elf)
		elf_end(elf);
	if (fd != f->fd)
		close(fd);
	return found;
}

static int add_map(struct devmem_symbolizer *s, struct sym_proc *p, __u64 start, __u64 end,
		   __u64 pgoff, const char *path, const __u8 *id, __u32 len, __u64 ino, __u32 dev)
{
	struct sym_map *m, *n;

	if (end <= start)
		return 0;
	for (size_t i = 0; i < p->nr_maps; i++)
		if (p->maps[i].start == start && p->maps[i].end == end)
			return 0;
	n = realloc(p->maps, (p->nr_maps + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->maps = n;
	m = &p->maps[p->nr_maps];
	memset(m, 0, sizeof(*m));
	m->start = start;
	m->end = end;
	m->pgoff = pgoff;
	m->path = strdup(path);
	if (!m->path)
		return -ENOMEM;
	if (len > DEVMEM_BUILD_ID_MAX)
		len = DEVMEM_BUILD_ID_MAX;
	memcpy(m->build_id, id, len);
	m->build_id_len = len;
	m->file = file_for(s, p->tgid, m, ino, dev);
	if (m->file)
		m->has_bias = load_bias(s, m->file, start, end, pgoff, &m->bias);
	if (m->file && !m->build_id_len) {
		memcpy(m->build_id, m->file->build_id, m->file->build_id_len);
		m->build_id_len = m->file->build_id_len;
	}
	p->nr_maps++;
	return 0;
}

/* the path of a DEVMEM_USTACK_MAP record: its components, file first, joined root first */
static void map_path(const struct devmem_stack_map *m, char *out, size_t len)
{
	const char *c[64];
	size_t n = 0, used = m->path_len < sizeof(m->path) ? m->path_len : sizeof(m->path), o = 0;

	for (size_t i = 0; i < used && n < 64;) {
		const char *e = memchr(m->path + i, '\0', used - i);

		if (!e)
			break;
		c[n++] = m->path + i;
		i = (size_t)(e - m->path) + 1;
	}
	out[0] = '\0';
	while (n-- > 0 && o + 1 < len)
		o += (size_t)snprintf(out + o, len - o, "/%s", c[n]);
}

int devmem_sym_add_map(struct devmem_symbolizer *s, const struct devmem_stack_map *m)
{
	struct sym_proc *p = get_proc(s, m->tgid, m->start_ns, m->layout);
	char path[4096];

	if (!p)
		return -ENOMEM;
	map_path(m, path, sizeof(path));
	return add_map(s, p, m->start, m->end, m->pgoff, path, m->build_id,
		       m->build_id_len, m->ino, m->dev);
}

/*
 * One line of /proc/PID/maps: "start-end perms offset dev inode path".
 * Executable mappings of a file are what a user stack points into.
 */
static int add_line(struct devmem_symbolizer *s, struct sym_proc *p, const char *line)
{
	unsigned long long start, end, off, ino;
	unsigned int maj, min;
	char perms[8], path[4096];
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off, &maj, &min,
		   &ino, &n) < 7 || !n || perms[2] != 'x')
		return 0;
	if (sscanf(line + n, "%4095[^\n]", path) != 1 || path[0] != '/')
		return 0;
	return add_map(s, p, start, end, off, path, NULL, 0, ino, (maj << 20) | min);
}

int devmem_sym_add_maps(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
			FILE *maps)
{
	struct sym_proc *p = get_proc(s, tgid, start_ns, layout);
	char line[4200];
	int err = 0;

	if (!p)
		return -ENOMEM;
	p->captured = true;
	while (!err && fgets(line, sizeof(line), maps))
		err = add_line(s, p, line);
	return err;
}

int devmem_sym_capture(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout)
{
	struct sym_proc *p = find_proc(s, tgid, start_ns, layout);
	char path[64];
	FILE *f;
	int c, err;

	if (p && p->captured)
		return 0;
	snprintf(path, sizeof(path), "/proc/%u/maps", tgid);
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
	err = devmem_sym_add_maps(s, tgid, start_ns, layout, f);
	fclose(f);
	return err;
}

bool devmem_sym_known(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout)
{
	struct sym_proc *p = find_proc(s, tgid, start_ns, layout);

	return p && p->nr_maps;
}

static const struct sym_map *map_at(const struct sym_proc *p, __u64 addr)
{
	for (size_t i = 0; p && i < p->nr_maps; i++)
		if (addr >= p->maps[i].start && addr < p->maps[i].end)
			return &p->maps[i];
	return NULL;
}

bool devmem_sym_covers(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
		       __u64 addr)
{
	return map_at(find_proc(s, tgid, start_ns, layout), addr) != NULL;
}

void devmem_sym_forget(struct devmem_symbolizer *s,
		       bool (*keep)(void *ctx, __u32 tgid, __u64 start_ns), void *ctx)
{
	size_t n = 0;

	for (size_t i = 0; i < s->nr_procs; i++) {
		struct sym_proc *p = s->procs[i];

		if (keep(ctx, p->tgid, p->start_ns))
			s->procs[n++] = p;
		else
			proc_free(p);
	}
	s->nr_procs = n;
}

/* ---- Dwfl ----------------------------------------------------------------------- */

/* an fd of file f to give away (libdwfl closes it), or -1 to open its path */
static int file_fd(const struct sym_file *f)
{
	return f->fd >= 0 ? fcntl(f->fd, F_DUPFD_CLOEXEC, 0) : -1;
}

/* the maps of p not yet in its Dwfl reported to it */
static void report_maps(struct devmem_symbolizer *s, struct sym_proc *p)
{
	bool any = false;

	for (size_t i = 0; i < p->nr_maps; i++)
		any = any || (!p->maps[i].reported && p->maps[i].file);
	if (!any)
		return;
	dwfl_report_begin_add(p->dwfl);
	for (size_t i = 0; i < p->nr_maps; i++) {
		struct sym_map *m = &p->maps[i];
		const char *name = m->path[0] ? m->path : m->file ? m->file->path : "";
		int fd;

		if (m->reported || !m->file || !m->has_bias)
			continue;
		m->reported = true;
		fd = file_fd(m->file);
		if (fd < 0 && m->file->fd >= 0)
			continue;
		if (!dwfl_report_elf(p->dwfl, name, m->file->path, fd, m->bias, false) && fd >= 0)
			close(fd);
	}
	dwfl_report_end(p->dwfl, NULL, NULL);
}

static Dwfl *proc_dwfl(struct devmem_symbolizer *s, struct sym_proc *p)
{
	if (!p || !p->nr_maps || p->dwfl_failed)
		return NULL;
	if (!p->dwfl) {
		p->dwfl = dwfl_begin(&s->cb);
		if (!p->dwfl) {
			p->dwfl_failed = true;
			return NULL;
		}
	}
	report_maps(s, p);
	return p->dwfl;
}

Dwfl *devmem_sym_dwfl(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
		      void ***unwind)
{
	struct sym_proc *p = find_proc(s, tgid, start_ns, layout);
	Dwfl *d = proc_dwfl(s, p);

	if (d)
		*unwind = &p->unwind;
	return d;
}

/* the function at addr of a module, or its file and offset; NULL: neither */
static const char *module_name(Dwfl_Module *mod, __u64 addr, __u64 file_off, char *buf,
			       size_t len)
{
	GElf_Off off = 0;
	GElf_Sym sym;
	const char *name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL), *b;

	if (name) {
		snprintf(buf, len, "%s", name);
		return buf;
	}
	/* in a file without that symbol: the file's base name and the offset in it */
	name = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (!name)
		return NULL;
	b = strrchr(name, '/');
	snprintf(buf, len, "%s+0x%" PRIx64, b ? b + 1 : name, (uint64_t)file_off);
	return buf;
}

/* where addr is in m's file: its address there, else its offset */
static __u64 map_offset(const struct sym_map *m, __u64 addr)
{
	return m->has_bias ? addr - m->bias : addr - m->start + m->pgoff;
}

const char *devmem_sym_name(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns,
			    __u32 layout, __u64 addr, char *buf, size_t len)
{
	struct sym_proc *p = find_proc(s, tgid, start_ns, layout);
	const struct sym_map *m = map_at(p, addr);
	Dwfl *d = proc_dwfl(s, p);
	Dwfl_Module *mod = d ? dwfl_addrmodule(d, addr) : NULL;
	const char *b;

	if (mod && module_name(mod, addr, m ? map_offset(m, addr) : addr, buf, len))
		return buf;
	if (m && m->path[0]) {
		b = strrchr(m->path, '/');
		snprintf(buf, len, "%s+0x%" PRIx64, b ? b + 1 : m->path,
			 (uint64_t)map_offset(m, addr));
		return buf;
	}
	snprintf(buf, len, "0x%" PRIx64, (uint64_t)addr);
	return buf;
}

void devmem_sym_where(struct devmem_symbolizer *s, __u32 tgid, __u64 start_ns, __u32 layout,
		      __u64 addr, struct devmem_frame_loc *loc, const char **path)
{
	const struct sym_map *m = map_at(find_proc(s, tgid, start_ns, layout), addr);

	memset(loc, 0, sizeof(*loc));
	*path = "";
	if (!m) {
		loc->offset = addr;
		return;
	}
	loc->offset = map_offset(m, addr);
	if (!m->has_bias)
		loc->flags = DEVMEM_LOC_FILE_OFFSET;
	memcpy(loc->build_id, m->build_id, m->build_id_len);
	loc->build_id_len = (__u8)m->build_id_len;
	*path = m->path;
}

/* ---- names by build-id and offset --------------------------------------------- */

/* the file alone at its link-time addresses; NULL if it cannot be */
static Dwfl_Module *file_alone(struct devmem_symbolizer *s, struct sym_file *f)
{
	int fd;

	if (f->alone || f->alone_failed)
		return f->alone_mod;
	f->alone_failed = true;
	f->alone = dwfl_begin(&s->cb);
	if (!f->alone)
		return NULL;
	fd = file_fd(f);
	dwfl_report_begin(f->alone);
	f->alone_mod = dwfl_report_elf(f->alone, f->path, f->path, fd, 0, false);
	if (!f->alone_mod && fd >= 0)
		close(fd);
	dwfl_report_end(f->alone, NULL, NULL);
	f->alone_failed = !f->alone_mod;
	return f->alone_mod;
}

/* the address a file offset is loaded at in mod; false if no segment holds it */
static bool offset_addr(Dwfl_Module *mod, __u64 off, __u64 *addr)
{
	GElf_Addr bias = 0;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t n = 0;

	if (!elf || elf_getphdrnum(elf, &n))
		return false;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD && off >= ph.p_offset &&
		    off < ph.p_offset + ph.p_filesz) {
			*addr = ph.p_vaddr + (off - ph.p_offset) + bias;
			return true;
		}
	}
	return false;
}

const char *devmem_sym_name_at(struct devmem_symbolizer *s, const struct devmem_frame_loc *loc,
			       const char *path, char *buf, size_t len)
{
	struct sym_file *f = file_by_id(s, loc->build_id, loc->build_id_len);
	__u8 got[DEVMEM_BUILD_ID_MAX];
	__u32 got_len;
	char dbg[4096];
	Dwfl_Module *mod;
	const char *name;
	GElf_Addr bias = 0;
	GElf_Off off = 0;
	GElf_Sym sym;
	__u64 addr;
	int fd;

	if (!loc->build_id_len)
		return NULL;
	if (!f && path && path[0] == '/') {
		fd = open_checked(path, loc->build_id, loc->build_id_len, 0, 0, got, &got_len);
		if (fd >= 0)
			f = file_add(s, fd, path, got, got_len, false);
	}
	if (!f) {
		fd = open_debug(s, loc->build_id, loc->build_id_len, dbg, sizeof(dbg));
		if (fd >= 0)
			f = file_add(s, fd, dbg, loc->build_id, loc->build_id_len, true);
	}
	mod = f ? file_alone(s, f) : NULL;
	if (!mod)
		return NULL;
	if (loc->flags & DEVMEM_LOC_FILE_OFFSET) {
		/* the offsets of a separate debug file are not the file's */
		if (f->debug || !offset_addr(mod, loc->offset, &addr))
			return NULL;
	} else {
		dwfl_module_getelf(mod, &bias);
		addr = loc->offset + bias;
	}
	name = dwfl_module_addrinfo(mod, addr, &off, &sym, NULL, NULL, NULL);
	if (!name)
		return NULL;
	snprintf(buf, len, "%s", name);
	return buf;
}
