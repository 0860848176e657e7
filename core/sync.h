/*
 * sync.h - core's side of server sync (the IPC_SYNC_* messages of
 * syncd/syncd.h): publishing local changes, applying remote ones by
 * their chains, and the recovery steps that repair any loss.
 *
 *	sync.c		channel, SYNC_STATE, the batch of outgoing events,
 *			remote updates, peers' info messages, dispatch
 *	ready.c		client requests held at start-up until the tree
 *			is downloaded from a peer (or we are alone)
 *	sync_recover.c	answers to IPC_SYNC_REQ: ticks, missing, and the
 *			resend job (a chunked walk re-sending entries that
 *			carry a tick somebody reported missing)
 *
 * Every queue is bounded: outgoing events are dropped, not queued,
 * while syncd is down or its channel backlog is over a limit; peers see
 * the tick gap and ask for the ticks with info/missing.
 */
#ifndef MOAT_CORE_SYNC_H
#define MOAT_CORE_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/tree.h"
#include "ipc/ipc.h"

/* sync.c: hooks for main.c */
void	csync_configure(const msgpack_object *);	/* after the state */
void	csync_peer_up(struct ipc_chan *);
void	csync_peer_down(void);
int	csync_dispatch(struct ipc_msg *);
void	csync_shutdown(void);

/* sync.c, for ready.c: SYNC_STATE now (ready changed) */
void	csync_send_state(void);
/* for plog.c: data of our own was loaded (-l): announce its ticks */
void	csync_loaded(void);

/* sync.c, for sync_recover.c */
struct ipc_chan	*csync_chan(void);		/* NULL: syncd down */
int		 csync_standalone(void);	/* no kv.server.mqtt.uri */
double		 csync_cycle(void);		/* kv.server.ping.cycle */
/*
 * Queue one event for the next IPC_SYNC_LOCAL frame: the entry's state
 * (chain, value, tock) at `path'; resend: a re-sent old change.  -1 if
 * it was dropped (no channel, backlog full).
 */
int		 csync_queue(const uint8_t *path, size_t pathlen,
		    const struct entry *, int resend);
/* Send the pending batch now (before an info, to keep the order). */
void		 csync_flush(void);
/* Bytes queued to syncd, counting the batch not yet sent. */
size_t		 csync_backlog(void);
/*
 * A peer's info message (IPC_SYNC_INFO), or one a client fakes
 * (fake_info): ticks, missing, known (or superseded), deleted,
 * remote_missing, node_drop, check_deleted.  0, or -1 if malformed.
 */
int		 csync_info(const msgpack_object *);
/* Pack a name-indexed node into a msgpack str. */
void		 csync_pack_node(msgpack_packer *, uint32_t);

/* sync_recover.c */
void	csync_rec_init(void);
void	csync_rec_free(void);
/* IPC_SYNC_REQ: what is "ticks", "missing" or "resend". */
int	csync_request(const char *what, size_t len, int force);
/* A peer reported ticks missing: re-send them after a random delay. */
void	csync_rec_missing_seen(uint32_t node, const struct ranges *);
/*
 * After every message from syncd: if we miss ticks, report them (after
 * a random delay, again each cycle while they stay missing and the
 * reports make progress).
 */
void	csync_rec_check(void);
/*
 * A peer's ping showed a tick below what we know (behind: it lost its
 * state), or 0 (maybe new): tell it every tick we know (info/ticks),
 * unless another server does it first (ticks_seen).
 */
void	csync_rec_peer_behind(uint32_t node, int behind);
/* A peer's ticks lag ours: the same, for a server that kept its state. */
void	csync_rec_peer_lags(void);
/*
 * The node's tick as we knew it one to two cycles ago (0: none): what a
 * peer lacking it cannot be about to get from updates still on the way.
 */
uint64_t csync_rec_settled(uint32_t);
/* Waiting and not told the ticks: ask the peers, at most once a cycle. */
void	csync_rec_ask_ticks(void);
void	csync_rec_ticks_seen(void);

/* ready.c: configure after the load and kv.server.init */
void	cready_configure(const msgpack_object *);
int	cready_waiting(void);
/* 1: held (copied) until ready; 0: answer it now. */
int	cready_hold(uint32_t id, const uint8_t *, size_t);
void	cready_drop(uint32_t id);	/* the session closed */
void	cready_set(const char *why);	/* answer what is held, and on */
/* IPC_SYNC_FETCH: event "start", "done" or "fail" from node. */
void	cready_fetch(const char *event, const char *node, size_t nodelen);
void	cready_tagged(void);		/* our ping won: maybe alone */
void	cready_told(void);		/* a peer's info had every tick */
int	cready_untold(void);		/* waiting, and not told that yet */
void	cready_free(void);

#endif
