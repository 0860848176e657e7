/*
 * check_literal.c - the Python literal evaluator behind "moatctl set -e":
 * every literal kind packed byte for byte (the expected bytes are what
 * msgpack-python packs for ast.literal_eval() of the same text), big
 * integers and their ext 2 form, escapes, errors with their positions,
 * the depth bound, and that a failed evaluation packs nothing.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "lib/mp.h"
#include "lib/literal.h"
#include "tests/unit/testutil.h"

/* Evaluate src; returns the packed bytes as lower-case hex (static). */
static const char *
eval_hex(const char *src)
{
	static char	 hex[8192];
	struct mpbuf	 b;
	msgpack_packer	 pk;
	char		 err[256];
	size_t		 i;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	ck_assert_msg(literal_eval(src, &pk, err, sizeof(err)) == 0,
	    "%s: %s", src, err);
	ck_assert_uint_lt(b.len * 2, sizeof(hex));
	for (i = 0; i < b.len; i++)
		snprintf(hex + 2 * i, 3, "%02x", b.data[i]);
	hex[2 * b.len] = '\0';
	mpbuf_free(&b);
	return hex;
}

/* Evaluation must fail with exactly this message; nothing packed. */
static void
eval_err(const char *src, const char *want)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	char		 err[256];

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	ck_assert_msg(literal_eval(src, &pk, err, sizeof(err)) == -1,
	    "%s evaluated", src);
	ck_assert_str_eq(err, want);
	ck_assert_uint_eq(b.len, 0);
	mpbuf_free(&b);
}

struct okcase {
	const char	*src, *hex;
};

static void
check_table(const struct okcase *t, size_t n)
{
	size_t		 i;

	for (i = 0; i < n; i++)
		ck_assert_msg(strcmp(eval_hex(t[i].src), t[i].hex) == 0,
		    "%s: got %s, want %s", t[i].src, eval_hex(t[i].src),
		    t[i].hex);
}

START_TEST(integers)
{
	static const struct okcase t[] = {
		{ "123", "7b" },
		{ "-5", "fb" },
		{ "+7", "07" },
		{ "0", "00" },
		{ "00", "00" },
		{ "0_0", "00" },
		{ "1_000", "cd03e8" },
		{ "0x1F", "1f" },
		{ "0X_1f", "1f" },
		{ "0o17", "0f" },
		{ "0b101", "05" },
		{ "- 1", "ff" },
		{ "-(1)", "ff" },
		{ "--1", "01" },
		{ "255", "ccff" },
		{ "-33", "d0df" },
		{ "18446744073709551615", "cfffffffffffffffff" },
		{ "-9223372036854775808", "d38000000000000000" },
		/* beyond uint64: ext 2, the big-endian magnitude */
		{ "18446744073709551616", "c70902010000000000000000" },
		{ "123456789012345678901234567890",
		    "c70d02018ee90ff6c373e0ee4e3f0ad2" },
		{ "0x1_0000_0000_0000_0000", "c70902010000000000000000" },
	};

	check_table(t, sizeof(t) / sizeof(t[0]));
}
END_TEST

START_TEST(integer_errors)
{
	struct mpbuf	 big;
	int		 i;

	eval_err("007", "leading zeros in decimal integer literals are not "
	    "permitted at position 1");
	eval_err("1__0", "invalid '_' in number at position 2");
	eval_err("1_", "invalid '_' in number at position 2");
	eval_err("0b12", "invalid number: unexpected '2' at position 4");
	eval_err("0x", "invalid base 16 literal at position 3");
	eval_err("12abc", "invalid number: unexpected 'a' at position 3");
	eval_err("1j", "complex numbers are not supported at position 2");
	/* MoaT-KV's codec has no form for these */
	eval_err("-9223372036854775809", "integer out of range at position 1");
	eval_err("-18446744073709551616",
	    "integer out of range at position 1");
	eval_err("-True", "a sign needs a number at position 2");
	eval_err("-'a'", "a sign needs a number at position 2");
	eval_err("-", "unexpected end of input at position 2");
	/* LITERAL_BIGINT_MAX bytes of magnitude, then one digit more */
	mpbuf_init(&big);
	mpbuf_add(&big, "0x", 2);
	for (i = 0; i < LITERAL_BIGINT_MAX * 2; i++)
		mpbuf_add(&big, "f", 1);
	mpbuf_add(&big, "", 1);
	/* ext 16: c8, two length bytes, the type, then the magnitude */
	ck_assert_uint_eq(strlen(eval_hex((char *)big.data)),
	    2 * (4 + LITERAL_BIGINT_MAX));
	big.data[big.len - 1] = '1';
	mpbuf_add(&big, "", 1);
	eval_err((char *)big.data, "integer too large at position 2051");
	mpbuf_free(&big);
}
END_TEST

