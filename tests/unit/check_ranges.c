/*
 * check_ranges.c - tick range sets: merging on insert, removal that
 * splits, the set operations (checked against a bitmap), and the
 * get_state wire format both ways, including what parse must reject;
 * large fragmented (chunked) sets under random operations vs a bitmap.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "core/ranges.h"
#include "tests/unit/testutil.h"

static void
add_all(struct ranges *rs, const uint64_t *t, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		ck_assert_int_eq(ranges_add(rs, t[i]), 0);
}

/* The intervals in order, through the public walk. */
struct flat {
	uint64_t	*ab;
	size_t		 n, cap;
};

static int
flat_one(uint64_t a, uint64_t b, void *arg)
{
	struct flat	*f = arg;

	if (f->n == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->ab = realloc(f->ab, f->cap * 2 * sizeof(*f->ab));
		ck_assert_ptr_nonnull(f->ab);
	}
	f->ab[2 * f->n] = a;
	f->ab[2 * f->n++ + 1] = b;
	return 0;
}

static struct flat
flatten(const struct ranges *rs)
{
	struct flat	 f = { NULL, 0, 0 };

	ck_assert_int_eq(ranges_iter(rs, flat_one, &f), 0);
	ck_assert_uint_eq(f.n, ranges_nranges(rs));
	return f;
}

static void
assert_ranges(const struct ranges *rs, const uint64_t *ab, size_t n)
{
	struct flat	 f = flatten(rs);
	size_t		 i;

	ck_assert_uint_eq(f.n, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(f.ab[2 * i], ab[2 * i]);
		ck_assert_uint_eq(f.ab[2 * i + 1], ab[2 * i + 1]);
	}
	free(f.ab);
}

/* Pack and return the bytes, NUL-free comparison by length. */
static msgpack_sbuffer *
pack(const struct ranges *rs)
{
	msgpack_sbuffer	*sb = msgpack_sbuffer_new();
	msgpack_packer	 pk;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	ck_assert_int_eq(ranges_pack(rs, &pk), 0);
	return sb;
}

START_TEST(add_merges)
{
	struct ranges	 rs = RANGES_INITIALIZER;
	static const uint64_t ticks[] = { 21, 3, 19, 2, 24, 4, 18 };
	static const uint64_t want[] = { 2, 5, 18, 20, 21, 22, 24, 25 };
	static const uint64_t want2[] = { 2, 5, 18, 25 };

	add_all(&rs, ticks, 7);
	assert_ranges(&rs, want, 4);
	ck_assert_uint_eq(ranges_count(&rs), 7);
	ck_assert(ranges_contains(&rs, 2));
	ck_assert(ranges_contains(&rs, 4));
	ck_assert(!ranges_contains(&rs, 5));
	ck_assert(!ranges_contains(&rs, 20));
	ck_assert(ranges_contains(&rs, 24));
	ck_assert(!ranges_contains(&rs, 0));
	/* Adding what is there changes nothing; filling gaps merges. */
	ck_assert_int_eq(ranges_add(&rs, 3), 0);
	assert_ranges(&rs, want, 4);
	ck_assert_int_eq(ranges_add_range(&rs, 20, 24), 0);
	assert_ranges(&rs, want2, 2);
	ck_assert_int_eq(ranges_add_range(&rs, 0, 100), 0);
	ck_assert_uint_eq(ranges_nranges(&rs), 1);
	ck_assert_uint_eq(ranges_count(&rs), 100);
	ck_assert_int_eq(ranges_add(&rs, UINT64_MAX), -1);
	ck_assert_int_eq(ranges_add_range(&rs, 5, 4), -1);
	ranges_free(&rs);
}
END_TEST

START_TEST(remove_splits)
{
	struct ranges	 rs = RANGES_INITIALIZER;
	static const uint64_t w1[] = { 10, 15, 16, 20 };
	static const uint64_t w2[] = { 10, 12, 18, 20 };
	static const uint64_t w3[] = { 11, 12 };
	uint64_t	 max;

	ck_assert_int_eq(ranges_max(&rs, &max), -1);
	ck_assert_int_eq(ranges_add_range(&rs, 10, 20), 0);
	ck_assert_int_eq(ranges_remove(&rs, 15), 0);
	assert_ranges(&rs, w1, 2);
	ck_assert_int_eq(ranges_remove_range(&rs, 12, 18), 0);
	assert_ranges(&rs, w2, 2);
	ck_assert_int_eq(ranges_remove_range(&rs, 18, 30), 0);
	ck_assert_int_eq(ranges_remove(&rs, 10), 0);
	assert_ranges(&rs, w3, 1);
	ck_assert_int_eq(ranges_max(&rs, &max), 0);
	ck_assert_uint_eq(max, 11);
	ck_assert_int_eq(ranges_remove_range(&rs, 0, 100), 0);
	ck_assert(ranges_empty(&rs));
	ranges_free(&rs);
}
END_TEST

