/*
 * check_tickidx.c - the tree's (node, tick) index behind get_value by
 * node and tick (tree_find_event()): it finds exactly what the chains
 * hold - through overwrites by the same and other nodes, chains cut to
 * their length, tombstones, purges, entries that move in memory as they
 * grow or get children, whole chains installed as a load does, and
 * long random runs checked against a walk of the whole tree (what the
 * server did before it had the index), with the index there from the
 * start or built by a first question late in the run.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/tree.h"
#include "tests/unit/testutil.h"

/* A path of two short str elements: ("k", "<n>"). */
static size_t
key(uint8_t *buf, unsigned n)
{
	int	 l = snprintf((char *)buf + 3, 12, "%u", n);

	buf[0] = 0xa1;
	buf[1] = 'k';
	buf[2] = (uint8_t)(0xa0 | l);
	return 3 + (size_t)l;
}

static struct entry *
at(struct tree *t, unsigned n)
{
	uint8_t	 p[16];

	return tree_lookup(t, p, key(p, n));
}

static struct entry *
set(struct tree *t, unsigned n, const char *val, uint32_t node,
    uint64_t tick)
{
	uint8_t		 p[16];
	struct entry	*e;

	ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, key(p, n)));
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)val, strlen(val),
	    node, tick, tick), 0);
	return e;
}

static void
del(struct tree *t, unsigned n, uint32_t node, uint64_t tick)
{
	struct entry	*e = at(t, n);

	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(entry_delete(t, &e, node, tick, tick), 0);
}

/* Does e's chain hold (node, tick)? */
static int
holds(const struct entry *e, uint32_t node, uint64_t tick)
{
	struct chain	 c = entry_chain(e);
	int		 i = chain_find(c, node);

	return i >= 0 && c.link[i].tick == tick;
}

/* Every link of every chain in the tree is found, at its entry. */
static int
all_links_visit(struct entry *e, const uint8_t *p, size_t len,
    unsigned depth, void *arg)
{
	struct tree	*t = arg;
	struct chain	 c = entry_chain(e);
	unsigned	 i;

	for (i = 0; i < c.n; i++)
		if (tree_find_event(t, c.link[i].node, c.link[i].tick) != e)
			ck_abort_msg("link %u of an entry not found", i);
	return 0;
}

START_TEST(overwrites_and_chain_length)
{
	struct tree	*t = tree_new(3);
	uint32_t	 a = tree_node_intern(t, "a", 1);
	uint32_t	 b = tree_node_intern(t, "b", 1);
	uint32_t	 c = tree_node_intern(t, "c", 1);
	uint32_t	 d = tree_node_intern(t, "d", 1);
	struct entry	*e;

	ck_assert_ptr_null(tree_find_event(t, a, 1));
	e = set(t, 1, "one", a, 1);
	ck_assert_ptr_eq(tree_find_event(t, a, 1), e);
	ck_assert_ptr_null(tree_find_event(t, a, 2));
	ck_assert_ptr_null(tree_find_event(t, b, 1));
	/* the same node again: its old tick is gone from the chain */
	e = set(t, 1, "two", a, 2);
	ck_assert_ptr_null(tree_find_event(t, a, 1));
	ck_assert_ptr_eq(tree_find_event(t, a, 2), e);
	/* another node: both links are in the chain */
	e = set(t, 1, "three, a longer value", b, 7);
	ck_assert_ptr_eq(tree_find_event(t, a, 2), e);
	ck_assert_ptr_eq(tree_find_event(t, b, 7), e);
	/* a third and a fourth node: a (the oldest) falls off, length 3 */
	e = set(t, 1, "4", c, 3);
	ck_assert_ptr_eq(tree_find_event(t, a, 2), e);
	e = set(t, 1, "5", d, 4);
	ck_assert_ptr_null(tree_find_event(t, a, 2));
	ck_assert_ptr_eq(tree_find_event(t, b, 7), e);
	ck_assert_ptr_eq(tree_find_event(t, c, 3), e);
	ck_assert_ptr_eq(tree_find_event(t, d, 4), e);
	/* another entry's events do not get mixed up */
	ck_assert_ptr_ne(set(t, 2, "x", a, 5), e);
	ck_assert_ptr_eq(tree_find_event(t, a, 5), at(t, 2));
	ck_assert_ptr_eq(tree_find_event(t, d, 4), at(t, 1));
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
}
END_TEST

