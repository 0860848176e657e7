/*
 * check_reply.c - the reply builder (smallest map header, key order,
 * the tock callback only when needed, raw fields), path compression as
 * the original's PathShortener, and request indexing with raw value
 * spans and typed getters.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "core/reply.h"
#include "core/request.h"
#include "lib/mpval.h"
#include "tests/unit/testutil.h"

static int	tock_calls;

static uint64_t
fake_tock(void)
{
	tock_calls++;
	return 300;
}

static void
assert_bytes(const struct reply *r, const char *hex)
{
	const uint8_t	*p;
	size_t		 len, i;
	char		 buf[4096];

	p = rep_data(r, &len);
	ck_assert_uint_lt(2 * len, sizeof(buf));
	for (i = 0; i < len; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * len] = '\0';
	ck_assert_str_eq(buf, hex);
}

START_TEST(smallest_header_and_order)
{
	struct reply	 r;

	rep_init(&r);
	tock_calls = 0;
	/* {"error": "seq", "tock": 300:u16} - no seq */
	rep_begin(&r);
	rep_str(&r, "error", "seq");
	rep_finish(&r, 0, 0, 0, fake_tock);
	assert_bytes(&r, "82a56572726f72a3736571a4746f636bcd012c");
	ck_assert_int_eq(tock_calls, 1);
	/* own tock: the callback is not called, seq goes last */
	rep_reset(&r);
	rep_begin(&r);
	rep_tock(&r, 11);
	rep_finish(&r, 1, 5, 0, fake_tock);
	assert_bytes(&r, "82a4746f636b0ba373657105");
	ck_assert_int_eq(tock_calls, 1);
	/* a stream message: state, seq, wseq, tock */
	rep_reset(&r);
	rep_begin(&r);
	rep_str(&r, "state", "start");
	rep_finish(&r, 1, 20, 1, fake_tock);
	assert_bytes(&r, "84a57374617465a5"
	    "7374617274a373657114a477736571" "01a4746f636bcd012c");
	rep_free(&r);
}
END_TEST

START_TEST(map16_and_several_messages)
{
	struct reply	 r;
	const uint8_t	*p;
	size_t		 len, off = 0;
	msgpack_unpacked u;
	char		 key[16];
	int		 i;

	rep_init(&r);
	rep_begin(&r);
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		rep_int(&r, key, i);
	}
	rep_end(&r);
	rep_begin(&r);
	rep_bool(&r, "x", 1);
	rep_end(&r);
	rep_begin(&r);		/* an open map is not part of the data */
	rep_int(&r, "y", 1);
	p = rep_data(&r, &len);
	ck_assert_uint_eq(p[0], 0xde);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)p, len, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(u.data.via.map.size, 20);
	ck_assert_int_eq(msgpack_unpack_next(&u, (const char *)p, len, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(u.data.via.map.size, 1);
	ck_assert_uint_eq(off, len);
	msgpack_unpacked_destroy(&u);
	rep_end(&r);
	rep_free(&r);
}
END_TEST

START_TEST(chain_nesting)
{
	struct reply	 r;
	struct nodetab	*tab = nodetab_new();
	struct chain_link l[3];
	struct chain	 c = { l, 3 };

	l[0].node = nodetab_intern(tab, "s1", 2);
	l[0].tick = 2;
	l[1].node = nodetab_intern(tab, "s2", 2);
	l[1].tick = 9;
	l[2].node = l[0].node;	/* cannot happen; shows depth cut */
	l[2].tick = 1;
	rep_init(&r);
	rep_begin(&r);
	rep_chain(&r, "chain", c, 1, tab);
	rep_end(&r);
	/* {"chain": {"node": "s1", "tick": 2, "prev": nil}} */
	assert_bytes(&r, "81a5636861696e83a46e6f6465a27331a47469636b02"
	    "a470726576c0");
	rep_reset(&r);
	rep_begin(&r);
	rep_chain(&r, "c", c, 2, tab);
	rep_end(&r);
	assert_bytes(&r, "81a16383a46e6f6465a27331a47469636b02a470726576"
	    "83a46e6f6465a27332a47469636b09a470726576c0");
	rep_free(&r);
	nodetab_free(tab);
}
END_TEST

/* The PathShortener example: a b / a b c d / a b c e f / ... */
START_TEST(path_compression)
{
	static const char *const seq[][5] = {
		{ "a", "b" }, { "a", "b", "c", "d" }, { "a", "b", "c", "e", "f" },
		{ "a", "b", "c", "e", "g" }, { "a", "b", "c", "i" },
		{ "a", "j", "k" }, { "a", "j", "k" }, { NULL },
	};
	static const unsigned want[] = { 0, 2, 3, 4, 3, 1, 3, 0 };
	struct mpbuf	 prev, p;
	struct reply	 r;
	msgpack_packer	 pk;
	size_t		 off;
	unsigned	 i, j;

	mpbuf_init(&prev);
	mpbuf_init(&p);
	rep_init(&r);
	msgpack_packer_init(&pk, &p, mpbuf_write);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		mpbuf_reset(&p);
		for (j = 0; j < 5 && seq[i][j]; j++)
			mp_pack_str(&pk, seq[i][j]);
		ck_assert_uint_eq(path_common(prev.data, prev.len, p.data,
		    p.len, &off), want[i]);
		rep_begin(&r);
		ck_assert_uint_eq(rep_short_path(&r, &prev, p.data, p.len),
		    want[i]);
		rep_end(&r);
		ck_assert_uint_eq(prev.len, p.len);
	}
	rep_free(&r);
	mpbuf_free(&prev);
	mpbuf_free(&p);
}
END_TEST

