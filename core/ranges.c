/*
 * ranges.c - sets of ticks as sorted vectors of half-open intervals.
 *
 * Invariant: r[0..n) sorted, each a < b, and r[i].b < r[i+1].a (no
 * overlap and no adjacency: adjacent intervals are always merged, so
 * equal sets have equal vectors and ranges_equal() is a memcmp).
 *
 * Single inserts and removals binary-search and splice (memmove); the
 * set operations sweep both vectors once into a fresh vector.  A
 * vector rather than a tree because the sets are few, mostly one or two
 * long runs, and get sent whole; a splice in the middle of a badly
 * fragmented set is O(n) but such sets are what sync exists to repair.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ranges.h"

void
ranges_init(struct ranges *rs)
{
	rs->r = NULL;
	rs->n = rs->cap = 0;
}

void
ranges_free(struct ranges *rs)
{
	free(rs->r);
	ranges_init(rs);
}

void
ranges_clear(struct ranges *rs)
{
	rs->n = 0;
}

static int
reserve(struct ranges *rs, size_t need)
{
	struct range	*r;
	size_t		 cap;

	if (need <= rs->cap)
		return 0;
	cap = rs->cap ? rs->cap : 4;
	while (cap < need)
		cap *= 2;
	if ((r = reallocarray(rs->r, cap, sizeof(*r))) == NULL)
		return -1;
	rs->r = r;
	rs->cap = cap;
	return 0;
}

int
ranges_copy(struct ranges *dst, const struct ranges *src)
{
	if (dst == src)
		return 0;
	if (reserve(dst, src->n) == -1)
		return -1;
	if (src->n > 0)
		memcpy(dst->r, src->r, src->n * sizeof(*src->r));
	dst->n = src->n;
	return 0;
}

/* First interval with b >= t (b > t if `strict'), n if none. */
static size_t
lower(const struct ranges *rs, uint64_t t, int strict)
{
	size_t	 lo = 0, hi = rs->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rs->r[mid].b < t || (strict && rs->r[mid].b == t))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Replace r[i..j) with the np intervals in p. */
static int
splice(struct ranges *rs, size_t i, size_t j, const struct range *p,
    size_t np)
{
	size_t	 tail = rs->n - j;

	if (np > j - i && reserve(rs, rs->n + np - (j - i)) == -1)
		return -1;
	memmove(rs->r + i + np, rs->r + j, tail * sizeof(*rs->r));
	if (np > 0)
		memcpy(rs->r + i, p, np * sizeof(*p));
	rs->n = i + np + tail;
	return 0;
}

int
ranges_add_range(struct ranges *rs, uint64_t a, uint64_t b)
{
	struct range	 m = { a, b };
	size_t		 i, j;

	if (a > b) {
		errno = EINVAL;
		return -1;
	}
	if (a == b)
		return 0;
	/* i: first touching [a,b) from the left; j: first after it. */
	i = lower(rs, a, 0);
	for (j = i; j < rs->n && rs->r[j].a <= b; j++)
		;
	if (i < j) {
		if (rs->r[i].a < m.a)
			m.a = rs->r[i].a;
		if (rs->r[j - 1].b > m.b)
			m.b = rs->r[j - 1].b;
	}
	return splice(rs, i, j, &m, 1);
}

