/*
 * sync.c - syncd's glue: configuration, the actor on a libevent timer,
 * broker messages to core, core's changes to the broker.
 *
 * Nothing here waits for anything: a message from the broker is
 * validated, decoded and either fed to the actor or appended to the
 * batch for core, which is sent once per loop turn (ev_flush).  When
 * core is down or behind, remote updates are dropped, not queued: the
 * tick bookkeeping finds the gap and split recovery fills it.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/tv.h"
#include "syncd/actor.h"
#include "syncd/fetch.h"
#include "syncd/deleter.h"
#include "syncd/mqtt.h"
#include "syncd/msg.h"
#include "syncd/recover.h"
#include "syncd/syncd.h"

#define BATCH_MAX_EVENTS	1024
#define BATCH_MAX_BYTES		(4u << 20)
#define CORE_MAX_PENDING	(32u << 20)	/* core's unread backlog */

static struct {
	int		 standalone;
	struct mqtt_uri	 uri;
	char		*root;
	char		*node;
	size_t		 max_msg;
	int		 coalesce;	/* kv.server.batch */
	struct actor_cfg acfg;
	struct actor	*actor;
	struct actor_cfg dcfg;		/* kv.server.delete.* */
	struct actor	*del;		/* the deletion actor (delsync.c) */
	struct recovery	 rec;
	struct event	*ev_actor, *ev_flush;
	struct actor_val value;		/* [tock, tick] for our pings */
	int		 ready;
	int		 core_sync;	/* core sent SYNC_STATE: speaks sync */
	int		 heard_peer;	/* a message of another node came */
	uint64_t	 tock_sent;	/* last IPC_SYNC_TOCK */
	struct mpbuf	 batch;		/* packed events for core */
	unsigned	 nbatch;
	struct sbatch	 out;		/* updates for the broker */
	struct mpbuf	 outbuf;	/* a payload being published */
	uint64_t	 dropped_remote, bad_msgs, batches_sent;
} S;


double
sync_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}


static double
rnd(void *arg)
{
	return (double)random() / ((double)RAND_MAX + 1);
}

/*
 * <root>/<kind>, made once per kind (the root never changes once set):
 * under load this runs for every message published.
 */
static const char *
topic(const char *kind)
{
	static struct {
		const char	*kind;
		char		 buf[SYNC_ROOT_MAX + 16];
	} memo[8];
	unsigned	 i;

	for (i = 0; i < 8 && memo[i].kind != NULL; i++)
		if (strcmp(memo[i].kind, kind) == 0)
			return memo[i].buf;
	if (i == 8)
		fatalx("topic: more kinds than expected");
	snprintf(memo[i].buf, sizeof(memo[i].buf), "%s/%s", S.root, kind);
	memo[i].kind = kind;
	return memo[i].buf;
}

/* --- the actor --------------------------------------------------- */

/* One timer serves both actors and the split recovery. */
static void
actor_rearm(void)
{
	struct timeval	 tv;
	double		 d, r;

	if (S.actor == NULL)
		return;
	d = actor_next(S.actor);
	if ((r = actor_next(S.del)) < d)
		d = r;
	if ((r = recover_next(&S.rec)) < d)
		d = r;
	d -= sync_now();
	if (d > 86400)		/* nothing scheduled */
		return;
	tv = tv_from_secs(d);
	evtimer_add(S.ev_actor, &tv);
}

static void
actor_timer_cb(int fd, short what, void *arg)
{
	double	 now = sync_now();

	actor_tick(S.actor, now);
	actor_tick(S.del, now);
	recover_tick(&S.rec, now);
	actor_rearm();
}

/* arg: the topic kind, "ping" or "del" */
static void
actor_send(const struct amsg *m, void *arg)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	amsg_pack(m, &pk);
	if (mqtt_publish(topic(arg), b.data, b.len) == -1)
		log_debug("%s message not sent (broker down)", (char *)arg);
	mpbuf_free(&b);
}

