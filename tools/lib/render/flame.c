// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Stacks of CPU faults on device memory as folded lines ("a;b;c N", the
 * input of flame-graph tools) and as an SVG flame graph of the project's
 * own (flame.h): the stacks merged into a tree, each frame a box as wide
 * as the faults under it, the root at the bottom.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/sanitize.h"
#include "model/snapshot.h"
#include "render/flame.h"
#include "render/report.h"
#include "render/svg.h"

#define W	1200
#define ROW	18
#define PAD	10
#define TITLE	40

/* a frame name for a folded line: filtered, with ';' and ' ' kept out */
static void folded_name(FILE *out, const char *name)
{
	size_t len = strlen(name), size = DEVMEM_SANITIZED_SIZE(len);
	char *clean = malloc(size);

	if (!clean) {
		fputc('?', out);
		return;
	}
	devmem_sanitize(clean, size, name, len, DEVMEM_SANITIZE_SPACE);
	for (char *c = clean; *c; c++)
		fputc(*c == ';' ? ':' : *c, out);
	free(clean);
}

int devmem_folded_write(FILE *out, const struct devmem_stack *st, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t d = 0; d < st[i].depth; d++) {
			if (d)
				fputc(';', out);
			folded_name(out, st[i].frames[d]);
		}
		fprintf(out, " %llu\n", (unsigned long long)st[i].count);
	}
	return ferror(out) ? -EIO : 0;
}

struct node {
	const char *name;
	__u64 count;
	struct node *child, *next;
};

static struct node *child_of(struct node *parent, const char *name)
{
	struct node *c;

	for (c = parent->child; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = name;
	c->next = parent->child;
	parent->child = c;
	return c;
}

static void free_tree(struct node *n)
{
	while (n) {
		struct node *next = n->next;

		free_tree(n->child);
		free(n);
		n = next;
	}
}

static size_t tree_depth(const struct node *n)
{
	size_t best = 0;

	for (const struct node *c = n->child; c; c = c->next) {
		size_t d = 1 + tree_depth(c);

		if (d > best)
			best = d;
	}
	return best;
}

/* a warm colour from the name, so one function looks the same everywhere */
static void colour(const char *name, int *r, int *g, int *b)
{
	unsigned int h = 2166136261u;

	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	*r = 205 + (int)(h % 50);
	*g = 80 + (int)((h >> 8) % 150);
	*b = 40 + (int)((h >> 16) % 40);
}

static void draw(FILE *out, const struct node *n, double x, double scale, size_t depth,
		 size_t height, __u64 total)
{
	double cx = x;

	for (const struct node *c = n->child; c; c = c->next) {
		double w = (double)c->count * scale;
		int y = (int)(TITLE + (height - depth) * ROW), r, g, b;

		colour(c->name, &r, &g, &b);
		fputs("<g><title>", out);
		devmem_svg_escape(out, c->name);
		fprintf(out, " (%llu faults, %.1f%%)</title>", (unsigned long long)c->count,
			100.0 * (double)c->count / (double)total);
		fprintf(out, "<rect class=\"frame\" x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
			"fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>", cx, y, w > 0.5 ? w - 0.5 : w, ROW - 1,
			r, g, b);
		/* a name only where it has room: about 7 px a character */
		if (w > 21) {
			size_t room = (size_t)(w / 7);

			fprintf(out, "<text x=\"%.2f\" y=\"%d\">", cx + 3, y + ROW - 5);
			if (strlen(c->name) <= room) {
				devmem_svg_escape(out, c->name);
			} else {
				char *cut = strndup(c->name, room > 2 ? room - 2 : 1);

				devmem_svg_escape(out, cut ? cut : "");
				fputs("..", out);
				free(cut);
			}
			fputs("</text>", out);
		}
		fputs("</g>\n", out);
		draw(out, c, cx, scale, depth + 1, height, total);
		cx += w;
	}
}

int devmem_flame_svg(FILE *out, const struct devmem_stack *st, size_t n, const char *title)
{
	struct node root = { .name = "all" };
	size_t height, h;
	int err = 0;

	for (size_t i = 0; i < n && !err; i++) {
		struct node *at = &root;

		root.count += st[i].count;
		for (size_t d = 0; d < st[i].depth; d++) {
			at = child_of(at, st[i].frames[d]);
			if (!at) {
				err = -ENOMEM;
				break;
			}
			at->count += st[i].count;
		}
	}
	if (err) {
		free_tree(root.child);
		return err;
	}
	height = tree_depth(&root);
	h = TITLE + (height + 1) * ROW + PAD;
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%zu\" viewBox=\"0 0 %d %zu\" font-family=\"monospace\" "
		"font-size=\"11\">\n", W + 2 * PAD, h, W + 2 * PAD, h);
	fputs("<title>", out);
	devmem_svg_escape(out, title);
	fputs("</title>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%zu\" fill=\"#f8f8f8\"/>\n",
		W + 2 * PAD, h);
	fprintf(out, "<text x=\"%d\" y=\"24\" text-anchor=\"middle\" font-size=\"15\">",
		W / 2 + PAD);
	devmem_svg_escape(out, title);
	fprintf(out, " (%llu faults)</text>\n", (unsigned long long)root.count);
	if (root.count)
		draw(out, &root, PAD, (double)W / (double)root.count, 0, height, root.count);
	else
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no stack was "
			"recorded</text>\n", W / 2 + PAD, TITLE + ROW);
	fputs("</svg>\n", out);
	free_tree(root.child);
	return ferror(out) ? -EIO : 0;
}

