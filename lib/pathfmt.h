/*
 * pathfmt.h - MoaT-KV paths as text, both directions: moatctl reads and
 * prints them, core names paths in its error texts.
 *
 * The syntax is MoaT-KV's (moat-util's Path.from_str / str(Path)):
 * elements are separated by '.', and a colon starts an escape:
 *
 *	inline, inside an element:
 *	  :.  a literal '.'	  ::  a literal ':'	  :_  a space
 *	starting a new element:
 *	  :t :f :n	True, False, None
 *	  :e		the empty string
 *	  :xAB :bAB	hex, binary integer (sign, 0x/0b and '_' allowed)
 *	  :yAB		bytes in hex (blanks between byte pairs allowed)
 *	  :vAB		bytes, the ASCII text itself
 *	  :sAB		bytes in base64 (the original prints these)
 *	  :iXY :XY	the Python literal XY (see literal.h); the 'i' is
 *			optional unless XY starts with a lower-case letter
 *
 * A lone ":" is the empty path.  An element that starts with a colon
 * needs no dot in front ("a:t", "a:1"), and after :t :f :n :e only '.'
 * or ':' may follow.  A colon element ends at the next unescaped '.'
 * or at the next colon that starts an element, so inside it ':.', '::'
 * and ':_' are needed too: the float 1.5 is ":1:.5", and ":1.5" is
 * the two elements 1 and "5".  Edge cases follow moat-util exactly:
 * "a.:t", "a.:1" and "a..b", a leading or trailing '.', and "" are
 * errors, while "a.:x1f" is accepted.  moat-util's path marks (:m) and
 * root aliases (:R :S :P :Q) have no wire form in MoaT-KV and are
 * refused.
 *
 * Formatting is the inverse, as moat-util prints paths, except where
 * that would not read back: integers in decimal (":-5"), floats as
 * Python's repr with the dot escaped (":1:.5"; inf is ":1e999", NaN
 * ":inan" which does not read back), bytes as ":v..." when all are
 * printable ASCII, else ":y<hex>", tuples in parentheses (":(1,'a')",
 * ":(1,)", ":()"; moat-util prints ":1,'a'" and loses 1- and 0-tuples),
 * strings with control characters as a quoted literal (":'a\\nb'").
 * So pathfmt_parse(pathfmt_format(p)) == p for every path without NaN.
 *
 * Error messages end in "at position N", N the 1-based character
 * column of the offending character in the text (see literal.h).
 */
#ifndef MOAT_PATHFMT_H
#define MOAT_PATHFMT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/mp.h"

/*
 * Parse text into out's canonical packed path (see lib/mp.h), replacing
 * its contents.  Returns 0, or -1 with a message in err (err may be
 * NULL) and out empty.
 */
int	pathfmt_parse(const char *text, struct mpbuf *out, char *err,
	    size_t errlen);

/*
 * The text form of a packed path, malloc'd; NULL if the bytes are not
 * a valid path.
 */
char	*pathfmt_format(const uint8_t *packed, size_t len);

/*
 * Python's repr() of a float into buf (32 bytes suffice): the shortest
 * text that reads back exactly, "1.0", "1e+16", "1e-05", "inf", "nan".
 * Shared with the YAML printer, which spells floats the same way.
 */
void	pathfmt_float(double v, char *buf, size_t len);

/*
 * Python's str() of a value, appended to out: a str as itself, a Path
 * as its text, anything else as repr() ("b'\\x00'", "[1, 'a']",
 * "{'a': None}").  -1, and nothing added, for values Python would not
 * have (other ext types) or nested too deep.
 */
int	pathfmt_pystr(struct mpbuf *out, const msgpack_object *o);

/*
 * Decode n characters of base64 (with its padding, no blanks) and
 * append the bytes to out.  -1, nothing added and the offset of the
 * bad character (n: wrong length or padding) in *bad on error.
 */
int	pathfmt_b64decode(const char *, size_t n, struct mpbuf *out,
	    size_t *bad);

/*
 * Append the decimal digits of a big-endian magnitude (an ext 2
 * payload) to out.  -1, and nothing added, if it is longer than
 * LITERAL_BIGINT_MAX bytes.
 */
int	pathfmt_bigint(struct mpbuf *out, const uint8_t *mag, size_t len);

/*
 * Append Python's repr() of a value as the original server decodes it
 * (arrays are tuples: "(1, 'b')", maps dicts, paths P('a.b')) to out:
 * core's error texts quote values and messages this way.  -1 for an
 * ext other than a big int or a path, or nesting beyond
 * LITERAL_DEPTH_MAX (out may then hold part of the text).
 */
int	pathfmt_repr(struct mpbuf *out, const msgpack_object *o);

#endif
