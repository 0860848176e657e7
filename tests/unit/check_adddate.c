/*
 * check_adddate.c - "-D": date texts next to timestamps, in nested
 * maps and lists, the 366-day window, existing "_KEY"s, non-string
 * keys, and values that are left alone.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <check.h>
#include <msgpack.h>

#include "cli/adddate.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"
#include "tests/unit/testutil.h"

/* 2026-12-02 12:00:00 UTC */
#define NOW	1796212800

static void
expect(const char *lit, const char *want)
{
	struct mpbuf	 in, out, text;
	msgpack_packer	 pk;
	msgpack_unpacked u, w;
	char		 err[200];
	size_t		 off = 0;

	mpbuf_init(&in);
	mpbuf_init(&out);
	mpbuf_init(&text);
	msgpack_packer_init(&pk, &in, mpbuf_write);
	ck_assert_msg(literal_eval(lit, &pk, err, sizeof(err)) == 0, "%s", err);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)in.data, in.len,
	    &off), MSGPACK_UNPACK_SUCCESS);
	msgpack_packer_init(&pk, &out, mpbuf_write);
	adddate_pack(&pk, &u.data, NOW);
	msgpack_unpacked_init(&w);
	off = 0;
	ck_assert_int_eq(msgpack_unpack_next(&w, (const char *)out.data,
	    out.len, &off), MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, out.len);
	ck_assert_int_eq(pathfmt_pystr(&text, &w.data), 0);
	mpbuf_add(&text, "", 1);
	ck_assert_str_eq((char *)text.data, want);
	msgpack_unpacked_destroy(&u);
	msgpack_unpacked_destroy(&w);
	mpbuf_free(&in);
	mpbuf_free(&out);
	mpbuf_free(&text);
}

START_TEST(dates)
{
	setenv("TZ", "UTC", 1);
	tzset();
	expect("{'t': 1796212800}",
	    "{'t': 1796212800, '_t': '2026-12-02 12:00:00.000'}");
	expect("{'t': 1796212800.1239}",
	    "{'t': 1796212800.1239, '_t': '2026-12-02 12:00:00.123'}");
	/* microseconds round, then milliseconds are cut */
	expect("{'t': 1796212800.9999996}",
	    "{'t': 1796212800.9999995, '_t': '2026-12-02 12:00:01.000'}");
	/* nested maps, maps in lists, non-string keys */
	expect("{'a': {'b': [{'c': 1796212801}]}, 5: 1796212802}",
	    "{'a': {'b': [{'c': 1796212801, '_c': '2026-12-02 12:00:01.000'}]}"
	    ", 5: 1796212802, '_5': '2026-12-02 12:00:02.000'}");
	/* an existing _KEY is overwritten in place */
	expect("{'_t': 'old', 't': 1796212800, 'x': 1}",
	    "{'_t': '2026-12-02 12:00:00.000', 't': 1796212800, 'x': 1}");
	expect("[1796212800, {'t': 1796212800}]",
	    "[1796212800, {'t': 1796212800, '_t': "
	    "'2026-12-02 12:00:00.000'}]");
}
END_TEST

START_TEST(left_alone)
{
	setenv("TZ", "UTC", 1);
	tzset();
	/* outside the window, not numbers, under "_" keys, not in a map */
	expect("{'old': 1, 'new': 9999999999, 's': '1796212800'}",
	    "{'old': 1, 'new': 9999999999, 's': '1796212800'}");
	expect("{'_x': {'t': 1796212800}, 'b': True, 'n': None}",
	    "{'_x': {'t': 1796212800}, 'b': True, 'n': None}");
	expect("1796212800", "1796212800");
	expect("{}", "{}");
	expect("{'f': 1e999, 'g': -1e999}", "{'f': inf, 'g': -inf}");
}
END_TEST

TU_MAIN("adddate", 0, dates, left_alone)