static void
pack_names(msgpack_packer *pk, struct actor *a, const struct nlist *l)
{
	unsigned	 i;

	msgpack_pack_array(pk, l->n);
	for (i = 0; i < l->n; i++)
		mp_pack_str(pk, actor_name(a, l->id[i]));
}

static void
tell_core_actor(struct actor *a, const struct actor_event *ev,
    const char *name)
{
	struct ipc_chan	*c = sync_core();
	msgpack_packer	*pk;

	if (c == NULL)
		return;
	pk = ipc_begin(c, IPC_SYNC_ACTOR, 0);
	switch (ev->type) {
	case AEV_RECOVER:
		msgpack_pack_map(pk, 6);
		mp_pack_kv_str(pk, "event", name);
		mp_pack_kv_str(pk, "node", actor_name(a, ev->node));
		mp_pack_kv_int(pk, "prio", ev->prio);
		mp_pack_kv_bool(pk, "replace", ev->replace);
		mp_pack_str(pk, "local");
		pack_names(pk, a, &ev->local);
		mp_pack_str(pk, "remote");
		pack_names(pk, a, &ev->remote);
		break;
	case AEV_GOOD_NODE:
		msgpack_pack_map(pk, 2);
		mp_pack_kv_str(pk, "event", name);
		mp_pack_str(pk, "nodes");
		pack_names(pk, a, &ev->remote);
		break;
	case AEV_TAG:
		/* alone: no other node has been heard from at all */
		msgpack_pack_map(pk, 3);
		mp_pack_kv_str(pk, "event", name);
		mp_pack_kv_str(pk, "node", actor_name(a, ev->node));
		mp_pack_kv_bool(pk, "alone", !S.heard_peer);
		break;
	default:
		msgpack_pack_map(pk, 2);
		mp_pack_kv_str(pk, "event", name);
		mp_pack_kv_str(pk, "node", actor_name(a, ev->node));
		break;
	}
	ipc_end(c);
}

static void
request(const char *what, int prio, int force)
{
	struct ipc_chan	*c = sync_core();
	msgpack_packer	*pk;

	if (c == NULL)
		return;
	pk = ipc_begin(c, IPC_SYNC_REQ, 0);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "what", what);
	mp_pack_kv_int(pk, "prio", prio);
	mp_pack_kv_bool(pk, "force", force);
	ipc_end(c);
}

static void
recover_request(enum recover_req rq, int prio, void *arg)
{
	static const char *const what[] = { "ticks", "missing", "resend" };

	log_debug("split recovery: step %s", what[rq]);
	request(what[rq], prio, 1);
}

/* The names of a history, for recover_start(). */
/* The msg_send/msg_monitor pass-through messages (pass.c). */
static int
is_pass(uint32_t t)
{
	return t == IPC_MSG_SEND || t == IPC_MSG_MON_START ||
	    t == IPC_MSG_MON_STOP;
}

static unsigned
names_of(struct actor *a, const struct nlist *l, const char **out)
{
	unsigned	 i;

	for (i = 0; i < l->n; i++)
		out[i] = actor_name(a, l->id[i]);
	return l->n;
}

static void
start_recovery(struct actor *a, const struct actor_event *ev)
{
	const char	*local[ACTOR_LIST_MAX], *remote[ACTOR_LIST_MAX];
	unsigned	 nl, nr;

	nl = names_of(a, &ev->local, local);
	nr = names_of(a, &ev->remote, remote);
	recover_start(&S.rec, ev->prio, local, nl, remote, nr, sync_now());
}

/* Ready peers while core is not ready: download the tree from one. */
static void
start_fetch(struct actor *a, const struct actor_event *ev)
{
	const char	*nodes[ACTOR_LIST_MAX];
	unsigned	 n;

	if (S.ready || !S.core_sync || fetch_busy())
		return;
	n = names_of(a, &ev->remote, nodes);
	fetch_start(nodes, n, S.node);
}

