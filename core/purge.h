/*
 * purge.h - deleted entries across servers (the original's "Record
 * Deletion"): the deleter list, purging tombstones, the check of a
 * server that missed purge rounds, and dropping nodes.
 *
 *	purge.c		the list at (None, "actor", "del") for syncd, the
 *			purge and check jobs (chunked walks on the event
 *			loop), answering a check, deletions that hit
 *			stale entries
 *	node_act.c	the client actions: kill_node, fake_info,
 *			fake_info_send, check_deleted
 *
 * A tombstone stays until syncd's deletion actor, with every member of
 * the deleter group online, agrees on a tock (IPC_SYNC_PURGE): then
 * every tombstone with an older tock goes, its links become superseded
 * ("known": a peer asking for them is told they are gone, not sent
 * them), and persistence starts a new generation whose snapshot no
 * longer has them.
 */
#ifndef MOAT_CORE_PURGE_H
#define MOAT_CORE_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/ranges.h"

/* The packed path of the deleter list: (None, "actor", "del"). */
#define DELETER_PATH	"\xc0\xa5" "actor" "\xa3" "del"
#define DELETER_PATHLEN	(sizeof(DELETER_PATH) - 1)

/* The jobs run on base (proc_base(); a test's own). */
struct event_base;
void	cpurge_init(struct event_base *);
void	cpurge_free(void);
/* Tell syncd the deleter list (channel up; the entry changed). */
void	cpurge_send_deleter(void);
/* IPC_SYNC_PURGE: purge tombstones older than tock. */
void	cpurge_below(uint64_t tock);
/* IPC_SYNC_REQ what=check: our last-change links, as check_deleted
 * infos for `to' (a deleter member). */
void	cpurge_check(const char *to, size_t tolen);
/*
 * Someone's last-change links (a map {node: ranges}): which of them do
 * we know to be gone?  Those are sent as an info with `deleted'.
 * Returns the number of ticks.
 */
uint64_t cpurge_answer(const msgpack_object *);
/*
 * Ticks reported deleted (before they are added to our deleted set):
 * an entry whose newest change is one of them is stale here and
 * becomes a tombstone.
 */
void	cpurge_deleted(uint32_t node, const struct ranges *);

#endif
