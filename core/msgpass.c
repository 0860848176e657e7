/*
 * msgpass.c - msg_send and msg_monitor (see msgpass.h).
 *
 * Monitors live in a red-black tree by id, each with its MQTT topic
 * filter, so that a restarted syncd can be told all of them again.
 * Pending sends are a bounded FIFO of (session, seq): syncd answers
 * IPC_MSG_SEND in the order it got them.
 */
#include <stdlib.h>
#include <string.h>

#include <bsd/sys/tree.h>

#include "core/core.h"
#include "core/msgpass.h"
#include "core/session.h"
#include "core/stream.h"
#include "core/sync.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/msgtopic.h"

#define PEND_MAX	4096	/* msg_send requests waiting for syncd */
#define LOST	"RuntimeError('lost by syncd')"
#define GONE	"RuntimeError('syncd went away; the message may not have " \
		"been sent')"

struct mon {
	RB_ENTRY(mon)	 e;
	uint64_t	 id;
	struct stream	*st;
	char		*topic;
	char		*err;		/* syncd's MON_ERROR, until the end */
	int		 dead;		/* syncd forgot it */
};

static int
mon_cmp(const struct mon *a, const struct mon *b)
{
	return a->id < b->id ? -1 : a->id > b->id;
}

RB_HEAD(montree, mon);
RB_PROTOTYPE(montree, mon, e, mon_cmp);
RB_GENERATE(montree, mon, e, mon_cmp);

struct pend {
	uint32_t	 sess;
	int64_t		 seq;
};

static struct {
	char		*root;
	struct montree	 mons;
	uint64_t	 next_id;
	struct pend	 pend[PEND_MAX];
	size_t		 phead, plen;
	struct mpbuf	 topic;
	struct reply	 r;
	int		 init;
} M = { .mons = RB_INITIALIZER(&M.mons) };

static void
lazy_init(void)
{
	if (M.init)
		return;
	mpbuf_init(&M.topic);
	rep_init(&M.r);
	M.init = 1;
}

void
msgpass_configure(const msgpack_object *conf)
{
	lazy_init();
	if (M.root != NULL)
		return;		/* as syncd: the root does not move live */
	if (conf_get_str(conf, "kv.server.root", &M.root) == -1 &&
	    (M.root = strdup("moat/kv")) == NULL)
		fatal("strdup");
}

static const char *
no_broker(void)
{
	if (csync_standalone())
		return "RuntimeError('no MQTT broker configured')";
	if (csync_chan() == NULL)
		return "RuntimeError('syncd is not running')";
	return NULL;
}

/* The payload of a msg_send: raw bytes, or data as the client packed it. */
static int
send_payload(struct ctx *c, const uint8_t **p, size_t *len)
{
	const msgpack_object *raw = c->rq->f[F_RAW];

	if (raw != NULL) {
		if (req_has(c->rq, F_DATA)) {
			ctx_error(c, "AssertionError()");
			return -1;
		}
		if (raw->type != MSGPACK_OBJECT_BIN) {
			ctx_error(c, "TypeError('raw must be bytes')");
			return -1;
		}
		*p = (const uint8_t *)raw->via.bin.ptr;
		*len = raw->via.bin.size;
		return 0;
	}
	if (!req_has(c->rq, F_DATA)) {
		ctx_error(c, "AttributeError('data')");
		return -1;
	}
	*p = c->rq->raw[F_DATA];
	*len = c->rq->rawlen[F_DATA];
	return 0;
}