static void
actor_event(struct actor *a, const struct actor_event *ev, void *arg)
{
	static const char *const names[] = {
		[AEV_TAG] = "tag", [AEV_UNTAG] = "untag",
		[AEV_DETAG] = "detag", [AEV_RECOVER] = "recover",
		[AEV_GOOD_NODE] = "good", [AEV_SETUP] = "setup",
		[AEV_COLLISION] = "collision", [AEV_TIMEOUT] = "timeout",
		[AEV_PING] = "ping",
	};

	if (a == S.del) {
		delsync_event(ev);
		return;
	}
	switch (ev->type) {
	case AEV_PING:
		return;		/* the main actor's pings go to tock_seen() */
	case AEV_COLLISION:
		log_warnx("actor: our init came back twice: another server "
		    "uses the node name %s", S.node);
		return;
	case AEV_TIMEOUT:
		log_warnx("actor: our init did not come back from the "
		    "broker; pinging anyway");
		return;
	case AEV_SETUP:
		log_info("actor: adopted config version %lld",
		    (long long)actor_config(a)->version);
		return;
	case AEV_RECOVER:
		log_info("actor: split recovery with %s (prio %d)",
		    actor_name(a, ev->node), ev->prio);
		start_recovery(a, ev);
		break;
	case AEV_TAG:
		log_debug("actor: tagged");
		request("missing", 0, 0);
		break;
	case AEV_GOOD_NODE:
		start_fetch(a, ev);
		break;
	default:
		break;
	}
	tell_core_actor(a, ev, names[ev->type]);
}

static const struct actor_hooks actor_hooks = {
	.send = actor_send,
	.event = actor_event,
	.random = rnd,
};

uint64_t
sync_tock_next(void)
{
	return ++S.value.tock;
}

static void
set_value(uint64_t tock, uint64_t tick)
{
	if (tock > S.value.tock)
		S.value.tock = tock;
	if (tick > S.value.tick)
		S.value.tick = tick;
	if (S.ready && S.actor) {
		S.value.has = 1;
		actor_set_value(S.actor, &S.value);
	}
}

/* --- broker -> core ---------------------------------------------- */

void
sync_send_events(struct ipc_chan *c, struct mpbuf *batch, unsigned *n)
{
	msgpack_packer	*pk;

	if (*n > 0 && c != NULL) {
		pk = ipc_begin(c, IPC_SYNC_REMOTE, 0);
		msgpack_pack_array(pk, *n);
		ipc_append(c, batch->data, batch->len);
		ipc_end(c);
	}
	mpbuf_reset(batch);
	*n = 0;
}

static void
flush_cb(int fd, short what, void *arg)
{
	struct ipc_chan	*c = sync_core();

	if (S.nbatch == 0)
		return;
	if (c == NULL || ipc_pending(c) > CORE_MAX_PENDING) {
		S.dropped_remote += S.nbatch;
		c = NULL;	/* dropped: peers will ask again */
	}
	sync_send_events(c, &S.batch, &S.nbatch);
}

static void
got_update(const msgpack_object *o)
{
	struct supdate	 u;
	struct mpbuf	 path;
	msgpack_packer	 pk;
	const char	*why;

	mpbuf_init(&path);
	if (supdate_parse(o, &u, &path, &why) == -1) {
		S.bad_msgs++;
		log_warnx("bad update from the broker dropped: %s", why);
		goto done;
	}
	if (!u.resend && u.chain.link[0].nodelen == strlen(S.node) &&
	    memcmp(u.chain.link[0].node, S.node, strlen(S.node)) == 0)
		goto done;	/* our own, back from the broker */
	S.heard_peer = 1;
	set_value(u.tock, 0);
	msgpack_packer_init(&pk, &S.batch, mpbuf_write);
	supdate_pack_ipc(&u, &pk);
	S.nbatch++;
	if (S.nbatch >= BATCH_MAX_EVENTS || S.batch.len >= BATCH_MAX_BYTES)
		flush_cb(-1, 0, NULL);
	else
		event_active(S.ev_flush, 0, 0);
done:
	mpbuf_free(&path);
}

