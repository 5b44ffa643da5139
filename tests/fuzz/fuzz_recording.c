// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * libFuzzer target: the recording parser over arbitrary bytes. Every input
 * must end in frames, a clean end, a truncation or one error message that
 * names the file and an offset; never a crash, a leak or undefined behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "cli/sanitize.h"
#include "model/hist.h"
#include "model/snapshot.h"
#include "store/record.h"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/*
 * A hostile writer computes valid checksums: fix them up in a copy, so the
 * fuzzer reaches the payload parser instead of stopping at the checksums.
 */
static void reseal(uint8_t *b, size_t size)
{
	size_t off, hlen;

	if (size < 16)
		return;
	hlen = rd32(b + 12);
	if (hlen < 16 || hlen > 4096 || hlen > size)
		return;
	wr32(b + hlen - 4, (uint32_t)crc32(0, b, (uInt)(hlen - 4)));
	for (off = hlen; off + 16 <= size;) {
		uint32_t len = rd32(b + off + 4);

		wr32(b + off, 0x52464d44U);
		if (len <= size - off - 16)
			wr32(b + off + 8, (uint32_t)crc32(0, b + off + 16, len));
		wr32(b + off + 12, (uint32_t)crc32(0, b + off, 12));
		if (len > size - off - 16)
			break;
		off += 16 + len;
	}
}

static int parse(const uint8_t *data, size_t size);

/* what every view does with a recorded string: the filter, whose output is clean */
static void show(const char *s, size_t len)
{
	char out[DEVMEM_SANITIZED_SIZE(256)];
	const unsigned char *u = (const unsigned char *)out;
	uint32_t cp;

	if (len > 256)
		abort();
	devmem_sanitize(out, sizeof(out), s, len, 0);
	for (size_t i = 0; u[i]; i++) {
		int n = u[i] < 0x80 ? 1 : u[i] < 0xe0 ? 2 : u[i] < 0xf0 ? 3 : 4;

		if (u[i] < 0x20 || u[i] == 0x7f || (u[i] >= 0x80 && u[i] < 0xc2) || u[i] > 0xf4)
			abort();
		cp = n == 1 ? u[i] : u[i] & (0x7f >> n);
		for (int k = 1; k < n; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				abort();	/* also a NUL: a character cut short */
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0xa0) ||
		    (n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp < 0xe000))) ||
		    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			abort();	/* C1, overlong, surrogate */
		i += (size_t)n - 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	parse(data, size);
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	reseal(copy, size);
	parse(copy, size);
	free(copy);
	return 0;
}

static int parse(const uint8_t *data, size_t size)
{
	struct devmem_recording *r;
	struct devmem_snapshot s;
	char err[512];
	int ret, frames = 0;

	err[0] = '\0';
	ret = devmem_recording_open_mem(data, size, "fuzz.rec", &r, err, sizeof(err));
	if (ret) {
		/* one message naming the input */
		if (!strstr(err, "fuzz.rec"))
			abort();
		return 0;
	}
	show(devmem_recording_info(r)->host, sizeof(devmem_recording_info(r)->host));
	devmem_snapshot_init(&s);
	while ((ret = devmem_recording_next(r, &s, err, sizeof(err))) == 1) {
		/* what a view does with a frame: sums and percentiles */
		struct devmem_percentile p;

		for (unsigned int k = 0; k < DEVMEM_HIST_KINDS; k++)
			devmem_hist_percentile(&s.hist[k], 99, &p);
		for (size_t i = 0; i < s.nr_devices; i++)
			(void)devmem_hist_total(&s.devices[i].hist[0]);
		if (strnlen(s.note, sizeof(s.note)) == sizeof(s.note))
			abort();
		show(s.note, sizeof(s.note));
		for (size_t i = 0; i < s.nr_procs; i++)
			show(s.procs[i].comm, sizeof(s.procs[i].comm));
		for (size_t i = 0; i < s.nr_ranges; i++)
			show(s.ranges[i].name, sizeof(s.ranges[i].name));
		frames++;
	}
	if (ret < 0 && (!strstr(err, "fuzz.rec") || !strstr(err, "offset")))
		abort();
	devmem_snapshot_free(&s);
	devmem_recording_close(r);
	return 0;
}
