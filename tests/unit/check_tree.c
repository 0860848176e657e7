/*
 * check_tree.c - the data tree: element order, lookups that create
 * intermediates, values growing and shrinking, purge, walks with depth
 * limits and resumable cursors, child sets under stress (abbreviated
 * keys, a million children under one parent), and what an entry costs
 * in memory (printed, not asserted: RSS depends on the allocator).
 * Chains and tombstones through the tree are in check_chain.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <check.h>

#include "core/elem.h"
#include "core/tree.h"
#include "tests/unit/testutil.h"

static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static uint32_t *
shuffled(uint32_t n, uint64_t seed)
{
	uint32_t	*perm = malloc(n * sizeof(*perm)), i, j, k;

	ck_assert_ptr_nonnull(perm);
	for (i = 0; i < n; i++)
		perm[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = rnd(&seed) % (i + 1);
		k = perm[i];
		perm[i] = perm[j];
		perm[j] = k;
	}
	return perm;
}

/*
 * Pack a dotted path of short str elements ("" = the empty path) into
 * a static buffer: good until the next call.
 */
static const uint8_t *
P(const char *dotted, size_t *len)
{
	static uint8_t	 buf[256];
	const char	*s = dotted, *dot;
	size_t		 n = 0, l;

	while (*s != '\0') {
		dot = strchrnul(s, '.');
		l = dot - s;
		buf[n++] = 0xa0 | l;		/* fixstr */
		memcpy(buf + n, s, l);
		n += l;
		s = *dot != '\0' ? dot + 1 : dot;
	}
	*len = n;
	return buf;
}

/* Append "[a.b.c]" for a path of str elements to out. */
static void
render(const uint8_t *p, size_t len, char *out, size_t outsz)
{
	const uint8_t	*s;
	size_t		 n, sl;

	strlcat(out, "[", outsz);
	for (; len > 0 && (n = elem_size(p, len)) > 0; p += n, len -= n) {
		if ((s = elem_str(p, n, &sl)) == NULL)
			strlcat(out, "?", outsz);
		else
			strncat(out, (const char *)s, sl);
		if (n < len)
			strlcat(out, ".", outsz);
	}
	strlcat(out, "]", outsz);
}

static void
set_val(struct tree *t, const char *path, const uint8_t *v, size_t vlen)
{
	struct entry	*e;
	const uint8_t	*p;
	size_t		 len;

	p = P(path, &len);
	ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, len));
	ck_assert_int_eq(entry_set(t, &e, v, vlen, 0, 1, 1), 0);
}

static void
set_int(struct tree *t, const char *path, int val)
{
	uint8_t		 v = (uint8_t)val;	/* positive fixint */

	set_val(t, path, &v, 1);
}

static struct entry *
get(struct tree *t, const char *path)
{
	const uint8_t	*p;
	size_t		 len;

	p = P(path, &len);
	return tree_lookup(t, p, len);
}

