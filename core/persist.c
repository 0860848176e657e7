/*
 * persist.c - the state directory: snapshot and change log that core
 * keeps without being told, loading them at start, group commit and
 * compaction (see persist.h for the design).
 *
 * Everything runs in core's one thread.  A change reaches the log
 * buffer through the change observer; the commit event, activated by
 * the first change or ack of a batch, runs once the current event-loop
 * callbacks are done: it writes the buffer (and fdatasyncs it, unless
 * kv.server.fsync is off), then sends the acks that waited for it.
 * While one fdatasync runs, requests pile up in the IPC socket; the
 * next turn takes them all, so one fsync covers a whole batch.
 */
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/persist.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/record.h"

#define SNAP_STEP	4096		/* entries per event-loop turn */
#define STATE_EVERY	1000		/* changes between state records, at least */
#define COMPACT_DEF	(16u << 20)

enum fsync_mode { FS_ALWAYS, FS_BATCH, FS_OFF };

/* A held-back ack in P.acks: this header, then len bytes. */
struct ack {
	uint32_t	 session;
	uint32_t	 len;
};

static struct {
	int		 on;		/* the state dir is in use */
	enum fsync_mode	 fsync;
	uint64_t	 compact;
	int		 dirfd;
	uint64_t	 gen;		/* generation of the open log */
	struct pwriter	 wal;
	int		 wal_open;
	int		 wal_new;	/* its directory entry is not synced */
	uint64_t	 wal_base;	/* its size after header + state */
	uint64_t	 since_state;
	struct snapshot	*snap;		/* being written, or NULL */
	struct pwriter	 snapw;
	uint64_t	 last_snap;	/* size of the last snapshot */
	struct event	*snap_ev;
	struct event	*commit_ev;
	int		 commit_queued;
	struct mpbuf	 acks;		/* held-back acks, back to back */
	int		 loading;
	int		 rotate;	/* a new generation is due (purge) */
	int		 snap_purge;	/* the snapshot running is a purge's */
} P = { .dirfd = -1 };

static void	commit(void);

