/*
 * nodes.h - what this server knows about every node's ticks.
 *
 * For each node (by its index in the tree's name table, see chain.h)
 * the highest tick seen and five tick sets (ranges.h):
 *
 *	present		the tick is a link in some entry's chain here
 *	superseded	it was, but a later change pushed it out ("known")
 *	deleted		the change was a deletion (the entry is a tombstone)
 *	reported	another server said it misses the tick
 *			("remote_missing")
 *	missing		derived: 1..tick minus present and superseded
 *
 * nodes_chain_changed() keeps present and superseded right when an
 * entry's chain goes from `old' to `new'; every applied change, local
 * or remote, calls it (see core_commit() in core.h).  The sets are the
 * ground truth for the sync protocol that follows (info messages,
 * split recovery), so they must never be updated anywhere else.
 */
#ifndef MOAT_NODES_H
#define MOAT_NODES_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/chain.h"
#include "core/ranges.h"

struct nodeinfo {
	uint64_t	 tick;		/* highest tick seen, 0 = none */
	struct ranges	 present, superseded, deleted, reported;
};

struct nodes {
	struct nodeinfo	*n;
	uint32_t	 count;
};

void		 nodes_init(struct nodes *);
void		 nodes_free(struct nodes *);
/* The node's record, created (empty) if new; NULL on ENOMEM. */
struct nodeinfo	*nodes_get(struct nodes *, uint32_t);
/* The node's record if it has one. */
struct nodeinfo	*nodes_find(const struct nodes *, uint32_t);

/* A change (node, tick) was seen: tick high-water mark. */
int		 nodes_tick(struct nodes *, uint32_t, uint64_t);
/*
 * An entry's chain changed from old to new (old.n may be 0): links of
 * new are present, links of old that new lacks are superseded.  If
 * `deleted', new's head is a deletion.  0, or -1 on ENOMEM.
 */
int		 nodes_chain_changed(struct nodes *, struct chain old,
		    struct chain new, int deleted);
/*
 * A tombstone with chain c was purged: its links are superseded, no
 * longer present, deleted or reported missing (the original's
 * purge_deleted).  0, or -1 on ENOMEM.
 */
int		 nodes_purged(struct nodes *, struct chain c);
/* Forget everything about a node (node_drop): its tick and its sets. */
void		 nodes_forget(struct nodeinfo *);
/* missing = [1, tick] - present - superseded, into out. */
int		 nodes_missing(const struct nodeinfo *, struct ranges *out);

/* Which sets get_state asks for. */
#define NS_NODES	0x01
#define NS_KNOWN	0x02	/* = superseded */
#define NS_PRESENT	0x04
#define NS_DELETED	0x08
#define NS_MISSING	0x10
#define NS_REMOTE	0x20	/* remote_missing */
#define NS_DEBUG	0x40

/* Number of map entries nodes_pack_state() will write for `which'. */
unsigned	 nodes_state_nkeys(unsigned which);
/*
 * Pack the requested sets as map entries (key, {name: ranges}) in the
 * get_state order: nodes, known, present, deleted, missing,
 * remote_missing, debug.  Empty sets are left out of each map.
 */
int		 nodes_pack_state(const struct nodes *, const struct nodetab *,
		    unsigned which, msgpack_packer *);

#endif
