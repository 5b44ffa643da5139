// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Ranges that existed before the tool started: the debugfs file of the
 * kernel series (one "key=value ..." line per range, format in
 * /var/tmp/devmem-spec.md and tools/lib/cli/errors.h), names from /proc/iomem.
 * Input is untrusted: every line is checked and a bad one is skipped and
 * counted, never half-used.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "kernel/pagemaps.h"
#include "model/snapshot.h"

#define MAX_LINE 4096

/* strict unsigned number: decimal or 0x-hex, no sign, no junk, no overflow */
static int parse_u64(const char *s, size_t len, __u64 *out)
{
	char buf[32], *end;
	unsigned long long v;

	if (!len || len >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

static void copy_name(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 1 && src[0] == '-')
		len = 0;
	if (len >= size)
		len = size - 1;
	/* the bytes as the kernel wrote them: every view filters them (sanitize.h) */
	memcpy(dst, src, len);
	dst[len] = '\0';
}

enum { K_PGMAP, K_RANGE, K_START, K_END, K_NR_PAGES, K_NID, K_TYPE, K_IN_USE, K_NAME, K_COUNT };
static const char *const keys[K_COUNT] = {
	"pgmap", "range", "start", "end", "nr_pages", "nid", "type", "in_use", "name",
};

int devmem_pagemaps_parse_line(const char *line, struct devmem_pagemap_line *out)
{
	const char *p = line, *tok, *eq, *val;
	unsigned int seen = 0;
	size_t vlen, klen, span;
	__u64 v, page = (__u64)sysconf(_SC_PAGESIZE);
	int k;

	memset(out, 0, sizeof(*out));
	out->nid = ~0U;
	out->in_use = DEVMEM_UNKNOWN;
	out->nr_pages = DEVMEM_UNKNOWN;
	if (strlen(line) > MAX_LINE)
		return -EINVAL;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '\n' || *p == '\r')
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			p++;
		eq = memchr(tok, '=', p - tok);
		if (!eq || eq == tok)
			return -EINVAL;
		klen = eq - tok;
		val = eq + 1;
		for (k = 0; k < K_COUNT; k++)
			if (strlen(keys[k]) == klen && !memcmp(tok, keys[k], klen))
				break;
		if (k == K_NAME) {
			/* the name is last and may hold spaces: take the rest of the line */
			p = val + strcspn(val, "\r\n");
			vlen = p - val;
			while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
				vlen--;
		} else {
			vlen = p - val;
		}
		if (k == K_COUNT)
			continue;	/* a key appended by a later kernel */
		if (seen & (1U << k))
			return -EINVAL;	/* duplicate key */
		seen |= 1U << k;
		switch (k) {
		case K_TYPE:
			if (vlen == 7 && !memcmp(val, "private", 7))
				out->type = DEVMEM_TYPE_PRIVATE;
			else if (vlen == 8 && !memcmp(val, "coherent", 8))
				out->type = DEVMEM_TYPE_COHERENT;
			else
				return -EINVAL;
			break;
		case K_NAME:
			copy_name(out->name, sizeof(out->name), val, vlen);
			break;
		case K_NID:
			if (vlen == 2 && !memcmp(val, "-1", 2)) {
				out->nid = ~0U;	/* NUMA_NO_NODE */
				break;
			}
			if (parse_u64(val, vlen, &v) || v >= 0xffffffffULL)
				return -EINVAL;
			out->nid = (__u32)v;
			break;
		default:
			if (parse_u64(val, vlen, &v))
				return -EINVAL;
			if (k == K_PGMAP)
				out->pgmap_id = v;
			else if (k == K_RANGE) {
				if (v >= 0xffffffffULL)
					return -EINVAL;
				out->range = (__u32)v;
			} else if (k == K_START)
				out->start = v;
			else if (k == K_END)
				out->end = v;
			else if (k == K_NR_PAGES)
				out->nr_pages = v;
			else if (k == K_IN_USE)
				out->in_use = v;
			break;
		}
		if (k == K_NAME)
			break;
	}
	if ((seen & ((1U << K_PGMAP) | (1U << K_START) | (1U << K_END))) !=
	    ((1U << K_PGMAP) | (1U << K_START) | (1U << K_END)))
		return -EINVAL;
	if (out->end < out->start)
		return -EINVAL;
	span = (size_t)((out->end - out->start) / page) + 1;
	if (out->nr_pages == DEVMEM_UNKNOWN)
		out->nr_pages = span;
	else if (out->nr_pages > span)
		return -EINVAL;
	if (out->in_use != DEVMEM_UNKNOWN && out->in_use > out->nr_pages)
		return -EINVAL;
	if (!(seen & (1U << K_TYPE)))
		out->type = DEVMEM_TYPE_PRIVATE;
	return 0;
}

static int add_line(struct devmem_snapshot *s, const struct devmem_pagemap_line *l)
{
	struct devmem_snap_range *r = devmem_snapshot_range(s, 0, l->start);

	if (!r)
		return -ENOMEM;
	r->r.start = l->start;
	r->r.end = l->end;
	r->r.nr_pages = l->nr_pages;
	r->r.type = l->type;
	if (l->nid != ~0U)
		r->r.nid = l->nid;
	r->id = l->pgmap_id;
	r->range_index = l->range;
	r->in_use_at_start = l->in_use;
	r->sources |= DEVMEM_RANGE_DISCOVERED;
	if (l->name[0])
		memcpy(r->name, l->name, sizeof(r->name));
	return 0;
}

