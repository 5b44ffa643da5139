// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * progtime: the longest single run of every BPF program a devmem tool has
 * loaded, for the guest checks that a program's run time does not grow
 * with the device.
 *
 *   progtime READY_FILE RESULT_FILE
 *
 * It waits until a devmem tool's programs are loaded (names tp_, raw_,
 * fe_, fx_), puts an fentry and an fexit of its own on each (progtime.bpf.c:
 * every run timed), creates READY_FILE, and on SIGINT or SIGTERM writes one
 * line per program to RESULT_FILE:
 *
 *   NAME traced RUNS MAX_NS MEAN_NS
 *   NAME stats RUNS - MEAN_NS
 *
 * "traced" is measured run by run. Kernels that do not let a tracing
 * program trace another (before v6.9 "bpf: allow fentry/fexit on tracing
 * programs") give "stats": the kernel's run-time statistics over the same
 * span, a mean only (exact where the program ran once). Exit 0, or 1 with
 * a sentence.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_PROGS	128

struct target {
	char name[128];
	int fd;
	struct bpf_object *obj;		/* the tracer pair; NULL: stats */
	struct bpf_link *links[2];
	__u64 cnt0, ns0;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list args)
{
	return 0;
}

static int ours(const char *name)
{
	return !strncmp(name, "tp_", 3) || !strncmp(name, "raw_", 4) ||
	       !strncmp(name, "fe_", 3) || !strncmp(name, "fx_", 3);
}

/* the BTF name of a program's main function (bpf_prog_info.name is cut at 16) */
static int func_name(int fd, const struct bpf_prog_info *info, char *out, size_t len)
{
	struct bpf_func_info fi[1];
	struct bpf_prog_info i2 = {};
	__u32 l = sizeof(i2);
	struct btf *btf;
	const struct btf_type *t;

	if (!info->btf_id || !info->nr_func_info)
		return -1;
	i2.nr_func_info = 1;
	i2.func_info_rec_size = sizeof(fi[0]);
	i2.func_info = (__u64)(unsigned long)fi;
	if (bpf_obj_get_info_by_fd(fd, &i2, &l))
		return -1;
	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return -1;
	t = btf__type_by_id(btf, fi[0].type_id);
	if (t)
		snprintf(out, len, "%s", btf__name_by_offset(btf, t->name_off));
	btf__free(btf);
	return t ? 0 : -1;
}

static int stats_of(int fd, __u64 *cnt, __u64 *ns)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	*cnt = info.run_cnt;
	*ns = info.run_time_ns;
	return 0;
}

static int trace(struct target *t, const char *obj_path)
{
	struct bpf_program *p;

	t->obj = bpf_object__open_file(obj_path, NULL);
	if (!t->obj)
		return -1;
	bpf_object__for_each_program(p, t->obj)
		if (bpf_program__set_attach_target(p, t->fd, t->name))
			goto fail;
	if (bpf_object__load(t->obj))
		goto fail;
	t->links[0] = bpf_program__attach(bpf_object__find_program_by_name(t->obj, "enter"));
	t->links[1] = bpf_program__attach(bpf_object__find_program_by_name(t->obj, "leave"));
	if (!t->links[0] || !t->links[1])
		goto fail;
	return 0;
fail:
	bpf_link__destroy(t->links[0]);
	bpf_link__destroy(t->links[1]);
	t->links[0] = t->links[1] = NULL;
	bpf_object__close(t->obj);
	t->obj = NULL;
	return -1;
}

/* a global of the tracer's .bss */
static __u64 bss_u64(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, ".bss");
	const struct btf *btf = bpf_object__btf(obj);
	const struct btf_type *sec;
	const struct btf_var_secinfo *vs;
	size_t size;
	char *data;
	int id;

	if (!m || !btf || (id = btf__find_by_name_kind(btf, ".bss", BTF_KIND_DATASEC)) < 0)
		return 0;
	size = bpf_map__value_size(m);
	data = calloc(1, size);
	if (!data)
		return 0;
	if (bpf_map__lookup_elem(m, &(int){ 0 }, sizeof(int), data, size, 0)) {
		free(data);
		return 0;
	}
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (__u16 i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *v = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, v->name_off), name)) {
			__u64 x;

			memcpy(&x, data + vs->offset, sizeof(x));
			free(data);
			return x;
		}
	}
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	static struct target t[MAX_PROGS];
	char obj_path[4096];
	size_t n = 0;
	FILE *out;
	int stats_fd;

	if (argc != 3) {
		fprintf(stderr, "usage: progtime READY_FILE RESULT_FILE\n");
		return 2;
	}
	libbpf_set_print(quiet);
	snprintf(obj_path, sizeof(obj_path), "%s.bpf.o", argv[0]);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	/* the tool's programs, once loaded: wait for them to stop appearing */
	for (int settle = 0; !stop && settle < 3; ) {
		__u32 id = 0;
		size_t before = n;

		while (!bpf_prog_get_next_id(id, &id) && n < MAX_PROGS) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			int fd = bpf_prog_get_fd_by_id(id);
			size_t k;

			if (fd < 0)
				continue;
			if (bpf_obj_get_info_by_fd(fd, &info, &len) || !ours(info.name)) {
				close(fd);
				continue;
			}
			for (k = 0; k < n && t[k].fd >= 0; k++) {
				struct bpf_prog_info o = {};
				__u32 ol = sizeof(o);

				if (!bpf_obj_get_info_by_fd(t[k].fd, &o, &ol) && o.id == info.id)
					break;
			}
			if (k < n || func_name(fd, &info, t[n].name, sizeof(t[n].name))) {
				close(fd);
				continue;
			}
			t[n].fd = fd;
			n++;
		}
		settle = n && n == before ? settle + 1 : 0;
		usleep(500000);
	}
	if (!n) {
		fprintf(stderr, "progtime: no devmem program was loaded; start the tool first.\n");
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (trace(&t[i], obj_path))
			stats_of(t[i].fd, &t[i].cnt0, &t[i].ns0);
	}
	out = fopen(argv[1], "w");
	if (!out) {
		fprintf(stderr, "progtime: cannot create %s: %s.\n", argv[1], strerror(errno));
		return 1;
	}
	fclose(out);
	while (!stop)
		pause();
	out = fopen(argv[2], "w");
	if (!out) {
		fprintf(stderr, "progtime: cannot create %s: %s.\n", argv[2], strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		if (t[i].obj) {
			__u64 runs = bss_u64(t[i].obj, "runs"), total = bss_u64(t[i].obj, "total_ns");

			fprintf(out, "%s traced %llu %llu %llu\n", t[i].name, (unsigned long long)runs,
				(unsigned long long)bss_u64(t[i].obj, "max_ns"),
				(unsigned long long)(runs ? total / runs : 0));
		} else {
			__u64 c = 0, ns = 0;

			stats_of(t[i].fd, &c, &ns);
			c -= t[i].cnt0;
			ns -= t[i].ns0;
			fprintf(out, "%s stats %llu - %llu\n", t[i].name, (unsigned long long)c,
				(unsigned long long)(c ? ns / c : 0));
		}
	}
	fclose(out);
	if (stats_fd >= 0)
		close(stats_fd);
	return 0;
}
