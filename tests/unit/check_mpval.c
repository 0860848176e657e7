/*
 * check_mpval.c - the bounded MsgPack validator: every type and width
 * is accepted, lying headers are errors (not "wait for more") after a
 * few bytes, nesting and UTF-8 are enforced, streams split at the right
 * places, truncation anywhere is noticed, and random or mutated input
 * never crashes it nor gets past it into msgpack-c undecodable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "lib/mpval.h"
#include "tests/unit/testutil.h"

#define MAXBUF	(1U << 17)

/* msgpack-c must decode exactly what the validator accepted. */
static void
msgpack_agrees(const uint8_t *p, size_t len)
{
	msgpack_zone	 zone;
	msgpack_object	 obj;
	size_t		 off = 0;

	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)p, len, &off, &zone,
	    &obj), MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, len);
	msgpack_zone_destroy(&zone);
}

static void
assert_ok(const uint8_t *p, size_t len)
{
	const char	*why = NULL;
	size_t		 n = 0;

	ck_assert_msg(mpval_scan(p, len, &mpval_default_limits, &n, &why) ==
	    MPVAL_OK, "scan: %s", why ? why : "MORE");
	ck_assert_uint_eq(n, len);
	ck_assert_msg(mpval_check(p, len, &mpval_default_limits, &why) ==
	    MPVAL_OK, "check: %s", why);
	ck_assert_uint_eq(mpval_skip(p, len), len);
	msgpack_agrees(p, len);
}

/* ERROR in both modes, with the given reason (NULL: any). */
static void
assert_bad(const uint8_t *p, size_t len, const struct mpval_limits *lim,
    const char *reason)
{
	const char	*why = NULL;
	size_t		 n;

	ck_assert_int_eq(mpval_scan(p, len, lim, &n, &why), MPVAL_ERROR);
	if (reason)
		ck_assert_str_eq(why, reason);
	why = NULL;
	ck_assert_int_eq(mpval_check(p, len, lim, &why), MPVAL_ERROR);
	ck_assert_ptr_nonnull(why);
}

static void
assert_hex_bad(const char *hex, const char *reason)
{
	uint8_t		 b[256];

	assert_bad(b, tu_unhex(hex, b, sizeof(b)), &mpval_default_limits,
	    reason);
}

/* One object of each type and each encoding width. */
static const char *const vectors[] = {
	"00", "7f", "e0", "ff", "c0", "c2", "c3",
	"cc ff", "cd ff ff", "ce ff ff ff ff", "cf ff ff ff ff ff ff ff ff",
	"d0 80", "d1 80 00", "d2 80 00 00 00",
	"d3 80 00 00 00 00 00 00 00",
	"ca 3f c0 00 00", "cb 3f f8 00 00 00 00 00 00",
	"a0", "a1 61", "d9 00", "d9 01 61", "da 00 01 61",
	"db 00 00 00 01 61", "a3 e2 82 ac",
	"c4 00", "c4 01 00", "c5 00 01 00", "c6 00 00 00 01 00",
	"d4 01 00", "d5 02 00 00", "d6 03 00 00 00 00",
	"d7 ff 00 00 00 00 00 00 00 00",
	"d8 05 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"c7 00 05", "c7 01 05 00", "c8 00 01 05 00",
	"c9 00 00 00 01 80 00",
	"90", "91 c0", "9f 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e",
	"dc 00 00", "dc 00 01 c0", "dd 00 00 00 00", "dd 00 00 00 01 c0",
	"80", "81 a1 61 c0", "8f 00 00 01 01 02 02 03 03 04 04 05 05 06 06 "
	    "07 07 08 08 09 09 0a 0a 0b 0b 0c 0c 0d 0d 0e 0e",
	"de 00 00", "de 00 01 a1 61 c0", "df 00 00 00 00",
	"df 00 00 00 01 01 91 c0",
	"82 a1 61 92 c3 c2 c0 81 01 a0",
};

#define NVECTORS	(sizeof(vectors) / sizeof(vectors[0]))

/* All vectors inside one array: a sample with every type in it. */
static size_t
sample(uint8_t *b, size_t cap)
{
	size_t		 i, n = 3;

	b[0] = 0xdc;
	b[1] = 0;
	b[2] = NVECTORS;
	for (i = 0; i < NVECTORS; i++)
		n += tu_unhex(vectors[i], b + n, cap - n);
	return n;
}

