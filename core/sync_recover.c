/*
 * sync_recover.c - the recovery steps on core's side: info messages
 * with every node's tick or with our missing ranges, and re-sending
 * the changes peers reported missing (syncd/syncd.h, IPC_SYNC_REQ).
 *
 * Resending needs the entry that carries a given (node, tick).  Rather
 * than an index of every present tick (memory on every entry, for a
 * rare event), one job walks the tree once per round and re-sends each
 * entry whose chain has a link somebody reported missing: a round
 * answers all reports at once in O(entries).  The walk runs in chunks
 * from the event loop on a resumable cursor, so clients are served
 * meanwhile, and pauses while syncd's channel is backed up.  At the end
 * of a round the reported ticks no entry carries go out as known
 * (superseded) or deleted, as the original does; reports that arrive
 * while a round runs start another one after it.
 */
#include <sys/time.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/sync.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/tv.h"

#define JOB_CHUNK	2048		/* entries walked per loop turn */
#define JOB_BACKLOG	(8u << 20)	/* pause above this many bytes */
#define POLL_STALL	5		/* reports without progress: stop */

static struct {
	struct tree_cursor *cur;	/* the running round, or NULL */
	int		 again;		/* reports came in: one more round */
	int		 force;		/* the round's info goes out anyway */
	uint64_t	 sent;
	struct event	*ev_run, *ev_delay;
	struct ranges	*seen;		/* others' missing since our last */
	uint32_t	 nseen;
	struct event	*ev_check, *ev_poll, *ev_hint, *ev_settle;
	uint64_t	*settled, *fresh;	/* ticks two turns, one ago */
	uint32_t	 nsettled, nfresh;
	uint64_t	 last_missing;	/* count at the last report */
	uint64_t	 sample;	/* count at the last look */
	int		 stall;		/* reports since it last changed */
	int		 hint_quiet;	/* we told the ticks: a cycle's rest */
	int		 hint_again;	/* a lag came in meanwhile */
	struct ranges	 hinted;	/* node indexes told their ticks */
	struct timeval	 reported_at;	/* our last missing report */
	struct timeval	 asked_at;	/* our last ask for the ticks */
} J;

static void	job_start(int force);

/* --- info bodies ---------------------------------------------------- */

typedef const struct ranges *(*set_fn)(uint32_t, const struct nodeinfo *,
		    struct ranges *);

/* key: {node: ranges} over every node whose set is not empty */
static void
pack_sets(msgpack_packer *pk, const char *key, set_fn f)
{
	struct ranges	 tmp = RANGES_INITIALIZER;
	const struct ranges *r;
	uint32_t	 i, n = 0;

	for (i = 0; i < core.nodes.count; i++)
		if ((r = f(i, &core.nodes.n[i], &tmp)) && !ranges_empty(r))
			n++;
	mp_pack_str(pk, key);
	msgpack_pack_map(pk, n);
	for (i = 0; i < core.nodes.count; i++) {
		if ((r = f(i, &core.nodes.n[i], &tmp)) == NULL ||
		    ranges_empty(r))
			continue;
		csync_pack_node(pk, i);
		(void)ranges_pack(r, pk);
	}
	ranges_free(&tmp);
}

/* Our missing ticks, less what others reported since our last report. */
static const struct ranges *
set_missing(uint32_t i, const struct nodeinfo *n, struct ranges *tmp)
{
	if (n->tick == 0 || nodes_missing(n, tmp) == -1)
		return NULL;
	if (i < J.nseen && ranges_difference(tmp, &J.seen[i]) == -1)
		return NULL;
	return tmp;
}

static const struct ranges *
set_known(uint32_t i, const struct nodeinfo *n, struct ranges *tmp)
{
	if (ranges_copy(tmp, &n->reported) == -1 ||
	    ranges_intersect(tmp, &n->superseded) == -1)
		return NULL;
	return tmp;
}

static const struct ranges *
set_deleted(uint32_t i, const struct nodeinfo *n, struct ranges *tmp)
{
	if (ranges_copy(tmp, &n->reported) == -1 ||
	    ranges_intersect(tmp, &n->deleted) == -1)
		return NULL;
	return tmp;
}

static int
any_set(set_fn f)
{
	struct ranges	 tmp = RANGES_INITIALIZER;
	const struct ranges *r;
	uint32_t	 i;
	int		 any = 0;

	for (i = 0; i < core.nodes.count && !any; i++)
		any = (r = f(i, &core.nodes.n[i], &tmp)) && !ranges_empty(r);
	ranges_free(&tmp);
	return any;
}

