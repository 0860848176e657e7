/*
 * deleter.h - when tombstones may be purged: the rules of moat-kv's
 * DeleteActor, as pure logic (no I/O, no clock).
 *
 * The deleter group is the list at (None, "actor", "del"), {nodes:
 * [...]}: every server with persistent storage plus one per network.
 * Its members run the deletion actor on <root>/del; everybody else
 * listens.  Nothing is purged while the group is incomplete: a round
 * counts only when the actor's history holds exactly `n' names.
 *
 * The member that is "it" (a TAG) records the current tock in a window
 * of the last DEL_TAGS such tocks and pings [oldest, newest] as its
 * value; from its third complete round on, it purges what was deleted
 * before the oldest.  Every server that follows the pings (PING) purges
 * below a ping's oldest tock once it has seen more than `n' complete
 * rounds in a row.  A server whose newest tock seen is older than a
 * ping's oldest has missed whole rounds, and deletions with them: it
 * re-sends its entries' last-change links to that ping's sender, which
 * answers with the ones it has purged (core/purge.c).  Unlike the
 * original, a server that has seen no round since it started also does
 * this once: it may have slept through deletions with its state on disk.
 */
#ifndef MOAT_SYNCD_DELETER_H
#define MOAT_SYNCD_DELETER_H

#include <stdint.h>

#include <msgpack.h>

#include "syncd/msg.h"

#define DEL_TAGS	4

struct deleter {
	int64_t		 n;		/* group size; 0: no list, no purge */
	int		 member;
	uint64_t	 tags[DEL_TAGS];
	unsigned	 ntags;		/* in tags[], oldest first */
	unsigned	 n_tags, n_pings;	/* complete rounds in a row */
	uint64_t	 max_seen;	/* newest tock seen in a ping */
};

enum del_action { DEL_NONE, DEL_PURGE, DEL_RESYNC };

/* A new deleter list: n members, this server one of them or not. */
void		 deleter_set(struct deleter *, int64_t n, int member);

/*
 * A peer's ping on <root>/del (value, names in its history): DEL_PURGE
 * with *tock, DEL_RESYNC (send our last-change links to the sender),
 * or DEL_NONE.
 */
enum del_action	 deleter_ping(struct deleter *, const struct actor_val *,
		    unsigned nhist, uint64_t *tock);

/*
 * We are "it", with `hist' names in the actor's history and `now' the
 * current tock: *value is our new ping value (unchanged if the group is
 * incomplete); DEL_PURGE with *tock, or DEL_NONE.
 */
enum del_action	 deleter_tag(struct deleter *, unsigned hist, uint64_t now,
		    struct actor_val *value, uint64_t *tock);

/* delsync.c: the glue in syncd. */
struct actor;
struct actor_event;
struct ipc_chan;
void		 delsync_init(struct actor *);
void		 delsync_event(const struct actor_event *);
/* IPC_SYNC_DELETER from core: 0, or -1 with a reason. */
int		 delsync_deleter(const msgpack_object *, const char **why);
void		 delsync_core_down(void);

#endif