START_TEST(lookup_creates_intermediates)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct entry	*e;
	uint8_t		 buf[64];
	const uint8_t	*p;
	size_t		 len, vlen;

	ck_assert_ptr_eq(get(t, ""), tree_root(t));
	ck_assert_ptr_null(get(t, "a"));
	set_int(t, "a.b.c", 5);
	ck_assert_uint_eq(tree_count(t), 3);
	ck_assert_uint_eq(tree_nvalues(t), 1);
	e = get(t, "a.b");
	ck_assert_ptr_nonnull(e);
	ck_assert(!entry_has_value(e));
	ck_assert_ptr_null(entry_value(e, &vlen));
	ck_assert_uint_eq(entry_chain(e).n, 0);
	ck_assert_uint_eq(entry_nchildren(e), 1);
	ck_assert_ptr_eq(entry_parent(e), get(t, "a"));
	ck_assert_ptr_null(get(t, "a.x"));
	e = get(t, "a.b.c");
	ck_assert(entry_has_value(e));
	ck_assert_uint_eq(entry_value(e, &vlen)[0], 5);
	ck_assert_uint_eq(entry_depth(e), 3);
	p = P("a.b.c", &len);
	ck_assert_uint_eq(entry_path(e, buf, sizeof(buf)), len);
	ck_assert_mem_eq(buf, p, len);
	ck_assert_uint_eq(entry_path(e, buf, 2), len);	/* too small */
	p = entry_elem(e, &len);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(p, "\xa1" "c", 2);
	/* A path that does not parse. */
	ck_assert_ptr_null(tree_lookup(t, (const uint8_t *)"\xa5x", 2));
	/* tree_store: create with a value, then update in place. */
	p = P("a.s", &len);
	e = tree_store(t, p, len, (const uint8_t *)"\x07", 1, 0, 1, 1);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(tree_store(t, p, len, (const uint8_t *)"\x08", 1, 0,
	    2, 2), e);
	ck_assert_uint_eq(entry_value(e, &vlen)[0], 8);
	ck_assert_uint_eq(entry_chain(e).n, 1);
	ck_assert_uint_eq(tree_count(t), 4);
	/* The caller's flag bits survive the entry growing children. */
	e = get(t, "a.s");
	entry_set_flags(e, 0xff);
	ck_assert_uint_eq(entry_flags(e), 0x7f);
	set_int(t, "a.s.kid", 1);
	ck_assert_uint_eq(entry_flags(get(t, "a.s")), 0x7f);
	ck_assert_uint_eq(entry_value(get(t, "a.s"), &vlen)[0], 8);
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
}
END_TEST

/*
 * Packed elements in their expected order; Q() marks the same value as
 * the one before in another encoding.
 */
struct el {
	int		 same;
	size_t		 len;
	const char	*b;
};
#define S(x)	{ 0, sizeof(x) - 1, x }
#define Q(x)	{ 1, sizeof(x) - 1, x }
static const struct el order[] = {
	S("\xc0"), S("\xc2"), S("\xc3"),		/* nil false true */
	S("\xcb\xff\xf0\x00\x00\x00\x00\x00\x00"),	/* -inf */
	S("\xcb\xfe\x37\xe4\x3c\x88\x00\x75\x9c"),	/* -1e300 */
	S("\xd3\x80\x00\x00\x00\x00\x00\x00\x00"),	/* INT64_MIN */
	S("\xcb\xbf\xf8\x00\x00\x00\x00\x00\x00"),	/* -1.5 */
	S("\xff"), S("\xcb\xbf\xf0\x00\x00\x00\x00\x00\x00"), /* -1 -1.0 */
	S("\xca\xbf\x00\x00\x00"),			/* -0.5f */
	S("\x00"), S("\xcb\x00\x00\x00\x00\x00\x00\x00\x00"), /* 0 0.0 */
	Q("\xcb\x80\x00\x00\x00\x00\x00\x00\x00"),	/* -0.0 */
	S("\xcc\x01"), Q("\xce\x00\x00\x00\x01"),	/* 1 as u8, u32, i64 */
	Q("\xd3\x00\x00\x00\x00\x00\x00\x00\x01"),
	S("\xca\x3f\x80\x00\x00"),			/* 1.0f, then 1.0 */
	Q("\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"),
	S("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"),	/* 1.5 */
	S("\xcf\x00\x20\x00\x00\x00\x00\x00\x00"),	/* 2^53 */
	S("\xcb\x43\x40\x00\x00\x00\x00\x00\x00"),	/* 2^53 as double */
	S("\xcf\x00\x20\x00\x00\x00\x00\x00\x01"),	/* 2^53 + 1 */
	S("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"),	/* UINT64_MAX */
	S("\xcb\x43\xf0\x00\x00\x00\x00\x00\x00"),	/* 2^64 as double */
	S("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"),	/* inf */
	S("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00"),	/* NaN */
	S("\xa0"), S("\xa1\x61"), Q("\xd9\x01\x61"),	/* "" "a" "a" as str8 */
	S("\xa2\x61\x62"), S("\xa1\x62"), S("\xa2\xc3\xa9"), /* ab b e-acute */
	S("\xc4\x00"), S("\xc4\x01\x00"), S("\xc4\x01\x61"), /* bin: "" \0 a */
	S("\x90"), S("\x91\xc0"), S("\x91\x01"),	/* () (nil) (1) */
	S("\x92\x01\xa1\x61"), S("\x92\x01\xa1\x62"),	/* (1,a) (1,b) */
	S("\x91\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00"),	/* (1.0) */
	S("\x91\x02"), S("\x91\xa1\x61"), S("\x80"),	/* (2) (a) {} */
};
#define NORDER	(sizeof(order) / sizeof(order[0]))

