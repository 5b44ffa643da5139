/* SPDX-License-Identifier: GPL-2.0 */
/* Map helpers for the BPF programs. */
#ifndef DEVMEM_MAPS_BPF_H
#define DEVMEM_MAPS_BPF_H

#include <bpf/bpf_helpers.h>
#include <asm-generic/errno-base.h>

/*
 * Look a key up, inserting init first if it is missing. Returns NULL only
 * when the map is full (or the element vanished in between); the caller
 * counts that as a loss.
 */
static __always_inline void *
lookup_or_init(void *map, const void *key, const void *init)
{
	void *val;
	long err;

	val = bpf_map_lookup_elem(map, key);
	if (val)
		return val;
	err = bpf_map_update_elem(map, key, init, BPF_NOEXIST);
	if (err && err != -EEXIST)
		return NULL;
	return bpf_map_lookup_elem(map, key);
}

#endif /* DEVMEM_MAPS_BPF_H */
