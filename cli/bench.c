/*
 * bench.c - `moatctl bench': the event-driven load generator.
 *
 * Like redis-benchmark: -c connections, each sending a batch of -P
 * requests at once and the next batch when every reply of the last one
 * is in; a request's latency runs from the write of its batch to the
 * read that completed its reply.  It speaks the client protocol like
 * any client (greeting first, replies matched by seq) and looks at each
 * reply only after the bounded validator has framed it, and then only
 * at the few top-level keys it needs, without building objects.
 *
 * `watch' adds one connection watching Path("bench") and measures from
 * a set's write to the arrival of its watch event; its setters use keys
 * in order so each event names the set it belongs to.  `repl' is the
 * same across servers: the watchers are on the --peer servers (with
 * --spread on every server, and the setters take turns too), and only
 * an event on another server than the one that took the set counts: it
 * measures replication through the broker.  `mqtt' is in benchmqtt.c.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/util.h>

#include "cli/bench.h"
#include "cli/benchreply.h"
#include "cli/client.h"
#include "cli/moatctl.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"

#define WATCH_SEQ	1
#define WATCH_GRACE	5	/* seconds to wait for late watch events */
#define WATCH_RING	(1u << 20)	/* set times kept, by key */
#define STALL_SECS	10	/* no reply for this long: give up */

struct bench;

struct bconn {
	struct bench		*b;
	struct bufferevent	*bev;
	int			 greeted;
	int			 watcher;
	uint64_t		 seq;		/* the last one sent */
	uint64_t		 base;		/* its first seq */
	unsigned		 pending;	/* replies still due */
	uint64_t		 t0;		/* when the batch left */
	uint8_t			*got;		/* per batch slot */
	uint64_t		 lastkey;	/* watcher: for depth > 0 */
	unsigned		 srv;		/* 0: -h/-p, k: --peer k */
	struct event		*pace;		/* --rate: the next batch */
	uint64_t		 events;	/* watcher: counted ones */
};

struct bench {
	const struct bench_opts	*o;
	enum bench_test		 test;
	struct bench_result	*res;
	struct event_base	*base;
	struct event		*grace, *watchdog;
	uint64_t		 progress, seen;	/* messages read */
	struct bconn		*conns;
	unsigned		 nconns, ready;
	uint64_t		 issued, answered, events;
	uint64_t		 start, last;
	uint64_t		*settime;	/* watch: key % WATCH_RING */
	uint8_t			*writer;	/* repl: its server, ditto */
	uint64_t		 written[1 + BENCH_MAX_PEERS];
	unsigned		 nsrv;
	uint64_t		 rng;
	struct mpbuf		 out, path;
	msgpack_packer		 pk, ppk;
	char			*value;
	struct mpval_limits	 limits;
	char			*err;
	size_t			 errlen;
	int			 failed;
};

/* xorshift64*: a fixed seed, so every run asks for the same keys */
static uint64_t
rng_next(struct bench *b)
{
	b->rng ^= b->rng >> 12;
	b->rng ^= b->rng << 25;
	b->rng ^= b->rng >> 27;
	return b->rng * 2685821657736338717ULL;
}

static void __attribute__((format(printf, 2, 3)))
fail(struct bench *b, const char *fmt, ...)
{
	va_list		 ap;

	if (!b->failed) {
		b->failed = 1;
		va_start(ap, fmt);
		vsnprintf(b->err, b->errlen, fmt, ap);
		va_end(ap);
	}
	event_base_loopbreak(b->base);
}

static void
note_error(struct bench *b, const char *text, size_t len)
{
	struct bench_result *r = b->res;

	if (r->errors++ == 0)
		snprintf(r->firsterr, sizeof(r->firsterr), "%.*s", (int)len,
		    text);
}

static void
pack_key(struct bench *b, uint64_t key)
{
	char		 name[32];

	mpbuf_reset(&b->path);
	mp_pack_str(&b->ppk, "bench");
	snprintf(name, sizeof(name), "key:%012llu", (unsigned long long)key);
	mp_pack_str(&b->ppk, name);
	mp_pack_path(&b->pk, b->path.data, b->path.len);
}

static int
watching(const struct bench *b)
{
	return b->test == BENCH_WATCH || b->test == BENCH_REPL;
}

