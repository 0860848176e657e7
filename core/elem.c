/*
 * elem.c - ordering and skipping of packed path elements.
 *
 * The order (see elem.h) is the one every server uses to keep the
 * children of an entry sorted, so walks and enumerations come out the
 * same everywhere:
 *
 *	nil < false < true < numbers < str < bin < tuple < map < ext
 *
 * Numbers compare by value across int and float encodings; an int and
 * a float of equal value order int first, so the order stays total (1
 * and 1.0 are two different keys, as on the wire).  NaN sorts after
 * every other number and equals itself, and -0.0 equals 0.0.  str and
 * bin compare bytewise, a shorter prefix first; tuples compare element
 * by element.  Maps and exts cannot be path elements in MoaT-KV; they
 * get a class each and compare by their packed bytes only so that the
 * order is total whatever arrives.
 *
 * elem_size() is the single place that skips a packed object in the
 * core; it walks nested containers with a counter instead of recursion
 * so hostile nesting cannot exhaust the stack.
 */
#include <math.h>
#include <string.h>

#include "core/elem.h"

/* What the header of one packed object says. */
struct ehead {
	enum elem_class	 cls;
	size_t		 hlen;	/* header bytes before payload or items */
	uint64_t	 n;	/* payload bytes, or array/map items */
	int		 isfloat;
	int		 neg;	/* int below zero: value in s, else in u */
	uint64_t	 u;
	int64_t		 s;
	double		 d;
};

