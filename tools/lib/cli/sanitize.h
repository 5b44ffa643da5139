/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * The one filter for every string that comes from the kernel or from a file
 * (process names, range and iomem names, host names, notes, device names) on
 * its way to a terminal, a text file, SVG or JSON (sanitize.c).
 *
 * Valid printable UTF-8 passes unchanged. Each byte of a control character
 * (0x00-0x1f, 0x7f, the C1 controls U+0080-U+009F), of a bidirectional
 * override or isolate (U+202A-U+202E, U+2066-U+2069), of U+FFFE or U+FFFF,
 * and each byte that is not part of valid shortest-form UTF-8 (stray
 * continuation bytes such as an 8-bit CSI 0x9b, overlong forms, surrogates,
 * code points above U+10FFFF, a sequence cut short) becomes the four
 * characters \xHH; a backslash becomes \\, so the result reads back
 * unambiguously. The result is valid UTF-8, has no control byte and is
 * NUL-terminated; it is cut only between two characters or escapes.
 */
#ifndef DEVMEM_SANITIZE_H
#define DEVMEM_SANITIZE_H

#include <stddef.h>

/* Bytes the filtered form of n input bytes may take, NUL included. */
#define DEVMEM_SANITIZED_SIZE(n)	(4 * (n) + 1)

/* Escape spaces too (\x20): the string is one word of a whitespace-separated line. */
#define DEVMEM_SANITIZE_SPACE		0x1

/*
 * Filter at most srclen bytes of src (less if a NUL comes first: fixed-size
 * fields need not hold one) into dst, at most size bytes with the NUL.
 * Returns the length of the whole filtered string, as snprintf() does: the
 * result was cut if that is >= size.
 */
size_t devmem_sanitize(char *dst, size_t size, const char *src, size_t srclen,
		       unsigned int flags);

/*
 * The same, also cut to at most cols terminal columns; returns the columns
 * the result takes.
 */
size_t devmem_sanitize_cols(char *dst, size_t size, const char *src, size_t srclen,
			    unsigned int flags, size_t cols);

/* Pad s with spaces to cols columns (as far as size allows); returns s. */
char *devmem_pad_cols(char *s, size_t size, size_t cols);

/*
 * A fixed-width table field: filtered, cut to cols columns and padded with
 * spaces to exactly cols columns (as far as size allows). Returns dst.
 */
char *devmem_sanitize_field(char *dst, size_t size, const char *src, size_t srclen,
			    unsigned int flags, size_t cols);

/*
 * Terminal columns of a string (2 for East Asian wide characters, 0 for
 * combining marks, 1 for the rest; a byte that is not valid UTF-8 counts 1).
 */
size_t devmem_str_cols(const char *s);
/* Bytes of the longest prefix of s that fits in cols columns, never inside a character. */
size_t devmem_str_cut(const char *s, size_t cols);
/*
 * len, or less so that a UTF-8 character that len bytes of s cut short is
 * left out whole: for text that a byte-counting snprintf() cut.
 */
size_t devmem_utf8_cut(const char *s, size_t len);

#endif /* DEVMEM_SANITIZE_H */
