/*
 * pathlong.h - full paths from get_tree and watch items.
 *
 * The server shortens the paths of a stream's items: an item's `path'
 * is relative to the request's path plus the first `depth' elements of
 * the previous item's path (relative to the request as well).  A
 * pathlong keeps the previous path and undoes the shortening; its
 * prefix is put in front of every result (the request path for full
 * paths, nothing for paths relative to the request).
 */
#ifndef MOAT_LIB_PATHLONG_H
#define MOAT_LIB_PATHLONG_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "lib/mp.h"

struct pathlong {
	struct mpbuf	 last;		/* prefix + the previous path */
	size_t		 base;		/* elements in the prefix */
};

/* prefix: a canonical packed path (len 0: none). */
void	pathlong_init(struct pathlong *, const uint8_t *prefix, size_t len);
void	pathlong_free(struct pathlong *);

/*
 * Returns 1 with the item's full path, packed, valid until the next
 * call.  An item without `path' and `depth' (a state message) returns
 * 0 and changes nothing.  -1, with a reason in *why, if depth reaches
 * beyond the previous path or the path is malformed.
 */
int	pathlong_next(struct pathlong *, const msgpack_object *item,
	    const uint8_t **path, size_t *len, const char **why);

#endif
