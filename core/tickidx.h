/*
 * tickidx.h - the (node, tick) -> entry index of the data tree.
 *
 * get_value by node and tick asks which entry's chain holds the change
 * `tick' of `node'.  The tree keeps one slot per chain link here, so
 * that costs O(1) instead of a walk of the whole tree.  Only tree.c
 * uses it: it removes an entry's links before the chain changes or the
 * entry is freed, re-points them when the entry moves and adds the new
 * ones after, so the index always says what the chains say (a tick
 * overwritten by the same node, or cut off the end of the chain, is no
 * longer found; a tombstone's chain still is, until it is purged).
 *
 * The slots hold nothing but the entry pointer (8 bytes): the key is
 * read back from the entry's chain.  Open addressing, linear probing,
 * removed slots marked and swept by the next rebuild; at most 3/4 full.
 * So a link costs 10.7 to 21.3 bytes, 16.8 at a million one-link
 * entries: a fifth more memory for a server, so the tree builds the
 * index only when the first such question comes (sync recovery is the
 * one that asks) and keeps it from then on.  Functions returning int
 * give 0, or -1 with errno set.
 */
#ifndef MOAT_TICKIDX_H
#define MOAT_TICKIDX_H

#include <stddef.h>
#include <stdint.h>

#include "core/chain.h"

/* The chain of an item, to read its keys back. */
typedef struct chain	(*tickidx_chain_fn)(const void *);

struct tickidx {
	void		**slot;
	size_t		  size;		/* a power of 2, or 0 */
	size_t		  used, dead;	/* live slots, removed slots */
	tickidx_chain_fn  chain_of;
	int		  on;		/* kept up to date */
};

/*
 * Off after init: reserve, add, del and move do nothing until start
 * (then the owner adds every item).  free turns it off again.
 */
void	 tickidx_init(struct tickidx *, tickidx_chain_fn);
void	 tickidx_start(struct tickidx *);
void	 tickidx_free(struct tickidx *);
size_t	 tickidx_mem(const struct tickidx *);

/* Room for `more' links beyond what is there: then add cannot fail. */
int	 tickidx_reserve(struct tickidx *, size_t more);
/*
 * Index every link of c as item's (after tickidx_reserve()).  An
 * item's links go in and out together: del and move take its whole
 * chain as it was added.
 */
void	 tickidx_add(struct tickidx *, void *, struct chain);
/*
 * Drop item's slots for the links of c.  The item is only compared
 * by address: it may already have moved or been freed.
 */
void	 tickidx_del(struct tickidx *, uintptr_t, struct chain);
/* item moved from old (not read) to new, whose chain is c. */
void	 tickidx_move(struct tickidx *, uintptr_t, void *, struct chain);
/* The item whose chain has (node, tick), or NULL. */
void	*tickidx_find(const struct tickidx *, uint32_t, uint64_t);

#endif
