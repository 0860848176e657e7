/*
 * btree.c - a B-tree of entry pointers keyed by element (see btree.h).
 *
 * Classic B-tree: items live in every node, internal nodes have n+1
 * children, all leaves are at the same depth, non-root nodes hold
 * BT_MIN..BT_MAX items.  Inserts and deletes work bottom-up along the
 * path a search recorded, so an insert after a failed lookup (the
 * lookup_create case) costs no second descent.
 *
 * Memory: the root leaf grows through 1, 3, 7, 15, 31, 63 slots, so the
 * common 1-3 child entry pays 16-32 bytes, not a full node; and
 * inserting a new maximum (minimum) into a full node on the right (left)
 * edge splits it 62:1, not 32:31, so keys arriving in order fill nodes
 * to ~98%.  Only edge nodes can become sparse that way, which keeps the
 * height O(log n); deletion treats them like any underfull node.
 *
 * Speed: items point to entries scattered over the heap, so a plain
 * binary search takes a cache miss per probe: at a million children,
 * ~1.4us per random lookup.  So a full-size node whose items are all
 * strs (the usual keys) keeps their longest common prefix (up to
 * PFX_MAX bytes) and, per item, the next 4 bytes as a big-endian u32
 * abbreviation.  Zero-padded abbreviations order like their strs (a
 * strict < between them implies < between the strs), so a search
 * narrows down inside the node and reads entries only to break ties:
 * ~0.5us per random lookup, for 272 bytes per full node (~4 bytes per
 * item; 16-bit ones saved 2 bytes but ran ~1.5x slower).  The prefix
 * only shrinks on insert (a new item at the edge that does not share
 * it) and is recomputed when nodes split, merge or rotate.
 *
 * The root's header also holds the total count, so bt_count() is O(1).
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "core/btree.h"
#include "core/elem.h"

#define BT_MIN		(BT_MAX / 2)	/* 31 */
#define PFX_MAX		19		/* makes struct abbrev 272 bytes */
#define PLEN_OFF	0xff		/* not all items are strs */

struct abbrev {
	uint8_t		 plen;		/* common prefix length or PLEN_OFF */
	uint8_t		 pfx[PFX_MAX];
	uint32_t	 key[BT_MAX];
};

struct bnode {
	uint32_t	 count;		/* items in the whole set: root only */
	uint16_t	 n;		/* items in this node */
	uint8_t		 leaf;
	uint8_t		 cap;		/* < BT_MAX only in a root leaf */
	uint64_t	 body[];	/* [abbrev if full size], items, kids */
};

/* A search key: the element, and its bytes if it is a str. */
struct bt_key {
	const uint8_t	*p;
	size_t		 len;
	uintptr_t	 self;
	const uint8_t	*s;
	size_t		 slen;
};

static int
big(const struct bnode *b)
{
	return b->cap == BT_MAX;
}

static struct abbrev *
abv(const struct bnode *b)
{
	return (struct abbrev *)b->body;
}

static void **
items(const struct bnode *b)
{
	return (void **)((uint8_t *)b->body +
	    (big(b) ? sizeof(struct abbrev) : 0));
}

static struct bnode **
kids(const struct bnode *b)
{
	return (struct bnode **)(items(b) + b->cap);
}

static size_t
node_size(int leaf, unsigned cap)
{
	return sizeof(struct bnode) +
	    (cap == BT_MAX ? sizeof(struct abbrev) : 0) +
	    (cap + (leaf ? 0 : cap + 1)) * sizeof(void *);
}

size_t
bt_chunk(void *p)
{
	return p == NULL ? 0 : malloc_usable_size(p) + sizeof(size_t);
}

static struct bnode *
node_new(int leaf, unsigned cap, size_t *mem)
{
	struct bnode	*b;

	if ((b = malloc(node_size(leaf, cap))) == NULL)
		return NULL;
	b->count = 0;
	b->n = 0;
	b->leaf = leaf;
	b->cap = cap;
	if (big(b))
		abv(b)->plen = 0;
	*mem += bt_chunk(b);
	return b;
}

static void
node_free(struct bnode *b, size_t *mem)
{
	*mem -= bt_chunk(b);
	free(b);
}

size_t
bt_count(const struct bnode *root)
{
	return root == NULL ? 0 : root->count;
}

