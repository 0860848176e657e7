/*
 * chain.c - change chains, their comparison, and the node name table.
 *
 * Comparison.  A chain's head is the change that produced the entry's
 * current state; the other links are changes that state was built on.
 * So if chain A holds a link for B's head node with a tick at least B's
 * head tick, whoever made A's head had already seen B's state: A is
 * NEWER.  Both heads equal means the same change: SAME.  If neither
 * holds the other's head (or, for inconsistent input, both do), the two
 * changes were made independently: CONFLICT.  An empty chain (an entry
 * nobody changed yet) is older than any non-empty one.
 *
 * Tie-break for CONFLICT, identical on every server because it looks
 * only at data all servers share (ticks and node names, never local
 * indexes):
 *	1. the head with the higher tick wins;
 *	2. on equal ticks, the head whose node name is bytewise greater
 *	   wins (memcmp over the common length, then the longer name);
 *	3. equal heads tie (0); chain_cmp() calls that SAME anyway.
 * Swapping the arguments negates the result, so two servers that see
 * the conflict from opposite sides still agree on the winner.
 *
 * The node table interns names in an open-addressing hash (FNV-1a,
 * power-of-two size, at most half full); there are few servers, so
 * names are never removed.
 */
#include <stdlib.h>
#include <string.h>

#include "core/chain.h"

struct nodename {
	char		*name;		/* NUL-terminated copy */
	size_t		 len;
};

struct nodetab {
	struct nodename	*names;
	uint32_t	 n, cap;
	uint32_t	*hash;		/* index+1, 0 = empty slot */
	uint32_t	 hsize;		/* power of two */
	size_t		 mem;
};

unsigned
chain_add(struct chain_link *out, struct chain old, unsigned maxlen,
    uint32_t node, uint64_t tick)
{
	unsigned	 i, n = 0;

	if (maxlen == 0)
		return 0;
	out[n].node = (uint16_t)node;
	out[n].tick = tick;
	n++;
	for (i = 0; i < old.n && n < maxlen; i++) {
		if (old.link[i].node == node)
			continue;
		out[n++] = old.link[i];
	}
	return n;
}

int
chain_find(struct chain c, uint32_t node)
{
	unsigned	 i;

	for (i = 0; i < c.n; i++)
		if (c.link[i].node == node)
			return (int)i;
	return -1;
}

/* Does c hold the link `l' or a later change by the same node? */
static int
covers(struct chain c, const struct chain_link *l)
{
	int	 i;

	if ((i = chain_find(c, l->node)) == -1)
		return 0;
	return c.link[i].tick >= l->tick;
}

enum chain_rel
chain_cmp(struct chain a, struct chain b)
{
	int	 an, bn;

	if (a.n == 0 || b.n == 0) {
		if (a.n == b.n)
			return CHAIN_SAME;
		return a.n ? CHAIN_NEWER : CHAIN_OLDER;
	}
	if (a.link[0].node == b.link[0].node &&
	    a.link[0].tick == b.link[0].tick)
		return CHAIN_SAME;
	an = covers(a, &b.link[0]);
	bn = covers(b, &a.link[0]);
	if (an && !bn)
		return CHAIN_NEWER;
	if (bn && !an)
		return CHAIN_OLDER;
	return CHAIN_CONFLICT;
}

int
chain_tiebreak(struct chain a, struct chain b, const struct nodetab *nt)
{
	const char	*na, *nb;
	size_t		 la = 0, lb = 0;
	uint64_t	 ta, tb;
	int		 c;

	if (a.n == 0 || b.n == 0)
		return (a.n != 0) - (b.n != 0);
	ta = a.link[0].tick;
	tb = b.link[0].tick;
	if (ta != tb)
		return ta > tb ? 1 : -1;
	if (a.link[0].node == b.link[0].node)
		return 0;
	na = nodetab_name(nt, a.link[0].node, &la);
	nb = nodetab_name(nt, b.link[0].node, &lb);
	if (na == NULL || nb == NULL)	/* unknown index: still total */
		return (na != NULL) - (nb != NULL);
	c = memcmp(na, nb, la < lb ? la : lb);
	if (c != 0)
		return c > 0 ? 1 : -1;
	return (la > lb) - (la < lb);
}

