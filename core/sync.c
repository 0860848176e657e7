/*
 * sync.c - core's end of the syncd channel (see sync.h and the message
 * contract in syncd/syncd.h).
 *
 * Local changes reach syncd through a change observer that packs each
 * one into a batch; the batch goes out as one IPC_SYNC_LOCAL frame per
 * loop turn.  Remote updates are applied here, and only here, by
 * comparing chains: a stale one is ignored, a newer one installed with
 * core_change_apply(), and of two concurrent ones the higher tock wins
 * (the original's rule) with chain_tiebreak() for equal tocks, so every
 * server picks the same winner.  Whatever the outcome, every link of
 * the incoming chain that does not end up in the entry's chain is
 * recorded as superseded: this server has seen that change, and it
 * must not count as missing.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/elem.h"
#include "core/msgpass.h"
#include "core/purge.h"
#include "core/sync.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mp.h"

#define BATCH_MAX_EVENTS	1024
#define BATCH_MAX_BYTES		(4u << 20)
#define BACKLOG_MAX		(32u << 20)	/* syncd's unread bytes */

static struct {
	struct ipc_chan	*chan;
	int		 standalone;	/* no broker: publish nothing */
	int		 observing;
	double		 cycle;
	uint64_t	 tick_sent;	/* our tick in the last SYNC_STATE */
	int		 announce;	/* data of our own: tell every tick */
	struct event	*ev_flush;
	struct mpbuf	 batch;
	unsigned	 nbatch;
	uint64_t	 dropped;
} Y;

int
csync_standalone(void)
{
	return Y.standalone;
}

struct ipc_chan *
csync_chan(void)
{
	return Y.chan;
}

double
csync_cycle(void)
{
	return Y.cycle;
}

size_t
csync_backlog(void)
{
	return (Y.chan ? ipc_pending(Y.chan) : 0) + Y.batch.len;
}

void
csync_pack_node(msgpack_packer *pk, uint32_t idx)
{
	size_t		 len;
	const char	*name = tree_node_name(core.tree, idx, &len);

	if (name == NULL)
		name = "", len = 0;
	mp_pack_strn(pk, name, len);
}

static void
send_state(void)
{
	msgpack_packer	*pk;

	if (Y.chan == NULL || core.tree == NULL)
		return;
	Y.tick_sent = core_tick();
	pk = ipc_begin(Y.chan, IPC_SYNC_STATE, 0);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_uint(pk, "tick", Y.tick_sent);
	mp_pack_kv_uint(pk, "tock", core.tock);
	mp_pack_kv_bool(pk, "ready", !cready_waiting());
	ipc_end(Y.chan);
}

void
csync_send_state(void)
{
	send_state();
}

/* Peers raised our own tick (we lost changes): pings must say so. */
static void
state_check(void)
{
	if (core.tree != NULL && core_tick() > Y.tick_sent)
		send_state();
}

/* --- outgoing events ------------------------------------------------ */

static void
flush_cb(int fd, short what, void *arg)
{
	msgpack_packer	*pk;

	state_check();
	if (Y.nbatch == 0)
		return;
	if (Y.chan == NULL || ipc_pending(Y.chan) > BACKLOG_MAX) {
		if (Y.dropped == 0)
			log_warnx("sync: syncd is behind, dropping outgoing "
			    "updates (peers will ask for them)");
		Y.dropped += Y.nbatch;
	} else {
		pk = ipc_begin(Y.chan, IPC_SYNC_LOCAL, 0);
		msgpack_pack_array(pk, Y.nbatch);
		ipc_append(Y.chan, Y.batch.data, Y.batch.len);
		ipc_end(Y.chan);
		Y.dropped = 0;
	}
	mpbuf_reset(&Y.batch);
	Y.nbatch = 0;
}

void
csync_flush(void)
{
	flush_cb(-1, 0, NULL);
}

