/*
 * pathfmt.c - MoaT-KV paths as text, both directions, for moatctl.
 *
 * The parser is the state machine moat-util's Path.from_str() runs,
 * written over characters instead of regex tokens; the states say what
 * may come next (see enum pstate).  Each element's text is collected
 * with its escapes resolved, together with the source offset of every
 * byte, so that an error found while evaluating ":(1,'x" still points
 * into the text the user typed.  The packed elements are canonicalised
 * by lib/mp.c at the end, the same way the server treats paths.
 *
 * The formatter prints what the parser reads back; the Python-literal
 * spelling of numbers, strings and tuples lives here too because only
 * paths need it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/mp.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"

enum pstate {
	PS_START,	/* nothing yet: any element */
	PS_DOT,		/* after '.': a string (or :x :b :y :v :s :i) */
	PS_CONST,	/* after :t :f :n :e: only '.' or ':' */
	PS_ELEM		/* inside an element */
};

enum ekind { EK_STR, EK_EVAL, EK_HEX, EK_BIN, EK_HEXB, EK_VB, EK_B64 };

struct pp {
	const char	*src;
	size_t		 len;
	enum pstate	 state;
	enum ekind	 kind;
	size_t		 estart;	/* offset of its ':' or 1st char */
	struct mpbuf	 text;		/* the element, escapes resolved */
	struct mpbuf	 offs;		/* source offset per text byte */
	struct mpbuf	 raw;		/* the elements packed so far */
	msgpack_packer	 pk;
	char		*err;
	size_t		 errlen;
};

static int __attribute__((format(printf, 3, 4)))
pp_fail(struct pp *pp, size_t off, const char *fmt, ...)
{
	char		 msg[256];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pp->err != NULL && pp->errlen > 0)
		snprintf(pp->err, pp->errlen, "%s at position %zu", msg,
		    literal_column(pp->src, off));
	return -1;
}

static void
pp_begin(struct pp *pp, enum ekind kind, size_t at)
{
	pp->state = PS_ELEM;
	pp->kind = kind;
	pp->estart = at;
	mpbuf_reset(&pp->text);
	mpbuf_reset(&pp->offs);
}

static void
pp_add(struct pp *pp, char c, size_t at)
{
	mpbuf_add(&pp->text, &c, 1);
	mpbuf_add(&pp->offs, &at, sizeof(at));
}

/* Source offset of text byte i; end for one past the text. */
static size_t
pp_off(const struct pp *pp, size_t i, size_t end)
{
	size_t		 off;

	if (i >= pp->text.len)
		return end;
	memcpy(&off, pp->offs.data + i * sizeof(off), sizeof(off));
	return off;
}

/*
 * Evaluate src (the element's text, or a literal built from it) and
 * append the value if it can be a path element.  Offsets in src map to
 * text bytes by subtracting shift.
 */
static int
eval_into(struct pp *pp, const char *src, size_t len, size_t shift,
    size_t end)
{
	struct literal_error	 e;
	struct mpbuf		 v, canon;
	msgpack_packer		 vpk;
	const char		*why;
	int			 rc = -1;

	mpbuf_init(&v);
	mpbuf_init(&canon);
	msgpack_packer_init(&vpk, &v, mpbuf_write);
	/* ":(1,'a.b')" ends at the dot: say how to write that */
	if (literal_evaln(src, len, &vpk, &e) == -1)
		pp_fail(pp, e.offset < shift ? pp->estart :
		    pp_off(pp, e.offset - shift, end), "%s%s", e.msg,
		    end < pp->len && pp->src[end] == '.' ? " (the element "
		    "ends at an unescaped '.'; write ':.')" : "");
	else if (mp_path_from_packed(v.data, v.len, &canon, &why) == -1)
		pp_fail(pp, pp->estart, "%s", why);
	else {
		mpbuf_add(&pp->raw, v.data, v.len);
		rc = 0;
	}
	mpbuf_free(&v);
	mpbuf_free(&canon);
	return rc;
}