void
act_msg_send(struct ctx *c)
{
	struct ipc_chan	*chan;
	msgpack_packer	*pk;
	const uint8_t	*p;
	const char	*err;
	char		 why[256];
	size_t		 len;

	lazy_init();
	if (msgtopic_build(c->rq->f[F_TOPIC], MSGTOPIC_SEND, M.root,
	    &M.topic, why, sizeof(why)) == -1) {
		ctx_error(c, "%s", why);
		return;
	}
	if (send_payload(c, &p, &len) == -1)
		return;
	if ((err = no_broker()) != NULL || M.plen == PEND_MAX) {
		ctx_error(c, "%s", err ? err : "RuntimeError('too many "
		    "messages waiting to be sent')");
		return;
	}
	chan = csync_chan();
	pk = ipc_begin(chan, IPC_MSG_SEND, c->s->id);
	msgpack_pack_map(pk, 3);
	mp_pack_str(pk, "seq");
	msgpack_pack_int64(pk, c->seq);
	mp_pack_kv_str(pk, "topic", (const char *)M.topic.data);
	mp_pack_str(pk, "payload");
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, p, len);
	ipc_end(chan);
	M.pend[(M.phead + M.plen++) % PEND_MAX] =
	    (struct pend){ c->s->id, c->seq };
	/* the reply follows syncd's IPC_MSG_SENT */
}

static void
tell_start(struct ipc_chan *chan, const struct mon *m)
{
	msgpack_packer	*pk;

	pk = ipc_begin(chan, IPC_MSG_MON_START, 0);
	msgpack_pack_map(pk, 2);
	mp_pack_kv_uint(pk, "mon", m->id);
	mp_pack_kv_str(pk, "topic", m->topic);
	ipc_end(chan);
}

void
act_msg_monitor(struct ctx *c)
{
	struct mon	*m;
	const char	*err;
	char		 why[256];
	int		 raw = 0;

	lazy_init();
	if (ctx_bool(c, F_RAW, &raw) == -1)
		return;
	if (msgtopic_build(c->rq->f[F_TOPIC], MSGTOPIC_MONITOR, M.root,
	    &M.topic, why, sizeof(why)) == -1) {
		stream_error3(c, why);
		return;
	}
	if ((err = no_broker()) != NULL) {
		stream_error3(c, err);
		return;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->topic = strdup((const char *)M.topic.data)) == NULL) {
		free(m);
		ctx_error(c, "MemoryError()");
		return;
	}
	m->id = ++M.next_id;
	if ((m->st = stream_monitor(c, m->id, raw)) == NULL) {
		free(m->topic);
		free(m);
		return;
	}
	RB_INSERT(montree, &M.mons, m);
	tell_start(csync_chan(), m);
}

static struct mon *
mon_find(uint64_t id)
{
	struct mon	 key;

	key.id = id;
	return RB_FIND(montree, &M.mons, &key);
}

void
msgpass_gone(uint64_t id)
{
	struct ipc_chan	*chan = csync_chan();
	msgpack_packer	*pk;
	struct mon	*m;

	if ((m = mon_find(id)) == NULL)
		return;
	RB_REMOVE(montree, &M.mons, m);
	free(m->topic);
	free(m->err);
	free(m);
	if (chan == NULL)
		return;
	pk = ipc_begin(chan, IPC_MSG_MON_STOP, 0);
	msgpack_pack_map(pk, 1);
	mp_pack_kv_uint(pk, "mon", id);
	ipc_end(chan);
}

/* Answer a pending msg_send: {seq, tock} or {error, seq, tock}. */
static void
answer(uint32_t sess, int64_t seq, const char *err, size_t errlen)
{
	const uint8_t	*p;
	size_t		 len;

	rep_reset(&M.r);
	rep_begin(&M.r);
	if (err != NULL)
		mp_pack_strn(rep_key(&M.r, "error"), err, errlen);
	rep_finish(&M.r, 1, seq, 0, core_tock_read);
	p = rep_data(&M.r, &len);
	core_send(sess, p, len);
}

static struct pend
pend_pop(void)
{
	struct pend	 pd = M.pend[M.phead];

	M.phead = (M.phead + 1) % PEND_MAX;
	M.plen--;
	return pd;
}

static int
got_sent(uint32_t sess, const msgpack_object *o)
{
	const char	*err = NULL;
	size_t		 errlen = 0;
	int64_t		 seq;
	struct pend	 pd;

	if (mp_get_int64(mp_map_get(o, "seq"), &seq) == -1 ||
	    (mp_map_get(o, "error") != NULL &&
	    mp_get_str(mp_map_get(o, "error"), &err, &errlen) == -1))
		return -1;
	/* in order; anything older than this answer was lost */
	while (M.plen > 0) {
		pd = pend_pop();
		if (pd.sess == sess && pd.seq == seq)
			break;
		answer(pd.sess, pd.seq, LOST, strlen(LOST));
	}
	answer(sess, seq, err, errlen);
	return 0;
}