START_TEST(element_order_is_total)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct tree_iter it;
	struct entry	*e;
	uint32_t	*perm = shuffled(NORDER, 3);
	int		 rank[NORDER], first[NORDER], r = -1, c;
	size_t		 i, j, len;
	const uint8_t	*a, *b, *el;

	for (i = 0; i < NORDER; i++) {
		rank[i] = order[i].same ? r : ++r;
		if (!order[i].same)
			first[r] = i;
	}
	for (i = 0; i < NORDER; i++) {
		a = (const uint8_t *)order[i].b;
		ck_assert_uint_eq(elem_size(a, order[i].len), order[i].len);
		for (j = 0; j < NORDER; j++) {
			b = (const uint8_t *)order[j].b;
			c = elem_cmp(a, order[i].len, b, order[j].len);
			ck_assert_msg((c > 0) - (c < 0) ==
			    (rank[i] > rank[j]) - (rank[i] < rank[j]),
			    "elements %zu and %zu: cmp %d", i, j, c);
		}
	}
	/* Into a tree in a shuffled order: children come out by rank. */
	for (i = 0; i < NORDER; i++)
		ck_assert_ptr_nonnull(tree_lookup_create(t,
		    (const uint8_t *)order[perm[i]].b, order[perm[i]].len));
	ck_assert_uint_eq(entry_nchildren(tree_root(t)), (size_t)r + 1);
	i = 0;
	for (e = entry_child_first(tree_root(t), &it); e != NULL;
	    e = entry_child_next(&it), i++) {
		el = entry_elem(e, &len);
		j = first[i];
		ck_assert_int_eq(elem_cmp(el, len, (const uint8_t *)order[j].b,
		    order[j].len), 0);
	}
	ck_assert_uint_eq(i, (size_t)r + 1);
	ck_assert_int_eq(tree_check(t), 0);
	free(perm);
	tree_free(t);
}
END_TEST

START_TEST(elem_size_nested_and_truncated)
{
	/* [1, [2, "ab"], {3: nil}] */
	static const uint8_t v[] = { 0x93, 0x01, 0x92, 0x02, 0xa2, 'a', 'b',
	    0x81, 0x03, 0xc0 };
	static const uint8_t big[] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 };
	size_t	 i;

	ck_assert_uint_eq(elem_size(v, sizeof(v)), sizeof(v));
	for (i = 0; i < sizeof(v); i++)
		ck_assert_uint_eq(elem_size(v, i), 0);
	ck_assert_uint_eq(elem_size(big, sizeof(big)), 0);
	ck_assert_uint_eq(elem_size((const uint8_t *)"\xc1", 1), 0);
	ck_assert_int_eq(elem_class(v, sizeof(v)), ELEM_ARRAY);
	ck_assert_int_eq(elem_count(v, sizeof(v)), 1);
	ck_assert_int_eq(elem_count((const uint8_t *)"\x01\xa1x\xc0", 4), 3);
	ck_assert_int_eq(elem_count(v, sizeof(v) - 1), -1);
}
END_TEST

