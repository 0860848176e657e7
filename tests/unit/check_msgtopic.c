/*
 * check_msgtopic.c - the MQTT topic of msg_send / msg_monitor requests
 * (lib/msgtopic.h): elements as Python's str(), str topics per action,
 * the ':' root prefix, bounds and errors; and the topic levels of
 * monitor replies.  syncd's own topic checks (wildcards, UTF-8) are
 * libmosquitto's, tested through moatd in test_msg.py; so is
 * mqtt_topic_ok() here, as a sanity check of how it is called.
 */
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "lib/mp.h"
#include "lib/msgtopic.h"
#include "syncd/mqtt.h"
#include "tests/unit/testutil.h"

static msgpack_zone	 zone;
static msgpack_object	 obj;
static struct mpbuf	 in, out;
static char		 err[256];

/* Build a topic from a packed request field. */
static int
build(int mode)
{
	size_t	 off = 0;

	msgpack_zone_clear(&zone);
	ck_assert(msgpack_unpack((const char *)in.data, in.len, &off, &zone,
	    &obj) == MSGPACK_UNPACK_SUCCESS);
	err[0] = '\0';
	return msgtopic_build(&obj, mode, "moat/kv", &out, err, sizeof(err));
}

static msgpack_packer	 pk;

static void
start(void)
{
	mpbuf_reset(&in);
	msgpack_packer_init(&pk, &in, mpbuf_write);
}

static void
expect(int mode, const char *topic)
{
	ck_assert_msg(build(mode) == 0, "%s: %s", topic, err);
	ck_assert_str_eq((const char *)out.data, topic);
	ck_assert_uint_eq(out.len, strlen(topic));
}

static void
expect_error(int mode, const char *text)
{
	ck_assert_msg(build(mode) == -1, "no error %s: %s", text,
	    (const char *)out.data);
	ck_assert_msg(strstr(err, text) != NULL, "%s not in %s", text, err);
	ck_assert_uint_eq(out.len, 0);
}

static void
setup(void)
{
	msgpack_zone_init(&zone, 1024);
	mpbuf_init(&in);
	mpbuf_init(&out);
}

static void
teardown(void)
{
	msgpack_zone_destroy(&zone);
	mpbuf_free(&in);
	mpbuf_free(&out);
}

START_TEST(elements_as_python_str)
{
	start();
	msgpack_pack_array(&pk, 6);
	mp_pack_str(&pk, "foo");
	msgpack_pack_int64(&pk, -12);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	msgpack_pack_bin(&pk, 1);
	msgpack_pack_bin_body(&pk, "x", 1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	mp_pack_str(&pk, "a");
	expect(MSGTOPIC_SEND, "foo/-12/None/True/b'x'/(1, 'a')");
	expect(MSGTOPIC_MONITOR, "foo/-12/None/True/b'x'/(1, 'a')");
	/* an ext 3 path is the same */
	start();
	{
		struct mpbuf	 p;
		msgpack_packer	 ppk;

		mpbuf_init(&p);
		msgpack_packer_init(&ppk, &p, mpbuf_write);
		mp_pack_str(&ppk, "a");
		mp_pack_str(&ppk, "b");
		mp_pack_path(&pk, p.data, p.len);
		mpbuf_free(&p);
	}
	expect(MSGTOPIC_SEND, "a/b");
}
END_TEST

START_TEST(str_topics)
{
	start();
	mp_pack_str(&pk, "foo.bar/baz");
	/* msg_send: one element, as it is; msg_monitor: path text */
	expect(MSGTOPIC_SEND, "foo.bar/baz");
	expect(MSGTOPIC_MONITOR, "foo/bar/baz");
	start();
	mp_pack_str(&pk, "a.:x");
	expect_error(MSGTOPIC_MONITOR, "bad topic text");
	start();
	mp_pack_str(&pk, "a.#");
	expect(MSGTOPIC_MONITOR, "a/#");
}
END_TEST

START_TEST(root_prefix)
{
	start();
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, ":");
	mp_pack_str(&pk, "update");
	expect(MSGTOPIC_SEND, "moat/kv/update");
	start();
	msgpack_pack_array(&pk, 1);
	mp_pack_str(&pk, ":ping");
	expect(MSGTOPIC_MONITOR, "moat/kv/ping");
	start();
	msgpack_pack_array(&pk, 1);
	mp_pack_str(&pk, ":");
	expect(MSGTOPIC_SEND, "moat/kv");
	/* only a first element, and only a str */
	start();
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, "a");
	mp_pack_str(&pk, ":b");
	expect(MSGTOPIC_SEND, "a/:b");
	start();
	mp_pack_str(&pk, ":x");
	expect(MSGTOPIC_SEND, "moat/kv/x");
}
END_TEST

