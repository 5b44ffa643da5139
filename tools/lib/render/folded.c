// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Folded stacks ("outer;...;inner COUNT" a line, the input of flame-graph
 * tools): written merged and in byte order, as stackcollapse scripts sort
 * them, so two files compare line by line; read back for `devmemhist
 * flame` (flame.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/parse.h"
#include "cli/sanitize.h"
#include "render/flame.h"

/* a frame name for a folded line: filtered, spaces escaped, ';' kept out */
static int folded_name(char **line, size_t *len, size_t *cap, const char *name)
{
	size_t n = strlen(name), size = DEVMEM_SANITIZED_SIZE(n), got;
	char *clean = malloc(size);

	if (!clean)
		return -ENOMEM;
	got = devmem_sanitize(clean, size, name, n, DEVMEM_SANITIZE_SPACE);
	if (*len + got + 2 > *cap) {
		size_t c = (*len + got + 2) * 2;
		char *p = realloc(*line, c);

		if (!p) {
			free(clean);
			return -ENOMEM;
		}
		*line = p;
		*cap = c;
	}
	for (size_t i = 0; i < got; i++)
		(*line)[(*len)++] = clean[i] == ';' ? ':' : clean[i];
	(*line)[*len] = '\0';
	free(clean);
	return 0;
}

struct line {
	char *text;
	__u64 count;
};

static int cmp_line(const void *x, const void *y)
{
	return strcmp(((const struct line *)x)->text, ((const struct line *)y)->text);
}

int devmem_folded_write(FILE *out, const struct devmem_stack *st, size_t n)
{
	struct line *v = n ? calloc(n, sizeof(*v)) : NULL;
	size_t nr = 0, i, j;
	int err = 0;

	if (n && !v)
		return -ENOMEM;
	for (i = 0; i < n && !err; i++) {
		size_t len = 0, cap = 0;
		char *text = NULL;

		if (!st[i].count || !st[i].depth)
			continue;
		for (size_t d = 0; d < st[i].depth && !err; d++) {
			err = folded_name(&text, &len, &cap, st[i].frames[d]);
			if (!err && d + 1 < st[i].depth)
				text[len++] = ';';
		}
		if (err) {
			free(text);
			break;
		}
		v[nr].text = text;
		v[nr++].count = st[i].count;
	}
	if (!err && nr) {
		/* identical lines (two processes of one command, one function twice) merge */
		qsort(v, nr, sizeof(*v), cmp_line);
		for (i = 0; i < nr; i = j) {
			__u64 sum = 0;

			for (j = i; j < nr && !strcmp(v[j].text, v[i].text); j++)
				sum += v[j].count;
			fprintf(out, "%s %llu\n", v[i].text, (unsigned long long)sum);
		}
	}
	for (i = 0; i < nr; i++)
		free(v[i].text);
	free(v);
	if (err)
		return err;
	return ferror(out) ? -EIO : 0;
}

void devmem_folded_free(struct devmem_folded *f)
{
	for (size_t i = 0; i < f->nr; i++) {
		free((void *)f->st[i].frames);
		free(f->bufs[i]);
	}
	free(f->st);
	free(f->bufs);
	memset(f, 0, sizeof(*f));
}

/* one line into f: the frames split at ';' in place */
static int folded_line(struct devmem_folded *f, char *text, __u64 count)
{
	size_t depth = 1, d = 0;
	const char **frames;
	void *p;

	for (char *c = text; *c; c++)
		depth += *c == ';';
	frames = calloc(depth, sizeof(*frames));
	if (!frames)
		return -ENOMEM;
	p = realloc(f->st, (f->nr + 1) * sizeof(*f->st));
	if (!p)
		goto nomem;
	f->st = p;
	p = realloc(f->bufs, (f->nr + 1) * sizeof(*f->bufs));
	if (!p)
		goto nomem;
	f->bufs = p;
	for (char *c = text, *start = text;; c++) {
		if (*c != ';' && *c)
			continue;
		frames[d++] = start;
		if (!*c)
			break;
		*c = '\0';
		start = c + 1;
	}
	f->st[f->nr] = (struct devmem_stack){ frames, depth, count };
	f->bufs[f->nr++] = text;
	return 0;
nomem:
	free(frames);
	return -ENOMEM;
}

int devmem_folded_read(FILE *in, struct devmem_folded *f, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t len;
	int ret = 0;

	memset(f, 0, sizeof(*f));
	while ((len = getline(&line, &cap, in)) >= 0) {
		char *sp, *text;
		__u64 count;

		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len)
			continue;
		sp = strrchr(line, ' ');
		if (!sp || sp == line || !devmem_parse_u64(sp + 1, 10, ~0ULL, &count)) {
			snprintf(err, errlen, "line %zu is not a folded stack (\"a;b;c COUNT\")",
				 lineno);
			ret = -EINVAL;
			break;
		}
		*sp = '\0';
		text = strdup(line);
		if (!text || folded_line(f, text, count)) {
			free(text);
			snprintf(err, errlen, "out of memory at line %zu", lineno);
			ret = -ENOMEM;
			break;
		}
	}
	free(line);
	if (!ret && ferror(in)) {
		snprintf(err, errlen, "read error: %s", strerror(errno));
		ret = -EIO;
	}
	if (ret)
		devmem_folded_free(f);
	return ret;
}