static void
fname(char *buf, size_t len, const char *kind, uint64_t gen, int tmp)
{
	snprintf(buf, len, ".%s.%010llu%s", kind, (unsigned long long)gen,
	    tmp ? ".tmp" : "");
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Make renames and new files durable. */
static void
sync_dir(void)
{
	if (P.dirfd != -1 && fsync(P.dirfd) == -1)
		log_warn("fsync of the state directory");
}

void
persist_pack_state(struct mpbuf *b)
{
	const unsigned	 which = NS_NODES | NS_KNOWN | NS_DELETED;
	msgpack_packer	 pk;
	size_t		 off = rec_begin(b);

	msgpack_packer_init(&pk, b, mpbuf_write);
	msgpack_pack_map(&pk, nodes_state_nkeys(which) + 1);
	nodes_pack_state(&core.nodes, tree_nodes(core.tree), which, &pk);
	mp_pack_kv_uint(&pk, "tock", core.tock);
	if (rec_end(b, off, REC_DATA) == -1)
		log_warnx("node state too large for a record");
}

int
persist_fsync_enabled(void)
{
	return P.fsync != FS_OFF;
}

/* Loading: one state record item. */
static int
load_state(const char *set, const char *name, size_t len, uint64_t tick,
    const struct ranges *rs, void *arg)
{
	struct nodeinfo	*ni;
	uint32_t	 n = tree_node_intern(core.tree, name, len);

	if (n == NODE_NONE || n > NODE_MAX ||
	    (ni = nodes_get(&core.nodes, n)) == NULL)
		return -1;
	if (strcmp(set, "nodes") == 0)
		return nodes_tick(&core.nodes, n, tick);
	if (strcmp(set, "known") == 0)
		return ranges_union(&ni->superseded, rs);
	return ranges_union(&ni->deleted, rs);
}

/*
 * Loading: one entry, if it wins, applied as any change from elsewhere
 * (core_change_apply(): node ranges, watchers, observers).  While the
 * state dir itself loads, no log is open, so nothing is logged again;
 * a -l file's entries do go into the log.
 */
static int
load_entry(const struct pf_entry *pe, void *arg)
{
	struct chain	 ch = { pe->link, pe->nlink };
	unsigned	 i;

	if (pe->nlink == 0 || !pf_wins(core.tree, pe))
		return 0;
	for (i = 0; i < pe->nlink; i++)
		if (nodes_tick(&core.nodes, pe->link[i].node,
		    pe->link[i].tick) == -1)
			return -1;
	if (core_change_apply(pe->path, pe->plen, NULL, pe->value, pe->vlen,
	    ch, pe->tock, CHANGE_LOAD) == -1)
		return -1;
	return 1;
}

static int
load_fd(int fd, const char *name, struct pf_load *pl, char *err,
    size_t errlen)
{
	int	 rc;

	memset(pl, 0, sizeof(*pl));
	pl->tree = core.tree;
	pl->state_fn = load_state;
	pl->entry_fn = load_entry;
	P.loading = 1;
	rc = pf_load_fd(fd, name, pl, err, errlen);
	P.loading = 0;
	core_tock_seen(pl->max_tock);
	return rc;
}

int
persist_load_file(int fd, const char *name, char *err, size_t errlen)
{
	struct pf_load	 pl;
	double		 t0 = now();
	int		 rc;

	rc = load_fd(fd, name, &pl, err, errlen);
	log_info("%s: loaded %llu of %llu entries in %.3f s", name,
	    (unsigned long long)pl.applied, (unsigned long long)pl.entries,
	    now() - t0);
	commit();	/* what was loaded is now in the log, durably */
	return rc;
}

/* A file of our own state dir; damage that is not a torn tail is fatal. */
static uint64_t
load_own(const char *name, int last)
{
	struct pf_load	 pl;
	char		 err[512];
	int		 fd;

	if ((fd = open(name, (last ? O_RDWR : O_RDONLY) | O_CLOEXEC)) == -1)
		fatal("open %s", name);
	if (load_fd(fd, name, &pl, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		log_warnx("state directory damaged: repair or move away %s",
		    name);
		exit(PERSIST_EXIT_DATA);
	}
	if (pl.torn >= 0 && last) {
		if (ftruncate(fd, (off_t)pl.good_end) == -1)
			fatal("ftruncate %s", name);
		log_warnx("%s: truncated to %llu bytes", name,
		    (unsigned long long)pl.good_end);
	}
	close(fd);
	return pl.entries;
}

struct gens {
	uint64_t	*g;
	size_t		 n, cap;
};

static void
gens_add(struct gens *gs, uint64_t g)
{
	uint64_t	*ng;

	if (gs->n == gs->cap) {
		gs->cap = gs->cap ? gs->cap * 2 : 8;
		if ((ng = reallocarray(gs->g, gs->cap, sizeof(*ng))) == NULL)
			fatal("reallocarray");
		gs->g = ng;
	}
	gs->g[gs->n++] = g;
}

static int
gen_cmp(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* ".kind.G" -> G; ".kind.G.tmp" is unlinked (an unfinished file). */
static int
parse_name(const char *n, const char *kind, uint64_t *g)
{
	size_t		 kl = strlen(kind);
	char		*end;

	if (n[0] != '.' || strncmp(n + 1, kind, kl) != 0 || n[kl + 1] != '.')
		return 0;
	errno = 0;
	*g = strtoull(n + kl + 2, &end, 10);
	if (errno || end == n + kl + 2)
		return 0;
	if (strcmp(end, ".tmp") == 0) {
		if (unlink(n) == -1)
			log_warn("unlink %s", n);
		return 0;
	}
	return *end == '\0';
}

/* Our files in the state dir; with `below', unlink those older. */
static void
scan(struct gens *snaps, struct gens *wals, uint64_t below)
{
	struct dirent	*de;
	DIR		*d;
	uint64_t	 g;
	int		 s;

	if ((d = opendir(".")) == NULL)
		fatal("opendir of the state directory");
	while ((de = readdir(d)) != NULL) {
		if (!(s = parse_name(de->d_name, "snap", &g)) &&
		    !parse_name(de->d_name, "wal", &g))
			continue;
		if (below) {
			if (g < below && unlink(de->d_name) == -1)
				log_warn("unlink %s", de->d_name);
			continue;
		}
		gens_add(s ? snaps : wals, g);
	}
	closedir(d);
	if (snaps && snaps->n)
		qsort(snaps->g, snaps->n, sizeof(uint64_t), gen_cmp);
	if (wals && wals->n)
		qsort(wals->g, wals->n, sizeof(uint64_t), gen_cmp);
}

/*
 * A new file with its header and state record, buffered.  A snapshot
 * is written as .tmp and renamed once complete; a log gets its final
 * name at once and is synced, with the directory, by the first commit:
 * a crash before that leaves a log with nothing acknowledged in it,
 * which loads as empty (a torn tail at most).
 */
static void
create_file(struct pwriter *w, const char *kind, uint64_t gen, int tmp)
{
	char	 name[64];
	int	 fd;

	fname(name, sizeof(name), kind, gen, tmp);
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		fatal("create %s", name);
	if (pw_init(w, fd, name) == -1)
		fatal("pw_init");
	pf_header(&w->buf, strcmp(kind, "wal") == 0 ? "log" : "snapshot",
	    proc_node_name());
	persist_pack_state(&w->buf);
}

static void
wal_open(uint64_t gen)
{
	create_file(&P.wal, "wal", gen, 0);
	P.gen = gen;
	P.wal_open = 1;
	P.wal_new = 1;
	P.wal_base = pw_size(&P.wal);
	P.since_state = 0;
}

static void
snap_done(int ok)
{
	char	 name[64];

	fname(name, sizeof(name), "snap", P.gen, 0);
	if (ok) {
		persist_pack_state(&P.snapw.buf);
		ok = pw_sync(&P.snapw) == 0 &&
		    rename(P.snapw.name, name) == 0;
	}
	if (ok) {
		sync_dir();
		P.last_snap = pw_size(&P.snapw);
		log_info("snapshot %s: %llu entries, %llu bytes", name,
		    (unsigned long long)snap_count(P.snap),
		    (unsigned long long)P.last_snap);
		scan(NULL, NULL, P.gen);	/* the history it replaces */
	} else {
		log_warn("snapshot %s failed", name);
		(void)unlink(P.snapw.name);
	}
	snap_free(P.snap);
	P.snap = NULL;
	P.snap_purge = 0;
	pw_close(&P.snapw);
	if (P.rotate)
		persist_schedule_commit();	/* a purge came meanwhile */
}

static void
snap_cb(int fd, short ev, void *arg)
{
	struct timeval	 zero = { 0, 0 };
	int		 rc;

	if (P.snap == NULL)
		return;
	if ((rc = snap_step(P.snap, SNAP_STEP)) == 1) {
		evtimer_add(P.snap_ev, &zero);	/* after pending I/O */
		return;
	}
	snap_done(rc == 0);
}

/* Snapshot of generation P.gen, written in steps. */
static void
snap_start(void)
{
	struct timeval	 zero = { 0, 0 };

	create_file(&P.snapw, "snap", P.gen, 1);
	if ((P.snap = snap_new(core.tree, &P.snapw)) == NULL) {
		log_warnx("no memory for a snapshot");
		(void)unlink(P.snapw.name);
		pw_close(&P.snapw);
		return;
	}
	evtimer_add(P.snap_ev, &zero);
}

/* The log is synced (we are in commit()): start a new generation? */
static void
maybe_rotate(void)
{
	uint64_t	 limit = P.compact > P.last_snap ? P.compact :
			    P.last_snap;

	if (!P.wal_open || P.snap != NULL ||
	    (!P.rotate && pw_size(&P.wal) - P.wal_base < limit))
		return;
	P.snap_purge = P.rotate;
	P.rotate = 0;
	pw_close(&P.wal);
	P.wal_open = 0;
	wal_open(P.gen + 1);
	snap_start();
}

static int
pending(void)
{
	if (!P.wal_open)
		return 0;
	return P.wal.buf.len > 0 ||
	    (P.fsync != FS_OFF && P.wal.synced < P.wal.written);
}

static void
release_acks(void)
{
	struct ack	 a;
	size_t		 off = 0;

	while (off < P.acks.len) {
		memcpy(&a, P.acks.data + off, sizeof(a));
		off += sizeof(a);
		core_send(a.session, P.acks.data + off, a.len);
		off += a.len;
	}
	mpbuf_reset(&P.acks);	/* the memory is kept for the next batch */
}

/*
 * Changes between state records: STATE_EVERY, or as many as the record
 * has intervals.  Random overwrites fragment `known' to about one
 * interval per entry; packing all of it every thousand changes made
 * the log and core's time per change grow with the store.  This way a
 * state record costs O(1) per change, amortized.
 */
static uint64_t
state_every(void)
{
	uint64_t	 n = 0;
	uint32_t	 i;

	for (i = 0; i < core.nodes.count; i++)
		n += ranges_nranges(&core.nodes.n[i].superseded) +
		    ranges_nranges(&core.nodes.n[i].deleted);
	return n > STATE_EVERY ? n : STATE_EVERY;
}

static void
commit(void)
{
	int	 rc = 0;

	P.commit_queued = 0;
	if (P.wal_open) {
		if (P.since_state >= STATE_EVERY &&
		    P.since_state >= state_every()) {
			persist_pack_state(&P.wal.buf);
			P.since_state = 0;
		}
		rc = P.fsync == FS_OFF ? pw_flush(&P.wal) : pw_sync(&P.wal);
		if (rc == 0 && P.wal_new && P.fsync != FS_OFF) {
			sync_dir();
			P.wal_new = 0;
		}
	}
	if (rc == -1) {
		/* Acks must not go out for changes that may be lost. */
		errno = P.wal.error;
		fatal("change log %s", P.wal.name);
	}
	plog_flush(P.fsync == FS_ALWAYS);
	release_acks();
	maybe_rotate();
}

static void
commit_cb(int fd, short ev, void *arg)
{
	commit();
}

/*
 * Tombstones were purged: start a new generation, whose snapshot no
 * longer holds them, so that the logs that do (their deletions) go and
 * a restart cannot bring them back.  Until that snapshot is in place a
 * crash loads them again; the next purge round removes them again.
 */
void
persist_rotate(void)
{
	if (!P.wal_open)
		return;
	P.rotate = 1;
	persist_schedule_commit();
}

void
persist_schedule_commit(void)
{
	if (P.commit_queued || P.commit_ev == NULL)
		return;
	P.commit_queued = 1;
	event_active(P.commit_ev, EV_TIMEOUT, 1);
}

static void
observe(const struct change *ch, void *arg)
{
	if (P.wal_open) {
		if (pf_entry(&P.wal.buf, core.tree, ch->path, ch->pathlen,
		    ch->entry) == -1)
			log_warnx("change too large for the change log");
		P.since_state++;
	}
	plog_change(core.tree, ch->path, ch->pathlen, ch->entry);
	if (P.loading)
		return;		/* one commit at the end of the load */
	if (P.fsync == FS_ALWAYS)
		commit();
	else
		persist_schedule_commit();
}

static void
defer_ack(uint32_t session, const uint8_t *p, size_t len, void *arg)
{
	struct ack	 a;

	if (!pending() && P.acks.len == 0) {
		core_send(session, p, len);
		return;
	}
	a.session = session;
	a.len = (uint32_t)len;	/* a reply, far below 4 GiB */
	mpbuf_add(&P.acks, &a, sizeof(a));
	mpbuf_add(&P.acks, p, len);
	persist_schedule_commit();
}

static void
read_conf(const msgpack_object *conf, int *on)
{
	char	*s = NULL;
	int64_t	 n;

	P.fsync = FS_BATCH;
	if (conf_get_str(conf, "kv.server.fsync", &s) == 0)
		P.fsync = strcmp(s, "always") == 0 ? FS_ALWAYS :
		    strcmp(s, "off") == 0 ? FS_OFF : FS_BATCH;
	free(s);
	*on = 1;
	/* network: the files as storage; the download is ready.c's */
	if (conf_get_str(conf, "kv.server.start", &s) == 0)
		*on = strcmp(s, "memory") != 0;
	free(s);
	P.compact = COMPACT_DEF;
	if (conf_get_int(conf, "kv.server.compact", &n) == 0 && n > 0)
		P.compact = (uint64_t)n;
}

void
persist_configure(const msgpack_object *conf)
{
	struct gens	 snaps = { NULL, 0, 0 }, wals = { NULL, 0, 0 };
	uint64_t	 s = 0, last, n = 0;
	double		 t0 = now();
	char		 name[64];
	size_t		 i;
	int		 on;

	read_conf(conf, &on);
	core_observe(observe, NULL);
	core_set_ack_hook(defer_ack, NULL);
	P.commit_ev = event_new(proc_base(), -1, 0, commit_cb, NULL);
	P.snap_ev = evtimer_new(proc_base(), snap_cb, NULL);
	if (P.commit_ev == NULL || P.snap_ev == NULL)
		fatalx("event_new");
	if (!on) {
		log_info("kv.server.start is memory: no state files");
		return;
	}
	P.on = 1;
	if ((P.dirfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		fatal("open of the state directory");
	scan(&snaps, &wals, 0);
	if (snaps.n > 0) {
		s = snaps.g[snaps.n - 1];
		fname(name, sizeof(name), "snap", s, 0);
		n += load_own(name, 0);
	}
	last = s;
	for (i = 0; i < wals.n; i++) {
		if (wals.g[i] < s)
			continue;	/* replaced by the snapshot */
		fname(name, sizeof(name), "wal", wals.g[i], 0);
		n += load_own(name, i == wals.n - 1);
		last = wals.g[i];
	}
	if (snaps.n || wals.n)
		log_info("state directory loaded: %llu records, %zu entries "
		    "in %.3f s", (unsigned long long)n,
		    tree_nvalues(core.tree), now() - t0);
	free(snaps.g);
	free(wals.g);
	wal_open(last + 1);
	if (n > 0)
		snap_start();	/* fold the replayed logs into one file */
}

void
persist_shutdown(void)
{
	int	 rc;

	/* A purge's snapshot is finished first: without it the older
	 * logs, which hold the purged tombstones, would load them again. */
	if (P.rotate && P.snap == NULL && P.wal_open)
		commit();		/* syncs, rotates, starts it */
	if (P.snap != NULL && P.snap_purge) {
		while ((rc = snap_step(P.snap, SNAP_STEP)) == 1)
			;
		snap_done(rc == 0);
	}
	if (P.snap != NULL) {
		/* The logs still cover it; the next start begins anew. */
		snap_free(P.snap);
		P.snap = NULL;
		(void)unlink(P.snapw.name);
		pw_close(&P.snapw);
	}
	if (P.wal_open) {
		persist_pack_state(&P.wal.buf);
		if (pw_sync(&P.wal) == -1)
			log_warn("change log %s", P.wal.name);
		pw_close(&P.wal);
		P.wal_open = 0;
	}
	release_acks();
	plog_shutdown();
	mpbuf_free(&P.acks);
	if (P.commit_ev)
		event_free(P.commit_ev);
	if (P.snap_ev)
		event_free(P.snap_ev);
	P.commit_ev = P.snap_ev = NULL;
	if (P.dirfd != -1)
		close(P.dirfd);
	P.dirfd = -1;
}