static void
send_ticks(void)
{
	struct ipc_chan	*c = csync_chan();
	msgpack_packer	*pk;
	uint32_t	 i, n = 0;

	for (i = 0; i < core.nodes.count; i++)
		n += core.nodes.n[i].tick > 0;
	csync_flush();
	pk = ipc_begin(c, IPC_SYNC_INFO_OUT, 0);
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "ticks");
	msgpack_pack_map(pk, n);
	for (i = 0; i < core.nodes.count; i++) {
		if (core.nodes.n[i].tick == 0)
			continue;
		csync_pack_node(pk, i);
		msgpack_pack_uint64(pk, core.nodes.n[i].tick);
	}
	mp_pack_kv_uint(pk, "tock", core_tock_read());
	ipc_end(c);
}

static void
clear_seen(void)
{
	uint32_t	 i;

	for (i = 0; i < J.nseen; i++)
		ranges_clear(&J.seen[i]);
}

/* Seconds from t to the loop's cached now. */
static double
since(const struct timeval *t)
{
	struct timeval	 now, d;

	event_base_gettimeofday_cached(proc_base(), &now);
	timersub(&now, t, &d);
	return d.tv_sec + d.tv_usec / 1e6;
}

/*
 * Peers answer a report after a cycle or so; reporting again before
 * that would only make them send everything twice.
 */
static int
reported_lately(void)
{
	return since(&J.reported_at) < 2 * csync_cycle();
}

static void
send_missing(int force)
{
	struct ipc_chan	*c = csync_chan();
	msgpack_packer	*pk;

	if (!force && reported_lately())
		return;
	if (force || any_set(set_missing)) {
		event_base_gettimeofday_cached(proc_base(), &J.reported_at);
		csync_flush();
		pk = ipc_begin(c, IPC_SYNC_INFO_OUT, 0);
		msgpack_pack_map(pk, 2);
		pack_sets(pk, "missing", set_missing);
		mp_pack_kv_uint(pk, "tock", core_tock_read());
		ipc_end(c);
	}
	clear_seen();
}

/* The end of a round: what nobody can re-send any more. */
static void
send_known(int force)
{
	struct ipc_chan	*c = csync_chan();
	msgpack_packer	*pk;

	if (c == NULL ||
	    (!force && !any_set(set_known) && !any_set(set_deleted)))
		return;
	csync_flush();
	pk = ipc_begin(c, IPC_SYNC_INFO_OUT, 0);
	msgpack_pack_map(pk, 3);
	pack_sets(pk, "known", set_known);
	pack_sets(pk, "deleted", set_deleted);
	mp_pack_kv_uint(pk, "tock", core_tock_read());
	ipc_end(c);
}

static double
rnd(void)
{
	return (double)random() / RAND_MAX;
}

static void
arm(struct event *ev, double d)
{
	struct timeval	 tv = tv_from_secs(d);

	evtimer_add(ev, &tv);
}

void
csync_rec_missing_seen(uint32_t node, const struct ranges *r)
{
	struct ranges	*s;
	uint32_t	 n;

	if (node >= J.nseen) {
		n = node + 1 < 2 * J.nseen ? 2 * J.nseen : node + 1;
		if ((s = reallocarray(J.seen, n, sizeof(*s))) == NULL)
			return;
		memset(s + J.nseen, 0, (n - J.nseen) * sizeof(*s));
		J.seen = s;
		J.nseen = n;
	}
	(void)ranges_union(&J.seen[node], r);
	if (ranges_empty(r) || J.ev_delay == NULL ||
	    evtimer_pending(J.ev_delay, NULL))
		return;		/* (no timers before csync_configure()) */
	/* as the original: somebody else may answer first */
	arm(J.ev_delay, csync_cycle() * (1 + rnd() / 3));
}

/* --- our own gaps --------------------------------------------------- */

static uint64_t
missing_count(void)
{
	struct ranges	 tmp = RANGES_INITIALIZER;
	uint64_t	 n = 0;
	uint32_t	 i;

	for (i = 0; i < core.nodes.count; i++)
		if (core.nodes.n[i].tick > 0 &&
		    nodes_missing(&core.nodes.n[i], &tmp) == 0)
			n += ranges_count(&tmp);
	ranges_free(&tmp);
	return n;
}

/*
 * Like the original after its start-up download, a server that misses
 * ticks says so on its own, each cycle, not only when the ping actor
 * tags it: it may be the newest node, which the tag reaches last.  The
 * count is taken at most every half cycle (it is linear in the ranges).
 */
void
csync_rec_check(void)
{
	if (csync_chan() == NULL || J.ev_check == NULL ||
	    evtimer_pending(J.ev_check, NULL) ||
	    evtimer_pending(J.ev_poll, NULL))
		return;
	arm(J.ev_check, csync_cycle() / 2);
}