START_TEST(wire_format)
{
	struct ranges	 rs = RANGES_INITIALIZER, back = RANGES_INITIALIZER;
	static const uint64_t ticks[] = { 2, 3, 4, 18, 19, 21, 24 };
	/* [[2,5],[18,20],21,24] */
	static const uint8_t want[] = { 0x94, 0x92, 0x02, 0x05, 0x92, 0x12,
	    0x14, 0x15, 0x18 };
	msgpack_sbuffer	*sb;
	msgpack_unpacked u;

	add_all(&rs, ticks, 7);
	sb = pack(&rs);
	ck_assert_uint_eq(sb->size, sizeof(want));
	ck_assert_mem_eq(sb->data, want, sizeof(want));
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, sb->data, sb->size, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(ranges_parse(&back, &u.data), 0);
	ck_assert(ranges_equal(&rs, &back));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_free(sb);
	ranges_clear(&rs);
	sb = pack(&rs);
	ck_assert_uint_eq(sb->size, 1);
	ck_assert_uint_eq((uint8_t)sb->data[0], 0x90);
	msgpack_sbuffer_free(sb);
	ranges_free(&rs);
	ranges_free(&back);
}
END_TEST

/* Parse the packed bytes; returns ranges_parse()'s result. */
static int
parse_bytes(struct ranges *rs, const char *buf, size_t len)
{
	msgpack_unpacked u;
	int		 rv;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, buf, len, NULL),
	    MSGPACK_UNPACK_SUCCESS);
	rv = ranges_parse(rs, &u.data);
	msgpack_unpacked_destroy(&u);
	return rv;
}

START_TEST(parse_rejects_and_merges)
{
	struct ranges	 rs = RANGES_INITIALIZER;
	static const uint64_t w[] = { 1, 10 };
	static const uint64_t w0[] = { 7, 8 };

	ck_assert_int_eq(ranges_add(&rs, 7), 0);
	/* a >= b, negatives, floats, wrong shapes: rejected, set kept. */
	ck_assert_int_eq(parse_bytes(&rs, "\x91\x92\x05\x05", 4), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\x92\x06\x05", 4), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\xff", 2), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\x92\xff\x05", 4), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\x93\x01\x02\x03", 5), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\xc3", 2), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\xca\x3f\x80\x00\x00", 6), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x05", 1), -1);
	ck_assert_int_eq(parse_bytes(&rs, "\x91\x91\x01", 3), -1);
	assert_ranges(&rs, w0, 1);
	/* Overlapping and out of order is fine: [[5,10],[1,6],3] */
	ck_assert_int_eq(parse_bytes(&rs,
	    "\x93\x92\x05\x0a\x92\x01\x06\x03", 8), 0);
	assert_ranges(&rs, w, 1);
	ck_assert_int_eq(parse_bytes(&rs, "\x90", 1), 0);
	ck_assert(ranges_empty(&rs));
	ranges_free(&rs);
}
END_TEST

#define UNIVERSE	200

/* Sorted, each a < b, neither overlapping nor adjacent. */
static void
assert_invariant(const struct ranges *rs)
{
	struct flat	 f = flatten(rs);
	size_t		 i;

	for (i = 0; i < f.n; i++) {
		ck_assert(f.ab[2 * i] < f.ab[2 * i + 1]);
		if (i > 0)
			ck_assert(f.ab[2 * i - 1] < f.ab[2 * i]);
	}
	free(f.ab);
}

static void
from_bits(struct ranges *rs, const uint8_t *bits)
{
	int	 i;

	ranges_clear(rs);
	for (i = 0; i < UNIVERSE; i++)
		if (bits[i])
			ck_assert_int_eq(ranges_add(rs, i), 0);
}

