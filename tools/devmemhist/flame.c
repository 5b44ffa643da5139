// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* devmemhist flame: folded stacks from any file drawn as a flame graph. */
#include "devmemhist.h"

/* a folded file (- for standard input) into all; 0 or an exit code */
static int read_one(const char *path, struct devmem_folded *all)
{
	bool std = !strcmp(path, "-");
	FILE *f = std ? stdin : fopen(path, "r");
	struct devmem_folded one;
	char err[256], name[DEVMEM_SANITIZED_SIZE(256)];
	void *p;
	int ret;

	devmem_sanitize(name, sizeof(name), path, strlen(path), 0);
	if (!f) {
		fprintf(stderr, "devmemhist: cannot open %s: %s; give a folded file written by "
			"--folded.\n", name, strerror(errno));
		return DEVMEM_EXIT_BAD_INPUT;
	}
	ret = devmem_folded_read(f, &one, err, sizeof(err));
	if (!std)
		fclose(f);
	if (ret) {
		fprintf(stderr, "devmemhist: %s: %s.\n", name, err);
		return ret == -ENOMEM ? DEVMEM_EXIT_NOMEM : DEVMEM_EXIT_BAD_INPUT;
	}
	/* the stacks join the others', their buffers change hands */
	p = realloc(all->st, (all->nr + one.nr) * sizeof(*all->st) + 1);
	if (p)
		all->st = p;
	p = p ? realloc(all->bufs, (all->nr + one.nr) * sizeof(*all->bufs) + 1) : NULL;
	if (!p) {
		devmem_folded_free(&one);
		return DEVMEM_EXIT_NOMEM;
	}
	all->bufs = p;
	memcpy(all->st + all->nr, one.st, one.nr * sizeof(*one.st));
	memcpy(all->bufs + all->nr, one.bufs, one.nr * sizeof(*one.bufs));
	all->nr += one.nr;
	free(one.st);
	free(one.bufs);
	return 0;
}

int run_flame(void)
{
	struct devmem_folded all = { 0 };
	char title[512];
	FILE *out = stdout;
	int ret = 0;

	for (size_t i = 0; i < env.nr_files && !ret; i++)
		ret = read_one(env.files[i], &all);
	if (!ret && env.output && strcmp(env.output, "-")) {
		out = fopen(env.output, "w");
		if (!out) {
			fprintf(stderr, "devmemhist: cannot create %s: %s; check the directory is "
				"writable.\n", env.output, strerror(errno));
			ret = DEVMEM_EXIT_FAILURE;
		}
	}
	if (!ret) {
		size_t len = 0;

		if (env.title)
			snprintf(title, sizeof(title), "%s", env.title);
		else
			for (size_t i = 0; i < env.nr_files && len < sizeof(title); i++)
				len += (size_t)snprintf(title + len, sizeof(title) - len, "%s%s",
							i ? ", " : "", env.files[i]);
		/* the title and every name are filtered as the SVG is written */
		if (devmem_flame_svg(out, all.st, all.nr, title,
				     env.flame_unit ? env.flame_unit : "faults") ||
		    fflush(out)) {
			fprintf(stderr, "devmemhist: writing the flame graph failed: %s.\n",
				strerror(errno));
			ret = DEVMEM_EXIT_FAILURE;
		}
		if (out != stdout && fclose(out) && !ret) {
			fprintf(stderr, "devmemhist: writing %s failed: %s; check the disk has "
				"space.\n", env.output, strerror(errno));
			ret = DEVMEM_EXIT_FAILURE;
		}
	}
	devmem_folded_free(&all);
	return ret;
}
