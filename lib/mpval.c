/*
 * mpval.c - bounded MsgPack validator and stream scanner.
 *
 * The scan is a loop over object headers with an explicit stack of
 * "elements still to come" counters, one per open container, so a
 * hostile nesting depth costs neither C stack nor heap.  Besides the
 * stack it tracks `need': how many elements are still owed in total.
 * Every element takes at least one byte, so an object can only be
 * complete within `bound' bytes if off + need <= bound.  Checking that
 * each time a header adds to need is what turns a lying header
 * (array32 of 4294967295) into an error after five bytes instead of a
 * 96 GB allocation, and it bounds what msgpack-c allocates later to a
 * small multiple of the input size.
 *
 * str payloads must be well-formed UTF-8 as RFC 3629 defines it
 * (no overlongs, no surrogates, nothing above U+10FFFF): MoaT-KV's
 * Python side decodes them strictly, and so should we.
 */
#include <stdint.h>
#include <string.h>

#include "lib/mpval.h"

const struct mpval_limits mpval_default_limits = {
	.max_depth = 32,
	.max_strlen = 1U << 20,
	.max_binlen = 1U << 20,
	.max_extlen = 1U << 20,
	.max_size = 4U << 20,
};

#define SCAN_UTF8	0x01	/* check str payloads */

static const char *const E_SIZE = "object exceeds size limit";

static uint64_t
get_be(const uint8_t *p, size_t w)
{
	uint64_t	 v = 0;

	while (w-- > 0)
		v = v << 8 | *p++;
	return v;
}

/* A signed big-endian integer of 1, 2, 4 or 8 bytes. */
static int64_t
get_sbe(const uint8_t *p, size_t w)
{
	switch (w) {
	case 1:
		return (int8_t)p[0];
	case 2:
		return (int16_t)get_be(p, 2);
	case 4:
		return (int32_t)get_be(p, 4);
	default:
		return (int64_t)get_be(p, 8);
	}
}

static double
get_float(const uint8_t *p, size_t w)
{
	uint64_t	 u = get_be(p, w);
	uint32_t	 u32;
	float		 f;
	double		 d;

	if (w == 4) {
		u32 = (uint32_t)u;
		memcpy(&f, &u32, sizeof(f));
		return f;
	}
	memcpy(&d, &u, sizeof(d));
	return d;
}

/*
 * Classify the type byte: the kind, the width of a length or count
 * field that follows (lw), or the size of a fixed value (n).
 */
static int
classify(uint8_t b, struct mpval_head *h, size_t *lw)
{
	*lw = 0;
	h->hlen = 1;
	h->n = 0;
	if (b <= 0x7f) {
		h->kind = MPV_UINT;
		h->v.u = b;
	} else if (b >= 0xe0) {
		h->kind = MPV_INT;
		h->v.i = (int8_t)b;
	} else if (b <= 0x8f) {
		h->kind = MPV_MAP;
		h->n = b & 0x0f;
	} else if (b <= 0x9f) {
		h->kind = MPV_ARRAY;
		h->n = b & 0x0f;
	} else if (b <= 0xbf) {
		h->kind = MPV_STR;
		h->n = b & 0x1f;
	} else {
		switch (b) {
		case 0xc0:
			h->kind = MPV_NIL;
			break;
		case 0xc1:
			return -1;
		case 0xc2:
		case 0xc3:
			h->kind = MPV_BOOL;
			h->v.b = b == 0xc3;
			break;
		case 0xc4 ... 0xc6:
			h->kind = MPV_BIN;
			*lw = (size_t)1 << (b - 0xc4);
			break;
		case 0xc7 ... 0xc9:
			h->kind = MPV_EXT;
			*lw = (size_t)1 << (b - 0xc7);
			break;
		case 0xca:
		case 0xcb:
			h->kind = MPV_FLOAT;
			h->n = b == 0xca ? 4 : 8;
			break;
		case 0xcc ... 0xcf:
			h->kind = MPV_UINT;
			h->n = (uint64_t)1 << (b - 0xcc);
			break;
		case 0xd0 ... 0xd3:
			h->kind = MPV_INT;
			h->n = (uint64_t)1 << (b - 0xd0);
			break;
		case 0xd4 ... 0xd8:
			/* fixext: the type byte is part of the header */
			h->kind = MPV_EXT;
			h->n = (uint64_t)1 << (b - 0xd4);
			h->hlen = 2;
			break;
		case 0xd9 ... 0xdb:
			h->kind = MPV_STR;
			*lw = (size_t)1 << (b - 0xd9);
			break;
		default:	/* 0xdc ... 0xdf */
			h->kind = b <= 0xdd ? MPV_ARRAY : MPV_MAP;
			*lw = b & 1 ? 4 : 2;
			break;
		}
	}
	return 0;
}