/* :xAB, :bAB - Python's int(AB, base): sign, prefix, '_' as literals */
static int
finish_int(struct pp *pp, int base, size_t end)
{
	const char	*t = (const char *)pp->text.data;
	struct mpbuf	 lit;
	size_t		 i = 0, n = pp->text.len, k;
	int		 rc;

	mpbuf_init(&lit);
	if (n > 0 && (t[0] == '-' || t[0] == '+'))
		mpbuf_add(&lit, t, i = 1);
	if (n >= i + 2 && t[i] == '0' &&
	    tolower((unsigned char)t[i + 1]) == (base == 16 ? 'x' : 'b'))
		i += 2;
	if (i == n) {
		mpbuf_free(&lit);
		return pp_fail(pp, pp->estart, "no digits after ':%c'",
		    base == 16 ? 'x' : 'b');
	}
	mpbuf_add(&lit, base == 16 ? "0x" : "0b", 2);
	for (k = i; k < n; k++)
		if (t[k] != '_' &&
		    literal_digval((unsigned char)t[k]) >= base) {
			mpbuf_free(&lit);
			return pp_fail(pp, pp_off(pp, k, end), "invalid digit "
			    "in a base %d integer", base);
		}
	/* lit's text byte j is the element's byte j - lit.len + i */
	k = lit.len;
	mpbuf_add(&lit, t + i, n - i);
	rc = eval_into(pp, (const char *)lit.data, lit.len, k - i, end);
	mpbuf_free(&lit);
	return rc;
}

static void
pack_bin(struct pp *pp, const void *p, size_t n)
{
	msgpack_pack_bin(&pp->pk, n);
	msgpack_pack_bin_body(&pp->pk, p, n);
}

/* :yAB - bytes.fromhex(): hex pairs, blanks between them */
static int
finish_hexbytes(struct pp *pp, size_t end)
{
	const uint8_t	*t = pp->text.data;
	struct mpbuf	 b;
	uint8_t		 byte;
	size_t		 i, n = pp->text.len;

	mpbuf_init(&b);
	for (i = 0; i < n;) {
		if (t[i] == ' ') {
			i++;
			continue;
		}
		if (literal_digval(t[i]) > 15 || i + 1 == n ||
		    literal_digval(t[i + 1]) > 15) {
			mpbuf_free(&b);
			i += literal_digval(t[i]) > 15 ? 0 : 1;
			return pp_fail(pp, pp_off(pp, i, end),
			    "invalid hex byte");
		}
		byte = (uint8_t)(literal_digval(t[i]) << 4 |
		    literal_digval(t[i + 1]));
		mpbuf_add(&b, &byte, 1);
		i += 2;
	}
	pack_bin(pp, b.data, b.len);
	mpbuf_free(&b);
	return 0;
}

/*
 * Python's b64decode(), which moat-util uses: the padding must make
 * whole groups of four, but the bits a short last group leaves over
 * need not be zero ("YR==" is b'a').  libsodium insists on zero bits,
 * so the last group is decoded filled up with 'A' (zero bits) and cut
 * back.  Its codecs are pure functions and need no sodium_init().
 */
int
pathfmt_b64decode(const char *t, size_t n, struct mpbuf *out, size_t *bad)
{
	const int	 var = sodium_base64_VARIANT_ORIGINAL_NO_PADDING;
	unsigned char	*bin;
	const char	*end;
	char		 last[4];
	size_t		 cap = n / 4 * 3 + 3, data, full, got, tail, i;

	if ((bin = malloc(cap)) == NULL)
		fatal("base64");
	/* only to learn where the alphabet stops; its verdict is below */
	(void)sodium_base642bin(bin, cap, t, n, NULL, &got, &end, var);
	data = (size_t)(end - t);
	for (i = data; i < n; i++)
		if (t[i] != '=') {
			free(bin);
			*bad = i;
			return -1;
		}
	if (n % 4 != 0 || n - data > 2) {
		free(bin);
		*bad = n;
		return -1;
	}
	full = data / 4 * 4;
	if (sodium_base642bin(bin, cap, t, full, NULL, &got, NULL, var) != 0)
		fatalx("base64 groups of four did not decode");
	if ((tail = data - full) > 0) {
		memset(last, 'A', sizeof(last));
		memcpy(last, t + full, tail);
		if (sodium_base642bin(bin + got, cap - got, last, sizeof(last),
		    NULL, NULL, NULL, var) != 0)
			fatalx("last base64 group did not decode");
		got += tail - 1;
	}
	mpbuf_add(out, bin, got);
	free(bin);
	return 0;
}

