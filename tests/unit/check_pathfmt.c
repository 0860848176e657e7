/*
 * check_pathfmt.c - MoaT-KV's path text syntax: the escape table both
 * ways (moat-util's own test vectors, plus the forms it accepts but
 * does not print), every ':' code, the edge cases moat-util decides
 * ("a.:t", "a:t::", ":1.5"), errors and their positions, refusal of
 * bytes that are no path, and parse(format(p)) == p over a few
 * thousand pseudo-random paths.
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
#include "tests/unit/testutil.h"

/* The packed path whose elements the Python list literal lit holds. */
static void
path_of(const char *lit, struct mpbuf *out)
{
	msgpack_unpacked u;
	struct mpbuf	 b;
	msgpack_packer	 pk;
	const char	*why;
	char		 err[256];
	size_t		 off = 0;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	ck_assert_msg(literal_eval(lit, &pk, err, sizeof(err)) == 0, "%s: %s",
	    lit, err);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)b.data, b.len,
	    &off), MSGPACK_UNPACK_SUCCESS);
	ck_assert_msg(mp_path_from_obj(&u.data, out, &why) == 0, "%s", lit);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
}

static void
assert_parses_to(const char *text, const struct mpbuf *want)
{
	struct mpbuf	 got;
	char		 err[256];

	mpbuf_init(&got);
	ck_assert_msg(pathfmt_parse(text, &got, err, sizeof(err)) == 0,
	    "%s: %s", text, err);
	ck_assert_msg(got.len == want->len && (got.len == 0 ||
	    memcmp(got.data, want->data, got.len) == 0), "%s parsed wrong",
	    text);
	mpbuf_free(&got);
}

struct pcase {
	const char	*elems;		/* a Python list of the elements */
	const char	*text;		/* what we print (and read) */
	const char	*alt[4];	/* other spellings we read */
};

/*
 * moat-util's tests/test_path.py vectors first.  Where it prints
 * differently (":1,2" for a tuple, ":s" base64 for bytes) its form is
 * in alt: we read it, and print what the tutorial documents.
 */
