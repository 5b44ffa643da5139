// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Counters and folio counts as text (counts_text.h). */
#include <stdbool.h>
#include <stdio.h>
#include "model/counts.h"
#include "model/snapshot.h"
#include "render/counts_text.h"

const char *devmem_count_text(char *buf, size_t len, __u64 v)
{
	if (v == DEVMEM_UNKNOWN)
		snprintf(buf, len, "?");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}

void devmem_counters_text(FILE *out, enum devmem_mode mode, const struct devmem_counters *c,
			  const char *indent)
{
	char v[24];

	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++)
		fprintf(out, "%s%-24s %s\n", indent, devmem_counter_names[i],
			devmem_count_text(v, sizeof(v), devmem_counter_shown(mode, c, i)));
}

void devmem_counters_line(FILE *out, enum devmem_mode mode, const struct devmem_counters *c,
			  const char *indent)
{
	bool any = false;

	fputs(indent, out);
	for (size_t i = 0; i < DEVMEM_NR_COUNTERS; i++) {
		__u64 v = devmem_counter_shown(mode, c, i);

		if (!v || v == DEVMEM_UNKNOWN)
			continue;
		fprintf(out, "%s%s %llu", any ? ", " : "", devmem_counter_names[i],
			(unsigned long long)v);
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : "no activity");
}

void devmem_folios_text(FILE *out, const struct devmem_folio_counts *f, const char *indent)
{
	fprintf(out, "%sfolios by order:", indent);
	if (!devmem_folios_known(f)) {
		fprintf(out, " ?\n");
		return;
	}
	for (unsigned int k = 0; k < DEVMEM_FOLIO_KINDS; k++) {
		const __u64 *n = devmem_folios_of(f, k);
		bool any = false;

		fprintf(out, "%s %s", k ? "," : "", devmem_folio_kind_names[k]);
		for (unsigned int o = 0; o < DEVMEM_ORDERS; o++)
			if (n[o]) {
				fprintf(out, " %u:%llu", o, (unsigned long long)n[o]);
				any = true;
			}
		if (!any)
			fprintf(out, " none");
	}
	fputc('\n', out);
}
