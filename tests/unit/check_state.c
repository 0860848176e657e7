/*
 * check_state.c - the one path every change takes: core_change_local()
 * and core_change_apply() update the tree, tick, tock and node ranges
 * and call the observers in order; the ack hook gets write acks.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/core.h"
#include "tests/unit/testutil.h"

static int	 nseen, order[8];
static struct change last;

static void
obs_a(const struct change *ch, void *arg)
{
	order[nseen++] = 1;
	last = *ch;
}

static void
obs_b(const struct change *ch, void *arg)
{
	order[nseen++] = 2;
	ck_assert_ptr_eq(arg, &nseen);
}

static int	 nacks;

static void
ack(uint32_t session, const uint8_t *p, size_t len, void *arg)
{
	nacks++;
	ck_assert_uint_eq(session, 7);
	ck_assert_uint_eq(len, 3);
}

START_TEST(local_and_applied_changes)
{
	struct entry	*e = NULL;
	struct chain_link l[2];
	struct chain	 c = { l, 2 };
	struct nodeinfo	*n;
	uint32_t	 s2;
	uint64_t	 tock;

	core_state_init("s1", 5);
	core_observe(obs_a, NULL);
	core_observe(obs_b, &nseen);
	ck_assert_uint_eq(core_tick(), 0);
	ck_assert_int_eq(core_change_local((const uint8_t *)"\xa1" "a", 2, &e,
	    (const uint8_t *)"\x01", 1), 0);
	ck_assert_uint_eq(core_tick(), 1);
	ck_assert_int_eq(nseen, 2);
	ck_assert_int_eq(order[0], 1);
	ck_assert_int_eq(order[1], 2);
	ck_assert_int_eq(last.origin, CHANGE_LOCAL);
	ck_assert_uint_eq(last.tick, 1);
	ck_assert_ptr_eq(last.entry, e);
	e = NULL;
	ck_assert_int_eq(core_change_local((const uint8_t *)"\xa1" "a", 2,
	    &(struct entry *){ tree_lookup(core.tree,
	    (const uint8_t *)"\xa1" "a", 2) }, NULL, 0), 0);
	ck_assert_ptr_null(last.value);
	n = nodes_find(&core.nodes, core.self);
	ck_assert(ranges_contains(&n->superseded, 1));
	ck_assert(ranges_contains(&n->present, 2));
	ck_assert(ranges_contains(&n->deleted, 2));

	/* another server's update: s2:9 on top of s1:2 */
	s2 = tree_node_intern(core.tree, "s2", 2);
	l[0].node = s2;
	l[0].tick = 9;
	l[1].node = core.self;
	l[1].tick = 2;
	tock = core.tock;
	e = NULL;
	ck_assert_int_eq(core_change_apply((const uint8_t *)"\xa1" "a", 2, &e,
	    (const uint8_t *)"\x02", 1, c, tock + 100, CHANGE_REMOTE), 0);
	ck_assert_ptr_eq(e, tree_lookup(core.tree, (const uint8_t *)"\xa1"
	    "a", 2));
	ck_assert_int_eq(last.origin, CHANGE_REMOTE);
	ck_assert_uint_eq(last.node, s2);
	ck_assert_uint_eq(core.tock, tock + 100);	/* adopted */
	ck_assert_uint_eq(core_tick(), 2);		/* ours unchanged */
	ck_assert_uint_eq(nodes_find(&core.nodes, s2)->tick, 9);
	ck_assert(ranges_contains(&nodes_find(&core.nodes, s2)->present, 9));
	ck_assert(ranges_contains(&n->present, 2));
	e = tree_lookup(core.tree, (const uint8_t *)"\xa1" "a", 2);
	ck_assert_uint_eq(entry_chain(e).n, 2);

	core_ack(7, (const uint8_t *)"abc", 3);		/* no netd: dropped */
	core_set_ack_hook(ack, NULL);
	core_ack(7, (const uint8_t *)"abc", 3);
	ck_assert_int_eq(nacks, 1);
	core_set_ack_hook(NULL, NULL);
	core_state_free();
}
END_TEST

TU_MAIN("state", 0, local_and_applied_changes)
