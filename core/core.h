/*
 * core.h - the storage core: the tree, chains, ticks/tocks, node
 * bookkeeping, client sessions, streams and watches.
 *
 * Files:
 *	main.c		entry point, IPC dispatch, start-up (-i VALUE)
 *	state.c		tick, tock, core_commit(), observers, write acks
 *	nodes.c		per-node tick ranges (nodes.h)
 *	session.c	per-client sessions, greeting, hello, dispatch
 *	request.c	taking a request apart (request.h)
 *	reply.c		building replies from packed bytes (reply.h)
 *	actions.c	single-reply actions (get/set/delete_value, enum, ...)
 *	state_act.c	get_state, status, test_acl, root, get_tock
 *	stream.c	multi-reply streams: flow control, chunked walks
 *	watch.c		watch points and change notification
 *	sync.c		server sync with syncd: publish, apply by chains
 *	sync_recover.c	sync recovery: ticks, missing, re-sending (sync.h)
 *	msgpass.c	msg_send, msg_monitor through syncd (msgpass.h)
 *	purge.c		the deleter list, purging tombstones (purge.h)
 *	node_act.c	kill_node, fake_info[_send], check_deleted
 *
 * Every change, local or remote, passes core_commit(); every write
 * acknowledgement passes core_ack().  Those two are the interface for
 * persistence (log each change, make acks wait for the fsync) and for
 * syncd (publish local changes, apply remote ones): see below.
 */
#ifndef MOAT_CORE_H
#define MOAT_CORE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/nodes.h"
#include "core/tree.h"
#include "lib/sandbox.h"

struct ipc_chan;

extern const struct sandbox_rule core_rules[];
extern const size_t core_nrules;

/* The core's global state (state.c). */
struct core_state {
	struct tree	*tree;
	struct nodes	 nodes;
	uint32_t	 self;		/* this server's node index */
	uint64_t	 tock;
	unsigned	 chainlen;	/* kv.server.change.length */
	struct ipc_chan	*netd;		/* NULL while netd is down */
};
extern struct core_state core;

void		 core_state_init(const char *node, unsigned chainlen);
void		 core_state_free(void);
/* This server's current tick (0 before the first change). */
uint64_t	 core_tick(void);
/*
 * The tock for a message that has none of its own: every read bumps
 * it, as the original does, so no two replies share a tock.
 */
uint64_t	 core_tock_read(void);
/* A peer's message carried this tock: adopt it if higher. */
void		 core_tock_seen(uint64_t);

/*
 * One applied change.  Valid only during the observer call: `entry'
 * and the pointers into it change with the next tree operation.
 */
struct change {
	const uint8_t	*path;		/* full packed path */
	size_t		 pathlen;
	struct entry	*entry;		/* the entry after the change */
	const uint8_t	*value;		/* NULL for a deletion */
	size_t		 vlen;
	uint32_t	 node;		/* who made it ... */
	uint64_t	 tick;		/* ... with which tick */
	uint64_t	 tock;
	int		 origin;	/* CHANGE_* */
};

#define CHANGE_LOCAL	0	/* a client of this server */
#define CHANGE_REMOTE	1	/* another server, via syncd */
#define CHANGE_LOAD	2	/* read back from disk: do not log again */

/*
 * Change observers, called in registration order after the tree, the
 * node ranges and the watchers are updated.  Persistence registers one
 * that appends the change to its log; syncd's forwarder another that
 * publishes local changes.  An observer must not change the tree.
 */
typedef void	(*change_observer)(const struct change *, void *);
void		 core_observe(change_observer, void *);

/*
 * Apply a change made here: take the next tick and tock, set (value
 * != NULL) or delete the entry at path, then core_commit().  *ep is the
 * entry (NULL: look it up or create it) and is updated.  0, or -1 with
 * errno (ENOMEM) and nothing changed.
 */
int		 core_change_local(const uint8_t *path, size_t pathlen,
		    struct entry **ep, const uint8_t *value, size_t vlen);

/*
 * Install an entry state made elsewhere (syncd: another server's
 * update; persistence: a record read back at start-up): value (NULL =
 * tombstone), its whole chain and tock, then core_commit() with
 * `origin'.  Whether the change wins against the local state is the
 * caller's decision (chain_cmp(), chain_tiebreak()).  *ep as for
 * core_change_local() (the caller that looked the entry up to decide
 * passes it, so the path is not walked again), or ep NULL.  0 or -1
 * (ENOMEM).
 */
int		 core_change_apply(const uint8_t *path, size_t pathlen,
		    struct entry **ep, const uint8_t *value, size_t vlen,
		    struct chain, uint64_t tock, int origin);

/*
 * The common tail of every applied change (local now, remote from
 * syncd later): the entry already holds the new state and `old' is a
 * copy of its chain before.  Updates the node ranges, notifies the
 * watchers, calls the observers.
 */
void		 core_commit(const struct change *, struct chain old);

/*
 * Write acknowledgements (set_value, delete_value, delete_tree, ...
 * replies) go through core_ack(), reads through core_send().  Today
 * core_ack() sends at once.  Persistence installs a hook with
 * core_set_ack_hook(): it then gets every ack and must eventually pass
 * it to core_send() itself - after the next fsync of the log that holds
 * the change (group commit: all acks of one batch wait for one fsync).
 * The hook must copy the bytes.  Replies to one client may then arrive
 * out of order, which the protocol allows (clients match by seq).
 */
typedef void	(*ack_hook)(uint32_t session, const uint8_t *, size_t, void *);
void		 core_set_ack_hook(ack_hook, void *);
void		 core_ack(uint32_t session, const uint8_t *, size_t);
void		 core_send(uint32_t session, const uint8_t *, size_t);
/* Ask netd to close a client connection. */
void		 core_close_session(uint32_t session);

/* session.c */
void		 csess_open(uint32_t id);
void		 csess_close(uint32_t id);
void		 csess_request(uint32_t id, const uint8_t *, size_t);
void		 csess_close_all(void);
/* The master's process table for a pending `status' request. */
void		 csess_status_reply(uint32_t cookie, const uint8_t *,
		    size_t);
/* Limits (kv.server.*). */
void		 csess_configure(const msgpack_object *conf);

#endif
