/*
 * syncd.h - MQTT sync between servers: syncd's parts and its contract
 * with core.
 *
 * syncd holds the broker connection (mqtt.c), the wire format of the
 * server messages (msg.c, update.c), the ping/coordination actor
 * (actor.c), the timing of split recovery (recover.c) and the start-up
 * download of the tree from a peer's client port (fetch.c); sync.c
 * wires them to the event loop and to core.  pass.c carries the
 * clients' msg_send and msg_monitor (see the IPC_MSG_* messages
 * below).  It has
 * no tree: every decision about an entry is core's, by the chains.
 * With an empty kv.server.mqtt.uri syncd stays idle (standalone).
 *
 * Two actors run: the main one on <root>/ping (kv.server.ping.*), and
 * moat-kv's deletion actor on <root>/del (kv.server.delete.*: cycle 100,
 * gap 10, version 1, as the original).  The deletion actor listens
 * until core's deleter list (IPC_SYNC_DELETER) names this server; then
 * it pings, and its rules (deleter.c) decide when core purges
 * tombstones (IPC_SYNC_PURGE) or checks its entries with a member
 * after missed rounds (IPC_SYNC_REQ what=check).
 *
 * The core <-> syncd messages (ipc/msg.h, IPC_SYNC_*; header id 0;
 * payloads MsgPack, checked with proc_unpack()).  An "event" is one
 * change of one entry, the same map in both directions:
 *
 *   { chain: [[node, tick], ...],	newest first, 1..255 links, every
 *					tick >= 1, names 1..255 bytes
 *     trunc: true,			optional: the chain was cut after
 *					its last link (else it is complete)
 *     path: bin,			the canonical packed path (lib/mp.h)
 *     value: any,			absent = the entry was deleted
 *     tock: uint,			the entry's tock
 *     resend: [node, tick] }		optional: a re-sent old change, by
 *					that server at that (current) tick,
 *					0 if it has made no change yet
 *
 * core -> syncd
 *   IPC_SYNC_STATE    {tick: uint, tock: uint, ready: bool}
 *	Our node's change counter and the tock; send it once when the
 *	syncd channel comes up and whenever `ready' changes (ready: the
 *	tree is loaded or downloaded, our pings may carry a value; not
 *	ready: core holds client requests until a download, see
 *	core/ready.c, and syncd downloads from the first "good" peers).  Until
 *	it arrives, pings carry value nil (a node that is not ready), and
 *	syncd sends core nothing at all: this first SYNC_STATE is how core
 *	says that it understands the IPC_SYNC_* messages.
 *   IPC_SYNC_LOCAL    [event, ...]
 *	Local changes, in tick order, as many per frame as are pending at
 *	the end of a loop turn (one frame per turn, not one per change).
 *	Normal ones: chain[0] is (our node, the change's tick).  For split
 *	recovery (IPC_SYNC_REQ what=resend) core sends the entries a peer
 *	reported missing with `resend' set.  syncd publishes each as one
 *	`update' message; when the broker is down or the backlog is full
 *	it drops them: peers see the tick gap and ask with info/missing.
 *   IPC_SYNC_INFO_OUT {[ticks], [missing], [known], [deleted],
 *		        [remote_missing], [node_drop], tock}
 *	An info body for the broker (field formats as in syncd/msg.h);
 *	syncd adds node and tick and publishes it on <root>/info.  Also
 *	{check_deleted, check_to}: our entries' newest links for a
 *	deleter member to check (after IPC_SYNC_REQ what=check).
 *   IPC_SYNC_DELETER  {[nodes: [name, ...]]}
 *	The deleter list from the entry (None, "actor", "del") ({nodes:
 *	[...]}, or a bare list); no `nodes': there is none.  Sent when the
 *	channel comes up (after SYNC_STATE) and whenever the entry
 *	changes.  syncd enables the deletion actor when our name is in
 *	it (asyncactor's enable(n)), else disables it (disable(n)).
 *
 * syncd -> core
 *   IPC_SYNC_REMOTE   [event, ...]
 *	Updates from peers, validated (path canonical, chain well formed),
 *	batched per read burst.  core applies each by comparing chains
 *	(chain_cmp/chain_tiebreak), records the ticks as present or
 *	superseded, and adopts a higher tock.  Our own updates coming back
 *	from the broker are not forwarded.
 *   IPC_SYNC_INFO     {node, tick, tock, [ticks: {node: tick}],
 *		        [missing|known|deleted|remote_missing: {node: ranges}],
 *		        [node_drop: [node, ...]]}
 *	A peer's info (never our own), every field validated, `superseded'
 *	renamed `known'.  core: ticks -> raise its view of each node's
 *	tick; missing -> mark as remote-missing, then resend on REQ or
 *	after a random delay of about a cycle (core/sync_recover.c);
 *	known -> superseded; deleted -> deleted (an entry here whose newest
 *	link is one of them was missed by a purge: it becomes a
 *	tombstone); node_drop -> forget nodes that own no entry.  Besides answering REQ, core sends INFO_OUT
 *	with `missing' on its own while it misses ticks, and with `ticks'
 *	when a peer's ping shows it behind (restarted without its state).
 *   IPC_SYNC_TOCK     {tock: uint, [node: str, tick: uint]}
 *	A higher tock seen on the broker (pings); core adopts it.  With
 *	node and tick: a peer's ping value, its current tick (core raises
 *	its view of that node's tick, so missing ticks show without new
 *	writes).
 *   IPC_SYNC_ACTOR    {event: "tag"|"untag"|"detag"|"recover"|"good",
 *		        [node], [prio, replace, local: [..], remote: [..]],
 *		        [nodes: [..]]}
 *	Coordination: "tag" = this node is "it" for one cycle (the one
 *	node doing housekeeping), with alone: true when syncd has heard
 *	no other node at all (no ping, update or info): a node that is
 *	not ready then stops waiting for a download; "untag"/"detag" end
 *	that; "recover" = a
 *	healed split was seen (prio = our position on our side's history,
 *	local/remote = both histories); "good" = ready peers a fresh node
 *	can download the tree from.
 *   IPC_SYNC_PURGE    {tock: uint}
 *	The deleter group agreed: core purges every tombstone whose tock
 *	is older (core/purge.c), marks its links superseded and starts a
 *	new persistence generation.
 *   IPC_SYNC_REQ      {what: "ticks"|"missing"|"resend"|"check",
 *		        prio: int, force: bool, [to: name]}
 *	syncd asks core for an IPC_SYNC_INFO_OUT with that field (ticks:
 *	every node's tick; missing: our missing ranges) or, for resend,
 *	for IPC_SYNC_LOCAL resends of what peers reported missing followed
 *	by an INFO_OUT with known/deleted (if any).  force false: send
 *	nothing when there is nothing to say; true: send even an empty
 *	map.  Sent on "tag" (missing, not forced) and by the split
 *	recovery steps of recover.c (ticks, missing, resend; forced).
 *	check (with `to', a deleter member): we missed purge rounds; core
 *	sends INFO_OUT check_deleted with its entries' newest links.
 *	A peer's info whose check_to is us gets an INFO_OUT `deleted'
 *	with those of the links we no longer have (superseded here).
 *   IPC_SYNC_FETCH    {event: "start"|"done"|"fail", node, entries}
 *	The start-up download (fetch.c): "start" = connecting to that
 *	peer; its entries then come as IPC_SYNC_REMOTE events (whole
 *	chains), its get_state as one IPC_SYNC_INFO (ticks = every node's
 *	tick, known, deleted), and "done" after them: the tree is
 *	complete.  A broken download is retried from the next good peer
 *	("start" again); "fail" = none was left.  Only "done" makes core
 *	ready; "fail" leaves the rest to core's fallback timer.
 *
 * The pass-through messages (IPC_MSG_*; pass.c here, core/msgpass.c
 * there) carry the clients' msg_send and msg_monitor.  core turns the
 * request's topic into the MQTT topic (lib/msgtopic.h: root, length,
 * NUL); syncd checks it with libmosquitto (wildcards, UTF-8), so its
 * answers may be errors.  A `mon' is core's id of one monitor stream
 * (unique while core runs).  Every error is the text for the client.
 *
 * core -> syncd
 *   IPC_MSG_SEND      id = session: {seq: int, topic: str, payload: bin}
 *	Publish payload (QoS 0, not retained); answered by MSG_SENT.
 *   IPC_MSG_MON_START {mon: uint, topic: str}
 *	Start a monitor of a topic filter.  Monitors of one filter share
 *	one subscription (syncd counts them); errors come back as
 *	MSG_MON_ERROR.  core sends it again for every live monitor when
 *	syncd (re)starts.
 *   IPC_MSG_MON_STOP  {mon: uint}
 *	The monitor's stream ended; the last one of a filter
 *	unsubscribes.  Unknown ids are ignored (syncd may have dropped
 *	it already).
 *
 * syncd -> core
 *   IPC_MSG_SENT      id = session: {seq: int, [error: str]}
 *	Published, or why not: standalone, a bad topic, too large
 *	(kv.server.max_msg), the broker not connected or its backlog
 *	full.  Nothing is queued for later: the client knows at once.
 *   IPC_MSG_MON_ERROR {mon: uint, error: str}
 *	The monitor is dead (standalone, a bad filter, too many
 *	monitors, the broker refused the subscription); syncd forgot it.
 *   IPC_MSG_RECV      {mons: [uint, ...], topic: str, payload: bin,
 *		        [error: str]}
 *	A message for these monitors; error: the payload is not one
 *	valid MsgPack object (checked with mpval), with the reason as the
 *	original's decoder exception.  Dropped while core's channel is
 *	over its backlog limit.
 *
 * While the broker is down, monitors stay and are subscribed again on
 * reconnection (messages meanwhile are lost, as QoS 0 goes); sends fail.
 */
