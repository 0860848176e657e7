/*
 * check_pathlong.c - undoing get_tree's path shortening, with the
 * original's capture (ORIGINAL-ON-THE-WIRE.md, "get_tree, whole
 * subtree"), a prefix, state messages and bad depths.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "lib/pathlong.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"
#include "tests/unit/testutil.h"

/* Feed the item (a Python literal) and return the path text. */
static char *
step(struct pathlong *pl, const char *item, int want_rc)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	const uint8_t	*p;
	const char	*why = NULL;
	char		 err[200], *text = NULL;
	size_t		 len, off = 0;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	ck_assert_int_eq(literal_eval(item, &pk, err, sizeof(err)), 0);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)b.data, b.len,
	    &off), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(pathlong_next(pl, &u.data, &p, &len, &why), want_rc);
	if (want_rc == 1)
		ck_assert_ptr_nonnull(text = pathfmt_format(p, len));
	if (want_rc == -1)
		ck_assert_ptr_nonnull(why);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
	return text;
}

static void
expect(struct pathlong *pl, const char *item, const char *want)
{
	char	*got = step(pl, item, 1);

	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(capture_relative)
{
	struct pathlong	 pl;

	pathlong_init(&pl, NULL, 0);
	expect(&pl, "{'value': 'tree-top', 'path': [], 'depth': 0}", ":");
	expect(&pl, "{'value': 1, 'path': ['a'], 'depth': 0}", "a");
	expect(&pl, "{'value': 2, 'path': ['x'], 'depth': 1}", "a.x");
	expect(&pl, "{'value': 3, 'path': ['y'], 'depth': 1}", "a.y");
	expect(&pl, "{'value': 4, 'path': ['b'], 'depth': 0}", "b");
	expect(&pl, "{'value': 5, 'path': ['z', 'deep'], 'depth': 1}",
	    "b.z.deep");
	expect(&pl, "{'value': 6, 'path': ['c', 'only'], 'depth': 0}",
	    "c.only");
	/* a state message has no path and changes nothing */
	ck_assert_ptr_null(step(&pl, "{'state': 'uptodate'}", 0));
	expect(&pl, "{'path': ['x'], 'depth': 1}", "c.x");
	pathlong_free(&pl);
}
END_TEST

START_TEST(with_prefix)
{
	struct pathlong	 pl;
	struct mpbuf	 pre;

	mpbuf_init(&pre);
	ck_assert_int_eq(pathfmt_parse("test.tree", &pre, NULL, 0), 0);
	pathlong_init(&pl, pre.data, pre.len);
	expect(&pl, "{'path': [], 'depth': 0}", "test.tree");
	expect(&pl, "{'path': ['a', 1], 'depth': 0}", "test.tree.a:1");
	expect(&pl, "{'path': [None, (1, 2)], 'depth': 2}",
	    "test.tree.a:1:n:(1,2)");
	expect(&pl, "{'path': ['b']}", "test.tree.b");
	/* depth counts below the prefix: 3 is beyond "b" */
	ck_assert_ptr_null(step(&pl, "{'path': ['x'], 'depth': 2}", -1));
	pathlong_free(&pl);
	mpbuf_free(&pre);
}
END_TEST

START_TEST(bad_items)
{
	struct pathlong	 pl;

	pathlong_init(&pl, NULL, 0);
	ck_assert_ptr_null(step(&pl, "{'path': ['a'], 'depth': 1}", -1));
	ck_assert_ptr_null(step(&pl, "{'path': [{}], 'depth': 0}", -1));
	ck_assert_ptr_null(step(&pl, "{'path': 'a.b', 'depth': 0}", -1));
	expect(&pl, "{'path': ['ok'], 'depth': 0}", "ok");
	pathlong_free(&pl);
}
END_TEST

TU_MAIN("pathlong", 0, capture_relative, with_prefix, bad_items)
