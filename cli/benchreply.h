/*
 * benchreply.h - the fields of a server reply `moatctl bench' looks at.
 */
#ifndef MOAT_BENCHREPLY_H
#define MOAT_BENCHREPLY_H

#include <stddef.h>
#include <stdint.h>

/* What a reply says, as far as the benchmark cares. */
struct reply {
	int		 has_seq;
	uint64_t	 seq;
	const char	*error, *state;
	size_t		 errorlen, statelen;
	const uint8_t	*path;		/* the array, if any */
	size_t		 pathlen;
};

/* The top-level fields of one validated message; -1: not a map. */
int	reply_scan(const uint8_t *, size_t, struct reply *);
/*
 * The key number of a watch item: its path's last element "key:NNN";
 * an empty path (depth compression) is the same key as before, kept in
 * *lastkey.  -1: not one of ours.
 */
int	event_key(const struct reply *, uint64_t *lastkey, uint64_t *key);

#endif