static void
unpack(const char *hex, uint8_t *buf, size_t *len, msgpack_zone *z,
    msgpack_object *o)
{
	size_t	 i, off = 0;
	unsigned v;

	*len = strlen(hex) / 2;
	for (i = 0; i < *len; i++) {
		sscanf(hex + 2 * i, "%2x", &v);
		buf[i] = v;
	}
	ck_assert_int_eq(msgpack_unpack((const char *)buf, *len, &off, z, o),
	    MSGPACK_UNPACK_SUCCESS);
}

START_TEST(request_fields)
{
	msgpack_zone	 z;
	msgpack_object	 o;
	struct req	 rq, rq2;
	struct mpval_index ix;
	struct mpbuf	 path;
	uint8_t		 buf[256];
	int		 f;
	size_t		 len, slen;
	const char	*s, *why;
	int64_t		 v;
	int		 b;

	msgpack_zone_init(&z, 1024);
	mpbuf_init(&path);
	/* {"action":"set_value","seq":1,"path":ext3("test","one"),
	    "value":"hello","nchain":3,"iter":true} */
	unpack("86a6616374696f6ea97365745f76616c7565a373657101a470617468"
	    "c70903a474657374a36f6e65a576616c7565a568656c6c6fa66e636861696e03"
	    "a469746572c3", buf, &len, &z, &o);
	ck_assert_int_eq(req_parse(&rq, &o, buf, len), 0);
	/* the validator's index gives the very same fields */
	ck_assert_int_eq(mpval_check_index(buf, len, &mpval_default_limits,
	    &ix, NULL), MPVAL_OK);
	ck_assert_int_eq(req_parse_index(&rq2, &o, buf, len, &ix), 0);
	for (f = 0; f < F_MAX; f++) {
		ck_assert_ptr_eq(rq.raw[f], rq2.raw[f]);
		ck_assert_uint_eq(rq.rawlen[f], rq2.rawlen[f]);
		ck_assert_ptr_eq(rq.f[f], rq2.f[f]);
	}
	ck_assert_int_eq(req_int(&rq, F_SEQ, &v), REQ_OK);
	ck_assert_int_eq(v, 1);
	ck_assert_int_eq(req_str(&rq, F_ACTION, &s, &slen), REQ_OK);
	ck_assert_int_eq(slen, 9);
	ck_assert_int_eq(memcmp(s, "set_value", 9), 0);
	ck_assert_uint_eq(rq.rawlen[F_VALUE], 6);
	ck_assert_int_eq(memcmp(rq.raw[F_VALUE], "\xa5hello", 6), 0);
	ck_assert_int_eq(req_path(&rq, F_PATH, &path, &why), REQ_OK);
	ck_assert_uint_eq(path.len, 9);
	ck_assert_int_eq(req_int(&rq, F_NCHAIN, &v), REQ_OK);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(req_int(&rq, F_TICK, &v), REQ_ABSENT);
	ck_assert_int_eq(req_str(&rq, F_SEQ, &s, &slen), REQ_BADTYPE);
	ck_assert_int_eq(req_bool(&rq, F_IDEM, &b), REQ_ABSENT);

	/* str path, array path, bad path; flags from nil and ints */
	msgpack_zone_clear(&z);
	unpack("84a470617468a3612e62a470726576c0a46964656dc0a5656d70747901",
	    buf, &len, &z, &o);
	ck_assert_int_eq(req_parse(&rq, &o, buf, len), 0);
	ck_assert_int_eq(req_path(&rq, F_PATH, &path, &why), REQ_STRPATH);
	ck_assert_int_eq(req_bool(&rq, F_IDEM, &b), REQ_OK);
	ck_assert_int_eq(b, 0);
	ck_assert_int_eq(req_bool(&rq, F_EMPTY, &b), REQ_OK);
	ck_assert_int_eq(b, 1);
	ck_assert_uint_eq(rq.rawlen[F_PREV], 1);	/* nil is a value */
	msgpack_zone_clear(&z);
	unpack("82a47061746892a161a162a46e6f646581a16101", buf, &len, &z, &o);
	ck_assert_int_eq(req_parse(&rq, &o, buf, len), 0);
	ck_assert_int_eq(req_path(&rq, F_PATH, &path, &why), REQ_OK);
	ck_assert_int_eq(memcmp(path.data, "\xa1" "a\xa1" "b", 4), 0);
	ck_assert_int_eq(req_str(&rq, F_NODE, &s, &slen), REQ_BADTYPE);
	msgpack_zone_clear(&z);
	unpack("81a47061746805", buf, &len, &z, &o);
	ck_assert_int_eq(req_parse(&rq, &o, buf, len), 0);
	ck_assert_int_eq(req_path(&rq, F_PATH, &path, &why), REQ_BADTYPE);

	/* not a map */
	msgpack_zone_clear(&z);
	unpack("93010203", buf, &len, &z, &o);
	ck_assert_int_eq(req_parse(&rq, &o, buf, len), -1);
	ck_assert_str_eq(req_pytype(&o), "tuple");
	mpbuf_free(&path);
	msgpack_zone_destroy(&z);
}
END_TEST

TU_MAIN("reply", 0, smallest_header_and_order,
    map16_and_several_messages, chain_nesting, path_compression,
    request_fields)