int
csync_queue(const uint8_t *path, size_t pathlen, const struct entry *e,
    int resend)
{
	struct chain	 c = entry_chain(e);
	msgpack_packer	 pk;
	const uint8_t	*v;
	size_t		 vlen;
	unsigned	 i;

	if (Y.chan == NULL || Y.standalone || c.n == 0)
		return -1;
	v = entry_value(e, &vlen);
	msgpack_packer_init(&pk, &Y.batch, mpbuf_write);
	msgpack_pack_map(&pk, 3 + (v != NULL) + (resend != 0));
	mp_pack_str(&pk, "chain");
	msgpack_pack_array(&pk, c.n);
	for (i = 0; i < c.n; i++) {
		msgpack_pack_array(&pk, 2);
		csync_pack_node(&pk, c.link[i].node);
		msgpack_pack_uint64(&pk, c.link[i].tick);
	}
	mp_pack_str(&pk, "path");
	msgpack_pack_bin(&pk, pathlen);
	if (pathlen > 0)	/* the root's path may be NULL */
		msgpack_pack_bin_body(&pk, path, pathlen);
	if (v != NULL) {
		mp_pack_str(&pk, "value");
		mpbuf_add(&Y.batch, v, vlen);	/* already packed */
	}
	mp_pack_kv_uint(&pk, "tock", entry_tock(e));
	if (resend) {
		mp_pack_str(&pk, "resend");
		msgpack_pack_array(&pk, 2);
		csync_pack_node(&pk, core.self);
		msgpack_pack_uint64(&pk, core_tick());
	}
	Y.nbatch++;
	if (Y.nbatch >= BATCH_MAX_EVENTS || Y.batch.len >= BATCH_MAX_BYTES)
		flush_cb(-1, 0, NULL);
	else
		event_active(Y.ev_flush, EV_TIMEOUT, 1);
	return 0;
}

/*
 * The observer: only changes made here are ours to publish.  Loaded
 * ones (moatd -l) may raise our tick: SYNC_STATE follows at the flush.
 */
static void
observe(const struct change *ch, void *arg)
{
	if (ch->origin == CHANGE_LOCAL)
		(void)csync_queue(ch->path, ch->pathlen, ch->entry, 0);
	else if (ch->origin == CHANGE_LOAD && Y.chan != NULL)
		event_active(Y.ev_flush, EV_TIMEOUT, 1);
}

/* --- incoming updates ----------------------------------------------- */

struct revent {
	struct chain_link link[CHAIN_MAXLEN];
	struct chain	 chain;
	const uint8_t	*path;
	size_t		 pathlen;
	const msgpack_object *value;
	uint64_t	 tock;
};

static int
parse_chain(const msgpack_object *o, struct revent *r)
{
	const msgpack_object *l;
	const char	*name;
	size_t		 len;
	uint64_t	 tick;
	uint32_t	 i, idx;

	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size == 0 || o->via.array.size > CHAIN_MAXLEN)
		return -1;
	for (i = 0; i < o->via.array.size; i++) {
		l = &o->via.array.ptr[i];
		if (l->type != MSGPACK_OBJECT_ARRAY || l->via.array.size != 2 ||
		    mp_get_str(&l->via.array.ptr[0], &name, &len) == -1 ||
		    len == 0 || mp_get_uint64(&l->via.array.ptr[1], &tick) == -1 ||
		    tick == 0 || tick == UINT64_MAX)
			return -1;
		idx = tree_node_intern(core.tree, name, len);
		if (idx == NODE_NONE || idx > NODE_MAX)
			return -1;
		r->chain.link = r->link;
		r->chain.n = i;
		if (chain_find(r->chain, idx) != -1)
			return -1;	/* a node at most once */
		r->link[i].node = (uint16_t)idx;
		r->link[i].tick = tick;
	}
	r->chain.n = o->via.array.size;
	return 0;
}

static int
parse_event(const msgpack_object *o, struct revent *r)
{
	const msgpack_object *p;

	if (o->type != MSGPACK_OBJECT_MAP ||
	    parse_chain(mp_map_get(o, "chain"), r) == -1 ||
	    (p = mp_map_get(o, "path")) == NULL ||
	    p->type != MSGPACK_OBJECT_BIN ||
	    mp_get_uint64(mp_map_get(o, "tock"), &r->tock) == -1)
		return -1;
	r->path = (const uint8_t *)p->via.bin.ptr;
	r->pathlen = p->via.bin.size;
	if (r->pathlen > 0 && elem_count(r->path, r->pathlen) < 0)
		return -1;
	r->value = mp_map_get(o, "value");
	return 0;
}

