/*
 * check_tree.c - the data tree: element order, lookups that create
 * intermediates, values, chains and tombstones, purge, walks with depth
 * limits and resumable cursors, a million children under one parent,
 * and what an entry costs in memory (printed, not asserted as RSS).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <check.h>
#include <msgpack.h>

#include "core/elem.h"
#include "core/tree.h"

struct pb {
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
};

static void
pb_init(struct pb *b)
{
	msgpack_sbuffer_init(&b->sb);
	msgpack_packer_init(&b->pk, &b->sb, msgpack_sbuffer_write);
}

static void
pb_str(struct pb *b, const char *s)
{
	msgpack_pack_str(&b->pk, strlen(s));
	msgpack_pack_str_body(&b->pk, s, strlen(s));
}

/* Pack a dotted path of str elements ("" = the empty path). */
static const uint8_t *
P(struct pb *b, const char *dotted, size_t *len)
{
	char		 buf[256], *s = buf, *tok;

	b->sb.size = 0;
	snprintf(buf, sizeof(buf), "%s", dotted);
	while ((tok = strsep(&s, ".")) != NULL)
		if (*tok != '\0')
			pb_str(b, tok);
	*len = b->sb.size;
	return (const uint8_t *)b->sb.data;
}

/* Append "[a.b.c]" for a path of str/int elements to out. */
static void
render(const uint8_t *p, size_t len, char *out, size_t outsz)
{
	msgpack_unpacked u;
	size_t		 off = 0;
	int		 first = 1;
	const msgpack_object *o;

	strlcat(out, "[", outsz);
	msgpack_unpacked_init(&u);
	while (off < len && msgpack_unpack_next(&u, (const char *)p, len,
	    &off) == MSGPACK_UNPACK_SUCCESS) {
		o = &u.data;
		if (!first)
			strlcat(out, ".", outsz);
		first = 0;
		if (o->type == MSGPACK_OBJECT_STR)
			strncat(out, o->via.str.ptr, o->via.str.size);
		else
			strlcat(out, "?", outsz);
	}
	msgpack_unpacked_destroy(&u);
	strlcat(out, "]", outsz);
}

static void
set_str(struct tree *t, const char *path, const char *val)
{
	struct pb	 b, v;
	struct entry	*e;
	const uint8_t	*p;
	size_t		 len;

	pb_init(&b);
	pb_init(&v);
	p = P(&b, path, &len);
	pb_str(&v, val);
	ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, len));
	ck_assert_int_eq(entry_set(t, &e, (uint8_t *)v.sb.data, v.sb.size,
	    0, 1, 1), 0);
	msgpack_sbuffer_destroy(&b.sb);
	msgpack_sbuffer_destroy(&v.sb);
}

static void
set_int(struct tree *t, const char *path, int val)
{
	struct pb	 b;
	struct entry	*e;
	const uint8_t	*p;
	uint8_t		 v = (uint8_t)val;	/* positive fixint */
	size_t		 len;

	pb_init(&b);
	p = P(&b, path, &len);
	ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, len));
	ck_assert_int_eq(entry_set(t, &e, &v, 1, 0, 1, 1), 0);
	msgpack_sbuffer_destroy(&b.sb);
}

static struct entry *
get(struct tree *t, const char *path)
{
	struct pb	 b;
	struct entry	*e;
	const uint8_t	*p;
	size_t		 len;

	pb_init(&b);
	p = P(&b, path, &len);
	e = tree_lookup(t, p, len);
	msgpack_sbuffer_destroy(&b.sb);
	return e;
}

START_TEST(lookup_creates_intermediates)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct entry	*e;
	struct pb	 b;
	uint8_t		 buf[64];
	const uint8_t	*p;
	size_t		 len, vlen;

	pb_init(&b);
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
	p = P(&b, "a.b.c", &len);
	ck_assert_uint_eq(entry_path(e, buf, sizeof(buf)), len);
	ck_assert_mem_eq(buf, p, len);
	ck_assert_uint_eq(entry_path(e, buf, 2), len);	/* too small */
	p = entry_elem(e, &len);
	ck_assert_uint_eq(len, 2);
	ck_assert_mem_eq(p, "\xa1" "c", 2);
	/* A path that does not parse. */
	ck_assert_ptr_null(tree_lookup(t, (const uint8_t *)"\xa5x", 2));
	ck_assert_int_eq(tree_check(t), 0);
	msgpack_sbuffer_destroy(&b.sb);
	tree_free(t);
}
END_TEST

/*
 * Elements in their expected order; equal `rank' means the same value
 * in another encoding.
 */
