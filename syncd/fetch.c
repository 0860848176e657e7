/*
 * fetch.c - the start-up download of the tree from a peer (fetch.h).
 *
 * One bufferevent, one request at a time: the greeting (seq 0), then
 * get_tree (seq 1), get_tree_internal (seq 2), get_state (seq 3), each
 * begun when the previous reply ended.  Frames are taken off the input
 * as soon as mpval_scan() says one is complete; the low-water mark is
 * set to the size an incomplete one announces, so a large value is
 * not rescanned for every few kilobytes.
 *
 * The streams run under the protocol's flow control (the hello's qlen,
 * acks): without it the peer's core sends as fast as it walks, and its
 * netd drops a client whose output grows past kv.server.max_out, which
 * a download that also feeds core would reach on any large tree.  The
 * window is what the peer's greeting offers (its kv.server.buffer);
 * everything read is acknowledged at the end of each read burst, unless
 * core has more than CORE_MAX_PENDING unread (it may be writing a
 * snapshot): then the ack waits, and with it the peer.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include <bsd/string.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/util.h>

#include "ipc/msg.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"
#include "lib/pathlong.h"
#include "lib/syncconf.h"
#include "lib/tv.h"
#include "syncd/fetch.h"
#include "syncd/msg.h"
#include "syncd/syncd.h"

#define FETCH_NODES_MAX		16
#define BATCH_MAX_EVENTS	1024
#define BATCH_MAX_BYTES		(4u << 20)
#define CORE_MAX_PENDING	(32u << 20)	/* core's unread backlog */
#define IDLE_TIMEOUT		60		/* s without a byte: dead */

enum phase { P_GREET, P_TREE, P_INTERNAL, P_STATE };

static struct {
	struct event_base *base;
	struct ipc_chan	*(*core)(void);
	struct mpbuf	 confbuf;	/* our copy of the config */
	msgpack_zone	 confzone;
	msgpack_object	 conf;
	int		 hasconf;
	int		 inited;		/* fetch_init() ran (not standalone) */
	double		 init_timeout;

	char		 names[FETCH_NODES_MAX][SYNC_NAME_MAX + 1];
	unsigned	 n, next;
	const char	*node;		/* the one we talk to */
	int		 done;		/* downloaded: no more tries */

	struct bufferevent *bev;
	struct event	*ev_resume;
	enum phase	 phase;
	int64_t		 qlen;		/* the peer's window; 0: none */
	uint64_t	 wseq, acked;	/* of the current stream */
	struct pathlong	 pl;
	msgpack_zone	 zone;
	struct mpval_limits lim;
	struct mpbuf	 batch;
	unsigned	 nbatch;
	uint64_t	 entries, skipped;
	double		 t0;
} F;

static void	try_next(void);

/* --- to core -------------------------------------------------------- */

static void
tell_core(const char *event)
{
	struct ipc_chan	*c = F.core();
	msgpack_packer	*pk;

	if (c == NULL)
		return;
	pk = ipc_begin(c, IPC_SYNC_FETCH, 0);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "event", event);
	mp_pack_kv_str(pk, "node", F.node ? F.node : "");
	mp_pack_kv_uint(pk, "entries", F.entries);
	ipc_end(c);
}

static void
flush_batch(void)
{
	sync_send_events(F.core(), &F.batch, &F.nbatch);
}

/* --- the connection ------------------------------------------------- */

static void
close_conn(void)
{
	if (F.bev != NULL)
		bufferevent_free(F.bev);
	F.bev = NULL;
	if (F.ev_resume != NULL)
		evtimer_del(F.ev_resume);
	pathlong_free(&F.pl);
}

static void
fail(const char *why)
{
	flush_batch();	/* what arrived is real data: keep it */
	log_warnx("download from %s failed after %llu entries: %s", F.node,
	    (unsigned long long)F.entries, why);
	close_conn();
	try_next();
}

