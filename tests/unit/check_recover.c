/*
 * check_recover.c - the split recovery steps: their timing by priority
 * (clock 10: prio 0 asks at once, prio 1 after 5 s ...), and that an
 * info from a node of our own side, not from the other side, saves us
 * the step.
 */
#include <math.h>
#include <stdlib.h>

#include <check.h>

#include "syncd/recover.h"
#include "tests/unit/testutil.h"

struct log {
	int		 n;
	enum recover_req req[8];
	double		 at[8];
	double		 now;
};

static void
req(enum recover_req r, int prio, void *arg)
{
	struct log	*l = arg;

	ck_assert_int_lt(l->n, 8);
	l->req[l->n] = r;
	l->at[l->n++] = l->now;
}

static void
run(struct recovery *r, struct log *l, double until)
{
	while (recover_next(r) <= until) {
		l->now = recover_next(r);
		recover_tick(r, l->now);
	}
	l->now = until;
}

static const char *const local[] = { "a", "b", "c" };
static const char *const remote[] = { "x", "y" };

START_TEST(first_node_acts_at_once)
{
	struct recovery	 r;
	struct log	 l = { 0 };

	recover_init(&r, 10, req, &l);
	ck_assert(isinf(recover_next(&r)));
	l.now = 100;
	recover_start(&r, 0, local, 3, remote, 2, 100);
	/* prio 0: ticks at once, missing after 5 s, resend at once then */
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.req[0], RQ_TICKS);
	run(&r, &l, 200);
	ck_assert_int_eq(l.n, 3);
	ck_assert_int_eq(l.req[1], RQ_MISSING);
	ck_assert(fabs(l.at[1] - 105) < 1e-9);
	ck_assert_int_eq(l.req[2], RQ_RESEND);
	ck_assert(fabs(l.at[2] - 105) < 1e-9);
	ck_assert(isinf(recover_next(&r)));
}
END_TEST

START_TEST(later_nodes_wait_and_are_preempted)
{
	struct recovery	 r;
	struct log	 l = { 0 };

	recover_init(&r, 10, req, &l);
	l.now = 100;
	recover_start(&r, 1, local, 3, remote, 2, 100);
	ck_assert_int_eq(l.n, 0);
	ck_assert(fabs(recover_next(&r) - 105) < 1e-9);
	/* the other side's info does not count ... */
	recover_info(&r, "x", 1, 0, 102);
	ck_assert(fabs(recover_next(&r) - 105) < 1e-9);
	/* ... ours does: "a" sent the ticks, we go on to step 2 */
	recover_info(&r, "a", 1, 0, 103);
	ck_assert(fabs(recover_next(&r) - (103 + 7.5)) < 1e-9);
	recover_info(&r, "b", 0, 1, 104);	/* and the missing */
	run(&r, &l, 200);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(l.req[0], RQ_RESEND);
	ck_assert(fabs(l.at[0] - (104 + 5)) < 1e-9);
}
END_TEST

START_TEST(names_on_both_sides_do_not_preempt)
{
	static const char *const rem[] = { "a", "x" };
	struct recovery	 r;
	struct log	 l = { 0 };

	recover_init(&r, 10, req, &l);
	recover_start(&r, 2, local, 3, rem, 2, 0);
	recover_info(&r, "a", 1, 1, 1);		/* "a" is on both sides */
	run(&r, &l, 100);
	ck_assert_int_eq(l.n, 3);
	ck_assert(fabs(l.at[0] - 7.5) < 1e-9);
}
END_TEST

TU_MAIN("recover", 0, first_node_acts_at_once,
    later_nodes_wait_and_are_preempted,
    names_on_both_sides_do_not_preempt)
