/*
 * walk.c - ordered, resumable walks over a subtree (see tree.h).
 *
 * A cursor is a stack of frames, one per level from the walk's root
 * down to the entry returned last, each with an iterator over that
 * entry's children.  While tree_gen() is unchanged the frames' pointers
 * are good and next() costs O(1) amortised.  Once it changed, the
 * cursor rebuilds its frames from the relative path of the last entry
 * (kept in `path'): it descends element by element, and where an
 * element no longer exists it parks that level's iterator on the next
 * existing sibling, marked pending, so next() returns that sibling.
 * That makes the cursor robust to anything done between calls without
 * the tree having to know about cursors.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/elem.h"
#include "core/tree.h"

enum kids_state {
	KIDS_NONE,		/* children not started */
	KIDS_AT,		/* iterator at the child visited last */
	KIDS_PENDING,		/* iterator at a child not visited yet */
	KIDS_END
};

struct frame {
	struct entry	*e;
	size_t		 plen;		/* path length up to this entry */
	enum kids_state	 state;
	struct tree_iter it;
};

struct tree_cursor {
	struct tree	*tree;
	uint64_t	 gen;
	uint8_t		*root;
	size_t		 rootlen;
	uint8_t		*path;		/* relative path of the top frame */
	size_t		 plen, pcap;
	struct frame	*f;
	unsigned	 nf, fcap;
	unsigned	 mindepth, maxdepth;
	int		 flags;
	int		 started, done, stale, err;
};

struct tree_cursor *
tree_cursor_new(struct tree *t, const uint8_t *root, size_t rootlen,
    unsigned mindepth, unsigned maxdepth, int flags)
{
	struct tree_cursor *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (rootlen > 0 && (c->root = malloc(rootlen)) == NULL) {
		free(c);
		return NULL;
	}
	if (rootlen > 0)
		memcpy(c->root, root, rootlen);
	c->tree = t;
	c->rootlen = rootlen;
	c->mindepth = mindepth;
	c->maxdepth = maxdepth;
	c->flags = flags;
	return c;
}

void
tree_cursor_free(struct tree_cursor *c)
{
	if (c == NULL)
		return;
	free(c->root);
	free(c->path);
	free(c->f);
	free(c);
}

const uint8_t *
tree_cursor_path(const struct tree_cursor *c, size_t *lenp)
{
	*lenp = c->plen;
	return c->path;
}

unsigned
tree_cursor_depth(const struct tree_cursor *c)
{
	return c->nf > 0 ? c->nf - 1 : 0;
}

static int
path_reserve(struct tree_cursor *c, size_t need)
{
	uint8_t		*p;
	size_t		 cap = c->pcap ? c->pcap : 64;

	if (need <= c->pcap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(c->path, cap)) == NULL)
		return -1;
	c->path = p;
	c->pcap = cap;
	return 0;
}

/* Push a frame for e, whose element ends the path at plen. */
static int
push(struct tree_cursor *c, struct entry *e, size_t plen)
{
	struct frame	*f;
	unsigned	 cap;

	if (c->nf == c->fcap) {
		cap = c->fcap ? c->fcap * 2 : 8;
		if ((f = reallocarray(c->f, cap, sizeof(*f))) == NULL)
			return -1;
		c->f = f;
		c->fcap = cap;
	}
	f = &c->f[c->nf++];
	f->e = e;
	f->plen = plen;
	f->state = KIDS_NONE;
	return 0;
}

/* Descend into child e of the top frame, extending the path. */
static int
enter(struct tree_cursor *c, struct entry *e)
{
	const uint8_t	*el;
	size_t		 len, base = c->f[c->nf - 1].plen;

	el = entry_elem(e, &len);
	if (path_reserve(c, base + len) == -1)
		return -1;
	memcpy(c->path + base, el, len);
	if (push(c, e, base + len) == -1)
		return -1;
	c->plen = base + len;
	return 0;
}

static int
visible(const struct tree_cursor *c, struct entry *e, unsigned depth)
{
	if (depth < c->mindepth)
		return 0;
	return entry_has_value(e) || (c->flags & TREE_WALK_EMPTY);
}

/*
 * Rebuild the frames from the walk root and the saved path.  0 with
 * c->done set if the root is gone.
 */
