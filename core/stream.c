/*
 * stream.c - get_tree and watch streams, flow control, the pump.
 *
 * Each stream moves through phases: START (send {state:start}), WALK
 * (entries from a tree cursor), UPTODATE (watch with fetch), LIVE
 * (watch: queued changes), END (an optional error item, then
 * {state:end}).  step() produces one message if the flow-control
 * window allows; stream_run() calls it for a chunk and hands the
 * chunk to netd as one reply.  Streams with work wait in the run queue
 * that the pump event serves, a bounded chunk per stream per turn, and
 * only while netd's channel has less than PENDING_HIGH bytes queued.
 *
 * delete_tree runs as a job on the same machinery: a cursor, a chunk of
 * deletions per turn, one {changed: N} reply at the end - or, with
 * nchain > 0, a stream of the deletions under flow control.
 *
 * Queued watch items are bounded per watch (a quarter of
 * kv.server.max_out) and for all watches together (16 times that).
 *
 * A watch item is packed when the change happens (the entry may change
 * again before it is sent) and kept in the stream's queue as
 * [u32 len][u8 nkeys][fields]; its path is compressed against the
 * previous queued item, the first one with depth 0, so the client can
 * rebuild it whatever came before.  Entries changed after the watch
 * started are skipped by the fetch walk: their change is in the queue.
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/msgpass.h"
#include "core/stream.h"
#include "core/watch.h"
#include "ipc/ipc.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/msgtopic.h"

#define CHUNK		256		/* messages per stream per run */
#define CHUNK_BYTES	(1u << 20)	/* ... and bytes: IPC frames are bounded */
#define JOB_CHUNK	1024		/* delete_tree deletions per run */
#define PUMP_BUDGET	4096		/* messages per loop turn */
#define PENDING_HIGH	(1u << 20)	/* bytes queued to netd */

enum phase { PH_START, PH_WALK, PH_UPTODATE, PH_LIVE, PH_END, PH_DONE };

struct stream {
	LIST_ENTRY(stream)	 sess;
	TAILQ_ENTRY(stream)	 run;
	struct csession		*s;
	int64_t			 seq;
	int			 is_watch;
	int			 is_job;	/* delete_tree */
	uint64_t		 count;		/* job: entries changed */
	struct mpbuf		 base;		/* job: full path scratch */
	enum phase		 phase;
	int			 queued;	/* in the run queue */
	int			 force;		/* ending: ignore the window */
	const char		*err;		/* error item before end */
	uint64_t		 wseq;
	int64_t			 acked;
	unsigned		 qlen;
	struct stream_opts	 o;
	struct tree_cursor	*cur;
	struct mpbuf		 prev;		/* walk path compression */
	uint64_t		 start_tock;
	struct watchpoint	*wp;
	uint64_t		 mon;		/* msg_monitor: msgpass id */
	int			 raw;		/* ... raw: true */
	struct mpbuf		 q;		/* queued watch items */
	size_t			 qhead;
	struct mpbuf		 qprev;
};

static struct {
	TAILQ_HEAD(, stream)	 runq;
	struct event		*pump;
	struct event		*later;
	struct reply		 r;
	struct reply		 qr;		/* packing watch items */
	size_t			 max_queue;	/* per watch */
	size_t			 max_total;	/* all watches */
	size_t			 total;		/* queued now */
} S = { .max_queue = 4u << 20, .max_total = 64u << 20 };

static void	pump_cb(int, short, void *);

void
stream_init(void)
{
	TAILQ_INIT(&S.runq);
	rep_init(&S.r);
	rep_init(&S.qr);
	if ((S.pump = event_new(proc_base(), -1, 0, pump_cb, NULL)) == NULL ||
	    (S.later = evtimer_new(proc_base(), pump_cb, NULL)) == NULL)
		fatalx("event_new");
}

void
stream_shutdown(void)
{
	if (S.pump) {
		event_free(S.pump);
		event_free(S.later);
		S.pump = S.later = NULL;
	}
	rep_free(&S.r);
	rep_free(&S.qr);
}

void
stream_set_limit(size_t max)
{
	S.max_queue = max;
	S.max_total = max * 16;
}

/* Forget the queued bytes of a stream (sent, dropped or freed). */
static void
queue_drop(struct stream *st)
{
	S.total -= st->q.len - st->qhead;
	mpbuf_free(&st->q);
	st->qhead = 0;
}

