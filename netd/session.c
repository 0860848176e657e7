/*
 * session.c - netd's client sessions.
 *
 * Clients send a stream of concatenated MsgPack objects.  Each read is
 * scanned with the bounded validator (lib/mpval.c) before anything else
 * looks at it; every complete object goes to core as one CLIENT_REQ
 * frame, and all frames of one loop turn leave in one write.  A message
 * that fails validation gets an error reply and the connection is
 * closed: after garbage there is no way to find the next message.
 *
 * Replies: core's replies of one loop turn are appended to the clients'
 * output buffers, and a flush event at the end of the turn writes each
 * touched buffer straight to its socket.  Only a socket that does not
 * take it all gets the bufferevent's write event, until it drains:
 * arming that per reply cost two epoll_ctl(2) and a wakeup each time.
 *
 * Back-pressure: when a client's unsent output passes OUT_HIGH we stop
 * reading its requests until it drains to OUT_LOW, so a client that
 * pipelines without reading cannot make us queue without bound.  Output
 * that core pushes on its own (watch events) can still grow; past
 * kv.server.max_out the client is told it is too slow and dropped.
 *
 * Session ids carry a slot number and a generation, so a late reply for
 * a closed session can never reach a new client that got its slot.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"
#include "netd/netd.h"

#define SLOT_BITS	20
#define SLOT_MASK	((1u << SLOT_BITS) - 1)
#define MAX_LISTEN	16

struct session {
	uint32_t		 id;
	struct bufferevent	*bev;
	int			 is_unix;
	int			 paused;	/* reading stopped: output full */
	int			 closing;	/* flush, then close */
	int			 dirty;		/* in S.dirty */
	char			 peer[64];
};

static struct {
	struct ipc_chan		*core;
	struct session		**slots;
	uint32_t		 nslots;
	uint32_t		 gen;
	uint32_t		 nsessions;
	struct event		*flush;		/* end of turn: write */
	uint32_t		*dirty;		/* ids with new output */
	size_t			 ndirty, capdirty;
	struct evconnlistener	*listeners[MAX_LISTEN];
	int			 nlisteners;
	struct mpval_limits	 limits;
	size_t			 max_out;
	size_t			 out_high, out_low;
	struct event		*accept_pause;	/* after accept() failed */
	int			 accept_warned;
} S = {
	.max_out = 16u << 20,
};

static void	mark_dirty(struct session *);
static void	read_cb(struct bufferevent *, void *);
static void	write_cb(struct bufferevent *, void *);
static void	event_cb(struct bufferevent *, short, void *);
static void	accept_error_cb(struct evconnlistener *, void *);

void
session_configure(const msgpack_object *conf)
{
	int64_t	 v;

	S.limits = mpval_default_limits;
	if (conf_get_int(conf, "kv.server.max_msg", &v) == 0 && v > 0)
		S.limits.max_size = (size_t)v;
	if (conf_get_int(conf, "kv.server.max_out", &v) == 0 && v > 0)
		S.max_out = (size_t)v;
	S.out_high = S.max_out / 4;
	S.out_low = S.out_high / 2;
}

static struct session *
lookup(uint32_t id)
{
	uint32_t	 slot = id & SLOT_MASK;

	if (slot >= S.nslots || S.slots[slot] == NULL ||
	    S.slots[slot]->id != id)
		return NULL;
	return S.slots[slot];
}

