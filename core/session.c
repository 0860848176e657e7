/*
 * session.c - core's client sessions and request dispatch.
 *
 * netd opens a session (SESSION_OPEN) when a client connects; core
 * greets it with {seq:0, version, node, tick, tock, qlen}.  Every
 * CLIENT_REQ frame is one client message, validated by netd; it is
 * validated again here (every buffer from IPC is) and unpacked into a
 * zone reused for every request.  Then, in this fixed order:
 *
 *	not a map		{error: "'tuple' object has no attribute
 *				 'seq'", tock}
 *	no seq			{error: "seq", tock}
 *	seq 0, no action	the client's hello: qlen
 *	state "ack"		flow control for stream seq (unknown
 *				 streams: ignored, as the original)
 *	no action		{error: "missing 'action'", seq, tock}
 *	unknown action		{error: "unknown action 'x'", seq, tock}
 *	otherwise		the handler from action_table
 *
 * The connection stays open in every case (the original closed it for
 * a missing or unknown action; moatd.8 documents the difference).
 * All replies of one request leave in one CLIENT_REPLY frame.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/session.h"
#include "core/stream.h"
#include "ipc/ipc.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mpval.h"
#include "lib/pathfmt.h"

#define SERVER_QLEN	10	/* default of the original's kv.server.buffer */

static struct {
	struct csession	**bucket;	/* hash chains by id */
	uint32_t	 nbuckets;	/* a power of two */
	uint32_t	 count;
	msgpack_zone	 zone;
	int		 zone_ok;
	struct reply	 r;
	struct mpbuf	 path, relpath, tmp;
	struct mpval_limits lim;
	unsigned	 qlen;		/* kv.server.buffer: stream window */
} S;

static uint32_t
hash(uint32_t id)
{
	id ^= id >> 16;
	id *= 0x45d9f3bu;
	id ^= id >> 16;
	return id & (S.nbuckets - 1);
}

static struct csession *
sess_find(uint32_t id)
{
	struct csession	*s;

	if (S.nbuckets == 0)
		return NULL;
	for (s = S.bucket[hash(id)]; s; s = s->hnext)
		if (s->id == id)
			return s;
	return NULL;
}

static void
sess_insert(struct csession *s)
{
	struct csession	**old = S.bucket, *x;
	uint32_t	 i, n = S.nbuckets;

	if (S.count >= S.nbuckets) {
		S.nbuckets = n ? n * 2 : 64;
		if ((S.bucket = calloc(S.nbuckets, sizeof(*S.bucket))) == NULL)
			fatal("calloc");
		for (i = 0; i < n; i++)
			while ((x = old[i]) != NULL) {
				old[i] = x->hnext;
				x->hnext = S.bucket[hash(x->id)];
				S.bucket[hash(x->id)] = x;
			}
		free(old);
	}
	s->hnext = S.bucket[hash(s->id)];
	S.bucket[hash(s->id)] = s;
	S.count++;
}

static void
sess_remove(struct csession *s)
{
	struct csession	**pp;

	for (pp = &S.bucket[hash(s->id)]; *pp; pp = &(*pp)->hnext)
		if (*pp == s) {
			*pp = s->hnext;
			S.count--;
			return;
		}
}

static void
lazy_init(void)
{
	if (S.zone_ok)
		return;
	msgpack_zone_init(&S.zone, 4096);
	rep_init(&S.r);
	mpbuf_init(&S.path);
	mpbuf_init(&S.relpath);
	mpbuf_init(&S.tmp);
	S.lim = mpval_default_limits;
	S.lim.max_size = IPC_MAX_PAYLOAD;
	S.lim.max_strlen = S.lim.max_binlen = S.lim.max_extlen =
	    IPC_MAX_PAYLOAD;
	S.zone_ok = 1;
}

void
csess_configure(const msgpack_object *conf)
{
	int64_t		 v;

	lazy_init();
	if (conf_get_int(conf, "kv.server.max_out", &v) == 0 && v > 0)
		stream_set_limit((size_t)v / 4);
	S.qlen = SERVER_QLEN;
	if (conf_get_int(conf, "kv.server.buffer", &v) == 0 && v > 0)
		S.qlen = (unsigned)v;
}

static void
send_reply(uint32_t id, int is_write)
{
	const uint8_t	*p;
	size_t		 len;

	p = rep_data(&S.r, &len);
	if (is_write)
		core_ack(id, p, len);
	else
		core_send(id, p, len);
}

void
csess_open(uint32_t id)
{
	struct csession	*s;
	const char	*node = proc_node_name();

	lazy_init();
	if (sess_find(id) != NULL)
		return;		/* netd never reuses a live id */
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	s->id = id;
	mpbuf_init(&s->root);
	LIST_INIT(&s->streams);
	sess_insert(s);

	rep_reset(&S.r);
	rep_begin(&S.r);
	rep_int(&S.r, "seq", 0);
	msgpack_pack_array(rep_key(&S.r, "version"), 3);
	msgpack_pack_int(&S.r.pk, 0);
	msgpack_pack_int(&S.r.pk, 0);
	msgpack_pack_int(&S.r.pk, 1);
	rep_str(&S.r, "node", node);
	rep_uint(&S.r, "tick", core_tick());
	rep_tock(&S.r, core_tock_read());
	rep_uint(&S.r, "qlen", S.qlen);
	rep_end(&S.r);
	send_reply(id, 0);
}