static void
schedule(struct stream *st)
{
	if (!st->queued) {
		TAILQ_INSERT_TAIL(&S.runq, st, run);
		st->queued = 1;
	}
	if (S.pump && !event_pending(S.later, EV_TIMEOUT, NULL))
		event_active(S.pump, EV_TIMEOUT, 1);
}

static void
stream_free(struct stream *st)
{
	if (st->queued)
		TAILQ_REMOVE(&S.runq, st, run);
	LIST_REMOVE(st, sess);
	st->s->nstreams--;
	if (st->wp)
		watch_del(st->wp, st);
	if (st->mon)
		msgpass_gone(st->mon);
	tree_cursor_free(st->cur);
	mpbuf_free(&st->prev);
	queue_drop(st);
	mpbuf_free(&st->qprev);
	mpbuf_free(&st->base);
	free(st);
}

static int
window_open(const struct stream *st)
{
	int64_t	 win;

	if (st->qlen == 0 || st->force)
		return 1;
	win = st->qlen > 1 ? st->qlen - 1 : 1;
	return (int64_t)st->wseq - st->acked < win;
}

static void
msg_end(struct stream *st, struct reply *r)
{
	if (st->qlen)
		st->wseq++;
	rep_finish(r, 1, st->seq, st->qlen ? st->wseq : 0, core_tock_read);
}

static void
send_state(struct stream *st, struct reply *r, const char *state)
{
	rep_begin(r);
	rep_str(r, "state", state);
	msg_end(st, r);
}

static void
send_walk_item(struct stream *st, struct reply *r, struct entry *e)
{
	const uint8_t	*p;
	size_t		 len;

	p = tree_cursor_path(st->cur, &len);
	rep_begin(r);
	rep_entry(r, e, st->o.nchain, tree_nodes(core.tree));
	rep_short_path(r, &st->prev, p, len);
	msg_end(st, r);
}

static void
send_queued(struct stream *st, struct reply *r)
{
	uint32_t	 len;
	uint8_t		 nkeys;

	memcpy(&len, st->q.data + st->qhead, sizeof(len));
	nkeys = st->q.data[st->qhead + sizeof(len)];
	rep_begin(r);
	rep_fields(r, st->q.data + st->qhead + sizeof(len) + 1, len, nkeys,
	    st->mon == 0);
	msg_end(st, r);
	st->qhead += sizeof(len) + 1 + len;
	S.total -= sizeof(len) + 1 + len;
	if (st->qhead == st->q.len) {
		mpbuf_reset(&st->q);
		st->qhead = 0;
	}
}

static void
send_error(struct stream *st, struct reply *r, const char *err)
{
	rep_begin(r);
	rep_str(r, "error", err);
	msg_end(st, r);
}

/*
 * The original's walks skip children whose element is nil (the system
 * subtree, below the root); `empty' lets them in at the first level
 * only.  So get_tree of the root does not list auth and ACL data.
 */
static int
nil_hidden(const struct stream *st)
{
	const uint8_t	*p, *el;
	size_t		 len, off = 0, elen;
	unsigned	 i = 0;

	p = tree_cursor_path(st->cur, &len);
	while (mp_path_next(p, len, &off, &el, &elen) == 1) {
		if (elen == 1 && el[0] == 0xc0 && !(i == 0 && st->o.empty))
			return 1;
		i++;
	}
	return 0;
}

/* One message into r: 1 sent, 0 nothing to send now, -1 stream done. */
static int
step(struct stream *st, struct reply *r)
{
	struct entry	*e;

	if (!window_open(st))
		return 0;
	switch (st->phase) {
	case PH_START:
		send_state(st, r, "start");
		st->phase = st->cur ? PH_WALK : PH_LIVE;
		return 1;
	case PH_WALK:
		while ((e = tree_cursor_next(st->cur)) != NULL) {
			if (st->is_watch && entry_tock(e) > st->start_tock)
				continue;	/* its change is queued */
			if (nil_hidden(st))
				continue;
			send_walk_item(st, r, e);
			return 1;
		}
		if (tree_cursor_failed(st->cur))
			st->err = "MemoryError()";
		tree_cursor_free(st->cur);
		st->cur = NULL;
		st->phase = st->is_watch && !st->err ? PH_UPTODATE : PH_END;
		return step(st, r);
	case PH_UPTODATE:
		send_state(st, r, "uptodate");
		st->phase = PH_LIVE;
		return 1;
	case PH_LIVE:
		if (st->qhead == st->q.len)
			return 0;
		send_queued(st, r);
		return 1;
	case PH_END:
		if (st->err) {
			send_error(st, r, st->err);
			st->err = NULL;
			return 1;
		}
		send_state(st, r, "end");
		st->phase = PH_DONE;
		return -1;
	default:
		return -1;
	}
}