static uint64_t
pick_key(struct bench *b)
{
	if (b->o->sequential || watching(b))
		return b->issued;
	if (b->o->keyspace)
		return rng_next(b) % b->o->keyspace;
	return 0;
}

static void
pack_request(struct bconn *c, uint64_t seq)
{
	struct bench	*b = c->b;
	uint64_t	 key = pick_key(b);
	int		 set;

	set = b->test == BENCH_SET || watching(b) ||
	    (b->test == BENCH_MIXED && (rng_next(b) >> 32) & 1);
	msgpack_pack_map(&b->pk, set ? 5 : 4);
	mp_pack_kv_str(&b->pk, "action", set ? "set_value" : "get_value");
	mp_pack_kv_uint(&b->pk, "seq", seq);
	mp_pack_str(&b->pk, "path");
	pack_key(b, key);
	if (set) {
		mp_pack_str(&b->pk, "value");
		mp_pack_strn(&b->pk, b->value, b->o->datasize);
	}
	mp_pack_kv_uint(&b->pk, "nchain", 0);
	if (watching(b))
		b->settime[key % WATCH_RING] = bench_now();
	if (b->writer) {
		b->writer[key % WATCH_RING] = (uint8_t)c->srv;
		b->written[c->srv]++;
	}
}

/*
 * Send b->out.  With nothing queued, straight to the socket: a
 * bufferevent would first wait for writability, a loop turn and two
 * epoll_ctl(2) calls per batch that the server's figures should not pay.
 */
static void
conn_send(struct bconn *c)
{
	struct bench	*b = c->b;
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	const uint8_t	*p = b->out.data;
	size_t		 len = b->out.len;
	ssize_t		 n;

	if (evbuffer_get_length(out) == 0) {
		n = send(bufferevent_getfd(c->bev), p, len, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN && errno != EINTR) {
			fail(b, "send: %s", strerror(errno));
			return;
		}
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		}
	}
	if (len > 0 && bufferevent_write(c->bev, p, len) == -1)
		fail(b, "cannot queue a request");
}

/* With --rate: 1 if the next request is not due yet (a timer is set). */
static int
paced(struct bconn *c)
{
	struct bench	*b = c->b;
	uint64_t	 due = b->start + bench_due(b->o, b->issued), now;
	struct timeval	 tv;

	if (b->o->rate == 0 || (now = bench_now()) >= due)
		return 0;
	tv.tv_sec = (time_t)((due - now) / 1000000000u);
	tv.tv_usec = (suseconds_t)((due - now) % 1000000000u / 1000);
	evtimer_add(c->pace, &tv);
	return 1;
}

static void send_batch(struct bconn *);

static void
pace_cb(evutil_socket_t fd, short ev, void *arg)
{
	send_batch(arg);
}

static void
send_batch(struct bconn *c)
{
	struct bench	*b = c->b;
	uint64_t	 left = b->o->requests - b->issued;
	unsigned	 i, k;

	k = left < b->o->pipeline ? (unsigned)left : b->o->pipeline;
	if (k == 0 || paced(c))
		return;
	mpbuf_reset(&b->out);
	c->base = c->seq + 1;
	for (i = 0; i < k; i++) {
		pack_request(c, ++c->seq);
		b->issued++;
		c->got[i] = 0;
	}
	c->pending = k;
	c->t0 = bench_now();
	conn_send(c);
}

/* The events a watcher is to count: every set on another server. */
static uint64_t
expected(const struct bench *b, const struct bconn *c)
{
	if (b->test == BENCH_WATCH)
		return b->o->requests;
	return b->o->requests - b->written[c->srv];
}

static int
finished(struct bench *b)
{
	unsigned	 i;

	if (b->answered < b->o->requests)
		return 0;
	for (i = 0; i < b->nconns; i++)
		if (b->conns[i].watcher &&
		    b->conns[i].events < expected(b, &b->conns[i]))
			return 0;
	return 1;
}

/* repl: the writes that reached every watcher's server (at least). */
static uint64_t
replicated(const struct bench *b)
{
	uint64_t	 n = UINT64_MAX, have;
	unsigned	 i;

	for (i = 0; i < b->nconns; i++) {
		if (!b->conns[i].watcher)
			continue;
		have = b->conns[i].events + b->written[b->conns[i].srv];
		if (have < n)
			n = have;
	}
	return n == UINT64_MAX ? 0 : n;
}

