/*
 * tree.h - the MoaT-KV data tree held by the core process.
 *
 * Every entry has its path element, a value kept packed (sent without
 * re-encoding), its change chain, the tock of its last change, and its
 * children in elem_cmp() order.  An entry without a value is either a
 * tombstone (deleted; the chain says by whom) or a bare intermediate
 * node; a nil value is a value.
 *
 * Paths are the concatenation of packed elements (see elem.h), already
 * validated.  Elements are limited to 4 GiB and values to 4 GiB - 2.
 *
 * Pointer lifetime: an entry may move in memory when its value or
 * chain grows (entry_set()/entry_delete()/entry_update() return the new
 * address through their struct entry ** argument) and when it gets its
 * first child (tree_lookup_create()/tree_store() below it: look the
 * parent up again, or use entry_parent() of the child).  Any other
 * pointer to a moved entry is stale; tree_purge() frees one.
 * tree_gen() changes whenever any entry moves, appears or disappears,
 * so a holder of pointers can tell whether they are still good.
 *
 * Functions returning int give 0, or -1 with errno set.
 */
#ifndef MOAT_TREE_H
#define MOAT_TREE_H

#include <stddef.h>
#include <stdint.h>

#include "core/btree.h"
#include "core/chain.h"

struct tree;
struct entry;

struct tree	*tree_new(unsigned chain_maxlen);
void		 tree_free(struct tree *);
struct entry	*tree_root(struct tree *);
unsigned	 tree_chain_maxlen(const struct tree *);

/* NULL if absent (errno ENOENT) or the path does not parse (EINVAL). */
struct entry	*tree_lookup(struct tree *, const uint8_t *, size_t);
/* Creates missing entries on the way, without values; NULL on ENOMEM. */
struct entry	*tree_lookup_create(struct tree *, const uint8_t *, size_t);

/*
 * tree_lookup_create() and entry_set() in one, cheaper for a new entry
 * (allocated once, at its final size).  NULL with errno on failure.
 */
struct entry	*tree_store(struct tree *, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint32_t, uint64_t, uint64_t);

/* Entries, excluding the root; entries that have a value. */
size_t		 tree_count(const struct tree *);
size_t		 tree_nvalues(const struct tree *);
/* Heap bytes held by the tree: entries, child sets, node names. */
size_t		 tree_mem_bytes(const struct tree *);
/* Changes whenever an entry is created, freed or moved. */
uint64_t	 tree_gen(const struct tree *);

/*
 * Check every child set's order and balance, every parent pointer,
 * the counts, and that the (node, tick) index holds every chain link
 * and nothing else: 0 if sound.  O(n), for the tests.
 */
int		 tree_check(struct tree *);

/*
 * The entry whose chain holds the change `tick' of `node' (a
 * tombstone's too), or NULL (errno ENOENT, or ENOMEM).  The first call
 * builds an index of every chain link (tickidx.h, O(n), ~17 bytes a
 * link) that every change, move and purge keeps up to date from then
 * on, so later calls are O(1).  A tick the same node has overwritten
 * since, or one cut off the end of the chain, is not found, as the
 * original's Node.entries forgets it.
 */
struct entry	*tree_find_event(struct tree *, uint32_t, uint64_t);

/* Server names: see nodetab_* in chain.h. */
uint32_t	 tree_node_intern(struct tree *, const char *, size_t);
const char	*tree_node_name(const struct tree *, uint32_t, size_t *);
struct nodetab	*tree_nodes(struct tree *);

/* Accessors.  Returned pointers are valid until the entry changes. */
int		 entry_has_value(const struct entry *);
const uint8_t	*entry_value(const struct entry *, size_t *);
uint64_t	 entry_tock(const struct entry *);
struct chain	 entry_chain(const struct entry *);
size_t		 entry_nchildren(const struct entry *);
const uint8_t	*entry_elem(const struct entry *, size_t *);
struct entry	*entry_parent(const struct entry *);
unsigned	 entry_depth(const struct entry *);
/* Heap bytes of this entry alone (not its children). */
size_t		 entry_mem_bytes(const struct entry *);
/*
 * The full path into buf if it fits; returns its length either way,
 * so a caller can size the buffer with a first call.
 */