int
ranges_add(struct ranges *rs, uint64_t t)
{
	if (t == UINT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return ranges_add_range(rs, t, t + 1);
}

int
ranges_remove_range(struct ranges *rs, uint64_t a, uint64_t b)
{
	struct range	 p[2];
	size_t		 i, j, np = 0;

	if (a > b) {
		errno = EINVAL;
		return -1;
	}
	i = lower(rs, a, 1);
	for (j = i; j < rs->n && rs->r[j].a < b; j++)
		;
	if (a == b || i == j)
		return 0;
	if (rs->r[i].a < a) {
		p[np].a = rs->r[i].a;
		p[np++].b = a;
	}
	if (rs->r[j - 1].b > b) {
		p[np].a = b;
		p[np++].b = rs->r[j - 1].b;
	}
	return splice(rs, i, j, p, np);
}

int
ranges_remove(struct ranges *rs, uint64_t t)
{
	if (t == UINT64_MAX)
		return 0;
	return ranges_remove_range(rs, t, t + 1);
}

int
ranges_contains(const struct ranges *rs, uint64_t t)
{
	size_t	 i = lower(rs, t, 1);

	return i < rs->n && rs->r[i].a <= t;
}

/* Append [a,b) to a vector being built in order, merging as needed. */
static void
emit(struct ranges *out, uint64_t a, uint64_t b)
{
	struct range	*last;

	if (a >= b)
		return;
	if (out->n > 0) {
		last = &out->r[out->n - 1];
		if (a <= last->b) {
			if (b > last->b)
				last->b = b;
			return;
		}
	}
	out->r[out->n].a = a;
	out->r[out->n++].b = b;
}

/* Swap the built vector in as the new content of rs. */
static void
adopt(struct ranges *rs, struct ranges *out)
{
	free(rs->r);
	*rs = *out;
}

static int
start(struct ranges *out, const struct ranges *x, const struct ranges *y)
{
	ranges_init(out);
	return reserve(out, x->n + y->n);
}

int
ranges_union(struct ranges *dst, const struct ranges *src)
{
	struct ranges	 out;
	size_t		 i = 0, j = 0;

	if (src->n == 0 || dst == src)
		return 0;
	if (start(&out, dst, src) == -1)
		return -1;
	while (i < dst->n || j < src->n) {
		if (j == src->n || (i < dst->n && dst->r[i].a <= src->r[j].a)) {
			emit(&out, dst->r[i].a, dst->r[i].b);
			i++;
		} else {
			emit(&out, src->r[j].a, src->r[j].b);
			j++;
		}
	}
	adopt(dst, &out);
	return 0;
}

int
ranges_difference(struct ranges *dst, const struct ranges *src)
{
	struct ranges	 out;
	const struct range *s = src->r;
	size_t		 i, j = 0, k;
	uint64_t	 cur, b;

	if (dst == src) {
		ranges_clear(dst);
		return 0;
	}
	if (src->n == 0 || dst->n == 0)
		return 0;
	if (start(&out, dst, src) == -1)
		return -1;
	for (i = 0; i < dst->n; i++) {
		cur = dst->r[i].a;
		b = dst->r[i].b;
		while (j < src->n && s[j].b <= cur)
			j++;
		for (k = j; k < src->n && s[k].a < b; k++) {
			emit(&out, cur, s[k].a < cur ? cur : s[k].a);
			if (s[k].b > cur)
				cur = s[k].b;
			if (s[k].b > b)	/* may cut the next interval too */
				break;
		}
		emit(&out, cur, b);
		j = k;
	}
	adopt(dst, &out);
	return 0;
}

int
ranges_intersect(struct ranges *dst, const struct ranges *src)
{
	struct ranges	 out;
	size_t		 i = 0, j = 0;
	uint64_t	 lo, hi;

	if (dst == src)
		return 0;
	if (start(&out, dst, src) == -1)
		return -1;
	while (i < dst->n && j < src->n) {
		lo = dst->r[i].a > src->r[j].a ? dst->r[i].a : src->r[j].a;
		hi = dst->r[i].b < src->r[j].b ? dst->r[i].b : src->r[j].b;
		emit(&out, lo, hi);
		if (dst->r[i].b < src->r[j].b)
			i++;
		else
			j++;
	}
	adopt(dst, &out);
	return 0;
}

int
ranges_equal(const struct ranges *x, const struct ranges *y)
{
	return x->n == y->n &&
	    (x->n == 0 || memcmp(x->r, y->r, x->n * sizeof(*x->r)) == 0);
}

uint64_t
ranges_count(const struct ranges *rs)
{
	uint64_t	 sum = 0, d;
	size_t		 i;

	for (i = 0; i < rs->n; i++) {
		d = rs->r[i].b - rs->r[i].a;
		if (sum > UINT64_MAX - d)
			return UINT64_MAX;
		sum += d;
	}
	return sum;
}

size_t
ranges_nranges(const struct ranges *rs)
{
	return rs->n;
}

int
ranges_empty(const struct ranges *rs)
{
	return rs->n == 0;
}

int
ranges_max(const struct ranges *rs, uint64_t *t)
{
	if (rs->n == 0)
		return -1;
	*t = rs->r[rs->n - 1].b - 1;
	return 0;
}

int
ranges_iter(const struct ranges *rs, int (*fn)(uint64_t, uint64_t, void *),
    void *arg)
{
	size_t	 i;
	int	 rv;

	for (i = 0; i < rs->n; i++)
		if ((rv = fn(rs->r[i].a, rs->r[i].b, arg)) != 0)
			return rv;
	return 0;
}

int
ranges_pack(const struct ranges *rs, msgpack_packer *pk)
{
	size_t	 i;

	if (msgpack_pack_array(pk, rs->n) != 0)
		return -1;
	for (i = 0; i < rs->n; i++) {
		if (rs->r[i].b - rs->r[i].a == 1) {
			if (msgpack_pack_uint64(pk, rs->r[i].a) != 0)
				return -1;
			continue;
		}
		if (msgpack_pack_array(pk, 2) != 0 ||
		    msgpack_pack_uint64(pk, rs->r[i].a) != 0 ||
		    msgpack_pack_uint64(pk, rs->r[i].b) != 0)
			return -1;
	}
	return 0;
}

static int
parse_item(struct ranges *rs, const msgpack_object *o)
{
	const msgpack_object	*ab;

	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ranges_add(rs, o->via.u64);
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
		goto bad;
	ab = o->via.array.ptr;
	if (ab[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    ab[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    ab[0].via.u64 >= ab[1].via.u64)
		goto bad;
	return ranges_add_range(rs, ab[0].via.u64, ab[1].via.u64);
bad:
	errno = EINVAL;
	return -1;
}

int
ranges_parse(struct ranges *rs, const msgpack_object *o)
{
	struct ranges	 tmp;
	uint32_t	 i;

	if (o->type != MSGPACK_OBJECT_ARRAY) {
		errno = EINVAL;
		return -1;
	}
	ranges_init(&tmp);
	for (i = 0; i < o->via.array.size; i++) {
		if (parse_item(&tmp, &o->via.array.ptr[i]) == -1) {
			ranges_free(&tmp);
			return -1;
		}
	}
	adopt(rs, &tmp);
	return 0;
}