/* ---- folded stacks and the flame graph ----------------------------------- */

/*
 * The stacks as devmem_stack (outermost first, the command name as the
 * root frame); flame.c filters every name on its way out.
 */
struct flat {
	struct devmem_stack *st;
	size_t nr;
};

static void flat_free(struct flat *f)
{
	for (size_t i = 0; i < f->nr; i++)
		free((void *)f->st[i].frames);
	free(f->st);
}

static int flatten(const struct devmem_snapshot *s, bool by_time, struct flat *f)
{
	memset(f, 0, sizeof(*f));
	if (!s->nr_stacks)
		return 0;
	f->st = calloc(s->nr_stacks, sizeof(*f->st));
	if (!f->st)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr_stacks; i++) {
		const struct devmem_snap_stack *x = &s->stacks[i];
		const char **frames = calloc(x->depth + 1, sizeof(*frames)), *p = x->names;
		__u32 d = x->depth + 1;

		if (!frames) {
			flat_free(f);
			return -ENOMEM;
		}
		frames[0] = x->comm[0] ? x->comm : "?";
		/* names are innermost first: fill from the end */
		for (__u32 k = 0; k < x->depth; k++, p += strlen(p) + 1)
			frames[--d] = p;
		f->st[f->nr].frames = frames;
		f->st[f->nr].depth = x->depth + 1;
		f->st[f->nr].count = by_time ? x->fault_ns / 1000 : x->faults;
		f->nr++;
	}
	return 0;
}

int devmem_stacks_folded(FILE *out, const struct devmem_snapshot *s, bool by_time)
{
	struct flat f;
	int err = flatten(s, by_time, &f);

	if (err)
		return err;
	err = devmem_folded_write(out, f.st, f.nr);
	flat_free(&f);
	return err;
}

int devmem_stacks_flamegraph(FILE *out, const struct devmem_snapshot *s, const char *title)
{
	struct flat f;
	int err = flatten(s, false, &f);

	if (err)
		return err;
	err = devmem_flame_svg(out, f.st, f.nr, title);
	flat_free(&f);
	return err;
}

static int write_one(const char *path, const struct devmem_snapshot *s, bool svg,
		     const char *title, char *err, size_t errlen)
{
	bool std = !strcmp(path, "-");
	FILE *f = std ? stdout : fopen(path, "w");
	int ret;

	if (!f) {
		snprintf(err, errlen, "cannot write %s: %s; give a writable path.", path,
			 strerror(errno));
		return -errno;
	}
	ret = svg ? devmem_stacks_flamegraph(f, s, title) : devmem_stacks_folded(f, s, false);
	if (fflush(f) && !ret)
		ret = -EIO;
	if (!std && fclose(f) && !ret)
		ret = -EIO;
	if (ret)
		snprintf(err, errlen, "writing %s failed: %s.", path,
			 ret == -ENOMEM ? "out of memory" : "write error (disk full?)");
	return ret;
}

int devmem_stacks_write(const struct devmem_snapshot *s, const char *folded,
			const char *flamegraph, const char *title, char *err, size_t errlen)
{
	int ret = 0;

	if (folded)
		ret = write_one(folded, s, false, title, err, errlen);
	if (!ret && flamegraph)
		ret = write_one(flamegraph, s, true, title, err, errlen);
	return ret;
}