static uint64_t
be(const uint8_t *p, unsigned n)
{
	uint64_t	 v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static void
set_uint(struct ehead *h, uint64_t v)
{
	h->cls = ELEM_NUMBER;
	h->u = v;
}

static void
set_int(struct ehead *h, int64_t v)
{
	h->cls = ELEM_NUMBER;
	if (v < 0) {
		h->neg = 1;
		h->s = v;
	} else
		h->u = (uint64_t)v;
}

/* Width of the length field (or fixed payload) that follows byte b. */
static unsigned
field_width(uint8_t b)
{
	static const uint8_t	 w[32] = {
		/* c0 */ 0, 0, 0, 0, 1, 2, 4, 1, 2, 4, 4, 8, 1, 2, 4, 8,
		/* d0 */ 1, 2, 4, 8, 1, 1, 1, 1, 1, 1, 2, 4, 2, 4, 2, 4,
	};

	return b >= 0xc0 && b <= 0xdf ? w[b - 0xc0] : 0;
}

/* Sized types: str, bin, ext, array, map with an explicit length. */
static int
decode_sized(const uint8_t *p, size_t len, struct ehead *h)
{
	unsigned	 w = field_width(p[0]);

	if (len < 1 + (size_t)w)
		return -1;
	h->n = be(p + 1, w);
	h->hlen = 1 + w;
	switch (p[0]) {
	case 0xd9: case 0xda: case 0xdb:
		h->cls = ELEM_STR;
		break;
	case 0xc4: case 0xc5: case 0xc6:
		h->cls = ELEM_BIN;
		break;
	case 0xdc: case 0xdd:
		h->cls = ELEM_ARRAY;
		break;
	case 0xde: case 0xdf:
		h->cls = ELEM_MAP;
		break;
	default:		/* ext8/16/32: a type byte follows */
		if (len < h->hlen + 1)
			return -1;
		h->cls = ELEM_EXT;
		h->hlen++;
		break;
	}
	return 0;
}

static int
decode_fixed(const uint8_t *p, size_t len, struct ehead *h)
{
	unsigned	 w = field_width(p[0]);
	uint64_t	 v;
	uint32_t	 f32;
	float		 f;

	if (p[0] >= 0xd4 && p[0] <= 0xd8) {	/* fixext 1..16 */
		if (len < 2)
			return -1;
		h->cls = ELEM_EXT;
		h->hlen = 2;
		h->n = 1U << (p[0] - 0xd4);
		return 0;
	}
	if (len < 1 + (size_t)w)
		return -1;
	h->hlen = 1 + w;
	v = be(p + 1, w);
	switch (p[0]) {
	case 0xca:
		f32 = (uint32_t)v;
		memcpy(&f, &f32, sizeof(f));
		h->cls = ELEM_NUMBER;
		h->isfloat = 1;
		h->d = f;
		break;
	case 0xcb:
		memcpy(&h->d, &v, sizeof(h->d));
		h->cls = ELEM_NUMBER;
		h->isfloat = 1;
		break;
	case 0xcc: case 0xcd: case 0xce: case 0xcf:
		set_uint(h, v);
		break;
	case 0xd0:
		set_int(h, (int8_t)v);
		break;
	case 0xd1:
		set_int(h, (int16_t)v);
		break;
	case 0xd2:
		set_int(h, (int32_t)v);
		break;
	default:		/* 0xd3 */
		set_int(h, (int64_t)v);
		break;
	}
	return 0;
}

static int
decode(const uint8_t *p, size_t len, struct ehead *h)
{
	uint8_t		 b;

	memset(h, 0, sizeof(*h));
	h->cls = ELEM_BAD;
	if (len == 0)
		return -1;
	b = p[0];
	h->hlen = 1;
	if (b <= 0x7f)
		set_uint(h, b);
	else if (b >= 0xe0)
		set_int(h, (int8_t)b);
	else if (b <= 0x8f) {
		h->cls = ELEM_MAP;
		h->n = b & 0x0f;
	} else if (b <= 0x9f) {
		h->cls = ELEM_ARRAY;
		h->n = b & 0x0f;
	} else if (b <= 0xbf) {
		h->cls = ELEM_STR;
		h->n = b & 0x1f;
	} else if (b == 0xc0)
		h->cls = ELEM_NIL;
	else if (b == 0xc2)
		h->cls = ELEM_FALSE;
	else if (b == 0xc3)
		h->cls = ELEM_TRUE;
	else if (b == 0xc1)
		return -1;
	else if ((b >= 0xc4 && b <= 0xc9) || b >= 0xd9)
		return decode_sized(p, len, h);
	else
		return decode_fixed(p, len, h);
	return 0;
}

size_t
elem_size(const uint8_t *p, size_t len)
{
	struct ehead	 h;
	uint64_t	 todo = 1;
	size_t		 off = 0;

	while (todo > 0) {
		if (decode(p + off, len - off, &h) == -1)
			return 0;
		off += h.hlen;
		todo--;
		switch (h.cls) {
		case ELEM_STR:
		case ELEM_BIN:
		case ELEM_EXT:
			if (h.n > len - off)
				return 0;
			off += h.n;
			break;
		case ELEM_ARRAY:
			todo += h.n;
			break;
		case ELEM_MAP:
			todo += 2 * h.n;
			break;
		default:
			break;
		}
	}
	return off;
}

enum elem_class
elem_class(const uint8_t *p, size_t len)
{
	struct ehead	 h;

	if (decode(p, len, &h) == -1)
		return ELEM_BAD;
	return h.cls;
}

const uint8_t *
elem_str(const uint8_t *p, size_t len, size_t *slen)
{
	struct ehead	 h;

	if (len > 0 && (p[0] & 0xe0) == 0xa0) {	/* fixstr: the usual */
		*slen = p[0] & 0x1f;
		return *slen < len ? p + 1 : NULL;
	}
	if (decode(p, len, &h) == -1 || h.cls != ELEM_STR ||
	    h.n > len - h.hlen)
		return NULL;
	*slen = h.n;
	return p + h.hlen;
}

long
elem_count(const uint8_t *p, size_t len)
{
	size_t		 n;
	long		 cnt = 0;

	while (len > 0) {
		if ((n = elem_size(p, len)) == 0)
			return -1;
		p += n;
		len -= n;
		cnt++;
	}
	return cnt;
}

static int
sign(int c)
{
	return (c > 0) - (c < 0);
}

/* Bytewise, a shorter prefix first. */
static int
bytes_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int	 c;

	c = memcmp(a, b, alen < blen ? alen : blen);
	if (c != 0)
		return sign(c);
	return (alen > blen) - (alen < blen);
}

/*
 * An int against a finite-or-not double, exactly: converting a 64-bit
 * int to double could round, so compare the truncated double instead.
 * Returns 0 when the values are numerically equal.
 */