static int
reseek(struct tree_cursor *c)
{
	struct frame	*f;
	struct entry	*e, *ch;
	const uint8_t	*el;
	size_t		 off = 0, n, elen;

	c->nf = 0;
	c->gen = tree_gen(c->tree);
	c->stale = 0;
	if ((e = tree_lookup(c->tree, c->root, c->rootlen)) == NULL) {
		c->done = 1;
		return 0;
	}
	if (push(c, e, 0) == -1)
		return -1;
	while (off < c->plen) {
		f = &c->f[c->nf - 1];
		if ((n = elem_size(c->path + off, c->plen - off)) == 0)
			break;		/* a bad seek path: stop here */
		ch = entry_child_seek(f->e, c->path + off, n, 0, &f->it);
		el = ch != NULL ? entry_elem(ch, &elen) : NULL;
		if (ch == NULL || elem_cmp(el, elen, c->path + off, n) != 0) {
			f->state = ch != NULL ? KIDS_PENDING : KIDS_END;
			break;
		}
		f->state = KIDS_AT;
		off += n;
		if (push(c, ch, off) == -1)
			return -1;
	}
	c->plen = c->f[c->nf - 1].plen;
	return 0;
}

static struct entry *
start(struct tree_cursor *c)
{
	struct entry	*e;

	c->started = 1;
	c->gen = tree_gen(c->tree);
	c->plen = 0;
	if ((e = tree_lookup(c->tree, c->root, c->rootlen)) == NULL) {
		c->done = 1;
		return NULL;
	}
	if (push(c, e, 0) == -1) {
		c->done = c->err = 1;
		return NULL;
	}
	return visible(c, e, 0) ? e : NULL;
}

/* The next child of the top frame to enter, NULL when there is none. */
static struct entry *
next_child(struct tree_cursor *c)
{
	struct frame	*f = &c->f[c->nf - 1];
	struct entry	*ch = NULL;

	if (c->nf - 1 >= c->maxdepth)
		return NULL;
	switch (f->state) {
	case KIDS_NONE:
		ch = entry_child_first(f->e, &f->it);
		break;
	case KIDS_AT:
		ch = entry_child_next(&f->it);
		break;
	case KIDS_PENDING:
		ch = (struct entry *)bt_cur(&f->it.bt);
		break;
	case KIDS_END:
		break;
	}
	f->state = ch != NULL ? KIDS_AT : KIDS_END;
	return ch;
}

struct entry *
tree_cursor_next(struct tree_cursor *c)
{
	struct entry	*e;

	if (c->done)
		return NULL;
	if (!c->started && !c->stale) {
		if ((e = start(c)) != NULL || c->done)
			return e;
	} else if (c->stale || c->gen != tree_gen(c->tree)) {
		if (reseek(c) == -1)
			goto fail;
		if (c->done)
			return NULL;
	}
	while (c->nf > 0) {
		if ((e = next_child(c)) == NULL) {
			c->nf--;
			c->plen = c->nf > 0 ? c->f[c->nf - 1].plen : 0;
			continue;
		}
		if (enter(c, e) == -1)
			goto fail;
		if (visible(c, e, c->nf - 1))
			return e;
	}
	c->done = 1;
	return NULL;
fail:
	c->done = c->err = 1;
	return NULL;
}

int
tree_cursor_failed(const struct tree_cursor *c)
{
	return c->err;
}

int
tree_cursor_seek(struct tree_cursor *c, const uint8_t *path, size_t len)
{
	if (path_reserve(c, len) == -1)
		return -1;
	if (len > 0)
		memcpy(c->path, path, len);
	c->plen = len;
	c->started = 1;
	c->stale = 1;
	c->done = 0;
	return 0;
}

int
tree_walk(struct tree *t, const uint8_t *root, size_t rootlen,
    unsigned mindepth, unsigned maxdepth, int flags, tree_visit_fn fn,
    void *arg)
{
	struct tree_cursor *c;
	struct entry	*e;
	int		 rv = 0;

	c = tree_cursor_new(t, root, rootlen, mindepth, maxdepth, flags);
	if (c == NULL)
		return -1;
	while (rv == 0 && (e = tree_cursor_next(c)) != NULL)
		rv = fn(e, c->path, c->plen, c->nf - 1, arg);
	if (rv == 0 && c->err)
		rv = -1;
	tree_cursor_free(c);
	return rv;
}
