/*
 * tree.c - entries of the data tree: layout, lookup, changes, purge.
 *
 * Memory is the point.  Every entry is ONE malloc block:
 *
 *	struct entry (24 bytes)	parent, tock, lengths, counts, flags
 *	[children pointer]	8 bytes, only once it has had children
 *	element			the packed path element, 1+ bytes
 *	chain links		10 bytes each, packed, newest first
 *	value			the packed value, if any
 *
 * Most entries are leaves, so the children pointer lives in the
 * variable part: the first child reallocs its parent 8 bytes larger.
 * Any size change reallocs the block (glibc shrinks and grows in place
 * when it can); only when it really moves are the parent's slot and the
 * children's parent pointers fixed, which is O(children) but only for a
 * value or chain growing on an entry that has children.
 *
 * Children sit in a B-tree of pointers (btree.c): nothing for a leaf
 * entry, a right-sized 16-32 byte node for the usual 1-3 children, and
 * ~13 (in-order inserts) to ~18.5 (random) bytes per child for a
 * million children, with in-node abbreviated keys so that a random
 * insert or lookup among a million costs ~0.5-1us, not 1.4-2us.  An RB
 * tree per parent would need 24-32 bytes of links in every entry; a
 * sorted array is O(n) per insert, hopeless at a million.
 *
 * Once tree_find_event() has been asked (get_value by node and tick),
 * every chain link also has a slot in the (node, tick) index
 * (tickidx.c), so that the next answers need no walk: entry_update()
 * drops the old links (by address, after any realloc) and adds the new
 * ones, a move re-points them, a purge drops them.  A slot is one
 * 8-byte pointer in a table kept at most 3/4 full.
 *
 * Measured (check_tree's memory test: 1,000,000 entries ("bench",
 * "key:%06d"), 10-byte str value, one-link chain): 24 + 11 + 10 + 11 =
 * 56 bytes in a 64-byte malloc chunk, plus ~13 bytes of B-tree: 77
 * bytes per entry of RSS inserted in order, 83 in random order; the
 * (node, tick) index, once built, adds 16.8 (2^21 slots for 1M links).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/elem.h"
#include "core/tickidx.h"
#include "core/tree.h"

#define NOVAL		UINT32_MAX	/* vlen of an entry without value */
#define KLEN_LONG	UINT16_MAX	/* element length in a u32 before it */
#define E_KIDS		0x80		/* data starts with a kids pointer */
#define E_USER		0x7f		/* flag bits the caller owns */

struct entry {
	struct entry	*parent;
	uint64_t	 tock;
	uint32_t	 vlen;		/* NOVAL: no value */
	uint16_t	 klen;		/* KLEN_LONG: see above */
	uint8_t		 nchain;
	uint8_t		 flags;
	uint8_t		 data[];	/* see the top of the file */
};

struct tree {
	struct entry	*root;
	struct nodetab	*nodes;
	unsigned	 maxlen;
	size_t		 count, nvalues;
	size_t		 mem;		/* entries and child sets */
	uint64_t	 gen;
	struct tickidx	 idx;		/* (node, tick) -> entry */
};

static void	relink(struct tree *, uintptr_t, struct entry *);

static struct chain
chain_of(const void *item)
{
	return entry_chain(item);
}

/* The children slot; only for entries with E_KIDS. */
static struct bnode **
kidsp(struct entry *e)
{
	return (struct bnode **)(void *)e->data;
}

static struct bnode *
kids(const struct entry *e)
{
	struct bnode	*b;

	if (!(e->flags & E_KIDS))
		return NULL;
	memcpy(&b, e->data, sizeof(b));
	return b;
}

static size_t
lenoff(const struct entry *e)
{
	return e->flags & E_KIDS ? sizeof(struct bnode *) : 0;
}

static size_t
keyoff(const struct entry *e)
{
	return lenoff(e) + (e->klen == KLEN_LONG ? sizeof(uint32_t) : 0);
}

static size_t
klen(const struct entry *e)
{
	uint32_t	 l;

	if (e->klen != KLEN_LONG)
		return e->klen;
	memcpy(&l, e->data + lenoff(e), sizeof(l));
	return l;
}

