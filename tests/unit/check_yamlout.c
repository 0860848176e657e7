/*
 * check_yamlout.c - moatctl's YAML output, byte for byte: the tutorial's
 * listings ("mkd one.two.three", "five", "one get -rd_", the internal
 * dump, the 'null' key), every msgpack type, quoting of strings that
 * would read back as something else, Path and bigint extensions, stream
 * records, and the tree printer's ordering and failure cases.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "lib/mp.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"
#include "cli/yamlout.h"
#include "tests/unit/testutil.h"

/* A value and the packed bytes its str/bin/ext objects point into. */
struct val {
	struct mpbuf	 b;
	msgpack_unpacked u;
};

static const msgpack_object *
val_unpack(struct val *v)
{
	size_t		 off = 0;

	msgpack_unpacked_init(&v->u);
	ck_assert_int_eq(msgpack_unpack_next(&v->u, (const char *)v->b.data,
	    v->b.len, &off), MSGPACK_UNPACK_SUCCESS);
	return &v->u.data;
}

/* The value of a Python literal. */
static const msgpack_object *
val_of(struct val *v, const char *lit)
{
	msgpack_packer	 pk;
	char		 err[256];

	mpbuf_init(&v->b);
	msgpack_packer_init(&pk, &v->b, mpbuf_write);
	ck_assert_msg(literal_eval(lit, &pk, err, sizeof(err)) == 0, "%s: %s",
	    lit, err);
	return val_unpack(v);
}

/* The value of raw msgpack bytes. */
static const msgpack_object *
val_raw(struct val *v, const void *p, size_t n)
{
	mpbuf_init(&v->b);
	mpbuf_add(&v->b, p, n);
	return val_unpack(v);
}

static void
val_free(struct val *v)
{
	msgpack_unpacked_destroy(&v->u);
	mpbuf_free(&v->b);
}

static void
path_of(const char *text, struct mpbuf *out)
{
	char		 err[256];

	ck_assert_msg(pathfmt_parse(text, out, err, sizeof(err)) == 0,
	    "%s: %s", text, err);
}