static const struct pcase pcases[] = {
	{ "['a', 'b', 'c']", "a.b.c", { NULL } },
	{ "['a', 2, 'c']", "a:2.c", { NULL } },
	{ "[2, 'c']", ":2.c", { ":i2.c", NULL } },
	{ "[True, 'c']", ":t.c", { ":True.c", NULL } },
	{ "[1.23, 'c']", ":1:.23.c", { NULL } },
	{ "['', 1.23, 'c']", ":e:1:.23.c", { NULL } },
	{ "['a', '', 1.23, 'c']", "a:e:1:.23.c", { NULL } },
	{ "['a', '', 1.23, '']", "a:e:1:.23:e", { NULL } },
	{ "['a', '', 1.23]", "a:e:1:.23", { NULL } },
	{ "['a', '', 'b']", "a:e.b", { NULL } },
	{ "['a', 'x y', 'b']", "a.x:_y.b", { "a.x y.b", NULL } },
	{ "['a', True]", "a:t", { NULL } },
	{ "['x', None]", "x:n", { ":'x':None", NULL } },
	{ "[31]", ":31", { ":x1f", ":x1F", ":x0x1f", ":b11111" } },
	{ "[31, 'q']", ":31.q", { ":x1f.q", NULL } },
	{ "['b', 31, 5]", "b:31:5", { "b:x1f:5", "b:x1_f:b101", NULL } },
	{ "[(1, 2), 1.23]", ":(1,2):1:.23", { ":1,2:1:.23", NULL } },
	{ "[(1, 2), '', 1.23]", ":(1,2):e:1:.23", { ":1,2:e:1:.23", NULL } },
	{ "[(1, 2), 'c']", ":(1,2).c", { ":1,2.c", ":(1, 2).c", NULL } },
	{ "[(1, 'a b', 2), 'c']", ":(1,'a:_b',2).c",
	    { ":1,'a b',2.c", ":1,'a:_b',2.c", NULL } },
	{ "[]", ":", { NULL } },
	{ "['a', b'abc']", "a:vabc", { "a:y616263", "a:sYWJj", NULL } },
	{ "['a', b'ab\\x99']", "a:y616299", { "a:sYWKZ", "a:y61 62 99" } },
	{ "['a', b'a b']", "a:va:_b", { NULL } },
	{ "['a', b'', 'c']", "a:v.c", { "a:y.c", "a:s.c", NULL } },
	/* the inline escapes, alone and together */
	{ "['a.b', 'c:d', ' ']", "a:.b.c::d.:_", { NULL } },
	{ "[':']", "::", { NULL } },
	{ "['.']", ":.", { NULL } },
	{ "[' x ']", ":_x:_", { " x ", NULL } },
	{ "['_', 'a_b']", "_.a_b", { NULL } },
	{ "[':.:_']", ":::.::_", { NULL } },
	{ "['é', '€']", "é.€", { NULL } },
	/* the constants and numbers */
	{ "[None, 'x']", ":n.x", { NULL } },
	{ "[False, True, None, '']", ":f:t:n:e", { NULL } },
	{ "[-5]", ":-5", { ":x-5", ":b-101", NULL } },
	{ "[0]", ":0", { ":x0", ":b0", ":-0", NULL } },
	{ "[-1.5]", ":-1:.5", { NULL } },
	{ "[1e16, 1e-05]", ":1e+16:1e-05", { ":1e16:1e-5", NULL } },
	{ "[1e999, -1e999]", ":1e999:-1e999", { NULL } },
	{ "[18446744073709551615]", ":18446744073709551615", { NULL } },
	{ "[-9223372036854775808]", ":-9223372036854775808", { NULL } },
	{ "[123456789012345678901234567890]",
	    ":123456789012345678901234567890", { NULL } },
	/* tuples of every size, nested, with every element type */
	{ "[(1,), ()]", ":(1,):()", { NULL } },
	{ "[('x', (None, True), b'\\x01', 1.5)]",
	    ":('x',(None,True),b'\\x01',1:.5)", { NULL } },
	{ "[(1, 'a.b:c')]", ":(1,'a:.b::c')", { NULL } },
	{ "[(\"it's\",)]", ":(\"it's\",)", { NULL } },
	/* strings a shell or terminal would mangle: quoted literals */
	{ "['a\\nb', 'c']", ":'a\\nb'.c", { NULL } },
	{ "['\\x00', '\\x7f\\x85']", ":'\\x00':'\\x7f\\x85'", { NULL } },
	{ "[b'\\x00\\xff']", ":y00ff", { NULL } },
	{ "[b\"'\"]", ":v'", { NULL } },
};

START_TEST(escape_table_both_ways)
{
	struct mpbuf	 want;
	const struct pcase *c;
	char		*text;
	size_t		 i, k;

	mpbuf_init(&want);
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		c = &pcases[i];
		path_of(c->elems, &want);
		text = pathfmt_format(want.data, want.len);
		ck_assert_ptr_nonnull(text);
		ck_assert_msg(strcmp(text, c->text) == 0, "%s printed as %s, "
		    "want %s", c->elems, text, c->text);
		free(text);
		assert_parses_to(c->text, &want);
		for (k = 0; k < 4 && c->alt[k] != NULL; k++)
			assert_parses_to(c->alt[k], &want);
	}
	mpbuf_free(&want);
}
END_TEST

/* What moat-util decides and we follow; see pathfmt.h. */
START_TEST(edge_cases)
{
	static const struct { const char *text, *elems; } t[] = {
		/* a colon element ends at the next unescaped dot */
		{ ":1.5", "[1, '5']" },
		{ ":1:.5", "[1.5]" },
		{ ":'x:.y'", "['x.y']" },
		{ ":(1,'a:.b')", "[(1, 'a.b')]" },
		/* inline escapes after :t start a new string */
		{ "a:t::", "['a', True, ':']" },
		{ "a:t:.b", "['a', True, '.b']" },
		{ "a.:.b", "['a', '.b']" },
		{ "::a", "[':a']" },
		/* moat-util takes :x :b :y :v :s :i after a dot */
		{ "a.:x1f", "['a', 31]" },
		{ "a.:vb", "['a', b'b']" },
		{ "a.:i5", "['a', 5]" },
		{ ":True:None", "[True, None]" },
		{ ":x+0X_1F", "[31]" },
		{ ":y 0a  0b ", "[b'\\n\\x0b']" },
		{ ":sYQ==", "[b'a']" },
		/* a list is a tuple on the wire */
		{ ":[1,2]", "[(1, 2)]" },
	};
	struct mpbuf	 want;
	size_t		 i;

	mpbuf_init(&want);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		path_of(t[i].elems, &want);
		assert_parses_to(t[i].text, &want);
	}
	mpbuf_free(&want);
}
END_TEST