struct nodetab *
nodetab_new(void)
{
	struct nodetab	*nt;

	if ((nt = calloc(1, sizeof(*nt))) == NULL)
		return NULL;
	nt->hsize = 16;
	if ((nt->hash = calloc(nt->hsize, sizeof(*nt->hash))) == NULL) {
		free(nt);
		return NULL;
	}
	nt->mem = sizeof(*nt) + nt->hsize * sizeof(*nt->hash);
	return nt;
}

void
nodetab_free(struct nodetab *nt)
{
	uint32_t	 i;

	if (nt == NULL)
		return;
	for (i = 0; i < nt->n; i++)
		free(nt->names[i].name);
	free(nt->names);
	free(nt->hash);
	free(nt);
}

static uint32_t
fnv1a(const char *s, size_t len)
{
	uint32_t	 h = 2166136261U;

	while (len--) {
		h ^= (uint8_t)*s++;
		h *= 16777619U;
	}
	return h;
}

/* Slot holding the name, or the empty slot where it would go. */
static uint32_t
slot(const struct nodetab *nt, const char *s, size_t len)
{
	uint32_t	 i, idx;

	i = fnv1a(s, len) & (nt->hsize - 1);
	while ((idx = nt->hash[i]) != 0) {
		if (nt->names[idx - 1].len == len &&
		    memcmp(nt->names[idx - 1].name, s, len) == 0)
			break;
		i = (i + 1) & (nt->hsize - 1);
	}
	return i;
}

uint32_t
nodetab_find(const struct nodetab *nt, const char *s, size_t len)
{
	uint32_t	 idx = nt->hash[slot(nt, s, len)];

	return idx == 0 ? NODE_NONE : idx - 1;
}

static int
rehash(struct nodetab *nt)
{
	uint32_t	*old = nt->hash, oldsize = nt->hsize, i;

	if ((nt->hash = calloc(oldsize * 2, sizeof(*nt->hash))) == NULL) {
		nt->hash = old;
		return -1;
	}
	nt->hsize = oldsize * 2;
	for (i = 0; i < nt->n; i++)
		nt->hash[slot(nt, nt->names[i].name, nt->names[i].len)] =
		    i + 1;
	free(old);
	nt->mem += oldsize * sizeof(*nt->hash);
	return 0;
}

static int
grow_names(struct nodetab *nt)
{
	struct nodename	*nn;
	uint32_t	 cap = nt->cap ? nt->cap * 2 : 8;

	if ((nn = reallocarray(nt->names, cap, sizeof(*nn))) == NULL)
		return -1;
	nt->mem += (cap - nt->cap) * sizeof(*nn);
	nt->names = nn;
	nt->cap = cap;
	return 0;
}

uint32_t
nodetab_intern(struct nodetab *nt, const char *s, size_t len)
{
	uint32_t	 i, idx;
	char		*copy;

	i = slot(nt, s, len);
	if ((idx = nt->hash[i]) != 0)
		return idx - 1;
	if (nt->n > NODE_MAX)
		return NODE_NONE;
	if ((nt->n + 1) * 2 > nt->hsize) {
		if (rehash(nt) == -1)
			return NODE_NONE;
		i = slot(nt, s, len);
	}
	if (nt->n == nt->cap && grow_names(nt) == -1)
		return NODE_NONE;
	if ((copy = malloc(len + 1)) == NULL)
		return NODE_NONE;
	memcpy(copy, s, len);
	copy[len] = '\0';
	nt->names[nt->n].name = copy;
	nt->names[nt->n].len = len;
	nt->hash[i] = ++nt->n;
	nt->mem += len + 1;
	return nt->n - 1;
}

const char *
nodetab_name(const struct nodetab *nt, uint32_t idx, size_t *lenp)
{
	if (idx >= nt->n)
		return NULL;
	if (lenp != NULL)
		*lenp = nt->names[idx].len;
	return nt->names[idx].name;
}

uint32_t
nodetab_count(const struct nodetab *nt)
{
	return nt->n;
}

size_t
nodetab_mem(const struct nodetab *nt)
{
	return nt->mem;
}