START_TEST(purge)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct entry	*e, *p;
	size_t		 mem;

	set_int(t, "p.c", 1);
	set_int(t, "p.d", 2);
	mem = tree_mem_bytes(t);
	p = get(t, "p");
	e = get(t, "p.c");
	ck_assert_int_eq(tree_purge(t, e), -1);		/* has a value */
	ck_assert_int_eq(tree_purge(t, p), -1);		/* has children */
	ck_assert_int_eq(tree_purge(t, tree_root(t)), -1);
	ck_assert_int_eq(entry_delete(t, &e, 0, 2, 2), 0);
	ck_assert_int_eq(tree_purge(t, e), 0);
	ck_assert_ptr_null(get(t, "p.c"));
	ck_assert_ptr_nonnull(get(t, "p.d"));
	ck_assert_uint_eq(tree_count(t), 2);
	ck_assert_uint_lt(tree_mem_bytes(t), mem);
	e = get(t, "p.d");
	ck_assert_int_eq(entry_delete(t, &e, 0, 3, 3), 0);
	ck_assert_int_eq(tree_purge(t, e), 0);
	/* Now the bare intermediate goes too. */
	ck_assert_uint_eq(entry_nchildren(p), 0);
	ck_assert_int_eq(tree_purge(t, p), 0);
	ck_assert_uint_eq(tree_count(t), 0);
	ck_assert_uint_eq(entry_nchildren(tree_root(t)), 0);
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
}
END_TEST

/* Values growing and shrinking, on an entry with children (moves). */
START_TEST(value_replace)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct entry	*e, *c;
	struct tree_iter it;
	uint8_t		*big;
	const uint8_t	*v;
	size_t		 sizes[] = { 1, 1000, 5, 100000, 0, 3, 70000, 2 };
	size_t		 i, len;
	char		 name[16];

	for (i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "v.c%03zu", i);
		set_int(t, name, 1);
	}
	big = malloc(100000);
	for (i = 0; i < 100000; i++)
		big[i] = (uint8_t)(i * 7);
	e = get(t, "v");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		big[0] = (uint8_t)i;
		if (sizes[i] == 0)
			ck_assert_int_eq(entry_delete(t, &e, 1, i, i), 0);
		else
			ck_assert_int_eq(entry_set(t, &e, big, sizes[i],
			    1 + i % 3, i, i), 0);
		ck_assert_ptr_eq(get(t, "v"), e);
		v = entry_value(e, &len);
		ck_assert_uint_eq(len, sizes[i]);
		if (len > 0)
			ck_assert_mem_eq(v, big, len);
		for (c = entry_child_first(e, &it); c != NULL;
		    c = entry_child_next(&it))
			ck_assert_ptr_eq(entry_parent(c), e);
		ck_assert_uint_ge(entry_mem_bytes(e), 32 + len);
	}
	/* The root can hold a value too. */
	e = tree_root(t);
	ck_assert_int_eq(entry_set(t, &e, big, 50000, 1, 99, 99), 0);
	ck_assert_ptr_eq(tree_root(t), e);
	ck_assert_ptr_eq(entry_parent(get(t, "v")), e);
	ck_assert_int_eq(tree_check(t), 0);
	free(big);
	tree_free(t);
}
END_TEST

/* An element too long for the 16-bit length field. */
START_TEST(long_element)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct entry	*e;
	uint8_t		*el;
	const uint8_t	*p;
	size_t		 n = 70000, len;

	el = malloc(n + 5);
	el[0] = 0xdb;
	el[1] = 0;
	el[2] = n >> 16;
	el[3] = (n >> 8) & 0xff;
	el[4] = n & 0xff;
	memset(el + 5, 'x', n);
	e = tree_lookup_create(t, el, n + 5);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x01", 1, 0, 1, 1),
	    0);
	ck_assert_ptr_eq(tree_lookup(t, el, n + 5), e);
	p = entry_elem(e, &len);
	ck_assert_uint_eq(len, n + 5);
	ck_assert_mem_eq(p, el, len);
	ck_assert_uint_eq(entry_value(e, &len)[0], 1);
	free(el);
	tree_free(t);
}
END_TEST