size_t		 entry_path(const struct entry *, uint8_t *, size_t);
/* 7 bits the caller owns (e.g. "has watchers"); the tree ignores them. */
uint8_t		 entry_flags(const struct entry *);
void		 entry_set_flags(struct entry *, uint8_t);

/*
 * Changes.  `node' (an index from tree_node_intern(), at most NODE_MAX)
 * made change `tick' at cluster time `tock': the chain gets (node,
 * tick) in front (chain_add()).  entry_set() copies the
 * packed value, which must not point into the entry itself;
 * entry_delete() drops the value and keeps the entry as a tombstone.
 * entry_update() installs a whole chain as received from another
 * server (cut to the tree's maxlen); a NULL value means none.  On
 * failure nothing changed.
 */
int		 entry_set(struct tree *, struct entry **, const uint8_t *,
		    size_t, uint32_t, uint64_t, uint64_t);
int		 entry_delete(struct tree *, struct entry **, uint32_t,
		    uint64_t, uint64_t);
int		 entry_update(struct tree *, struct entry **, const uint8_t *,
		    size_t, struct chain, uint64_t);

/*
 * Remove and free an entry that has neither value nor children (a
 * tombstone past its time, an empty intermediate).  EBUSY otherwise,
 * and for the root.
 */
int		 tree_purge(struct tree *, struct entry *);

/* Children in order (enum).  Invalidated by any tree_gen() change. */
struct tree_iter {
	struct bt_iter	 bt;
};

struct entry	*entry_child(struct entry *, const uint8_t *, size_t);
struct entry	*entry_child_first(struct entry *, struct tree_iter *);
struct entry	*entry_child_next(struct tree_iter *);
/* First child >= elem (> elem if `after'). */
struct entry	*entry_child_seek(struct entry *, const uint8_t *, size_t,
		    int, struct tree_iter *);

/*
 * Walks (walk.c): depth-first, an entry before its children, children
 * in elem order, below the entry at `root' (a path).  Depth is relative
 * to it (0 = the root itself); entries outside [mindepth, maxdepth] are
 * not returned and nothing below maxdepth is visited.  Entries without
 * a value are skipped unless TREE_WALK_EMPTY.
 *
 * A cursor survives anything done to the tree between calls: it keeps
 * the relative path of the entry it returned last and, when tree_gen()
 * has changed, finds its place again by that path (O(depth log n)),
 * continuing with the next entry in order that exists then.  So a
 * stream of a million entries can be sent in chunks under flow control
 * while clients write to the tree.  Entries created behind the cursor
 * are not seen; entries created ahead of it are.
 */
#define TREE_WALK_EMPTY		0x01
#define TREE_DEPTH_ANY		UINT32_MAX

struct tree_cursor;

struct tree_cursor *tree_cursor_new(struct tree *, const uint8_t *, size_t,
		    unsigned, unsigned, int);
void		 tree_cursor_free(struct tree_cursor *);
/* The next entry, or NULL at the end or on ENOMEM (then failed() is 1). */
struct entry	*tree_cursor_next(struct tree_cursor *);
int		 tree_cursor_failed(const struct tree_cursor *);
/* Path of the last entry returned, relative to the root, and depth. */
const uint8_t	*tree_cursor_path(const struct tree_cursor *, size_t *);
unsigned	 tree_cursor_depth(const struct tree_cursor *);
/*
 * Resume after the entry at this relative path (which need not exist
 * any more): the next entry returned is the first one after it in walk
 * order, its own children first.
 */
int		 tree_cursor_seek(struct tree_cursor *, const uint8_t *,
		    size_t);

/*
 * One-shot walk: fn(entry, relpath, rellen, depth, arg) for each entry;
 * a non-zero return stops the walk and is returned (-1 on ENOMEM).  fn
 * may change the tree (set values, purge), as the walk resumes by path.
 */
typedef int	(*tree_visit_fn)(struct entry *, const uint8_t *, size_t,
		    unsigned, void *);

int		 tree_walk(struct tree *, const uint8_t *, size_t, unsigned,
		    unsigned, int, tree_visit_fn, void *);

#endif
