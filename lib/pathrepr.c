/*
 * pathrepr.c - MoaT-KV paths and values as text: the formatting half of
 * pathfmt.h (pathfmt.c parses).
 *
 * The formatter prints what the parser reads back; the Python-literal
 * spelling of numbers, strings, tuples and dicts lives here because
 * paths (moatctl) and the server's error texts (core, which quotes
 * values as the original's repr() does) both need it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mp.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"

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