enum mpval_rc
mpval_head(const uint8_t *p, size_t len, struct mpval_head *h,
    const char **why)
{
	size_t		 lw;

	memset(h, 0, sizeof(*h));
	if (len == 0)
		return MPVAL_MORE;
	if (classify(p[0], h, &lw) == -1) {
		if (why)
			*why = "invalid byte 0xc1";
		return MPVAL_ERROR;
	}
	if (lw > 0) {
		h->hlen = 1 + lw + (h->kind == MPV_EXT);
		if (len < h->hlen)
			return MPVAL_MORE;
		h->n = get_be(p + 1, lw);
	} else if (len < h->hlen)
		return MPVAL_MORE;
	if (h->kind == MPV_EXT)
		h->exttype = (int8_t)p[h->hlen - 1];
	/* Fixed-size scalars: decode the value too. */
	if (h->n > 0 && (h->kind == MPV_UINT || h->kind == MPV_INT ||
	    h->kind == MPV_FLOAT)) {
		if (len - 1 < h->n)
			return MPVAL_MORE;
		if (h->kind == MPV_UINT)
			h->v.u = get_be(p + 1, h->n);
		else if (h->kind == MPV_INT)
			h->v.i = get_sbe(p + 1, h->n);
		else
			h->v.f = get_float(p + 1, h->n);
	}
	return MPVAL_OK;
}

/* RFC 3629 well-formedness, the table in its section 4. */
static int
utf8_ok(const uint8_t *s, uint64_t n)
{
	uint64_t	 i = 0, k, more;
	uint8_t		 c, lo, hi;

	while (i < n) {
		c = s[i++];
		if (c < 0x80)
			continue;
		lo = 0x80;
		hi = 0xbf;
		if (c < 0xc2)		/* stray continuation, c0/c1 overlong */
			return 0;
		else if (c < 0xe0)
			more = 1;
		else if (c < 0xf0) {
			more = 2;
			if (c == 0xe0)
				lo = 0xa0;	/* overlong */
			else if (c == 0xed)
				hi = 0x9f;	/* surrogates */
		} else if (c < 0xf5) {
			more = 3;
			if (c == 0xf0)
				lo = 0x90;	/* overlong */
			else if (c == 0xf4)
				hi = 0x8f;	/* above U+10FFFF */
		} else
			return 0;
		if (n - i < more)
			return 0;
		/* Only the first continuation byte has a narrowed range. */
		for (k = 0; k < more; k++, lo = 0x80, hi = 0xbf)
			if (s[i + k] < lo || s[i + k] > hi)
				return 0;
		i += more;
	}
	return 1;
}

/* The per-kind length limit; why is set if it is exceeded. */
static int
over_limit(const struct mpval_head *h, const struct mpval_limits *lim,
    const char **why)
{
	if (h->kind == MPV_STR && h->n > lim->max_strlen)
		*why = "string too long";
	else if (h->kind == MPV_BIN && h->n > lim->max_binlen)
		*why = "binary too long";
	else if (h->kind == MPV_EXT && h->n > lim->max_extlen)
		*why = "extension too long";
	else
		return 0;
	return 1;
}

/*
 * The scanner proper.  Invariant: off + need <= bound, where need counts
 * the elements still owed including the current one.  On MPVAL_MORE
 * *objlen is a lower bound on the final size.
 */
static enum mpval_rc
scan(const uint8_t *buf, size_t len, const struct mpval_limits *lim,
    uint64_t bound, int flags, size_t *objlen, const char **why,
    struct mpval_index *ix)
{
	uint64_t		 left[MPVAL_DEPTH_MAX + 1];
	uint64_t		 need = 1, room, body, cnt, want;
	struct mpval_head	 h;
	enum mpval_rc		 rc;
	uint32_t		 depth = 0, maxdepth;
	size_t			 off = 0;

