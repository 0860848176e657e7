/*
 * nodes.c - per-node tick bookkeeping (see nodes.h).
 *
 * Records are indexed by the node's name-table index, so lookups on
 * the change path are one array access; the array grows by doubling.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/nodes.h"
#include "lib/mp.h"

void
nodes_init(struct nodes *ns)
{
	ns->n = NULL;
	ns->count = 0;
}

void
nodes_free(struct nodes *ns)
{
	uint32_t	 i;

	for (i = 0; i < ns->count; i++) {
		ranges_free(&ns->n[i].present);
		ranges_free(&ns->n[i].superseded);
		ranges_free(&ns->n[i].deleted);
		ranges_free(&ns->n[i].reported);
	}
	free(ns->n);
	nodes_init(ns);
}

struct nodeinfo *
nodes_find(const struct nodes *ns, uint32_t idx)
{
	return idx < ns->count ? &ns->n[idx] : NULL;
}

struct nodeinfo *
nodes_get(struct nodes *ns, uint32_t idx)
{
	struct nodeinfo	*n;
	uint32_t	 cap;

	if (idx < ns->count)
		return &ns->n[idx];
	if (idx > NODE_MAX) {
		errno = EINVAL;
		return NULL;
	}
	cap = ns->count ? ns->count : 4;
	while (cap <= idx)
		cap *= 2;
	if ((n = reallocarray(ns->n, cap, sizeof(*n))) == NULL)
		return NULL;
	memset(n + ns->count, 0, (cap - ns->count) * sizeof(*n));
	ns->n = n;
	ns->count = cap;
	return &ns->n[idx];
}

int
nodes_tick(struct nodes *ns, uint32_t idx, uint64_t tick)
{
	struct nodeinfo	*n;

	if ((n = nodes_get(ns, idx)) == NULL)
		return -1;
	if (tick > n->tick)
		n->tick = tick;
	return 0;
}

static int
in_chain(struct chain c, uint32_t node, uint64_t tick)
{
	unsigned	 i;

	for (i = 0; i < c.n; i++)
		if (c.link[i].node == node && c.link[i].tick == tick)
			return 1;
	return 0;
}

int
nodes_chain_changed(struct nodes *ns, struct chain old, struct chain new,
    int deleted)
{
	struct nodeinfo	*n;
	unsigned	 i;

	for (i = 0; i < old.n; i++) {
		if (in_chain(new, old.link[i].node, old.link[i].tick))
			continue;
		if ((n = nodes_get(ns, old.link[i].node)) == NULL ||
		    ranges_add(&n->superseded, old.link[i].tick) == -1)
			return -1;
		(void)ranges_remove(&n->present, old.link[i].tick);
	}
	for (i = 0; i < new.n; i++) {
		if ((n = nodes_get(ns, new.link[i].node)) == NULL ||
		    ranges_add(&n->present, new.link[i].tick) == -1)
			return -1;
		if (ranges_contains(&n->superseded, new.link[i].tick))
			(void)ranges_remove(&n->superseded, new.link[i].tick);
		if (new.link[i].tick > n->tick)
			n->tick = new.link[i].tick;
		/* someone reported it missing: we have it now */
		if (ranges_contains(&n->reported, new.link[i].tick))
			(void)ranges_remove(&n->reported, new.link[i].tick);
	}
	if (deleted && new.n > 0) {
		n = nodes_get(ns, new.link[0].node);
		if (n == NULL || ranges_add(&n->deleted, new.link[0].tick) == -1)
			return -1;
	}
	return 0;
}

int
nodes_purged(struct nodes *ns, struct chain c)
{
	struct nodeinfo	*n;
	unsigned	 i;

	for (i = 0; i < c.n; i++) {
		if ((n = nodes_get(ns, c.link[i].node)) == NULL ||
		    ranges_add(&n->superseded, c.link[i].tick) == -1)
			return -1;
		(void)ranges_remove(&n->present, c.link[i].tick);
		(void)ranges_remove(&n->deleted, c.link[i].tick);
		(void)ranges_remove(&n->reported, c.link[i].tick);
	}
	return 0;
}