static int
collect(struct entry *e, const uint8_t *p, size_t len, unsigned depth,
    void *arg)
{
	render(p, len, arg, 1024);
	return 0;
}

static void
walk_is(struct tree *t, unsigned min, unsigned max, int flags,
    const char *want)
{
	const uint8_t	*p;
	char		 got[1024] = "";
	size_t		 len;

	p = P("test.tree", &len);
	ck_assert_int_eq(tree_walk(t, p, len, min, max, flags, collect, got),
	    0);
	ck_assert_str_eq(got, want);
}

static struct tree *
example_tree(void)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);

	/* In scrambled order, with a sibling tree that must not show. */
	set_int(t, "test.tree.c.only", 6);
	set_int(t, "test.tree.b.z.deep", 5);
	set_int(t, "test.treeX.a", 9);
	set_int(t, "test.tree.a.y", 3);
	set_int(t, "test.tree.b", 4);
	set_int(t, "test.tree.a", 1);
	set_int(t, "test.tree.a.x", 2);
	set_val(t, "test.tree", (const uint8_t *)"\xa8tree-top", 9);
	return t;
}

START_TEST(walk_depths)
{
	struct tree	*t = example_tree();
	const unsigned	 ANY = TREE_DEPTH_ANY;

	walk_is(t, 0, ANY, 0,
	    "[][a][a.x][a.y][b][b.z.deep][c.only]");
	walk_is(t, 0, ANY, TREE_WALK_EMPTY,
	    "[][a][a.x][a.y][b][b.z][b.z.deep][c][c.only]");
	walk_is(t, 0, 1, 0, "[][a][b]");
	walk_is(t, 0, 1, TREE_WALK_EMPTY, "[][a][b][c]");
	walk_is(t, 2, ANY, 0, "[a.x][a.y][b.z.deep][c.only]");
	walk_is(t, 2, ANY, TREE_WALK_EMPTY,
	    "[a.x][a.y][b.z][b.z.deep][c.only]");
	walk_is(t, 2, 2, 0, "[a.x][a.y][c.only]");
	walk_is(t, 0, 0, 0, "[]");
	tree_free(t);
}
END_TEST

static int
stop_at_b(struct entry *e, const uint8_t *p, size_t len, unsigned depth,
    void *arg)
{
	render(p, len, arg, 1024);
	/* Stop after test.tree.b. */
	return len > 2 && p[len - 2] == 0xa1 && p[len - 1] == 'b' ? 42 : 0;
}

/* Take n entries from the cursor, rendering their paths. */
static void
take(struct tree_cursor *c, int n, char *out)
{
	const uint8_t	*p;
	size_t		 len;

	*out = '\0';
	while (n-- > 0 && tree_cursor_next(c) != NULL) {
		p = tree_cursor_path(c, &len);
		render(p, len, out, 1024);
	}
}