START_TEST(every_type_and_width_is_accepted)
{
	uint8_t		 b[512];
	size_t		 i, n;

	for (i = 0; i < NVECTORS; i++) {
		n = tu_unhex(vectors[i], b, sizeof(b));
		assert_ok(b, n);
	}
	n = sample(b, sizeof(b));
	assert_ok(b, n);
}
END_TEST

/* Long payloads that need the 16- and 32-bit length forms. */
START_TEST(long_payloads_are_accepted)
{
	static uint8_t	 b[MAXBUF];
	size_t		 i;

	memset(b, 'x', sizeof(b));
	b[0] = 0xdb;			/* str32, 70000 bytes */
	memcpy(b + 1, "\x00\x01\x11\x70", 4);
	assert_ok(b, 5 + 70000);
	b[0] = 0xda;			/* str16, 65535 bytes */
	memcpy(b + 1, "\xff\xff", 2);
	assert_ok(b, 3 + 65535);
	b[0] = 0xc5;			/* bin16, 300 bytes */
	memcpy(b + 1, "\x01\x2c", 2);
	assert_ok(b, 3 + 300);
	b[0] = 0xc8;			/* ext16, 300 bytes */
	memcpy(b + 1, "\x01\x2c\x07", 3);
	assert_ok(b, 4 + 300);
	b[0] = 0xdc;			/* array16 of 1000 nils */
	memcpy(b + 1, "\x03\xe8", 2);
	memset(b + 3, 0xc0, 1000);
	assert_ok(b, 3 + 1000);
	b[0] = 0xde;			/* map16 of 500 int: int */
	memcpy(b + 1, "\x01\xf4", 2);
	for (i = 0; i < 1000; i++)
		b[3 + i] = i & 0x7f;
	assert_ok(b, 3 + 1000);
}
END_TEST

START_TEST(huge_headers_are_errors_not_more)
{
	struct mpval_limits	 lim = mpval_default_limits;
	uint8_t			 b[16];
	size_t			 n;

	assert_hex_bad("dd ff ff ff ff", "array count exceeds size limit");
	assert_hex_bad("df ff ff ff ff", "map count exceeds size limit");
	assert_hex_bad("c6 ff ff ff ff", "binary too long");
	assert_hex_bad("db ff ff ff ff", "string too long");
	assert_hex_bad("c9 ff ff ff ff 01", "extension too long");
	assert_hex_bad("91 dd ff ff ff ff", "array count exceeds size limit");
	assert_hex_bad("81 a1 61 df ff ff ff ff", NULL);

	/* A whole frame of 3 bytes cannot hold 65535 elements. */
	n = tu_unhex("dc ff ff", b, sizeof(b));
	ck_assert_int_eq(mpval_check(b, n, &lim, NULL), MPVAL_ERROR);
	n = tu_unhex("de ff ff", b, sizeof(b));
	ck_assert_int_eq(mpval_check(b, n, &lim, NULL), MPVAL_ERROR);
	/*
	 * In a stream, 65535 nils (65538 bytes) fit into 4 MiB, so that is
	 * a legitimate "more"; with a 64 KiB limit it cannot fit.
	 */
	n = tu_unhex("dc ff ff", b, sizeof(b));
	ck_assert_int_eq(mpval_scan(b, n, &lim, NULL, NULL), MPVAL_MORE);
	lim.max_size = 65536;
	assert_bad(b, n, &lim, "array count exceeds size limit");
	n = tu_unhex("de 80 00", b, sizeof(b));
	assert_bad(b, n, &lim, "map count exceeds size limit");
	n = tu_unhex("de 7f fe", b, sizeof(b));
	ck_assert_int_eq(mpval_scan(b, n, &lim, NULL, NULL), MPVAL_MORE);
}
END_TEST