static struct session *
session_new(void)
{
	struct session	*s;
	uint32_t	 slot, n;

	for (slot = 0; slot < S.nslots; slot++)
		if (S.slots[slot] == NULL)
			break;
	if (slot == S.nslots) {
		if (S.nslots > SLOT_MASK)
			return NULL;
		n = S.nslots ? S.nslots * 2 : 64;
		S.slots = reallocarray(S.slots, n, sizeof(*S.slots));
		if (S.slots == NULL)
			fatal("reallocarray");
		memset(S.slots + S.nslots, 0, (n - S.nslots) * sizeof(*S.slots));
		S.nslots = n;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	S.gen = (S.gen + 1) & (0xffffffffu >> SLOT_BITS);
	s->id = (S.gen << SLOT_BITS) | slot;
	S.slots[slot] = s;
	S.nsessions++;
	return s;
}

static void
session_free(struct session *s, int tell_core)
{
	msgpack_packer	*pk;

	if (tell_core && S.core) {
		pk = ipc_begin(S.core, IPC_SESSION_CLOSE, s->id);
		msgpack_pack_nil(pk);
		ipc_end(S.core);
	}
	S.slots[s->id & SLOT_MASK] = NULL;
	S.nsessions--;
	bufferevent_free(s->bev);
	free(s);
}

/* Tell the client what went wrong, then close once that is sent. */
static void
session_fail(struct session *s, const char *why)
{
	struct mpbuf	 buf;
	msgpack_packer	 pk;

	log_info("client %s: %s", s->peer, why);
	mpbuf_init(&buf);
	msgpack_packer_init(&pk, &buf, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "error", why);
	bufferevent_write(s->bev, buf.data, buf.len);
	mpbuf_free(&buf);
	mark_dirty(s);
	s->closing = 1;
	bufferevent_disable(s->bev, EV_READ);
	if (S.core) {
		msgpack_packer *p = ipc_begin(S.core, IPC_SESSION_CLOSE, s->id);
		msgpack_pack_nil(p);
		ipc_end(S.core);
	}
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	struct evbuffer	*in = bufferevent_get_input(bev);
	const uint8_t	*p;
	const char	*why;
	size_t		 len, objlen;
	char		 msg[128];

	while (!s->closing && !s->paused &&
	    (len = evbuffer_get_length(in)) > 0) {
		if ((p = evbuffer_pullup(in, -1)) == NULL)
			fatal("evbuffer_pullup");
		switch (mpval_scan(p, len, &S.limits, &objlen, &why)) {
		case MPVAL_OK:
			ipc_send(S.core, IPC_CLIENT_REQ, s->id, -1, p, objlen);
			evbuffer_drain(in, objlen);
			break;
		case MPVAL_MORE:
			if (len > S.limits.max_size) {
				snprintf(msg, sizeof(msg), "message larger than"
				    " %zu bytes", S.limits.max_size);
				session_fail(s, msg);
			}
			return;
		default:
			snprintf(msg, sizeof(msg), "malformed message: %s",
			    why);
			session_fail(s, msg);
			return;
		}
	}
}

/*
 * Output went down to `out' bytes: a closing session goes once all is
 * sent, a paused one reads again below OUT_LOW.  0 if s was freed.
 */
static int
output_drained(struct session *s, size_t out)
{
	if (s->closing) {
		if (out > 0)
			return 1;
		session_free(s, 0);
		return 0;
	}
	if (s->paused && out <= S.out_low) {
		s->paused = 0;
		bufferevent_enable(s->bev, EV_READ);
		read_cb(s->bev, s);
	}
	return 1;
}

/* The bufferevent wrote what the flush could not: all is out now. */
static void
write_cb(struct bufferevent *bev, void *arg)
{
	struct session	*s = arg;
	size_t		 out = evbuffer_get_length(bufferevent_get_output(bev));

	if (out == 0)
		bufferevent_disable(bev, EV_WRITE);
	(void)output_drained(s, out);
}

/*
 * A socket bufferevent freezes the start of its output buffer so that
 * only its own writer drains it; the flush is such a writer, outside
 * any bufferevent callback, and freezes it again at once.
 */
static void
flush_one(struct session *s)
{
	struct evbuffer	*out = bufferevent_get_output(s->bev);
	int		 n;

	s->dirty = 0;
	evbuffer_unfreeze(out, 1);
	n = evbuffer_write(out, bufferevent_getfd(s->bev));
	evbuffer_freeze(out, 1);
	/* Left over, or an error: the bufferevent's writer takes over
	 * and reports errors through event_cb(). */
	if (n == -1 || evbuffer_get_length(out) > 0) {
		bufferevent_enable(s->bev, EV_WRITE);
		return;
	}
	(void)output_drained(s, 0);
}

static void
flush_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s;
	size_t		 i;

	/* flush_one() may free sessions and mark others: take the list. */
	for (i = 0; i < S.ndirty; i++)
		if ((s = lookup(S.dirty[i])) != NULL && s->dirty)
			flush_one(s);
	S.ndirty = 0;
}

static void
mark_dirty(struct session *s)
{
	uint32_t	*d;
	size_t		 cap;

	if (s->dirty)
		return;
	if (S.ndirty == S.capdirty) {
		cap = S.capdirty ? S.capdirty * 2 : 64;
		if ((d = reallocarray(S.dirty, cap, sizeof(*d))) == NULL)
			fatal("reallocarray");
		S.dirty = d;
		S.capdirty = cap;
	}
	if (S.flush == NULL &&
	    (S.flush = event_new(proc_base(), -1, 0, flush_cb, NULL)) == NULL)
		fatalx("event_new");
	S.dirty[S.ndirty++] = s->id;
	s->dirty = 1;
	if (S.ndirty == 1)
		event_active(S.flush, EV_WRITE, 1);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct session	*s = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		log_debug("client %s: %s", s->peer,
		    what & BEV_EVENT_EOF ? "closed" : "error");
		session_free(s, !s->closing);
	}
}

void
session_reply(uint32_t id, const uint8_t *data, size_t len)
{
	struct session	*s = lookup(id);
	size_t		 out;

	if (s == NULL || s->closing)
		return;		/* the client left meanwhile */
	out = evbuffer_get_length(bufferevent_get_output(s->bev));
	if (out + len > S.max_out) {
		session_fail(s, "client too slow: output buffer limit "
		    "reached, closing the connection");
		return;
	}
	bufferevent_write(s->bev, data, len);
	mark_dirty(s);
	if (out + len > S.out_high && !s->paused) {
		s->paused = 1;
		bufferevent_disable(s->bev, EV_READ);
	}
}