static const struct chain_link *
links(const struct entry *e)
{
	return (const struct chain_link *)(e->data + keyoff(e) + klen(e));
}

static size_t
vlen(const struct entry *e)
{
	return e->vlen == NOVAL ? 0 : e->vlen;
}

static size_t
entry_size(const struct entry *e)
{
	return sizeof(*e) + keyoff(e) + klen(e) +
	    e->nchain * sizeof(struct chain_link) + vlen(e);
}

/* The child sets' view of an entry: its element. */
static const uint8_t *
elem_of(const void *item, size_t *lenp)
{
	const struct entry	*e = item;

	*lenp = klen(e);
	return e->data + keyoff(e);
}

/*
 * A new entry without value; `extra' bytes of room for the chain and
 * value about to be set, a children slot if `haskids'.
 */
static struct entry *
entry_new(struct tree *t, struct entry *parent, const uint8_t *el,
    size_t len, size_t extra, int haskids)
{
	struct entry	*e;
	struct bnode	*none = NULL;
	uint32_t	 l32 = (uint32_t)len;
	size_t		 ko = haskids ? sizeof(none) : 0;
	size_t		 lo = len >= KLEN_LONG ? sizeof(l32) : 0;

	if (len > UINT32_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if ((e = malloc(sizeof(*e) + ko + lo + len + extra)) == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->parent = parent;
	e->vlen = NOVAL;
	e->klen = lo ? KLEN_LONG : (uint16_t)len;
	if (haskids) {
		e->flags = E_KIDS;
		memcpy(e->data, &none, sizeof(none));
	}
	if (lo)
		memcpy(e->data + ko, &l32, sizeof(l32));
	if (len > 0)
		memcpy(e->data + ko + lo, el, len);
	t->mem += bt_chunk(e);
	return e;
}

/* Give e a children slot; e may move. */
static int
add_kids_slot(struct tree *t, struct entry **ep)
{
	struct entry	*e = *ep, *ne;
	struct bnode	*none = NULL;
	size_t		 size = entry_size(e), oldchunk = bt_chunk(e);
	uintptr_t	 old = (uintptr_t)e;

	if ((ne = realloc(e, size + sizeof(none))) == NULL)
		return -1;
	memmove(ne->data + sizeof(none), ne->data, size - sizeof(*ne));
	memcpy(ne->data, &none, sizeof(none));
	ne->flags |= E_KIDS;
	t->mem += bt_chunk(ne) - oldchunk;
	if ((uintptr_t)ne != old) {
		relink(t, old, ne);
		tickidx_move(&t->idx, old, ne, entry_chain(ne));
	}
	*ep = ne;
	return 0;
}

struct tree *
tree_new(unsigned maxlen)
{
	struct tree	*t;

	if (maxlen == 0 || maxlen > CHAIN_MAXLEN) {
		errno = EINVAL;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->maxlen = maxlen;
	tickidx_init(&t->idx, chain_of);
	if ((t->nodes = nodetab_new()) == NULL ||
	    (t->root = entry_new(t, NULL, NULL, 0, 0, 1)) == NULL) {
		nodetab_free(t->nodes);
		free(t);
		return NULL;
	}
	return t;
}

/*
 * Free every entry without recursion (paths can be deep): the pending
 * list is threaded through the parent pointers of the entries to free.
 */
static void
push_free(void *item, void *arg)
{
	struct entry	*e = item, **list = arg;

	e->parent = *list;
	*list = e;
}

void
tree_free(struct tree *t)
{
	struct entry	*list, *e;
	size_t		 mem = 0;

	if (t == NULL)
		return;
	list = t->root;
	list->parent = NULL;
	while ((e = list) != NULL) {
		list = e->parent;
		bt_destroy(kids(e), push_free, &list, &mem);
		free(e);
	}
	tickidx_free(&t->idx);
	nodetab_free(t->nodes);
	free(t);
}

struct entry *
tree_root(struct tree *t)
{
	return t->root;
}

unsigned
tree_chain_maxlen(const struct tree *t)
{
	return t->maxlen;
}

size_t
tree_count(const struct tree *t)
{
	return t->count;
}

size_t
tree_nvalues(const struct tree *t)
{
	return t->nvalues;
}

size_t
tree_mem_bytes(const struct tree *t)
{
	return t->mem + nodetab_mem(t->nodes) + tickidx_mem(&t->idx) +
	    bt_chunk((void *)t);
}

uint64_t
tree_gen(const struct tree *t)
{
	return t->gen;
}

uint32_t
tree_node_intern(struct tree *t, const char *name, size_t len)
{
	return nodetab_intern(t->nodes, name, len);
}

const char *
tree_node_name(const struct tree *t, uint32_t idx, size_t *lenp)
{
	return nodetab_name(t->nodes, idx, lenp);
}

struct nodetab *
tree_nodes(struct tree *t)
{
	return t->nodes;
}

/* tree_walk() callback: index e's links. */
static int
index_one(struct entry *e, const uint8_t *p, size_t len, unsigned depth,
    void *arg)
{
	struct tree	*t = arg;

	if (e->nchain == 0)
		return 0;
	if (tickidx_reserve(&t->idx, e->nchain) == -1)
		return -1;
	tickidx_add(&t->idx, e, entry_chain(e));
	return 0;
}

struct entry *
tree_find_event(struct tree *t, uint32_t node, uint64_t tick)
{
	struct entry	*e;

	/* Built on first use: a server nobody asks pays nothing. */
	if (!t->idx.on) {
		tickidx_start(&t->idx);
		if (tree_walk(t, NULL, 0, 0, TREE_DEPTH_ANY, TREE_WALK_EMPTY,
		    index_one, t) != 0) {
			tickidx_free(&t->idx);
			errno = ENOMEM;
			return NULL;
		}
	}
	if ((e = tickidx_find(&t->idx, node, tick)) == NULL)
		errno = ENOENT;
	return e;
}

struct entry *
entry_child(struct entry *e, const uint8_t *el, size_t len)
{
	struct bt_iter	 it;

	return bt_search(kids(e), elem_of, el, len, 0, &it);
}

/*
 * Walk (and with `create', build) the path below e; a last entry that
 * gets created has `extra' bytes of room.
 */
static struct entry *
descend(struct tree *t, struct entry *e, const uint8_t *p, size_t len,
    int create, size_t extra)
{
	struct bt_iter	 it;
	struct entry	*c;
	size_t		 n;

	for (; len > 0; p += n, len -= n, e = c) {
		if ((n = elem_size(p, len)) == 0) {
			errno = EINVAL;
			return NULL;
		}
		if ((c = bt_search(kids(e), elem_of, p, n, 0, &it)) != NULL)
			continue;
		if (!create) {
			errno = ENOENT;
			return NULL;
		}
		/* A first child: the parent grows (and may move). */
		if (!(e->flags & E_KIDS) && add_kids_slot(t, &e) == -1)
			return NULL;
		c = entry_new(t, e, p, n, n == len ? extra : 0, 0);
		if (c == NULL)
			return NULL;
		if (bt_insert(kidsp(e), elem_of, &it, c, &t->mem) == -1) {
			t->mem -= bt_chunk(c);
			free(c);
			return NULL;
		}
		t->count++;
		t->gen++;
	}
	return e;
}

struct entry *
tree_lookup(struct tree *t, const uint8_t *path, size_t len)
{
	return descend(t, t->root, path, len, 0, 0);
}

struct entry *
tree_lookup_create(struct tree *t, const uint8_t *path, size_t len)
{
	return descend(t, t->root, path, len, 1, 0);
}

struct entry *
tree_store(struct tree *t, const uint8_t *path, size_t len,
    const uint8_t *val, size_t vlen, uint32_t node, uint64_t tick,
    uint64_t tock)
{
	struct entry	*e;
	size_t		 extra = sizeof(struct chain_link) + vlen;

	/* A new entry is born with room for its value: no realloc. */
	if (val == NULL ||
	    (e = descend(t, t->root, path, len, 1, extra)) == NULL)
		return NULL;
	if (entry_set(t, &e, val, vlen, node, tick, tock) == -1)
		return NULL;
	return e;
}

int
entry_has_value(const struct entry *e)
{
	return e->vlen != NOVAL;
}

const uint8_t *
entry_value(const struct entry *e, size_t *lenp)
{
	if (e->vlen == NOVAL) {
		*lenp = 0;
		return NULL;
	}
	*lenp = e->vlen;
	return (const uint8_t *)(links(e) + e->nchain);
}

uint64_t
entry_tock(const struct entry *e)
{
	return e->tock;
}

struct chain
entry_chain(const struct entry *e)
{
	struct chain	 c = { links(e), e->nchain };

	return c;
}

size_t
entry_nchildren(const struct entry *e)
{
	return bt_count(kids(e));
}

const uint8_t *
entry_elem(const struct entry *e, size_t *lenp)
{
	*lenp = klen(e);
	return e->data + keyoff(e);
}

struct entry *
entry_parent(const struct entry *e)
{
	return e->parent;
}

unsigned
entry_depth(const struct entry *e)
{
	unsigned	 d = 0;

	while ((e = e->parent) != NULL)
		d++;
	return d;
}

size_t
entry_mem_bytes(const struct entry *e)
{
	return bt_chunk((void *)e);
}

size_t
entry_path(const struct entry *e, uint8_t *buf, size_t size)
{
	const struct entry *p;
	size_t		 total = 0, off;

	for (p = e; p != NULL; p = p->parent)
		total += klen(p);
	if (total > size)
		return total;
	off = total;
	for (p = e; p != NULL; p = p->parent) {
		off -= klen(p);
		memcpy(buf + off, p->data + keyoff(p), klen(p));
	}
	return total;
}

uint8_t
entry_flags(const struct entry *e)
{
	return e->flags & E_USER;
}

void
entry_set_flags(struct entry *e, uint8_t flags)
{
	e->flags = (e->flags & ~E_USER) | (flags & E_USER);
}

/*
 * The entry moved from `old' (already freed: never dereferenced) to
 * `e': re-point the parent's slot, found by element with `old' matched
 * by address, and the children's parent pointers.
 */
static void
relink(struct tree *t, uintptr_t old, struct entry *e)
{
	struct bt_iter	 it;
	struct entry	*c;

	if (e->parent == NULL)
		t->root = e;
	else if (bt_search(kids(e->parent), elem_of, e->data + keyoff(e),
	    klen(e), old, &it) != NULL)
		bt_set(&it, e);
	for (c = bt_first(kids(e), &it); c != NULL; c = bt_next(&it))
		c->parent = e;
	t->gen++;
}

int
entry_update(struct tree *t, struct entry **ep, const uint8_t *val,
    size_t len, struct chain ch, uint64_t tock)
{
	struct chain_link	 buf[CHAIN_MAXLEN], was[CHAIN_MAXLEN];
	struct chain		 oldch = { was, (*ep)->nchain };
	struct entry		*e = *ep, *ne;
	size_t			 oldsize, size, oldchunk;
	uintptr_t		 old = (uintptr_t)e;
	int			 had = entry_has_value(e);

	if (ch.n > CHAIN_MAXLEN || (val != NULL && len >= NOVAL)) {
		errno = E2BIG;
		return -1;
	}
	if (ch.n > t->maxlen)
		ch.n = t->maxlen;
	/* The chain may be the entry's own, which realloc can move. */
	if (ch.n > 0)
		memcpy(buf, ch.link, ch.n * sizeof(*buf));
	/* The old links leave the index by address, after the realloc. */
	memcpy(was, links(e), oldch.n * sizeof(*was));
	if (tickidx_reserve(&t->idx, ch.n) == -1)
		return -1;
	oldsize = entry_size(e);
	size = oldsize - e->nchain * sizeof(struct chain_link) - vlen(e) +
	    ch.n * sizeof(struct chain_link) + (val != NULL ? len : 0);
	if (size != oldsize) {
		oldchunk = bt_chunk(e);
		if ((ne = realloc(e, size)) == NULL)
			return -1;
		t->mem += bt_chunk(ne) - oldchunk;
		if ((uintptr_t)ne != old)
			relink(t, old, ne);
		*ep = e = ne;
	}
	tickidx_del(&t->idx, old, oldch);
	e->nchain = ch.n;
	if (ch.n > 0)
		memcpy((uint8_t *)links(e), buf, ch.n * sizeof(*buf));
	tickidx_add(&t->idx, e, entry_chain(e));
	e->vlen = val != NULL ? (uint32_t)len : NOVAL;
	if (val != NULL && len > 0)
		memcpy((uint8_t *)(links(e) + ch.n), val, len);
	e->tock = tock;
	if (had && val == NULL)
		t->nvalues--;
	else if (!had && val != NULL)
		t->nvalues++;
	return 0;
}

int
entry_set(struct tree *t, struct entry **ep, const uint8_t *val, size_t len,
    uint32_t node, uint64_t tick, uint64_t tock)
{
	struct chain_link	 buf[CHAIN_MAXLEN];
	struct chain		 ch;

	if (val == NULL || node > NODE_MAX) {
		errno = EINVAL;
		return -1;
	}
	ch.link = buf;
	ch.n = chain_add(buf, entry_chain(*ep), t->maxlen, node, tick);
	return entry_update(t, ep, val, len, ch, tock);
}

int
entry_delete(struct tree *t, struct entry **ep, uint32_t node, uint64_t tick,
    uint64_t tock)
{
	struct chain_link	 buf[CHAIN_MAXLEN];
	struct chain		 ch;

	if (node > NODE_MAX) {
		errno = EINVAL;
		return -1;
	}
	ch.link = buf;
	ch.n = chain_add(buf, entry_chain(*ep), t->maxlen, node, tick);
	return entry_update(t, ep, NULL, 0, ch, tock);
}

int
tree_purge(struct tree *t, struct entry *e)
{
	struct bt_iter	 it;
	struct entry	*p = e->parent;

	if (p == NULL || entry_has_value(e) || kids(e) != NULL) {
		errno = EBUSY;
		return -1;
	}
	if (bt_search(kids(p), elem_of, e->data + keyoff(e), klen(e),
	    (uintptr_t)e, &it) == NULL) {
		errno = ENOENT;		/* cannot happen: not its parent's */
		return -1;
	}
	bt_delete(kidsp(p), elem_of, &it, &t->mem);
	tickidx_del(&t->idx, (uintptr_t)e, entry_chain(e));
	t->mem -= bt_chunk(e);
	free(e);
	t->count--;
	t->gen++;
	return 0;
}

struct entry *
entry_child_first(struct entry *e, struct tree_iter *it)
{
	return bt_first(kids(e), &it->bt);
}

struct entry *
entry_child_next(struct tree_iter *it)
{
	return bt_next(&it->bt);
}

struct entry *
entry_child_seek(struct entry *e, const uint8_t *el, size_t len, int after,
    struct tree_iter *it)
{
	return bt_seek(kids(e), elem_of, el, len, after, &it->bt);
}

struct census {
	struct tree	*t;
	size_t		 n, values, links;
};

static int
check_one(struct entry *e, const uint8_t *p, size_t len, unsigned depth,
    void *arg)
{
	struct census	*cs = arg;
	struct bt_iter	 it;
	struct entry	*c;
	unsigned	 i;

	if (bt_check(kids(e), elem_of) == -1)
		return 1;
	for (c = bt_first(kids(e), &it); c != NULL; c = bt_next(&it))
		if (c->parent != e)
			return 1;
	/* (node, tick) can be in two chains (tests do that), so the
	   index may answer with the other entry; but with one. */
	for (i = 0; cs->t->idx.on && i < e->nchain; i++)
		if (tickidx_find(&cs->t->idx, links(e)[i].node,
		    links(e)[i].tick) == NULL)
			return 1;
	cs->links += e->nchain;
	cs->n++;
	cs->values += entry_has_value(e);
	return 0;
}

int
tree_check(struct tree *t)
{
	struct census	 cs = { t, 0, 0, 0 };

	if (t->root->parent != NULL ||
	    tree_walk(t, NULL, 0, 0, TREE_DEPTH_ANY, TREE_WALK_EMPTY,
	    check_one, &cs) != 0)
		return -1;
	return cs.n == t->count + 1 && cs.values == t->nvalues &&
	    (!t->idx.on || cs.links == t->idx.used) ? 0 : -1;
}
