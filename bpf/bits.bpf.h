/* SPDX-License-Identifier: GPL-2.0 */
/* Bit helpers for the BPF programs. */
#ifndef DEVMEM_BITS_BPF_H
#define DEVMEM_BITS_BPF_H

/* floor(log2(v)) for v > 0, 0 for v == 0; branch-light, no loop */
static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0, shift;

	shift = (v > 0xffffffffULL) << 5; v >>= shift; r |= shift;
	shift = (v > 0xffff) << 4; v >>= shift; r |= shift;
	shift = (v > 0xff) << 3; v >>= shift; r |= shift;
	shift = (v > 0xf) << 2; v >>= shift; r |= shift;
	shift = (v > 0x3) << 1; v >>= shift; r |= shift;
	r |= (v >> 1);
	return r;
}

/* histogram slot of v: log2, the last slot taking everything above */
static __always_inline __u32 hist_slot(__u64 v)
{
	__u32 s = log2_u64(v);

	return s < DEVMEM_HIST_SLOTS ? s : DEVMEM_HIST_SLOTS - 1;
}

#endif /* DEVMEM_BITS_BPF_H */