/* Elements still owed by outer containers count against the limit. */
START_TEST(counts_add_up_across_levels)
{
	struct mpval_limits	 lim = mpval_default_limits;
	uint8_t			 b[16];
	size_t			 n, hint;

	lim.max_size = 100;
	n = tu_unhex("92 dc 00 5f", b, sizeof(b));	/* 4 + 95 + 1 = 100 */
	ck_assert_int_eq(mpval_scan(b, n, &lim, &hint, NULL), MPVAL_MORE);
	ck_assert_uint_eq(hint, 100);
	n = tu_unhex("92 dc 00 60", b, sizeof(b));	/* 101 */
	assert_bad(b, n, &lim, "array count exceeds size limit");
	n = tu_unhex("91 dc 00 60", b, sizeof(b));	/* 100 */
	ck_assert_int_eq(mpval_scan(b, n, &lim, NULL, NULL), MPVAL_MORE);
	n = tu_unhex("de 00 30", b, sizeof(b));	/* 3 + 96 */
	ck_assert_int_eq(mpval_scan(b, n, &lim, NULL, NULL), MPVAL_MORE);
	n = tu_unhex("de 00 31", b, sizeof(b));	/* 3 + 98 */
	assert_bad(b, n, &lim, "map count exceeds size limit");
	n = tu_unhex("92 d9 60", b, sizeof(b));	/* 2 + 96 + 1 = 99 */
	ck_assert_int_eq(mpval_scan(b, n, &lim, NULL, NULL), MPVAL_MORE);
	/* 101: the str itself would fit, but not with its sibling. */
	n = tu_unhex("92 d9 61", b, sizeof(b));
	assert_bad(b, n, &lim, "object exceeds size limit");
	n = tu_unhex("92 d9 62", b, sizeof(b));	/* 102 */
	assert_bad(b, n, &lim, "object exceeds size limit");
}
END_TEST

START_TEST(limits_are_exact)
{
	struct mpval_limits	 lim = mpval_default_limits;
	static uint8_t		 b[64];
	size_t			 n;

	lim.max_strlen = lim.max_binlen = lim.max_extlen = 4;
	lim.max_size = 10;
	memset(b, 'a', sizeof(b));
	b[0] = 0xa4;
	ck_assert_int_eq(mpval_check(b, 5, &lim, NULL), MPVAL_OK);
	b[0] = 0xa5;
	assert_bad(b, 6, &lim, "string too long");
	n = tu_unhex("c4 05 00 00 00 00 00", b, sizeof(b));
	assert_bad(b, n, &lim, "binary too long");
	n = tu_unhex("c7 05 01 00 00 00 00 00", b, sizeof(b));
	assert_bad(b, n, &lim, "extension too long");
	n = tu_unhex("d8 01", b, sizeof(b));	/* fixext16 */
	assert_bad(b, n, &lim, "extension too long");

	/* Ten bytes are fine, eleven are not, whatever the mix. */
	n = tu_unhex("99 c0 c0 c0 c0 c0 c0 c0 c0 c0", b, sizeof(b));
	ck_assert_int_eq(mpval_check(b, n, &lim, NULL), MPVAL_OK);
	n = tu_unhex("9a c0 c0 c0 c0 c0 c0 c0 c0 c0 c0", b, sizeof(b));
	assert_bad(b, n, &lim, "array count exceeds size limit");
	n = tu_unhex("92 cf 00 00 00 00 00 00 00 00 c0", b, sizeof(b));
	assert_bad(b, n, &lim, "object exceeds size limit");
	/* Incomplete after max_size bytes: it never will be complete. */
	n = tu_unhex("cf 00 00 00 00 00 00 00 00", b, sizeof(b));
	lim.max_size = 4;
	ck_assert_int_eq(mpval_scan(b, 3, &lim, NULL, NULL), MPVAL_MORE);
	assert_bad(b, 4, &lim, "object exceeds size limit");
	lim.max_size = 0;
	assert_bad(b, 1, &lim, "object exceeds size limit");

	/* A stream longer than max_size is fine if its objects are not. */
	memset(b, 0xc0, sizeof(b));
	lim.max_size = 1;
	ck_assert_int_eq(mpval_scan(b, sizeof(b), &lim, &n, NULL),
	    MPVAL_OK);
	ck_assert_uint_eq(n, 1);
}
END_TEST

