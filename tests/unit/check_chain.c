/*
 * check_chain.c - change chains: adding a change (dedup, truncation),
 * comparison (same, newer, older, conflict) and the conflict tie-break,
 * which must be antisymmetric and decided by names, not local indexes;
 * the node name table; and chains as tree entries carry them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/chain.h"
#include "core/tree.h"
#include "tests/unit/testutil.h"

#define K	((const uint8_t *)"\xa1k")	/* the path ("k") */

static struct chain
mk(struct chain_link *l, unsigned n)
{
	struct chain	 c = { l, n };

	return c;
}

static void
assert_links(struct chain c, const uint32_t *nodes, const uint64_t *ticks,
    unsigned n)
{
	unsigned	 i;

	ck_assert_uint_eq(c.n, n);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(c.link[i].node, nodes[i]);
		ck_assert_uint_eq(c.link[i].tick, ticks[i]);
	}
}

START_TEST(add_dedups_and_truncates)
{
	struct chain_link a[8], b[8];
	struct chain	 c = mk(a, 0);
	static const uint32_t n1[] = { 2, 1, 0 };
	static const uint64_t t1[] = { 30, 20, 10 };
	static const uint32_t n2[] = { 1, 2, 0 };
	static const uint64_t t2[] = { 40, 30, 10 };
	static const uint32_t n3[] = { 3, 1, 2 };
	static const uint64_t t3[] = { 50, 40, 30 };

	ck_assert_uint_eq(sizeof(struct chain_link), 10);
	c.n = chain_add(b, c, 3, 0, 10);
	memcpy(a, b, sizeof(a));
	c.n = chain_add(b, c, 3, 1, 20);
	memcpy(a, b, sizeof(a));
	c.n = chain_add(b, c, 3, 2, 30);
	memcpy(a, b, sizeof(a));
	assert_links(c, n1, t1, 3);
	/* Node 1 again: its old link goes, it moves to the front. */
	c.n = chain_add(b, c, 3, 1, 40);
	memcpy(a, b, sizeof(a));
	assert_links(c, n2, t2, 3);
	/* A new node pushes the oldest link out. */
	c.n = chain_add(b, c, 3, 3, 50);
	memcpy(a, b, sizeof(a));
	assert_links(c, n3, t3, 3);
	ck_assert_int_eq(chain_find(c, 2), 2);
	ck_assert_int_eq(chain_find(c, 0), -1);
	/* maxlen 1 keeps the head only. */
	ck_assert_uint_eq(chain_add(b, c, 1, 7, 1), 1);
	ck_assert_uint_eq(b[0].node, 7);
}
END_TEST

START_TEST(compare)
{
	struct chain_link x[] = { { 1, 7 }, { 2, 2 } };
	struct chain_link y[] = { { 1, 5 }, { 3, 9 } };
	struct chain_link z[] = { { 2, 3 }, { 1, 5 } };
	struct chain_link w[] = { { 3, 9 } };
	struct chain_link s[] = { { 1, 7 }, { 9, 9 } };
	struct chain_link p[] = { { 1, 5 }, { 2, 4 } };
	struct chain_link q[] = { { 2, 4 }, { 1, 5 } };
	struct chain	 X = mk(x, 2), Y = mk(y, 2), Z = mk(z, 2);
	struct chain	 W = mk(w, 1), S = mk(s, 2), E = mk(NULL, 0);

	/* Same head link: the same change, whatever follows. */
	ck_assert_int_eq(chain_cmp(X, X), CHAIN_SAME);
	ck_assert_int_eq(chain_cmp(X, S), CHAIN_SAME);
	ck_assert_int_eq(chain_cmp(E, E), CHAIN_SAME);
	/* X holds node 1 at tick 7 >= Y's head (1,5): X is newer. */
	ck_assert_int_eq(chain_cmp(X, Y), CHAIN_NEWER);
	ck_assert_int_eq(chain_cmp(Y, X), CHAIN_OLDER);
	/* Y holds W's head (3,9). */
	ck_assert_int_eq(chain_cmp(Y, W), CHAIN_NEWER);
	ck_assert_int_eq(chain_cmp(W, Y), CHAIN_OLDER);
	/* Z was built on (1,5) = Y's head; Y has no link of node 2. */
	ck_assert_int_eq(chain_cmp(Z, Y), CHAIN_NEWER);
	/* X has (2,2) < Z's head (2,3); Z has (1,5) < X's head (1,7). */
	ck_assert_int_eq(chain_cmp(X, Z), CHAIN_CONFLICT);
	ck_assert_int_eq(chain_cmp(Z, X), CHAIN_CONFLICT);
	ck_assert_int_eq(chain_cmp(Z, W), CHAIN_CONFLICT);
	/* Each contains the other's head: inconsistent, so a conflict. */
	ck_assert_int_eq(chain_cmp(mk(p, 2), mk(q, 2)), CHAIN_CONFLICT);
	/* Anything beats a never-changed entry. */
	ck_assert_int_eq(chain_cmp(W, E), CHAIN_NEWER);
	ck_assert_int_eq(chain_cmp(E, W), CHAIN_OLDER);
}
END_TEST