START_TEST(tombstones_purges_and_moves)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	uint32_t	 a = tree_node_intern(t, "a", 1);
	struct entry	*e, *kid;
	uint8_t		 p[32], big[5000];
	size_t		 len;

	e = set(t, 1, "v", a, 1);
	del(t, 1, a, 2);
	/* a tombstone keeps its chain, so its events are still found */
	ck_assert_ptr_eq(tree_find_event(t, a, 2), at(t, 1));
	ck_assert(!entry_has_value(at(t, 1)));
	ck_assert_ptr_null(tree_find_event(t, a, 1));
	ck_assert_int_eq(tree_purge(t, at(t, 1)), 0);
	ck_assert_ptr_null(tree_find_event(t, a, 2));
	ck_assert_ptr_null(at(t, 1));

	/* a value growing a lot moves the entry (realloc) */
	e = set(t, 3, "small", a, 3);
	memset(big, 'x', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	e = set(t, 3, (const char *)big, a, 4);
	ck_assert_ptr_eq(tree_find_event(t, a, 4), e);
	/* a first child moves its parent; the parent's event follows */
	len = key(p, 3);
	p[len] = 0xa1;
	p[len + 1] = 'c';
	ck_assert_ptr_nonnull(kid = tree_lookup_create(t, p, len + 2));
	ck_assert_int_eq(entry_set(t, &kid, (const uint8_t *)"\x01", 1, a, 5,
	    5), 0);
	ck_assert_ptr_eq(tree_find_event(t, a, 4), entry_parent(kid));
	ck_assert_ptr_eq(tree_find_event(t, a, 4), at(t, 3));
	ck_assert_ptr_eq(tree_find_event(t, a, 5), kid);
	ck_assert_int_eq(tree_check(t), 0);
	/* the root can carry a chain too */
	e = tree_root(t);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x02", 1, a, 6,
	    6), 0);
	ck_assert_ptr_eq(tree_find_event(t, a, 6), tree_root(t));
	tree_free(t);
}
END_TEST

/*
 * Parents filling their malloc chunk to the byte (24 + 2 + 10 + 20 =
 * 56) must move for the 8-byte children slot: the index follows.
 */
START_TEST(parents_moved_by_a_first_child)
{
	struct tree	*t = tree_new(CHAIN_DEFLEN);
	uint32_t	 a = tree_node_intern(t, "a", 1);
	struct entry	*e, *was[10];
	uint8_t		 p[16];
	size_t		 len;
	unsigned	 i, moved = 0;

	for (i = 0; i < 10; i++)
		was[i] = set(t, i, "twenty bytes of data", a, i + 1);
	for (i = 0; i < 10; i++) {
		p[0] = 0xa1;
		p[1] = (uint8_t)('0' + i);
		ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, 2));
		(void)e;
		/* ("k", i) is the entry under test; ("0".."9") only sit
		   between the chunks */
	}
	for (i = 0; i < 10; i++) {
		len = key(p, i);
		p[len] = 0xa1;
		p[len + 1] = 'c';
		ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, len + 2));
		moved += entry_parent(e) != was[i];
		ck_assert_ptr_eq(tree_find_event(t, a, i + 1),
		    entry_parent(e));
	}
	ck_assert_uint_gt(moved, 0);
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
}
END_TEST