static const uint8_t *
item_str(bt_elem_fn ef, const void *item, size_t *slen)
{
	const uint8_t	*el;
	size_t		 len;

	el = ef(item, &len);
	return elem_str(el, len, slen);
}

/* The four bytes after the prefix, zero-padded, big-endian. */
static uint32_t
abbr_of(const uint8_t *s, size_t len, unsigned plen)
{
	uint32_t	 v = 0;
	unsigned	 i;

	for (i = 0; i < 4; i++)
		v = v << 8 | (len > plen + i ? s[plen + i] : 0);
	return v;
}

/* Recompute prefix and abbreviations of a full node: n entry reads. */
static void
reabbr(struct bnode *b, bt_elem_fn ef)
{
	struct abbrev	*a;
	const uint8_t	*s0, *s1, *s;
	size_t		 l0, l1, l;
	unsigned	 i, p = 0;

	if (!big(b))
		return;
	a = abv(b);
	a->plen = PLEN_OFF;
	if (b->n == 0) {
		a->plen = 0;
		return;
	}
	/* Sorted strs all share the prefix of the first and the last. */
	s0 = item_str(ef, items(b)[0], &l0);
	s1 = item_str(ef, items(b)[b->n - 1], &l1);
	if (s0 == NULL || s1 == NULL)
		return;
	while (p < l0 && p < l1 && p < PFX_MAX && s0[p] == s1[p])
		p++;
	for (i = 0; i < b->n; i++) {
		if ((s = item_str(ef, items(b)[i], &l)) == NULL)
			return;
		a->key[i] = abbr_of(s, l, p);
	}
	memcpy(a->pfx, s0, p);
	a->plen = p;
}

/* Item i of a full node is new: abbreviate it, or start over. */
static void
slot_abbr(struct bnode *b, unsigned i, bt_elem_fn ef)
{
	struct abbrev	*a = abv(b);
	const uint8_t	*s;
	size_t		 l;

	if (!big(b) || a->plen == PLEN_OFF)
		return;
	s = item_str(ef, items(b)[i], &l);
	if (s != NULL && l >= a->plen && memcmp(s, a->pfx, a->plen) == 0)
		a->key[i] = abbr_of(s, l, a->plen);
	else
		reabbr(b, ef);
}

/*
 * Resize a root leaf to `cap' slots.  Full-size leaves keep the
 * abbreviations in front of the items, so crossing that size moves the
 * items.  Returns the new address, or NULL with the node unchanged.
 */
static struct bnode *
leaf_resize(struct bnode *b, unsigned cap, bt_elem_fn ef, size_t *mem)
{
	struct bnode	*nb;
	size_t		 old = bt_chunk(b), gap = sizeof(struct abbrev);
	uint8_t		*body = (uint8_t *)b->body;

	if (big(b) && cap < BT_MAX) {
		memmove(body, body + gap, b->n * sizeof(void *));
		b->cap = cap;
	}
	if ((nb = realloc(b, node_size(1, cap))) == NULL) {
		if (b->cap != cap)
			return NULL;
		nb = b;			/* a failed shrink keeps the block */
	}
	if (cap == BT_MAX && !big(nb)) {
		body = (uint8_t *)nb->body;
		memmove(body + gap, body, nb->n * sizeof(void *));
		nb->cap = cap;
		reabbr(nb, ef);
	}
	nb->cap = cap;
	*mem += bt_chunk(nb) - old;
	return nb;
}

static int
key_cmp(const struct bt_key *k, const void *item, bt_elem_fn ef)
{
	const uint8_t	*el;
	size_t		 len;

	if ((uintptr_t)item == k->self)
		return 0;
	el = ef(item, &len);
	return elem_cmp(k->p, k->len, el, len);
}

/* Narrow [*lo, *hi) to the items whose abbreviation equals the key's. */
static void
abbr_range(const struct bnode *b, const struct bt_key *k, unsigned *lo,
    unsigned *hi)
{
	const struct abbrev *a = abv(b);
	unsigned	 l = 0, h = b->n, m, p = a->plen;
	uint32_t	 ka;
	int		 c;

	c = memcmp(k->s, a->pfx, k->slen < p ? k->slen : p);
	if (c != 0 || k->slen < p) {	/* outside the node's prefix */
		*lo = *hi = c > 0 ? b->n : 0;
		return;
	}
	ka = abbr_of(k->s, k->slen, p);
	while (l < h) {
		m = l + (h - l) / 2;
		if (a->key[m] < ka)
			l = m + 1;
		else
			h = m;
	}
	*lo = l;
	for (h = l; h < b->n && a->key[h] == ka; h++)
		;
	*hi = h;
}

