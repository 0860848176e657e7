/*
 * btree.h - ordered sets of entries, used for the children of an entry.
 *
 * A B-tree of item pointers, ordered by elem_cmp() of each item's path
 * element (which the caller's bt_elem_fn returns).  NULL is the empty
 * set, so a childless entry pays one pointer.  A set of a few items is
 * a single leaf sized to fit (1, 3, 7, 15, 31 slots: 16 to 256 bytes);
 * big sets use full 63-slot nodes that also keep 32-bit abbreviated
 * keys, so a search mostly stays inside the nodes instead of reading a
 * scattered entry per probe.  O(log n) search, insert and delete.  Each
 * item is stored exactly once, so an item that moves in memory is
 * re-pointed with one search and bt_set().
 *
 * Positions (struct bt_iter) are paths from the root; any insert or
 * delete invalidates every position in the same set.
 */
#ifndef MOAT_BTREE_H
#define MOAT_BTREE_H

#include <stddef.h>
#include <stdint.h>

#define BT_MAX		63	/* items per full node */
#define BT_MAXH		16	/* height bound: 31^15 > 2^64 items */

struct bnode;

/* The packed element of an item. */
typedef const uint8_t	*(*bt_elem_fn)(const void *, size_t *);

struct bt_iter {
	struct bnode	*node[BT_MAXH];
	uint16_t	 idx[BT_MAXH];
	int		 h;	/* level of the current slot; -1 at end */
};

size_t	 bt_count(const struct bnode *);

/*
 * Find the item whose element equals (p, len): returns it with `it' at
 * it, or NULL with `it' at the slot where it would go (for bt_insert).
 * An item at address `self' (if not 0) matches without being read:
 * that finds the slot of an item that was freed by realloc().
 */
void	*bt_search(struct bnode *, bt_elem_fn, const uint8_t *, size_t,
	    uintptr_t, struct bt_iter *);

/*
 * Insert at the slot a failed bt_search() left in `it'.  -1 (ENOMEM)
 * leaves the set unchanged.  *mem tracks bytes allocated.
 */
int	 bt_insert(struct bnode **, bt_elem_fn, struct bt_iter *, void *,
	    size_t *);

/* Remove the item a successful bt_search() left `it' at. */
void	 bt_delete(struct bnode **, bt_elem_fn, struct bt_iter *, size_t *);

/* Replace the item at a position by one with the same element. */
void	 bt_set(struct bt_iter *, void *);

/* In-order iteration; NULL at the end. */
void	*bt_first(struct bnode *, struct bt_iter *);
void	*bt_next(struct bt_iter *);
void	*bt_cur(const struct bt_iter *);
/* Position at the first item >= (p, len) (> if `after'); NULL if none. */
void	*bt_seek(struct bnode *, bt_elem_fn, const uint8_t *, size_t, int,
	    struct bt_iter *);

/* Free all nodes, calling fn (if not NULL) on each item, in order. */
void	 bt_destroy(struct bnode *, void (*)(void *, void *), void *,
	    size_t *);

/*
 * Check the structure: order, uniform leaf depth, fill, abbreviations
 * and the stored count.  0 if sound, else -1.  For the tests.
 */
int	 bt_check(const struct bnode *, bt_elem_fn);

/* Bytes a malloc'd block really takes: usable size plus its header. */
size_t	 bt_chunk(void *);

#endif