#ifndef MOAT_SYNCD_H
#define MOAT_SYNCD_H

#include <stddef.h>

#include <msgpack.h>

#include "ipc/ipc.h"
#include "lib/mp.h"
#include "lib/sandbox.h"

extern const struct sandbox_rule syncd_rules[];
extern const size_t syncd_nrules;

/* sync.c: the child_ops hooks of syncd. */
void	sync_init(void);
void	sync_configure(const msgpack_object *);
void	sync_start(void);
void	sync_shutdown(void);
void	sync_peer_up(int role, struct ipc_chan *);
void	sync_peer_down(int role);
int	sync_dispatch(int from, struct ipc_chan *, struct ipc_msg *);

/* sync.c: the channel to core once it speaks sync, else NULL. */
struct ipc_chan *sync_core(void);

/* pass.c: msg_send / msg_monitor (IPC_MSG_*). */
void	pass_configure(int standalone, size_t max_msg);
int	pass_dispatch(struct ipc_chan *core, struct ipc_msg *,
	    const msgpack_object *, const char **why);
void	pass_up(void);			/* the broker is connected */
void	pass_down(void);		/* ... lost */
void	pass_core_down(void);		/* core's monitors are gone */
void	pass_message(const char *topic, const uint8_t *, size_t,
	    const uint32_t *subids, unsigned n, void *arg);
void	pass_suback(int mid, int ok, void *arg);
void	pass_shutdown(void);
/* sync.c, for fetch.c and delsync.c */
double	sync_now(void);			/* monotonic seconds */
uint64_t sync_tock_next(void);		/* the next tock, for a purge round */
/* n packed events in batch as one IPC_SYNC_REMOTE (c NULL: drop them) */
void	sync_send_events(struct ipc_chan *c, struct mpbuf *batch,
	    unsigned *n);

#endif