START_TEST(cursor_resumes)
{
	struct tree	*t = example_tree();
	struct tree_cursor *c;
	struct entry	*e;
	const uint8_t	*p;
	char		 got[1024] = "";
	size_t		 len;

	ck_assert_int_eq(tree_walk(t, NULL, 0, 0, TREE_DEPTH_ANY, 0, stop_at_b,
	    got), 42);
	ck_assert_str_eq(got, "[test.tree][test.tree.a][test.tree.a.x]"
	    "[test.tree.a.y][test.tree.b]");
	p = P("test.tree", &len);
	c = tree_cursor_new(t, p, len, 0, TREE_DEPTH_ANY, 0);
	take(c, 2, got);
	ck_assert_str_eq(got, "[][a]");
	ck_assert_uint_eq(tree_cursor_depth(c), 1);
	/*
	 * Behind the cursor (0): not seen.  Ahead (a.w, a.xx): seen, even
	 * below the entry it stands on.  Gone (a.y): skipped.
	 */
	set_int(t, "test.tree.0", 1);
	set_int(t, "test.tree.a.w", 1);
	set_int(t, "test.tree.a.xx", 1);
	e = get(t, "test.tree.a.y");
	ck_assert_int_eq(entry_delete(t, &e, 0, 9, 9), 0);
	ck_assert_int_eq(tree_purge(t, e), 0);
	take(c, 3, got);
	ck_assert_str_eq(got, "[a.w][a.x][a.xx]");
	/* The entry the cursor stands on disappears. */
	e = get(t, "test.tree.a.xx");
	ck_assert_int_eq(entry_delete(t, &e, 0, 9, 9), 0);
	ck_assert_int_eq(tree_purge(t, e), 0);
	set_int(t, "test.tree.bb", 7);
	take(c, 100, got);
	ck_assert_str_eq(got, "[b][b.z.deep][bb][c.only]");
	ck_assert_ptr_null(tree_cursor_next(c));
	ck_assert(!tree_cursor_failed(c));
	/* Seek by path, to an entry that exists and one that does not. */
	p = P("b", &len);
	ck_assert_int_eq(tree_cursor_seek(c, p, len), 0);
	take(c, 2, got);
	ck_assert_str_eq(got, "[b.z.deep][bb]");
	p = P("a.x.nothing.here", &len);
	ck_assert_int_eq(tree_cursor_seek(c, p, len), 0);
	take(c, 2, got);
	ck_assert_str_eq(got, "[b][b.z.deep]");
	/* Now the entry it stands on goes, and its bare parent too. */
	e = get(t, "test.tree.b.z.deep");
	ck_assert_int_eq(entry_delete(t, &e, 0, 9, 9), 0);
	ck_assert_int_eq(tree_purge(t, e), 0);
	ck_assert_int_eq(tree_purge(t, get(t, "test.tree.b.z")), 0);
	take(c, 1, got);
	ck_assert_str_eq(got, "[bb]");
	tree_cursor_free(c);
	/* A cursor whose root is missing ends at once. */
	p = P("no.such", &len);
	c = tree_cursor_new(t, p, len, 0, TREE_DEPTH_ANY, 0);
	ck_assert_ptr_null(tree_cursor_next(c));
	tree_cursor_free(c);
	tree_free(t);
}
END_TEST

/* Pack a str element (fixstr or str8); returns its length. */
static size_t
mkstr(uint8_t *out, const uint8_t *s, size_t n)
{
	size_t	 h = n < 32 ? 1 : 2;

	out[0] = n < 32 ? 0xa0 | n : 0xd9;
	out[1] = n;			/* str8 length, or overwritten */
	memcpy(out + h, s, n);
	return h + n;
}

/*
 * Keys that make abbreviations tie or mislead: strs that are prefixes
 * of each other, zero bytes next to zero padding, a shared prefix
 * longer than a node keeps, and ints among the strs.
 */
static size_t
edge_key(uint8_t *out, unsigned k)
{
	uint8_t		 s[48];
	unsigned	 m = k / 6, v = k % 6;

	s[0] = 'x';
	s[1] = m >> 8;
	s[2] = m & 0xff;
	s[3] = 0;
	s[4] = v == 3;
	if (v < 4)	/* x m, x m \0, x m \0\0, x m \0\1 */
		return mkstr(out, s, v == 0 ? 3 : v == 1 ? 4 : 5);
	if (v == 4) {
		memset(s, 'p', 40);
		s[40] = m >> 8;
		s[41] = m & 0xff;
		return mkstr(out, s, 42);
	}
	out[0] = 0xcd;		/* uint16 m */
	out[1] = m >> 8;
	out[2] = m & 0xff;
	return 3;
}