static void
assert_bits(const struct ranges *rs, const uint8_t *bits)
{
	uint64_t	 n = 0;
	int		 t;

	for (t = 0; t < UNIVERSE; t++) {
		ck_assert_int_eq(ranges_contains(rs, t), bits[t]);
		n += bits[t];
	}
	ck_assert_uint_eq(ranges_count(rs), n);
	assert_invariant(rs);
}

START_TEST(set_ops_match_bitmap)
{
	struct ranges	 x = RANGES_INITIALIZER, y = RANGES_INITIALIZER;
	struct ranges	 z = RANGES_INITIALIZER;
	uint8_t		 bx[UNIVERSE], by[UNIVERSE], bz[UNIVERSE];
	int		 round, i, op, a, b;

	srandom(42);
	for (round = 0; round < 400; round++) {
		for (i = 0; i < UNIVERSE; i++) {
			/* Runs, not noise: flip with low probability. */
			bx[i] = i > 0 ? bx[i - 1] ^ (random() % 7 == 0) : 0;
			by[i] = i > 0 ? by[i - 1] ^ (random() % 5 == 0) : 1;
		}
		from_bits(&x, bx);
		from_bits(&y, by);
		assert_bits(&x, bx);
		op = round % 5;
		ck_assert_int_eq(ranges_copy(&z, &x), 0);
		memcpy(bz, bx, sizeof(bz));
		a = random() % UNIVERSE;
		b = a + random() % (UNIVERSE - a);
		for (i = 0; i < UNIVERSE; i++) {
			if (op == 0)
				bz[i] |= by[i];
			else if (op == 1)
				bz[i] &= !by[i];
			else if (op == 2)
				bz[i] &= by[i];
			else if (op == 3 && i >= a && i < b)
				bz[i] = 1;
			else if (op == 4 && i >= a && i < b)
				bz[i] = 0;
		}
		if (op == 0)
			ck_assert_int_eq(ranges_union(&z, &y), 0);
		else if (op == 1)
			ck_assert_int_eq(ranges_difference(&z, &y), 0);
		else if (op == 2)
			ck_assert_int_eq(ranges_intersect(&z, &y), 0);
		else if (op == 3)
			ck_assert_int_eq(ranges_add_range(&z, a, b), 0);
		else
			ck_assert_int_eq(ranges_remove_range(&z, a, b), 0);
		assert_bits(&z, bz);
	}
	ranges_free(&x);
	ranges_free(&y);
	ranges_free(&z);
}
END_TEST

static int
collect(uint64_t a, uint64_t b, void *arg)
{
	uint64_t	*sum = arg;

	*sum += b - a;
	return a == 100 ? 7 : 0;
}

