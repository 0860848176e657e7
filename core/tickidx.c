/*
 * tickidx.c - the (node, tick) -> entry index (see tickidx.h).
 *
 * A slot is NULL (free), DEAD (removed: probing goes on past it) or an
 * item.  Removal cannot shift later slots back as textbook linear
 * probing does: an item with several links sits in several slots and a
 * slot does not say which link put it there.  So removed slots stay
 * DEAD until tickidx_reserve() rebuilds the table, which it does once
 * live plus dead slots would pass 3/4 of it, to a size (doubled as
 * often as needed) that the live ones fill at most half.
 *
 * A rebuild re-reads every item's chain once, placing all its links and
 * sweeping its other slots out of the old table.
 */
#include <errno.h>
#include <stdlib.h>

#include "core/tickidx.h"

#define DEAD		((void *)&dead_marker)
#define MINSIZE		16

static const char	 dead_marker;

static size_t
home(const struct tickidx *x, uint32_t node, uint64_t tick)
{
	uint64_t	 h = tick + (uint64_t)node * 0x9e3779b97f4a7c15ULL;

	/* murmur3's finaliser: ticks are dense, slots must not be */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (size_t)h & (x->size - 1);
}

void
tickidx_init(struct tickidx *x, tickidx_chain_fn chain_of)
{
	x->slot = NULL;
	x->size = x->used = x->dead = 0;
	x->chain_of = chain_of;
	x->on = 0;
}

void
tickidx_start(struct tickidx *x)
{
	x->on = 1;
}

void
tickidx_free(struct tickidx *x)
{
	free(x->slot);
	x->slot = NULL;
	x->size = x->used = x->dead = 0;
	x->on = 0;
}

size_t
tickidx_mem(const struct tickidx *x)
{
	return x->size * sizeof(*x->slot);
}

/*
 * Every slot holding item on l's probe path (up to the first free one)
 * becomes repl; returns how many.  An item's slot for l is on that
 * path, but so may be its slot for another of its links: which is which
 * cannot be told, so removing or moving all of an item's links goes
 * through all of their paths and catches every slot of the item.
 */
static size_t
sweep(struct tickidx *x, uintptr_t item, const struct chain_link *l,
    void *repl)
{
	size_t	 i, n, hit = 0;

	if (x->size == 0)
		return 0;
	i = home(x, l->node, l->tick);
	for (n = 0; n < x->size && x->slot[i] != NULL; n++) {
		if ((uintptr_t)x->slot[i] == item) {
			x->slot[i] = repl;
			hit++;
		}
		i = (i + 1) & (x->size - 1);
	}
	return hit;
}

static void
put(struct tickidx *x, void *item, const struct chain_link *l)
{
	size_t	 i = home(x, l->node, l->tick);

	while (x->slot[i] != NULL && x->slot[i] != DEAD)
		i = (i + 1) & (x->size - 1);
	if (x->slot[i] == DEAD)
		x->dead--;
	x->slot[i] = item;
	x->used++;
}

int
tickidx_reserve(struct tickidx *x, size_t more)
{
	struct tickidx	 nx = *x;
	struct chain	 c;
	void		*item;
	size_t		 i;
	unsigned	 k;

	if (!x->on || (x->used + x->dead + more) * 4 <= x->size * 3)
		return 0;
	nx.size = x->size > 0 ? x->size : MINSIZE;
	while ((x->used + more) * 2 > nx.size)
		nx.size *= 2;
	if ((nx.slot = calloc(nx.size, sizeof(*nx.slot))) == NULL)
		return -1;
	nx.used = nx.dead = 0;
	/* Each item once: its other slots in the old table are swept. */
	for (i = 0; i < x->size; i++) {
		if ((item = x->slot[i]) == NULL || item == DEAD)
			continue;
		c = x->chain_of(item);
		for (k = 0; k < c.n; k++)
			put(&nx, item, &c.link[k]);
		for (k = 0; k < c.n; k++)
			(void)sweep(x, (uintptr_t)item, &c.link[k], DEAD);
	}
	free(x->slot);
	*x = nx;
	return 0;
}

void
tickidx_add(struct tickidx *x, void *item, struct chain c)
{
	unsigned	 k;

	for (k = 0; x->on && k < c.n; k++)
		put(x, item, &c.link[k]);
}

void
tickidx_del(struct tickidx *x, uintptr_t item, struct chain c)
{
	unsigned	 k;
	size_t		 n;

	for (k = 0; k < c.n; k++) {
		n = sweep(x, item, &c.link[k], DEAD);
		x->used -= n;
		x->dead += n;
	}
}

void
tickidx_move(struct tickidx *x, uintptr_t old, void *item, struct chain c)
{
	unsigned	 k;

	for (k = 0; k < c.n; k++)
		(void)sweep(x, old, &c.link[k], item);
}

void *
tickidx_find(const struct tickidx *x, uint32_t node, uint64_t tick)
{
	struct chain	 c;
	size_t		 i, n;
	int		 k;

	if (x->size == 0)
		return NULL;
	i = home(x, node, tick);
	for (n = 0; n < x->size && x->slot[i] != NULL; n++) {
		if (x->slot[i] != DEAD) {
			c = x->chain_of(x->slot[i]);
			k = chain_find(c, node);
			if (k >= 0 && c.link[k].tick == tick)
				return x->slot[i];
		}
		i = (i + 1) & (x->size - 1);
	}
	return NULL;
}