START_TEST(abbreviation_edges)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct tree_iter it;
	struct entry	*e, *prev = NULL;
	enum { N = 6 * 300 };
	uint32_t	*perm = shuffled(N, 5);
	uint8_t		 el[48];
	const uint8_t	*a, *b;
	size_t		 al, bl, len;
	unsigned	 i, n = 0;

	for (i = 0; i < N; i++) {
		len = edge_key(el, perm[i]);
		ck_assert_ptr_nonnull(tree_lookup_create(t, el, len));
	}
	ck_assert_int_eq(tree_check(t), 0);
	for (e = entry_child_first(tree_root(t), &it); e != NULL;
	    prev = e, e = entry_child_next(&it), n++) {
		if (prev == NULL)
			continue;
		a = entry_elem(prev, &al);
		b = entry_elem(e, &bl);
		ck_assert_int_lt(elem_cmp(a, al, b, bl), 0);
	}
	ck_assert_uint_eq(n, N);
	/* Every key is found and near misses are not; purge every other. */
	for (i = 0; i < N; i++) {
		len = edge_key(el, i);
		ck_assert_ptr_nonnull(e = tree_lookup(t, el, len));
		if (i % 2)
			ck_assert_int_eq(tree_purge(t, e), 0);
		if (i % 6 == 3) {
			el[len - 1] = 2;
			ck_assert_ptr_null(tree_lookup(t, el, len));
		}
	}
	ck_assert_int_eq(tree_check(t), 0);
	ck_assert_uint_eq(entry_nchildren(tree_root(t)), N / 2);
	for (i = 0; i < N; i++) {
		len = edge_key(el, i);
		ck_assert_int_eq(tree_lookup(t, el, len) == NULL, i % 2);
	}
	free(perm);
	tree_free(t);
}
END_TEST

#define BIG	1000000
#define VAL10	((const uint8_t *)"\xaa" "0123456789")	/* 10-byte str */

/* path = "big" + "key:NNNNNNN" into 17 bytes; returns its length, 16. */
static size_t
big_path(uint8_t *buf, uint32_t k)
{
	memcpy(buf, "\xa3" "big", 4);
	buf[4] = 0xa0 | 11;
	snprintf((char *)buf + 5, 12, "key:%07u", k);
	return 16;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(million_children)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct tree_cursor *c;
	struct entry	*e;
	uint32_t	*perm = shuffled(BIG, 0x9e3779b97f4a7c15ULL), i;
	uint8_t		 path[17];
	const uint8_t	*el;
	size_t		 len;
	double		 t0, t1, t2;

	t0 = now();
	for (i = 0; i < BIG; i++) {
		/* No ck_assert in hot loops: each one writes to a pipe. */
		if (tree_store(t, path, big_path(path, perm[i]), VAL10, 11, 0,
		    i + 1, i) == NULL)
			ck_abort_msg("insert %u", i);
	}
	t1 = now();
	ck_assert_uint_eq(entry_nchildren(get(t, "big")), BIG);
	c = tree_cursor_new(t, path, 4, 1, 1, 0);
	for (i = 0; (e = tree_cursor_next(c)) != NULL; i++) {
		big_path(path, i);
		el = entry_elem(e, &len);
		/* In order, none missing: the i-th child is key:i. */
		if (len != 12 || memcmp(el, path + 4, 12) != 0)
			ck_abort_msg("child %u out of order", i);
	}
	t2 = now();
	ck_assert_uint_eq(i, BIG);
	tree_cursor_free(c);
	printf("tree: 1M children in random order: insert %.2fs, walk %.2fs, "
	    "%.1f bytes/entry accounted\n", t1 - t0, t2 - t1,
	    (double)tree_mem_bytes(t) / tree_count(t));
	ck_assert_int_eq(tree_check(t), 0);
	free(perm);
	tree_free(t);
}
END_TEST

