/*
 * ranges.h - compact sets of ticks.
 *
 * For every server the core tracks which of its ticks it has seen, as
 * sets: present, superseded, deleted, missing, remote-missing.  Ticks
 * come in long runs, so a set is a sorted vector of disjoint, non-
 * adjacent half-open intervals [a, b); inserting merges neighbours, so
 * a million consecutive ticks cost one interval.
 *
 * Wire format (get_state and friends): a msgpack array whose items are
 * an int (one tick) or [a, b] (ticks a..b-1); for example the ticks
 * {2,3,4,18,19,21,24} are [[2,5],[18,20],21,24].
 *
 * Tick UINT64_MAX cannot be stored (b would overflow); adding it fails
 * with EINVAL.  Functions returning int give 0, or -1 with errno set
 * (ENOMEM, EINVAL); on failure the set is unchanged.
 */
#ifndef MOAT_RANGES_H
#define MOAT_RANGES_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct range {
	uint64_t	 a, b;		/* ticks a .. b-1 */
};

struct rslot;

/* All zeros is the empty set.  The fields are ranges.c's alone. */
struct ranges {
	struct rslot	*c;		/* chunks in tick order */
	size_t		 nc, capc;
	size_t		 n;		/* intervals in all chunks */
};

#define RANGES_INITIALIZER	{ NULL, 0, 0, 0 }

void		ranges_init(struct ranges *);
void		ranges_free(struct ranges *);	/* also leaves it empty */
void		ranges_clear(struct ranges *);	/* keeps the memory */
int		ranges_copy(struct ranges *, const struct ranges *);

int		ranges_add(struct ranges *, uint64_t);
int		ranges_add_range(struct ranges *, uint64_t, uint64_t);
int		ranges_remove(struct ranges *, uint64_t);
int		ranges_remove_range(struct ranges *, uint64_t, uint64_t);
int		ranges_contains(const struct ranges *, uint64_t);

/* In place: dst |= src, dst -= src, dst &= src. */
int		ranges_union(struct ranges *, const struct ranges *);
int		ranges_difference(struct ranges *, const struct ranges *);
int		ranges_intersect(struct ranges *, const struct ranges *);
int		ranges_equal(const struct ranges *, const struct ranges *);

/* Number of ticks (saturates at UINT64_MAX); number of intervals. */
uint64_t	ranges_count(const struct ranges *);
size_t		ranges_nranges(const struct ranges *);
int		ranges_empty(const struct ranges *);
/* Highest tick in the set; -1 if empty. */
int		ranges_max(const struct ranges *, uint64_t *);

/*
 * Calls fn(a, b, arg) for each interval [a, b) in order; a non-zero
 * return stops the walk and is returned.
 */
int		ranges_iter(const struct ranges *,
		    int (*)(uint64_t, uint64_t, void *), void *);

int		ranges_pack(const struct ranges *, msgpack_packer *);
/* Replaces the set; EINVAL for anything but the wire format above. */
int		ranges_parse(struct ranges *, const msgpack_object *);

#endif