/* Up to max messages into r; 1 if the stream ended (caller frees). */
static int
run_into(struct stream *st, struct reply *r, int max, int *sent)
{
	int	 rc = 0;

	*sent = 0;
	while (*sent < max && r->buf.len < CHUNK_BYTES &&
	    (rc = step(st, r)) == 1)
		(*sent)++;
	if (rc == -1)
		(*sent)++;
	return rc == -1;
}

/*
 * One deletion item of a streaming delete_tree (nchain > 0), as the
 * original's change event: the new chain's head at the top level
 * (node, tick, prev: the rest), the path, the old value if there was
 * one, the entry's tock.
 */
static void
send_job_item(struct stream *st, struct reply *r, struct entry *e,
    const uint8_t *rel, size_t rellen, int had_value)
{
	const struct nodetab *tab = tree_nodes(core.tree);
	struct chain	 c = entry_chain(e), rest;
	const char	*name;
	size_t		 len;

	rep_begin(r);
	if ((name = nodetab_name(tab, c.link[0].node, &len)) == NULL)
		name = "", len = 0;
	mp_pack_strn(rep_key(r, "node"), name, len);
	rep_uint(r, "tick", c.link[0].tick);
	rest.link = c.link + 1;
	rest.n = c.n - 1;
	rep_chain(r, "prev", rest, st->o.nchain - 1, tab);
	rep_short_path(r, &st->prev, rel, rellen);
	if (had_value) {
		rep_key(r, "old_value");
		rep_raw(r, st->qprev.data, st->qprev.len);
	}
	rep_tock(r, entry_tock(e));
	msg_end(st, r);
}

/*
 * delete_tree as a job: up to max deletions (and, when it streams, as
 * many items as the window allows), then 1 when done, its last reply
 * in r: {changed: N}, or {state: end}.  The cursor finds its place
 * again after each deletion, so the job may stop and go on anywhere.
 */
static int
job_run(struct stream *st, struct reply *r, int max)
{
	struct entry	*e;
	const uint8_t	*rel, *v;
	size_t		 rellen, vlen, baselen = st->base.len;
	int		 n = 0, had;

	if (st->phase == PH_START) {
		if (!window_open(st))
			return 0;
		send_state(st, r, "start");
		st->phase = PH_WALK;
	}
	if (st->phase == PH_END) {	/* stopped by the client */
		send_state(st, r, "end");
		st->phase = PH_DONE;
		return 1;
	}
	for (;;) {
		if (n == max || (st->o.nchain > 0 && !window_open(st)))
			return 0;
		if ((e = tree_cursor_next(st->cur)) == NULL)
			break;
		rel = tree_cursor_path(st->cur, &rellen);
		mpbuf_add(&st->base, rel, rellen);
		if ((had = entry_has_value(e)) && st->o.nchain > 0) {
			v = entry_value(e, &vlen);	/* the old value */
			mpbuf_reset(&st->qprev);
			mpbuf_add(&st->qprev, v, vlen);
		}
		if (core_change_local(st->base.data, st->base.len, &e, NULL,
		    0) == 0) {
			st->count++;
			if (st->o.nchain > 0)
				send_job_item(st, r, e, rel, rellen, had);
		}
		st->base.len = baselen;
		n++;
	}
	if (st->o.nchain > 0)
		send_state(st, r, "end");
	else {
		rep_begin(r);
		rep_uint(r, "changed", st->count);
		rep_finish(r, 1, st->seq, 0, core_tock_read);
	}
	st->phase = PH_DONE;
	return 1;
}

/* Has sendable work right now? */
static int
runnable(const struct stream *st)
{
	if (st->is_job)
		return st->o.nchain == 0 || window_open(st);
	if (!window_open(st))
		return 0;
	return st->phase != PH_LIVE || st->qhead < st->q.len;
}