START_TEST(nesting_is_bounded)
{
	struct mpval_limits	 lim = mpval_default_limits;
	static uint8_t		 b[1001];
	const char		*why;

	memset(b, 0x91, 1000);
	b[1000] = 0xc0;
	/* Rejected as soon as the 33rd level opens, not "more". */
	ck_assert_int_eq(mpval_scan(b, 1000, &lim, NULL, &why), MPVAL_ERROR);
	ck_assert_str_eq(why, "nesting too deep");
	ck_assert_int_eq(mpval_scan(b, 33, &lim, NULL, &why), MPVAL_ERROR);
	ck_assert_int_eq(mpval_scan(b, 32, &lim, NULL, &why), MPVAL_MORE);
	assert_bad(b, 1001, &lim, "nesting too deep");

	/* 32 levels are fine, and msgpack-c's own stack copes with them. */
	b[32] = 0xc0;
	assert_ok(b, 33);
	b[32] = 0x90;			/* empty containers count too */
	ck_assert_int_eq(mpval_check(b, 33, &lim, &why), MPVAL_ERROR);
	ck_assert_int_eq(mpval_check((const uint8_t *)"\x81\xc0\x90", 3,
	    &lim, NULL), MPVAL_OK);

	lim.max_depth = 0;
	ck_assert_int_eq(mpval_check((const uint8_t *)"\xc0", 1, &lim,
	    NULL), MPVAL_OK);
	ck_assert_int_eq(mpval_check((const uint8_t *)"\x90", 1, &lim,
	    &why), MPVAL_ERROR);

	/* A huge max_depth is capped at the scanner's own stack. */
	memset(b, 0x91, 1000);
	b[1000] = 0xc0;
	lim.max_depth = UINT32_MAX;
	b[MPVAL_DEPTH_MAX] = 0xc0;
	ck_assert_int_eq(mpval_check(b, MPVAL_DEPTH_MAX + 1, &lim, &why),
	    MPVAL_OK);
	b[MPVAL_DEPTH_MAX] = 0x91;
	assert_bad(b, 1001, &lim, "nesting too deep");
}
END_TEST

START_TEST(utf8_is_enforced)
{
	static const char *const bad[] = {
		"c0 80", "c1 bf", "e0 80 80", "e0 9f bf", "ed a0 80",
		"ed bf bf", "f0 80 80 80", "f0 8f bf bf", "f4 90 80 80",
		"f5 80 80 80", "f8 88 80 80 80", "fe", "ff", "80", "bf",
		"c3", "e2 82", "f0 9f 98", "e2 28 a1", "c3 28", "61 c3",
		"f0 9f 28 80", "e2 82 ac 80",
	};
	static const char *const good[] = {
		"", "00", "61 62 63", "c2 80", "c3 a9", "df bf", "e0 a0 80",
		"e2 82 ac", "ed 9f bf", "ee 80 80", "ef bf bf",
		"f0 90 80 80", "f0 9f 98 80", "f4 8f bf bf",
	};
	uint8_t		 b[64];
	size_t		 i, n;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = tu_unhex(bad[i], b + 1, sizeof(b) - 1);
		b[0] = 0xa0 | n;
		assert_bad(b, n + 1, &mpval_default_limits,
		    "invalid UTF-8 in string");
		/* The same bytes in a bin are just bytes. */
		b[0] = 0xc4;
		memmove(b + 2, b + 1, n);
		b[1] = n;
		assert_ok(b, n + 2);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = tu_unhex(good[i], b + 2, sizeof(b) - 2);
		b[0] = 0xd9;
		b[1] = n;
		assert_ok(b, n + 2);
	}
	/* Map keys are strings too. */
	n = tu_unhex("81 a2 c0 80 c0", b, sizeof(b));
	assert_bad(b, n, &mpval_default_limits, "invalid UTF-8 in string");
}
END_TEST

START_TEST(c1_is_rejected)
{
	assert_hex_bad("c1", "invalid byte 0xc1");
	assert_hex_bad("92 c0 c1", "invalid byte 0xc1");
	assert_hex_bad("81 c1 c0", "invalid byte 0xc1");
	ck_assert_uint_eq(mpval_skip((const uint8_t *)"\x91\xc1", 2), 0);
}
END_TEST

START_TEST(stream_splits_at_boundaries)
{
	uint8_t		 b[256];
	size_t		 n, off = 0, objlen, i;
	const size_t	 want[] = { 1, 3, 4, 9, 4 };
	const char	*why;

	n = tu_unhex("c0 a2 68 69 81 a1 61 01 cb 3f f8 00 00 00 00 00 00"
	    " 93 01 02 03 dc 00", b, sizeof(b));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_int_eq(mpval_scan(b + off, n - off,
		    &mpval_default_limits, &objlen, &why), MPVAL_OK);
		ck_assert_uint_eq(objlen, want[i]);
		off += objlen;
	}
	/* The tail is a partial header. */
	ck_assert_int_eq(mpval_scan(b + off, n - off, &mpval_default_limits,
	    &objlen, &why), MPVAL_MORE);
	ck_assert_int_eq(mpval_scan(b, 0, &mpval_default_limits,
	    &objlen, &why), MPVAL_MORE);
	ck_assert_uint_eq(objlen, 1);
	/* Several objects are not one frame. */
	ck_assert_int_eq(mpval_check(b, 4, &mpval_default_limits, &why),
	    MPVAL_ERROR);
	ck_assert_str_eq(why, "trailing bytes after object");
}
END_TEST