START_TEST(errors_name_the_position)
{
	static const struct { const char *text, *err; } t[] = {
		{ "", "empty path at position 1" },
		{ "a.b:q", "bad escape ':q' at position 4" },
		{ ":w", "bad escape ':w' at position 1" },
		{ "a:h123", "bad escape ':h' at position 2" },
		{ ":list", "bad escape ':l' at position 1" },
		{ ":mfoo", "bad escape ':m' at position 1" },
		{ "é.:q", "bad escape ':q' at position 3" },
		{ ":t:", "dangling ':' at position 3" },
		{ "a.b:", "dangling ':' at position 4" },
		{ ".a.b", "unexpected '.' at position 1" },
		{ "a..b", "unexpected '.' at position 3" },
		{ ":2..c", "unexpected '.' at position 4" },
		{ "a.b.", "trailing '.' at position 4" },
		{ ".", "unexpected '.' at position 1" },
		{ "a.:1", "unexpected ':1' after '.' at position 3" },
		{ "a.:t", "unexpected ':t' after '.' at position 3" },
		{ "a.:t.b", "unexpected ':t' after '.' at position 3" },
		{ "a.b.:e", "unexpected ':e' after '.' at position 5" },
		{ "a:tb", "unexpected 'b' after ':t' at position 4" },
		{ ":ec", "unexpected 'c' after ':e' at position 3" },
		{ ":t_", "unexpected '_' after ':t' at position 3" },
		{ ":x1g", "invalid digit in a base 16 integer at position 4" },
		{ ":x", "no digits after ':x' at position 1" },
		{ ":b102", "invalid digit in a base 2 integer at position 5" },
		{ ":x1__0", "invalid '_' in number at position 4" },
		{ ":y0a0", "invalid hex byte at position 6" },
		{ ":yzz", "invalid hex byte at position 3" },
		{ ":sYQ=", "incorrect base64 padding at position 6" },
		{ ":sY!==", "invalid base64 at position 4" },
		{ ":vé", "non-ASCII character in ':v' bytes at position 3" },
		{ "a.\xff", "invalid UTF-8 at position 3" },
		{ ":i", "empty expression at position 3" },
		{ ":inan", "unexpected name 'nan' at position 3" },
		{ ":R", "unexpected name 'R' at position 2" },
		{ ":1 +", "unexpected '+' at position 4" },
		{ "a:(1,", "unexpected end of input at position 6" },
		/* the element ends at the dot; the message says so */
		{ ":(1,'a.b')", "unterminated string (the element ends at an "
		    "unescaped '.'; write ':.') at position 5" },
		{ ":{1::2}", "path element must be nil, bool, int, float, str, "
		    "bin or a tuple of those at position 1" },
	};
	struct mpbuf	 out;
	char		 err[256];
	size_t		 i;

	mpbuf_init(&out);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		mpbuf_add(&out, "x", 1);
		ck_assert_msg(pathfmt_parse(t[i].text, &out, err,
		    sizeof(err)) == -1, "%s parsed", t[i].text);
		ck_assert_str_eq(err, t[i].err);
		ck_assert_uint_eq(out.len, 0);
	}
	/* err may be NULL */
	ck_assert_int_eq(pathfmt_parse("a..b", &out, NULL, 0), -1);
	mpbuf_free(&out);
}
END_TEST

