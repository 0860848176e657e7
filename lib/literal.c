/*
 * literal.c - Python literal syntax to msgpack, for moatctl.
 *
 * The evaluator is a recursive-descent parser over the source bytes
 * that packs as it goes.  msgpack puts a container's element count in
 * front of its elements, so each container is packed into a scratch
 * buffer first and copied out once its count is known; with nesting
 * bounded by LITERAL_DEPTH_MAX that copying stays cheap, and so does
 * the C stack.  The whole value is built in a scratch buffer, so the
 * caller's packer sees nothing unless evaluation succeeds.
 *
 * Where Python would accept something only with a warning (an unknown
 * escape such as "\q", kept as backslash and letter) we accept it too;
 * where the result could not be msgpack (a lone surrogate in a str) we
 * refuse.  See literal.h for the grammar.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mp.h"
#include "lib/literal.h"

struct lx {
	const char		*src;
	size_t			 len, pos;
	int			 depth;
	struct literal_error	*err;
};

/* A number before its sign is applied and it is packed. */
struct num {
	int		 isfloat, neg;
	double		 f;
	uint8_t		 mag[LITERAL_BIGINT_MAX];	/* LSB first */
	size_t		 nmag;
};

static int	parse_value(struct lx *, msgpack_packer *);

static int __attribute__((format(printf, 3, 4)))
fail(struct lx *lx, size_t off, const char *fmt, ...)
{
	va_list		 ap;

	lx->err->offset = off;
	va_start(ap, fmt);
	vsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int
peekat(const struct lx *lx, size_t k)
{
	if (lx->pos + k >= lx->len)
		return -1;
	return (unsigned char)lx->src[lx->pos + k];
}

static int
peek(const struct lx *lx)
{
	return peekat(lx, 0);
}

/* Length of the well-formed UTF-8 sequence at s, 0 if there is none. */
static size_t
utf8_seq(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t		 k, i;
	uint32_t	 c, min;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		k = 1, min = 0;
	else if (c >= 0xc2 && c <= 0xdf)
		k = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	if (cp != NULL)
		*cp = c;
	return k;
}

int
literal_utf8_check(const char *s, size_t len, size_t *bad)
{
	size_t		 off, k;

	for (off = 0; off < len; off += k) {
		if ((k = utf8_seq((const uint8_t *)s + off, len - off,
		    NULL)) == 0) {
			if (bad != NULL)
				*bad = off;
			return -1;
		}
	}
	return 0;
}

size_t
literal_column(const char *s, size_t off)
{
	size_t		 i, col = 1;

	/* count lead bytes: every character has exactly one */
	for (i = 0; i < off && s[i] != '\0'; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			col++;
	return col + (off > i ? off - i : 0);
}

static void
put_utf8(struct mpbuf *b, uint32_t c)
{
	uint8_t		 u[4];
	size_t		 n, i;

	n = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
	for (i = n - 1; i > 0; i--, c >>= 6)
		u[i] = 0x80 | (c & 0x3f);
	/* lead byte: n one-bits, a zero, the top bits: 0xc0, 0xe0, 0xf0 */
	u[0] = (uint8_t)(n == 1 ? c : ((0xf00u >> n) & 0xff) | c);
	mpbuf_add(b, u, n);
}

/* "unexpected 'x'" for whatever is at the current position. */
static int
unexpected(struct lx *lx)
{
	size_t		 k;
	int		 c = peek(lx);

	if (c < 0)
		return fail(lx, lx->pos, "unexpected end of input");
	if (c >= 0x20 && c < 0x7f)
		return fail(lx, lx->pos, "unexpected '%c'", c);
	k = utf8_seq((const uint8_t *)lx->src + lx->pos, lx->len - lx->pos,
	    NULL);
	if (c >= 0x80 && k > 0)
		return fail(lx, lx->pos, "unexpected '%.*s'", (int)k,
		    lx->src + lx->pos);
	return fail(lx, lx->pos, "unexpected character 0x%02x", c);
}

/* Blanks, line continuations and comments, as Python's tokenizer. */
static void
skip_ws(struct lx *lx)
{
	int		 c;

	while ((c = peek(lx)) >= 0) {
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		    c == '\f')
			lx->pos++;
		else if (c == '\\' && peekat(lx, 1) == '\n')
			lx->pos += 2;
		else if (c == '#') {
			while ((c = peek(lx)) >= 0 && c != '\n')
				lx->pos++;
		} else
			break;
	}
}

static void
copy_out(msgpack_packer *pk, const struct mpbuf *b)
{
	if (b->len > 0)
		pk->callback(pk->data, (const char *)b->data, b->len);
}

/* ---- numbers ---- */

/* A digit's value in bases up to 16; 99 for anything else. */
int
literal_digval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

static int
mag_muladd(struct lx *lx, struct num *n, int base, int d)
{
	size_t		 i;
	unsigned int	 carry = (unsigned int)d;

	for (i = 0; i < n->nmag; i++) {
		carry += (unsigned int)n->mag[i] * (unsigned int)base;
		n->mag[i] = carry & 0xff;
		carry >>= 8;
	}
	if (carry == 0)
		return 0;
	if (n->nmag == sizeof(n->mag))
		return fail(lx, lx->pos, "integer too large");
	n->mag[n->nmag++] = (uint8_t)carry;
	return 0;
}

/*
 * digit (["_"] digit)* in base; after a base prefix Python also allows
 * one '_' in front.  Accumulates into n unless n is NULL (float parts).
 * Returns the number of digits or -1.
 */
static int
scan_digits(struct lx *lx, int base, int lead_us, struct num *n)
{
	int		 c, count = 0;

	while ((c = peek(lx)) >= 0) {
		if (c == '_' && (count > 0 || lead_us)) {
			if (literal_digval(peekat(lx, 1)) >= base)
				return fail(lx, lx->pos,
				    "invalid '_' in number");
			lx->pos++;
			continue;
		}
		if (literal_digval(c) >= base)
			break;
		if (n != NULL &&
		    mag_muladd(lx, n, base, literal_digval(c)) == -1)
			return -1;
		lx->pos++;
		count++;
	}
	return count;
}

static void
scan_float(struct lx *lx, size_t start, struct num *n)
{
	char		*text, *d;
	size_t		 i;

	/* strtod knows no underscores: copy without them */
	if ((text = malloc(lx->pos - start + 1)) == NULL)
		fatal("malloc");
	for (d = text, i = start; i < lx->pos; i++)
		if (lx->src[i] != '_')
			*d++ = lx->src[i];
	*d = '\0';
	/* moatctl keeps the C locale, so '.' is the decimal point */
	n->f = strtod(text, NULL);	/* overflow gives inf, as Python */
	n->isfloat = 1;
	free(text);
}

/* An unsigned number literal at lx->pos (a digit or ".digit"). */
static int
parse_number(struct lx *lx, struct num *n)
{
	size_t		 start = lx->pos, i;
	int		 base = 0, c, isfloat = 0;

	c = peekat(lx, 1);
	if (peek(lx) == '0' && c >= 0) {
		c = tolower(c);
		base = c == 'x' ? 16 : c == 'o' ? 8 : c == 'b' ? 2 : 0;
	}
	if (base != 0) {
		lx->pos += 2;
		if ((c = scan_digits(lx, base, 1, n)) <= 0)
			return c < 0 ? -1 : fail(lx, lx->pos,
			    "invalid base %d literal", base);
	} else {
		if (scan_digits(lx, 10, 0, n) == -1)
			return -1;
		if (peek(lx) == '.') {
			lx->pos++;
			if (scan_digits(lx, 10, 0, NULL) == -1)
				return -1;
			isfloat = 1;
		}
		c = peek(lx);
		if (c == 'e' || c == 'E') {
			lx->pos++;
			if (peek(lx) == '+' || peek(lx) == '-')
				lx->pos++;
			if ((c = scan_digits(lx, 10, 0, NULL)) <= 0)
				return c < 0 ? -1 : fail(lx, lx->pos,
				    "invalid exponent");
			isfloat = 1;
		}
		for (i = 0; i < n->nmag && n->mag[i] == 0; i++)
			;
		if (isfloat)
			scan_float(lx, start, n);
		else if (lx->src[start] == '0' && i < n->nmag)
			return fail(lx, start, "leading zeros in decimal "
			    "integer literals are not permitted");
	}
	c = peek(lx);
	if (c == 'j' || c == 'J')
		return fail(lx, lx->pos, "complex numbers are not supported");
	if (c == '_' || (c >= 0 && isalnum(c)))
		return fail(lx, lx->pos, "invalid number: unexpected '%c'", c);
	return 0;
}

/* A number with any signs and parentheses: -1, +-2, -(3). */
static int
parse_numexpr(struct lx *lx, struct num *n)
{
	int		 c;

	if (++lx->depth > LITERAL_DEPTH_MAX)
		return fail(lx, lx->pos, "nesting deeper than %d levels",
		    LITERAL_DEPTH_MAX);
	skip_ws(lx);
	c = peek(lx);
	if (c == '+' || c == '-') {
		lx->pos++;
		if (parse_numexpr(lx, n) == -1)
			return -1;
		if (c == '-')
			n->neg = !n->neg;
	} else if (c == '(') {
		lx->pos++;
		if (parse_numexpr(lx, n) == -1)
			return -1;
		skip_ws(lx);
		if (peek(lx) != ')')
			return unexpected(lx);
		lx->pos++;
	} else if ((c >= '0' && c <= '9') ||
	    (c == '.' && isdigit(peekat(lx, 1)))) {
		if (parse_number(lx, n) == -1)
			return -1;
	} else if (c < 0)
		return unexpected(lx);
	else
		return fail(lx, lx->pos, "a sign needs a number");
	lx->depth--;
	return 0;
}

static int
pack_num(struct lx *lx, size_t at, const struct num *n, msgpack_packer *pk)
{
	uint64_t	 v = 0;
	size_t		 len = n->nmag, i;

	if (n->isfloat)
		return msgpack_pack_double(pk, n->neg ? -n->f : n->f);
	while (len > 0 && n->mag[len - 1] == 0)
		len--;
	if (len <= 8) {
		for (i = len; i > 0; i--)
			v = v << 8 | n->mag[i - 1];
		if (!n->neg)
			return msgpack_pack_uint64(pk, v);
		if (v > (uint64_t)INT64_MAX + 1)
			return fail(lx, at, "integer out of range");
		/* -(2^63) has no positive int64 to negate */
		return msgpack_pack_int64(pk, v == (uint64_t)INT64_MAX + 1 ?
		    INT64_MIN : -(int64_t)v);
	}
	/* MoaT-KV's codec has ext 2 for big non-negative ints only */
	if (n->neg)
		return fail(lx, at, "integer out of range");
	msgpack_pack_ext(pk, len, MP_EXT_BIGINT);
	for (i = len; i > 0; i--)
		msgpack_pack_ext_body(pk, &n->mag[i - 1], 1);
	return 0;
}

static int
parse_signed(struct lx *lx, msgpack_packer *pk)
{
	struct num	*n;
	size_t		 at = lx->pos;
	int		 rc;

	/* 1 KiB of magnitude is too much for a recursive parser's stack */
	if ((n = calloc(1, sizeof(*n))) == NULL)
		fatal("calloc");
	rc = parse_numexpr(lx, n);
	if (rc == 0)
		rc = pack_num(lx, at, n, pk);
	free(n);
	return rc;
}

/* ---- strings ---- */

/*
 * If a string literal starts at lx->pos, the length of its prefix
 * (r, b, u, rb, br in any case, or an f-string's), else -1.
 */
static int
str_prefix(const struct lx *lx, int *flags)
{
	int		 k, c;

	*flags = 0;
	for (k = 0; k < 3; k++) {
		c = peekat(lx, (size_t)k);
		if (c == '\'' || c == '"')
			return k;
		switch (c) {
		case 'r': case 'R':
			*flags |= *flags & 1 ? 16 : 1;
			break;
		case 'b': case 'B':
			*flags |= *flags & 2 ? 16 : 2;
			break;
		case 'u': case 'U':
			*flags |= k > 0 ? 16 : 4;
			break;
		case 'f': case 'F':
			*flags |= 8;
			break;
		default:
			return -1;
		}
	}
	return -1;
}

/* One source character of a string body, checked, into b. */
static int
copy_char(struct lx *lx, struct mpbuf *b, int isbytes)
{
	size_t		 k;
	int		 c = peek(lx);

	if (c == 0)
		return fail(lx, lx->pos, "NUL character in string");
	if (c < 0x80) {
		mpbuf_add(b, lx->src + lx->pos++, 1);
		return 0;
	}
	if (isbytes)
		return fail(lx, lx->pos, "bytes can only contain ASCII "
		    "literal characters");
	k = utf8_seq((const uint8_t *)lx->src + lx->pos, lx->len - lx->pos,
	    NULL);
	if (k == 0)
		return fail(lx, lx->pos, "invalid UTF-8");
	mpbuf_add(b, lx->src + lx->pos, k);
	lx->pos += k;
	return 0;
}

/* Exactly ndig hex digits at the current position. */
static int
hexdigits(struct lx *lx, size_t at, int ndig, uint32_t *v)
{
	int		 i, d;

	*v = 0;
	for (i = 0; i < ndig; i++) {
		if ((d = literal_digval(peek(lx))) >= 16)
			return fail(lx, at, "truncated \\%c escape",
			    lx->src[at + 1]);
		*v = *v << 4 | (uint32_t)d;
		lx->pos++;
	}
	return 0;
}

/* A code point or byte from an escape, into a str or bytes body. */
static int
put_escaped(struct lx *lx, size_t at, struct mpbuf *b, int isbytes,
    uint32_t v)
{
	uint8_t		 byte = (uint8_t)v;

	if (isbytes) {
		if (v > 0xff)
			return fail(lx, at, "escape value above 0xff in bytes");
		mpbuf_add(b, &byte, 1);
		return 0;
	}
	if (v > 0x10ffff)
		return fail(lx, at, "illegal Unicode character");
	if (v >= 0xd800 && v <= 0xdfff)
		return fail(lx, at, "surrogates cannot be encoded in UTF-8");
	put_utf8(b, v);
	return 0;
}

/* The escape sequence at lx->pos (a backslash) of a non-raw literal. */
static int
escape(struct lx *lx, struct mpbuf *b, int isbytes)
{
	static const char	 simple[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
	const char		*p;
	size_t			 at = lx->pos;
	uint32_t		 v;
	int			 c = peekat(lx, 1), k;

	if (c < 0)
		return fail(lx, at, "unterminated string");
	lx->pos += 2;
	if (c == '\n')
		return 0;		/* line continuation */
	for (p = simple; *p != '\0'; p += 2)
		if (*p == c) {
			mpbuf_add(b, p + 1, 1);
			return 0;
		}
	if (c >= '0' && c <= '7') {
		v = (uint32_t)(c - '0');
		for (k = 0; k < 2 && peek(lx) >= '0' && peek(lx) <= '7'; k++)
			v = v * 8 + (uint32_t)(lx->src[lx->pos++] - '0');
		return put_escaped(lx, at, b, isbytes, v);
	}
	if (c == 'x' || (!isbytes && (c == 'u' || c == 'U'))) {
		if (hexdigits(lx, at, c == 'x' ? 2 : c == 'u' ? 4 : 8,
		    &v) == -1)
			return -1;
		return put_escaped(lx, at, b, isbytes, v);
	}
	if (c == 'N' && !isbytes)
		return fail(lx, at, "\\N{...} escapes are not supported");
	/* unknown: Python keeps the backslash (and warns) */
	mpbuf_add(b, "\\", 1);
	lx->pos = at + 1;
	return 0;
}

/* One literal, prefix and quotes included; its contents go to b. */
static int
parse_strlit(struct lx *lx, struct mpbuf *b, int flags, int plen)
{
	size_t		 start = lx->pos, qlen;
	int		 q, c, raw = flags & 1, isbytes = flags & 2;

	lx->pos += (size_t)plen;
	q = peek(lx);
	qlen = peekat(lx, 1) == q && peekat(lx, 2) == q ? 3 : 1;
	lx->pos += qlen;
	for (;;) {
		if ((c = peek(lx)) < 0 || (c == '\n' && qlen == 1))
			return fail(lx, start, "unterminated string");
		if (c == q && (qlen == 1 ||
		    (peekat(lx, 1) == q && peekat(lx, 2) == q))) {
			lx->pos += qlen;
			return 0;
		}
		if (c == '\\' && !raw) {
			if (escape(lx, b, isbytes) == -1)
				return -1;
			continue;
		}
		if (c == '\\') {
			/* raw: kept, but it still shields the next char */
			mpbuf_add(b, "\\", 1);
			lx->pos++;
			if (peek(lx) < 0)
				continue;
		}
		if (copy_char(lx, b, isbytes) == -1)
			return -1;
	}
}

/* Adjacent literals, joined as Python does: 'a' "b" -> 'ab'. */
static int
parse_strings(struct lx *lx, msgpack_packer *pk)
{
	struct mpbuf	 b;
	int		 flags, plen, kind = -1, rc = -1;

	mpbuf_init(&b);
	for (;;) {
		skip_ws(lx);
		if ((plen = str_prefix(lx, &flags)) < 0)
			break;
		if (flags & 8) {
			fail(lx, lx->pos, "f-strings are not literals");
			goto out;
		}
		if ((flags & 16) || ((flags & 4) && (flags & 3))) {
			fail(lx, lx->pos, "invalid string prefix");
			goto out;
		}
		if (kind >= 0 && kind != (flags & 2)) {
			fail(lx, lx->pos, "cannot mix bytes and nonbytes "
			    "literals");
			goto out;
		}
		kind = flags & 2;
		if (parse_strlit(lx, &b, flags, plen) == -1)
			goto out;
	}
	if (kind) {
		msgpack_pack_bin(pk, b.len);
		msgpack_pack_bin_body(pk, b.data, b.len);
	} else {
		msgpack_pack_str(pk, b.len);
		msgpack_pack_str_body(pk, b.data, b.len);
	}
	rc = 0;
out:
	mpbuf_free(&b);
	return rc;
}

/* ---- names and containers ---- */

static int
parse_name(struct lx *lx, msgpack_packer *pk)
{
	size_t		 start = lx->pos, n;
	int		 c;

	while ((c = peek(lx)) >= 0 && (isalnum(c) || c == '_'))
		lx->pos++;
	n = lx->pos - start;
	if (n == 4 && memcmp(lx->src + start, "True", 4) == 0)
		return msgpack_pack_true(pk);
	if (n == 5 && memcmp(lx->src + start, "False", 5) == 0)
		return msgpack_pack_false(pk);
	if (n == 4 && memcmp(lx->src + start, "None", 4) == 0)
		return msgpack_pack_nil(pk);
	return fail(lx, start, "unexpected name '%.*s'", n > 40 ? 40 : (int)n,
	    lx->src + start);
}

/*
 * Items up to the closing bracket, packed into b; key: value pairs if
 * dict.  *n counts items (pairs), *comma says whether the last one had
 * a comma after it: "(1,)" is a tuple, "(1)" is not.
 */
static int
parse_items(struct lx *lx, int close, int dict, struct mpbuf *b,
    uint32_t *n, int *comma)
{
	msgpack_packer	 pk;
	size_t		 open = lx->pos - 1;

	if (++lx->depth > LITERAL_DEPTH_MAX)
		return fail(lx, open, "nesting deeper than %d levels",
		    LITERAL_DEPTH_MAX);
	msgpack_packer_init(&pk, b, mpbuf_write);
	for (*n = 0, *comma = 0;;) {
		skip_ws(lx);
		if (peek(lx) == close)
			break;
		if (*n == UINT32_MAX)
			return fail(lx, lx->pos, "too many items");
		if (parse_value(lx, &pk) == -1)
			return -1;
		skip_ws(lx);
		if (dict && peek(lx) != ':') {
			if (*n == 0 && (peek(lx) == ',' || peek(lx) == '}'))
				return fail(lx, open, "sets are not supported");
			return unexpected(lx);
		}
		if (dict) {
			lx->pos++;
			if (parse_value(lx, &pk) == -1)
				return -1;
			skip_ws(lx);
		}
		(*n)++;
		*comma = peek(lx) == ',';
		if (*comma)
			lx->pos++;
		else if (peek(lx) != close)
			return unexpected(lx);
	}
	lx->pos++;
	lx->depth--;
	return 0;
}

static int
parse_container(struct lx *lx, msgpack_packer *pk, int open)
{
	struct mpbuf	 b;
	uint32_t	 n = 0;
	int		 comma = 0, rc;

	mpbuf_init(&b);
	lx->pos++;
	rc = parse_items(lx, open == '(' ? ')' : open == '[' ? ']' : '}',
	    open == '{', &b, &n, &comma);
	if (rc == 0) {
		/* "(x)" is only x in parentheses */
		if (open == '{')
			msgpack_pack_map(pk, n);
		else if (open == '[' || n != 1 || comma)
			msgpack_pack_array(pk, n);
		copy_out(pk, &b);
	}
	mpbuf_free(&b);
	return rc;
}

static int
parse_value(struct lx *lx, msgpack_packer *pk)
{
	int		 c, flags;

	skip_ws(lx);
	c = peek(lx);
	if (c == '(' || c == '[' || c == '{')
		return parse_container(lx, pk, c);
	if (c == '+' || c == '-' || (c >= '0' && c <= '9') ||
	    (c == '.' && isdigit(peekat(lx, 1))))
		return parse_signed(lx, pk);
	if (str_prefix(lx, &flags) >= 0)
		return parse_strings(lx, pk);
	if (c >= 0 && (isalpha(c) || c == '_'))
		return parse_name(lx, pk);
	return unexpected(lx);
}

int
literal_evaln(const char *src, size_t len, msgpack_packer *pk,
    struct literal_error *err)
{
	struct lx	 lx = { src, len, 0, 0, err };
	struct mpbuf	 b;
	msgpack_packer	 tpk;
	uint32_t	 n = 1;
	int		 comma = 0, rc = -1;

	mpbuf_init(&b);
	msgpack_packer_init(&tpk, &b, mpbuf_write);
	skip_ws(&lx);
	if (lx.pos == len) {
		fail(&lx, lx.pos, "empty expression");
		goto out;
	}
	if (parse_value(&lx, &tpk) == -1)
		goto out;
	/* "1, 2" is a tuple, as in Python */
	for (;;) {
		skip_ws(&lx);
		if (peek(&lx) != ',')
			break;
		lx.pos++;
		comma = 1;
		skip_ws(&lx);
		if (lx.pos == len)
			break;
		if (parse_value(&lx, &tpk) == -1)
			goto out;
		n++;
	}
	if (lx.pos != len) {
		unexpected(&lx);
		goto out;
	}
	if (comma)
		msgpack_pack_array(pk, n);
	copy_out(pk, &b);
	rc = 0;
out:
	mpbuf_free(&b);
	return rc;
}

int
literal_eval(const char *src, msgpack_packer *pk, char *err, size_t errlen)
{
	struct literal_error	 e;

	if (literal_evaln(src, strlen(src), pk, &e) == 0)
		return 0;
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s at position %zu", e.msg,
		    literal_column(src, e.offset));
	return -1;
}