/* :sAB - base64 with its padding, as moat-util prints bytes */
static int
finish_b64(struct pp *pp, size_t end)
{
	struct mpbuf	 b;
	size_t		 bad;

	mpbuf_init(&b);
	if (pathfmt_b64decode((const char *)pp->text.data, pp->text.len, &b,
	    &bad) == -1) {
		mpbuf_free(&b);
		if (bad == pp->text.len)
			return pp_fail(pp, end, "incorrect base64 padding");
		return pp_fail(pp, pp_off(pp, bad, end), "invalid base64");
	}
	pack_bin(pp, b.data, b.len);
	mpbuf_free(&b);
	return 0;
}

/* The element collected so far is complete; end is where it stopped. */
static int
pp_finish(struct pp *pp, size_t end)
{
	const char	*t = (const char *)pp->text.data;
	size_t		 i, n = pp->text.len;

	pp->state = PS_START;	/* the caller sets the real one */
	switch (pp->kind) {
	case EK_STR:
		if (literal_utf8_check(t, n, &i) == -1)
			return pp_fail(pp, pp_off(pp, i, end),
			    "invalid UTF-8");
		msgpack_pack_str(&pp->pk, n);
		msgpack_pack_str_body(&pp->pk, t, n);
		return 0;
	case EK_EVAL:
		return eval_into(pp, t, n, 0, end);
	case EK_HEX:
	case EK_BIN:
		return finish_int(pp, pp->kind == EK_HEX ? 16 : 2, end);
	case EK_HEXB:
		return finish_hexbytes(pp, end);
	case EK_VB:
		for (i = 0; i < n; i++)
			if ((unsigned char)t[i] >= 0x80)
				return pp_fail(pp, pp_off(pp, i, end),
				    "non-ASCII character in ':v' bytes");
		pack_bin(pp, t, n);
		return 0;
	case EK_B64:
		return finish_b64(pp, end);
	}
	return -1;
}

/* A ':' at src[*i]: an inline escape or the start of a new element. */
static int
pp_colon(struct pp *pp, size_t *i)
{
	static const char	 codes[] = "ibxyvs";
	static const enum ekind	 kinds[] = {
		EK_EVAL, EK_BIN, EK_HEX, EK_HEXB, EK_VB, EK_B64
	};
	size_t			 at = *i;
	int			 c, next;

	if (at + 1 == pp->len)
		return pp_fail(pp, at, "dangling ':'");
	c = (unsigned char)pp->src[at + 1];
	next = at + 2 < pp->len ? (unsigned char)pp->src[at + 2] : -1;
	*i += 2;
	if (c == '.' || c == ':' || c == '_') {
		if (pp->state != PS_ELEM)
			pp_begin(pp, EK_STR, at);
		pp_add(pp, c == '_' ? ' ' : (char)c, at);
		return 0;
	}
	if (c == 't' || c == 'f' || c == 'n' || c == 'e') {
		if (next >= 0 && next != '.' && next != ':')
			return pp_fail(pp, at + 2, "unexpected '%c' after "
			    "':%c'", isprint(next) ? next : '?', c);
		if (pp->state == PS_DOT)
			return pp_fail(pp, at, "unexpected ':%c' after '.'",
			    c);
		if (pp->state == PS_ELEM && pp_finish(pp, at) == -1)
			return -1;
		if (c == 'e')
			msgpack_pack_str(&pp->pk, 0);
		else if (c == 'n')
			msgpack_pack_nil(&pp->pk);
		else if (c == 't')
			msgpack_pack_true(&pp->pk);
		else
			msgpack_pack_false(&pp->pk);
		pp->state = PS_CONST;
		return 0;
	}
	if (strchr(codes, c) != NULL) {
		/* moat-util takes these after a dot too */
		if (pp->state == PS_ELEM && pp_finish(pp, at) == -1)
			return -1;
		pp_begin(pp, kinds[strchr(codes, c) - codes], at);
		return 0;
	}
	if (c >= 'a' && c <= 'z')
		return pp_fail(pp, at, "bad escape ':%c'", c);
	if (pp->state == PS_DOT)
		return pp_fail(pp, at, "unexpected ':%s%c' after '.'",
		    isprint(c) ? "" : "\\", isprint(c) ? c : '?');
	if (pp->state == PS_ELEM && pp_finish(pp, at) == -1)
		return -1;
	/* c is the literal's first character; the main loop adds it */
	pp_begin(pp, EK_EVAL, at);
	*i -= 1;
	return 0;
}

