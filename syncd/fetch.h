/*
 * fetch.h - the start-up download: a server without data (or with
 * kv.server.start: network) fetches the tree from a ready peer over the
 * client protocol before it answers its own clients (the original's
 * fetch_data).
 *
 * The actor names the "good" peers (ready ones seen in pings); fetch.c
 * tries them in turn at the address kv.hostmap / kv.domain give
 * (lib/syncconf.h), numeric only: syncd is chrooted and resolves
 * nothing.  On one TCP connection, without a hello (so without flow
 * control: TCP paces the peer), it sends get_tree on the root with the
 * whole chains, then get_tree_internal (the nil subtree), then
 * get_state nodes/known/deleted.  Every reply passes the bounded
 * validator before msgpack-c sees it.  Entries go to core as
 * IPC_SYNC_REMOTE events as they arrive (applied by their chains, like
 * broker updates, so a broken download leaves only real changes
 * behind), the state as one IPC_SYNC_INFO, and IPC_SYNC_FETCH tells
 * core how it went (syncd/syncd.h).  A connection that fails or stalls
 * moves on to the next good peer; when none is left core hears "fail".
 */
#ifndef MOAT_SYNCD_FETCH_H
#define MOAT_SYNCD_FETCH_H

#include <msgpack.h>

#include <event2/event.h>

#include "ipc/ipc.h"

/* core(): the channel to core, NULL while core cannot take sync messages */
void	fetch_init(struct event_base *, struct ipc_chan *(*core)(void));
void	fetch_configure(const msgpack_object *conf);
/* Download from the first of these nodes that works (self is skipped). */
void	fetch_start(const char *const *nodes, unsigned n, const char *self);
int	fetch_busy(void);
/* Drop a running download (core went away); a later start may retry. */
void	fetch_stop(void);
void	fetch_shutdown(void);

#endif
