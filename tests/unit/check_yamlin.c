/*
 * check_yamlin.c - YAML input for "data PATH update": scalar
 * resolution, tags, containers, multi-document streams (monitor's
 * output), round trips through yamlout, and refused input.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "cli/yamlin.h"
#include "cli/yamlout.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"
#include "tests/unit/testutil.h"

/* repr() of a packed value (strings quoted), for comparisons. */
static char *
repr_of(const uint8_t *p, size_t n)
{
	msgpack_unpacked u;
	struct mpbuf	 out, w;
	msgpack_packer	 pk;
	size_t		 off = 0;

	/* wrap in a list so that a top-level str is quoted too */
	mpbuf_init(&w);
	msgpack_packer_init(&pk, &w, mpbuf_write);
	msgpack_pack_array(&pk, 1);
	mpbuf_add(&w, p, n);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)w.data, w.len,
	    &off), MSGPACK_UNPACK_SUCCESS);
	mpbuf_init(&out);
	ck_assert_int_eq(pathfmt_pystr(&out, &u.data), 0);
	mpbuf_add(&out, "", 1);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&w);
	return (char *)out.data;
}

/* The documents of text, each as "[repr]", joined by " | ". */
static char *
docs(const char *text, const char *want_err)
{
	struct yamlin	*yi = yamlin_open_string(text, strlen(text));
	struct mpbuf	 out, all;
	char		 err[256], *r;
	int		 rc, line;

	mpbuf_init(&out);
	mpbuf_init(&all);
	while ((rc = yamlin_next(yi, &out, &line, err, sizeof(err))) == 1) {
		r = repr_of(out.data, out.len);
		if (all.len > 0)
			mpbuf_add(&all, " | ", 3);
		mpbuf_add(&all, r, strlen(r));
		free(r);
	}
	if (want_err == NULL)
		ck_assert_msg(rc == 0, "%s: %s", text, err);
	else {
		ck_assert_int_eq(rc, -1);
		ck_assert_msg(strstr(err, want_err) != NULL, "got '%s', want "
		    "'%s'", err, want_err);
	}
	/* after the end or an error it stays at the end */
	ck_assert_int_eq(yamlin_next(yi, &out, &line, err, sizeof(err)), 0);
	yamlin_close(yi);
	mpbuf_free(&out);
	mpbuf_add(&all, "", 1);
	return (char *)all.data;
}

static void
expect(const char *text, const char *want)
{
	char	*got = docs(text, NULL);

	ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s", text,
	    got, want);
	free(got);
}

static void
refuse(const char *text, const char *why)
{
	free(docs(text, why));
}

START_TEST(scalars)
{
	expect("null", "[None]");
	expect("~", "[None]");
	expect("", "");
	expect("---\n", "[None]");
	expect("true", "[True]");
	expect("False", "[False]");
	expect("123", "[123]");
	expect("-5", "[-5]");
	expect("007", "[7]");
	expect("0x1f", "[31]");
	expect("0o17", "[15]");
	expect("123456789012345678901234567890",
	    "[123456789012345678901234567890]");
	expect("1.5", "[1.5]");
	expect("1e3", "[1000.0]");
	expect(".inf", "[inf]");
	expect("-.inf", "[-inf]");
	expect(".nan", "[nan]");
	expect("hello", "['hello']");
	expect("yes", "['yes']");		/* 1.2: not a bool */
	expect("'123'", "['123']");
	expect("\"null\"", "['null']");
	expect("\"Testing\"", "['Testing']");
	expect("!!str 5", "['5']");
	expect("!!int '5'", "[5]");
	expect("!!null ''", "[None]");
	expect("! 5", "['5']");
	expect("a b: c", "[{'a b': 'c'}]");
}
END_TEST