/* A peer's batch: each element is checked as a single update. */
static void
got_batch(const msgpack_object *o)
{
	struct sbatch_in in;
	const char	*why;
	uint32_t	 i;

	if (sbatch_parse(o, &in, &why) == -1) {
		S.bad_msgs++;
		log_warnx("bad update batch from the broker dropped: %s", why);
		return;
	}
	if (in.nodelen == strlen(S.node) &&
	    memcmp(in.node, S.node, in.nodelen) == 0)
		return;		/* our own, back from the broker */
	for (i = 0; i < in.n; i++)
		got_update(&in.item[i]);
}

static void
got_info(const msgpack_object *o)
{
	struct ipc_chan	*c;
	struct sinfo	 si;
	const char	*why;

	if (sinfo_parse(o, &si, 1, &why) == -1) {
		S.bad_msgs++;
		log_warnx("bad info from the broker dropped: %s", why);
		return;
	}
	if (si.nodelen == strlen(S.node) &&
	    memcmp(si.node, S.node, si.nodelen) == 0)
		return;		/* our own */
	S.heard_peer = 1;
	set_value(si.tock, 0);
	if (S.actor) {
		char	 name[SYNC_NAME_MAX + 1];

		memcpy(name, si.node, si.nodelen);
		name[si.nodelen] = '\0';
		recover_info(&S.rec, name, si.f[SI_TICKS] != NULL,
		    si.f[SI_MISSING] != NULL, sync_now());
		actor_rearm();
	}
	flush_cb(-1, 0, NULL);	/* keep the order with pending updates */
	if ((c = sync_core()) == NULL)
		return;
	sinfo_pack(&si, ipc_begin(c, IPC_SYNC_INFO, 0));
	ipc_end(c);
}

/*
 * A peer's ping value [tock, tick]: core adopts a higher tock and learns
 * the peer's tick, so that a server that missed changes (or restarted
 * empty) sees the gap even when nothing new is written.
 */
static void
tock_seen(uint64_t tock, const char *node, uint64_t tick)
{
	struct ipc_chan	*c = sync_core();
	msgpack_packer	*pk;
	int		 peer = strcmp(node, S.node) != 0;

	set_value(tock, 0);
	if ((tock <= S.tock_sent && !peer) || c == NULL)
		return;
	if (tock > S.tock_sent)
		S.tock_sent = tock;
	pk = ipc_begin(c, IPC_SYNC_TOCK, 0);
	msgpack_pack_map(pk, peer ? 3 : 1);
	mp_pack_kv_uint(pk, "tock", tock);
	if (peer) {
		mp_pack_kv_str(pk, "node", node);
		mp_pack_kv_uint(pk, "tick", tick);
	}
	ipc_end(c);
}

static void
got_ping(struct actor *a, const msgpack_object *o)
{
	struct amsg	*m;
	const char	*why;

	if ((m = malloc(sizeof(*m))) == NULL)
		fatal("malloc");
	if (amsg_parse(o, m, &why) == -1) {
		S.bad_msgs++;
		log_warnx("bad ping message dropped: %s", why);
	} else if (a) {
		if (m->t != AMSG_HIST && strcmp(m->node, S.node) != 0)
			S.heard_peer = 1;
		if (m->value.has && a == S.actor)
			tock_seen(m->value.tock, m->node, m->value.tick);
		actor_input(a, m, sync_now());
		actor_rearm();
	}
	free(m);
}