static int
pp_step(struct pp *pp, size_t *i)
{
	int		 c = (unsigned char)pp->src[*i];

	if (c == ':')
		return pp_colon(pp, i);
	if (c == '.') {
		if (pp->state == PS_START || pp->state == PS_DOT)
			return pp_fail(pp, *i, "unexpected '.'");
		if (pp->state == PS_ELEM && pp_finish(pp, *i) == -1)
			return -1;
		pp->state = PS_DOT;
		(*i)++;
		return 0;
	}
	if (pp->state == PS_CONST)
		return pp_fail(pp, *i, "unexpected '%c' after a ':' constant",
		    isprint(c) ? c : '?');
	if (pp->state != PS_ELEM)
		pp_begin(pp, EK_STR, *i);
	pp_add(pp, (char)c, *i);
	(*i)++;
	return 0;
}

int
pathfmt_parse(const char *text, struct mpbuf *out, char *err, size_t errlen)
{
	struct pp	 pp;
	const char	*why;
	size_t		 i;
	int		 rc = -1;

	memset(&pp, 0, sizeof(pp));
	pp.src = text;
	pp.len = strlen(text);
	pp.err = err;
	pp.errlen = errlen;
	mpbuf_init(&pp.text);
	mpbuf_init(&pp.offs);
	mpbuf_init(&pp.raw);
	msgpack_packer_init(&pp.pk, &pp.raw, mpbuf_write);
	mpbuf_reset(out);
	if (pp.len == 0) {
		pp_fail(&pp, 0, "empty path");
		goto out;
	}
	if (strcmp(text, ":") == 0) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < pp.len;)
		if (pp_step(&pp, &i) == -1)
			goto out;
	if (pp.state == PS_DOT) {
		pp_fail(&pp, pp.len - 1, "trailing '.'");
		goto out;
	}
	if (pp.state == PS_ELEM && pp_finish(&pp, pp.len) == -1)
		goto out;
	if (mp_path_from_packed(pp.raw.data, pp.raw.len, out, &why) == -1) {
		pp_fail(&pp, 0, "%s", why);
		goto out;
	}
	rc = 0;
out:
	mpbuf_free(&pp.text);
	mpbuf_free(&pp.offs);
	mpbuf_free(&pp.raw);
	return rc;
}

/* ---- formatting ---- */

/* Element text with '.', ':' and ' ' escaped. */
static void
put_escol(struct mpbuf *out, const char *s, size_t n)
{
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (s[i] == ':')
			mpbuf_add(out, "::", 2);
		else if (s[i] == '.')
			mpbuf_add(out, ":.", 2);
		else if (s[i] == ' ')
			mpbuf_add(out, ":_", 2);
		else
			mpbuf_add(out, s + i, 1);
	}
}

