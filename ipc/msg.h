/*
 * msg.h - every IPC message type, and the process roles.
 *
 * Bump IPC_VERSION whenever enum ipc_type or a payload changes: every
 * channel starts with IPC_HELLO carrying it, and a mismatch is fatal
 * (a half-upgraded installation must not run).
 *
 * Payloads are MsgPack maps unless noted.  The `id' header field carries
 * the client session for netd<->core traffic and the ping cookie for
 * PING/PONG; it is 0 otherwise.
 */
#ifndef MOAT_MSG_H
#define MOAT_MSG_H

#include <stdint.h>

#define IPC_VERSION	7

enum ipc_type {
	IPC_NONE = 0,

	/* every channel */
	IPC_HELLO,		/* {version, role, pid}: first frame each way */

	/* master -> child */
	IPC_CONFIG,		/* the whole config tree as a map */
	IPC_PEER,		/* fd: channel to another child; {role} */
	IPC_SETUP_DONE,		/* all peers handed over: start serving */
	IPC_PING,		/* id = cookie */
	IPC_SHUTDOWN,		/* stop cleanly and exit 0 */
	IPC_LISTENER,		/* netd: fd = listening socket; {kind, addr} */
	IPC_STATUS,		/* master -> core: process table; id echoed */
	IPC_LOAD,		/* master -> core: fd = a file to load
				   (moatd -l), {name}; first start only */

	/* child -> master */
	IPC_PONG,		/* id = cookie; {rss} */
	IPC_STATUS_REQ,		/* core: a client asked for `status' */

	/* netd <-> core (the hot path) */
	IPC_SESSION_OPEN,	/* netd->core, id = session; {peer, local} */
	IPC_SESSION_CLOSE,	/* either way, id = session */
	IPC_CLIENT_REQ,		/* netd->core, id = session: one raw
				   client message, already validated */
	IPC_CLIENT_REPLY,	/* core->netd, id = session: raw bytes for
				   the client (one or more messages) */

	/* core <-> syncd: server sync; payloads in syncd/syncd.h */
	IPC_SYNC_STATE,		/* core->syncd: {tick, tock, ready} */
	IPC_SYNC_LOCAL,		/* core->syncd: [event...] to publish */
	IPC_SYNC_INFO_OUT,	/* core->syncd: an info body to publish */
	IPC_SYNC_REMOTE,	/* syncd->core: [event...] from peers */
	IPC_SYNC_INFO,		/* syncd->core: a peer's info message */
	IPC_SYNC_TOCK,		/* syncd->core: {tock, [node, tick]} */
	IPC_SYNC_ACTOR,		/* syncd->core: {event, ...}: coordination */
	IPC_SYNC_REQ,		/* syncd->core: {what, prio}: send info */
	IPC_SYNC_FETCH,		/* syncd->core: {event, node, ...}: the
				   start-up download from a peer */
	IPC_SYNC_DELETER,	/* core->syncd: {[nodes]}: the deleter list */
	IPC_SYNC_PURGE,		/* syncd->core: {tock}: purge tombstones */

	/* core <-> syncd: msg_send/msg_monitor pass-through; syncd/syncd.h */
	IPC_MSG_SEND,		/* core->syncd, id = session: {seq, topic,
				   payload} to publish */
	IPC_MSG_SENT,		/* syncd->core, id = session: {seq, [error]} */
	IPC_MSG_MON_START,	/* core->syncd: {mon, topic}: subscribe */
	IPC_MSG_MON_STOP,	/* core->syncd: {mon}: unsubscribe */
	IPC_MSG_MON_ERROR,	/* syncd->core: {mon, error}: monitor dead */
	IPC_MSG_RECV,		/* syncd->core: {mons, topic, payload,
				   [error]}: a message for those monitors */

	IPC_TYPE_MAX
};

enum proc_role {
	PROC_MASTER = 0,
	PROC_CORE,
	PROC_NETD,
	PROC_SYNCD,
	PROC_AUTHD,
	PROC_RUNNERD,
	PROC_MAX
};

const char	*msg_to_str(uint16_t type);
const char	*proc_to_str(int role);
int		 proc_from_str(const char *);

#endif