/* We saw change (node, tick): if no entry carries it, it is superseded. */
static void
seen_superseded(uint32_t node, uint64_t tick)
{
	struct nodeinfo	*n = nodes_get(&core.nodes, node);

	if (n == NULL)
		return;
	if (tick > n->tick)
		n->tick = tick;
	if (ranges_contains(&n->present, tick))
		return;
	if (ranges_add(&n->superseded, tick) == -1)
		log_warnx("sync: out of memory marking a tick superseded");
	(void)ranges_remove(&n->reported, tick);
}

/* Should the incoming state replace entry e's? */
static int
wins(const struct revent *r, struct entry *e)
{
	struct chain	 cur;
	uint64_t	 tock;

	if (e == NULL || (cur = entry_chain(e)).n == 0)
		return 1;
	switch (chain_cmp(r->chain, cur)) {
	case CHAIN_NEWER:
		return 1;
	case CHAIN_CONFLICT:
		tock = entry_tock(e);
		if (r->tock != tock)
			return r->tock > tock;
		return chain_tiebreak(r->chain, cur, tree_nodes(core.tree)) > 0;
	default:
		return 0;	/* the same change, or an older one */
	}
}

static void
apply_event(const struct revent *r, struct mpbuf *vbuf)
{
	struct entry	*e = tree_lookup(core.tree, r->path, r->pathlen);
	struct chain	 fin;
	msgpack_packer	 pk;
	unsigned	 i;

	if (wins(r, e)) {
		mpbuf_reset(vbuf);
		if (r->value != NULL) {
			msgpack_packer_init(&pk, vbuf, mpbuf_write);
			msgpack_pack_object(&pk, *r->value);
		}
		if (core_change_apply(r->path, r->pathlen, &e, r->value ?
		    vbuf->data : NULL, vbuf->len, r->chain, r->tock,
		    CHANGE_REMOTE) == -1) {
			log_warnx("sync: out of memory applying an update");
			return;
		}
	} else
		core_tock_seen(r->tock);
	fin = e ? entry_chain(e) : (struct chain){ NULL, 0 };
	for (i = 0; i < r->chain.n; i++) {
		uint32_t node = r->chain.link[i].node;
		uint64_t tick = r->chain.link[i].tick;
		int	 j = chain_find(fin, node);

		if (j == -1 || fin.link[j].tick != tick)
			seen_superseded(node, tick);
		else	/* everybody got it now: no need to re-send it */
			(void)ranges_remove(&core.nodes.n[node].reported, tick);
	}
}

static int
got_remote(const msgpack_object *o)
{
	struct revent	*r;
	struct mpbuf	 vbuf;
	uint32_t	 i;

	if (o->type != MSGPACK_OBJECT_ARRAY)
		return -1;
	if ((r = malloc(sizeof(*r))) == NULL)
		fatal("malloc");
	mpbuf_init(&vbuf);
	for (i = 0; i < o->via.array.size; i++) {
		if (parse_event(&o->via.array.ptr[i], r) == -1) {
			log_warnx("sync: malformed update from syncd dropped");
			continue;
		}
		apply_event(r, &vbuf);
	}
	mpbuf_free(&vbuf);
	free(r);
	return 0;
}

/* --- peers' info ---------------------------------------------------- */

/* f(node, ranges) for each entry of a {node: ranges} map. */
static int
each_nodeset(const msgpack_object *m,
    void (*f)(struct nodeinfo *, uint32_t, struct ranges *))
{
	struct ranges	 r = RANGES_INITIALIZER;
	struct nodeinfo	*n;
	const char	*name;
	size_t		 len;
	uint32_t	 i, idx;

	if (m == NULL)
		return 0;
	if (m->type != MSGPACK_OBJECT_MAP)
		return -1;
	for (i = 0; i < m->via.map.size; i++) {
		if (mp_get_str(&m->via.map.ptr[i].key, &name, &len) == -1 ||
		    len == 0 ||
		    ranges_parse(&r, &m->via.map.ptr[i].val) == -1)
			continue;
		idx = tree_node_intern(core.tree, name, len);
		if (idx == NODE_NONE || (n = nodes_get(&core.nodes, idx)) == NULL)
			continue;
		f(n, idx, &r);
	}
	ranges_free(&r);
	return 0;
}

static void
info_missing(struct nodeinfo *n, uint32_t idx, struct ranges *r)
{
	if (ranges_union(&n->reported, r) == -1)
		log_warnx("sync: out of memory recording missing ticks");
	csync_rec_missing_seen(idx, r);
}