/* Capture what print() writes. */
static char *
capture(int (*print)(FILE *, const msgpack_object *),
    const msgpack_object *o, int want_rc)
{
	FILE		*f;
	char		*s = NULL;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(f = open_memstream(&s, &n));
	ck_assert_int_eq(print(f, o), want_rc);
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

static void
assert_yaml(const char *lit, const char *want)
{
	struct val	 v;
	char		*got;

	got = capture(yamlout_value, val_of(&v, lit), 0);
	ck_assert_msg(strcmp(got, want) == 0, "%s:\n%s\nwant:\n%s", lit, got,
	    want);
	free(got);
	val_free(&v);
}

START_TEST(tutorial_values)
{
	/* $ mkd one.two.three */
	assert_yaml("123", "123\n");
	/* $ mkd one.two.three.four.five, before and after "set -e one 1" */
	assert_yaml("{'one': 'XXX', 'two': 2}", "one: XXX\ntwo: 2\n");
	assert_yaml("{'one': 1, 'two': 2}", "one: 1\ntwo: 2\n");
	/* $ moat kv data : - a bare string is double-quoted */
	assert_yaml("'Testing'", "\"Testing\"\n");
	assert_yaml("'123'", "\"123\"\n");
	assert_yaml("'a\\nb'", "\"a\\nb\"\n");
	assert_yaml("''", "\"\"\n");
}
END_TEST

START_TEST(scalars)
{
	assert_yaml("None", "null\n");
	assert_yaml("True", "true\n");
	assert_yaml("False", "false\n");
	assert_yaml("-5", "-5\n");
	assert_yaml("18446744073709551615", "18446744073709551615\n");
	assert_yaml("-9223372036854775808", "-9223372036854775808\n");
	assert_yaml("1.5", "1.5\n");
	assert_yaml("12.3", "12.3\n");
	assert_yaml("1.0", "1.0\n");
	assert_yaml("1e16", "1.0e+16\n");
	assert_yaml("1.5e-7", "1.5e-07\n");
	assert_yaml("1e999", ".inf\n");
	assert_yaml("-1e999", "-.inf\n");
	assert_yaml("-0.0", "-0.0\n");
	/* ext 2, as MoaT-KV packs integers beyond 64 bits */
	assert_yaml("123456789012345678901234567890",
	    "123456789012345678901234567890\n");
	assert_yaml("[]", "[]\n");
	assert_yaml("{}", "{}\n");
}
END_TEST

START_TEST(binary)
{
	char		 lit[4 * 58 + 4], want[128];

	assert_yaml("b'\\x01\\x02'", "!!binary |\n  AQI=\n");
	assert_yaml("b''", "!!binary \"\"\n");
	/* the tutorial's password hash */
	assert_yaml("{'_aux': None, 'password': b'\\xec\\xd7\\x18\\x70\\xd1"
	    "\\x96\\x33\\x16\\xa9\\x7e\\x3a\\xc3\\x40\\x8c\\x98\\x35\\xad\\x8c"
	    "\\xf0\\xf3\\xc1\\xbc\\x70\\x35\\x27\\xc3\\x02\\x65\\x53\\x4f\\x75"
	    "\\xae'}",
	    "_aux: null\n"
	    "password: !!binary |\n"
	    "  7NcYcNGWMxapfjrDQIyYNa2M8PPBvHA1J8MCZVNPda4=\n");
	/* base64 lines hold 76 characters, 57 bytes */
	strcpy(lit, "b'");
	memset(lit + 2, 'A', 58);
	strcpy(lit + 60, "'");
	snprintf(want, sizeof(want), "!!binary |\n  %s\n  QQ==\n",
	    "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB"
	    "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB" "QUFB"
	    "QUFB");
	assert_yaml(lit, want);
}
END_TEST

START_TEST(containers_and_keys)
{
	assert_yaml("[1, [2, [3, []]], {'a': [True, None]}, ()]",
	    "- 1\n"
	    "- - 2\n"
	    "  - - 3\n"
	    "    - []\n"
	    "- a:\n"
	    "  - true\n"
	    "  - null\n"
	    "- []\n");
	assert_yaml("{'a': {'b': {'c': 1}}, 'd': []}",
	    "a:\n  b:\n    c: 1\nd: []\n");
	/* keys of every type */
	assert_yaml("{1: 'a', None: 'b', True: 'c', 1.5: 'd', -2: 'e', "
	    "'null': 'f', (1, 2): 'g'}",
	    "1: a\n"
	    "null: b\n"
	    "true: c\n"
	    "1.5: d\n"
	    "-2: e\n"
	    "'null': f\n"
	    "? - 1\n"
	    "  - 2\n"
	    ": g\n");
}
END_TEST

START_TEST(strings_quoted_only_when_needed)
{
	/* each would read back as something else, or is no plain scalar */
	assert_yaml("['123', 'true', 'null', '', 'yes', 'No', 'y', '~', "
	    "'1e3', '0o17', '0x1f', '12.3', '.inf', '2001-12-14', '1:20', "
	    "'<<', 'a: b', ' x', '- x', '#x', '@x', \"it's\"]",
	    "- '123'\n- 'true'\n- 'null'\n- ''\n- 'yes'\n- 'No'\n- 'y'\n"
	    "- '~'\n- '1e3'\n- '0o17'\n- '0x1f'\n- '12.3'\n- '.inf'\n"
	    "- '2001-12-14'\n- '1:20'\n- '<<'\n- 'a: b'\n- ' x'\n- '- x'\n"
	    "- '#x'\n- '@x'\n- it's\n");
	/* these stay plain */
	assert_yaml("['XXX', 'one two', 'a:b', 'x-1', 'é€', '1a', 'nulls']",
	    "- XXX\n- one two\n- a:b\n- x-1\n- é€\n- 1a\n- nulls\n");
	/* a newline makes a literal block, as the original presents it */
	assert_yaml("{'s': 'a\\nb\\n', 't': 'a\\nb'}",
	    "s: |\n  a\n  b\nt: |-\n  a\n  b\n");
	/* ... unless only escapes keep it: CR, and trailing blank lines */
	assert_yaml("['a\\r\\nb', 'a\\n\\n', '\\n', 'x\\ty', '\\x00']",
	    "- \"a\\r\\nb\"\n- \"a\\n\\n\"\n- \"\\n\"\n- \"x\\ty\"\n"
	    "- \"\\0\"\n");
}
END_TEST

START_TEST(extensions)
{
	/* a str that is not UTF-8, ext 5 and a timestamp ext -1 */
	static const uint8_t badstr[] = { 0xa2, 0x61, 0xff },
	    ext5[] = { 0xd5, 0x05, 0x00, 0x01 },
	    extm1[] = { 0xd6, 0xff, 0x5f, 0x5e, 0x10, 0x00 };
	struct mpbuf	 p;
	struct val	 v;
	msgpack_packer	 pk;
	char		*got;

	mpbuf_init(&p);
	mpbuf_init(&v.b);
	msgpack_packer_init(&pk, &v.b, mpbuf_write);
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "p");
	path_of("one.two", &p);
	mp_pack_path(&pk, p.data, p.len);
	mp_pack_str(&pk, "q");
	path_of("a:1:(1,'x y'):t", &p);
	mp_pack_path(&pk, p.data, p.len);
	mp_pack_str(&pk, "root");
	mp_pack_path(&pk, NULL, 0);
	got = capture(yamlout_value, val_unpack(&v), 0);
	ck_assert_str_eq(got, "p: !P one.two\nq: !P a:1:(1,'x:_y'):t\n"
	    "root: !P ':'\n");
	free(got);
	val_free(&v);
	mpbuf_free(&p);

	got = capture(yamlout_value, val_raw(&v, badstr, sizeof(badstr)), 0);
	ck_assert_str_eq(got, "!!binary |\n  Yf8=\n");
	free(got);
	val_free(&v);
	got = capture(yamlout_value, val_raw(&v, ext5, sizeof(ext5)), 0);
	ck_assert_str_eq(got, "!ext5 0001\n");
	free(got);
	val_free(&v);
	got = capture(yamlout_value, val_raw(&v, extm1, sizeof(extm1)), 0);
	ck_assert_str_eq(got, "!ext-1 5f5e1000\n");
	free(got);
	val_free(&v);
}
END_TEST