static void __attribute__((format(printf, 2, 3)))
put_fmt(struct mpbuf *out, const char *fmt, ...)
{
	char		 buf[64];
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		mpbuf_add(out, buf, (size_t)n < sizeof(buf) ? (size_t)n :
		    sizeof(buf) - 1);
}

void
pathfmt_float(double v, char *buf, size_t len)
{
	char		 tmp[40], dig[24];
	const char	*sign = signbit(v) && !isnan(v) ? "-" : "", *p;
	int		 prec, nd = 0, e, dp;

	if (isnan(v) || isinf(v) || v == 0) {
		snprintf(buf, len, "%s%s", sign, isnan(v) ? "nan" :
		    isinf(v) ? "inf" : "0.0");
		return;
	}
	/* the fewest digits that read back exactly, as repr() wants */
	for (prec = 1; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, fabs(v));
	for (p = tmp; *p != 'e'; p++)
		if (isdigit((unsigned char)*p))
			dig[nd++] = *p;
	dig[nd] = '\0';
	e = atoi(p + 1);
	dp = e + 1;		/* digits before the decimal point */
	/* Python's float_repr_style 'short' switches at these points */
	if (dp <= -4 || dp > 16)
		snprintf(buf, len, "%s%c%s%se%c%02d", sign, dig[0],
		    nd > 1 ? "." : "", dig + 1, e < 0 ? '-' : '+', abs(e));
	else if (dp <= 0)
		snprintf(buf, len, "%s0.%.*s%s", sign, -dp, "000", dig);
	else if (dp >= nd)
		snprintf(buf, len, "%s%s%.*s.0", sign, dig, dp - nd,
		    "0000000000000000");
	else
		snprintf(buf, len, "%s%.*s.%s", sign, dp, dig, dig + dp);
}

int
pathfmt_bigint(struct mpbuf *out, const uint8_t *mag, size_t len)
{
	uint8_t		*q;
	uint32_t	 chunk[LITERAL_BIGINT_MAX * 8 / 29 + 2];
	uint64_t	 rem;
	size_t		 i, nq, nc = 0;

	if (len > LITERAL_BIGINT_MAX)
		return -1;
	while (len > 0 && mag[0] == 0)
		mag++, len--;
	if (len == 0) {
		mpbuf_add(out, "0", 1);
		return 0;
	}
	if ((q = malloc(len)) == NULL)
		fatal("malloc");
	memcpy(q, mag, len);
	/* divide by 10^9 until nothing is left; 10^9 > 2^29 */
	for (nq = len; nq > 0; nc++) {
		for (rem = 0, i = 0; i < nq; i++) {
			rem = rem << 8 | q[i];
			q[i] = (uint8_t)(rem / 1000000000);
			rem %= 1000000000;
		}
		chunk[nc] = (uint32_t)rem;
		for (i = 0; i < nq && q[i] == 0; i++)
			;
		memmove(q, q + i, nq - i);
		nq -= i;
	}
	free(q);
	put_fmt(out, "%" PRIu32, chunk[--nc]);
	while (nc > 0)
		put_fmt(out, "%09" PRIu32, chunk[--nc]);
	return 0;
}

/* Python's repr() of a str or bytes, its quotes included. */
static void
put_repr_str(struct mpbuf *out, const uint8_t *s, size_t n, int isbytes)
{
	size_t		 i;
	char		 q = '\'';

	if (n > 0 && memchr(s, '\'', n) != NULL && memchr(s, '"', n) == NULL)
		q = '"';
	if (isbytes)
		mpbuf_add(out, "b", 1);
	mpbuf_add(out, &q, 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '\\' || s[i] == q)
			put_fmt(out, "\\%c", s[i]);
		else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			put_fmt(out, "\\%c", s[i] == '\n' ? 'n' :
			    s[i] == '\r' ? 'r' : 't');
		else if (s[i] < 0x20 || s[i] == 0x7f ||
		    (isbytes && s[i] >= 0x80))
			put_fmt(out, "\\x%02x", s[i]);
		else if (!isbytes && s[i] == 0xc2 && i + 1 < n &&
		    s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
			put_fmt(out, "\\x%02x", s[++i]);	/* C1 control */
		else
			mpbuf_add(out, s + i, 1);
	}
	mpbuf_add(out, &q, 1);
}

