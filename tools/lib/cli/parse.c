// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The number parsers (parse.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli/parse.h"

bool devmem_parse_u64(const char *s, int base, __u64 max, __u64 *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

bool devmem_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= min) || v > max)
		return false;
	*out = v;
	return true;
}

bool devmem_parse_hex(const char *s, __u64 *out)
{
	if (s && (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)))
		s += 2;
	return devmem_parse_u64(s, 16, ~0ULL, out);
}

bool devmem_parse_size(const char *s, __u64 *out)
{
	char *end;
	double v;

	if (!s)
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || !(v > 0))
		return false;
	switch (*end) {
	case 'k': case 'K': v *= 1024; end++; break;
	case 'm': case 'M': v *= 1024 * 1024; end++; break;
	case 'g': case 'G': v *= 1024.0 * 1024 * 1024; end++; break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v > 1e18)
		return false;
	*out = (__u64)v;
	return true;
}