static void
check_cb(int fd, short what, void *arg)
{
	uint64_t	 n = missing_count();

	if (n == 0) {
		J.stall = 0;
		J.last_missing = 0;
		clear_seen();	/* nothing of ours to leave out */
	} else if (n != J.last_missing || J.stall < POLL_STALL) {
		J.sample = n;
		arm(J.ev_poll, csync_cycle() * (1 + rnd()) / 2);
	}
}

/*
 * Report only when the gap stopped shrinking: under heavy load a
 * peer's ping shows ticks its updates have not brought yet, and asking
 * for those would only make it send them twice.
 */
static void
poll_cb(int fd, short what, void *arg)
{
	uint64_t	 n = missing_count();

	if (n == 0 || csync_chan() == NULL)
		return;
	if (n < J.sample) {
		J.sample = n;	/* still arriving: look again */
		arm(J.ev_poll, csync_cycle() / 2);
		return;
	}
	J.stall = n == J.last_missing ? J.stall + 1 : 0;
	J.last_missing = n;
	if (J.stall >= POLL_STALL) {
		log_info("sync: %llu ticks stay missing: no peer re-sent them",
		    (unsigned long long)n);
		return;
	}
	send_missing(0);
	J.sample = UINT64_MAX;	/* after a report, the next look reports */
	arm(J.ev_poll, csync_cycle() * (2 + rnd() / 2));
}

/* Tell the ticks soon, unless somebody else does; or after the quiet. */
static void
hint_arm(void)
{
	if (csync_chan() == NULL || J.ev_hint == NULL)
		return;
	if (J.hint_quiet) {
		J.hint_again = 1;
		return;
	}
	if (!evtimer_pending(J.ev_hint, NULL))
		arm(J.ev_hint, csync_cycle() * (1 + rnd()) / 4);
}

void
csync_rec_peer_behind(uint32_t node, int behind)
{
	if (!behind && ranges_contains(&J.hinted, node))
		return;		/* an idle node stays at tick 0: once */
	if (ranges_add(&J.hinted, node) == -1)
		return;
	hint_arm();
}

void
csync_rec_peer_lags(void)
{
	hint_arm();
}

/*
 * Every cycle the ticks of the last turn become the settled ones and
 * today's are kept for the next.  A peer lags only if it lacks a
 * settled tick: the newest ones are still on their way to it in
 * updates, and answering those made two servers that both write trade
 * ticks infos once a cycle for as long as they wrote.
 */
static void
settle_cb(int fd, short what, void *arg)
{
	uint32_t	 i, n = core.nodes.count;

	free(J.settled);
	J.settled = J.fresh;
	J.nsettled = J.nfresh;
	J.nfresh = 0;
	if (n > 0 && (J.fresh = calloc(n, sizeof(*J.fresh))) != NULL) {
		for (i = 0; i < n; i++)
			J.fresh[i] = core.nodes.n[i].tick;
		J.nfresh = n;
	}
	arm(J.ev_settle, csync_cycle());
}

uint64_t
csync_rec_settled(uint32_t idx)
{
	return idx < J.nsettled ? J.settled[idx] : 0;
}

/*
 * Our ticks, however few: a peer finds they lag its own (sync.c,
 * info_ticks) and answers with every node's tick.
 */
void
csync_rec_ask_ticks(void)
{
	if (csync_chan() == NULL || (J.asked_at.tv_sec != 0 &&
	    since(&J.asked_at) < csync_cycle()))
		return;
	event_base_gettimeofday_cached(proc_base(), &J.asked_at);
	send_ticks();
}

void
csync_rec_ticks_seen(void)
{
	if (J.ev_hint != NULL && !J.hint_quiet &&
	    evtimer_pending(J.ev_hint, NULL))
		evtimer_del(J.ev_hint);		/* somebody told it */
}

/* Then at most one hint per cycle from here. */
static void
hint_cb(int fd, short what, void *arg)
{
	uint32_t	 i;

	if (J.hint_quiet || csync_chan() == NULL) {
		J.hint_quiet = 0;
		if (J.hint_again) {	/* a lag seen while we were quiet */
			J.hint_again = 0;
			hint_arm();
		}
		return;
	}
	for (i = 0; i < core.nodes.count && core.nodes.n[i].tick == 0; i++)
		;
	if (i == core.nodes.count)
		return;		/* we know no tick worth telling */
	send_ticks();
	J.hint_quiet = 1;
	arm(J.ev_hint, csync_cycle());
}

/* --- the resend job ------------------------------------------------- */

/* Does any link of the chain carry a reported tick? */
static int
reported_in(struct chain c)
{
	const struct nodeinfo *n;
	unsigned	 i;

	for (i = 0; i < c.n; i++)
		if ((n = nodes_find(&core.nodes, c.link[i].node)) != NULL &&
		    ranges_contains(&n->reported, c.link[i].tick))
			return 1;
	return 0;
}

