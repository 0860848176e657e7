/*
 * check_nodes.c - per-node tick bookkeeping: present/superseded as
 * chains change, deletions, missing, and the get_state wire format of
 * the original's capture.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "core/nodes.h"
#include "tests/unit/testutil.h"

static struct chain
mk(struct chain_link *l, unsigned n)
{
	struct chain	 c = { l, n };

	return c;
}

static struct chain_link
L(uint16_t node, uint64_t tick)
{
	struct chain_link l;

	l.node = node;
	l.tick = tick;
	return l;
}

static int
has(const struct ranges *r, uint64_t t)
{
	return ranges_contains(r, t);
}

START_TEST(chain_changes_move_ticks)
{
	struct nodes	 ns;
	struct nodeinfo	*n;
	struct chain_link a[2], b[2];

	nodes_init(&ns);
	/* new entry: (0,2) */
	a[0] = L(0, 2);
	ck_assert_int_eq(nodes_chain_changed(&ns, mk(a, 0), mk(a, 1), 0), 0);
	n = nodes_find(&ns, 0);
	ck_assert_ptr_nonnull(n);
	ck_assert(has(&n->present, 2));
	ck_assert_uint_eq(n->tick, 2);
	/* overwritten by (0,3): 2 is superseded */
	b[0] = L(0, 3);
	ck_assert_int_eq(nodes_chain_changed(&ns, mk(a, 1), mk(b, 1), 0), 0);
	n = nodes_find(&ns, 0);
	ck_assert(!has(&n->present, 2) && has(&n->superseded, 2));
	ck_assert(has(&n->present, 3));
	/* node 1 changes it: (1,7),(0,3): both present */
	a[0] = L(1, 7);
	a[1] = L(0, 3);
	ck_assert_int_eq(nodes_chain_changed(&ns, mk(b, 1), mk(a, 2), 0), 0);
	ck_assert(has(&nodes_find(&ns, 0)->present, 3));
	ck_assert(has(&nodes_find(&ns, 1)->present, 7));
	ck_assert_uint_eq(nodes_find(&ns, 1)->tick, 7);
	/* deletion by node 0, tick 9: deleted and present */
	b[0] = L(0, 9);
	b[1] = L(1, 7);
	ck_assert_int_eq(nodes_chain_changed(&ns, mk(a, 2), mk(b, 2), 1), 0);
	n = nodes_find(&ns, 0);
	ck_assert(has(&n->deleted, 9) && has(&n->present, 9));
	ck_assert(has(&n->superseded, 3) && !has(&n->present, 3));
	ck_assert(!has(&nodes_find(&ns, 1)->deleted, 7));
	nodes_free(&ns);
}
END_TEST

START_TEST(missing_is_the_gaps)
{
	struct nodes	 ns;
	struct nodeinfo	*n;
	struct ranges	 m = RANGES_INITIALIZER;

	nodes_init(&ns);
	n = nodes_get(&ns, 3);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(nodes_missing(n, &m), 0);
	ck_assert(ranges_empty(&m));		/* tick 0: nothing */
	ck_assert_int_eq(ranges_add(&n->present, 1), 0);
	ck_assert_int_eq(ranges_add(&n->superseded, 4), 0);
	ck_assert_int_eq(nodes_tick(&ns, 3, 6), 0);
	n = nodes_find(&ns, 3);
	ck_assert_int_eq(nodes_missing(n, &m), 0);
	ck_assert_uint_eq(ranges_count(&m), 4);	/* 2 3 5 6 */
	ck_assert(ranges_contains(&m, 2) && ranges_contains(&m, 6));
	ck_assert(!ranges_contains(&m, 4) && !ranges_contains(&m, 1));
	ck_assert_ptr_null(nodes_find(&ns, 100));
	ranges_free(&m);
	nodes_free(&ns);
}
END_TEST

START_TEST(state_wire_format)
{
	struct nodes	 ns;
	struct nodetab	*tab = nodetab_new();
	struct nodeinfo	*n;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	char		*txt;
	/* msgpack_object_print's notation; values as in the capture */
	static const char want[] =
	    "{\"nodes\"=>{\"s1\"=>40}, \"known\"=>{\"s1\"=>[[2, 5], [18, 20], "
	    "21, 24]}, \"present\"=>{\"s1\"=>[1, [5, 18]]}, \"deleted\"=>"
	    "{\"s1\"=>[[5, 7], 26]}, \"missing\"=>{\"s1\"=>[20, [22, 24], "
	    "[25, 41]]}, \"remote_missing\"=>{}, \"debug\"=>{}}";
	uint32_t	 s1;
	uint64_t	 t;
	size_t		 off = 0;
	unsigned	 which = NS_NODES | NS_KNOWN | NS_PRESENT | NS_DELETED |
	    NS_MISSING | NS_REMOTE | NS_DEBUG;

	nodes_init(&ns);
	nodetab_intern(tab, "other", 5);	/* index 0, never seen */
	s1 = nodetab_intern(tab, "s1", 2);
	n = nodes_get(&ns, s1);
	n->tick = 40;
	for (t = 2; t < 5; t++)
		ranges_add(&n->superseded, t);
	ranges_add_range(&n->superseded, 18, 20);
	ranges_add(&n->superseded, 21);
	ranges_add(&n->superseded, 24);
	ranges_add(&n->present, 1);
	ranges_add_range(&n->present, 5, 18);
	ranges_add_range(&n->deleted, 5, 7);
	ranges_add(&n->deleted, 26);
	nodes_get(&ns, 0);

	ck_assert_uint_eq(nodes_state_nkeys(which), 7);
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_map(&pk, nodes_state_nkeys(which));
	ck_assert_int_eq(nodes_pack_state(&ns, tab, which, &pk), 0);
	msgpack_unpacked_init(&u);
	ck_assert_int_eq(msgpack_unpack_next(&u, sb.data, sb.size, &off),
	    MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, sb.size);
	txt = calloc(1, 4096);
	msgpack_object_print_buffer(txt, 4096, u.data);
	ck_assert_str_eq(txt, want);
	free(txt);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	nodetab_free(tab);
	nodes_free(&ns);
}
END_TEST

TU_MAIN("nodes", 0, chain_changes_move_ticks, missing_is_the_gaps,
    state_wire_format)