	maxdepth = lim->max_depth < MPVAL_DEPTH_MAX ? lim->max_depth :
	    MPVAL_DEPTH_MAX;
	if (bound == 0) {
		*why = E_SIZE;
		return MPVAL_ERROR;
	}
	left[0] = 1;
	for (;;) {
		while (left[depth] == 0) {
			if (depth == 0) {
				*objlen = off;
				return MPVAL_OK;
			}
			depth--;
		}
		left[depth]--;
		need--;
		if (ix != NULL && depth == 1) {
			if (ix->n < MPVAL_INDEX_MAX)
				ix->off[ix->n] = off;
			ix->n++;
		}
		room = bound - off;
		rc = mpval_head(buf + off, len - off, &h, why);
		if (rc == MPVAL_ERROR)
			return rc;
		if (rc == MPVAL_MORE) {
			want = off + 1 + need;
			break;
		}
		if (over_limit(&h, lim, why))
			return MPVAL_ERROR;
		body = h.kind == MPV_ARRAY || h.kind == MPV_MAP ? 0 : h.n;
		if (h.hlen > room || body > room - h.hlen ||
		    need > room - h.hlen - body) {
			*why = E_SIZE;
			return MPVAL_ERROR;
		}
		if (len - off < h.hlen + body) {
			want = off + h.hlen + body + need;
			break;
		}
		if ((flags & SCAN_UTF8) && h.kind == MPV_STR &&
		    !utf8_ok(buf + off + h.hlen, body)) {
			*why = "invalid UTF-8 in string";
			return MPVAL_ERROR;
		}
		off += h.hlen + body;
		if (h.kind != MPV_ARRAY && h.kind != MPV_MAP)
			continue;
		if (depth >= maxdepth) {
			*why = "nesting too deep";
			return MPVAL_ERROR;
		}
		/* Keys count as elements, so a map owes 2n of them. */
		cnt = h.kind == MPV_MAP ? 2 * h.n : h.n;
		if (cnt > bound - off - need) {
			*why = h.kind == MPV_MAP ?
			    "map count exceeds size limit" :
			    "array count exceeds size limit";
			return MPVAL_ERROR;
		}
		need += cnt;
		left[++depth] = cnt;
	}
	*objlen = want > len ? want : len + 1;
	return MPVAL_MORE;
}

enum mpval_rc
mpval_scan(const uint8_t *buf, size_t len, const struct mpval_limits *lim,
    size_t *objlen, const char **why)
{
	const char	*dummy;
	size_t		 n;
	enum mpval_rc	 rc;

	if (why == NULL)
		why = &dummy;
	rc = scan(buf, len, lim, lim->max_size, SCAN_UTF8, &n, why, NULL);
	/* Still incomplete after max_size bytes: it never will fit. */
	if (rc == MPVAL_MORE && len >= lim->max_size) {
		*why = E_SIZE;
		rc = MPVAL_ERROR;
	}
	if (objlen && rc != MPVAL_ERROR)
		*objlen = n;
	return rc;
}

enum mpval_rc
mpval_check(const uint8_t *buf, size_t len, const struct mpval_limits *lim,
    const char **why)
{
	return mpval_check_index(buf, len, lim, NULL, why);
}

enum mpval_rc
mpval_check_index(const uint8_t *buf, size_t len,
    const struct mpval_limits *lim, struct mpval_index *ix, const char **why)
{
	const char	*dummy;
	size_t		 n;
	enum mpval_rc	 rc;

	if (ix != NULL)
		ix->n = 0;
	if (why == NULL)
		why = &dummy;
	if (len == 0) {
		*why = "empty message";
		return MPVAL_ERROR;
	}
	if (len > lim->max_size) {
		*why = E_SIZE;
		return MPVAL_ERROR;
	}
	/* The buffer is all there is: len bounds every count. */
	rc = scan(buf, len, lim, len, SCAN_UTF8, &n, why, ix);
	if (rc == MPVAL_MORE) {
		*why = "truncated object";
		return MPVAL_ERROR;
	}
	if (rc == MPVAL_OK && n != len) {
		*why = "trailing bytes after object";
		return MPVAL_ERROR;
	}
	return rc;
}

size_t
mpval_skip(const uint8_t *p, size_t len)
{
	struct mpval_limits	 lim = {
		MPVAL_DEPTH_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX, len
	};
	const char		*why;
	size_t			 n;

	if (len == 0 || scan(p, len, &lim, len, 0, &n, &why, NULL) != MPVAL_OK)
		return 0;
	return n;
}
