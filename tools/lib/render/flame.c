// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Stacks of CPU faults on device memory as an SVG flame graph (flame.h):
 * the stacks merged into a tree under a root frame, each frame a box as
 * wide as the faults under it, siblings in alphabetical order, the root at
 * the bottom, with the search and zoom script of flame_script.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model/snapshot.h"
#include "render/flame.h"
#include "render/report.h"
#include "render/svg.h"

#define W	1200
#define ROW	17
#define PAD	10
#define TITLE	48	/* title and the buttons above the frames */
#define BOTTOM	24	/* the "Matched" line below them */

struct node {
	const char *name;
	__u64 count;
	struct node **child;
	size_t nr_child, cap_child;
};

static struct node *child_of(struct node *parent, const char *name)
{
	struct node *c;

	for (size_t i = 0; i < parent->nr_child; i++)
		if (!strcmp(parent->child[i]->name, name))
			return parent->child[i];
	if (parent->nr_child == parent->cap_child) {
		size_t cap = parent->cap_child ? 2 * parent->cap_child : 4;
		struct node **v = realloc(parent->child, cap * sizeof(*v));

		if (!v)
			return NULL;
		parent->child = v;
		parent->cap_child = cap;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->name = name;
	parent->child[parent->nr_child++] = c;
	return c;
}

static void free_tree(struct node *n)
{
	for (size_t i = 0; i < n->nr_child; i++) {
		free_tree(n->child[i]);
		free(n->child[i]);
	}
	free(n->child);
}

static int cmp_node(const void *x, const void *y)
{
	return strcmp((*(struct node *const *)x)->name, (*(struct node *const *)y)->name);
}

/* siblings by name, as flamegraph.pl draws them; returns the depth below n */
static size_t sort_tree(struct node *n)
{
	size_t best = 0;

	if (n->nr_child)
		qsort(n->child, n->nr_child, sizeof(*n->child), cmp_node);
	for (size_t i = 0; i < n->nr_child; i++) {
		size_t d = 1 + sort_tree(n->child[i]);

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

struct draw {
	FILE *out;
	double scale;
	size_t height;		/* levels above the root */
	__u64 total;
	const char *unit;
};

static void frame(const struct draw *d, const struct node *n, double x, size_t depth)
{
	double w = (double)n->count * d->scale;
	int y = (int)(TITLE + (d->height - depth) * ROW), r, g, b;
	FILE *out = d->out;

	colour(n->name, &r, &g, &b);
	fputs("<g class=\"frame\" data-name=\"", out);
	devmem_svg_escape(out, n->name);
	fputs("\"><title>", out);
	devmem_svg_escape(out, n->name);
	fprintf(out, " (%llu %s, %.2f%%)</title>", (unsigned long long)n->count, d->unit,
		100.0 * (double)n->count / (double)d->total);
	fprintf(out, "<rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
		"fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>", x, y, w > 0.5 ? w - 0.5 : w, ROW - 1, r, g, b);
	/* a name only where it has room: about 7 px a character */
	fprintf(out, "<text x=\"%.2f\" y=\"%d\">", x + 3, y + ROW - 5);
	if (w > 21) {
		size_t room = (size_t)(w / 7);

		if (strlen(n->name) <= room) {
			devmem_svg_escape(out, n->name);
		} else {
			char *cut = strndup(n->name, room > 2 ? room - 2 : 1);

			devmem_svg_escape(out, cut ? cut : "");
			fputs("..", out);
			free(cut);
		}
	}
	fputs("</text></g>\n", out);
	for (size_t i = 0; i < n->nr_child; i++) {
		frame(d, n->child[i], x, depth + 1);
		x += (double)n->child[i]->count * d->scale;
	}
}

static void header(FILE *out, size_t h, const char *title, __u64 total, const char *unit)
{
	fprintf(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%zu\" viewBox=\"0 0 %d %zu\" font-family=\"monospace\" "
		"font-size=\"11\" onload=\"flameInit(evt)\">\n", W + 2 * PAD, h, W + 2 * PAD, h);
	fputs("<title>", out);
	devmem_svg_escape(out, title);
	fputs("</title>\n<style type=\"text/css\">"
	      ".frame:hover rect { stroke: black; stroke-width: 0.5; cursor: pointer; }"
	      ".button { cursor: pointer; fill: #404040; }"
	      ".button:hover { fill: black; text-decoration: underline; }"
	      ".hidden { display: none; } .faded { opacity: 0.55; }"
	      "</style>\n<script type=\"text/ecmascript\"><![CDATA[\n", out);
	fputs(devmem_flame_script, out);
	fputs("]]></script>\n", out);
	fprintf(out, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%zu\" fill=\"#f8f8f8\"/>\n",
		W + 2 * PAD, h);
	fprintf(out, "<text x=\"%d\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">",
		W / 2 + PAD);
	devmem_svg_escape(out, title);
	fprintf(out, " (%llu ", (unsigned long long)total);
	devmem_svg_escape(out, unit);
	fputs(")</text>\n", out);
	fprintf(out, "<text id=\"unzoom\" class=\"button hidden\" x=\"%d\" y=\"38\">Reset zoom"
		"</text>\n", PAD);
	fprintf(out, "<text id=\"search\" class=\"button\" x=\"%d\" y=\"38\" "
		"text-anchor=\"end\">Search</text>\n", W + PAD);
	fprintf(out, "<text id=\"matched\" x=\"%d\" y=\"%zu\" text-anchor=\"end\"> </text>\n",
		W + PAD, h - 8);
	fprintf(out, "<text id=\"details\" x=\"%d\" y=\"%zu\"> </text>\n", PAD, h - 8);
}

int devmem_flame_svg(FILE *out, const struct devmem_stack *st, size_t n, const char *title,
		     const char *unit)
{
	struct node root = { .name = "all" };
	size_t height, h;
	int err = 0;

	if (!unit)
		unit = "faults";
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
		free_tree(&root);
		return err;
	}
	height = sort_tree(&root);
	h = TITLE + (height + 1) * ROW + BOTTOM;
	header(out, h, title, root.count, unit);
	if (root.count) {
		struct draw d = {
			.out = out, .scale = (double)W / (double)root.count, .height = height,
			.total = root.count, .unit = unit,
		};

		fputs("<g id=\"frames\">\n", out);
		frame(&d, &root, PAD, 0);
		fputs("</g>\n", out);
	} else {
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no stack was "
			"recorded</text>\n", W / 2 + PAD, TITLE + ROW);
	}
	fputs("</svg>\n", out);
	free_tree(&root);
	return ferror(out) ? -EIO : 0;
}

/* ---- a snapshot's stacks ------------------------------------------------- */

/*
 * The stacks as devmem_stack (outermost first, the command name as the
 * first frame under the root); the writers filter every name on its way out.
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
	err = devmem_flame_svg(out, f.st, f.nr, title, "faults");
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