static void
pack_order(struct pb *b, size_t *off, int *rank, int *n)
{
	msgpack_packer	*pk = &b->pk;
	int		 r = -1;

#define NEXT(same)	do { off[*n] = b->sb.size; rank[*n] = (same) ? r : ++r; \
			    (*n)++; } while (0)
	NEXT(0); msgpack_pack_nil(pk);
	NEXT(0); msgpack_pack_false(pk);
	NEXT(0); msgpack_pack_true(pk);
	NEXT(0); msgpack_pack_double(pk, -1.0 / 0.0);
	NEXT(0); msgpack_pack_double(pk, -1e300);
	NEXT(0); msgpack_pack_int64(pk, INT64_MIN);
	NEXT(0); msgpack_pack_double(pk, -1.5);
	NEXT(0); msgpack_pack_int8(pk, -1);
	NEXT(0); msgpack_pack_double(pk, -1.0);	/* after the int -1 */
	NEXT(0); msgpack_pack_float(pk, -0.5f);
	NEXT(0); msgpack_pack_int8(pk, 0);
	NEXT(0); msgpack_pack_double(pk, 0.0);
	NEXT(1); msgpack_pack_double(pk, -0.0);
	NEXT(0); msgpack_pack_uint8(pk, 1);
	NEXT(1); msgpack_pack_fix_uint32(pk, 1);
	NEXT(1); msgpack_pack_fix_int64(pk, 1);
	NEXT(0); msgpack_pack_float(pk, 1.0f);
	NEXT(1); msgpack_pack_double(pk, 1.0);
	NEXT(0); msgpack_pack_double(pk, 1.5);
	NEXT(0); msgpack_pack_uint64(pk, 9007199254740992ULL);
	NEXT(0); msgpack_pack_double(pk, 9007199254740992.0);
	NEXT(0); msgpack_pack_uint64(pk, 9007199254740993ULL);
	NEXT(0); msgpack_pack_uint64(pk, UINT64_MAX);
	NEXT(0); msgpack_pack_double(pk, 18446744073709551616.0);
	NEXT(0); msgpack_pack_double(pk, 1.0 / 0.0);
	NEXT(0); msgpack_pack_double(pk, 0.0 / 0.0);
	NEXT(0); pb_str(b, "");
	NEXT(0); pb_str(b, "a");
	NEXT(0); pb_str(b, "ab");
	NEXT(0); pb_str(b, "b");
	NEXT(0); pb_str(b, "\xc3\xa9");
	NEXT(0); msgpack_pack_bin(pk, 0);
	NEXT(0); msgpack_pack_bin(pk, 1); msgpack_pack_bin_body(pk, "", 1);
	NEXT(0); msgpack_pack_bin(pk, 1); msgpack_pack_bin_body(pk, "a", 1);
	NEXT(0); msgpack_pack_array(pk, 0);
	NEXT(0); msgpack_pack_array(pk, 1); msgpack_pack_nil(pk);
	NEXT(0); msgpack_pack_array(pk, 1); msgpack_pack_int8(pk, 1);
	NEXT(0); msgpack_pack_array(pk, 2); msgpack_pack_int8(pk, 1);
	pb_str(b, "a");
	NEXT(0); msgpack_pack_array(pk, 2); msgpack_pack_int8(pk, 1);
	pb_str(b, "b");
	NEXT(0); msgpack_pack_array(pk, 1); msgpack_pack_double(pk, 1.0);
	NEXT(0); msgpack_pack_array(pk, 1); msgpack_pack_int8(pk, 2);
	NEXT(0); msgpack_pack_array(pk, 1); pb_str(b, "a");
	NEXT(0); msgpack_pack_map(pk, 0);
	off[*n] = b->sb.size;
#undef NEXT
}

