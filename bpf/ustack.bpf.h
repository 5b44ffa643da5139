/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ustacks ring (include/devmem.h): stack samples of faults (the user
 * registers, the frame-pointer walk in fp mode, a copy of the top of the
 * user stack), the latency of a sampled fault at its end, and the
 * executable mappings a process's stack touches, each with its file and
 * build-id, looked up while the process lives so that its stacks keep
 * their names after it exec'd or exited. The work is bounded by the copy
 * size and by the areas looked up.
 */
#ifndef DEVMEM_USTACK_BPF_H
#define DEVMEM_USTACK_BPF_H

/* DEVMEM_STACKS_*, the bytes of stack a sample copies, and the mapping look-ups: set before load */
const volatile __u32 stack_mode = DEVMEM_STACKS_OFF;
const volatile __u32 stack_bytes = DEVMEM_FP_STACK_BYTES;
const volatile bool stack_maps_on = false;

/* stack samples, latencies and mappings; user space sizes it (a page when off) */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} ustacks SEC(".maps");

/* what is known of each process's address space whose stacks were taken */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);			/* tgid */
	__type(value, struct devmem_stack_proc);
} stack_procs SEC(".maps");

/* a zeroed entry for stack_procs: too large for the BPF stack */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct devmem_stack_proc);
} stack_proc_zero SEC(".maps");

#define USTACK_PAGE	4096ULL
#define USER_TOP	0x800000000000ULL	/* x86-64: user addresses are below */
#define VM_EXEC_FLAG	0x4ULL			/* VM_EXEC */
#define MAPS_FINDS	128			/* bpf_find_vma() calls per look */

/*
 * The top of the user stack from sp into buf: stack_bytes if they can be
 * read, else as far as the stack's mapping goes (the page sp is in, and
 * whole pages after it, fewer each try). Bytes copied; 0: none.
 */
static __always_inline __u32 ustack_copy(__u8 *buf, __u64 sp)
{
	__u64 size = stack_bytes, first, len;

	if (size > DEVMEM_STACK_BYTES_MAX)
		size = DEVMEM_STACK_BYTES_MAX;
	if (!bpf_probe_read_user(buf, size, (const void *)sp))
		return size;
	first = USTACK_PAGE - (sp & (USTACK_PAGE - 1));
	for (int k = DEVMEM_STACK_BYTES_MAX / USTACK_PAGE; k >= 0; k--) {
		len = first + (__u64)k * USTACK_PAGE;
		if (len >= size)
			continue;
		/* the bound checked on the register the helper gets */
		asm volatile("" : "+r"(len));
		if (len >= size)
			continue;
		if (!bpf_probe_read_user(buf, len, (const void *)sp))
			return len;
	}
	return 0;
}

/* ---- the mappings a stack touches ---------------------------------------- */

/* the memory area bpf_find_vma() found, read under the mmap lock */
struct vma_seen {
	__u64 start, end, pgoff, flags;
	__u64 file;		/* its struct file, or 0 */
};

static long vma_seen_cb(struct task_struct *task, struct vm_area_struct *vma, void *data)
{
	struct vma_seen *v = data;

	v->start = BPF_CORE_READ(vma, vm_start);
	v->end = BPF_CORE_READ(vma, vm_end);
	v->pgoff = BPF_CORE_READ(vma, vm_pgoff);
	v->flags = BPF_CORE_READ(vma, vm_flags);
	v->file = (__u64)BPF_CORE_READ(vma, vm_file);
	return 0;
}

/* the area of the current process at addr into v: 0, -ENOENT (none), -EBUSY */
static __always_inline long vma_at(__u64 addr, struct vma_seen *v)
{
	v->end = 0;
	return bpf_find_vma(bpf_get_current_task_btf(), addr, vma_seen_cb, v, 0);
}

#define NT_GNU_BUILD_ID_TYPE	3
#define PT_NOTE_TYPE		4

/*
 * A look for the build-id note among the program headers of an ELF file
 * (elf_build_id); what a step reads is kept here, off the callback's own
 * frame (6.1 counts every frame of a call chain within 512 bytes).
 */