START_TEST(stream_records)
{
	struct val	 v;
	char		*got;

	got = capture(yamlout_doc, val_of(&v, "{'path': 'a', 'value': 1}"),
	    0);
	ck_assert_str_eq(got, "path: a\nvalue: 1\n---\n");
	free(got);
	val_free(&v);
	got = capture(yamlout_doc, val_of(&v, "42"), 0);
	ck_assert_str_eq(got, "42\n---\n");
	free(got);
	val_free(&v);
}
END_TEST

/* ---- the tree printer ---- */

static void
tree_add(struct yamltree *t, const char *path, const char *lit)
{
	struct mpbuf	 p;
	struct val	 v;

	mpbuf_init(&p);
	path_of(path, &p);
	yamltree_add(t, p.data, p.len, lit ? val_of(&v, lit) : NULL);
	if (lit != NULL)
		val_free(&v);
	mpbuf_free(&p);
}

static char *
tree_print(struct yamltree *t, int want_rc)
{
	FILE		*f;
	char		*s = NULL;
	size_t		 n = 0;

	ck_assert_ptr_nonnull(f = open_memstream(&s, &n));
	ck_assert_int_eq(yamltree_print(t, f), want_rc);
	ck_assert_int_eq(fclose(f), 0);
	return s;
}

/*
 * The tutorial's listing, as it stands in the seed.  Its "_: " has a
 * trailing blank that no YAML emitter writes (the reST source has it);
 * the comparison drops blanks at line ends.
 */
static const char tutorial_rd[] =
    "two:\n"
    "  three:\n"
    "    _: 123\n"
    "    four:\n"
    "      _: 1234\n"
    "      five:\n"
    "        _: \n"
    "          one: 1\n"
    "          two: 2\n";

static char *
drop_trailing_blanks(const char *s)
{
	char		*r, *d;

	ck_assert_ptr_nonnull(r = strdup(s));
	for (d = r; *s != '\0'; s++) {
		if (*s == '\n')
			while (d > r && d[-1] == ' ')
				d--;
		*d++ = *s;
	}
	*d = '\0';
	return r;
}

START_TEST(tree_tutorial_get_rd)
{
	struct yamltree	*t = yamltree_new("_");
	char		*got, *want;

	/* $ mkd one get -rd_ : paths relative to "one", in tree order */
	tree_add(t, "two.three", "123");
	tree_add(t, "two.three.four", "1234");
	tree_add(t, "two.three.four.five", "{'one': 1, 'two': 2}");
	got = tree_print(t, 0);
	want = drop_trailing_blanks(tutorial_rd);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	yamltree_free(t);
}
END_TEST

START_TEST(tree_tutorial_internal_and_null_key)
{
	struct yamltree	*t = yamltree_new("_");
	char		*got;

	/* $ moat kv ... data internal dump : */
	tree_add(t, ":n.auth", "{'current': 'password'}");
	tree_add(t, ":n.auth.password.user.joe", "{'_aux': None, "
	    "'password': b'\\xec\\xd7\\x18\\x70\\xd1\\x96\\x33\\x16\\xa9\\x7e"
	    "\\x3a\\xc3\\x40\\x8c\\x98\\x35\\xad\\x8c\\xf0\\xf3\\xc1\\xbc\\x70"
	    "\\x35\\x27\\xc3\\x02\\x65\\x53\\x4f\\x75\\xae'}");
	got = tree_print(t, 0);
	ck_assert_str_eq(got,
	    "null:\n"
	    "  auth:\n"
	    "    _:\n"
	    "      current: password\n"
	    "    password:\n"
	    "      user:\n"
	    "        joe:\n"
	    "          _:\n"
	    "            _aux: null\n"
	    "            password: !!binary |\n"
	    "              7NcYcNGWMxapfjrDQIyYNa2M8PPBvHA1J8MCZVNPda4=\n");
	free(got);
	yamltree_free(t);

	/* $ moat kv ... data : get -rd_ after "data null.foo set -v : bar" */
	t = yamltree_new("_");
	tree_add(t, "null.foo", "'bar'");
	got = tree_print(t, 0);
	ck_assert_str_eq(got, "'null':\n  foo:\n    _: bar\n");
	free(got);
	yamltree_free(t);

	/* the codec section's listing ("_:\n  99.5" there is a ruamel quirk) */
	t = yamltree_new("_");
	tree_add(t, "a.b.c.value", "99.5");
	tree_add(t, "a.b.c.thing", "'12.3'");
	got = tree_print(t, 0);
	ck_assert_str_eq(got, "a:\n  b:\n    c:\n"
	    "      value:\n        _: 99.5\n"
	    "      thing:\n        _: '12.3'\n");
	free(got);
	yamltree_free(t);
}
END_TEST