START_TEST(non_paths_are_not_formatted)
{
	/* a map element, a truncated tuple, an ext 5, bad UTF-8 */
	static const uint8_t map[] = { 0x80 }, trunc[] = { 0x92, 0x01 },
	    ext[] = { 0xd4, 0x05, 0x00 }, utf[] = { 0xa1, 0xff };

	ck_assert_ptr_null(pathfmt_format(map, sizeof(map)));
	ck_assert_ptr_null(pathfmt_format(trunc, sizeof(trunc)));
	ck_assert_ptr_null(pathfmt_format(ext, sizeof(ext)));
	ck_assert_ptr_null(pathfmt_format(utf, sizeof(utf)));
}
END_TEST

START_TEST(float_and_bigint_spelling)
{
	static const struct { double v; const char *s; } f[] = {
		{ 1.0, "1.0" }, { -1.5, "-1.5" }, { 0.1, "0.1" },
		{ 1e16, "1e+16" }, { 1e15, "1000000000000000.0" },
		{ 1e-4, "0.0001" }, { 1e-5, "1e-05" }, { 123.0, "123.0" },
		{ 1.0 / 3, "0.3333333333333333" }, { 5e-324, "5e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ -0.0, "-0.0" }, { 12.3, "12.3" },
	};
	static const uint8_t two64[] = { 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct mpbuf	 b;
	char		 buf[32];
	size_t		 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		pathfmt_float(f[i].v, buf, sizeof(buf));
		ck_assert_str_eq(buf, f[i].s);
	}
	mpbuf_init(&b);
	ck_assert_int_eq(pathfmt_bigint(&b, two64, sizeof(two64)), 0);
	mpbuf_add(&b, "", 1);
	ck_assert_str_eq((char *)b.data, "18446744073709551616");
	mpbuf_reset(&b);
	ck_assert_int_eq(pathfmt_bigint(&b, two64 + 1, 3), 0);
	mpbuf_add(&b, "", 1);
	ck_assert_str_eq((char *)b.data, "0");
	mpbuf_free(&b);
}
END_TEST

/* ---- round trip over random paths ---- */

/* Python's str(): moatctl's plain output (monitor -o, get -R). */
static void
assert_pystr(const char *lit, const char *want)
{
	struct mpbuf	 b, out;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	size_t		 off = 0;

	mpbuf_init(&b);
	mpbuf_init(&out);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	ck_assert_int_eq(literal_eval(lit, &pk, NULL, 0), 0);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)b.data, b.len,
	    &off), MSGPACK_UNPACK_SUCCESS);
	mpbuf_add(&out, "<", 1);
	ck_assert_int_eq(pathfmt_pystr(&out, &u.data), 0);
	mpbuf_add(&out, ">", 2);
	ck_assert_str_eq((char *)out.data + 1, want);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
	mpbuf_free(&out);
}

START_TEST(python_str)
{
	assert_pystr("'text'", "text>");
	assert_pystr("''", ">");
	assert_pystr("123", "123>");
	assert_pystr("1.0", "1.0>");
	assert_pystr("1e999", "inf>");
	assert_pystr("None", "None>");
	assert_pystr("b'\\x00a'", "b'\\x00a'>");
	assert_pystr("[1, 'a', (2,), {}]", "[1, 'a', [2], {}]>");
	assert_pystr("{'a': None, 5: [True]}", "{'a': None, 5: [True]}>");
	assert_pystr("[\"it's\"]", "[\"it's\"]>");
}
END_TEST