struct note_walk {
	__u64 base, phoff;
	__u8 *out;
	__u32 phnum, len;
	__u64 ph[2];			/* p_offset and p_filesz of a program header */
	struct elf64_note nh;
	__u32 word;			/* p_type, then a note's name */
};

static long note_step(__u32 i, void *data)
{
	struct note_walk *w = data;
	__u64 off, end, base = w->base, at = base + w->phoff + i * sizeof(struct elf64_phdr);
	__u32 len;

	if (i >= w->phnum || bpf_probe_read_user(&w->word, sizeof(w->word), (const void *)at))
		return 1;
	if (w->word != PT_NOTE_TYPE)
		return 0;
	if (bpf_probe_read_user(&w->ph[0], sizeof(w->ph[0]),
				(const void *)(at + offsetof(struct elf64_phdr, p_offset))) ||
	    bpf_probe_read_user(&w->ph[1], sizeof(w->ph[1]),
				(const void *)(at + offsetof(struct elf64_phdr, p_filesz))))
		return 1;
	off = w->ph[0];
	end = off + (w->ph[1] < 4096 ? w->ph[1] : 4096);
	for (int j = 0; j < 4 && off + sizeof(w->nh) <= end; j++) {
		if (bpf_probe_read_user(&w->nh, sizeof(w->nh), (const void *)(base + off)))
			return 0;
		if (w->nh.n_type == NT_GNU_BUILD_ID_TYPE && w->nh.n_namesz == 4 && w->nh.n_descsz &&
		    w->nh.n_descsz <= DEVMEM_BUILD_ID_MAX &&
		    !bpf_probe_read_user(&w->word, sizeof(w->word),
					 (const void *)(base + off + sizeof(w->nh))) &&
		    w->word == 0x00554e47 /* "GNU\0" */) {
			/* the mask for the verifier: the bound was checked above */
			len = w->nh.n_descsz & 0x1f;
			if (!bpf_probe_read_user(w->out, len,
						 (const void *)(base + off + sizeof(w->nh) + 4)))
				w->len = len;
			return 1;
		}
		off += sizeof(w->nh) + ((w->nh.n_namesz + 3) & ~3U) + ((w->nh.n_descsz + 3) & ~3U);
	}
	return 0;
}

/*
 * The GNU build-id of the ELF file whose start (file offset 0) is mapped
 * at base, read from the process's memory (the pages the loader touched):
 * its length, or 0 when it is not there or not readable.
 */
static __noinline __u32 elf_build_id(__u64 base, __u8 *out)
{
	struct note_walk w = { .base = base, .out = out };
	__u64 ident;
	__u16 ph[2];	/* e_phentsize, e_phnum */

	/* "\x7fELF", 64-bit */
	if (bpf_probe_read_user(&ident, sizeof(ident), (const void *)base) ||
	    (ident & 0xffffffffffULL) != 0x02464c457fULL ||
	    bpf_probe_read_user(&w.phoff, sizeof(w.phoff),
				(const void *)(base + offsetof(struct elf64_hdr, e_phoff))) ||
	    bpf_probe_read_user(ph, sizeof(ph),
				(const void *)(base + offsetof(struct elf64_hdr, e_phentsize))) ||
	    ph[0] != sizeof(struct elf64_phdr))
		return 0;
	w.phnum = ph[1];
	bpf_loop(32, note_step, &w, 0);
	return w.len;
}

/* a walk from a file's dentry up to the root of the mount tree (file_path) */
struct path_walk {
	struct dentry *d;
	struct vfsmount *vm;
	struct mount *m;
	char *buf;			/* DEVMEM_MAP_PATH_LEN bytes */
	__u64 mnt_off;			/* of mnt in struct mount */
	__u32 pos, flags;
	bool done;
};

