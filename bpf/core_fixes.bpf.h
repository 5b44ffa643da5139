/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel difference the BPF programs care about, in one place.
 * Each fix is chosen by CO-RE (bpf_core_*_exists at load time), never by a
 * kernel version number. The "___old"/"___new" structs are flavours: libbpf
 * matches them to the kernel's struct of the name before "___".
 */
#ifndef DEVMEM_CORE_FIXES_BPF_H
#define DEVMEM_CORE_FIXES_BPF_H

#include <bpf/bpf_core_read.h>

/*
 * Reads on the hot paths. The tracepoint programs (tp_btf, and raw_tp, which
 * is also what BPF_PROG_TEST_RUN runs) read kernel memory with plain loads
 * through bpf_rdonly_cast() (v6.2+; the verifier inlines it to nothing and
 * turns the loads into exception-handled PROBE_MEM loads) instead of one
 * bpf_probe_read_kernel() call per field. Every read casts its pointer
 * afresh, so it does not matter which union member the verifier's BTF walk
 * took for the pointer read before. The fentry fallback keeps
 * BPF_CORE_READ: it must load on v6.1, which has no such kfunc. The extern
 * is weak: libbpf leaves it unresolved there, which is harmless as long as
 * no program using it is loaded (the tracepoints only exist on newer
 * kernels).
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

#define DEVMEM_CAST(type, p)						\
	((type *)bpf_rdonly_cast((const void *)(p), bpf_core_type_id_kernel(type)))

/* FIELD of the TYPE object at P: a plain load if FAST, else a probe read */
#define DEVMEM_READ(fast, type, p, field)				\
	((fast) ? DEVMEM_CAST(type, p)->field : BPF_CORE_READ((type *)(p), field))

/*
 * The verifier refuses arithmetic on a BTF-typed pointer (tp_btf and fentry
 * arguments), so its value is first read back as a plain number.
 */
static __always_inline __u64 ptr_value(const void *p)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), &p);
	return v;
}

/*
 * The head page of a page (page_folio()). A tail page says where its head
 * is in one word: compound_head up to v7.2, compound_info from v7.3
 * ("mm: rename page->compound_head to compound_info", with HugeTLB vmemmap
 * optimisation's mask encoding). Bit 0 set marks a tail; the rest is the
 * head's address, or, with CONFIG_HUGETLB_PAGE_OPTIMIZE_VMEMMAP and a
 * power-of-two struct page, a mask that gives the head's address from the
 * tail's. The encodings are told apart by their value rather than by the
 * kernel's configuration: a mask has every bit from the folio's size up set
 * (at least 0xffffffffff000000 on x86-64, the fixmap's range), which no
 * struct page's address reaches. A kernel with neither field gives NULL:
 * the pagemap of its pages is unknown, and only what needs it is lost.
 */
struct page___head {
	unsigned long compound_head;
} __attribute__((preserve_access_index));

struct page___info {
	unsigned long compound_info;
} __attribute__((preserve_access_index));

#define DEVMEM_COMPOUND_MASK_MIN	0xffffffffff000000UL

static __always_inline const void *page_head(const void *page)
{
	unsigned long info;

	if (bpf_core_field_exists(struct page___head, compound_head)) {
		/* a probe read: a plain load of this union slot may be typed as a pointer */
		info = BPF_CORE_READ((struct page___head *)page, compound_head);
		return info & 1 ? (const void *)(info - 1) : page;
	}
	if (bpf_core_field_exists(struct page___info, compound_info)) {
		info = BPF_CORE_READ((struct page___info *)page, compound_info);
		if (!(info & 1))
			return page;
		if (info >= DEVMEM_COMPOUND_MASK_MIN)
			return (const void *)(ptr_value(page) & info);
		return (const void *)(info - 1);
	}
	return NULL;
}

/*
 * page->pgmap. Up to v6.14 a ZONE_DEVICE page carries its pagemap itself;
 * v6.15 ("mm: allow compound zone device pages", Alistair Popple's fs/dax
 * refcount series) moved the pointer to struct folio and added
 * page_pgmap(page) == page_folio(page)->pgmap.
 */