static void
on_message(const char *t, const uint8_t *p, size_t len, void *arg)
{
	enum sync_kind	 k = sync_kind(t, S.root);
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;

	if (k == SK_UNKNOWN || (k == SK_BATCH &&
	    sbatch_is_own(p, len, S.node, strlen(S.node))))
		return;
	msgpack_zone_init(&zone, 1024);
	if (sync_unpack(k, p, len, S.max_msg, &zone, &o, &why) == -1) {
		S.bad_msgs++;
		log_warnx("malformed %s message (%zu bytes) dropped: %s",
		    sync_kind_str(k), len, why);
	} else if (k == SK_PING || k == SK_DEL)
		got_ping(k == SK_PING ? S.actor : S.del, &o);
	else if (k == SK_UPDATE)
		got_update(&o);
	else if (k == SK_BATCH)
		got_batch(&o);
	else
		got_info(&o);
	msgpack_zone_destroy(&zone);
}

static void
on_up(void *arg)
{
	pass_up();
	if (S.actor) {
		/* once: no-ops on reconnects; del first, as captured */
		actor_start(S.del, sync_now());
		actor_start(S.actor, sync_now());
		actor_rearm();
	}
}

static void
on_down(void *arg)
{
	pass_down();
}

static const struct mqtt_ops mqtt_ops = {
	.up = on_up,
	.down = on_down,
	.message = on_message,
	.pass = pass_message,
	.suback = pass_suback,
};

/* --- core -> broker ---------------------------------------------- */

/*
 * Coalescing: the events of one SYNC_LOCAL frame (core sends one frame
 * per loop turn, so several events in one frame means load) go out as
 * batches on <root>/update/batch; a frame of one, a batch that ends up
 * with one, and every re-sent change (which may be for an original
 * server that reported it missing) go out as the single `update'
 * message, byte for byte the original's.  kv.server.batch: false sends
 * every change that way, for a network shared with original servers,
 * which never subscribe to the batch topic.
 */
static void
flush_out(void)
{
	if (S.out.n == 1)
		(void)mqtt_publish(topic("update"), S.out.body.data,
		    S.out.body.len);
	else if (S.out.n > 1) {
		sbatch_pack(&S.out, S.node, strlen(S.node), &S.outbuf);
		(void)mqtt_publish(topic("update/batch"), S.outbuf.data,
		    S.outbuf.len);
		S.batches_sent++;
	}
	sbatch_reset(&S.out);
}

static void
publish_single(const struct supdate *u)
{
	msgpack_packer	 pk;

	mpbuf_reset(&S.outbuf);
	msgpack_packer_init(&pk, &S.outbuf, mpbuf_write);
	supdate_pack(u, &pk);
	(void)mqtt_publish(topic("update"), S.outbuf.data, S.outbuf.len);
}

static void
publish_update(const struct supdate *u, int batch)
{
	if (batch && sbatch_add(&S.out, u) == 0)
		return;
	flush_out();		/* keep the order */
	if (batch && sbatch_add(&S.out, u) == 0)
		return;
	publish_single(u);	/* too big or too deep for a batch */
}

static int
publish_local(const msgpack_object *arr, const char **why)
{
	struct supdate	 u;
	struct mpbuf	 path;
	uint32_t	 i;
	int		 rc = 0, batch;

	if (arr->type != MSGPACK_OBJECT_ARRAY) {
		*why = "SYNC_LOCAL is not a list";
		return -1;
	}
	batch = S.coalesce && arr->via.array.size > 1;
	mpbuf_init(&path);
	for (i = 0; i < arr->via.array.size && rc == 0; i++) {
		if ((rc = supdate_parse_ipc(&arr->via.array.ptr[i], &u, &path,
		    why)) == -1)
			break;
		if (u.chain.link[0].nodelen == strlen(S.node) &&
		    memcmp(u.chain.link[0].node, S.node, strlen(S.node)) == 0)
			set_value(u.tock, u.chain.link[0].tick);
		if (!S.standalone)
			publish_update(&u, batch);
	}
	flush_out();
	mpbuf_free(&path);
	return rc;
}