static long path_step(__u32 i, void *data)
{
	struct path_walk *w = data;
	/* CO-RE reads through locals: w is not a kernel type */
	struct dentry *d = w->d, *parent = BPF_CORE_READ(d, d_parent);
	struct vfsmount *vm = w->vm;
	struct mount *m = w->m, *up;
	char *buf = w->buf;
	__u32 pos = w->pos;
	long n;

	if (d == BPF_CORE_READ(vm, mnt_root) || d == parent) {
		up = BPF_CORE_READ(m, mnt_parent);
		if (up == m || !up) {
			w->done = true;
			return 1;
		}
		/* the root of a mount: go on from where it is mounted */
		w->d = BPF_CORE_READ(m, mnt_mountpoint);
		w->m = up;
		w->vm = (struct vfsmount *)((void *)up + w->mnt_off);
		return 0;
	}
	if (pos > DEVMEM_MAP_PATH_LEN - DEVMEM_MAP_NAME_MAX)
		return 1;
	n = bpf_probe_read_kernel_str(buf + pos, DEVMEM_MAP_NAME_MAX, BPF_CORE_READ(d, d_name.name));
	if (n < 1 || n > DEVMEM_MAP_NAME_MAX)
		return 1;
	if (n == DEVMEM_MAP_NAME_MAX)
		w->flags |= DEVMEM_MAP_F_PATH_CUT;
	w->pos = pos + n;
	w->d = parent;
	return 0;
}

/*
 * The path of a file, its components from the file up to the root of the
 * mount tree, each NUL-terminated, into buf (DEVMEM_MAP_PATH_LEN bytes):
 * the bytes used.
 */
static __noinline __u32 file_path(struct file *file, char *buf, __u32 *flags)
{
	struct dentry *d = BPF_CORE_READ(file, f_path.dentry);
	struct vfsmount *vm = BPF_CORE_READ(file, f_path.mnt);
	struct path_walk w = {
		.d = d, .vm = vm, .buf = buf, .mnt_off = bpf_core_field_offset(struct mount, mnt),
	};

	w.m = (struct mount *)((void *)w.vm - w.mnt_off);
	bpf_loop(48, path_step, &w, 0);
	*flags |= w.flags | (w.done ? 0 : DEVMEM_MAP_F_PATH_CUT);
	return w.pos;
}

/* one look for the mappings of a stack (stack_maps_look) */
struct maps_look {
	__u64 sp, bp;			/* where the candidates are read from */
	__u64 start_ns;
	__u32 tgid, layout;
	__u32 sent, finds;
	__s32 err;
	__u32 fp;			/* after the words near sp, the frame chain from bp */
};

/*
 * An executable file mapping v sent as a DEVMEM_USTACK_MAP record; v is
 * the caller's, used up here (it looks up the file's start in it).
 */
static __noinline void maps_send(struct maps_look *l, struct vma_seen *v)
{
	struct devmem_stack_map *rec;
	struct file *file = (struct file *)v->file;
	__u64 start = v->start, pgoff = v->pgoff << page_shift;

	rec = bpf_ringbuf_reserve(&ustacks, sizeof(*rec), 0);
	if (!rec) {
		count_lost(DEVMEM_LOST_USTACK_RING);
		return;
	}
	rec->type = DEVMEM_USTACK_MAP;
	rec->tgid = l->tgid;
	rec->start_ns = l->start_ns;
	rec->layout = l->layout;
	rec->flags = 0;
	rec->start = start;
	rec->end = v->end;
	rec->pgoff = pgoff;
	rec->ino = BPF_CORE_READ(file, f_inode, i_ino);
	rec->dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev);
	rec->build_id_len = 0;
	/* the file's start is mapped where its offsets line up with this mapping's */
	if (!pgoff)
		rec->build_id_len = elf_build_id(start, rec->build_id);
	else if (start > pgoff && !vma_at(start - pgoff, v) && v->file == (__u64)file &&
		 !v->pgoff && v->start == start - pgoff)
		rec->build_id_len = elf_build_id(start - pgoff, rec->build_id);
	rec->path_len = file_path(file, rec->path, &rec->flags);
	bpf_ringbuf_submit(rec, 0);
	l->sent++;
}

/*
 * A candidate address of a stack (a return address, or a word that may
 * be one): the area it is in looked up unless one known holds it, and
 * sent if it is an executable file mapping.
 */