/* A Path inside a value, as moat-util's repr() shows it: P('a.b'). */
static int
put_path_repr(struct mpbuf *out, const msgpack_object *o)
{
	char	*p = pathfmt_format((const uint8_t *)o->via.ext.ptr,
	    o->via.ext.size);

	if (p == NULL)
		return -1;
	mpbuf_add(out, "P(", 2);
	put_repr_str(out, (const uint8_t *)p, strlen(p), 0);
	mpbuf_add(out, ")", 1);
	free(p);
	return 0;
}

/*
 * A value as a Python literal.  For a path element (py 0) numbers and
 * tuples, compact: "(1,'a')"; as Python's repr() prints values (py 1)
 * lists and dicts too, with blanks: "[1, 'a']", "{'a': 1}"; as the
 * original server's repr() of a decoded value (py 2, its unpacker makes
 * tuples of arrays) the same with tuples: "(1, 'a')", "(1,)".
 */
static int
put_repr(struct mpbuf *out, const msgpack_object *o, int depth, int py)
{
	const char	*sep = py ? ", " : ",";
	char		 f[32];
	uint32_t	 i, n;

	if (depth > LITERAL_DEPTH_MAX)
		return -1;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		mpbuf_add(out, "None", 4);
		return 0;
	case MSGPACK_OBJECT_BOOLEAN:
		put_fmt(out, "%s", o->via.boolean ? "True" : "False");
		return 0;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		put_fmt(out, "%" PRIu64, o->via.u64);
		return 0;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		put_fmt(out, "%" PRId64, o->via.i64);
		return 0;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		/* Python has no inf literal, but 1e999 reads as inf */
		pathfmt_float(o->via.f64, f, sizeof(f));
		put_fmt(out, "%s", py || !isinf(o->via.f64) ? f :
		    o->via.f64 < 0 ? "-1e999" : "1e999");
		return 0;
	case MSGPACK_OBJECT_STR:
	case MSGPACK_OBJECT_BIN:
		put_repr_str(out, (const uint8_t *)o->via.str.ptr,
		    o->via.str.size, o->type == MSGPACK_OBJECT_BIN);
		return 0;
	case MSGPACK_OBJECT_EXT:
		if (py && o->via.ext.type == MP_EXT_PATH)
			return put_path_repr(out, o);
		if (o->via.ext.type != MP_EXT_BIGINT)
			return -1;
		return pathfmt_bigint(out, (const uint8_t *)o->via.ext.ptr,
		    o->via.ext.size);
	case MSGPACK_OBJECT_ARRAY:
		n = o->via.array.size;
		mpbuf_add(out, py == 1 ? "[" : "(", 1);
		for (i = 0; i < n; i++) {
			if (put_repr(out, &o->via.array.ptr[i], depth + 1,
			    py) == -1)
				return -1;
			if (i + 1 < n)
				mpbuf_add(out, sep, strlen(sep));
			else if (n == 1 && py != 1)
				mpbuf_add(out, ",", 1);
		}
		mpbuf_add(out, py == 1 ? "]" : ")", 1);
		return 0;
	case MSGPACK_OBJECT_MAP:
		if (!py)
			return -1;
		mpbuf_add(out, "{", 1);
		for (i = 0; i < o->via.map.size; i++) {
			if (i > 0)
				mpbuf_add(out, ", ", 2);
			if (put_repr(out, &o->via.map.ptr[i].key, depth + 1,
			    py) == -1)
				return -1;
			mpbuf_add(out, ": ", 2);
			if (put_repr(out, &o->via.map.ptr[i].val, depth + 1,
			    py) == -1)
				return -1;
		}
		mpbuf_add(out, "}", 1);
		return 0;
	default:
		return -1;
	}
}

