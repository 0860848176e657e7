/*
 * syncd.h - MQTT sync between servers: syncd's parts and its contract
 * with core.
 *
 * syncd holds the broker connection (mqtt.c), the wire format of the
 * server messages (msg.c, update.c), the ping/coordination actor
 * (actor.c) and the timing of split recovery (recover.c); sync.c wires
 * them to the event loop and to core.  It has
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
 *	tree is loaded or downloaded, our pings may carry a value).  Until
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
 *	node doing housekeeping); "untag"/"detag" end that; "recover" = a
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
 */
#ifndef MOAT_SYNCD_H
#define MOAT_SYNCD_H

#include <stddef.h>

#include <msgpack.h>

#include "ipc/ipc.h"
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

#endif
