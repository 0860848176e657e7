/*
 * check_deleter.c - when tombstones may be purged (syncd/deleter.c):
 * never while the group is incomplete, the "it" member from its third
 * complete round on, a follower after more than n complete pings, and a
 * server that missed whole rounds re-checks instead of purging.
 */
#include <stdlib.h>

#include <check.h>

#include "syncd/deleter.h"
#include "tests/unit/testutil.h"

static struct actor_val
val(uint64_t oldest, uint64_t newest)
{
	struct actor_val v = { 1, oldest, newest };

	return v;
}

START_TEST(no_list_no_purge)
{
	struct deleter	 d = { 0 };
	struct actor_val v = { 0, 0, 0 }, pv = val(5, 9);
	uint64_t	 tock = 0;
	int		 i;

	deleter_set(&d, 0, 0);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(deleter_tag(&d, 2, 10 + i, &v, &tock),
		    DEL_NONE);
		ck_assert_int_eq(deleter_ping(&d, &pv, 2, &tock), DEL_NONE);
	}
	ck_assert_int_eq(v.has, 0);
}
END_TEST

START_TEST(it_purges_from_its_third_complete_round)
{
	struct deleter	 d = { 0 };
	struct actor_val v = { 0, 0, 0 };
	uint64_t	 tock = 0;

	deleter_set(&d, 2, 1);
	ck_assert_int_eq(deleter_tag(&d, 2, 10, &v, &tock), DEL_NONE);
	ck_assert(v.has && v.tock == 10 && v.tick == 10);
	ck_assert_int_eq(deleter_tag(&d, 2, 20, &v, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_tag(&d, 2, 30, &v, &tock), DEL_PURGE);
	ck_assert_uint_eq(tock, 10);
	ck_assert(v.tock == 10 && v.tick == 30);
	/* the window keeps four tocks */
	ck_assert_int_eq(deleter_tag(&d, 2, 40, &v, &tock), DEL_PURGE);
	ck_assert_int_eq(deleter_tag(&d, 2, 50, &v, &tock), DEL_PURGE);
	ck_assert_uint_eq(tock, 10);
	ck_assert(v.tock == 20 && v.tick == 50);
	/* a member missing: the run starts over, the value stays */
	ck_assert_int_eq(deleter_tag(&d, 1, 60, &v, &tock), DEL_NONE);
	ck_assert(v.tock == 20 && v.tick == 50);
	ck_assert_int_eq(deleter_tag(&d, 2, 70, &v, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_tag(&d, 2, 80, &v, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_tag(&d, 2, 90, &v, &tock), DEL_PURGE);
	ck_assert_uint_eq(tock, 40);
}
END_TEST

START_TEST(follower_purges_after_n_complete_pings)
{
	struct deleter	 d = { 0 };
	struct actor_val none = { 0, 0, 0 };
	struct actor_val v;
	uint64_t	 tock = 0;

	deleter_set(&d, 2, 0);
	v = val(3, 7);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_NONE);
	/* first complete round seen since start: check our entries once */
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_RESYNC);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_PURGE);
	ck_assert_uint_eq(tock, 3);
	v = val(5, 12);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_PURGE);
	ck_assert_uint_eq(tock, 5);
	/* incomplete history or a nil value: the count starts over */
	ck_assert_int_eq(deleter_ping(&d, &v, 1, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &none, 2, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_NONE);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_PURGE);
	/* rounds went by while we were away: oldest > newest seen */
	v = val(40, 60);
	tock = 0;
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_RESYNC);
	ck_assert_uint_eq(tock, 0);
	ck_assert_int_eq(deleter_ping(&d, &v, 2, &tock), DEL_PURGE);
	ck_assert_uint_eq(tock, 40);
}
END_TEST

TU_MAIN("deleter", 0, no_list_no_purge,
    it_purges_from_its_third_complete_round,
    follower_purges_after_n_complete_pings)