static void
send_request(const char *action, int seq)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	if (seq == 3) {
		msgpack_pack_map(&pk, 5);
		mp_pack_kv_bool(&pk, "nodes", 1);
		mp_pack_kv_bool(&pk, "known", 1);
		mp_pack_kv_bool(&pk, "deleted", 1);
	} else {
		msgpack_pack_map(&pk, 5);
		mp_pack_str(&pk, "path");
		mp_pack_path(&pk, NULL, 0);
		mp_pack_kv_int(&pk, "nchain", -1);	/* whole chains */
		/* tombstones too: their ticks come as known in get_state, so
		 * nobody would re-send them, and without them this node's
		 * tree would differ from its peers' until the purge */
		mp_pack_kv_bool(&pk, "empty", 1);
	}
	mp_pack_kv_str(&pk, "action", action);
	mp_pack_kv_int(&pk, "seq", seq);
	bufferevent_write(F.bev, b.data, b.len);
	mpbuf_free(&b);
	F.wseq = F.acked = 0;
}

/* {seq: 0, qlen} after the greeting: flow control for the streams */
static void
send_hello(void)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 2);
	mp_pack_kv_int(&pk, "seq", 0);
	mp_pack_kv_int(&pk, "qlen", F.qlen);
	bufferevent_write(F.bev, b.data, b.len);
	mpbuf_free(&b);
}

static int
core_behind(void)
{
	struct ipc_chan	*c = F.core();

	return c != NULL && ipc_pending(c) > CORE_MAX_PENDING;
}

/* Acknowledge what was read, unless core is behind (then retry soon). */
static void
send_ack(void)
{
	struct timeval	 tv = { 0, 10000 };
	struct mpbuf	 b;
	msgpack_packer	 pk;

	if (F.bev == NULL || F.qlen <= 0 || F.wseq <= F.acked ||
	    (F.phase != P_TREE && F.phase != P_INTERNAL))
		return;
	if (core_behind()) {
		evtimer_add(F.ev_resume, &tv);
		return;
	}
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 3);
	mp_pack_kv_int(&pk, "seq", F.phase == P_TREE ? 1 : 2);
	mp_pack_kv_str(&pk, "state", "ack");
	mp_pack_kv_uint(&pk, "ack", F.wseq);
	bufferevent_write(F.bev, b.data, b.len);
	mpbuf_free(&b);
	F.acked = F.wseq;
}

/* The next request, or the end. */
static void
next_phase(void)
{
	static const uint8_t nil_prefix[] = { 0xc0 };	/* path (None,) */

	pathlong_free(&F.pl);
	switch (F.phase) {
	case P_GREET:
		pathlong_init(&F.pl, NULL, 0);
		send_request("get_tree", 1);
		F.phase = P_TREE;
		break;
	case P_TREE:
		pathlong_init(&F.pl, nil_prefix, sizeof(nil_prefix));
		send_request("get_tree_internal", 2);
		F.phase = P_INTERNAL;
		break;
	default:
		send_request("get_state", 3);
		F.phase = P_STATE;
		break;
	}
}

/* --- replies -------------------------------------------------------- */

static int
got_greeting(const msgpack_object *o)
{
	struct timeval	 tv = { IDLE_TIMEOUT, 0 };

	if (mp_map_get(o, "auth") != NULL) {
		fail("the peer wants authentication, which the download "
		    "does not do");
		return -1;
	}
	bufferevent_set_timeouts(F.bev, &tv, &tv);
	if (mp_get_int64(mp_map_get(o, "qlen"), &F.qlen) == -1 || F.qlen < 0)
		F.qlen = 0;
	if (F.qlen > 0)
		send_hello();
	next_phase();
	return 0;
}