START_TEST(tags_and_containers)
{
	expect("!P one.two:5", "[P('one.two:5')]");
	expect("!P ':'", "[P(':')]");
	expect("!!binary |\n  AAE=\n", "[b'\\x00\\x01']");
	expect("!!binary AAEC\n", "[b'\\x00\\x01\\x02']");
	expect("[1, [2, {a: b}], []]", "[[1, [2, {'a': 'b'}], []]]");
	expect("null: 1\n1: 2\ntrue: 3\n", "[{None: 1, 1: 2, True: 3}]");
	expect("? [1, 2]\n: x\n", "[{[1, 2]: 'x'}]");
	expect("!!map {a: 1}", "[{'a': 1}]");
	expect("!!seq [1]", "[[1]]");
	expect("'': 1", "[{'': 1}]");
}
END_TEST

START_TEST(streams)
{
	/* what "data PATH monitor" prints */
	expect("value: hello\ntock: 5\npath: !P one.new\n"
	    "time: 1796225671.5\n_time: '2026-12-02 15:34:31.761'\n---\n"
	    "tock: 5\npath: !P one.two\n---\n"
	    "state: uptodate\n---\n",
	    "[{'value': 'hello', 'tock': 5, 'path': P('one.new'), "
	    "'time': 1796225671.5, '_time': '2026-12-02 15:34:31.761'}] | "
	    "[{'tock': 5, 'path': P('one.two')}] | "
	    "[{'state': 'uptodate'}] | [None]");
	expect("a: 1\n...\n---\nb: 2\n", "[{'a': 1}] | [{'b': 2}]");
}
END_TEST

/* yamlout's output reads back as the same value. */
START_TEST(round_trip)
{
	static const char *const lits[] = {
		"'123'", "'null'", "'yes'", "''", "'1e3'", "'a\\nb'",
		"'2024-01-01'", "' lead'", "'x: y'", "'-'", "'~'", "'#'",
		"{'a': [1, 2.5, None, True, b'\\xff'], 5: {'': 'e'}}",
		"[1e999, -1e999, 1e16, 1.5e-07, -0.0]",
		"123456789012345678901234567890", "'\\u00e9t\\u00e9'",
	};
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	char		 err[200], *yaml, *want, *got;
	size_t		 i, n, off;
	FILE		*f;

	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		mpbuf_init(&b);
		msgpack_packer_init(&pk, &b, mpbuf_write);
		ck_assert_int_eq(literal_eval(lits[i], &pk, err, sizeof(err)),
		    0);
		msgpack_unpacked_init(&u);
		off = 0;
		ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)b.data,
		    b.len, &off), MSGPACK_UNPACK_SUCCESS);
		yaml = NULL;
		n = 0;
		ck_assert_ptr_nonnull(f = open_memstream(&yaml, &n));
		ck_assert_int_eq(yamlout_value(f, &u.data), 0);
		fclose(f);
		want = repr_of(b.data, b.len);
		got = docs(yaml, NULL);
		ck_assert_msg(strcmp(got, want) == 0, "%s -> %s -> %s",
		    lits[i], yaml, got);
		free(got);
		free(want);
		free(yaml);
		msgpack_unpacked_destroy(&u);
		mpbuf_free(&b);
	}
}
END_TEST

START_TEST(refused)
{
	char	 deep[200];
	int	 i;

	refuse("a: &x 1\nb: *x\n", "line 2: aliases are not supported");
	refuse("!foo 1", "unknown tag !foo");
	refuse("!!int abc", "not a valid int");
	refuse("!P a..b", "!P a..b: unexpected '.'");
	refuse("!!binary '#'", "invalid base64");
	refuse("a: [1, 2\n", "line ");
	refuse("ok: 1\n---\n[", "line ");
	for (i = 0; i < 40; i++)
		deep[i] = '[';
	deep[i] = '\0';
	refuse(deep, "nested too deep");
}
END_TEST

TU_MAIN("yamlin", 0, scalars, tags_and_containers, streams, round_trip,
    refused)