/* Cut a valid sample anywhere: the stream waits, the frame is bad. */
START_TEST(truncation_anywhere_is_noticed)
{
	uint8_t		 b[512];
	size_t		 n, k, hint;
	const char	*why;

	n = sample(b, sizeof(b));
	for (k = 0; k < n; k++) {
		ck_assert_int_eq(mpval_scan(b, k, &mpval_default_limits,
		    &hint, &why), MPVAL_MORE);
		/* A lower bound: never less than k + 1, never above n. */
		ck_assert_uint_gt(hint, k);
		ck_assert_uint_le(hint, n);
		ck_assert_int_eq(mpval_check(b, k, &mpval_default_limits,
		    &why), MPVAL_ERROR);
		ck_assert_uint_eq(mpval_skip(b, k), 0);
	}
	b[n] = 0xc0;
	ck_assert_int_eq(mpval_check(b, n + 1, &mpval_default_limits,
	    &why), MPVAL_ERROR);
}
END_TEST

START_TEST(more_hint_is_the_known_size)
{
	uint8_t		 b[8];
	size_t		 n, hint;

	n = tu_unhex("db 00 01 00 00 61", b, sizeof(b));
	ck_assert_int_eq(mpval_scan(b, n, &mpval_default_limits, &hint,
	    NULL), MPVAL_MORE);
	ck_assert_uint_eq(hint, 5 + 65536);
	n = tu_unhex("92 c4 10", b, sizeof(b));
	ck_assert_int_eq(mpval_scan(b, n, &mpval_default_limits, &hint,
	    NULL), MPVAL_MORE);
	ck_assert_uint_eq(hint, 3 + 16 + 1);
}
END_TEST

START_TEST(head_decodes_values)
{
	struct mpval_head	 h;
	uint8_t			 b[16];
	size_t			 n;

	n = tu_unhex("cd 01 00", b, sizeof(b));
	ck_assert_int_eq(mpval_head(b, n, &h, NULL), MPVAL_OK);
	ck_assert_int_eq(h.kind, MPV_UINT);
	ck_assert_uint_eq(h.v.u, 256);
	ck_assert_uint_eq(h.hlen + h.n, 3);
	n = tu_unhex("d1 ff fd", b, sizeof(b));
	ck_assert_int_eq(mpval_head(b, n, &h, NULL), MPVAL_OK);
	ck_assert_int_eq(h.kind, MPV_INT);
	ck_assert_int_eq(h.v.i, -3);
	n = tu_unhex("ca 3f c0 00 00", b, sizeof(b));
	ck_assert_int_eq(mpval_head(b, n, &h, NULL), MPVAL_OK);
	ck_assert_int_eq(h.kind, MPV_FLOAT);
	ck_assert(h.v.f == 1.5);
	n = tu_unhex("c8 01 00 fe", b, sizeof(b));
	ck_assert_int_eq(mpval_head(b, n, &h, NULL), MPVAL_OK);
	ck_assert_int_eq(h.kind, MPV_EXT);
	ck_assert_int_eq(h.exttype, -2);
	ck_assert_uint_eq(h.hlen, 4);
	ck_assert_uint_eq(h.n, 256);
	ck_assert_int_eq(mpval_head(b, 3, &h, NULL), MPVAL_MORE);
	n = tu_unhex("df 00 00 00 02", b, sizeof(b));
	ck_assert_int_eq(mpval_head(b, n, &h, NULL), MPVAL_OK);
	ck_assert_int_eq(h.kind, MPV_MAP);
	ck_assert_uint_eq(h.n, 2);
	n = tu_unhex("d3 ff ff ff ff ff ff ff", b, sizeof(b));
	ck_assert_int_eq(mpval_head(b, n, &h, NULL), MPVAL_MORE);
}
END_TEST