START_TEST(floats)
{
	static const struct okcase t[] = {
		{ "1.5", "cb3ff8000000000000" },
		{ ".5", "cb3fe0000000000000" },
		{ "1.", "cb3ff0000000000000" },
		{ "1e3", "cb408f400000000000" },
		{ "1E-3", "cb3f50624dd2f1a9fc" },
		{ "1.e5", "cb40f86a0000000000" },
		{ "1_0.2_5", "cb4024800000000000" },
		{ "-0.0", "cb8000000000000000" },
		{ "0e0", "cb0000000000000000" },
		{ "01.5", "cb3ff8000000000000" },
		/* no inf literal in Python, but 1e999 overflows to it */
		{ "1e999", "cb7ff0000000000000" },
		{ "-1e999", "cbfff0000000000000" },
	};

	check_table(t, sizeof(t) / sizeof(t[0]));
	eval_err("inf", "unexpected name 'inf' at position 1");
	eval_err("nan", "unexpected name 'nan' at position 1");
	eval_err("1e", "invalid exponent at position 3");
	eval_err("1.5j", "complex numbers are not supported at position 4");
	eval_err("1.5.3", "unexpected '.' at position 4");
}
END_TEST

START_TEST(strings)
{
	static const struct okcase t[] = {
		{ "'abc'", "a3616263" },
		{ "\"abc\"", "a3616263" },
		{ "''", "a0" },
		{ "'a\\nb\\tc\\\\d\\'e\\\"f'", "ab610a6209635c6427652266" },
		{ "'\\a\\b\\f\\r\\v'", "a507080c0d0b" },
		{ "'\\x41\\101\\u00e9\\U0001F600'", "a84141c3a9f09f9880" },
		{ "'\\0'", "a100" },
		{ "'\\777'", "a2c7bf" },
		{ "'a\\\nb'", "a26162" },
		/* unknown escapes stay, as in Python */
		{ "'\\q'", "a25c71" },
		{ "r'\\d\\n'", "a45c645c6e" },
		{ "r'a\\'b'", "a4615c2762" },
		{ "R\"x\"", "a178" },
		{ "u'x'", "a178" },
		{ "'''tri'ple'''", "a774726927706c65" },
		{ "\"\"\"a\nb\"\"\"", "a3610a62" },
		{ "'é'", "a2c3a9" },
		/* implicit concatenation */
		{ "'a' 'b' \"c\"", "a3616263" },
		{ "'a'r'\\n'", "a3615c6e" },
	};

	check_table(t, sizeof(t) / sizeof(t[0]));
	eval_err("'abc", "unterminated string at position 1");
	eval_err("'a\nb'", "unterminated string at position 1");
	eval_err("'\\x4'", "truncated \\x escape at position 2");
	eval_err("'\\u12'", "truncated \\u escape at position 2");
	eval_err("'\\U00110000'", "illegal Unicode character at position 2");
	eval_err("'\\ud800'", "surrogates cannot be encoded in UTF-8 at "
	    "position 2");
	eval_err("'\\N{DASH}'", "\\N{...} escapes are not supported at "
	    "position 2");
	eval_err("f'x'", "f-strings are not literals at position 1");
	eval_err("ur'x'", "invalid string prefix at position 1");
	eval_err("'\xff'", "invalid UTF-8 at position 2");
	eval_err("'a' b'b'", "cannot mix bytes and nonbytes literals at "
	    "position 5");
}
END_TEST

START_TEST(bytes)
{
	static const struct okcase t[] = {
		{ "b'\\x00\\xff'", "c40200ff" },
		{ "B'abc'", "c403616263" },
		{ "b''", "c400" },
		{ "rb'\\x'", "c4025c78" },
		{ "Br'a'", "c40161" },
		/* \u is no escape in bytes */
		{ "b'\\u0041'", "c4065c7530303431" },
		{ "b'a' b'b'", "c4026162" },
	};

	check_table(t, sizeof(t) / sizeof(t[0]));
	eval_err("b'é'", "bytes can only contain ASCII literal characters "
	    "at position 3");
	eval_err("b'\\777'", "escape value above 0xff in bytes at position 3");
	eval_err("bb'x'", "invalid string prefix at position 1");
}
END_TEST

START_TEST(constants_and_names)
{
	ck_assert_str_eq(eval_hex("True"), "c3");
	ck_assert_str_eq(eval_hex("False"), "c2");
	ck_assert_str_eq(eval_hex("None"), "c0");
	ck_assert_str_eq(eval_hex("  42  # the answer"), "2a");
	eval_err("true", "unexpected name 'true' at position 1");
	eval_err("foo", "unexpected name 'foo' at position 1");
	eval_err("len('a')", "unexpected name 'len' at position 1");
	eval_err("1 + x", "unexpected '+' at position 3");
	eval_err("[1, x]", "unexpected name 'x' at position 5");
	eval_err("", "empty expression at position 1");
	eval_err("   ", "empty expression at position 4");
	/* positions count characters, not bytes */
	eval_err("'é' x", "unexpected 'x' at position 5");
	eval_err("'é' é", "unexpected 'é' at position 5");
	eval_err("1\x01", "unexpected character 0x01 at position 2");
}
END_TEST

