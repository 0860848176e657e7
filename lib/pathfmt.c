/*
 * pathfmt.c - MoaT-KV paths as text: the parser (pathrepr.c formats).
 *
 * The parser is the state machine moat-util's Path.from_str() runs,
 * written over characters instead of regex tokens; the states say what
 * may come next (see enum pstate).  Each element's text is collected
 * with its escapes resolved, together with the source offset of every
 * byte, so that an error found while evaluating ":(1,'x" still points
 * into the text the user typed.  The packed elements are canonicalised
 * by lib/mp.c at the end, the same way the server treats paths.
 *
 * The formatter, which prints what this parser reads back, is in
 * pathrepr.c.
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