START_TEST(iterate_and_big_ticks)
{
	struct ranges	 rs = RANGES_INITIALIZER;
	uint64_t	 sum = 0;

	ck_assert_int_eq(ranges_add_range(&rs, 1, 3), 0);
	ck_assert_int_eq(ranges_add_range(&rs, 100, 110), 0);
	ck_assert_int_eq(ranges_add_range(&rs, 200, 300), 0);
	ck_assert_int_eq(ranges_iter(&rs, collect, &sum), 7);
	ck_assert_uint_eq(sum, 12);
	ck_assert_int_eq(ranges_add_range(&rs, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(ranges_count(&rs), UINT64_MAX);
	ck_assert(ranges_contains(&rs, UINT64_MAX - 1));
	ck_assert(!ranges_contains(&rs, UINT64_MAX));
	ck_assert_uint_eq(ranges_nranges(&rs), 1);
	ranges_free(&rs);
}
END_TEST

/*
 * Large fragmented sets (many chunks) under random operations, against
 * a bitmap: single ticks moved between two sets as overwrites do, runs
 * added and removed across chunk boundaries, and the set operations.
 */
#define BIG	30000

static void
assert_model(const struct ranges *rs, const uint8_t *bits)
{
	struct flat	 f = flatten(rs);
	size_t		 k = 0;
	uint64_t	 n = 0;
	int		 t, start = -1;

	for (t = 0; t <= BIG; t++) {
		if (t < BIG && bits[t]) {
			n++;
			if (start < 0)
				start = t;
			continue;
		}
		if (start < 0)
			continue;
		ck_assert_uint_lt(k, f.n);
		ck_assert_uint_eq(f.ab[2 * k], start);
		ck_assert_uint_eq(f.ab[2 * k + 1], t);
		k++;
		start = -1;
	}
	ck_assert_uint_eq(k, f.n);
	ck_assert_uint_eq(ranges_count(rs), n);
	free(f.ab);
}

static void
model_range(uint8_t *bits, int a, int b, uint8_t v)
{
	for (; a < b; a++)
		bits[a] = v;
}

static void
check_set_ops(const struct ranges *x, const uint8_t *bx,
    const struct ranges *y, const uint8_t *by)
{
	static uint8_t	 bz[BIG];
	struct ranges	 z = RANGES_INITIALIZER;
	int		 op, i;

	for (op = 0; op < 3; op++) {
		ck_assert_int_eq(ranges_copy(&z, x), 0);
		ck_assert(ranges_equal(&z, x));
		for (i = 0; i < BIG; i++)
			bz[i] = op == 0 ? bx[i] | by[i] : op == 1 ?
			    bx[i] & !by[i] : bx[i] & by[i];
		if (op == 0)
			ck_assert_int_eq(ranges_union(&z, y), 0);
		else if (op == 1)
			ck_assert_int_eq(ranges_difference(&z, y), 0);
		else
			ck_assert_int_eq(ranges_intersect(&z, y), 0);
		assert_model(&z, bz);
	}
	ranges_free(&z);
}

START_TEST(chunked_random_ops)
{
	static uint8_t	 bp[BIG], bs[BIG];
	struct ranges	 p = RANGES_INITIALIZER, s = RANGES_INITIALIZER;
	uint64_t	 max;
	int		 round, t, a, b, kind;

	srandom(7);
	memset(bp, 0, sizeof(bp));
	memset(bs, 0, sizeof(bs));
	for (t = 0; t < BIG; t += 2) {	/* one interval per tick */
		ck_assert_int_eq(ranges_add(&p, t), 0);
		bp[t] = 1;
	}
	assert_model(&p, bp);
	for (round = 0; round < 80000; round++) {
		t = random() % BIG;
		kind = random() % 100;
		if (kind < 70) {	/* an overwrite: p -> s */
			ck_assert_int_eq(ranges_contains(&p, t), bp[t]);
			ck_assert_int_eq(ranges_remove(&p, t), 0);
			ck_assert_int_eq(ranges_add(&s, t), 0);
			bp[t] = 0;
			bs[t] = 1;
		} else if (kind < 90) {	/* and back */
			ck_assert_int_eq(ranges_contains(&s, t), bs[t]);
			ck_assert_int_eq(ranges_remove(&s, t), 0);
			ck_assert_int_eq(ranges_add(&p, t), 0);
			bs[t] = 0;
			bp[t] = 1;
		} else {		/* runs, some across many chunks */
			a = t;
			b = a + random() % (kind < 98 ? 100 : 3000);
			if (b > BIG)
				b = BIG;
			if (kind % 2) {
				ck_assert_int_eq(ranges_add_range(&p, a, b), 0);
				model_range(bp, a, b, 1);
			} else {
				ck_assert_int_eq(ranges_remove_range(&s, a, b),
				    0);
				model_range(bs, a, b, 0);
			}
		}
		if (round % 10000 == 0) {
			assert_model(&p, bp);
			assert_model(&s, bs);
			check_set_ops(&p, bp, &s, bs);
			check_set_ops(&s, bs, &p, bp);
		}
	}
	assert_model(&p, bp);
	assert_model(&s, bs);
	check_set_ops(&p, bp, &s, bs);
	ck_assert_int_eq(ranges_remove_range(&p, 0, BIG), 0);
	ck_assert(ranges_empty(&p));
	ck_assert_int_eq(ranges_max(&p, &max), -1);
	ck_assert_int_eq(ranges_add_range(&s, 0, BIG), 0);
	ck_assert_uint_eq(ranges_nranges(&s), 1);
	ck_assert_int_eq(ranges_max(&s, &max), 0);
	ck_assert_uint_eq(max, BIG - 1);
	ranges_free(&p);
	ranges_free(&s);
}
END_TEST

TU_MAIN("ranges", 0, add_merges, remove_splits, wire_format,
    parse_rejects_and_merges, set_ops_match_bitmap,
    iterate_and_big_ticks, chunked_random_ops)