static int
got_mon_error(const msgpack_object *o)
{
	struct mpbuf	 txt;
	const char	*err;
	size_t		 len;
	uint64_t	 id;
	struct mon	*m;

	if (mp_get_uint64(mp_map_get(o, "mon"), &id) == -1 ||
	    mp_get_str(mp_map_get(o, "error"), &err, &len) == -1)
		return -1;
	if ((m = mon_find(id)) == NULL)
		return 0;
	/* the stream keeps the text until its end item is sent */
	mpbuf_init(&txt);
	mpbuf_add(&txt, err, len);
	mpbuf_add(&txt, "", 1);
	free(m->err);
	m->err = (char *)txt.data;
	m->dead = 1;
	stream_end_error(m->st, m->err);
	return 0;
}

static int
got_recv(const msgpack_object *o)
{
	const msgpack_object *mons = mp_map_get(o, "mons");
	const msgpack_object *pl = mp_map_get(o, "payload");
	const char	*t, *err = NULL;
	char		 topic[MSGTOPIC_MAX + 1], ebuf[256];
	size_t		 tlen, elen = 0;
	uint64_t	 id;
	uint32_t	 i;
	struct mon	*m;

	if (mons == NULL || mons->type != MSGPACK_OBJECT_ARRAY ||
	    pl == NULL || pl->type != MSGPACK_OBJECT_BIN ||
	    mp_get_str(mp_map_get(o, "topic"), &t, &tlen) == -1 ||
	    tlen > MSGTOPIC_MAX || (mp_map_get(o, "error") != NULL &&
	    mp_get_str(mp_map_get(o, "error"), &err, &elen) == -1))
		return -1;
	memcpy(topic, t, tlen);
	topic[tlen] = '\0';
	if (err != NULL) {
		snprintf(ebuf, sizeof(ebuf), "%.*s", (int)elen, err);
		err = ebuf;
	}
	for (i = 0; i < mons->via.array.size; i++) {
		if (mp_get_uint64(&mons->via.array.ptr[i], &id) == -1)
			return -1;
		if ((m = mon_find(id)) != NULL)
			stream_msg_event(m->st, topic,
			    (const uint8_t *)pl->via.bin.ptr,
			    pl->via.bin.size, err);
	}
	return 0;
}

int
msgpass_dispatch(struct ipc_msg *m)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why = NULL;
	int		 rc;

	lazy_init();
	msgpack_zone_init(&zone, 4096);
	if ((rc = proc_unpack(m, &zone, &o, &why)) == 0) {
		if (o.type != MSGPACK_OBJECT_MAP)
			rc = -1;
		else if (m->type == IPC_MSG_SENT)
			rc = got_sent(m->id, &o);
		else if (m->type == IPC_MSG_MON_ERROR)
			rc = got_mon_error(&o);
		else
			rc = got_recv(&o);
	}
	msgpack_zone_destroy(&zone);
	if (rc == -1)
		log_warnx("msgpass: bad %s from syncd dropped",
		    msg_to_str(m->type));
	return 0;
}

void
msgpass_peer_up(struct ipc_chan *chan)
{
	struct mon	*m;

	RB_FOREACH(m, montree, &M.mons)
		if (!m->dead)
			tell_start(chan, m);
}

void
msgpass_peer_down(void)
{
	struct pend	 pd;

	while (M.plen > 0) {
		pd = pend_pop();
		answer(pd.sess, pd.seq, GONE, strlen(GONE));
	}
}

void
msgpass_shutdown(void)
{
	/* the streams are gone (csess_close_all) and took their monitors */
	free(M.root);
	M.root = NULL;
	if (M.init) {
		mpbuf_free(&M.topic);
		rep_free(&M.r);
		M.init = 0;
	}
}