void
nodes_forget(struct nodeinfo *n)
{
	ranges_free(&n->present);
	ranges_free(&n->superseded);
	ranges_free(&n->deleted);
	ranges_free(&n->reported);
	n->tick = 0;
}

int
nodes_missing(const struct nodeinfo *n, struct ranges *out)
{
	ranges_clear(out);
	if (n->tick == 0 || n->tick == UINT64_MAX)
		return 0;
	if (ranges_add_range(out, 1, n->tick + 1) == -1 ||
	    ranges_difference(out, &n->present) == -1 ||
	    ranges_difference(out, &n->superseded) == -1)
		return -1;
	return 0;
}

static const struct {
	unsigned	 bit;
	const char	*key;
} state_keys[] = {
	{ NS_NODES, "nodes" },
	{ NS_KNOWN, "known" },
	{ NS_PRESENT, "present" },
	{ NS_DELETED, "deleted" },
	{ NS_MISSING, "missing" },
	{ NS_REMOTE, "remote_missing" },
	{ NS_DEBUG, "debug" },
};
#define NSTATE_KEYS	(sizeof(state_keys) / sizeof(state_keys[0]))

unsigned
nodes_state_nkeys(unsigned which)
{
	unsigned	 i, n = 0;

	for (i = 0; i < NSTATE_KEYS; i++)
		if (which & state_keys[i].bit)
			n++;
	return n;
}

/* The set `bit' of one node; missing is computed into tmp. */
static const struct ranges *
node_set(const struct nodeinfo *n, unsigned bit, struct ranges *tmp)
{
	switch (bit) {
	case NS_KNOWN:
		return &n->superseded;
	case NS_PRESENT:
		return &n->present;
	case NS_DELETED:
		return &n->deleted;
	case NS_REMOTE:
		return &n->reported;
	case NS_MISSING:
		return nodes_missing(n, tmp) == 0 ? tmp : NULL;
	default:
		return NULL;
	}
}

static int
pack_sets(const struct nodes *ns, const struct nodetab *tab, unsigned bit,
    msgpack_packer *pk)
{
	struct ranges	 tmp = RANGES_INITIALIZER;
	const struct ranges *r;
	const char	*name;
	size_t		 len;
	uint32_t	 i, cnt = 0;
	int		 rc = 0;

	for (i = 0; i < ns->count; i++)
		if ((bit == NS_NODES && ns->n[i].tick > 0) || (bit != NS_NODES &&
		    (r = node_set(&ns->n[i], bit, &tmp)) && !ranges_empty(r)))
			cnt++;
	msgpack_pack_map(pk, cnt);
	for (i = 0; i < ns->count && rc == 0; i++) {
		if (bit == NS_NODES) {
			if (ns->n[i].tick == 0)
				continue;
		} else if ((r = node_set(&ns->n[i], bit, &tmp)) == NULL ||
		    ranges_empty(r))
			continue;
		if ((name = nodetab_name(tab, i, &len)) == NULL)
			name = "", len = 0;
		mp_pack_strn(pk, name, len);
		if (bit == NS_NODES)
			msgpack_pack_uint64(pk, ns->n[i].tick);
		else
			rc = ranges_pack(r, pk);
	}
	ranges_free(&tmp);
	return rc;
}

int
nodes_pack_state(const struct nodes *ns, const struct nodetab *tab,
    unsigned which, msgpack_packer *pk)
{
	unsigned	 i;

	for (i = 0; i < NSTATE_KEYS; i++) {
		if (!(which & state_keys[i].bit))
			continue;
		mp_pack_str(pk, state_keys[i].key);
		if (state_keys[i].bit == NS_DEBUG)
			msgpack_pack_map(pk, 0);
		else if (pack_sets(ns, tab, state_keys[i].bit, pk) == -1)
			return -1;
	}
	return 0;
}