START_TEST(tree_keys_order_and_values)
{
	struct yamltree	*t = yamltree_new("value");
	char		*got;

	ck_assert_str_eq(got = tree_print(t, 0), "{}\n");
	free(got);
	tree_add(t, ":", "'root'");		/* the requested node itself */
	tree_add(t, "b:1", "1");
	tree_add(t, "b:t", NULL);		/* exists, but has no value */
	tree_add(t, "b:1:(1,2)", "[1, 2]");
	tree_add(t, "b", "'late'");		/* after b's children */
	tree_add(t, "b:1", "2");		/* replaced in place */
	tree_add(t, "a:1:.5:n", "None");
	tree_add(t, "a:va:e", "b'x'");
	got = tree_print(t, 0);
	ck_assert_str_eq(got,
	    "value: root\n"
	    "b:\n"
	    "  1:\n"
	    "    value: 2\n"
	    "    ? - 1\n"
	    "      - 2\n"
	    "    : value:\n"
	    "      - 1\n"
	    "      - 2\n"
	    "  true: {}\n"
	    "  value: late\n"
	    "a:\n"
	    "  1.5:\n"
	    "    null:\n"
	    "      value: null\n"
	    "  ? !!binary |\n"
	    "    YQ==\n"
	    "  : '':\n"
	    "      value: !!binary |\n"
	    "        eA==\n");
	free(got);
	yamltree_free(t);
}
END_TEST

START_TEST(tree_bad_entries_are_left_out)
{
	static const uint8_t notpath[] = { 0x80 };
	struct yamltree	*t = yamltree_new("_");
	struct mpbuf	 p;
	msgpack_packer	 pk;
	struct val	 v;
	char		*got;
	int		 i;

	tree_add(t, "a", "1");
	yamltree_add(t, notpath, sizeof(notpath), val_of(&v, "2"));
	val_free(&v);
	/* one element more than YAMLTREE_DEPTH_MAX */
	mpbuf_init(&p);
	msgpack_packer_init(&pk, &p, mpbuf_write);
	for (i = 0; i <= YAMLTREE_DEPTH_MAX; i++)
		msgpack_pack_nil(&pk);
	yamltree_add(t, p.data, p.len, NULL);
	mpbuf_free(&p);
	got = tree_print(t, -1);
	ck_assert_str_eq(got, "a:\n  _: 1\n");
	free(got);
	yamltree_free(t);
	yamltree_free(NULL);
}
END_TEST

/* list -d_: empty nodes come as null values, simplex tidies them */
START_TEST(tree_simplex)
{
	struct yamltree	*t = yamltree_new("_");
	char		*got;

	tree_add(t, "a", "None");	/* empty, with a child */
	tree_add(t, "a.x", "1");
	tree_add(t, "b", "None");	/* empty leaf */
	tree_add(t, "c", "2");
	got = tree_print(t, 0);
	ck_assert_str_eq(got, "a:\n  _: null\n  x:\n    _: 1\nb:\n"
	    "  _: null\nc:\n  _: 2\n");
	free(got);
	yamltree_simplex(t);
	got = tree_print(t, 0);
	ck_assert_str_eq(got, "a:\n  x:\n    _: 1\nb: null\nc:\n  _: 2\n");
	free(got);
	yamltree_free(t);
	/* a root left with nothing prints as null */
	t = yamltree_new("_");
	tree_add(t, ":", "None");
	yamltree_simplex(t);
	got = tree_print(t, 0);
	ck_assert_str_eq(got, "null\n");
	free(got);
	yamltree_free(t);
}
END_TEST

TU_MAIN("yamlout", 0, tutorial_values, scalars, binary,
    containers_and_keys, strings_quoted_only_when_needed, extensions,
    stream_records, tree_tutorial_get_rd,
    tree_tutorial_internal_and_null_key, tree_keys_order_and_values,
    tree_bad_entries_are_left_out, tree_simplex)