START_TEST(element_order_is_total)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	struct tree_iter it;
	struct entry	*e;
	struct pb	 b;
	size_t		 off[64];
	int		 rank[64], perm[64], first[64], n = 0, i, j, k, c;
	const uint8_t	*p, *el;
	size_t		 len;

	pb_init(&b);
	pack_order(&b, off, rank, &n);
	p = (const uint8_t *)b.sb.data;
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(elem_size(p + off[i], b.sb.size - off[i]),
		    off[i + 1] - off[i]);
		for (j = 0; j < n; j++) {
			c = elem_cmp(p + off[i], off[i + 1] - off[i],
			    p + off[j], off[j + 1] - off[j]);
			ck_assert_msg((c > 0) - (c < 0) ==
			    (rank[i] > rank[j]) - (rank[i] < rank[j]),
			    "elements %d and %d: cmp %d", i, j, c);
		}
		perm[i] = i;
	}
	ck_assert_int_eq(elem_count(p, b.sb.size), n);
	/* Cut inside the last tuple. */
	ck_assert_int_eq(elem_count(p, off[n - 1] - 1), -1);
	/* Into a tree in a shuffled order: children come out by rank. */
	srandom(3);
	for (i = n - 1; i > 0; i--) {
		j = random() % (i + 1);
		k = perm[i];
		perm[i] = perm[j];
		perm[j] = k;
	}
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(tree_lookup_create(t, p + off[perm[i]],
		    off[perm[i] + 1] - off[perm[i]]));
	ck_assert_uint_eq(entry_nchildren(tree_root(t)),
	    (size_t)rank[n - 1] + 1);
	/* The k-th child is the first element of rank k. */
	for (i = 0; i < n; i++)
		if (i == 0 || rank[i] != rank[i - 1])
			first[rank[i]] = i;
	k = 0;
	for (e = entry_child_first(tree_root(t), &it); e != NULL;
	    e = entry_child_next(&it), k++) {
		el = entry_elem(e, &len);
		i = first[k];
		ck_assert_int_eq(elem_cmp(el, len, p + off[i],
		    off[i + 1] - off[i]), 0);
	}
	ck_assert_int_eq(k, rank[n - 1] + 1);
	msgpack_sbuffer_destroy(&b.sb);
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
}
END_TEST

START_TEST(chains_and_tombstones)
{
	struct tree	*t = tree_new(3);
	struct entry	*e;
	struct chain	 c;
	uint32_t	 a, b, x, y;
	const uint8_t	*v;
	size_t		 len;

	ck_assert_uint_eq(tree_node_intern(t, "self", 4), 0); /* set_int's */
	a = tree_node_intern(t, "a", 1);
	b = tree_node_intern(t, "b", 1);
	x = tree_node_intern(t, "x", 1);
	y = tree_node_intern(t, "y", 1);
	ck_assert_uint_eq(tree_node_intern(t, "b", 1), b);
	ck_assert_str_eq(tree_node_name(t, y, &len), "y");
	set_int(t, "k", 1);
	e = get(t, "k");
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x02", 1, a, 10,
	    100), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x03", 1, b, 5,
	    101), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x04", 1, a, 11,
	    102), 0);
	c = entry_chain(e);
	ck_assert_uint_eq(c.n, 3);	/* a11, b5, node 0 */
	ck_assert_uint_eq(c.link[0].node, a);
	ck_assert_uint_eq(c.link[0].tick, 11);
	ck_assert_uint_eq(c.link[1].node, b);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x05", 1, x, 1,
	    103), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x06", 1, y, 1,
	    104), 0);
	c = entry_chain(e);
	ck_assert_uint_eq(c.n, 3);	/* truncated to maxlen */
	ck_assert_uint_eq(c.link[0].node, y);
	ck_assert_uint_eq(c.link[1].node, x);
	ck_assert_uint_eq(c.link[2].node, a);
	ck_assert_uint_eq(entry_tock(e), 104);
	ck_assert_uint_eq(entry_value(e, &len)[0], 6);
	/* Delete: a tombstone keeps (and extends) its chain. */
	ck_assert_uint_eq(tree_nvalues(t), 1);
	ck_assert_int_eq(entry_delete(t, &e, b, 6, 105), 0);
	ck_assert(!entry_has_value(e));
	ck_assert_ptr_null(entry_value(e, &len));
	ck_assert_uint_eq(tree_nvalues(t), 0);
	ck_assert_uint_eq(tree_count(t), 1);
	c = entry_chain(e);
	ck_assert_uint_eq(c.link[0].node, b);
	ck_assert_uint_eq(c.link[0].tick, 6);
	ck_assert_uint_eq(entry_tock(e), 105);
	ck_assert_ptr_eq(get(t, "k"), e);
	/* A nil value is a value. */
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\xc0", 1, a, 12,
	    106), 0);
	ck_assert(entry_has_value(e));
	v = entry_value(e, &len);
	ck_assert_uint_eq(len, 1);
	ck_assert_uint_eq(v[0], 0xc0);
	/* A whole chain from elsewhere, aliasing the entry's own. */
	c = entry_chain(e);
	c.n = 2;
	ck_assert_int_eq(entry_update(t, &e, NULL, 0, c, 107), 0);
	c = entry_chain(e);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.link[0].node, a);
	ck_assert_uint_eq(c.link[1].node, b);
	ck_assert(!entry_has_value(e));
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
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
			ck_assert_int_eq(entry_set(t, &e, big, sizes[i], 1 + i % 3,
			    i, i), 0);
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
	struct pb	 b;
	const uint8_t	*p;
	char		 got[1024] = "";
	size_t		 len;

	pb_init(&b);
	p = P(&b, "test.tree", &len);
	ck_assert_int_eq(tree_walk(t, p, len, min, max, flags, collect, got),
	    0);
	ck_assert_str_eq(got, want);
	msgpack_sbuffer_destroy(&b.sb);
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
	set_str(t, "test.tree", "tree-top");
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
	walk_is(t, 2, ANY, TREE_WALK_EMPTY, "[a.x][a.y][b.z][b.z.deep][c.only]");
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
	struct pb	 b;
	const uint8_t	*p;
	char		 got[1024] = "";
	size_t		 len;

	ck_assert_int_eq(tree_walk(t, NULL, 0, 0, TREE_DEPTH_ANY, 0, stop_at_b,
	    got), 42);
	ck_assert_str_eq(got, "[test.tree][test.tree.a][test.tree.a.x]"
	    "[test.tree.a.y][test.tree.b]");
	pb_init(&b);
	p = P(&b, "test.tree", &len);
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
	p = P(&b, "b", &len);
	ck_assert_int_eq(tree_cursor_seek(c, p, len), 0);
	take(c, 2, got);
	ck_assert_str_eq(got, "[b.z.deep][bb]");
	p = P(&b, "a.x.nothing.here", &len);
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
	p = P(&b, "no.such", &len);
	c = tree_cursor_new(t, p, len, 0, TREE_DEPTH_ANY, 0);
	ck_assert_ptr_null(tree_cursor_next(c));
	tree_cursor_free(c);
	msgpack_sbuffer_destroy(&b.sb);
	tree_free(t);
}
END_TEST