void
session_close_id(uint32_t id)
{
	struct session	*s = lookup(id);

	if (s == NULL || s->closing)
		return;
	s->closing = 1;
	bufferevent_disable(s->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_output(s->bev)) == 0)
		session_free(s, 0);
}

static void
peer_name(int fd, int is_unix, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t	 sl = sizeof(ss);
	char		 host[INET6_ADDRSTRLEN];
	int		 port = 0;

	snprintf(buf, len, "%s", is_unix ? "local" : "?");
	if (is_unix || getpeername(fd, (struct sockaddr *)&ss, &sl) == -1)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		port = ntohs(sin6->sin6_port);
	} else
		return;
	snprintf(buf, len, "%s:%d", host, port);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct session	*s;
	msgpack_packer	*pk;
	int		 is_unix = (int)(intptr_t)arg, on = 1;

	S.accept_warned = 0;
	if (S.core == NULL || (s = session_new()) == NULL) {
		close(fd);	/* no core: nobody could answer */
		return;
	}
	if (!is_unix)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	s->is_unix = is_unix;
	peer_name(fd, is_unix, s->peer, sizeof(s->peer));
	s->bev = bufferevent_socket_new(proc_base(), fd, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL)
		fatalx("bufferevent_socket_new");
	bufferevent_setcb(s->bev, read_cb, write_cb, event_cb, s);
	bufferevent_setwatermark(s->bev, EV_WRITE, 0, 0);
	bufferevent_enable(s->bev, EV_READ);
	bufferevent_disable(s->bev, EV_WRITE);	/* flush_one() enables it */

	pk = ipc_begin(S.core, IPC_SESSION_OPEN, s->id);
	msgpack_pack_map(pk, 2);
	mp_pack_kv_str(pk, "peer", s->peer);
	mp_pack_kv_bool(pk, "local", is_unix);
	ipc_end(S.core);
	log_debug("client %s: session %u", s->peer, s->id);
}

void
session_add_listener(int fd, int is_unix)
{
	struct evconnlistener *l;

	if (S.nlisteners == MAX_LISTEN) {
		close(fd);
		log_warnx("too many listeners");
		return;
	}
	evutil_make_socket_nonblocking(fd);
	l = evconnlistener_new(proc_base(), accept_cb,
	    (void *)(intptr_t)is_unix, LEV_OPT_CLOSE_ON_FREE, 0, fd);	/* 0: the master called listen() */
	if (l == NULL)
		fatalx("evconnlistener_new");
	evconnlistener_set_error_cb(l, accept_error_cb);
	if (S.core == NULL)
		evconnlistener_disable(l);
	S.listeners[S.nlisteners++] = l;
}

/*
 * Accept only while core is there: until then new clients wait in the
 * kernel's backlog instead of being closed at once (at start-up, and
 * while core restarts).
 */
static void
listeners_enable(int on)
{
	int	 i;

	for (i = 0; i < S.nlisteners; i++)
		if (on)
			evconnlistener_enable(S.listeners[i]);
		else
			evconnlistener_disable(S.listeners[i]);
}

static void
accept_resume_cb(evutil_socket_t fd, short ev, void *arg)
{
	if (S.core != NULL)
		listeners_enable(1);
}

/*
 * accept() failed.  Out of descriptors (or memory) the pending
 * connection stays in the backlog and the listener stays readable:
 * without a pause we would spin.  Stop accepting for a moment instead;
 * the clients wait in the backlog.
 */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	static const struct timeval pause = { 0, 100000 };
	int	 e = EVUTIL_SOCKET_ERROR();

	if (!S.accept_warned)
		log_warnx("accept: %s: new connections wait", strerror(e));
	S.accept_warned = 1;
	if (S.accept_pause == NULL &&
	    (S.accept_pause = evtimer_new(proc_base(), accept_resume_cb,
	    NULL)) == NULL)
		fatalx("evtimer_new");
	listeners_enable(0);
	evtimer_add(S.accept_pause, &pause);
}

void
session_core_up(struct ipc_chan *c)
{
	S.core = c;
	listeners_enable(1);
}

/* Without core every session's state is gone: clients must reconnect. */
void
session_core_down(void)
{
	uint32_t	 i;

	S.core = NULL;
	listeners_enable(0);
	for (i = 0; i < S.nslots; i++)
		if (S.slots[i])
			session_free(S.slots[i], 0);
}

void
session_shutdown(void)
{
	int	 i;

	for (i = 0; i < S.nlisteners; i++)
		evconnlistener_free(S.listeners[i]);
	S.nlisteners = 0;
	if (S.accept_pause != NULL)
		event_free(S.accept_pause);
	S.accept_pause = NULL;
	session_core_down();
	free(S.slots);
	S.slots = NULL;
	S.nslots = 0;
	if (S.flush != NULL)
		event_free(S.flush);
	S.flush = NULL;
	free(S.dirty);
	S.dirty = NULL;
	S.ndirty = S.capdirty = 0;
}