static void
sess_free(struct csession *s)
{
	stream_drop_all(s);
	sess_remove(s);
	mpbuf_free(&s->root);
	free(s);
}

void
csess_close(uint32_t id)
{
	struct csession	*s;

	if ((s = sess_find(id)) != NULL)
		sess_free(s);
}

void
csess_close_all(void)
{
	uint32_t	 i;

	for (i = 0; i < S.nbuckets; i++)
		while (S.bucket[i] != NULL)
			sess_free(S.bucket[i]);
	free(S.bucket);
	S.bucket = NULL;
	S.nbuckets = S.count = 0;
	if (S.zone_ok) {
		msgpack_zone_destroy(&S.zone);
		rep_free(&S.r);
		mpbuf_free(&S.path);
		mpbuf_free(&S.relpath);
		mpbuf_free(&S.tmp);
		S.zone_ok = 0;
	}
}

/* An error without seq (the request had none), e.g. {error:"seq"}. */
static void
bare_error(uint32_t id, const char *fmt, ...)
{
	char	 buf[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	rep_begin(&S.r);
	rep_str(&S.r, "error", buf);
	rep_finish(&S.r, 0, 0, 0, core_tock_read);
}

/* printf into S.tmp, any length (long paths and values). */
static void
vfmt(const char *fmt, va_list ap)
{
	char	 small[1024], *big;
	va_list	 ap2;
	int	 n;

	mpbuf_reset(&S.tmp);
	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		mpbuf_add(&S.tmp, small, (size_t)n);
		return;
	}
	if (vasprintf(&big, fmt, ap) == -1)
		fatal("vasprintf");
	mpbuf_add(&S.tmp, big, strlen(big));
	free(big);
}

void
ctx_error(struct ctx *c, const char *fmt, ...)
{
	va_list	 ap;

	if (c->r->open) {	/* drop a half-built reply */
		c->r->open = 0;
		c->r->buf.len = c->r->start;
	}
	va_start(ap, fmt);
	vfmt(fmt, ap);
	va_end(ap);
	c->is_write = 0;
	rep_begin(c->r);
	rep_key(c->r, "error");
	mp_pack_strn(&c->r->pk, (const char *)S.tmp.data, S.tmp.len);
	rep_finish(c->r, 1, c->seq, 0, core_tock_read);
}

void
ctx_exc(struct ctx *c, const char *cls, const char *fmt, ...)
{
	msgpack_object	 o;
	struct mpbuf	 msg;
	va_list		 ap;

	va_start(ap, fmt);
	vfmt(fmt, ap);
	va_end(ap);
	/* cls + repr(message), as Python prints an exception */
	mpbuf_init(&msg);
	mpbuf_add(&msg, cls, strlen(cls));
	mpbuf_add(&msg, "(", 1);
	o.type = MSGPACK_OBJECT_STR;
	o.via.str.ptr = (const char *)S.tmp.data;
	o.via.str.size = (uint32_t)S.tmp.len;
	(void)pathfmt_repr(&msg, &o);
	mpbuf_add(&msg, ")", 1);
	mpbuf_add(&msg, "", 1);
	ctx_error(c, "%s", (const char *)msg.data);
	mpbuf_free(&msg);
}

void
ctx_finish(struct ctx *c)
{
	rep_finish(c->r, 1, c->seq, 0, core_tock_read);
}

int
ctx_path(struct ctx *c)
{
	const char	*why = NULL;
	int		 rc;

	rc = req_path(c->rq, F_PATH, c->relpath, &why);
	if (rc == REQ_ABSENT) {
		ctx_error(c, "AttributeError('path')");
		return -1;
	}
	if (rc == REQ_BADTYPE) {
		ctx_error(c, "TypeError('path: %s')", why);
		return -1;
	}
	if (rc == REQ_STRPATH)
		return 1;
	mpbuf_reset(c->path);
	if (c->internal)
		mpbuf_add(c->path, "\xc0", 1);
	else
		mpbuf_add(c->path, c->s->root.data, c->s->root.len);
	mpbuf_add(c->path, c->relpath->data, c->relpath->len);
	return 0;
}

static int
type_error(struct ctx *c, enum req_field f, const char *what)
{
	ctx_error(c, "TypeError('%s must be %s')", req_field_name(f), what);
	return -1;
}

int
ctx_int(struct ctx *c, enum req_field f, int64_t def, int64_t *v)
{
	switch (req_int(c->rq, f, v)) {
	case REQ_OK:
		return 0;
	case REQ_ABSENT:
		*v = def;
		return 0;
	default:
		if (c->rq->f[f]->type == MSGPACK_OBJECT_NIL) {
			*v = def;
			return 0;
		}
		return type_error(c, f, "an integer");
	}
}