START_TEST(errors)
{
	char	 big[MSGTOPIC_MAX + 2];

	start();
	msgpack_pack_int(&pk, 5);
	expect_error(MSGTOPIC_SEND, "TypeError");
	start();
	msgpack_pack_array(&pk, 0);
	expect_error(MSGTOPIC_SEND, "empty topic");
	start();
	mp_pack_str(&pk, "");
	expect_error(MSGTOPIC_SEND, "empty topic");
	start();
	msgpack_pack_array(&pk, 1);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "a\0b", 3);
	expect_error(MSGTOPIC_SEND, "NUL");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	start();
	mp_pack_str(&pk, big);
	expect_error(MSGTOPIC_SEND, "longer than");
	big[MSGTOPIC_MAX] = '\0';	/* exactly the maximum */
	start();
	mp_pack_str(&pk, big);
	ck_assert_int_eq(build(MSGTOPIC_SEND), 0);
	/* long only after the root is added */
	start();
	msgpack_pack_array(&pk, 1);
	big[MSGTOPIC_MAX - 2] = '\0';
	big[0] = ':';
	mp_pack_str(&pk, big);
	expect_error(MSGTOPIC_SEND, "longer than");
	ck_assert_int_eq(msgtopic_build(NULL, MSGTOPIC_SEND, "r", &out, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "AttributeError('topic')");
}
END_TEST

START_TEST(reply_levels)
{
	msgpack_unpacked u;
	size_t		 off = 0;

	start();
	msgtopic_pack(&pk, "a/b//c/", 7);
	msgpack_unpacked_init(&u);
	ck_assert(msgpack_unpack_next(&u, (const char *)in.data, in.len,
	    &off) == MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(u.data.type, MSGPACK_OBJECT_ARRAY);
	ck_assert_uint_eq(u.data.via.array.size, 5);
	ck_assert_uint_eq(u.data.via.array.ptr[2].via.str.size, 0);
	ck_assert(memcmp(u.data.via.array.ptr[3].via.str.ptr, "c", 1) == 0);
	ck_assert_uint_eq(u.data.via.array.ptr[4].via.str.size, 0);
	msgpack_unpacked_destroy(&u);
}
END_TEST

START_TEST(mosquitto_checks)
{
	ck_assert(mqtt_topic_ok("a/b", 0));
	ck_assert(!mqtt_topic_ok("a/#", 0));
	ck_assert(!mqtt_topic_ok("a/+/b", 0));
	ck_assert(mqtt_topic_ok("a/+/b", 1));
	ck_assert(mqtt_topic_ok("#", 1));
	ck_assert(!mqtt_topic_ok("a/#/b", 1));
	ck_assert(!mqtt_topic_ok("a/b+", 1));
	ck_assert(!mqtt_topic_ok("a/\xff", 0));
	ck_assert(mqtt_topic_matches("moat/kv/#", "moat/kv/update"));
	ck_assert(!mqtt_topic_matches("moat/kv/+", "moat/kv/a/b"));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("msgtopic");
	TCase	*tc = tu_tcase(s, "msgtopic", 0, TU_TESTS(
	    elements_as_python_str, str_topics, root_prefix, errors,
	    reply_levels, mosquitto_checks));

	tcase_add_checked_fixture(tc, setup, teardown);
	return tu_run(s);
}