static void
info_known(struct nodeinfo *n, uint32_t idx, struct ranges *r)
{
	/* what an entry here still carries is not superseded */
	if (ranges_difference(r, &n->present) == -1 ||
	    ranges_union(&n->superseded, r) == -1 ||
	    ranges_difference(&n->reported, r) == -1)
		log_warnx("sync: out of memory recording known ticks");
}

static void
info_deleted(struct nodeinfo *n, uint32_t idx, struct ranges *r)
{
	cpurge_deleted(idx, r);		/* stale entries here? */
	/* superseded ticks are gone here already (purged tombstones) */
	if (ranges_difference(r, &n->superseded) == -1 ||
	    ranges_union(&n->deleted, r) == -1)
		log_warnx("sync: out of memory recording deleted ticks");
}

static void
info_remote_missing(struct nodeinfo *n, uint32_t idx, struct ranges *r)
{
	if (ranges_union(&n->reported, r) == -1)
		log_warnx("sync: out of memory recording missing ticks");
}

/*
 * Every node's tick from a peer: raise ours.  1 if the peer's view
 * lags ours (below a tick we have held for a cycle, or without a node
 * we knew then; see csync_rec_settled): a server that restarted with
 * its state learns of changes made while it was down only from ticks,
 * as the nodes that made them may never ping (the actor's tag stays
 * where it is).
 */
static int
info_ticks(const msgpack_object *m)
{
	const char	*name;
	size_t		 len;
	uint64_t	 t;
	uint32_t	 i, idx, named = 0, known = 0;
	int		 lags = 0;

	if (m == NULL || m->type != MSGPACK_OBJECT_MAP)
		return 0;
	for (i = 0; i < core.nodes.count; i++)
		known += csync_rec_settled(i) > 0;
	for (i = 0; i < m->via.map.size; i++) {
		if (mp_get_str(&m->via.map.ptr[i].key, &name, &len) == -1 ||
		    len == 0 ||
		    mp_get_uint64(&m->via.map.ptr[i].val, &t) == -1 ||
		    t == UINT64_MAX ||
		    (idx = tree_node_intern(core.tree, name, len)) == NODE_NONE)
			continue;
		if (csync_rec_settled(idx) > 0) {
			named++;
			lags |= t < csync_rec_settled(idx);
		}
		(void)nodes_tick(&core.nodes, idx, t);
	}
	return lags || named < known;
}

/*
 * node_drop: a node that is gone for good.  Forgotten only if no entry
 * here carries a change of it (the original's rule); a node still in
 * some chain stays, as rewriting chains would change their history.
 */
static void
info_node_drop(const msgpack_object *l)
{
	struct nodeinfo	*n;
	const char	*name;
	size_t		 len;
	uint32_t	 i, idx;

	if (l == NULL || l->type != MSGPACK_OBJECT_ARRAY)
		return;
	for (i = 0; i < l->via.array.size; i++) {
		if (mp_get_str(&l->via.array.ptr[i], &name, &len) == -1 ||
		    (idx = nodetab_find(tree_nodes(core.tree), name, len)) ==
		    NODE_NONE || idx == core.self ||
		    (n = nodes_find(&core.nodes, idx)) == NULL ||
		    !ranges_empty(&n->present))
			continue;
		log_info("sync: forgetting node %.*s (dropped)", (int)len, name);
		nodes_forget(n);
	}
}

/* check_deleted for us: a peer that missed purge rounds. */
static void
info_check(const msgpack_object *o)
{
	const msgpack_object *links = mp_map_get(o, "check_deleted");
	const char	*to;
	size_t		 len;

	if (links == NULL ||
	    mp_get_str(mp_map_get(o, "check_to"), &to, &len) == -1 ||
	    len != strlen(proc_node_name()) ||
	    memcmp(to, proc_node_name(), len) != 0)
		return;
	(void)cpurge_answer(links);
}