static void
pump_cb(int fd, short ev, void *arg)
{
	struct stream	*st;
	const uint8_t	*p;
	size_t		 len;
	int		 budget = PUMP_BUDGET, sent, done;
	struct timeval	 tv = { 0, 1000 };

	while ((st = TAILQ_FIRST(&S.runq)) != NULL && budget > 0) {
		if (core.netd == NULL)
			return;
		if (ipc_pending(core.netd) > PENDING_HIGH) {
			evtimer_add(S.later, &tv);
			return;
		}
		TAILQ_REMOVE(&S.runq, st, run);
		st->queued = 0;
		rep_reset(&S.r);
		if (st->is_job) {
			done = job_run(st, &S.r, JOB_CHUNK);
			budget -= CHUNK;
		} else {
			done = run_into(st, &S.r, CHUNK, &sent);
			budget -= sent;
		}
		p = rep_data(&S.r, &len);
		if (st->is_job)
			core_ack(st->s->id, p, len);
		else
			core_send(st->s->id, p, len);
		if (done)
			stream_free(st);
		else if (runnable(st)) {
			TAILQ_INSERT_TAIL(&S.runq, st, run);
			st->queued = 1;
		}
	}
	if (!TAILQ_EMPTY(&S.runq))
		event_active(S.pump, EV_TIMEOUT, 1);
}

static struct stream *
stream_new(struct ctx *c, int is_watch, const struct stream_opts *o)
{
	struct stream	*st;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		ctx_error(c, "MemoryError()");
		return NULL;
	}
	st->s = c->s;
	st->seq = c->seq;
	st->is_watch = is_watch;
	st->qlen = c->s->qlen;
	st->o = *o;
	st->start_tock = core.tock;
	mpbuf_init(&st->prev);
	mpbuf_init(&st->q);
	mpbuf_init(&st->qprev);
	LIST_INSERT_HEAD(&c->s->streams, st, sess);
	c->s->nstreams++;
	return st;
}

static int
open_cursor(struct ctx *c, struct stream *st)
{
	st->cur = tree_cursor_new(core.tree, c->path->data, c->path->len,
	    st->o.mindepth, st->o.maxdepth, st->o.empty ? TREE_WALK_EMPTY : 0);
	if (st->cur != NULL)
		return 0;
	stream_free(st);
	ctx_error(c, "MemoryError()");
	return -1;
}

/* The first chunk goes out with the request's reply. */
static void
first_chunk(struct ctx *c, struct stream *st)
{
	int	 sent;

	if (run_into(st, c->r, CHUNK, &sent))
		stream_free(st);
	else if (runnable(st))
		schedule(st);
}

void
stream_error3(struct ctx *c, const char *err)
{
	struct stream	 st;

	memset(&st, 0, sizeof(st));
	st.seq = c->seq;
	st.qlen = c->s->qlen;
	send_state(&st, c->r, "start");
	send_error(&st, c->r, err);
	send_state(&st, c->r, "end");
}

void
stream_tree(struct ctx *c, const struct stream_opts *o)
{
	struct stream	*st;

	if ((st = stream_new(c, 0, o)) == NULL || open_cursor(c, st) == -1)
		return;
	first_chunk(c, st);
}

void
stream_watch(struct ctx *c, const struct stream_opts *o)
{
	struct stream	*st;

	if ((st = stream_new(c, 1, o)) == NULL)
		return;
	if ((st->wp = watch_add(st, c->path->data, c->path->len)) == NULL) {
		stream_free(st);
		ctx_error(c, "MemoryError()");
		return;
	}
	if (o->fetch && open_cursor(c, st) == -1)
		return;
	first_chunk(c, st);
}

void
stream_delete_tree(struct ctx *c, unsigned nchain)
{
	struct stream_opts o;
	struct stream	*st;

	memset(&o, 0, sizeof(o));
	o.maxdepth = TREE_DEPTH_ANY;
	o.empty = 1;
	o.nchain = nchain;
	if ((st = stream_new(c, 0, &o)) == NULL || open_cursor(c, st) == -1)
		return;
	st->is_job = 1;
	st->phase = nchain > 0 ? PH_START : PH_WALK;
	mpbuf_add(&st->base, c->path->data, c->path->len);
	if (job_run(st, c->r, JOB_CHUNK))
		stream_free(st);	/* done: the reply is in c->r */
	else
		schedule(st);
}

static void
end_stream(struct stream *st, const char *err)
{
	tree_cursor_free(st->cur);
	st->cur = NULL;
	queue_drop(st);
	st->err = err;
	st->force = 1;
	st->phase = PH_END;
	schedule(st);
}