static __always_inline void maps_look_at(struct maps_look *l, struct devmem_stack_proc *p,
					 __u64 addr)
{
	struct vma_seen v;
	__u32 n;

	/* not user space, or the stack itself (from the page of sp, 8 MiB up) */
	if (addr < 0x10000 || addr >= USER_TOP ||
	    (addr >= (l->sp & ~(USTACK_PAGE - 1)) && addr - l->sp < (8ULL << 20)))
		return;
	for (int k = 0; k < DEVMEM_PROC_AREAS; k++) {
		if (k >= p->nr_areas)
			break;
		if (addr >= p->areas[k].start && addr < p->areas[k].end)
			return;
	}
	if (!l->finds || l->err)
		return;
	l->finds--;
	if (vma_at(addr, &v) == -EBUSY) {
		l->err = -EBUSY;
		return;
	}
	if (!v.end)
		return;
	/* remembered, in turn once all are taken: a stack's words keep to a few areas */
	n = p->nr_areas;
	if (n < DEVMEM_PROC_AREAS)
		p->nr_areas = n + 1;
	else
		n = p->next_area++ & (DEVMEM_PROC_AREAS - 1);
	p->areas[n].start = v.start;
	p->areas[n].end = v.end;
	if ((v.flags & VM_EXEC_FLAG) && v.file)
		maps_send(l, &v);
}

static long maps_look_step(__u32 i, void *data)
{
	struct maps_look *l = data;
	struct devmem_stack_proc *p = bpf_map_lookup_elem(&stack_procs, &l->tgid);
	__u64 w[2];

	if (!p || l->err)
		return 1;
	if (l->fp && i >= DEVMEM_LEAF_RA_MAX / 8) {
		/* the frame chain: the saved bp, then the return address */
		if (!l->bp || bpf_probe_read_user(w, sizeof(w), (const void *)l->bp))
			return 1;
		maps_look_at(l, p, w[1]);
		if (w[0] <= l->bp)
			return 1;
		l->bp = w[0];
		return 0;
	}
	/* a word of the stack */
	if (bpf_probe_read_user(w, sizeof(w[0]), (const void *)(l->sp + i * sizeof(w[0]))))
		return l->fp ? 0 : 1;
	maps_look_at(l, p, w[0]);
	return 0;
}

/*
 * Look up the mappings the current stack touches (its ip, the words of
 * stack a sample copies, in fp mode the frame chain) and send the
 * executable ones, then an end record. The process's stack_procs entry
 * has the areas it knows, which are skipped, and those found join them.
 */
static __noinline void stack_maps_look(__u32 tgid, __u64 start_ns, __u32 layout)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs;
	struct maps_look l = {
		.start_ns = start_ns, .tgid = tgid, .layout = layout, .finds = MAPS_FINDS,
		.fp = stack_mode == DEVMEM_STACKS_FP,
	};
	struct devmem_stack_maps_end *end;
	struct devmem_stack_proc *p;
	__u32 steps = l.fp ? DEVMEM_LEAF_RA_MAX / 8 + DEVMEM_STACK_DEPTH : stack_bytes / 8;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_find_vma) ||
	    !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_loop) ||
	    !bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return;
	p = bpf_map_lookup_elem(&stack_procs, &tgid);
	if (!p)
		return;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	l.sp = BPF_CORE_READ(regs, sp);
	l.bp = BPF_CORE_READ(regs, bp);
	maps_look_at(&l, p, BPF_CORE_READ(regs, ip));
	bpf_loop(steps, maps_look_step, &l, 0);
	p = bpf_map_lookup_elem(&stack_procs, &tgid);
	if (p) {
		p->looks++;
		if (!l.err)
			p->maps = DEVMEM_MAPS_TAKEN;
	}
	if (l.err)
		count_lost(DEVMEM_LOST_STACK_MAPS_BUSY);
	end = bpf_ringbuf_reserve(&ustacks, sizeof(*end), 0);
	if (!end) {
		count_lost(DEVMEM_LOST_USTACK_RING);
		return;
	}
	end->type = DEVMEM_USTACK_MAPS_END;
	end->tgid = tgid;
	end->start_ns = start_ns;
	end->layout = layout;
	end->sent = l.sent;
	end->err = l.err;
	end->pad = 0;
	bpf_ringbuf_submit(end, 0);
}