static void
check_done(struct bench *b)
{
	struct timeval	 tv = { WATCH_GRACE, 0 };

	if (finished(b)) {
		event_base_loopbreak(b->base);
		return;
	}
	/* all sets answered: give the events a last chance */
	if (b->answered == b->o->requests && watching(b) &&
	    !evtimer_pending(b->grace, NULL))
		evtimer_add(b->grace, &tv);
}

static void
grace_over(evutil_socket_t fd, short ev, void *arg)
{
	struct bench	*b = arg;
	char		 text[64];
	uint64_t	 missing = 0;
	unsigned	 i;

	for (i = 0; i < b->nconns; i++)
		if (b->conns[i].watcher)
			missing += expected(b, &b->conns[i]) -
			    b->conns[i].events;

	snprintf(text, sizeof(text), "%llu watch events missing",
	    (unsigned long long)missing);
	note_error(b, text, strlen(text));
	b->res->errors += missing - 1;
	event_base_loopbreak(b->base);
}

/* A server that stops answering must not hang the benchmark. */
static void
watchdog(evutil_socket_t fd, short ev, void *arg)
{
	struct bench	*b = arg;

	if (b->progress == b->seen)
		fail(b, "no reply for %d seconds", STALL_SECS);
	b->seen = b->progress;
}

static void
start_load(struct bench *b)
{
	unsigned	 i;

	b->start = b->last = bench_now();
	for (i = 0; i < b->nconns; i++)
		if (!b->conns[i].watcher)
			send_batch(&b->conns[i]);
}

static void
became_ready(struct bench *b)
{
	if (++b->ready == b->nconns)
		start_load(b);
}

static void
send_watch(struct bconn *c)
{
	struct bench	*b = c->b;

	mpbuf_reset(&b->out);
	msgpack_pack_map(&b->pk, 5);
	mp_pack_kv_str(&b->pk, "action", "watch");
	mp_pack_kv_uint(&b->pk, "seq", WATCH_SEQ);
	mp_pack_str(&b->pk, "path");
	mpbuf_reset(&b->path);
	mp_pack_str(&b->ppk, "bench");
	mp_pack_path(&b->pk, b->path.data, b->path.len);
	mp_pack_kv_bool(&b->pk, "fetch", 0);
	mp_pack_kv_uint(&b->pk, "nchain", 0);
	c->seq = WATCH_SEQ;
	conn_send(c);
}

static void
watcher_msg(struct bconn *c, const struct reply *r, uint64_t now)
{
	struct bench	*b = c->b;
	uint64_t	 key;

	if (r->error) {
		if (b->ready < b->nconns)	/* no watch, no test */
			fail(b, "watch: %.*s", (int)r->errorlen, r->error);
		else
			note_error(b, r->error, r->errorlen);
		return;
	}
	if (r->state) {
		if (r->statelen == 5 && memcmp(r->state, "start", 5) == 0)
			became_ready(b);
		else if (r->statelen == 3 && memcmp(r->state, "end", 3) == 0)
			fail(b, "the watch ended early");
		return;
	}
	if (r->path == NULL || event_key(r, &c->lastkey, &key) == -1 ||
	    key >= b->issued)
		return;			/* somebody else's change */
	if (b->writer && b->writer[key % WATCH_RING] == c->srv)
		return;			/* set on this server: not replicated */
	hist_record(&b->res->hist, now - b->settime[key % WATCH_RING]);
	c->events++;
	b->events++;
	b->last = now;
	check_done(b);
}

static void
setter_msg(struct bconn *c, const struct reply *r, uint64_t now)
{
	struct bench	*b = c->b;
	uint64_t	 slot = r->seq - c->base;

	if (r->seq < c->base || slot >= c->seq - c->base + 1 ||
	    c->got[slot]) {
		fail(b, "unexpected reply seq %llu",
		    (unsigned long long)r->seq);
		return;
	}
	c->got[slot] = 1;
	if (r->error)
		note_error(b, r->error, r->errorlen);
	if (!watching(b))
		hist_record(&b->res->hist, now - c->t0);
	b->answered++;
	if (!watching(b))
		b->last = now;
	if (--c->pending == 0)
		send_batch(c);
	check_done(b);
}

