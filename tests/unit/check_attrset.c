/*
 * check_attrset.c - "data PATH set" changes: the tutorial's sequence,
 * whole-value and key changes, nested keys, deletion, the order of
 * -v/-e/-p, conflicts and bad arguments.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "cli/attrset.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"
#include "tests/unit/testutil.h"

/* Python literal text of a packed value, as repr() prints it. */
static char *
repr_of(const struct mpbuf *b)
{
	msgpack_unpacked u;
	struct mpbuf	 out;
	size_t		 off = 0;

	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)b->data,
	    b->len, &off), MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, b->len);
	mpbuf_init(&out);
	/* str values are quoted here: wrap them in a list */
	if (u.data.type == MSGPACK_OBJECT_STR)
		mpbuf_add(&out, "'", 1);
	ck_assert_int_eq(pathfmt_pystr(&out, &u.data), 0);
	if (u.data.type == MSGPACK_OBJECT_STR)
		mpbuf_add(&out, "'", 1);
	mpbuf_add(&out, "", 1);
	msgpack_unpacked_destroy(&u);
	return (char *)out.data;
}

/*
 * Apply ops to the literal old (NULL: no value); want is the repr of
 * the result, NULL for "delete", or an error prefix after "!".
 */
static void
check(const char *old, const struct attr_op *ops, size_t n, const char *want)
{
	struct mpbuf	 ob, out;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	char		 err[256], *got;
	size_t		 off = 0;
	int		 rc;

	mpbuf_init(&ob);
	mpbuf_init(&out);
	msgpack_unpacked_init(&u);
	if (old != NULL) {
		msgpack_packer_init(&pk, &ob, mpbuf_write);
		ck_assert_int_eq(literal_eval(old, &pk, err, sizeof(err)), 0);
		ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)ob.data,
		    ob.len, &off), MSGPACK_UNPACK_SUCCESS);
	}
	rc = attrset_apply(old ? &u.data : NULL, ops, n, &out, err,
	    sizeof(err));
	if (want == NULL)
		ck_assert_int_eq(rc, 0);
	else if (want[0] == '!') {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strncmp(err, want + 1, strlen(want + 1)) == 0,
		    "got error '%s', want '%s'", err, want + 1);
	} else {
		ck_assert_msg(rc == 1, "rc %d: %s", rc, err);
		got = repr_of(&out);
		ck_assert_str_eq(got, want);
		free(got);
	}
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&ob);
	mpbuf_free(&out);
}

#define V(s, v)	{ ATTR_STR, s, v }
#define E(s, v)	{ ATTR_EVAL, s, v }
#define P(s, v)	{ ATTR_PATH, s, v }
#define N(a)	(sizeof(a) / sizeof(a[0]))

START_TEST(tutorial)
{
	/* mkd one.two.three set -e : 123 */
	struct attr_op	 a[] = { E(":", "123") };
	/* mkd one.two.three.four.five set -v one XXX -e two 2 */
	struct attr_op	 b[] = { V("one", "XXX"), E("two", "2") };
	/* mkd one.two.three.four.five set -e one 1 */
	struct attr_op	 c[] = { E("one", "1") };

	check(NULL, a, N(a), "123");
	check("5", a, N(a), "123");
	check(NULL, b, N(b), "{'one': 'XXX', 'two': 2}");
	check("{'one': 'XXX', 'two': 2}", c, N(c), "{'one': 1, 'two': 2}");
}
END_TEST

START_TEST(whole_value)
{
	struct attr_op	 s[] = { V(":", "hello") };
	struct attr_op	 l[] = { E(":", "[1, (2, 3), {'a': None}]") };
	struct attr_op	 d[] = { E(":", "-") };
	struct attr_op	 p[] = { P(":", "a:5") };

	check("{'x': 1}", s, N(s), "'hello'");
	check(NULL, l, N(l), "[1, [2, 3], {'a': None}]");
	check("{'x': 1}", d, N(d), NULL);
	check(NULL, d, N(d), NULL);
	check(NULL, p, N(p), "a:5");
	/* "-" is only special for -e */
	struct attr_op	 vs[] = { V(":", "-") };
	check(NULL, vs, N(vs), "'-'");
}
END_TEST

START_TEST(keys)
{
	struct attr_op	 add[] = { V("c", "3") };
	struct attr_op	 del[] = { E("a", "-") };
	struct attr_op	 delmiss[] = { E("zz", "-") };
	struct attr_op	 nest[] = { V("x.y.z", "deep") };
	struct attr_op	 nest2[] = { E("m.k", "2") };
	struct attr_op	 deln[] = { E("m.k", "-") };
	struct attr_op	 intkey[] = { E(":5", "'five'"), E(":t", "None") };

	/* new keys go last, existing ones keep their place */
	check("{'a': 1, 'b': 2}", add, N(add), "{'a': 1, 'b': 2, 'c': '3'}");
	check("{'a': 1, 'b': 2}", del, N(del), "{'b': 2}");
	check("{'a': 1}", delmiss, N(delmiss), "{'a': 1}");
	check(NULL, delmiss, N(delmiss), "{}");
	/* a value that is not a map becomes one */
	check("'text'", add, N(add), "{'c': '3'}");
	check(NULL, nest, N(nest), "{'x': {'y': {'z': 'deep'}}}");
	check("{'m': {'j': 1, 'k': 1}, 'n': 0}", nest2, N(nest2),
	    "{'m': {'j': 1, 'k': 2}, 'n': 0}");
	check("{'m': {'j': 1, 'k': 1}}", deln, N(deln), "{'m': {'j': 1}}");
	check("{'m': 1}", deln, N(deln), "!-e 'm.k' '-': element 1 is not");
	check("{'m': 1}", nest2, N(nest2), "!-e 'm.k' '2': element 1 is not");
	check(NULL, intkey, N(intkey), "{5: 'five', True: None}");
}
END_TEST

START_TEST(order_and_conflicts)
{
	/* -v first, then -e, then -p, whatever the command line says */
	struct attr_op	 ord[] = { E("a", "1"), V("a", "s"), P("b", "x.y") };
	struct attr_op	 c1[] = { V(":", "x"), V("a", "y") };
	struct attr_op	 c2[] = { V("a", "y"), E(":", "1") };
	struct attr_op	 c3[] = { E(":", "1"), E(":", "2") };

	check(NULL, ord, N(ord), "{'a': 1, 'b': P('x.y')}");
	check(NULL, c1, N(c1), "!-v 'a' 'y': replacing the whole value");
	check(NULL, c2, N(c2), "!-e ':' '1': replacing the whole value");
	check(NULL, c3, N(c3), "!-e ':' '2': replacing the whole value");
}
END_TEST

START_TEST(bad_arguments)
{
	struct attr_op	 badlit[] = { E("a", "1 +") };
	struct attr_op	 badname[] = { E("a", "foo") };
	struct attr_op	 badsub[] = { V("a..b", "1") };
	struct attr_op	 badpath[] = { P("a", "x..y") };

	check(NULL, badlit, N(badlit), "!-e 'a' '1 +': unexpected '+' at "
	    "position 3");
	check(NULL, badname, N(badname), "!-e 'a' 'foo': ");
	check(NULL, badsub, N(badsub), "!-v 'a..b' '1': unexpected '.' at "
	    "position 3");
	check(NULL, badpath, N(badpath), "!-p 'a' 'x..y': ");
}
END_TEST

TU_MAIN("attrset", 0, tutorial, whole_value, keys, order_and_conflicts,
    bad_arguments)