/*
 * Queue the item open in S.qr (the fields after its map16 header);
 * a stream that falls too far behind is ended instead.
 */
static void
queue_item(struct stream *st, const char *what)
{
	struct reply	*r = &S.qr;
	uint32_t	 len;
	uint8_t		 nkeys;

	len = r->buf.len - 3;		/* fields after the map16 header */
	nkeys = r->nkeys;
	mpbuf_add(&st->q, &len, sizeof(len));
	mpbuf_add(&st->q, &nkeys, 1);
	mpbuf_add(&st->q, r->buf.data + 3, len);
	r->open = 0;
	S.total += sizeof(len) + 1 + len;
	/* this watcher is behind; past the global cap, the one that adds
	   is dropped, as it is the one with a backlog */
	if (st->q.len - st->qhead > S.max_queue || S.total > S.max_total) {
		log_info("session %u: %s %lld overflows, ending it",
		    st->s->id, what, (long long)st->seq);
		end_stream(st, st->mon ? "RuntimeError('monitor queue "
		    "overflow: the client does not keep up')" :
		    "RuntimeError('watch queue overflow: the client does not "
		    "keep up')");
		return;
	}
	if (st->qhead > 65536 && st->qhead > st->q.len / 2) {
		memmove(st->q.data, st->q.data + st->qhead,
		    st->q.len - st->qhead);
		st->q.len -= st->qhead;
		st->qhead = 0;
	}
	if (runnable(st))
		schedule(st);
}

void
stream_watch_event(struct stream *st, const struct change *ch,
    const uint8_t *rel, size_t rellen, unsigned reldepth)
{
	struct reply	*r = &S.qr;

	if (st->phase >= PH_END || reldepth < st->o.mindepth ||
	    reldepth > st->o.maxdepth)
		return;
	rep_reset(r);
	rep_begin(r);
	rep_entry(r, ch->entry, st->o.nchain, tree_nodes(core.tree));
	rep_short_path(r, &st->qprev, rel, rellen);
	queue_item(st, "watch");
}

struct stream *
stream_monitor(struct ctx *c, uint64_t mon, int raw)
{
	struct stream_opts o;
	struct stream	*st;

	memset(&o, 0, sizeof(o));
	if ((st = stream_new(c, 0, &o)) == NULL)
		return NULL;
	st->mon = mon;
	st->raw = raw;
	first_chunk(c, st);	/* {state: start} */
	return st;
}

void
stream_msg_event(struct stream *st, const char *topic, const uint8_t *p,
    size_t len, const char *err)
{
	struct reply	*r = &S.qr;

	if (st->phase >= PH_END)
		return;
	rep_reset(r);
	rep_begin(r);
	msgtopic_pack(rep_key(r, "topic"), topic, strlen(topic));
	if (st->raw || err) {
		rep_key(r, "raw");
		msgpack_pack_bin(&r->pk, len);
		msgpack_pack_bin_body(&r->pk, p, len);
		if (!st->raw)
			rep_str(r, "error", err);
	} else {
		rep_key(r, "data");
		rep_raw(r, p, len);
	}
	queue_item(st, "monitor");
}

void
stream_end_error(struct stream *st, const char *err)
{
	if (st->phase < PH_END)
		end_stream(st, err);
}

static struct stream *
find(struct csession *s, int64_t seq)
{
	struct stream	*st;

	LIST_FOREACH(st, &s->streams, sess)
		if (st->seq == seq && st->phase < PH_DONE &&
		    (!st->is_job || st->o.nchain > 0))
			return st;
	return NULL;
}

void
stream_ack(struct csession *s, int64_t seq, int64_t ack)
{
	struct stream	*st;

	if ((st = find(s, seq)) == NULL || ack <= st->acked)
		return;
	st->acked = ack;
	if (runnable(st))
		schedule(st);
}

int
stream_stop(struct csession *s, int64_t task)
{
	struct stream	*st;

	if ((st = find(s, task)) == NULL || st->phase >= PH_END)
		return 0;
	end_stream(st, NULL);
	return 1;
}

void
stream_drop_all(struct csession *s)
{
	struct stream	*st;

	while ((st = LIST_FIRST(&s->streams)) != NULL)
		stream_free(st);
}

void
stream_netd_changed(void)
{
	if (S.pump && !TAILQ_EMPTY(&S.runq))
		event_active(S.pump, EV_TIMEOUT, 1);
}