static void
handle_msg(struct bconn *c, const uint8_t *p, size_t len, uint64_t now)
{
	struct bench	*b = c->b;
	struct reply	 r;

	b->progress++;
	if (reply_scan(p, len, &r) == -1) {
		fail(b, "a reply that is not a map");
		return;
	}
	if (!r.has_seq) {
		if (r.error)
			fail(b, "server error without seq: %.*s",
			    (int)r.errorlen, r.error);
		else
			fail(b, "a reply without seq");
		return;
	}
	if (!c->greeted) {
		if (r.seq != 0) {
			fail(b, "no greeting from the server");
			return;
		}
		c->greeted = 1;
		if (c->watcher)
			send_watch(c);
		else
			became_ready(b);
		return;
	}
	if (c->watcher)
		watcher_msg(c, &r, now);
	else
		setter_msg(c, &r, now);
}

static void
conn_read(struct bufferevent *bev, void *arg)
{
	struct bconn	*c = arg;
	struct bench	*b = c->b;
	struct evbuffer	*in = bufferevent_get_input(bev);
	const uint8_t	*p;
	const char	*why;
	size_t		 len, off = 0, n;
	uint64_t	 now = bench_now();

	len = evbuffer_get_length(in);
	if ((p = evbuffer_pullup(in, -1)) == NULL)
		return;
	while (off < len && !b->failed) {
		switch (mpval_scan(p + off, len - off, &b->limits, &n, &why)) {
		case MPVAL_OK:
			handle_msg(c, p + off, n, now);
			off += n;
			continue;
		case MPVAL_MORE:
			break;
		default:
			fail(b, "bad message from the server: %s", why);
			break;
		}
		break;
	}
	evbuffer_drain(in, off);
}

static void
conn_event(struct bufferevent *bev, short what, void *arg)
{
	struct bconn	*c = arg;

	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		fail(c->b, "the server closed a connection");
}

static int
conn_open(struct bench *b, struct bconn *c, const char *host,
    const char *port)
{
	int		 fd, one = 1;

	c->b = b;
	if ((fd = client_dial(host, port, b->err, b->errlen)) == -1)
		return -1;
	if (host[0] != '/')
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	evutil_make_socket_nonblocking(fd);
	if ((c->bev = bufferevent_socket_new(b->base, fd,
	    BEV_OPT_CLOSE_ON_FREE)) == NULL)
		fatalx("bufferevent_socket_new");
	if ((c->got = calloc(b->o->pipeline, 1)) == NULL)
		fatal("calloc");
	if ((c->pace = evtimer_new(b->base, pace_cb, c)) == NULL)
		fatalx("evtimer_new");
	bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	return 0;
}

static void
bench_free(struct bench *b)
{
	unsigned	 i;

	for (i = 0; i < b->nconns; i++) {
		if (b->conns[i].bev)
			bufferevent_free(b->conns[i].bev);
		free(b->conns[i].got);
		if (b->conns[i].pace)
			event_free(b->conns[i].pace);
	}
	free(b->conns);
	free(b->settime);
	free(b->writer);
	free(b->value);
	mpbuf_free(&b->out);
	mpbuf_free(&b->path);
	event_free(b->grace);
	event_free(b->watchdog);
	if (b->base)
		event_base_free(b->base);
}

static unsigned
nwatchers(const struct bench_opts *o, enum bench_test test)
{
	if (test == BENCH_WATCH)
		return 1;
	if (test == BENCH_REPL)
		return o->spread ? 1 + o->npeers : o->npeers;
	return 0;
}

/*
 * Connection i: the setters first (on server 0, or with --spread on
 * each in turn), then the watchers (repl: on every peer, or with
 * --spread on every server).
 */
static void
conn_place(struct bench *b, unsigned i)
{
	const struct bench_opts *o = b->o;
	struct bconn	*c = &b->conns[i];

	if (i < o->clients) {
		c->srv = b->test == BENCH_REPL && o->spread ? i % b->nsrv : 0;
		return;
	}
	c->watcher = 1;
	i -= o->clients;
	c->srv = b->test == BENCH_REPL && !o->spread ? i + 1 : i;
}

static void
srv_addr(const struct bench *b, unsigned srv, const char **host,
    const char **port)
{
	const struct bench_server *p;

	if (srv == 0)
		return;
	p = &b->o->peer[srv - 1];
	if (p->host[0])
		*host = p->host;
	*port = p->port;
}