START_TEST(containers)
{
	static const struct okcase t[] = {
		{ "[1, 2, [3, []]]", "930102920390" },
		{ "[]", "90" },
		{ "[1,]", "9101" },
		{ "(1, 2)", "920102" },
		{ "(1,)", "9101" },
		{ "()", "90" },
		{ "(1)", "01" },		/* parentheses, no tuple */
		{ "((1))", "01" },
		{ "1, 2", "920102" },		/* a bare tuple, as eval() */
		{ "1,", "9101" },
		{ "{}", "80" },
		{ "{1: 2,}", "810102" },
		{ "{'a': 1, 2: [True, None], (1, 2): b'x'}",
		    "83a161010292c3c0920102c40178" },
		{ "{'one': 1, 'two': 2}", "82a36f6e6501a374776f02" },
		{ "[\n1,\n2]", "920102" },
		{ "(1.5, 'a.b')", "92cb3ff8000000000000a3612e62" },
		{ "{'a': {'b': ({'c': []},)}}", "81a16181a1629181a16390" },
	};

	check_table(t, sizeof(t) / sizeof(t[0]));
	eval_err("{1, 2}", "sets are not supported at position 1");
	eval_err("{1}", "sets are not supported at position 1");
	eval_err("[1,,2]", "unexpected ',' at position 4");
	eval_err("[1 2]", "unexpected '2' at position 4");
	eval_err("(,)", "unexpected ',' at position 2");
	eval_err("[1, 2", "unexpected end of input at position 6");
	eval_err("{1: 2", "unexpected end of input at position 6");
	eval_err("{1 2}", "unexpected '2' at position 4");
	eval_err("2]", "unexpected ']' at position 2");
	eval_err("{**a}", "unexpected '*' at position 2");
}
END_TEST

START_TEST(depth_is_bounded)
{
	char		 src[2 * LITERAL_DEPTH_MAX + 8];
	int		 i;

	for (i = 0; i < LITERAL_DEPTH_MAX; i++) {
		src[i] = '[';
		src[LITERAL_DEPTH_MAX + i] = ']';
	}
	src[2 * LITERAL_DEPTH_MAX] = '\0';
	ck_assert_uint_eq(strlen(eval_hex(src)), 2 * LITERAL_DEPTH_MAX);
	memmove(src + 1, src, sizeof(src) - 1);
	src[0] = '(';
	strcat(src, ")");
	eval_err(src, "nesting deeper than 32 levels at position 33");
	/* signs nest too, and are bounded the same way */
	memset(src, '-', 2 * LITERAL_DEPTH_MAX);
	strcpy(src + 2 * LITERAL_DEPTH_MAX, "1");
	eval_err(src, "nesting deeper than 32 levels at position 33");
}
END_TEST

START_TEST(evaln_and_helpers)
{
	struct literal_error	 e;
	struct mpbuf		 b;
	msgpack_packer		 pk;
	size_t			 bad;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	/* only len bytes count: the ')' is not looked at */
	ck_assert_int_eq(literal_evaln("12)", 2, &pk, &e), 0);
	ck_assert_uint_eq(b.len, 1);
	ck_assert_int_eq(literal_evaln("1 x", 3, &pk, &e), -1);
	ck_assert_uint_eq(e.offset, 2);
	ck_assert_str_eq(e.msg, "unexpected 'x'");
	ck_assert_int_eq(literal_evaln("'a\0b'", 5, &pk, &e), -1);
	ck_assert_str_eq(e.msg, "NUL character in string");
	ck_assert_uint_eq(b.len, 1);
	/* err may be NULL */
	ck_assert_int_eq(literal_eval("x", &pk, NULL, 0), -1);
	mpbuf_free(&b);

	ck_assert_uint_eq(literal_column("abc", 0), 1);
	ck_assert_uint_eq(literal_column("abc", 3), 4);
	ck_assert_uint_eq(literal_column("é€x", 5), 3);
	ck_assert_int_eq(literal_utf8_check("é€😀", 9, NULL), 0);
	ck_assert_int_eq(literal_utf8_check("a\xc0\x80", 3, &bad), -1);
	ck_assert_uint_eq(bad, 1);
	ck_assert_int_eq(literal_utf8_check("\xed\xa0\x80", 3, &bad), -1);
	ck_assert_int_eq(literal_utf8_check("\xf4\x90\x80\x80", 4, &bad),
	    -1);
	ck_assert_int_eq(literal_utf8_check("ab\xe2\x82", 4, &bad), -1);
	ck_assert_uint_eq(bad, 2);
}
END_TEST

TU_MAIN("literal", 0, integers, integer_errors, floats, strings, bytes,
    constants_and_names, containers, depth_is_bounded, evaln_and_helpers)