/* A small deterministic PRNG, so failures can be replayed. */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Whatever the input, the three entry points agree and never crash. */
static void
fuzz_one(const uint8_t *b, size_t len)
{
	size_t		 n = 0;
	enum mpval_rc	 rc;

	rc = mpval_scan(b, len, &mpval_default_limits, &n, NULL);
	if (rc == MPVAL_OK) {
		ck_assert_uint_le(n, len);
		ck_assert_int_eq(mpval_check(b, n, &mpval_default_limits,
		    NULL), MPVAL_OK);
		ck_assert_uint_eq(mpval_skip(b, len), n);
		msgpack_agrees(b, n);
	} else {
		if (rc == MPVAL_MORE)
			ck_assert_uint_gt(n, len);
		ck_assert_int_ne(mpval_check(b, len, &mpval_default_limits,
		    NULL), MPVAL_OK);
	}
}

START_TEST(index_notes_top_level_elements)
{
	struct mpval_index ix;
	uint8_t		 b[1024];
	size_t		 n, i;

	/* {"a": [1, {"b": 2}], "cc": "x"}: keys and values alternate */
	n = tu_unhex("82 a1 61 92 01 81 a1 62 02 a2 63 63 a1 78", b, sizeof(b));
	ck_assert_int_eq(mpval_check_index(b, n, &mpval_default_limits, &ix,
	    NULL), MPVAL_OK);
	ck_assert_uint_eq(ix.n, 4);
	ck_assert_uint_eq(ix.off[0], 1);
	ck_assert_uint_eq(ix.off[1], 3);
	ck_assert_uint_eq(ix.off[2], 9);
	ck_assert_uint_eq(ix.off[3], 12);
	/* a scalar has no elements; an empty array neither */
	n = tu_unhex("05", b, sizeof(b));
	ck_assert_int_eq(mpval_check_index(b, n, &mpval_default_limits, &ix,
	    NULL), MPVAL_OK);
	ck_assert_uint_eq(ix.n, 0);
	n = tu_unhex("90", b, sizeof(b));
	ck_assert_int_eq(mpval_check_index(b, n, &mpval_default_limits, &ix,
	    NULL), MPVAL_OK);
	ck_assert_uint_eq(ix.n, 0);
	/* more than fit: the first ones noted, all counted */
	b[0] = 0xdc;
	b[1] = 0;
	b[2] = 100;
	for (i = 0; i < 100; i++)
		b[3 + i] = (uint8_t)i;
	ck_assert_int_eq(mpval_check_index(b, 103, &mpval_default_limits,
	    &ix, NULL), MPVAL_OK);
	ck_assert_uint_eq(ix.n, 100);
	for (i = 0; i < MPVAL_INDEX_MAX; i++)
		ck_assert_uint_eq(ix.off[i], 3 + i);
	/* what mpval_check() refuses, it refuses too */
	n = tu_unhex("82 a1 61 01 a1", b, sizeof(b));
	ck_assert_int_eq(mpval_check_index(b, n, &mpval_default_limits, &ix,
	    NULL), MPVAL_ERROR);
}
END_TEST

START_TEST(random_bytes_never_crash)
{
	uint64_t	 seed = 0x6d6f61742d6b76ULL;
	uint8_t		 b[96];
	size_t		 i, k, len;

	for (i = 0; i < 100000; i++) {
		len = xorshift(&seed) % sizeof(b);
		for (k = 0; k < len; k++)
			b[k] = (uint8_t)xorshift(&seed);
		/* Bias towards short containers so some of them validate. */
		if (len > 0 && i % 2)
			b[0] = 0x90 | (b[0] & 0x0f);
		fuzz_one(b, len);
	}
}
END_TEST

START_TEST(mutated_samples_never_crash)
{
	uint64_t	 seed = 42;
	uint8_t		 orig[512], b[512];
	size_t		 i, k, n, cut;

	n = sample(orig, sizeof(orig));
	for (i = 0; i < 20000; i++) {
		memcpy(b, orig, n);
		for (k = xorshift(&seed) % 4 + 1; k > 0; k--)
			b[xorshift(&seed) % n] = (uint8_t)xorshift(&seed);
		cut = n - xorshift(&seed) % 8;
		fuzz_one(b, cut);
	}
}
END_TEST

TU_MAIN("mpval", 300, every_type_and_width_is_accepted,
    long_payloads_are_accepted, huge_headers_are_errors_not_more,
    counts_add_up_across_levels, limits_are_exact, nesting_is_bounded,
    utf8_is_enforced, c1_is_rejected, stream_splits_at_boundaries,
    truncation_anywhere_is_noticed, more_hint_is_the_known_size,
    head_decodes_values, index_notes_top_level_elements,
    random_bytes_never_crash, mutated_samples_never_crash)