static void
bench_setup(struct bench *b, const struct bench_opts *o,
    enum bench_test test, struct bench_result *res)
{
	memset(b, 0, sizeof(*b));
	b->o = o;
	b->test = test;
	b->res = res;
	b->rng = 0x9e3779b97f4a7c15ULL;
	b->limits = mpval_default_limits;
	b->limits.max_size = b->limits.max_strlen = 2 * BENCH_MAX_DATASIZE;
	mpbuf_init(&b->out);
	mpbuf_init(&b->path);
	msgpack_packer_init(&b->pk, &b->out, mpbuf_write);
	msgpack_packer_init(&b->ppk, &b->path, mpbuf_write);
	if ((b->value = malloc(o->datasize + 1)) == NULL)
		fatal("malloc");
	memset(b->value, 'x', o->datasize);
	b->nsrv = test == BENCH_REPL ? 1 + o->npeers : 1;
	b->nconns = o->clients + nwatchers(o, test);
	if ((b->conns = calloc(b->nconns, sizeof(*b->conns))) == NULL)
		fatal("calloc");
	if (watching(b) && (b->settime = calloc(WATCH_RING,
	    sizeof(*b->settime))) == NULL)
		fatal("calloc");
	if (test == BENCH_REPL && (b->writer = calloc(WATCH_RING, 1)) == NULL)
		fatal("calloc");
	if ((b->base = event_base_new()) == NULL)
		fatalx("event_base_new");
	b->grace = evtimer_new(b->base, grace_over, b);
	b->watchdog = event_new(b->base, -1, EV_PERSIST, watchdog, b);
	if (b->grace == NULL || b->watchdog == NULL)
		fatalx("event_new");
	memset(res, 0, sizeof(*res));
	res->test = test;
	hist_init(&res->hist);
}

int
bench_run(const struct bench_opts *o, const char *host, const char *port,
    enum bench_test test, struct bench_result *res, char *err,
    size_t errlen)
{
	struct bench	 b;
	struct timeval	 stall = { STALL_SECS, 0 };
	unsigned	 i;

	bench_setup(&b, o, test, res);
	b.err = err;
	b.errlen = errlen;
	for (i = 0; i < b.nconns; i++) {
		const char *h = host, *p = port;

		conn_place(&b, i);
		srv_addr(&b, b.conns[i].srv, &h, &p);
		if (conn_open(&b, &b.conns[i], h, p) == -1) {
			bench_free(&b);
			return -1;
		}
	}
	event_add(b.watchdog, &stall);
	event_base_dispatch(b.base);
	res->done = test == BENCH_WATCH ? b.events : test == BENCH_REPL ?
	    replicated(&b) : b.answered;
	res->secs = (b.last - b.start) / 1e9;
	bench_free(&b);
	return b.failed ? -1 : 0;
}

/* Many connections need many descriptors: take what the hard limit
 * allows. */
static void
raise_nofile(unsigned need)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need + 16)
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

int
cmd_bench(int argc, char **argv)
{
	struct bench_opts o;
	struct bench_result *res;
	char		 err[512], buf[256];
	int		 t, rc = 0;

	if (bench_parse(&o, argc, argv, err, sizeof(err)) == -1) {
		fprintf(stderr, "moatctl bench: %s (see moatctl bench "
		    "--help)\n", err);
		return 1;
	}
	if (o.help) {
		bench_usage(stdout);
		return 0;
	}
	raise_nofile(o.clients + 1 + BENCH_MAX_PEERS);
	if ((res = malloc(sizeof(*res))) == NULL)
		fatal("malloc");
	if (o.csv) {
		bench_csv_header(buf, sizeof(buf));
		fputs(buf, stdout);
	}
	for (t = 0; t < BENCH_NTESTS; t++) {
		if (!(o.tests & (1u << t)))
			continue;
		if ((t == BENCH_MQTT ? bench_mqtt_run(&o, res, err,
		    sizeof(err)) : bench_run(&o, o.host ? o.host : ctl.host,
		    o.port ? o.port : ctl.port, t, res, err,
		    sizeof(err))) == -1)
			ctl_fail("moatctl bench: %s: %s", bench_names[t], err);
		bench_print(stdout, &o, res);
		fflush(stdout);
		if (res->errors) {
			fprintf(stderr, "moatctl bench: %s: %llu errors, the "
			    "first: %s\n", bench_names[t],
			    (unsigned long long)res->errors, res->firsterr);
			rc = 1;
		}
	}
	free(res);
	return rc;
}