int
pathfmt_pystr(struct mpbuf *out, const msgpack_object *o)
{
	size_t		 len = out->len;

	if (o->type == MSGPACK_OBJECT_STR) {
		mpbuf_add(out, o->via.str.ptr, o->via.str.size);
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_EXT && o->via.ext.type == MP_EXT_PATH) {
		char	*p = pathfmt_format((const uint8_t *)o->via.ext.ptr,
		    o->via.ext.size);

		if (p == NULL)
			return -1;
		mpbuf_add(out, p, strlen(p));
		free(p);
		return 0;
	}
	if (put_repr(out, o, 0, 1) == -1) {
		out->len = len;
		return -1;
	}
	return 0;
}

/* Control characters would not survive a shell or a terminal. */
static int
has_control(const uint8_t *s, size_t n)
{
	size_t		 i;

	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] == 0x7f || (s[i] == 0xc2 &&
		    i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f))
			return 1;
	return 0;
}

static int
put_elem(struct mpbuf *out, const msgpack_object *o)
{
	struct mpbuf	 lit;
	const uint8_t	*s = (const uint8_t *)o->via.str.ptr;
	size_t		 i, n = o->via.str.size;
	int		 rc;

	if (o->type == MSGPACK_OBJECT_NIL ||
	    o->type == MSGPACK_OBJECT_BOOLEAN) {
		mpbuf_add(out, o->type == MSGPACK_OBJECT_NIL ? ":n" :
		    o->via.boolean ? ":t" : ":f", 2);
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_STR && n == 0) {
		mpbuf_add(out, ":e", 2);
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_STR && !has_control(s, n)) {
		if (out->len > 0)
			mpbuf_add(out, ".", 1);
		put_escol(out, (const char *)s, n);
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_BIN) {
		for (i = 0; i < n && s[i] >= 0x20 && s[i] < 0x7f; i++)
			;
		if (i == n) {
			mpbuf_add(out, ":v", 2);
			put_escol(out, (const char *)s, n);
			return 0;
		}
		mpbuf_add(out, ":y", 2);
		for (i = 0; i < n; i++)
			put_fmt(out, "%02x", s[i]);
		return 0;
	}
	/* everything else is a literal: ":5", ":1:.5", ":(1,'a')" */
	mpbuf_init(&lit);
	if ((rc = put_repr(&lit, o, 0, 0)) == 0) {
		mpbuf_add(out, ":", 1);
		/* moat-util's rule: ":nan" would be the code ":n" */
		if (isalpha(lit.data[0]))
			mpbuf_add(out, "i", 1);
		put_escol(out, (const char *)lit.data, lit.len);
	}
	mpbuf_free(&lit);
	return rc;
}

char *
pathfmt_format(const uint8_t *packed, size_t len)
{
	msgpack_unpacked	 u;
	struct mpbuf		 canon, out;
	const uint8_t		*e;
	const char		*why;
	size_t			 off = 0, elen, uoff;
	int			 rc = 0;

	mpbuf_init(&canon);
	mpbuf_init(&out);
	if (mp_path_from_packed(packed, len, &canon, &why) == -1) {
		mpbuf_free(&canon);
		return NULL;
	}
	if (canon.len == 0)
		mpbuf_add(&out, ":", 1);
	msgpack_unpacked_init(&u);
	while (rc == 0 && mp_path_next(canon.data, canon.len, &off, &e,
	    &elen) == 1) {
		uoff = 0;
		if (msgpack_unpack_next(&u, (const char *)e, elen, &uoff) !=
		    MSGPACK_UNPACK_SUCCESS)
			rc = -1;
		else
			rc = put_elem(&out, &u.data);
	}
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&canon);
	if (rc == -1) {
		mpbuf_free(&out);
		return NULL;
	}
	mpbuf_add(&out, "", 1);
	return (char *)out.data;
}

int
pathfmt_repr(struct mpbuf *out, const msgpack_object *o)
{
	return put_repr(out, o, 0, 2);
}