START_TEST(base64_decoding)
{
	struct mpbuf	 b;
	size_t		 bad = 99;

	mpbuf_init(&b);
	mpbuf_add(&b, "x", 1);
	ck_assert_int_eq(pathfmt_b64decode("AAE=", 4, &b, &bad), 0);
	ck_assert_uint_eq(b.len, 3);
	ck_assert_int_eq(memcmp(b.data, "x\0\1", 3), 0);
	ck_assert_int_eq(pathfmt_b64decode("", 0, &b, &bad), 0);
	ck_assert_uint_eq(b.len, 3);
	/* errors add nothing and say where */
	ck_assert_int_eq(pathfmt_b64decode("AA#=", 4, &b, &bad), -1);
	ck_assert_uint_eq(bad, 2);
	ck_assert_int_eq(pathfmt_b64decode("AAE", 3, &b, &bad), -1);
	ck_assert_uint_eq(bad, 3);
	ck_assert_int_eq(pathfmt_b64decode("A=A=", 4, &b, &bad), -1);
	ck_assert_uint_eq(bad, 2);
	ck_assert_uint_eq(b.len, 3);
	mpbuf_free(&b);
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	/* xorshift64: reproducible, and good enough for test data */
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
rnd_elem(msgpack_packer *pk, int depth)
{
	static const char alpha[] = "ab.: _:'\"\\\n\t\x7f,()#=-+0e";
	static const char *const words[] = { "é", "€", "😀", "\xc2\x85" };
	char		 s[16];
	uint8_t		 big[12];
	double		 d;
	uint64_t	 v;
	size_t		 n, i;

	switch (rnd() % (depth < 2 ? 9 : 8)) {
	case 0:
		for (n = rnd() % 6, i = 0; i < n; i++)
			s[i] = alpha[rnd() % (sizeof(alpha) - 1)];
		msgpack_pack_str(pk, n);
		msgpack_pack_str_body(pk, s, n);
		if (rnd() % 4 == 0) {	/* then a non-ASCII one */
			v = rnd() % 4;
			msgpack_pack_str(pk, strlen(words[v]));
			msgpack_pack_str_body(pk, words[v], strlen(words[v]));
		}
		break;
	case 1:
		v = rnd() % 3;
		if (v == 2)
			msgpack_pack_nil(pk);
		else if (v)
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		break;
	case 2:
		msgpack_pack_int64(pk, (int64_t)rnd() >> (rnd() % 64));
		break;
	case 3:
		msgpack_pack_uint64(pk, rnd());
		break;
	case 4:
		do {
			v = rnd() >> (rnd() % 2 ? 0 : 12);
			memcpy(&d, &v, sizeof(d));
		} while (d != d);	/* NaN has no literal */
		msgpack_pack_double(pk, d);
		break;
	case 5:
		for (n = rnd() % 6, i = 0; i < n; i++)
			s[i] = (char)(rnd() % 2 ? rnd() : ' ' + rnd() % 95);
		msgpack_pack_bin(pk, n);
		msgpack_pack_bin_body(pk, s, n);
		break;
	case 6:
		/* a minimal ext 2 magnitude beyond uint64 */
		n = 9 + rnd() % 4;
		for (i = 0; i < n; i++)
			big[i] = (uint8_t)rnd();
		big[0] |= 1;
		msgpack_pack_ext(pk, n, MP_EXT_BIGINT);
		msgpack_pack_ext_body(pk, big, n);
		break;
	case 7:
		msgpack_pack_double(pk, rnd() % 2 ? 1.0 / 0.0 : -1.0 / 0.0);
		break;
	default:
		n = rnd() % 4;
		msgpack_pack_array(pk, n);
		for (i = 0; i < n; i++)
			rnd_elem(pk, depth + 1);
	}
}

START_TEST(random_round_trip)
{
	struct mpbuf	 raw, p;
	msgpack_packer	 pk;
	const char	*why;
	char		*text, err[256];
	size_t		 i, n, k;

	mpbuf_init(&raw);
	mpbuf_init(&p);
	for (i = 0; i < 3000; i++) {
		mpbuf_reset(&raw);
		msgpack_packer_init(&pk, &raw, mpbuf_write);
		for (n = rnd() % 6, k = 0; k < n; k++)
			rnd_elem(&pk, 0);
		ck_assert_int_eq(mp_path_from_packed(raw.data, raw.len, &p,
		    &why), 0);
		ck_assert_ptr_nonnull(text = pathfmt_format(p.data, p.len));
		ck_assert_msg(pathfmt_parse(text, &raw, err, sizeof(err)) == 0,
		    "%s: %s", text, err);
		ck_assert_msg(raw.len == p.len && (p.len == 0 ||
		    memcmp(raw.data, p.data, p.len) == 0), "%s differs", text);
		free(text);
	}
	mpbuf_free(&raw);
	mpbuf_free(&p);
}
END_TEST

TU_MAIN("pathfmt", 0, escape_table_both_ways, edge_cases,
    errors_name_the_position, non_paths_are_not_formatted,
    float_and_bigint_spelling, random_round_trip, python_str,
    base64_decoding)