static int
publish_info(const msgpack_object *o, const char **why)
{
	struct sinfo	 si;
	struct mpbuf	 out;
	msgpack_packer	 pk;

	/* core leaves out node and tick: they are ours */
	if (sinfo_parse(o, &si, 0, why) == -1)
		return -1;
	si.node = S.node;
	si.nodelen = strlen(S.node);
	si.tick = S.value.tick;
	if (mp_get_uint64(mp_map_get(o, "tock"), &si.tock) == -1)
		si.tock = ++S.value.tock;
	if (S.standalone)
		return 0;
	mpbuf_init(&out);
	msgpack_packer_init(&pk, &out, mpbuf_write);
	sinfo_pack(&si, &pk);
	(void)mqtt_publish(topic("info"), out.data, out.len);
	mpbuf_free(&out);
	return 0;
}

static int
got_state(const msgpack_object *o, const char **why)
{
	uint64_t	 tick, tock;
	int		 ready;

	if (mp_get_uint64(mp_map_get(o, "tick"), &tick) == -1 ||
	    mp_get_uint64(mp_map_get(o, "tock"), &tock) == -1 ||
	    mp_get_bool(mp_map_get(o, "ready"), &ready) == -1) {
		*why = "SYNC_STATE needs tick, tock, ready";
		return -1;
	}
	S.core_sync = 1;
	S.value.tick = tick;
	S.ready = ready;
	if (ready && S.actor)
		actor_set_ready(S.actor);
	set_value(tock, tick);
	return 0;
}

int
sync_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why = NULL;
	int		 rc;

	if (from != PROC_CORE || (m->type != IPC_SYNC_STATE &&
	    m->type != IPC_SYNC_LOCAL && m->type != IPC_SYNC_INFO_OUT &&
	    m->type != IPC_MSG_SEND && m->type != IPC_MSG_MON_START &&
	    m->type != IPC_MSG_MON_STOP &&
	    m->type != IPC_SYNC_DELETER))
		return -1;
	msgpack_zone_init(&zone, 4096);
	if ((rc = proc_unpack(m, &zone, &o, &why)) == 0) {
		if (o.type != MSGPACK_OBJECT_MAP && is_pass(m->type)) {
			why = "pass-through message is not a map";
			rc = -1;
		} else if (is_pass(m->type))
			rc = pass_dispatch(c, m, &o, &why);
		else if (m->type == IPC_SYNC_STATE)
			rc = got_state(&o, &why);
		else if (m->type == IPC_SYNC_LOCAL)
			rc = publish_local(&o, &why);
		else if (m->type == IPC_SYNC_DELETER)
			rc = delsync_deleter(&o, &why);
		else
			rc = publish_info(&o, &why);
	}
	msgpack_zone_destroy(&zone);
	if (rc == -1)
		ipc_chan_error(c, why);	/* core is broken: it restarts */
	if (S.actor)
		actor_rearm();
	return 0;
}

/* --- life cycle -------------------------------------------------- */

void
sync_init(void)
{
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	mqtt_init();
}

static int64_t
conf_int(const msgpack_object *conf, const char *key, int64_t def)
{
	int64_t	 v;

	return conf_get_int(conf, key, &v) == 0 ? v : def;
}

/* kv.server.<kind>.*: an actor's parameters over the defaults in c. */
static void
actor_conf(const msgpack_object *conf, const char *kind,
    struct actor_cfg *c)
{
	char	 k[64];

#define KEY(f)	(snprintf(k, sizeof(k), "kv.server.%s." f, kind), k)
	(void)conf_get_double(conf, KEY("cycle"), &c->cycle);
	(void)conf_get_double(conf, KEY("gap"), &c->gap);
	c->nodes = conf_int(conf, KEY("nodes"), c->nodes);
	c->splits = conf_int(conf, KEY("splits"), c->splits);
	c->n_hosts = conf_int(conf, KEY("n_hosts"), c->n_hosts);
	c->version = conf_int(conf, KEY("version"), c->version);
#undef KEY
}