static void
got_item(const msgpack_object *o)
{
	struct supdate	 u;
	msgpack_packer	 pk;
	const uint8_t	*path;
	size_t		 len;
	const char	*why;
	int		 rc;

	rc = pathlong_next(&F.pl, o, &path, &len, &why);
	if (rc == 1 && mp_map_get(o, "chain") == NULL &&
	    mp_map_get(o, "value") == NULL)
		return;		/* a path node that never held data */
	/* `empty' lets get_tree into the nil subtree (as the original's
	 * walk does); get_tree_internal brings those entries next */
	if (rc == 1 && F.phase == P_TREE && len > 0 && path[0] == 0xc0)
		return;
	if (rc != 1 || supdate_parse_item(o, path, len, &u, &why) == -1) {
		if (F.skipped++ == 0)
			log_warnx("download from %s: item skipped: %s",
			    F.node, why);
		return;
	}
	msgpack_packer_init(&pk, &F.batch, mpbuf_write);
	supdate_pack_ipc(&u, &pk);
	F.nbatch++;
	F.entries++;
	if (F.nbatch >= BATCH_MAX_EVENTS || F.batch.len >= BATCH_MAX_BYTES)
		flush_batch();
}

/* A get_tree(_internal) reply: start, items, maybe an error, end. */
static int
got_stream(const msgpack_object *o)
{
	const msgpack_object *st = mp_map_get(o, "state");
	const char	*s;
	size_t		 len;
	uint64_t	 w;

	if (mp_get_uint64(mp_map_get(o, "wseq"), &w) == 0 && w > F.wseq)
		F.wseq = w;
	if (mp_map_get(o, "error") != NULL) {
		if (F.phase == P_TREE) {
			fail("the peer answered get_tree with an error");
			return -1;
		}
		return 0;	/* no internal subtree: the end follows */
	}
	if (st == NULL) {
		got_item(o);
		return 0;
	}
	if (mp_get_str(st, &s, &len) == 0 && len == 3 &&
	    memcmp(s, "end", 3) == 0)
		next_phase();
	return 0;
}

/*
 * get_state's {nodes, known, deleted, tock, node}: to core as the info
 * of that peer, `nodes' being every node's tick (`ticks'), checked as
 * a broker info is.
 */
static int
got_state(const msgpack_object *o)
{
	static const char *const keys[] = { "known", "deleted" };
	struct ipc_chan	*c = F.core();
	struct sinfo	 si;
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_zone	 z;
	msgpack_object	 io;
	const msgpack_object *v;
	const char	*why = "undecodable";
	size_t		 off = 0;
	unsigned	 i, n = 3;
	int		 rc = -1;

	mpbuf_init(&b);
	msgpack_zone_init(&z, 4096);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	n += mp_map_get(o, "nodes") != NULL;
	for (i = 0; i < 2; i++)
		n += mp_map_get(o, keys[i]) != NULL;
	msgpack_pack_map(&pk, n);
	mp_pack_kv_str(&pk, "node", F.node);
	mp_pack_kv_uint(&pk, "tick", 0);
	mp_pack_str(&pk, "tock");
	if ((v = mp_map_get(o, "tock")) != NULL)
		msgpack_pack_object(&pk, *v);
	else
		msgpack_pack_uint64(&pk, 0);
	if ((v = mp_map_get(o, "nodes")) != NULL) {
		mp_pack_str(&pk, "ticks");
		msgpack_pack_object(&pk, *v);
	}
	for (i = 0; i < 2; i++)
		if ((v = mp_map_get(o, keys[i])) != NULL) {
			mp_pack_str(&pk, keys[i]);
			msgpack_pack_object(&pk, *v);
		}
	if (msgpack_unpack((const char *)b.data, b.len, &off, &z, &io) ==
	    MSGPACK_UNPACK_SUCCESS && sinfo_parse(&io, &si, 1, &why) == 0) {
		flush_batch();
		if (c != NULL) {
			sinfo_pack(&si, ipc_begin(c, IPC_SYNC_INFO, 0));
			ipc_end(c);
		}
		rc = 0;
	}
	msgpack_zone_destroy(&z);
	mpbuf_free(&b);
	if (rc == -1) {
		fail(why);
		return -1;
	}
	log_info("downloaded %llu entries from %s in %.3f s",
	    (unsigned long long)F.entries, F.node, sync_now() - F.t0);
	if (F.skipped > 0)
		log_warnx("download from %s: %llu malformed items skipped",
		    F.node, (unsigned long long)F.skipped);
	tell_core("done");
	F.done = 1;
	close_conn();
	return -1;	/* stop reading: the connection is gone */
}