int
ctx_uint(struct ctx *c, enum req_field f, int64_t def, int64_t *v)
{
	if (ctx_int(c, f, def, v) == -1)
		return -1;
	if (*v < 0)
		*v = def;
	return 0;
}

int
ctx_nchain(struct ctx *c, int64_t def, int64_t *v)
{
	if (ctx_int(c, F_NCHAIN, def, v) == -1)
		return -1;
	if (*v < 0 || *v > CHAIN_MAXLEN)
		*v = CHAIN_MAXLEN;	/* as the original: all of it */
	return 0;
}

int
ctx_bool(struct ctx *c, enum req_field f, int *v)
{
	switch (req_bool(c->rq, f, v)) {
	case REQ_OK:
		return 0;
	case REQ_ABSENT:
		*v = 0;
		return 0;
	default:
		return type_error(c, f, "a flag");
	}
}

void
path_text(struct mpbuf *out, const uint8_t *p, size_t len)
{
	char	*s;

	mpbuf_reset(out);
	if ((s = pathfmt_format(p, len)) == NULL) {
		mpbuf_add(out, "?", 1);
	} else {
		mpbuf_add(out, s, strlen(s));
		free(s);
	}
	mpbuf_add(out, "", 1);	/* NUL */
}

static const struct action *
find_action(const char *name, size_t len)
{
	const struct action *a;

	for (a = action_table; a->name; a++)
		if (strlen(a->name) == len && memcmp(a->name, name, len) == 0)
			return a;
	return NULL;
}

static void
hello(struct csession *s, struct req *rq)
{
	int64_t		 q;

	s->hello = 1;
	if (req_int(rq, F_QLEN, &q) != REQ_OK || q <= 0)
		return;
	s->qlen = q > S.qlen ? S.qlen : (unsigned)q;
}

static void
dispatch(struct csession *s, struct req *rq, const msgpack_object *o)
{
	const struct action *a;
	struct ctx	 c;
	const char	*name, *state;
	size_t		 nlen, slen;
	int64_t		 seq, ack;

	if (o->type != MSGPACK_OBJECT_MAP) {
		bare_error(s->id, "'%s' object has no attribute 'seq'",
		    req_pytype(o));
		return;
	}
	if (req_int(rq, F_SEQ, &seq) != REQ_OK) {
		bare_error(s->id, "seq");
		return;
	}
	memset(&c, 0, sizeof(c));
	c.s = s;
	c.rq = rq;
	c.seq = seq;
	c.r = &S.r;
	c.path = &S.path;
	c.relpath = &S.relpath;
	if (!req_has(rq, F_ACTION)) {
		if (seq == 0 && !s->hello) {
			hello(s, rq);
			return;
		}
		if (req_str(rq, F_STATE, &state, &slen) == REQ_OK &&
		    slen == 3 && memcmp(state, "ack", 3) == 0) {
			if (req_int(rq, F_ACK, &ack) == REQ_OK)
				stream_ack(s, seq, ack);
			return;
		}
		ctx_error(&c, "missing 'action'");
		return;
	}
	if (req_str(rq, F_ACTION, &name, &nlen) != REQ_OK) {
		ctx_error(&c, "TypeError('action must be a string')");
		return;
	}
	if ((a = find_action(name, nlen)) == NULL) {
		/* at most 64 bytes of it, cut at a UTF-8 character */
		if (nlen > 64)
			for (nlen = 64; nlen > 0 &&
			    ((uint8_t)name[nlen] & 0xc0) == 0x80; nlen--)
				;
		ctx_error(&c, "unknown action '%.*s'", (int)nlen, name);
		return;
	}
	if ((a->flags & A_STREAM) && s->nstreams >= STREAM_MAX) {
		ctx_error(&c, "RuntimeError('too many open streams')");
		return;
	}
	c.internal = (a->flags & A_INTERNAL) != 0;
	c.is_write = (a->flags & A_WRITE) != 0;
	a->fn(&c);
	if (c.r->open)
		fatalx("action %s left its reply open", a->name);
	if (c.is_write) {
		send_reply(s->id, 1);
		rep_reset(&S.r);
	}
}

void
csess_request(uint32_t id, const uint8_t *data, size_t len)
{
	struct csession	*s;
	struct req	 rq;
	struct mpval_index ix;
	msgpack_object	 o;
	const char	*why;
	size_t		 off = 0;

	lazy_init();
	if ((s = sess_find(id)) == NULL)
		return;		/* closed meanwhile */
	rep_reset(&S.r);
	/* One validating pass, whose index serves req_parse_index(). */
	if (mpval_check_index(data, len, &S.lim, &ix, &why) != MPVAL_OK ||
	    msgpack_unpack((const char *)data, len, &off, &S.zone, &o) !=
	    MSGPACK_UNPACK_SUCCESS) {
		/* netd validated it: a broken netd, but the client is owed
		   an answer, not a dead core */
		bare_error(id, "malformed message");
	} else {
		req_parse_index(&rq, &o, data, len, &ix);
		dispatch(s, &rq, &o);
	}
	send_reply(id, 0);
	msgpack_zone_clear(&S.zone);
}