int
csync_info(const msgpack_object *o)
{
	const msgpack_object *node, *known, *ticks;
	uint64_t	 v;

	if (o->type != MSGPACK_OBJECT_MAP)
		return -1;
	if (mp_get_uint64(mp_map_get(o, "tock"), &v) == 0)
		core_tock_seen(v);
	if ((node = mp_map_get(o, "node")) != NULL &&
	    node->type == MSGPACK_OBJECT_STR &&
	    mp_get_uint64(mp_map_get(o, "tick"), &v) == 0 &&
	    v != UINT64_MAX && node->via.str.size > 0)
		(void)nodes_tick(&core.nodes, tree_node_intern(core.tree,
		    node->via.str.ptr, node->via.str.size), v);
	if ((ticks = mp_map_get(o, "ticks")) != NULL) {
		csync_rec_ticks_seen();
		cready_told();
		if (info_ticks(ticks))
			csync_rec_peer_lags();
	}
	if ((known = mp_map_get(o, "known")) == NULL)
		known = mp_map_get(o, "superseded");
	if (each_nodeset(known, info_known) == -1 ||
	    each_nodeset(mp_map_get(o, "deleted"), info_deleted) == -1 ||
	    each_nodeset(mp_map_get(o, "remote_missing"),
	    info_remote_missing) == -1 ||
	    each_nodeset(mp_map_get(o, "missing"), info_missing) == -1)
		return -1;
	info_node_drop(mp_map_get(o, "node_drop"));
	info_check(o);
	return 0;
}

/*
 * A server with data of its own (its state directory, -l) tells the
 * peers every node's tick once it meets one: changes of a node that is
 * gone may live only here, and nobody would ask for them otherwise.
 * The peers then report those ticks missing, and the resend job
 * (sync_recover.c) re-sends them: the original's "a node with data
 * broadcasts what it has".  Again on our first tag, in case the first
 * info was lost.
 */
void
csync_loaded(void)
{
	if (!Y.standalone)
		Y.announce = 2;
}

static void
announce_ticks(void)
{
	if (Y.announce == 0 || cready_waiting())
		return;
	Y.announce--;
	log_info("sync: telling the peers every node's tick (data of our "
	    "own)");
	(void)csync_request("ticks", 5, 1);
}

/* {tock, [node, tick]}: the highest tock, and a peer's tick from a ping */
static int
got_tock(const msgpack_object *o)
{
	const msgpack_object *node = mp_map_get(o, "node");
	struct nodeinfo	*n;
	uint64_t	 v;
	uint32_t	 idx;

	if (mp_get_uint64(mp_map_get(o, "tock"), &v) == -1)
		return -1;
	core_tock_seen(v);
	if (node == NULL || node->type != MSGPACK_OBJECT_STR ||
	    node->via.str.size == 0 ||
	    mp_get_uint64(mp_map_get(o, "tick"), &v) == -1 || v == UINT64_MAX ||
	    (idx = tree_node_intern(core.tree, node->via.str.ptr,
	    node->via.str.size)) == NODE_NONE || idx == core.self ||
	    (n = nodes_get(&core.nodes, idx)) == NULL)
		return 0;
	if (Y.announce == 2)
		announce_ticks();
	if (cready_untold())
		csync_rec_ask_ticks();
	/* restarted without its state, or new: it must learn the ticks */
	if (v < n->tick || v == 0)
		csync_rec_peer_behind(idx, v < n->tick);
	if (v > n->tick)
		n->tick = v;
	return 0;
}

/* {event: "start"|"done"|"fail", node}: the start-up download */
static int
got_fetch(const msgpack_object *o)
{
	const char	*ev, *node;
	size_t		 evlen, nodelen;
	char		 evs[8];

	if (mp_get_str(mp_map_get(o, "event"), &ev, &evlen) == -1 ||
	    evlen >= sizeof(evs) ||
	    mp_get_str(mp_map_get(o, "node"), &node, &nodelen) == -1)
		return -1;
	memcpy(evs, ev, evlen);
	evs[evlen] = '\0';
	state_check();	/* a raised tick of ours, before any new change */
	cready_fetch(evs, node, nodelen);
	return 0;
}

/* {event, ...}: only "tag" matters to core yet (are we alone?) */
static int
got_actor(const msgpack_object *o)
{
	const char	*ev;
	size_t		 len;
	int		 alone = 0;

	if (mp_get_str(mp_map_get(o, "event"), &ev, &len) == -1)
		return -1;
	(void)mp_get_bool(mp_map_get(o, "alone"), &alone);
	if (len != 3 || memcmp(ev, "tag", 3) != 0)
		return 0;
	if (alone)
		cready_tagged();
	else if (Y.announce == 1)
		announce_ticks();
	return 0;
}