int devmem_pagemaps_parse(FILE *f, struct devmem_snapshot *s)
{
	struct devmem_pagemap_line l;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int bad = 0, err = 0;

	while ((n = getline(&line, &cap, f)) >= 0) {
		if ((size_t)n != strlen(line)) {	/* a NUL byte inside */
			bad++;
			continue;
		}
		if (line[0] == '#' || strspn(line, " \t\r\n") == (size_t)n)
			continue;
		if (devmem_pagemaps_parse_line(line, &l)) {
			bad++;
			continue;
		}
		err = add_line(s, &l);
		if (err)
			break;
	}
	free(line);
	if (err)
		return err;
	if (ferror(f))
		return -EIO;
	return bad;
}

static bool debugfs_mounted(void)
{
	FILE *f = fopen("/proc/mounts", "r");
	char dev[256], dir[256], type[64];
	bool found = false;

	if (!f)
		return false;
	while (fscanf(f, "%255s %255s %63s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "debugfs") && !strcmp(dir, "/sys/kernel/debug"))
			found = true;
	fclose(f);
	return found;
}

int devmem_discover_ranges(const char *path, struct devmem_snapshot *s)
{
	FILE *f;
	int bad, err;

	if (!path) {
		/* the v3 listing, else the v2 one; a note names the v3 one */
		path = DEVMEM_PAGEMAPS_V3_PATH;
		f = fopen(path, "r");
		if (!f && errno == ENOENT) {
			f = fopen(DEVMEM_PAGEMAPS_PATH, "r");
			if (f || errno != ENOENT)
				path = DEVMEM_PAGEMAPS_PATH;
		}
	} else {
		f = fopen(path, "r");
	}
	if (!f) {
		err = -errno;
		if (err == -EACCES || err == -EPERM)
			snprintf(s->note, sizeof(s->note),
				 "%s is readable by root only, so ranges added before the tool "
				 "started are unknown: run the tool as root.", path);
		else if (!strncmp(path, "/sys/kernel/debug/", 18) && !debugfs_mounted())
			snprintf(s->note, sizeof(s->note),
				 "debugfs is not mounted, so ranges added before the tool started "
				 "are unknown: mount it with 'mount -t debugfs none /sys/kernel/debug'.");
		else
			snprintf(s->note, sizeof(s->note),
				 "This kernel has no %s (no zone_device patch series), so ranges added "
				 "before the tool started are unknown; ranges added or removed from "
				 "now on are listed.", path);
		return err;
	}
	bad = devmem_pagemaps_parse(f, s);
	fclose(f);
	if (bad < 0)
		return bad;
	if (bad)
		snprintf(s->note, sizeof(s->note),
			 "%d malformed line%s of %s skipped: the ranges they describe are not "
			 "listed.", bad, bad == 1 ? "" : "s", path);
	return 0;
}

/* "  <hex>-<hex> : name" */
static bool parse_iomem_line(const char *line, __u64 *start, __u64 *end, const char **name)
{
	char *e;
	unsigned long long a, b;

	while (*line == ' ')
		line++;
	if (!isxdigit((unsigned char)*line))
		return false;
	errno = 0;
	a = strtoull(line, &e, 16);
	if (errno || *e != '-' || !isxdigit((unsigned char)e[1]))
		return false;
	b = strtoull(e + 1, &e, 16);
	if (errno || strncmp(e, " : ", 3))
		return false;
	*start = a;
	*end = b;
	*name = e + 3;
	return true;
}

const char *devmem_iomem_name(FILE *iomem, __u64 start, __u64 end, char *buf, size_t len)
{
	char line[512];
	const char *name;
	__u64 a, b, best = ~0ULL;
	bool found = false;

	if (!iomem || !len)
		return NULL;
	rewind(iomem);
	/*
	 * The resource that is exactly the range, else the smallest one that
	 * holds it: a driver may reserve whole sections and map part of them.
	 */
	while (fgets(line, sizeof(line), iomem)) {
		if (!parse_iomem_line(line, &a, &b, &name) || a > start || b < end || b - a >= best)
			continue;
		copy_name(buf, len, name, strcspn(name, "\r\n"));
		best = b - a;
		found = true;
	}
	return found ? buf : NULL;
}

int devmem_iomem_each(FILE *iomem, int (*fn)(void *ctx, __u64 start, __u64 end,
					     const char *name), void *ctx)
{
	char line[512], name[DEVMEM_NAME_LEN];
	const char *n;
	__u64 a, b;
	int ret;

	rewind(iomem);
	while (fgets(line, sizeof(line), iomem)) {
		if (!parse_iomem_line(line, &a, &b, &n))
			continue;
		copy_name(name, sizeof(name), n, strcspn(n, "\r\n"));
		ret = fn(ctx, a, b, name);
		if (ret)
			return ret;
	}
	return 0;
}

void devmem_name_ranges(const char *iomem_path, struct devmem_snapshot *s)
{
	FILE *f;

	if (!s->nr_ranges)
		return;
	f = fopen(iomem_path ? iomem_path : "/proc/iomem", "r");
	if (!f)
		return;
	for (size_t i = 0; i < s->nr_ranges; i++) {
		struct devmem_snap_range *r = &s->ranges[i];

		if (!r->name[0] && r->r.end > r->r.start)
			devmem_iomem_name(f, r->r.start, r->r.end, r->name, sizeof(r->name));
	}
	fclose(f);
}