struct page___old {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

struct folio___new {
	struct dev_pagemap *pgmap;
} __attribute__((preserve_access_index));

static __always_inline struct dev_pagemap *page_pgmap(const void *page, bool fast)
{
	if (!page)
		return NULL;
	if (bpf_core_field_exists(struct page___old, pgmap))
		return DEVMEM_READ(fast, struct page___old, page, pgmap);
	if (bpf_core_field_exists(struct folio___new, pgmap)) {
		page = page_head(page);
		if (!page)
			return NULL;
		return DEVMEM_READ(fast, struct folio___new, page, pgmap);
	}
	return NULL;
}

/*
 * pfn <-> struct page on x86-64 SPARSEMEM_VMEMMAP: page = vmemmap + pfn.
 * With CONFIG_DYNAMIC_MEMORY_LAYOUT (KASLR of the memory map, 5-level paging)
 * the base is the variable vmemmap_base (KASLR of the memory regions, and
 * commit eedb92abb9bb "x86/mm: Make virtual memory layout dynamic for
 * CONFIG_X86_5LEVEL=y", v4.17); without it the base is the constant
 * VMEMMAP_START, which user space may override through vmemmap_default.
 * The variable is found through kallsyms (CONFIG_KALLSYMS_ALL); weak, so a
 * kernel without it still loads.
 */
#ifndef __TARGET_ARCH_x86
#error "pfn <-> struct page below is the x86-64 layout; other architectures are not supported"
#endif
extern const void vmemmap_base __ksym __weak;
const volatile __u64 vmemmap_default = 0xffffea0000000000ULL;
/* global, so tests can read the base the programs use (skeleton .bss) */
__u64 vmemmap_cached;

static __always_inline __u64 vmemmap_start(void)
{
	__u64 base = vmemmap_cached;

	if (base)
		return base;
	if (&vmemmap_base)
		bpf_probe_read_kernel(&base, sizeof(base), &vmemmap_base);
	if (!base)
		base = vmemmap_default;
	vmemmap_cached = base;
	return base;
}

/* pfn of the struct page at address v */
static __always_inline __u64 page_value_to_pfn(__u64 v)
{
	return (v - vmemmap_start()) / bpf_core_type_size(struct page);
}

static __always_inline __u64 page_to_pfn(const void *page)
{
	return page_value_to_pfn(ptr_value(page));
}

static __always_inline const void *pfn_to_page(__u64 pfn)
{
	return (const void *)(vmemmap_start() + pfn * bpf_core_type_size(struct page));
}

/*
 * The order of a device folio. Device private folios are single pages up
 * to the kernels that added large ones; a head page's order is the low
 * byte of folio->_flags_1 (v6.6+ "mm: free folios with a common order
 * field"); v6.1 kept it in folio->_folio_order. PG_head is in page->flags,
 * an unsigned long up to v7.2 and a memdesc_flags_t (a struct of one) from
 * v7.3.
 */
struct folio___flags1 {
	unsigned long _flags_1;
} __attribute__((preserve_access_index));

struct folio___order61 {
	unsigned char _folio_order;
} __attribute__((preserve_access_index));

struct page___flags_ul {
	unsigned long flags;
} __attribute__((preserve_access_index));

struct devmem_memdesc_flags {
	unsigned long f;
};

struct page___flags_memdesc {
	struct devmem_memdesc_flags flags;
} __attribute__((preserve_access_index));

static __always_inline unsigned long page_flags(const void *page)
{
	if (bpf_core_field_exists(struct page___flags_memdesc, flags))
		return BPF_CORE_READ((struct page___flags_memdesc *)page, flags.f);
	if (bpf_core_field_exists(struct page___flags_ul, flags))
		return BPF_CORE_READ((struct page___flags_ul *)page, flags);
	return 0;
}

static __always_inline __u32 folio_order(const void *folio)
{
	__u32 order = 0;

	if (!folio || !bpf_core_enum_value_exists(enum pageflags, PG_head))
		return 0;
	if (!(page_flags(folio) & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 0;
	if (bpf_core_field_exists(struct folio___flags1, _flags_1))
		order = BPF_CORE_READ((struct folio___flags1 *)folio, _flags_1) & 0xff;
	else if (bpf_core_field_exists(struct folio___order61, _folio_order))
		order = BPF_CORE_READ((struct folio___order61 *)folio, _folio_order);
	return order < 20 ? order : 0;
}

static __always_inline __u64 folio_pages(const void *folio)
{
	return 1ULL << folio_order(folio);
}

/*
 * migrate_vma.fault_page: added in v6.1 (commit 16ce101db85d "mm/memory.c:
 * fix race when faulting a device private page"); before it a fault-driven
 * migration cannot be told apart.
 */
struct migrate_vma___fault {
	struct page *fault_page;
} __attribute__((preserve_access_index));

static __always_inline const void *migrate_fault_page(const void *migrate, bool fast)
{
	if (!migrate || !bpf_core_field_exists(struct migrate_vma___fault, fault_page))
		return NULL;
	return DEVMEM_READ(fast, struct migrate_vma___fault, migrate, fault_page);
}

/*
 * Function names of the fallback, chosen by user space from the BTF
 * (tools/lib/kernel/probe.c):
 *  - free_zone_device_page(page) became free_zone_device_folio(folio) with
 *    "mm: convert free_zone_device_page to free_zone_device_folio" (a folio
 *    conversion after v6.1, present in v6.12); a folio pointer is the
 *    pointer of its head page.
 *  - migrate_device_pages() exists since v6.1 ("mm/migrate_device.c: add
 *    migrate_device_range()" series); older kernels only have
 *    migrate_vma_pages().
 * The devmem_migrate tracepoint argument `enum devmem_migrate_dir` comes from
 * the kernel series; kernels without it have no such enum, so the programs
 * read it as an int.
 */

/* include/linux/mm_types.h enum vm_fault_reason bits that mean "failed" */
#define DEVMEM_VM_FAULT_ERROR	(0x000001 /* OOM */ | 0x000002 /* SIGBUS */ | \
				 0x000040 /* SIGSEGV */ | 0x000010 /* HWPOISON */ | \
				 0x000020 /* HWPOISON_LARGE */ | 0x000800 /* FALLBACK */)
#define DEVMEM_VM_FAULT_RETRY	0x000400
/* HPAGE_PMD_ORDER on x86-64: the order of a PMD fault's folio */
#define DEVMEM_PMD_ORDER	9
#define DEVMEM_FAULT_FLAG_WRITE	0x1
/* include/linux/migrate.h */
#define DEVMEM_MIGRATE_PFN_VALID	(1UL << 0)
#define DEVMEM_MIGRATE_PFN_MIGRATE	(1UL << 1)
#define DEVMEM_MIGRATE_PFN_COMPOUND	(1UL << 4)	/* v7.x: the entry is a whole folio */
#define DEVMEM_MIGRATE_PFN_SHIFT	6
#define DEVMEM_MIGRATE_VMA_SELECT_SYSTEM (1UL << 0)

#endif /* DEVMEM_CORE_FIXES_BPF_H */