/* entry_update() installs a whole chain, as loading a snapshot does. */
START_TEST(installed_chains)
{
	struct tree		*t = tree_new(CHAIN_DEFLEN);
	uint32_t		 a = tree_node_intern(t, "a", 1);
	uint32_t		 b = tree_node_intern(t, "b", 1);
	struct chain_link	 l[2] = { { (uint16_t)b, 40 },
				    { (uint16_t)a, 1ULL << 40 } };
	struct chain		 c = { l, 2 };
	struct entry		*e;
	uint8_t			 p[16];

	ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, key(p, 9)));
	ck_assert_int_eq(entry_update(t, &e, (const uint8_t *)"\x01", 1, c,
	    9), 0);
	ck_assert_ptr_eq(tree_find_event(t, b, 40), e);
	ck_assert_ptr_eq(tree_find_event(t, a, 1ULL << 40), e);
	/* replaced by a chain that no longer has a's link */
	c.n = 1;
	l[0].tick = 41;
	ck_assert_int_eq(entry_update(t, &e, NULL, 0, c, 10), 0);
	ck_assert_ptr_eq(tree_find_event(t, b, 41), e);
	ck_assert_ptr_null(tree_find_event(t, b, 40));
	ck_assert_ptr_null(tree_find_event(t, a, 1ULL << 40));
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
}
END_TEST

/*
 * Random sets, deletes and purges by four nodes over 3000 keys, with
 * values of random sizes (so entries move).  After every step the new
 * event is found at its entry (or not at all once purged); every 2000
 * steps a walk of the whole tree (what the server did before it had
 * the index) finds every chain link through the index, and every event
 * ever made that the index finds is in the chain it points to.  Nothing
 * asks before step first_ask, so the index does not exist until then.
 */
static void
random_run(unsigned first_ask)
{
	enum { KEYS = 3000, STEPS = 40000, NODES = 4 };
	struct tree	*t = tree_new(3);
	uint64_t	 seed = 777, tick[NODES] = { 0 };
	uint32_t	 node[NODES], *evnode, r;
	uint64_t	*evtick;
	unsigned	 i, j, n, k, found = 0, gone = 0;
	char		 val[300];
	struct entry	*e;

	evnode = calloc(STEPS, sizeof(*evnode));
	evtick = calloc(STEPS, sizeof(*evtick));
	ck_assert(evnode != NULL && evtick != NULL);
	for (i = 0; i < NODES; i++)
		node[i] = tree_node_intern(t, (const char []){ 'n',
		    (char)('0' + i) }, 2);
	for (i = 0; i < STEPS; i++) {
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		r = (uint32_t)(seed >> 11);
		k = r % KEYS;
		n = (r >> 12) % NODES;
		evnode[i] = node[n];
		evtick[i] = ++tick[n];
		if (at(t, k) != NULL && (r >> 20) % 5 == 0) {
			del(t, k, node[n], tick[n]);
			if ((r >> 24) % 2 == 0)
				ck_assert_int_eq(tree_purge(t, at(t, k)), 0);
		} else {
			memset(val, 'v', sizeof(val));
			val[(r >> 16) % (sizeof(val) - 1)] = '\0';
			(void)set(t, k, val, node[n], tick[n]);
		}
		if (i < first_ask)
			continue;
		e = at(t, k);
		ck_assert_ptr_eq(tree_find_event(t, evnode[i], evtick[i]), e);
		if (i % 2000 != 1999)
			continue;
		ck_assert_int_eq(tree_check(t), 0);
		ck_assert_int_eq(tree_walk(t, NULL, 0, 0, TREE_DEPTH_ANY,
		    TREE_WALK_EMPTY, all_links_visit, t), 0);
		for (j = 0; j <= i; j++) {
			e = tree_find_event(t, evnode[j], evtick[j]);
			if (e == NULL)
				gone++;
			else if (!holds(e, evnode[j], evtick[j]))
				ck_abort_msg("event %u found in the wrong entry",
				    j);
			else
				found++;
		}
	}
	/* overwrites and purges made events unfindable, but not all */
	ck_assert_uint_gt(found, KEYS);
	ck_assert_uint_gt(gone, KEYS);
	free(evnode);
	free(evtick);
	tree_free(t);
}

START_TEST(random_run_agrees_with_a_walk)
{
	random_run(0);
}
END_TEST

/* The index is built on the first question, over what is there then. */
START_TEST(index_built_late_then_kept)
{
	random_run(25000);
}
END_TEST

TU_MAIN("tickidx", 300, overwrites_and_chain_length,
    tombstones_purges_and_moves, parents_moved_by_a_first_child,
    installed_chains, random_run_agrees_with_a_walk,
    index_built_late_then_kept)
