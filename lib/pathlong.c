/*
 * pathlong.c - undo get_tree's path shortening (see pathlong.h).
 */
#include <sys/types.h>

#include <string.h>

#include "lib/pathlong.h"

void
pathlong_init(struct pathlong *pl, const uint8_t *prefix, size_t len)
{
	mpbuf_init(&pl->last);
	if (len > 0)
		mpbuf_add(&pl->last, prefix, len);
	pl->base = mp_path_count(prefix, len);
}

void
pathlong_free(struct pathlong *pl)
{
	mpbuf_free(&pl->last);
}

/* Byte length of the first n elements of the packed path; -1: too few. */
static ssize_t
prefix_bytes(const struct pathlong *pl, uint64_t n)
{
	const uint8_t	*e;
	size_t		 off = 0, elen;
	uint64_t	 i;

	for (i = 0; i < n; i++)
		if (mp_path_next(pl->last.data, pl->last.len, &off, &e,
		    &elen) != 1)
			return -1;
	return (ssize_t)off;
}

int
pathlong_next(struct pathlong *pl, const msgpack_object *item,
    const uint8_t **path, size_t *len, const char **why)
{
	const msgpack_object *p = mp_map_get(item, "path");
	struct mpbuf	 rel;
	uint64_t	 depth;
	ssize_t		 keep;

	*len = 0;
	*path = NULL;
	if (p == NULL && mp_map_get(item, "depth") == NULL)
		return 0;
	if (mp_get_uint64(mp_map_get(item, "depth"), &depth) == -1)
		depth = 0;	/* a server need not shorten */
	if (depth > (uint64_t)1 << 30 ||
	    (keep = prefix_bytes(pl, pl->base + depth)) == -1) {
		*why = "depth beyond the previous path";
		return -1;
	}
	mpbuf_init(&rel);
	if (p != NULL && mp_path_from_obj(p, &rel, why) == -1) {
		mpbuf_free(&rel);
		return -1;
	}
	pl->last.len = (size_t)keep;
	if (rel.len > 0)
		mpbuf_add(&pl->last, rel.data, rel.len);
	mpbuf_free(&rel);
	*path = pl->last.data;
	*len = pl->last.len;
	return 1;
}
