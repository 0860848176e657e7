/*
 * watch.h - watch points: which streams watch which subtree.
 *
 * A watch point is a path with the watch streams on it.  The entry at
 * that path (created if need be: a client may watch a path that does
 * not exist yet) carries the WATCHED flag bit, so a change looks only
 * at the flags of its entry's ancestors - O(depth) and no lookups -
 * and does nothing at all while nobody watches.
 */
#ifndef MOAT_WATCH_H
#define MOAT_WATCH_H

#include <stddef.h>
#include <stdint.h>

struct stream;
struct change;
struct watchpoint;

#define ENTRY_F_WATCHED	0x01

/* Attach a stream to the watch point at path; NULL on ENOMEM. */
struct watchpoint *watch_add(struct stream *, const uint8_t *, size_t);
void		 watch_del(struct watchpoint *, struct stream *);
void		 watch_notify(const struct change *);
size_t		 watch_count(void);
/*
 * Free e and then its ancestors as long as they are bare: no value, no
 * chain, no children, nobody watching (after a watch ends, after a
 * tombstone is purged).  The root stays.
 */
void		 watch_prune(struct entry *e);

#endif