/* Random inserts and purges against a bitmap; structure checked often. */
START_TEST(btree_stress)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct tree_iter it;
	struct entry	*e;
	enum { N = 60000 };
	uint8_t		*have = calloc(N, 1), path[17];
	uint64_t	 seed = 12345;
	uint32_t	 k, i, n = 0, *perm;
	size_t		 plen;

	for (i = 0; i < 6 * N; i++) {
		k = rnd(&seed) % N;
		plen = big_path(path, k);
		/* Phases: grow, churn, shrink. */
		if ((i < 2 * N || (i < 4 * N && rnd(&seed) % 2)) && !have[k]) {
			e = tree_lookup_create(t, path, plen);
			if (entry_set(t, &e, VAL10, 11, 0, i, i) != 0)
				ck_abort_msg("set %u", k);
			have[k] = 1;
			n++;
		} else if (i >= 2 * N && have[k]) {
			e = tree_lookup(t, path, plen);
			if (entry_delete(t, &e, 0, i, i) != 0 ||
			    tree_purge(t, e) != 0)
				ck_abort_msg("purge %u", k);
			have[k] = 0;
			n--;
		}
		if (i % 20000 == 0)
			ck_assert_int_eq(tree_check(t), 0);
	}
	ck_assert_int_eq(tree_check(t), 0);
	e = get(t, "big");
	ck_assert_uint_eq(entry_nchildren(e), n);
	/* The survivors in order, then all gone in random order. */
	k = 0;
	for (e = entry_child_first(e, &it); e != NULL;
	    e = entry_child_next(&it))
		k++;
	ck_assert_uint_eq(k, n);
	perm = shuffled(N, 99);
	for (i = 0; i < N; i++) {
		if (!have[perm[i]])
			continue;
		e = tree_lookup(t, path, big_path(path, perm[i]));
		ck_assert_int_eq(entry_delete(t, &e, 0, 1, 1), 0);
		ck_assert_int_eq(tree_purge(t, e), 0);
	}
	ck_assert_uint_eq(entry_nchildren(get(t, "big")), 0);
	ck_assert_int_eq(tree_check(t), 0);
	free(perm);
	free(have);
	tree_free(t);
}
END_TEST

static long
rss_bytes(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 size = 0, res = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(f);
	return res * sysconf(_SC_PAGESIZE);
}

/* The brief's benchmark: ("bench", "key:%06d") = 10-byte str. */
START_TEST(memory_per_entry)
{
	struct tree	*t;
	struct entry	*e;
	uint8_t		 path[18];
	long		 before, after;
	double		 acct;
	uint32_t	 i;

	before = rss_bytes();
	t = tree_new(CHAIN_DEFLEN);
	memcpy(path, "\xa5" "bench\xaa", 7);
	for (i = 0; i < BIG; i++) {
		snprintf((char *)path + 7, 11, "key:%06u", i);
		e = tree_lookup_create(t, path, 17);
		if (e == NULL || entry_set(t, &e, VAL10, 11, 0, i + 1, i) != 0)
			ck_abort_msg("insert %u", i);
	}
	after = rss_bytes();
	acct = (double)tree_mem_bytes(t) / tree_count(t);
	printf("tree: 1M entries (\"bench\",\"key:%%06d\")=10-byte str, "
	    "1-link chain: %.1f bytes/entry RSS, %.1f accounted\n",
	    (double)(after - before) / BIG, acct);
	ck_assert(acct < 130);
	/* What the (node, tick) index adds once get_value by tick asks. */
	snprintf((char *)path + 7, 11, "key:%06u", 500000);
	ck_assert_ptr_eq(tree_find_event(t, 0, 500001),
	    tree_lookup(t, path, 17));
	printf("tree: the same with its (node, tick) index: +%.1f bytes/entry "
	    "RSS, +%.1f accounted\n", (double)(rss_bytes() - after) / BIG,
	    (double)tree_mem_bytes(t) / tree_count(t) - acct);
	tree_free(t);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tree");

	tu_tcase(s, "core", 0, TU_TESTS(lookup_creates_intermediates,
	    element_order_is_total, elem_size_nested_and_truncated, purge,
	    value_replace, long_element, walk_depths, cursor_resumes,
	    abbreviation_edges));
	/* Generous: sanitizers and valgrind are many times slower. */
	tu_tcase(s, "million", 300, TU_TESTS(million_children));
	tu_tcase(s, "stress", 300, TU_TESTS(btree_stress));
	tu_tcase(s, "memory", 300, TU_TESTS(memory_per_entry));
	return tu_run(s);
}