START_TEST(tiebreak_by_tick_then_name)
{
	struct nodetab	*nt = nodetab_new();
	uint32_t	 zed, alpha, alp;
	struct chain_link a[1], b[1];
	struct chain	 A = mk(a, 1), B = mk(b, 1);

	ck_assert_ptr_nonnull(nt);
	/* Interned in an order unlike the names' order on purpose. */
	zed = nodetab_intern(nt, "zed", 3);
	alpha = nodetab_intern(nt, "alpha", 5);
	alp = nodetab_intern(nt, "alp", 3);

	a[0].node = alpha;
	a[0].tick = 10;
	b[0].node = zed;
	b[0].tick = 9;
	ck_assert_int_gt(chain_tiebreak(A, B, nt), 0);	/* higher tick */
	ck_assert_int_lt(chain_tiebreak(B, A, nt), 0);
	b[0].tick = 10;
	ck_assert_int_lt(chain_tiebreak(A, B, nt), 0);	/* "zed" > "alpha" */
	ck_assert_int_gt(chain_tiebreak(B, A, nt), 0);
	b[0].node = alp;
	ck_assert_int_gt(chain_tiebreak(A, B, nt), 0);	/* longer wins */
	ck_assert_int_lt(chain_tiebreak(B, A, nt), 0);
	b[0].node = alpha;
	ck_assert_int_eq(chain_tiebreak(A, B, nt), 0);
	ck_assert_int_gt(chain_tiebreak(A, mk(NULL, 0), nt), 0);
	nodetab_free(nt);
}
END_TEST

/* Every pair of a small universe: cmp and tiebreak are antisymmetric. */
START_TEST(symmetry)
{
	struct nodetab	*nt = nodetab_new();
	struct chain_link l[64][3];
	struct chain	 c[64];
	unsigned	 i, j, k;
	int		 r1, r2;
	char		 name[8];

	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "n%u", 3 - i);
		ck_assert_uint_eq(nodetab_intern(nt, name, strlen(name)), i);
	}
	srandom(7);
	for (i = 0; i < 64; i++) {
		c[i].link = l[i];
		c[i].n = 0;
		for (k = 0; k < 1 + i % 3; k++) {
			struct chain_link tmp[3];
			struct chain	 cur = { l[i], c[i].n };

			c[i].n = chain_add(tmp, cur, 3, random() % 4,
			    1 + random() % 4);
			memcpy(l[i], tmp, sizeof(tmp));
		}
	}
	for (i = 0; i < 64; i++) {
		for (j = 0; j < 64; j++) {
			r1 = chain_cmp(c[i], c[j]);
			r2 = chain_cmp(c[j], c[i]);
			if (r1 == CHAIN_CONFLICT)
				ck_assert_int_eq(r2, CHAIN_CONFLICT);
			else
				ck_assert_int_eq(r1, -r2);
			r1 = chain_tiebreak(c[i], c[j], nt);
			r2 = chain_tiebreak(c[j], c[i], nt);
			ck_assert_int_eq(r1, -r2);
		}
	}
	nodetab_free(nt);
}
END_TEST

