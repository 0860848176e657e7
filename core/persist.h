/*
 * persist.h - core's persistence: the state directory, group commit,
 * loading, and the client's log files.
 *
 * Files:
 *	pfile.c		records (pfile.h), lib/record.c the framing
 *	load.c		reading a whole file
 *	snapshot.c	buffered output, incremental snapshots
 *	persist.c	the state directory: snapshot + change log, loading
 *			at start, group commit, compaction
 *	plog.c		`log dest', `log save', `log stop' and -l files
 *
 * The state directory is core's chroot (moatd -D, kv.server.state).
 * Core keeps there, on its own, snapshots `.snap.G' and change logs
 * `.wal.G' (G a generation number).  Every applied change is appended
 * to the newest log; a write acknowledgement waits until the log that
 * holds its change is written (kv.server.fsync off), written and
 * fdatasync'ed (batch: one fsync per event-loop turn covers every
 * write queued since the last one), or the change was synced by itself
 * before the ack was made (always).  So a `kill -9' of core loses no
 * acknowledged write, and with always/batch neither does a power cut.
 *
 * When the newest log outgrows kv.server.compact (and the last
 * snapshot), a new generation starts: a new log, and a snapshot written
 * in steps from the event loop; once it is synced and renamed into
 * place, every older file is removed.  Disk use and restart time so
 * follow the live data, not the history.
 *
 * Start modes (kv.server.start): memory - no state-dir files at all;
 * storage - load them at start (the original's "master" mode);
 * network - fetch from a peer first, the state dir being the fallback
 * (the original's "hybrid"; until syncd downloads from peers this
 * loads the state dir like storage).
 */
#ifndef MOAT_PERSIST_H
#define MOAT_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/pfile.h"
#include "core/snapshot.h"

/* Exit status of core when a file cannot be loaded: moatd then stops
 * instead of restarting core onto a partial state (sysexits' EX_DATAERR). */
#define PERSIST_EXIT_DATA	65

/* persist.c */
/* First CONFIG: hooks, then load the state dir and open the log. */
void	persist_configure(const msgpack_object *conf);
/* Orderly stop: a final state record, flush and sync everything. */
void	persist_shutdown(void);
/* A framed state record of the current node state into buf. */
void	persist_pack_state(struct mpbuf *);
/* Load a file into the running core (changes go to the logs too). */
int	persist_load_file(int fd, const char *name, char *err, size_t errlen);
/* Tombstones were purged: a new generation (log and snapshot), soon. */
void	persist_rotate(void);
/* Changes were buffered into a log: have them committed this turn. */
void	persist_schedule_commit(void);
/* fsync policy for the client's logs, too. */
int	persist_fsync_enabled(void);

/* plog.c */
/* A change for the client's log (called by persist.c's observer). */
void	plog_change(struct tree *, const uint8_t *, size_t,
	    const struct entry *);
/* Write out the client's log (at commit time). */
void	plog_flush(int sync);
void	plog_shutdown(void);
/* IPC_LOAD (moatd -l FILE) from the master: 0, or -1 if malformed. */
struct ipc_msg;
int	plog_load_msg(struct ipc_msg *);

#endif