#define BIG	1000000

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

/* path = "big" + "key:NNNNNNN"; returns its length. */
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
	uint8_t		 path[16];
	const uint8_t	*el;
	size_t		 len;
	double		 t0, t1, t2;

	t0 = now();
	for (i = 0; i < BIG; i++) {
		/* No ck_assert in hot loops: each one writes to a pipe. */
		e = tree_lookup_create(t, path, big_path(path, perm[i]));
		if (e == NULL || entry_set(t, &e,
		    (const uint8_t *)"\xaa" "0123456789", 11, 0, i + 1, i) != 0)
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
	uint8_t		*have = calloc(N, 1), path[16];
	uint64_t	 seed = 12345;
	uint32_t	 k, i, n = 0, *perm;
	size_t		 plen;

	for (i = 0; i < 6 * N; i++) {
		k = rnd(&seed) % N;
		plen = big_path(path, k);
		/* Phases: grow, churn, shrink. */
		if ((i < 2 * N || (i < 4 * N && rnd(&seed) % 2)) && !have[k]) {
			e = tree_lookup_create(t, path, plen);
			ck_assert_int_eq(entry_set(t, &e, path, 3, 0, i, i), 0);
			have[k] = 1;
			n++;
		} else if (i >= 2 * N && have[k]) {
			e = tree_lookup(t, path, plen);
			ck_assert_int_eq(entry_delete(t, &e, 0, i, i), 0);
			ck_assert_int_eq(tree_purge(t, e), 0);
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
	for (e = entry_child_first(e, &it); e != NULL; e = entry_child_next(&it))
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
		if (e == NULL || entry_set(t, &e,
		    (const uint8_t *)"\xaa" "0123456789", 11, 0, i + 1, i) != 0)
			ck_abort_msg("insert %u", i);
	}
	after = rss_bytes();
	acct = (double)tree_mem_bytes(t) / tree_count(t);
	printf("tree: 1M entries (\"bench\",\"key:%%06d\")=10-byte str, "
	    "1-link chain: %.1f bytes/entry RSS, %.1f accounted\n",
	    (double)(after - before) / BIG, acct);
	ck_assert(acct < 130);
	tree_free(t);
}
END_TEST

static Suite *
tree_suite(void)
{
	Suite	*s = suite_create("tree");
	TCase	*tc = tcase_create("core"), *big = tcase_create("big");

	tcase_add_test(tc, lookup_creates_intermediates);
	tcase_add_test(tc, element_order_is_total);
	tcase_add_test(tc, elem_size_nested_and_truncated);
	tcase_add_test(tc, chains_and_tombstones);
	tcase_add_test(tc, purge);
	tcase_add_test(tc, value_replace);
	tcase_add_test(tc, long_element);
	tcase_add_test(tc, walk_depths);
	tcase_add_test(tc, cursor_resumes);
	suite_add_tcase(s, tc);
	/* Generous: sanitizers and valgrind are many times slower. */
	tcase_set_timeout(big, 300);
	tcase_add_test(big, million_children);
	tcase_add_test(big, btree_stress);
	tcase_add_test(big, memory_per_entry);
	suite_add_tcase(s, big);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(tree_suite());
	int	 failed;

	setvbuf(stdout, NULL, _IOLBF, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