static int
got_frame(const msgpack_object *o)
{
	static const int want[] = { 0, 1, 2, 3 };
	int64_t		 seq;

	const char	*err;
	size_t		 len;
	char		 buf[256];

	if (o->type != MSGPACK_OBJECT_MAP ||
	    mp_get_int64(mp_map_get(o, "seq"), &seq) == -1) {
		if (mp_get_str(mp_map_get(o, "error"), &err, &len) == 0) {
			snprintf(buf, sizeof(buf), "the peer says: %.*s",
			    (int)(len > 200 ? 200 : len), err);
			fail(buf);
		} else
			fail("a reply is not a map with a seq");
		return -1;
	}
	if (seq != want[F.phase])
		return 0;	/* not ours (a late message of a stream) */
	switch (F.phase) {
	case P_GREET:
		return got_greeting(o);
	case P_TREE:
	case P_INTERNAL:
		return got_stream(o);
	default:
		return got_state(o);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer	*in = bufferevent_get_input(bev);
	msgpack_object	 o;
	const uint8_t	*p;
	const char	*why;
	size_t		 len, objlen, off;

	while ((len = evbuffer_get_length(in)) > 0) {
		p = evbuffer_pullup(in, -1);
		switch (mpval_scan(p, len, &F.lim, &objlen, &why)) {
		case MPVAL_MORE:
			bufferevent_setwatermark(bev, EV_READ, objlen, 0);
			goto done;
		case MPVAL_ERROR:
			fail(why);
			return;
		case MPVAL_OK:
			break;
		}
		bufferevent_setwatermark(bev, EV_READ, 0, 0);
		msgpack_zone_clear(&F.zone);
		off = 0;
		if (msgpack_unpack((const char *)p, objlen, &off, &F.zone, &o) !=
		    MSGPACK_UNPACK_SUCCESS) {
			fail("undecodable reply");
			return;
		}
		if (got_frame(&o) == -1)
			return;		/* failed or done: bev is gone */
		evbuffer_drain(in, objlen);
	}
done:
	flush_batch();
	send_ack();
}

static void
resume_cb(int fd, short ev, void *arg)
{
	send_ack();
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	char	 buf[128];

	if (what & BEV_EVENT_CONNECTED)
		return;
	if (what & BEV_EVENT_TIMEOUT)
		fail("timed out");
	else if (what & BEV_EVENT_EOF)
		fail("the peer closed the connection");
	else {
		snprintf(buf, sizeof(buf), "connection error: %s",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		fail(buf);
	}
}

/* Connect to the peer `node'; -1 (logged) if that cannot even start. */
static int
connect_to(const char *node)
{
	struct sockaddr_storage ss;
	struct peer_addr pa;
	struct timeval	 tv;
	const char	*why;
	char		 hp[MQTT_HOST_MAX + 16];
	int		 sslen = sizeof(ss);

	if (peer_addr_lookup(&F.conf, node, &pa, &why) == -1) {
		log_warnx("no address to download from %s: %s (see "
		    "kv.hostmap)", node, why);
		return -1;
	}
	snprintf(hp, sizeof(hp), strchr(pa.host, ':') ? "[%s]:%d" : "%s:%d",
	    pa.host, pa.port);
	if (evutil_parse_sockaddr_port(hp, (struct sockaddr *)&ss,
	    &sslen) == -1) {
		log_warnx("download from %s: bad address %s", node, hp);
		return -1;
	}
	if ((F.bev = bufferevent_socket_new(F.base, -1,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(F.bev, read_cb, NULL, event_cb, NULL);
	tv = tv_from_secs(F.init_timeout);
	bufferevent_set_timeouts(F.bev, &tv, &tv);
	bufferevent_enable(F.bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(F.bev, (struct sockaddr *)&ss,
	    sslen) == -1) {
		log_warnx("download from %s: cannot connect to %s", node, hp);
		bufferevent_free(F.bev);
		F.bev = NULL;
		return -1;
	}
	log_info("downloading the tree from %s at %s", node, hp);
	return 0;
}

static void
try_next(void)
{
	while (F.next < F.n) {
		F.node = F.names[F.next++];
		F.phase = P_GREET;
		F.qlen = 0;
		F.entries = F.skipped = 0;
		F.t0 = sync_now();
		if (connect_to(F.node) == 0) {
			tell_core("start");
			return;
		}
	}
	log_warnx("no peer to download the tree from could be reached");
	tell_core("fail");
	F.node = NULL;
}

/* --- API ------------------------------------------------------------ */

void
fetch_init(struct event_base *base, struct ipc_chan *(*core)(void))
{
	F.base = base;
	F.core = core;
	F.lim = mpval_default_limits;
	msgpack_zone_init(&F.zone, 65536);
	F.inited = 1;
	mpbuf_init(&F.batch);
	/* not F.confbuf: fetch_configure() ran first and filled it */
	if ((F.ev_resume = evtimer_new(base, resume_cb, NULL)) == NULL)
		fatalx("evtimer_new");
}

void
fetch_configure(const msgpack_object *conf)
{
	msgpack_packer	 pk;
	size_t		 off = 0;
	int64_t		 max;

	if (F.hasconf)
		msgpack_zone_destroy(&F.confzone);
	mpbuf_reset(&F.confbuf);
	msgpack_packer_init(&pk, &F.confbuf, mpbuf_write);
	msgpack_pack_object(&pk, *conf);
	msgpack_zone_init(&F.confzone, 4096);
	if (msgpack_unpack((const char *)F.confbuf.data, F.confbuf.len, &off,
	    &F.confzone, &F.conf) != MSGPACK_UNPACK_SUCCESS)
		fatalx("fetch: cannot copy the configuration");
	F.hasconf = 1;
	F.init_timeout = 5;
	(void)conf_get_double(&F.conf, "kv.conn.init_timeout",
	    &F.init_timeout);
	if (F.init_timeout <= 0)
		F.init_timeout = 5;
	F.lim = mpval_default_limits;
	if (conf_get_int(&F.conf, "kv.server.max_msg", &max) == 0 && max > 0) {
		F.lim.max_size = (size_t)max;
		F.lim.max_strlen = F.lim.max_binlen = F.lim.max_extlen =
		    (uint32_t)max;
	}
}

void
fetch_start(const char *const *nodes, unsigned n, const char *self)
{
	unsigned	 i;

	if (F.bev != NULL || F.done || !F.hasconf)
		return;
	F.n = F.next = 0;
	for (i = 0; i < n && F.n < FETCH_NODES_MAX; i++)
		if (strcmp(nodes[i], self) != 0)
			strlcpy(F.names[F.n++], nodes[i], sizeof(F.names[0]));
	if (F.n > 0)
		try_next();
}

int
fetch_busy(void)
{
	return F.bev != NULL;
}

void
fetch_stop(void)
{
	if (F.bev != NULL)
		log_info("download from %s dropped", F.node);
	close_conn();
	mpbuf_reset(&F.batch);
	F.nbatch = 0;
	F.done = 0;
}

void
fetch_shutdown(void)
{
	if (F.inited) {		/* standalone: fetch_init() never ran */
		fetch_stop();
		if (F.ev_resume != NULL)
			event_free(F.ev_resume);
		msgpack_zone_destroy(&F.zone);
		mpbuf_free(&F.batch);
	}
	if (F.hasconf)
		msgpack_zone_destroy(&F.confzone);
	mpbuf_free(&F.confbuf);
	memset(&F, 0, sizeof(F));
}