/* First slot whose item is >= key; *eq says whether it is equal. */
static unsigned
node_find(const struct bnode *b, const struct bt_key *k, bt_elem_fn ef,
    int *eq)
{
	unsigned	 lo = 0, hi = b->n, mid;
	int		 c;

	*eq = 0;
	if (big(b) && k->s != NULL && abv(b)->plen != PLEN_OFF)
		abbr_range(b, k, &lo, &hi);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = key_cmp(k, items(b)[mid], ef);
		if (c == 0) {
			*eq = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void *
bt_search(struct bnode *root, bt_elem_fn ef, const uint8_t *p, size_t len,
    uintptr_t self, struct bt_iter *it)
{
	struct bt_key	 k = { p, len, self, NULL, 0 };
	struct bnode	*b = root;
	unsigned	 i;
	int		 h = 0, eq;

	k.s = elem_str(p, len, &k.slen);
	it->h = -1;
	while (b != NULL) {
		i = node_find(b, &k, ef, &eq);
		it->node[h] = b;
		it->idx[h] = i;
		it->h = h;
		if (eq)
			return items(b)[i];
		if (b->leaf)
			break;
		b = kids(b)[i];
		h++;
	}
	return NULL;
}

void
bt_set(struct bt_iter *it, void *item)
{
	items(it->node[it->h])[it->idx[it->h]] = item;
}

/* Open a gap at slot i (and kid i+1) and put item/right there. */
static void
node_put(struct bnode *b, unsigned i, void *item, struct bnode *right,
    bt_elem_fn ef)
{
	struct bnode	**k;
	uint32_t	*ak;

	if (!b->leaf) {
		k = kids(b);
		memmove(&k[i + 2], &k[i + 1], (b->n - i) * sizeof(*k));
		k[i + 1] = right;
	}
	memmove(&items(b)[i + 1], &items(b)[i], (b->n - i) * sizeof(void *));
	items(b)[i] = item;
	if (big(b)) {
		ak = abv(b)->key;
		memmove(&ak[i + 1], &ak[i], (b->n - i) * sizeof(*ak));
	}
	b->n++;
	slot_abbr(b, i, ef);
}

/* Is the path above level h all-rightmost (dir>0) or all-leftmost? */
static int
on_edge(const struct bt_iter *it, int h, int dir)
{
	int	 l;

	for (l = 0; l < h; l++)
		if (it->idx[l] != (dir > 0 ? it->node[l]->n : 0))
			return 0;
	return 1;
}

/*
 * Split the full node b while inserting item (and kid right after it)
 * at slot i, moving the upper part into the empty node nb.  b keeps the
 * lower part; the separator goes to *sep.
 */
static void
split(struct bt_iter *it, int h, unsigned i, void *item, struct bnode *right,
    struct bnode *nb, void **sep, bt_elem_fn ef)
{
	void		*ti[BT_MAX + 1];
	struct bnode	*tk[BT_MAX + 2], *b = it->node[h];
	unsigned	 s = (BT_MAX + 1) / 2, rn;

	if (i == b->n && on_edge(it, h, 1))
		s = BT_MAX - 1;		/* appending: keep the left full */
	else if (i == 0 && on_edge(it, h, -1))
		s = 1;			/* prepending: keep the right full */
	memcpy(ti, items(b), i * sizeof(void *));
	ti[i] = item;
	memcpy(ti + i + 1, items(b) + i, (b->n - i) * sizeof(void *));
	rn = BT_MAX - s;
	memcpy(items(b), ti, s * sizeof(void *));
	*sep = ti[s];
	memcpy(items(nb), ti + s + 1, rn * sizeof(void *));
	if (!b->leaf) {
		memcpy(tk, kids(b), (i + 1) * sizeof(*tk));
		tk[i + 1] = right;
		memcpy(tk + i + 2, kids(b) + i + 1, (b->n - i) * sizeof(*tk));
		memcpy(kids(b), tk, (s + 1) * sizeof(*tk));
		memcpy(kids(nb), tk + s + 1, (rn + 1) * sizeof(*tk));
	}
	b->n = s;
	nb->n = rn;
	reabbr(b, ef);
	reabbr(nb, ef);
}

static unsigned
cap_for(unsigned n)
{
	unsigned	 cap = 1;

	while (cap < n)
		cap = cap * 2 + 1;
	return cap < BT_MAX ? cap : BT_MAX;
}

/*
 * Failing halfway through a cascade of splits would leave a broken
 * tree, so allocate every node the cascade needs before touching it:
 * one per full level from the leaf up, one more for a new root.
 */
static int
prealloc(const struct bt_iter *it, struct bnode **spare, size_t *mem)
{
	int	 h, n = 0, k;

	for (h = it->h; h >= 0 && it->node[h]->n == BT_MAX; h--)
		n++;
	if (h < 0)
		n++;
	for (k = 0; k < n; k++) {
		/* spare[k] splits level it->h - k; the last is the new root. */
		h = it->h - k;
		spare[k] = node_new(h >= 0 && it->node[h]->leaf, BT_MAX, mem);
		if (spare[k] == NULL) {
			while (k-- > 0)
				node_free(spare[k], mem);
			return -1;
		}
	}
	return n;
}

int
bt_insert(struct bnode **rootp, bt_elem_fn ef, struct bt_iter *it,
    void *item, size_t *mem)
{
	struct bnode	*b, *right = NULL, *nb, *spare[BT_MAXH + 1];
	unsigned	 i;
	int		 h = it->h, k = 0;

	if (*rootp == NULL) {
		if ((b = node_new(1, 1, mem)) == NULL)
			return -1;
		items(b)[0] = item;
		b->n = b->count = 1;
		*rootp = b;
		return 0;
	}
	b = it->node[h];
	if (b->n == b->cap && b->n < BT_MAX) {	/* small root leaf: grow */
		if ((nb = leaf_resize(b, cap_for(b->n + 1), ef, mem)) == NULL)
			return -1;
		*rootp = it->node[h] = nb;
	}
	if (prealloc(it, spare, mem) == -1)
		return -1;
	for (;; h--) {
		b = it->node[h];
		i = it->idx[h];
		if (b->n < b->cap) {
			node_put(b, i, item, right, ef);
			break;
		}
		nb = spare[k++];
		split(it, h, i, item, right, nb, &item, ef);
		right = nb;
		if (h == 0) {
			nb = spare[k];
			items(nb)[0] = item;
			kids(nb)[0] = b;
			kids(nb)[1] = right;
			nb->n = 1;
			nb->count = b->count;
			b->count = 0;
			reabbr(nb, ef);
			*rootp = nb;
			break;
		}
	}
	(*rootp)->count++;
	return 0;
}

/* Descend from b at level h to the leftmost leaf; return its first item. */
static void *
leftmost(struct bt_iter *it, struct bnode *b, int h)
{
	for (;;) {
		it->node[h] = b;
		it->idx[h] = 0;
		if (b->leaf)
			break;
		b = kids(b)[0];
		h++;
	}
	it->h = h;
	return items(b)[0];
}

/*
 * Climb from a slot one past a node's items to the next ancestor
 * item; the upper levels' idx name the kid we came down through, which
 * is also the slot of the item that follows that kid.
 */
static void *
settle(struct bt_iter *it)
{
	int	 h = it->h;

	while (it->idx[h] >= it->node[h]->n) {
		if (h == 0) {
			it->h = -1;
			return NULL;
		}
		h--;
	}
	it->h = h;
	return items(it->node[h])[it->idx[h]];
}

void *
bt_first(struct bnode *root, struct bt_iter *it)
{
	if (root == NULL || root->n == 0) {
		it->h = -1;
		return NULL;
	}
	return leftmost(it, root, 0);
}

void *
bt_cur(const struct bt_iter *it)
{
	if (it->h < 0)
		return NULL;
	return items(it->node[it->h])[it->idx[it->h]];
}

void *
bt_next(struct bt_iter *it)
{
	struct bnode	*b;
	int		 h = it->h;

	if (h < 0)
		return NULL;
	b = it->node[h];
	it->idx[h]++;
	if (!b->leaf)
		return leftmost(it, kids(b)[it->idx[h]], h + 1);
	return settle(it);
}

void *
bt_seek(struct bnode *root, bt_elem_fn ef, const uint8_t *p, size_t len,
    int after, struct bt_iter *it)
{
	void	*item;

	if ((item = bt_search(root, ef, p, len, 0, it)) != NULL)
		return after ? bt_next(it) : item;
	if (it->h < 0)
		return NULL;
	return settle(it);
}

/* Remove slot i (and kid i+1, or kid i if `leftkid') from b. */
static void
node_cut(struct bnode *b, unsigned i, int leftkid)
{
	struct bnode	**k;
	uint32_t	*ak;
	unsigned	 ki = leftkid ? i : i + 1;

	memmove(&items(b)[i], &items(b)[i + 1],
	    (b->n - i - 1) * sizeof(void *));
	if (big(b)) {
		ak = abv(b)->key;
		memmove(&ak[i], &ak[i + 1], (b->n - i - 1) * sizeof(*ak));
	}
	if (!b->leaf) {
		k = kids(b);
		memmove(&k[ki], &k[ki + 1], (b->n - ki) * sizeof(*k));
	}
	b->n--;
}

/* Merge kid c+1 of p and the separator c into kid c. */
static void
merge(struct bnode *p, unsigned c, bt_elem_fn ef, size_t *mem)
{
	struct bnode	*l = kids(p)[c], *r = kids(p)[c + 1];

	items(l)[l->n] = items(p)[c];
	memcpy(&items(l)[l->n + 1], items(r), r->n * sizeof(void *));
	if (!l->leaf)
		memcpy(&kids(l)[l->n + 1], kids(r),
		    (r->n + 1) * sizeof(struct bnode *));
	l->n += r->n + 1;
	reabbr(l, ef);
	node_cut(p, c, 0);
	node_free(r, mem);
}

/* Move one item from b's left sibling (kid c-1) through the parent. */
static void
rotate_right(struct bnode *p, unsigned c, bt_elem_fn ef)
{
	struct bnode	*b = kids(p)[c], *l = kids(p)[c - 1];
	uint32_t	*ak = abv(b)->key;

	memmove(&items(b)[1], &items(b)[0], b->n * sizeof(void *));
	memmove(&ak[1], &ak[0], b->n * sizeof(*ak));
	items(b)[0] = items(p)[c - 1];
	items(p)[c - 1] = items(l)[l->n - 1];
	if (!b->leaf) {
		memmove(&kids(b)[1], &kids(b)[0],
		    (b->n + 1) * sizeof(struct bnode *));
		kids(b)[0] = kids(l)[l->n];
	}
	b->n++;
	l->n--;
	slot_abbr(b, 0, ef);
	slot_abbr(p, c - 1, ef);
}

/* Move one item from b's right sibling (kid c+1) through the parent. */
static void
rotate_left(struct bnode *p, unsigned c, bt_elem_fn ef)
{
	struct bnode	*b = kids(p)[c], *r = kids(p)[c + 1];

	items(b)[b->n] = items(p)[c];
	items(p)[c] = items(r)[0];
	if (!b->leaf)
		kids(b)[b->n + 1] = kids(r)[0];
	b->n++;
	node_cut(r, 0, 1);
	slot_abbr(b, b->n - 1, ef);
	slot_abbr(p, c, ef);
}

/* Restore the fill of the nodes on the path, from level h up. */
static void
rebalance(struct bnode **rootp, struct bt_iter *it, int h, bt_elem_fn ef,
    size_t *mem)
{
	struct bnode	*p, *root, *nb;
	unsigned	 c;

	for (; h > 0 && it->node[h]->n < BT_MIN; h--) {
		p = it->node[h - 1];
		c = it->idx[h - 1];
		if (c > 0 && kids(p)[c - 1]->n > BT_MIN)
			rotate_right(p, c, ef);
		else if (c < p->n && kids(p)[c + 1]->n > BT_MIN)
			rotate_left(p, c, ef);
		else
			merge(p, c > 0 ? c - 1 : c, ef, mem);
	}
	root = *rootp;
	if (root->n > 0) {
		/* A root leaf that emptied out goes back to a small block. */
		if (root->leaf && root->n * 4 <= root->cap && root->cap > 1 &&
		    (nb = leaf_resize(root, cap_for(root->n * 2), ef, mem)))
			*rootp = nb;
		return;
	}
	/* An empty root: the set is empty, or the tree loses a level. */
	*rootp = root->leaf ? NULL : kids(root)[0];
	if (*rootp != NULL)
		(*rootp)->count = root->count;
	node_free(root, mem);
}

void
bt_delete(struct bnode **rootp, bt_elem_fn ef, struct bt_iter *it,
    size_t *mem)
{
	struct bnode	*b = it->node[it->h], *l;
	unsigned	 i = it->idx[it->h];
	int		 h = it->h;

	(*rootp)->count--;
	if (b->leaf) {
		node_cut(b, i, 0);
		rebalance(rootp, it, h, ef, mem);
		return;
	}
	/* Replace the item by its predecessor, the last of a leaf. */
	l = kids(b)[i];
	for (h++; ; h++) {
		it->node[h] = l;
		it->idx[h] = l->leaf ? l->n - 1 : l->n;
		if (l->leaf)
			break;
		l = kids(l)[l->n];
	}
	items(b)[i] = items(l)[l->n - 1];
	l->n--;
	slot_abbr(b, i, ef);
	rebalance(rootp, it, h, ef, mem);
}

static void
destroy(struct bnode *b, void (*fn)(void *, void *), void *arg, size_t *mem)
{
	unsigned	 i;

	for (i = 0; i <= b->n; i++) {
		if (!b->leaf)
			destroy(kids(b)[i], fn, arg, mem);
		if (i < b->n && fn != NULL)
			fn(items(b)[i], arg);
	}
	node_free(b, mem);
}

void
bt_destroy(struct bnode *root, void (*fn)(void *, void *), void *arg,
    size_t *mem)
{
	if (root != NULL)
		destroy(root, fn, arg, mem);
}

static int
item_cmp(bt_elem_fn ef, const void *x, const void *y)
{
	const uint8_t	*a, *b;
	size_t		 al, bl;

	a = ef(x, &al);
	b = ef(y, &bl);
	return elem_cmp(a, al, b, bl);
}

/* Does item i disagree with the node's prefix or abbreviation? */
static int
bad_abbr(const struct bnode *b, unsigned i, bt_elem_fn ef)
{
	const struct abbrev *a = abv(b);
	const uint8_t	*s;
	size_t		 l;

	if (!big(b) || a->plen == PLEN_OFF)
		return 0;
	s = item_str(ef, items(b)[i], &l);
	return a->plen > PFX_MAX || s == NULL || l < a->plen ||
	    memcmp(s, a->pfx, a->plen) != 0 ||
	    a->key[i] != abbr_of(s, l, a->plen);
}

/* Returns the number of items below b, or -1; *depth gets leaf depth. */
static long
check(const struct bnode *b, int isroot, int h, int *depth, bt_elem_fn ef,
    const void *lo, const void *hi)
{
	void		**it = items(b);
	unsigned	 i;
	long		 sum = b->n, sub;

	if ((!isroot && b->n == 0) || b->n > b->cap ||
	    (!isroot && b->cap != BT_MAX) || h >= BT_MAXH)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (bad_abbr(b, i, ef) ||
		    (i > 0 && item_cmp(ef, it[i - 1], it[i]) >= 0) ||
		    (lo != NULL && item_cmp(ef, lo, it[i]) >= 0) ||
		    (hi != NULL && item_cmp(ef, it[i], hi) >= 0))
			return -1;
	}
	if (b->leaf) {
		if (*depth == -1)
			*depth = h;
		return *depth == h ? sum : -1;
	}
	for (i = 0; i <= b->n; i++) {
		sub = check(kids(b)[i], 0, h + 1, depth, ef,
		    i > 0 ? it[i - 1] : lo, i < b->n ? it[i] : hi);
		if (sub < 0)
			return -1;
		sum += sub;
	}
	return sum;
}

int
bt_check(const struct bnode *root, bt_elem_fn ef)
{
	int	 depth = -1;
	long	 n;

	if (root == NULL)
		return 0;
	n = check(root, 1, 0, &depth, ef, NULL, NULL);
	return n >= 0 && (size_t)n == root->count ? 0 : -1;
}