START_TEST(node_table)
{
	struct nodetab	*nt = nodetab_new();
	char		 name[32];
	const char	*s;
	size_t		 len;
	uint32_t	 i;

	ck_assert_uint_eq(nodetab_find(nt, "x", 1), NODE_NONE);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "server-%u", i);
		ck_assert_uint_eq(nodetab_intern(nt, name, strlen(name)), i);
	}
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "server-%u", i);
		ck_assert_uint_eq(nodetab_intern(nt, name, strlen(name)), i);
		ck_assert_uint_eq(nodetab_find(nt, name, strlen(name)), i);
		s = nodetab_name(nt, i, &len);
		ck_assert_str_eq(s, name);
		ck_assert_uint_eq(len, strlen(name));
	}
	/* Names are bytes: embedded NULs and the empty name work. */
	ck_assert_uint_eq(nodetab_intern(nt, "a\0b", 3), 1000);
	ck_assert_uint_eq(nodetab_intern(nt, "a", 1), 1001);
	ck_assert_uint_eq(nodetab_intern(nt, "", 0), 1002);
	ck_assert_uint_eq(nodetab_count(nt), 1003);
	ck_assert_ptr_null(nodetab_name(nt, 1003, &len));
	ck_assert_uint_gt(nodetab_mem(nt), 1000 * 8);
	nodetab_free(nt);
}
END_TEST

/*
 * Chains as entries keep them: through entry_set(), entry_delete()
 * (tombstones keep their chain) and entry_update().
 */
START_TEST(entry_chains_and_tombstones)
{
	struct tree	*t = tree_new(3);
	struct entry	*e;
	struct chain	 c;
	uint32_t	 a, b, x, y;
	const uint8_t	*v;
	size_t		 len;

	ck_assert_uint_eq(tree_node_intern(t, "self", 4), 0);
	a = tree_node_intern(t, "a", 1);
	b = tree_node_intern(t, "b", 1);
	x = tree_node_intern(t, "x", 1);
	y = tree_node_intern(t, "y", 1);
	ck_assert_uint_eq(tree_node_intern(t, "b", 1), b);
	ck_assert_str_eq(tree_node_name(t, y, &len), "y");
	e = tree_lookup_create(t, K, 2);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x01", 1, 0, 1,
	    99), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x02", 1, a, 10,
	    100), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x03", 1, b, 5,
	    101), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x04", 1, a, 11,
	    102), 0);
	c = entry_chain(e);
	ck_assert_uint_eq(c.n, 3);	/* a11, b5, node 0 */
	ck_assert_uint_eq(c.link[0].node, a);
	ck_assert_uint_eq(c.link[0].tick, 11);
	ck_assert_uint_eq(c.link[1].node, b);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x05", 1, x, 1,
	    103), 0);
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\x06", 1, y, 1,
	    104), 0);
	c = entry_chain(e);
	ck_assert_uint_eq(c.n, 3);	/* truncated to maxlen */
	ck_assert_uint_eq(c.link[0].node, y);
	ck_assert_uint_eq(c.link[1].node, x);
	ck_assert_uint_eq(c.link[2].node, a);
	ck_assert_uint_eq(entry_tock(e), 104);
	ck_assert_uint_eq(entry_value(e, &len)[0], 6);
	/* Delete: a tombstone keeps (and extends) its chain. */
	ck_assert_uint_eq(tree_nvalues(t), 1);
	ck_assert_int_eq(entry_delete(t, &e, b, 6, 105), 0);
	ck_assert(!entry_has_value(e));
	ck_assert_ptr_null(entry_value(e, &len));
	ck_assert_uint_eq(tree_nvalues(t), 0);
	ck_assert_uint_eq(tree_count(t), 1);
	c = entry_chain(e);
	ck_assert_uint_eq(c.link[0].node, b);
	ck_assert_uint_eq(c.link[0].tick, 6);
	ck_assert_uint_eq(entry_tock(e), 105);
	ck_assert_ptr_eq(tree_lookup(t, K, 2), e);
	/* A nil value is a value. */
	ck_assert_int_eq(entry_set(t, &e, (const uint8_t *)"\xc0", 1, a, 12,
	    106), 0);
	ck_assert(entry_has_value(e));
	v = entry_value(e, &len);
	ck_assert_uint_eq(len, 1);
	ck_assert_uint_eq(v[0], 0xc0);
	/* A whole chain from elsewhere, aliasing the entry's own. */
	c = entry_chain(e);
	c.n = 2;
	ck_assert_int_eq(entry_update(t, &e, NULL, 0, c, 107), 0);
	c = entry_chain(e);
	ck_assert_uint_eq(c.n, 2);
	ck_assert_uint_eq(c.link[0].node, a);
	ck_assert_uint_eq(c.link[1].node, b);
	ck_assert(!entry_has_value(e));
	ck_assert_int_eq(tree_check(t), 0);
	tree_free(t);
}
END_TEST

TU_MAIN("chain", 0, add_dedups_and_truncates, compare,
    tiebreak_by_tick_then_name, symmetry, node_table,
    entry_chains_and_tombstones)