static void
resent(struct chain c)
{
	struct nodeinfo	*n;
	unsigned	 i;

	for (i = 0; i < c.n; i++)
		if ((n = nodes_find(&core.nodes, c.link[i].node)) != NULL)
			(void)ranges_remove(&n->reported, c.link[i].tick);
}

static void
job_end(void)
{
	int	 force = J.force;

	tree_cursor_free(J.cur);
	J.cur = NULL;
	if (J.sent > 0)
		log_debug("sync: re-sent %llu entries peers missed",
		    (unsigned long long)J.sent);
	send_known(force);
	if (J.again) {
		J.again = 0;
		job_start(0);
	}
}

static void
job_run(int fd, short what, void *arg)
{
	struct timeval	 tv = { 0, 50000 };
	struct entry	*e;
	const uint8_t	*p;
	size_t		 plen;
	unsigned	 i;

	if (J.cur == NULL)
		return;
	if (csync_chan() == NULL) {
		job_end();
		return;
	}
	for (i = 0; i < JOB_CHUNK; i++) {
		if (csync_backlog() > JOB_BACKLOG) {
			evtimer_add(J.ev_run, &tv);	/* let syncd drain */
			return;
		}
		if ((e = tree_cursor_next(J.cur)) == NULL) {
			job_end();
			return;
		}
		if (!reported_in(entry_chain(e)))
			continue;
		p = tree_cursor_path(J.cur, &plen);
		if (csync_queue(p, plen, e, 1) == 0) {
			resent(entry_chain(e));
			J.sent++;
		}
	}
	event_active(J.ev_run, EV_TIMEOUT, 1);
}

/* Is there any reported tick an entry here carries? */
static int
anything_to_send(void)
{
	struct ranges	 tmp = RANGES_INITIALIZER;
	uint32_t	 i;
	int		 any = 0;

	for (i = 0; i < core.nodes.count && !any; i++)
		any = ranges_copy(&tmp, &core.nodes.n[i].reported) == 0 &&
		    ranges_intersect(&tmp, &core.nodes.n[i].present) == 0 &&
		    !ranges_empty(&tmp);
	ranges_free(&tmp);
	return any;
}

static void
job_start(int force)
{
	if (J.cur != NULL) {
		J.again = 1;
		J.force |= force;
		return;
	}
	J.force = force;
	J.sent = 0;
	if (csync_chan() == NULL || J.ev_run == NULL)
		return;
	if (!anything_to_send()) {
		send_known(force);
		return;
	}
	if ((J.cur = tree_cursor_new(core.tree, NULL, 0, 0, TREE_DEPTH_ANY,
	    TREE_WALK_EMPTY)) == NULL) {
		log_warnx("sync: out of memory starting a resend round");
		return;
	}
	event_active(J.ev_run, EV_TIMEOUT, 1);
}

static void
delay_cb(int fd, short what, void *arg)
{
	job_start(0);
}

int
csync_request(const char *what, size_t len, int force)
{
	if (csync_chan() == NULL)
		return 0;
	if (len == 5 && memcmp(what, "ticks", 5) == 0)
		send_ticks();
	else if (len == 7 && memcmp(what, "missing", 7) == 0)
		send_missing(force);
	else if (len == 6 && memcmp(what, "resend", 6) == 0)
		job_start(force);
	else
		return -1;
	return 0;
}

void
csync_rec_init(void)
{
	memset(&J, 0, sizeof(J));
	if ((J.ev_run = event_new(proc_base(), -1, 0, job_run, NULL)) == NULL ||
	    (J.ev_delay = evtimer_new(proc_base(), delay_cb, NULL)) == NULL ||
	    (J.ev_check = evtimer_new(proc_base(), check_cb, NULL)) == NULL ||
	    (J.ev_poll = evtimer_new(proc_base(), poll_cb, NULL)) == NULL ||
	    (J.ev_hint = evtimer_new(proc_base(), hint_cb, NULL)) == NULL ||
	    (J.ev_settle = evtimer_new(proc_base(), settle_cb, NULL)) == NULL)
		fatalx("event_new");
	settle_cb(-1, 0, NULL);
}

void
csync_rec_free(void)
{
	uint32_t	 i;

	tree_cursor_free(J.cur);
	if (J.ev_run)
		event_free(J.ev_run);
	if (J.ev_delay)
		event_free(J.ev_delay);
	if (J.ev_check)
		event_free(J.ev_check);
	if (J.ev_poll)
		event_free(J.ev_poll);
	if (J.ev_hint)
		event_free(J.ev_hint);
	if (J.ev_settle)
		event_free(J.ev_settle);
	free(J.settled);
	free(J.fresh);
	for (i = 0; i < J.nseen; i++)
		ranges_free(&J.seen[i]);
	free(J.seen);
	ranges_free(&J.hinted);
	memset(&J, 0, sizeof(J));
}
