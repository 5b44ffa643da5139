/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The number parsers of every option and every input line (parse.c): the
 * whole string must be the number, or they refuse it.
 */
#ifndef DEVMEM_CLI_PARSE_H
#define DEVMEM_CLI_PARSE_H

#include <stdbool.h>
#include <linux/types.h>

/* a whole number in base (0: 0x and 0 prefixes too), no sign or space, at most max */
bool devmem_parse_u64(const char *s, int base, __u64 max, __u64 *out);
/* a number from min to max; NaN and trailing text are refused */
bool devmem_parse_double(const char *s, double min, double max, double *out);
/* hexadecimal with or without 0x: how every tool prints owners and range starts */
bool devmem_parse_hex(const char *s, __u64 *out);
/* bytes with an optional K, M or G suffix and an optional B, more than 0 */
bool devmem_parse_size(const char *s, __u64 *out);

#endif /* DEVMEM_CLI_PARSE_H */