static int
got_purge(const msgpack_object *o)
{
	uint64_t	 tock;

	if (mp_get_uint64(mp_map_get(o, "tock"), &tock) == -1)
		return -1;
	cpurge_below(tock);
	return 0;
}

static int
got_req(const msgpack_object *o)
{
	const char	*what;
	size_t		 len;
	int		 force = 0;

	if (mp_get_str(mp_map_get(o, "what"), &what, &len) == -1)
		return -1;
	(void)mp_get_bool(mp_map_get(o, "force"), &force);
	if (len == 5 && memcmp(what, "check", 5) == 0) {
		if (mp_get_str(mp_map_get(o, "to"), &what, &len) == -1)
			return -1;
		cpurge_check(what, len);
		return 0;
	}
	return csync_request(what, len, force);
}

int
csync_dispatch(struct ipc_msg *m)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why = NULL;
	int		 rc;

	if (core.tree == NULL)
		return -1;
	if (m->type == IPC_MSG_SENT || m->type == IPC_MSG_MON_ERROR ||
	    m->type == IPC_MSG_RECV)
		return msgpass_dispatch(m);
	msgpack_zone_init(&zone, 4096);
	if ((rc = proc_unpack(m, &zone, &o, &why)) == 0) {
		switch (m->type) {
		case IPC_SYNC_REMOTE:
			rc = got_remote(&o);
			break;
		case IPC_SYNC_INFO:
			rc = csync_info(&o);
			break;
		case IPC_SYNC_PURGE:
			rc = got_purge(&o);
			break;
		case IPC_SYNC_TOCK:
			rc = got_tock(&o);
			break;
		case IPC_SYNC_REQ:
			rc = got_req(&o);
			break;
		case IPC_SYNC_ACTOR:
			rc = got_actor(&o);
			break;
		case IPC_SYNC_FETCH:
			rc = got_fetch(&o);
			break;
		default:
			rc = -1;
			break;
		}
	}
	msgpack_zone_destroy(&zone);
	if (rc == -1)
		log_warnx("sync: bad %s from syncd dropped", msg_to_str(m->type));
	state_check();
	csync_rec_check();
	return 0;
}

/* --- life cycle ----------------------------------------------------- */

void
csync_configure(const msgpack_object *conf)
{
	struct timespec	 ts;
	char		*uri = NULL;

	Y.cycle = 10;
	(void)conf_get_double(conf, "kv.server.ping.cycle", &Y.cycle);
	if (Y.cycle <= 0)
		Y.cycle = 10;
	Y.standalone = conf_get_str(conf, "kv.server.mqtt.uri", &uri) == -1 ||
	    uri == NULL || *uri == '\0';
	free(uri);
	if (!Y.observing && (tree_count(core.tree) > 0 ||
	    entry_has_value(tree_root(core.tree))))
		csync_loaded();		/* from the state directory */
	if (!Y.observing) {
		/* the random delays must differ between servers */
		clock_gettime(CLOCK_REALTIME, &ts);
		srandom((unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec ^
		    (unsigned)getpid());
		mpbuf_init(&Y.batch);
		if ((Y.ev_flush = event_new(proc_base(), -1, 0, flush_cb,
		    NULL)) == NULL)
			fatalx("event_new");
		core_observe(observe, NULL);
		csync_rec_init();
		cpurge_init(proc_base());
		Y.observing = 1;
	}
	send_state();
	cpurge_send_deleter();
}

void
csync_peer_up(struct ipc_chan *c)
{
	Y.chan = c;
	send_state();		/* first: it tells syncd we speak sync */
	msgpass_peer_up(c);
	cpurge_send_deleter();
}

void
csync_peer_down(void)
{
	Y.chan = NULL;
	msgpass_peer_down();
	mpbuf_reset(&Y.batch);
	Y.nbatch = 0;
}

void
csync_shutdown(void)
{
	if (!Y.observing)
		return;
	flush_cb(-1, 0, NULL);
	csync_rec_free();
	cpurge_free();
	event_free(Y.ev_flush);
	mpbuf_free(&Y.batch);
	memset(&Y, 0, sizeof(Y));
}
