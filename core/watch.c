/*
 * watch.c - watch points and change notification (see watch.h).
 *
 * Watch points are few (one per distinct watched path: every Python
 * client watches .moat.kv.config, so thousands of watches share one
 * point) and live in a list that is only searched when a flagged
 * ancestor is met.
 */
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/queue.h>

#include "core/core.h"
#include "core/stream.h"
#include "core/watch.h"
#include "lib/log.h"

struct watchpoint {
	LIST_ENTRY(watchpoint)	 next;
	uint8_t			*path;
	size_t			 len;
	unsigned		 depth;
	struct stream		**st;
	size_t			 n, cap;
};

static LIST_HEAD(, watchpoint) points = LIST_HEAD_INITIALIZER(points);
static size_t	nwatches;

size_t
watch_count(void)
{
	return nwatches;
}

static struct watchpoint *
wp_find(const uint8_t *path, size_t len)
{
	struct watchpoint *wp;

	LIST_FOREACH(wp, &points, next)
		if (wp->len == len && (len == 0 ||
		    memcmp(wp->path, path, len) == 0))
			return wp;
	return NULL;
}

/* A bare entry: no value, no chain, no children, nobody watching. */
static int
bare(struct entry *e)
{
	return entry_parent(e) != NULL && !entry_has_value(e) &&
	    entry_chain(e).n == 0 && entry_nchildren(e) == 0 &&
	    !(entry_flags(e) & ENTRY_F_WATCHED);
}

/*
 * Setting the flag creates the entry (and its parents); clearing it
 * removes those again if they are still bare, so watching random paths
 * leaves nothing behind in the tree.
 */
static void
set_flag(const uint8_t *path, size_t len, int on)
{
	struct entry	*e;

	e = on ? tree_lookup_create(core.tree, path, len) :
	    tree_lookup(core.tree, path, len);
	if (e == NULL)
		return;
	entry_set_flags(e, on ? (entry_flags(e) | ENTRY_F_WATCHED) :
	    (entry_flags(e) & ~ENTRY_F_WATCHED));
	if (!on)
		watch_prune(e);
}

void
watch_prune(struct entry *e)
{
	struct entry	*p;

	while (bare(e)) {
		p = entry_parent(e);
		if (tree_purge(core.tree, e) == -1)
			break;
		e = p;
	}
}

struct watchpoint *
watch_add(struct stream *st, const uint8_t *path, size_t len)
{
	struct watchpoint *wp;
	struct stream	**v;
	size_t		 cap;

	if ((wp = wp_find(path, len)) == NULL) {
		if ((wp = calloc(1, sizeof(*wp))) == NULL ||
		    (len && (wp->path = malloc(len)) == NULL)) {
			free(wp);
			return NULL;
		}
		if (len)
			memcpy(wp->path, path, len);
		wp->len = len;
		wp->depth = mp_path_count(path, len);
		LIST_INSERT_HEAD(&points, wp, next);
		set_flag(path, len, 1);
	}
	if (wp->n == wp->cap) {
		cap = wp->cap ? wp->cap * 2 : 4;
		if ((v = reallocarray(wp->st, cap, sizeof(*v))) == NULL)
			return NULL;
		wp->st = v;
		wp->cap = cap;
	}
	wp->st[wp->n++] = st;
	nwatches++;
	return wp;
}

void
watch_del(struct watchpoint *wp, struct stream *st)
{
	size_t	 i;

	for (i = 0; i < wp->n; i++)
		if (wp->st[i] == st)
			break;
	if (i == wp->n)
		return;
	wp->st[i] = wp->st[--wp->n];
	nwatches--;
	if (wp->n > 0)
		return;
	set_flag(wp->path, wp->len, 0);
	LIST_REMOVE(wp, next);
	free(wp->st);
	free(wp->path);
	free(wp);
}

/* Byte length of the first n elements of a packed path. */
static size_t
prefix_len(const uint8_t *p, size_t len, unsigned n)
{
	const uint8_t	*el;
	size_t		 off = 0, elen;

	while (n-- > 0 && mp_path_next(p, len, &off, &el, &elen) == 1)
		;
	return off;
}

void
watch_notify(const struct change *ch)
{
	struct watchpoint *wp;
	struct entry	*e;
	size_t		 plen, i;
	unsigned	 depth, d;

	if (nwatches == 0)
		return;
	depth = entry_depth(ch->entry);
	for (e = ch->entry, d = depth; e != NULL; e = entry_parent(e), d--) {
		if (!(entry_flags(e) & ENTRY_F_WATCHED))
			continue;
		plen = prefix_len(ch->path, ch->pathlen, d);
		if ((wp = wp_find(ch->path, plen)) == NULL)
			continue;
		/* streams never detach during this (overflow ends them
		   from the pump), so the array is stable */
		for (i = 0; i < wp->n; i++)
			stream_watch_event(wp->st[i], ch, ch->path + plen,
			    ch->pathlen - plen, depth - d);
	}
}