void
sync_configure(const msgpack_object *conf)
{
	const char	*why;
	char		*uri = NULL;
	int		 rc;

	if (S.root != NULL)
		return;		/* reloads do not move a live connection */
	if (conf_get_str(conf, "kv.server.mqtt.uri", &uri) == -1 &&
	    (uri = strdup("")) == NULL)
		fatal("strdup");
	if ((rc = mqtt_uri_parse(uri, &S.uri, &why)) == -1)
		fatalx("kv.server.mqtt.uri: %s: %s", uri, why);
	S.standalone = rc == 1;
	free(uri);
	if (conf_get_str(conf, "kv.server.root", &S.root) == -1 &&
	    (S.root = strdup("moat/kv")) == NULL)
		fatal("strdup");
	if ((S.node = strdup(proc_node_name())) == NULL)
		fatal("strdup");
	S.max_msg = (size_t)conf_int(conf, "kv.server.max_msg", 4 << 20);
	pass_configure(S.standalone, S.max_msg);
	if (conf_get_bool(conf, "kv.server.batch", &S.coalesce) == -1)
		S.coalesce = 1;
	S.acfg = (struct actor_cfg){ 10, 2, 5, 4, 10, 0, 0 };
	actor_conf(conf, "ping", &S.acfg);
	/* the deletion actor: the original's parameters, as captured */
	S.dcfg = (struct actor_cfg){ 100, 10, 5, 4, 10, 1, 0 };
	actor_conf(conf, "delete", &S.dcfg);
	fetch_configure(conf);
}

void
sync_start(void)
{
	struct event_base *base = proc_base();
	char		 sub[SYNC_ROOT_MAX + 4];

	if (S.standalone || S.node == NULL || *S.node == '\0') {
		log_info("no MQTT broker configured (kv.server.mqtt.uri is "
		    "empty): running standalone");
		S.standalone = 1;
		pass_configure(1, S.max_msg);
		return;
	}
	mpbuf_init(&S.batch);
	sbatch_init(&S.out);
	mpbuf_init(&S.outbuf);
	S.ev_actor = evtimer_new(base, actor_timer_cb, NULL);
	S.ev_flush = event_new(base, -1, 0, flush_cb, NULL);
	if (S.ev_actor == NULL || S.ev_flush == NULL)
		fatalx("event_new");
	S.actor = actor_new(S.node, &S.acfg, &actor_hooks, "ping");
	S.del = actor_new(S.node, &S.dcfg, &actor_hooks, "del");
	actor_set_passive(S.del);
	delsync_init(S.del);
	recover_init(&S.rec, S.acfg.cycle, recover_request, NULL);
	fetch_init(base, sync_core);
	snprintf(sub, sizeof(sub), "%s/#", S.root);
	mqtt_start(base, &S.uri, sub, &mqtt_ops, NULL);
}

void
sync_peer_up(int role, struct ipc_chan *c)
{
	S.tock_sent = 0;
}

void
sync_peer_down(int role)
{
	if (role != PROC_CORE)
		return;
	S.core_sync = 0;
	S.ready = 0;		/* a new core says again whether it is */
	fetch_stop();
	pass_core_down();
	delsync_core_down();	/* the new core tells us again */
}

/*
 * The channel to core, once core has said with SYNC_STATE that it takes
 * sync messages (a core without sync support would close the channel
 * on the first unknown type).
 */
struct ipc_chan *
sync_core(void)
{
	return S.core_sync ? proc_peer(PROC_CORE) : NULL;
}

void
sync_shutdown(void)
{
	flush_cb(-1, 0, NULL);
	pass_shutdown();
	fetch_shutdown();
	mqtt_stop();
	if (S.ev_actor)
		event_free(S.ev_actor);
	if (S.ev_flush)
		event_free(S.ev_flush);
	actor_free(S.actor);
	actor_free(S.del);
	mpbuf_free(&S.batch);
	sbatch_free(&S.out);
	mpbuf_free(&S.outbuf);
	free(S.root);
	free(S.node);
	memset(&S, 0, sizeof(S));
}
