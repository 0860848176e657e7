/*
 * literal.h - Python literal syntax to msgpack (moatctl values, path
 * elements in pathfmt.c).
 *
 * MoaT-KV's command line takes values ("data PATH set -e KEY EXPR") and
 * some path elements (":(1,2)") as Python expressions, which the
 * original evaluates with Python itself.  literal_eval() accepts the
 * literal subset of that syntax and packs the value:
 *
 *	None True False		nil, true, false
 *	12 -5 0x1f 0o17 0b101 1_000
 *				the smallest msgpack int; a non-negative
 *				integer beyond uint64 becomes ext 2 (big-endian
 *				magnitude), as MoaT-KV's codec packs it; a
 *				negative one beyond int64 is an error
 *	1.5 .5 1e3 1e999	float64 (1e999 is inf, as in Python; there
 *				is no literal for NaN)
 *	'a' "a" r'\d' '''a''' u'a'
 *				str; escapes \n \t \\ \' \" \xNN \ooo \uNNNN
 *				\UNNNNNNNN; adjacent literals are joined
 *	b'\x00' rb'a'		bin
 *	(1, 2) (1,) () 1, 2	array (tuples)
 *	[1, 2]			array
 *	{'a': 1}		map
 *
 * plus unary + and - on numbers.  Names other than True, False and None,
 * operators, calls, sets, complex numbers, f-strings and \N{...} are
 * errors.  Nesting is limited to LITERAL_DEPTH_MAX.  (moatctl's own
 * special arguments, like "-" for "delete this key", are the caller's.)
 *
 * Error positions are 1-based character (not byte) columns into the
 * source, the way compilers report columns: in "1 + x" the '+' is at
 * position 3.  An error at the end of the input points one past its
 * last character.
 *
 * The other direction, msgpack to literal text, is only needed for path
 * elements and lives in pathfmt.c.
 */
#ifndef MOAT_LITERAL_H
#define MOAT_LITERAL_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "lib/mp.h"

/*
 * msgpack-c's unpacker, and so the server's validator, stop at 32
 * nested containers; a deeper literal could never be stored.
 */
#define LITERAL_DEPTH_MAX	32

/* Largest ext 2 magnitude we build from a literal, in bytes. */
#define LITERAL_BIGINT_MAX	1024

struct literal_error {
	size_t		 offset;	/* byte offset of the bad character */
	char		 msg[120];	/* what is wrong, without a position */
};

/*
 * Evaluate the NUL-terminated src and pack the value.  Returns 0, or -1
 * with "<what> at position <n>" in err (err may be NULL).  On error
 * nothing has been packed.
 */
int	literal_eval(const char *src, msgpack_packer *pk, char *err,
	    size_t errlen);

/* The same for len bytes; the error keeps the byte offset separate. */
int	literal_evaln(const char *src, size_t len, msgpack_packer *pk,
	    struct literal_error *err);

/* The 1-based character column of byte offset off in s. */
size_t	literal_column(const char *s, size_t off);

/*
 * 0 if s is well-formed UTF-8 (RFC 3629: no overlongs, surrogates or
 * code points beyond U+10FFFF), else -1 and the offset of the first
 * bad byte in *bad (bad may be NULL).
 */
int	literal_utf8_check(const char *s, size_t len, size_t *bad);

/* The value of a hex (or lower base) digit, 99 if c is none. */
int	literal_digval(int c);

#endif
