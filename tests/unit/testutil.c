/*
 * testutil.c - the shared part of the Check suites (see testutil.h):
 * one way to build and run a suite, and fixtures more than one suite
 * feeds to the code under test.  Linked into every check_* binary.
 */
#include <stdio.h>
#include <stdlib.h>

#include "lib/conf.h"
#include "lib/confyaml.h"
#include "tests/unit/testutil.h"

TCase *
tu_tcase(Suite *s, const char *name, int timeout, const TTest *const tests[])
{
	TCase	*tc = tcase_create(name);

	if (timeout > 0)
		tcase_set_timeout(tc, timeout);
	for (; *tests != NULL; tests++)
		tcase_add_test(tc, *tests);
	suite_add_tcase(s, tc);
	return tc;
}

int
tu_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 nfail;

	/* Tests that print (the memory figures) stay in order with Check. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	srunner_run_all(sr, CK_ENV);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
tu_main(const char *name, int timeout, const TTest *const tests[])
{
	Suite	*s = suite_create(name);

	tu_tcase(s, name, timeout, tests);
	return tu_run(s);
}

size_t
tu_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t		 n = 0;
	unsigned int	 b;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		ck_assert_int_eq(sscanf(hex, "%2x", &b), 1);
		ck_assert_uint_lt(n, cap);
		out[n++] = (uint8_t)b;
		hex += 2;
	}
	return n;
}

void
tu_pack_state(msgpack_packer *pk, int deleted_b)
{
	msgpack_pack_map(pk, 4);
	mp_pack_str(pk, "nodes");
	msgpack_pack_map(pk, 2);
	mp_pack_kv_int(pk, "a", 7);
	mp_pack_kv_int(pk, "b", 3);
	mp_pack_str(pk, "known");
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "a");
	msgpack_pack_array(pk, 2);
	msgpack_pack_array(pk, 2);
	msgpack_pack_int(pk, 1);
	msgpack_pack_int(pk, 3);
	msgpack_pack_int(pk, 5);
	mp_pack_str(pk, "deleted");
	msgpack_pack_map(pk, deleted_b ? 1 : 0);
	if (deleted_b) {
		mp_pack_str(pk, "b");
		msgpack_pack_array(pk, 1);
		msgpack_pack_uint64(pk, UINT64_MAX);
	}
	mp_pack_kv_int(pk, "tock", 42);
}

void
tu_conf_pack(struct tu_conf *t, struct conf *c)
{
	msgpack_packer	 pk;
	size_t		 off = 0;

	mpbuf_init(&t->buf);
	msgpack_packer_init(&pk, &t->buf, mpbuf_write);
	ck_assert_int_eq(conf_pack(c, &pk), 0);
	msgpack_zone_init(&t->zone, 4096);
	ck_assert_int_eq(msgpack_unpack((const char *)t->buf.data, t->buf.len,
	    &off, &t->zone, &t->root), MSGPACK_UNPACK_SUCCESS);
}

void
tu_conf_free(struct tu_conf *t)
{
	msgpack_zone_destroy(&t->zone);
	mpbuf_free(&t->buf);
}