/* ---- samples ------------------------------------------------------------- */

/*
 * A sample of the current fault: its sequence number (which its latency
 * record will carry), or 0 without a sample.
 */
static __noinline __u64 ustack_sample(void *ctx, __u32 tgid, __u64 start_ns, __u32 layout)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct devmem_ustack_sample *rec;
	struct pt_regs *regs;
	__u64 id = bpf_get_current_pid_tgid(), seq;
	long n;

	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs) ||
	    !BPF_CORE_READ(t, mm)) {
		count_lost(DEVMEM_LOST_USTACK_NO_REGS);
		return 0;
	}
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	rec = bpf_ringbuf_reserve(&ustacks, sizeof(*rec) + stack_bytes, 0);
	if (!rec) {
		count_lost(DEVMEM_LOST_USTACK_RING);
		return 0;
	}
	rec->regs[0] = BPF_CORE_READ(regs, ax);
	rec->regs[1] = BPF_CORE_READ(regs, dx);
	rec->regs[2] = BPF_CORE_READ(regs, cx);
	rec->regs[3] = BPF_CORE_READ(regs, bx);
	rec->regs[4] = BPF_CORE_READ(regs, si);
	rec->regs[5] = BPF_CORE_READ(regs, di);
	rec->regs[DEVMEM_UREG_BP] = BPF_CORE_READ(regs, bp);
	rec->regs[DEVMEM_UREG_SP] = BPF_CORE_READ(regs, sp);
	rec->regs[8] = BPF_CORE_READ(regs, r8);
	rec->regs[9] = BPF_CORE_READ(regs, r9);
	rec->regs[10] = BPF_CORE_READ(regs, r10);
	rec->regs[11] = BPF_CORE_READ(regs, r11);
	rec->regs[12] = BPF_CORE_READ(regs, r12);
	rec->regs[13] = BPF_CORE_READ(regs, r13);
	rec->regs[14] = BPF_CORE_READ(regs, r14);
	rec->regs[15] = BPF_CORE_READ(regs, r15);
	rec->regs[DEVMEM_UREG_IP] = BPF_CORE_READ(regs, ip);
	rec->stack_len = ustack_copy(rec->stack, rec->regs[DEVMEM_UREG_SP]);
	if (!rec->stack_len) {
		bpf_ringbuf_discard(rec, 0);
		count_lost(DEVMEM_LOST_USTACK_UNREADABLE);
		return 0;
	}
	rec->nr_ips = 0;
	if (stack_mode == DEVMEM_STACKS_FP) {
		n = bpf_get_stack(ctx, rec->ips, sizeof(rec->ips), BPF_F_USER_STACK);
		rec->nr_ips = n > 0 ? (__u32)n / sizeof(__u64) : 0;
	}
	seq = next_seq();	/* 0 only if the table is missing: no latency then */
	rec->type = DEVMEM_USTACK_SAMPLE;
	rec->tgid = tgid;
	rec->pid = (__u32)id;
	rec->layout = layout;
	rec->start_ns = start_ns;
	rec->seq = seq;
	bpf_get_current_comm(rec->comm, sizeof(rec->comm));
	bpf_ringbuf_submit(rec, 0);
	return seq;
}

/* a sampled fault ended: its latency, joined to its sample by seq */
static __always_inline void ustack_latency(__u32 tgid, __u64 seq, __u64 lat)
{
	struct devmem_ustack_latency *rec = bpf_ringbuf_reserve(&ustacks, sizeof(*rec), 0);

	if (!rec) {
		count_lost(DEVMEM_LOST_STACK_TIME_RING);
		return;
	}
	rec->type = DEVMEM_USTACK_LATENCY;
	rec->tgid = tgid;
	rec->seq = seq;
	rec->lat_ns = lat;
	bpf_ringbuf_submit(rec, 0);
}

#endif /* DEVMEM_USTACK_BPF_H */
