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
 * in order so each event names the set it belongs to.
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
	uint64_t		 rng;
	struct mpbuf		 out, path;
	msgpack_packer		 pk, ppk;
	char			*value;
	struct mpval_limits	 limits;
	char			*err;
	size_t			 errlen;
	int			 failed;
};

/* What a reply says, as far as the benchmark cares. */
struct reply {
	int		 has_seq;
	uint64_t	 seq;
	const char	*error, *state;
	size_t		 errorlen, statelen;
	const uint8_t	*path;		/* the array, if any */
	size_t		 pathlen;
};

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

static int
key_is(const uint8_t *p, const struct mpval_head *h, const char *name)
{
	return h->kind == MPV_STR && h->n == strlen(name) &&
	    memcmp(p + h->hlen, name, h->n) == 0;
}

/* Pick the top-level fields of one validated message. */
static int
reply_scan(const uint8_t *p, size_t len, struct reply *r)
{
	struct mpval_head kh, vh;
	const uint8_t	*end = p + len, *k;
	size_t		 n;
	uint64_t	 i, pairs;

	memset(r, 0, sizeof(*r));
	if (mpval_head(p, len, &vh, NULL) != MPVAL_OK || vh.kind != MPV_MAP)
		return -1;
	pairs = vh.n;
	p += vh.hlen;
	for (i = 0; i < pairs; i++) {
		k = p;
		if ((n = mpval_skip(p, (size_t)(end - p))) == 0 ||
		    mpval_head(k, n, &kh, NULL) != MPVAL_OK)
			return -1;
		p += n;
		if ((n = mpval_skip(p, (size_t)(end - p))) == 0 ||
		    mpval_head(p, n, &vh, NULL) != MPVAL_OK)
			return -1;
		if (key_is(k, &kh, "seq") && vh.kind == MPV_UINT) {
			r->has_seq = 1;
			r->seq = vh.v.u;
		} else if (key_is(k, &kh, "error")) {
			r->error = vh.kind == MPV_STR ?
			    (const char *)p + vh.hlen : "(not a string)";
			r->errorlen = vh.kind == MPV_STR ? vh.n :
			    strlen(r->error);
		} else if (key_is(k, &kh, "state") && vh.kind == MPV_STR) {
			r->state = (const char *)p + vh.hlen;
			r->statelen = vh.n;
		} else if (key_is(k, &kh, "path") && vh.kind == MPV_ARRAY) {
			r->path = p;
			r->pathlen = n;
		}
		p += n;
	}
	return 0;
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

static uint64_t
pick_key(struct bench *b)
{
	if (b->o->sequential || b->test == BENCH_WATCH)
		return b->issued;
	if (b->o->keyspace)
		return rng_next(b) % b->o->keyspace;
	return 0;
}

static void
pack_request(struct bench *b, uint64_t seq)
{
	uint64_t	 key = pick_key(b);
	int		 set;

	set = b->test == BENCH_SET || b->test == BENCH_WATCH ||
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
	if (b->test == BENCH_WATCH)
		b->settime[key % WATCH_RING] = now_ns();
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

static void
send_batch(struct bconn *c)
{
	struct bench	*b = c->b;
	uint64_t	 left = b->o->requests - b->issued;
	unsigned	 i, k;

	k = left < b->o->pipeline ? (unsigned)left : b->o->pipeline;
	if (k == 0)
		return;
	mpbuf_reset(&b->out);
	c->base = c->seq + 1;
	for (i = 0; i < k; i++) {
		pack_request(b, ++c->seq);
		b->issued++;
		c->got[i] = 0;
	}
	c->pending = k;
	c->t0 = now_ns();
	conn_send(c);
}

static int
finished(struct bench *b)
{
	if (b->answered < b->o->requests)
		return 0;
	return b->test != BENCH_WATCH || b->events >= b->o->requests;
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
	if (b->answered == b->o->requests && b->test == BENCH_WATCH &&
	    !evtimer_pending(b->grace, NULL))
		evtimer_add(b->grace, &tv);
}

static void
grace_over(evutil_socket_t fd, short ev, void *arg)
{
	struct bench	*b = arg;
	char		 text[64];
	uint64_t	 missing = b->o->requests - b->events;

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

	b->start = b->last = now_ns();
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

/* The key number of a watch item: the last element, "key:NNN". */
static int
event_key(struct bconn *c, const struct reply *r, uint64_t *key)
{
	struct mpval_head h;
	const uint8_t	*p = r->path, *end = p + r->pathlen, *last = NULL;
	size_t		 n, i;
	uint64_t	 k = 0;

	if (mpval_head(p, r->pathlen, &h, NULL) != MPVAL_OK)
		return -1;
	for (p += h.hlen, i = 0; i < h.n; i++, p += n) {
		if ((n = mpval_skip(p, (size_t)(end - p))) == 0)
			return -1;
		last = p;
	}
	if (last == NULL) {		/* the same node as before */
		*key = c->lastkey;
		return 0;
	}
	if (mpval_head(last, (size_t)(end - last), &h, NULL) != MPVAL_OK ||
	    h.kind != MPV_STR || h.n < 5 || memcmp(last + h.hlen, "key:", 4))
		return -1;
	for (i = 4; i < h.n; i++) {
		if (last[h.hlen + i] < '0' || last[h.hlen + i] > '9')
			return -1;
		k = k * 10 + (last[h.hlen + i] - '0');
	}
	*key = c->lastkey = k;
	return 0;
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
	if (r->path == NULL || event_key(c, r, &key) == -1 ||
	    key >= b->o->requests)
		return;			/* somebody else's change */
	hist_record(&b->res->hist, now - b->settime[key % WATCH_RING]);
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
	if (b->test != BENCH_WATCH)
		hist_record(&b->res->hist, now - c->t0);
	b->answered++;
	if (b->test != BENCH_WATCH)
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
	uint64_t	 now = now_ns();

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
	}
	free(b->conns);
	free(b->settime);
	free(b->value);
	mpbuf_free(&b->out);
	mpbuf_free(&b->path);
	event_free(b->grace);
	event_free(b->watchdog);
	if (b->base)
		event_base_free(b->base);
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
	b->nconns = o->clients + (test == BENCH_WATCH);
	if ((b->conns = calloc(b->nconns, sizeof(*b->conns))) == NULL)
		fatal("calloc");
	if (test == BENCH_WATCH && (b->settime = calloc(WATCH_RING,
	    sizeof(*b->settime))) == NULL)
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
		b.conns[i].watcher = test == BENCH_WATCH && i == o->clients;
		if (conn_open(&b, &b.conns[i], host, port) == -1) {
			bench_free(&b);
			return -1;
		}
	}
	event_add(b.watchdog, &stall);
	event_base_dispatch(b.base);
	res->done = test == BENCH_WATCH ? b.events : b.answered;
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
	raise_nofile(o.clients + 1);
	if ((res = malloc(sizeof(*res))) == NULL)
		fatal("malloc");
	if (o.csv) {
		bench_csv_header(buf, sizeof(buf));
		fputs(buf, stdout);
	}
	for (t = 0; t < BENCH_NTESTS; t++) {
		if (!(o.tests & (1u << t)))
			continue;
		if (bench_run(&o, o.host ? o.host : ctl.host,
		    o.port ? o.port : ctl.port, t, res, err,
		    sizeof(err)) == -1)
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