static int
int_dbl_cmp(const struct ehead *i, double d)
{
	uint64_t	 tu;
	int64_t		 ts;

	if (isnan(d))
		return -1;
	if (i->neg) {
		if (d >= 0)
			return -1;
		if (d < -9223372036854775808.0)
			return 1;
		ts = (int64_t)d;	/* truncates towards zero: ts >= d */
		if (i->s != ts)
			return i->s < ts ? -1 : 1;
		return d < (double)ts ? 1 : 0;
	}
	if (d < 0)
		return 1;
	if (d >= 18446744073709551616.0)
		return -1;
	tu = (uint64_t)d;		/* tu <= d */
	if (i->u != tu)
		return i->u < tu ? -1 : 1;
	return d > (double)tu ? -1 : 0;
}

static int
num_cmp(const struct ehead *a, const struct ehead *b)
{
	int	 c, na, nb;

	if (a->isfloat && b->isfloat) {
		na = isnan(a->d) != 0;
		nb = isnan(b->d) != 0;
		if (na || nb)
			return na - nb;
		return (a->d > b->d) - (a->d < b->d);
	}
	if (!a->isfloat && !b->isfloat) {
		if (a->neg != b->neg)
			return a->neg ? -1 : 1;
		if (a->neg)
			return (a->s > b->s) - (a->s < b->s);
		return (a->u > b->u) - (a->u < b->u);
	}
	/* Mixed: by value, and on a tie the int comes first. */
	if (!a->isfloat) {
		c = int_dbl_cmp(a, b->d);
		return c != 0 ? c : -1;
	}
	c = int_dbl_cmp(b, a->d);
	return c != 0 ? -c : 1;
}

/* Tuples compare element by element; a shorter prefix first. */
static int
array_cmp(const uint8_t *a, size_t alen, const struct ehead *ha,
    const uint8_t *b, size_t blen, const struct ehead *hb)
{
	uint64_t	 i;
	size_t		 sa, sb;
	int		 c;

	a += ha->hlen;
	alen -= ha->hlen;
	b += hb->hlen;
	blen -= hb->hlen;
	for (i = 0; i < ha->n && i < hb->n; i++) {
		sa = elem_size(a, alen);
		sb = elem_size(b, blen);
		if (sa == 0 || sb == 0)	/* truncated: still be total */
			return bytes_cmp(a, alen, b, blen);
		if ((c = elem_cmp(a, sa, b, sb)) != 0)
			return c;
		a += sa;
		alen -= sa;
		b += sb;
		blen -= sb;
	}
	return (ha->n > hb->n) - (ha->n < hb->n);
}

static size_t
payload(size_t len, const struct ehead *h)
{
	size_t	 avail = len - h->hlen;

	return h->n < avail ? (size_t)h->n : avail;
}

int
elem_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	struct ehead	 ha, hb;
	size_t		 sa, sb;

	/*
	 * Fast path for the usual keys, two short strs: child sets compare
	 * a million times per second, and decode() is the expensive part.
	 */
	if (alen > 0 && blen > 0 && (a[0] & 0xe0) == 0xa0 &&
	    (b[0] & 0xe0) == 0xa0 && (a[0] & 0x1f) < alen &&
	    (b[0] & 0x1f) < blen)
		return bytes_cmp(a + 1, a[0] & 0x1f, b + 1, b[0] & 0x1f);
	decode(a, alen, &ha);
	decode(b, blen, &hb);
	if (ha.cls != hb.cls)
		return ha.cls < hb.cls ? -1 : 1;
	switch (ha.cls) {
	case ELEM_NIL:
	case ELEM_FALSE:
	case ELEM_TRUE:
		return 0;
	case ELEM_NUMBER:
		return num_cmp(&ha, &hb);
	case ELEM_STR:
	case ELEM_BIN:
		return bytes_cmp(a + ha.hlen, payload(alen, &ha),
		    b + hb.hlen, payload(blen, &hb));
	case ELEM_ARRAY:
		return array_cmp(a, alen, &ha, b, blen, &hb);
	default:
		/* Maps, exts, garbage: by their packed bytes. */
		sa = elem_size(a, alen);
		sb = elem_size(b, blen);
		return bytes_cmp(a, sa ? sa : alen, b, sb ? sb : blen);
	}
}
