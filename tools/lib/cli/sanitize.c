// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The one filter for kernel and file strings shown anywhere (sanitize.h). */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "cli/sanitize.h"

struct range {
	uint32_t lo, hi;
};

/* East Asian wide and fullwidth characters: two terminal columns */
static const struct range wide[] = {
	{ 0x1100, 0x115f }, { 0x2329, 0x232a }, { 0x2e80, 0x303e }, { 0x3040, 0xa4cf },
	{ 0xac00, 0xd7a3 }, { 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff },
	{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

/* combining marks and zero-width characters: no column of their own */
static const struct range zero[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x0610, 0x061a },
	{ 0x064b, 0x065f }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x20d0, 0x20ff },
	{ 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f }, { 0xe0100, 0xe01ef },
};

static bool in(const struct range *r, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (cp >= r[i].lo && cp <= r[i].hi)
			return true;
	return false;
}

static size_t cp_cols(uint32_t cp)
{
	if (in(zero, sizeof(zero) / sizeof(zero[0]), cp))
		return 0;
	return in(wide, sizeof(wide) / sizeof(wide[0]), cp) ? 2 : 1;
}

/*
 * The length of the valid shortest-form UTF-8 sequence at s (n bytes there),
 * its code point in *cp; 0 if the first byte does not start one.
 */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b >= 0xc2 && b <= 0xdf) {
		len = 2;
		*cp = b & 0x1f;
	} else if (b >= 0xe0 && b <= 0xef) {
		len = 3;
		*cp = b & 0x0f;
		if (b == 0xe0)
			lo = 0xa0;	/* overlong below */
		else if (b == 0xed)
			hi = 0x9f;	/* surrogates above */
	} else if (b >= 0xf0 && b <= 0xf4) {
		len = 4;
		*cp = b & 0x07;
		if (b == 0xf0)
			lo = 0x90;	/* overlong below */
		else if (b == 0xf4)
			hi = 0x8f;	/* beyond U+10FFFF above */
	} else {
		return 0;	/* a continuation byte, C0, C1 or F5..FF */
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
		lo = 0x80;
		hi = 0xbf;
	}
	return len;
}

/* valid, but a control or a character that rearranges or breaks what is around it */
static bool hostile(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfffe || cp == 0xffff;
}

static size_t filter(char *dst, size_t size, const char *src, size_t srclen,
		     unsigned int flags, size_t max_cols, size_t *cols_out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t n = src ? strnlen(src, srclen) : 0, i = 0, total = 0, used = 0, cols = 0;
	bool full = !size;

	while (i < n) {
		char unit[16];
		size_t ulen, w, take;
		uint32_t cp;

		take = utf8_seq(s + i, n - i, &cp);
		if (take && !hostile(cp) && !(cp == ' ' && (flags & DEVMEM_SANITIZE_SPACE))) {
			if (cp == '\\') {
				memcpy(unit, "\\\\", 2);
				ulen = w = 2;
			} else {
				memcpy(unit, s + i, take);
				ulen = take;
				w = cp_cols(cp);
			}
		} else {
			/* every byte of a hostile character, or the one bad byte */
			if (!take)
				take = 1;
			for (size_t k = 0; k < take; k++) {
				unit[4 * k] = '\\';
				unit[4 * k + 1] = 'x';
				unit[4 * k + 2] = hex[s[i + k] >> 4];
				unit[4 * k + 3] = hex[s[i + k] & 0xf];
			}
			ulen = w = 4 * take;
		}
		i += take;
		total += ulen;
		if (full || used + ulen >= size || cols + w > max_cols) {
			full = true;	/* never a later, shorter unit: the result is a prefix */
			continue;
		}
		memcpy(dst + used, unit, ulen);
		used += ulen;
		cols += w;
	}
	if (size)
		dst[used] = '\0';
	if (cols_out)
		*cols_out = cols;
	return total;
}

size_t devmem_sanitize(char *dst, size_t size, const char *src, size_t srclen,
		       unsigned int flags)
{
	return filter(dst, size, src, srclen, flags, SIZE_MAX, NULL);
}

size_t devmem_sanitize_cols(char *dst, size_t size, const char *src, size_t srclen,
			    unsigned int flags, size_t cols)
{
	size_t got;

	filter(dst, size, src, srclen, flags, cols, &got);
	return got;
}

static void pad(char *s, size_t size, size_t have, size_t cols)
{
	size_t len = strlen(s);

	for (; have < cols && len + 1 < size; have++)
		s[len++] = ' ';
	s[len] = '\0';
}

char *devmem_pad_cols(char *s, size_t size, size_t cols)
{
	if (size)
		pad(s, size, devmem_str_cols(s), cols);
	return s;
}

char *devmem_sanitize_field(char *dst, size_t size, const char *src, size_t srclen,
			    unsigned int flags, size_t cols)
{
	size_t got;

	if (!size)
		return dst;
	filter(dst, size, src, srclen, flags, cols, &got);
	pad(dst, size, got, cols);
	return dst;
}

/* one character of s: its bytes (at least 1) and columns */
static size_t next_char(const char *s, size_t *cols)
{
	size_t n = strnlen(s, 4);
	uint32_t cp;
	size_t len = utf8_seq((const unsigned char *)s, n, &cp);

	if (!len) {
		*cols = 1;
		return 1;
	}
	*cols = cp_cols(cp);
	return len;
}

size_t devmem_str_cols(const char *s)
{
	size_t total = 0, w;

	while (*s) {
		s += next_char(s, &w);
		total += w;
	}
	return total;
}

size_t devmem_utf8_cut(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t lead = len, need;

	/* back over at most three continuation bytes to the lead byte */
	while (lead > 0 && len - lead < 3 && (u[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (!lead || u[lead - 1] < 0xc0)
		return len;
	lead--;
	need = u[lead] >= 0xf0 ? 4 : u[lead] >= 0xe0 ? 3 : 2;
	return len - lead < need ? lead : len;
}

size_t devmem_str_cut(const char *s, size_t cols)
{
	size_t off = 0, used = 0, w, len;

	while (s[off]) {
		len = next_char(s + off, &w);
		if (used + w > cols)
			break;
		used += w;
		off += len;
	}
	return off;
}
