/*
 * check_ipc.c - the IPC channel: frames of every size arrive intact and
 * in order, however the bytes are split; a lying or broken peer (huge or
 * garbage headers, missing or surplus descriptors, EOF) closes the
 * channel exactly once, from the loop, without dispatching the bad frame;
 * descriptors travel in frame order and none leaks; a burst queued in one
 * loop turn leaves in one send(2); a channel may free itself from its own
 * message callback.
 *
 * Both ends of a socketpair live in this process on one private event
 * base that the tests turn by hand.  A 10 ms ticker bounds every blocking
 * turn, so a test that waits for something that never comes fails
 * instead of hanging.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <msgpack.h>

#include "ipc/ipc.h"
#include "tests/unit/testutil.h"

#define MAXTURNS	1000	/* x 10 ms: the longest wait for an event */

/*
 * The channel writes with send(2); this definition in the executable
 * takes precedence over libc's, so a test can count the calls and prove
 * the batching rule instead of trusting the timing.
 */
static unsigned int	 nsend;

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	nsend++;
	return syscall(SYS_sendto, fd, buf, len, flags, NULL, 0);
}

/* One received frame, copied out of the callback. */
struct rec {
	uint16_t	 type, flags;
	uint32_t	 id;
	int		 fd;		/* -1, or still ours to close */
	size_t		 len;
	uint8_t		*data;
};

/* One channel end and what happened to it. */
struct side {
	struct ipc_chan	*c;
	struct rec	*rec;
	size_t		 nrec, caprec;
	int		 nclose;
	char		 why[128];
	int		 in_cb;
	int		 bad_close;	/* close callback outside the loop or
					   inside the message callback */
	size_t		 free_at;	/* ipc_chan_free() at this frame */
	size_t		 error_at;	/* ipc_chan_error() at this frame */
	int		 write_fds;	/* write the id into each fd, close it */
	int		 keep;		/* do not free in the close callback */
};

static struct event_base	*base;
static struct event		*ticker;
static struct side		 A, B;
static int			 sp[2] = { -1, -1 };
static int			 raw = -1;	/* the test's own end */
static int			 in_loop;

static void
on_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct side	*s = arg;
	struct rec	*r;

	ck_assert_ptr_eq(c, s->c);
	s->in_cb = 1;
	if (s->nrec == s->caprec) {
		s->caprec = s->caprec ? s->caprec * 2 : 16;
		s->rec = realloc(s->rec, s->caprec * sizeof(*s->rec));
		ck_assert_ptr_nonnull(s->rec);
	}
	r = &s->rec[s->nrec++];
	r->type = m->type;
	r->flags = m->flags;
	r->id = m->id;
	r->fd = m->fd;
	r->len = m->len;
	r->data = malloc(m->len + 1);
	ck_assert_ptr_nonnull(r->data);
	if (m->len > 0)
		memcpy(r->data, m->data, m->len);
	if (s->write_fds && m->fd != -1) {
		ck_assert_int_eq(write(m->fd, &m->id, sizeof(m->id)),
		    sizeof(m->id));
		close(m->fd);
		r->fd = -1;
	}
	if (s->nrec == s->error_at)
		ipc_chan_error(c, "test says no");
	if (s->nrec == s->free_at) {
		ipc_chan_free(c);
		s->c = NULL;
	}
	s->in_cb = 0;
}

static void
on_close(struct ipc_chan *c, const char *why, void *arg)
{
	struct side	*s = arg;

	ck_assert_ptr_eq(c, s->c);
	if (!in_loop || s->in_cb)
		s->bad_close = 1;
	s->nclose++;
	snprintf(s->why, sizeof(s->why), "%s", why);
	if (s->keep)
		return;
	ipc_chan_free(c);
	s->c = NULL;
}

static void
side_reset(struct side *s)
{
	size_t	 i;

	if (s->c != NULL)
		ipc_chan_free(s->c);
	for (i = 0; i < s->nrec; i++) {
		if (s->rec[i].fd != -1)
			close(s->rec[i].fd);
		free(s->rec[i].data);
	}
	free(s->rec);
	memset(s, 0, sizeof(*s));
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
}

static void
setup(void)
{
	struct timeval	 tv = { 0, 10000 };

	signal(SIGPIPE, SIG_DFL);	/* a stray SIGPIPE must kill us */
	base = event_base_new();
	ck_assert_ptr_nonnull(base);
	ticker = event_new(base, -1, EV_PERSIST, tick, NULL);
	event_add(ticker, &tv);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
}

static void
teardown(void)
{
	side_reset(&A);
	side_reset(&B);
	if (raw != -1)
		close(raw);
	raw = -1;
	event_free(ticker);
	event_base_free(base);
}

static void
turn(int flags)
{
	in_loop = 1;
	event_base_loop(base, flags);
	in_loop = 0;
}

#define PUMP_UNTIL(cond) do {						\
	int	 pump_;							\
	for (pump_ = 0; pump_ < MAXTURNS && !(cond); pump_++)		\
		turn(EVLOOP_ONCE);					\
	ck_assert_msg((cond), "timed out waiting for %s", #cond);	\
} while (0)

/* Let the loop run a while with nothing expected to happen. */
static void
settle(void)
{
	int	 i;

	for (i = 0; i < 10; i++)
		turn(EVLOOP_NONBLOCK);
}

/* a on sp[0], b on sp[1] */
static void
open_pair(void)
{
	A.c = ipc_chan_new(base, sp[0], "a", on_msg, on_close, &A);
	B.c = ipc_chan_new(base, sp[1], "b", on_msg, on_close, &B);
}

/* s on sp[0]; the test speaks raw bytes on the other end. */
static void
open_raw(struct side *s)
{
	s->c = ipc_chan_new(base, sp[0], "raw", on_msg, on_close, s);
	raw = sp[1];
}

static void
fill(uint8_t *p, size_t n, unsigned int seed)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131 + seed * 7 + (i >> 9));
}

static void
assert_filled(const struct rec *r, size_t n, unsigned int seed)
{
	uint8_t	*want = malloc(n + 1);

	ck_assert_uint_eq(r->len, n);
	fill(want, n, seed);
	ck_assert_msg(memcmp(r->data, want, n) == 0, "payload %u differs",
	    seed);
	free(want);
}

static size_t
put_hdr(uint8_t *p, uint32_t len, uint16_t type, uint16_t flags,
    uint32_t id)
{
	struct ipc_hdr	 h = { len, type, flags, id };

	memcpy(p, &h, sizeof(h));
	return sizeof(h);
}

static void
write_all(int fd, const void *p, size_t n)
{
	ck_assert_int_eq(write(fd, p, n), (ssize_t)n);
}

/* Read end of a pipe: expect one uint32_t, then EOF (all writers gone). */
static void
assert_pipe(int fd, uint32_t want)
{
	uint32_t	 got = 0;

	ck_assert_int_eq(read(fd, &got, sizeof(got)), sizeof(got));
	ck_assert_uint_eq(got, want);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	ck_assert_msg(read(fd, &got, sizeof(got)) == 0,
	    "a write end is still open (errno %d)", errno);
	close(fd);
}

START_TEST(roundtrip_sizes)
{
	static const size_t sizes[] = { 0, 1, 11, 12, 13, 4095, 65535,
	    65536, 65537, 1 << 20, 10 << 20, 0, 3 };
	const size_t	 n = sizeof(sizes) / sizeof(sizes[0]);
	size_t		 i, total = 0;
	uint8_t		*buf;

	open_pair();
	for (i = 0; i < n; i++) {
		buf = malloc(sizes[i] + 1);
		fill(buf, sizes[i], (unsigned int)i);
		ck_assert_int_eq(ipc_send(A.c, (uint16_t)(100 + i),
		    0xdead0000u + (uint32_t)i, -1, buf, sizes[i]), 0);
		memset(buf, 0xee, sizes[i]);	/* it must have been copied */
		free(buf);
		total += IPC_HDR_LEN + sizes[i];
	}
	ck_assert_uint_eq(ipc_pending(A.c), total);
	ck_assert_int_eq(ipc_send(B.c, 1, 2, -1, "back", 4), 0);
	PUMP_UNTIL(B.nrec == n && A.nrec == 1);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(B.rec[i].type, 100 + i);
		ck_assert_uint_eq(B.rec[i].id, 0xdead0000u + i);
		ck_assert_uint_eq(B.rec[i].flags, 0);
		ck_assert_int_eq(B.rec[i].fd, -1);
		assert_filled(&B.rec[i], sizes[i], (unsigned int)i);
	}
	ck_assert_uint_eq(A.rec[0].len, 4);
	ck_assert_mem_eq(A.rec[0].data, "back", 4);
	ck_assert_uint_eq(ipc_pending(A.c), 0);
	settle();
	ck_assert_int_eq(A.nclose + B.nclose, 0);
	ck_assert_uint_eq(B.nrec, n);
}
END_TEST

START_TEST(packer_roundtrip)
{
	msgpack_packer	*pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	size_t		 off = 0;
	int		 i;

	open_pair();
	pk = ipc_begin(A.c, 7, 42);
	msgpack_pack_map(pk, 2);
	msgpack_pack_str_with_body(pk, "key", 3);
	msgpack_pack_str_with_body(pk, "value", 5);
	msgpack_pack_str_with_body(pk, "n", 1);
	msgpack_pack_int64(pk, -123456789);
	ipc_append(A.c, "\xc0", 1);		/* a second object: nil */
	ipc_end(A.c);
	pk = ipc_begin(A.c, 8, 43);		/* bigger than the first buffer */
	msgpack_pack_array(pk, 20000);
	for (i = 0; i < 20000; i++)
		msgpack_pack_int(pk, i * 1000);
	ipc_end(A.c);
	PUMP_UNTIL(B.nrec == 2);

	ck_assert_uint_eq(B.rec[0].type, 7);
	ck_assert_uint_eq(B.rec[0].id, 42);
	ck_assert_uint_eq(B.rec[0].len, 1 + 4 + 6 + 2 + 5 + 1);
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)B.rec[0].data,
	    B.rec[0].len, &off, &zone, &o), MSGPACK_UNPACK_EXTRA_BYTES);
	ck_assert_int_eq(o.type, MSGPACK_OBJECT_MAP);
	ck_assert_uint_eq(o.via.map.size, 2);
	ck_assert_mem_eq(o.via.map.ptr[0].val.via.str.ptr, "value", 5);
	ck_assert_int_eq(o.via.map.ptr[1].val.via.i64, -123456789);
	ck_assert_int_eq(msgpack_unpack((const char *)B.rec[0].data,
	    B.rec[0].len, &off, &zone, &o), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(o.type, MSGPACK_OBJECT_NIL);
	ck_assert_uint_eq(off, B.rec[0].len);

	off = 0;
	ck_assert_uint_eq(B.rec[1].type, 8);
	ck_assert_int_eq(msgpack_unpack((const char *)B.rec[1].data,
	    B.rec[1].len, &off, &zone, &o), MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(off, B.rec[1].len);
	ck_assert_uint_eq(o.via.array.size, 20000);
	ck_assert_uint_eq(o.via.array.ptr[19999].via.u64, 19999000);
	msgpack_zone_destroy(&zone);
}
END_TEST

/* The exact bytes on the wire, written out by ipc_flush() alone. */
START_TEST(wire_format_and_flush)
{
	uint8_t		 want[64], got[64];
	size_t		 n = 0;
	msgpack_packer	*pk;

	open_raw(&A);
	ck_assert_str_eq(ipc_chan_name(A.c), "raw");
	ck_assert_int_eq(ipc_chan_fd(A.c), sp[0]);
	ck_assert_int_eq(fcntl(sp[0], F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	ck_assert_int_eq(fcntl(sp[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(ipc_send(A.c, 0x1234, 0xdeadbeef, -1, "abc", 3), 0);
	pk = ipc_begin(A.c, 2, 3);
	msgpack_pack_true(pk);
	ipc_end(A.c);
	n += put_hdr(want + n, 3, 0x1234, 0, 0xdeadbeef);
	memcpy(want + n, "abc", 3);
	n += 3;
	n += put_hdr(want + n, 1, 2, 0, 3);
	want[n++] = 0xc3;
	ck_assert_uint_eq(ipc_pending(A.c), n);
	ck_assert_int_eq(ipc_flush(A.c), 0);
	ck_assert_uint_eq(ipc_pending(A.c), 0);
	ck_assert_int_eq(read(raw, got, sizeof(got)), (ssize_t)n);
	ck_assert_mem_eq(got, want, n);
	settle();	/* nothing left for the write event */
	ck_assert_int_eq(fcntl(raw, F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(raw, got, sizeof(got)), -1);
	ck_assert_int_eq(A.nclose, 0);
}
END_TEST

/* Two frames written one byte per loop turn: each dispatched once. */
START_TEST(one_byte_at_a_time)
{
	uint8_t		 buf[2 * IPC_HDR_LEN + 300];
	size_t		 n = 0, end1, i;

	open_raw(&B);
	n += put_hdr(buf, 300, 5, 0, 9);
	fill(buf + n, 300, 5);
	n += 300;
	end1 = n;
	n += put_hdr(buf + n, 0, 6, 0, 10);
	for (i = 0; i < n; i++) {
		write_all(raw, buf + i, 1);
		turn(EVLOOP_ONCE | EVLOOP_NONBLOCK);
		turn(EVLOOP_ONCE | EVLOOP_NONBLOCK);
		ck_assert_uint_eq(B.nrec, (i + 1 >= end1) + (i + 1 == n));
	}
	ck_assert_uint_eq(B.rec[0].type, 5);
	ck_assert_uint_eq(B.rec[0].id, 9);
	assert_filled(&B.rec[0], 300, 5);
	ck_assert_uint_eq(B.rec[1].type, 6);
	ck_assert_uint_eq(B.rec[1].id, 10);
	ck_assert_uint_eq(B.rec[1].len, 0);
	ck_assert_int_eq(B.nclose, 0);
}
END_TEST

/* A header alone condemns a frame: nothing waits for 4 GiB to arrive. */
START_TEST(oversize_header)
{
	uint8_t		 buf[IPC_HDR_LEN + 100];

	open_raw(&B);
	B.keep = 1;
	put_hdr(buf, 0xffffffffu, 1, 0, 0);
	memset(buf + IPC_HDR_LEN, 'x', 100);
	write_all(raw, buf, sizeof(buf));
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "oversize frame 4294967295");
	ck_assert_uint_eq(B.nrec, 0);
	ck_assert_int_eq(B.bad_close, 0);
	write_all(raw, buf, sizeof(buf));	/* it goes on: not read */
	settle();
	ck_assert_int_eq(B.nclose, 1);
}
END_TEST

/* One past the hard limit is too much; the limit itself only waits. */
START_TEST(max_payload_boundary)
{
	uint8_t		 buf[IPC_HDR_LEN + 5];

	open_raw(&B);
	put_hdr(buf, IPC_MAX_PAYLOAD, 1, 0, 0);
	memcpy(buf + IPC_HDR_LEN, "hello", 5);
	write_all(raw, buf, sizeof(buf));
	settle();
	ck_assert_int_eq(B.nclose + (int)B.nrec, 0);
	close(raw);
	raw = -1;
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "eof inside a frame");

	side_reset(&B);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	open_raw(&B);
	put_hdr(buf, IPC_MAX_PAYLOAD + 1, 1, 0, 0);
	write_all(raw, buf, IPC_HDR_LEN);
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "oversize frame 67108865");
	ck_assert_uint_eq(B.nrec, 0);
}
END_TEST

START_TEST(lowered_max)
{
	uint8_t		 buf[101];

	open_pair();
	ipc_chan_set_max(B.c, 100);
	fill(buf, sizeof(buf), 1);
	ck_assert_int_eq(ipc_send(A.c, 1, 1, -1, buf, 100), 0);
	ck_assert_int_eq(ipc_send(A.c, 1, 2, -1, buf, 101), 0);
	ck_assert_int_eq(ipc_send(A.c, 1, 3, -1, buf, 1), 0);
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "oversize frame 101");
	ck_assert_uint_eq(B.nrec, 1);
	ck_assert_uint_eq(B.rec[0].id, 1);
	assert_filled(&B.rec[0], 100, 1);
	/* Never above the hard cap, whatever is asked. */
	side_reset(&A);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	open_raw(&A);
	ipc_chan_set_max(A.c, 0xffffffffu);
	put_hdr(buf, IPC_MAX_PAYLOAD + 1, 1, 0, 0);
	write_all(raw, buf, IPC_HDR_LEN);
	PUMP_UNTIL(A.nclose == 1);
	ck_assert_str_eq(A.why, "oversize frame 67108865");
}
END_TEST

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random bytes then EOF: always exactly one close, never a crash. */
START_TEST(garbage)
{
	struct ipc_hdr	 h;
	uint8_t		 buf[64];
	uint32_t	 seed = 2463534242u;
	size_t		 i;
	int		 round;

	for (round = 0; round < 200; round++) {
		if (round > 0)
			ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0,
			    sp), 0);
		open_raw(&B);
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)xorshift(&seed);
		if (round % 4 == 0)	/* small lengths, to reach the flags */
			buf[1] = buf[2] = buf[3] = 0;
		memcpy(&h, buf, sizeof(h));
		write_all(raw, buf, sizeof(buf));
		close(raw);
		raw = -1;
		PUMP_UNTIL(B.nclose > 0);
		settle();
		ck_assert_int_eq(B.nclose, 1);
		ck_assert_int_eq(B.bad_close, 0);
		if (h.len > IPC_MAX_PAYLOAD) {
			ck_assert_uint_eq(B.nrec, 0);
			ck_assert_msg(strncmp(B.why, "oversize frame ", 15) ==
			    0, "round %d: %s", round, B.why);
		} else if (h.flags & ~IPC_F_FD) {
			ck_assert_uint_eq(B.nrec, 0);
			ck_assert_msg(strncmp(B.why, "bad flags ", 10) == 0,
			    "round %d: %s", round, B.why);
		}
		side_reset(&B);
	}
}
END_TEST

START_TEST(fd_passing)
{
	int	 p[2];

	open_pair();
	B.write_fds = 1;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(A.c, 20, 77, p[1], "x", 1), 0);
	PUMP_UNTIL(B.nrec == 1);
	ck_assert_uint_eq(B.rec[0].type, 20);
	ck_assert_uint_eq(B.rec[0].flags, IPC_F_FD);
	ck_assert_uint_eq(B.rec[0].len, 1);
	ck_assert_int_eq(B.rec[0].data[0], 'x');
	/* The peer wrote 77 into it, and our copy was closed once sent. */
	assert_pipe(p[0], 77);
}
END_TEST

/* Descriptors in consecutive frames, mixed with plain ones, keep order. */
START_TEST(fd_order)
{
	msgpack_packer	*pk;
	int		 p[6][2];
	uint8_t		 buf[100];
	uint32_t	 i;

	open_pair();
	B.write_fds = 1;
	fill(buf, sizeof(buf), 3);
	for (i = 0; i < 6; i++) {
		ck_assert_int_eq(pipe(p[i]), 0);
		ck_assert_int_eq(ipc_send(A.c, 30, i, p[i][1], buf, i * 10),
		    0);
		if (i % 2 == 0)
			continue;	/* two fd frames back to back */
		pk = ipc_begin(A.c, 31, 1000 + i);
		msgpack_pack_uint32(pk, i);
		ipc_end(A.c);
	}
	PUMP_UNTIL(B.nrec == 9);
	for (i = 0; i < 9; i++) {
		if (B.rec[i].type == 31) {
			ck_assert_uint_eq(B.rec[i].flags, 0);
			continue;
		}
		ck_assert_uint_eq(B.rec[i].flags, IPC_F_FD);
		assert_filled(&B.rec[i], B.rec[i].id * 10, 3);
	}
	for (i = 0; i < 6; i++)
		assert_pipe(p[i][0], i);
	ck_assert_int_eq(B.nclose, 0);
}
END_TEST

/*
 * More descriptors in one burst than the receiver's FIFO holds: it must
 * dispatch on the way instead of losing any.  Even ids go through one
 * pipe, odd ones through another, so a mix-up shows.
 */
START_TEST(fd_burst)
{
	uint32_t	 i, got;
	int		 p[2][2], k;

	open_pair();
	B.write_fds = 1;
	ck_assert_int_eq(pipe(p[0]), 0);
	ck_assert_int_eq(pipe(p[1]), 0);
	for (i = 0; i < 150; i++)
		ck_assert_int_eq(ipc_send(A.c, 40, i, dup(p[i % 2][1]), NULL,
		    0), 0);
	close(p[0][1]);
	close(p[1][1]);
	PUMP_UNTIL(B.nrec == 150);
	for (k = 0; k < 2; k++) {
		for (i = k; i < 150; i += 2) {
			ck_assert_int_eq(read(p[k][0], &got, sizeof(got)),
			    sizeof(got));
			ck_assert_uint_eq(got, i);
		}
		ck_assert_int_eq(read(p[k][0], &got, sizeof(got)), 0);
		close(p[k][0]);
	}
	ck_assert_int_eq(B.nclose, 0);
}
END_TEST

START_TEST(fd_missing)
{
	uint8_t		 buf[IPC_HDR_LEN + 3];

	open_raw(&B);
	put_hdr(buf, 3, 1, IPC_F_FD, 0);
	memcpy(buf + IPC_HDR_LEN, "abc", 3);
	write_all(raw, buf, sizeof(buf));
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "fd missing");
	ck_assert_uint_eq(B.nrec, 0);
}
END_TEST

/* A descriptor no frame claims is refused, and closed, not leaked. */
START_TEST(fd_unclaimed)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	uint8_t		 buf[IPC_HDR_LEN + 2];
	int		 p[2];

	open_raw(&B);
	ck_assert_int_eq(pipe(p), 0);
	put_hdr(buf, 2, 1, 0, 5);
	memcpy(buf + IPC_HDR_LEN, "hi", 2);
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &p[1], sizeof(int));
	ck_assert_int_eq(sendmsg(raw, &msg, 0), (ssize_t)sizeof(buf));
	ck_assert_int_eq(write(p[1], "\x07\0\0\0", 4), 4);
	close(p[1]);
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "unexpected descriptor");
	ck_assert_uint_eq(B.nrec, 1);
	ck_assert_int_eq(B.rec[0].fd, -1);
	assert_pipe(p[0], 7);
}
END_TEST

START_TEST(peer_eof)
{
	uint8_t		 buf[IPC_HDR_LEN];

	open_raw(&B);
	put_hdr(buf, 0, 3, 0, 4);
	write_all(raw, buf, sizeof(buf));	/* a last frame, then EOF */
	close(raw);
	raw = -1;
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "eof");
	ck_assert_uint_eq(B.nrec, 1);
	ck_assert_uint_eq(B.rec[0].type, 3);
	settle();
	ck_assert_int_eq(B.nclose, 1);
	ck_assert_int_eq(B.bad_close, 0);
}
END_TEST

/* Writing to a dead peer: no SIGPIPE, one close, later sends refused. */
START_TEST(send_after_peer_died)
{
	msgpack_packer	*pk;
	int		 p[2];

	open_raw(&A);
	A.keep = 1;
	/* The peer reads no more but does not close: only the write can
	 * notice, so this exercises EPIPE on the write path. */
	ck_assert_int_eq(shutdown(raw, SHUT_RD), 0);
	ck_assert_int_eq(ipc_send(A.c, 1, 1, -1, "hello", 5), 0);
	ck_assert_int_eq(A.nclose, 0);		/* not from inside send */
	PUMP_UNTIL(A.nclose == 1);
	ck_assert_str_eq(A.why, "eof");
	ck_assert_int_eq(A.bad_close, 0);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(A.c, 1, 2, p[1], "x", 1), -1);
	ck_assert_int_eq(write(p[1], "", 0), -1);	/* closed for us */
	ck_assert_int_eq(errno, EBADF);
	close(p[0]);
	pk = ipc_begin(A.c, 1, 3);
	msgpack_pack_nil(pk);
	ipc_end(A.c);
	ck_assert_int_eq(ipc_flush(A.c), -1);
	settle();
	ck_assert_int_eq(A.nclose, 1);

	/* Closed for good: ipc_flush() meets EPIPE itself. */
	side_reset(&A);
	close(raw);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	open_raw(&A);
	close(raw);
	raw = -1;
	ck_assert_int_eq(ipc_send(A.c, 1, 1, -1, "hello", 5), 0);
	ck_assert_int_eq(ipc_flush(A.c), -1);
	ck_assert_int_eq(A.nclose, 0);
	PUMP_UNTIL(A.nclose == 1);
	ck_assert_str_eq(A.why, "eof");
	settle();
	ck_assert_int_eq(A.nclose, 1);
}
END_TEST

/* 1000 sends in one turn: all queued, then out in a single send(2). */
START_TEST(batching)
{
	uint8_t		 buf[40];
	size_t		 total = 0;
	uint32_t	 i;

	open_pair();
	fill(buf, sizeof(buf), 9);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(ipc_send(A.c, 9, i, -1, buf, i % 40), 0);
		total += IPC_HDR_LEN + i % 40;
	}
	ck_assert_uint_eq(ipc_pending(A.c), total);
	nsend = 0;
	turn(EVLOOP_ONCE | EVLOOP_NONBLOCK);
	ck_assert_uint_eq(nsend, 1);
	ck_assert_uint_eq(ipc_pending(A.c), 0);
	PUMP_UNTIL(B.nrec == 1000);
	for (i = 0; i < 1000; i++) {
		ck_assert_uint_eq(B.rec[i].id, i);
		ck_assert_uint_eq(B.rec[i].len, i % 40);
		ck_assert_mem_eq(B.rec[i].data, buf, i % 40);
	}
	ck_assert_uint_eq(nsend, 1);
}
END_TEST

/*
 * A message built while earlier output is half written: making room
 * moves the queue, and the frame under construction and the queued
 * descriptor must move with it.
 */
START_TEST(build_while_output_pending)
{
	msgpack_packer	*pk;
	uint8_t		*big;
	size_t		 pend, blen = 2 << 20;
	int		 p[2], sz = 4096;

	ck_assert_int_eq(setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &sz,
	    sizeof(sz)), 0);
	open_pair();
	B.write_fds = 1;
	ck_assert_int_eq(pipe(p), 0);
	big = malloc(blen);
	fill(big, 1 << 20, 1);
	ck_assert_int_eq(ipc_send(A.c, 1, 1, -1, big, 1 << 20), 0);
	ck_assert_int_eq(ipc_send(A.c, 2, 2, p[1], "f", 1), 0);
	turn(EVLOOP_ONCE | EVLOOP_NONBLOCK);
	pend = ipc_pending(A.c);
	ck_assert_uint_gt(pend, 0);
	ck_assert_uint_lt(pend, (1 << 20) + 2 * IPC_HDR_LEN + 1);
	pk = ipc_begin(A.c, 3, 3);
	fill(big, blen, 2);
	msgpack_pack_bin_with_body(pk, big, blen);
	ipc_end(A.c);
	ck_assert_uint_eq(ipc_pending(A.c), pend + IPC_HDR_LEN + 5 + blen);
	PUMP_UNTIL(B.nrec == 3);
	assert_filled(&B.rec[0], 1 << 20, 1);
	ck_assert_uint_eq(B.rec[1].flags, IPC_F_FD);
	ck_assert_uint_eq(B.rec[2].len, 5 + blen);
	ck_assert_mem_eq(B.rec[2].data, "\xc6\x00\x20\x00\x00", 5);
	ck_assert_int_eq(memcmp(B.rec[2].data + 5, big, blen), 0);
	assert_pipe(p[0], 2);
	free(big);
}
END_TEST

/* Too big to send: refused or dropped, and the channel carries on. */
START_TEST(oversize_send_dropped)
{
	msgpack_packer	*pk;
	uint8_t		*chunk;
	int		 i, p[2];

	open_pair();
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(A.c, 1, 1, p[1], "x",
	    (size_t)IPC_MAX_PAYLOAD + 1), -1);
	ck_assert_int_eq(write(p[1], "", 0), -1);	/* closed for us */
	close(p[0]);
	chunk = calloc(1, 1 << 20);
	pk = ipc_begin(A.c, 2, 2);
	msgpack_pack_bin(pk, 65u << 20);
	for (i = 0; i < 65; i++)
		ipc_append(A.c, chunk, 1 << 20);
	ipc_end(A.c);
	free(chunk);
	ck_assert_uint_eq(ipc_pending(A.c), 0);
	ck_assert_int_eq(ipc_send(A.c, 3, 3, -1, "ok", 2), 0);
	PUMP_UNTIL(B.nrec == 1);
	ck_assert_uint_eq(B.rec[0].type, 3);
	settle();
	ck_assert_uint_eq(B.nrec, 1);
	ck_assert_int_eq(A.nclose + B.nclose, 0);
}
END_TEST

/* Freeing the channel from its own callback: later frames, the fd among
 * them, are dropped and closed, and no close callback follows. */
START_TEST(free_in_callback)
{
	char	 c;
	int	 p[2];

	open_pair();
	B.free_at = 1;
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(ipc_send(A.c, 1, 1, -1, "one", 3), 0);
	ck_assert_int_eq(ipc_send(A.c, 2, 2, p[1], "two", 3), 0);
	ck_assert_int_eq(ipc_send(A.c, 3, 3, -1, "three", 5), 0);
	PUMP_UNTIL(B.c == NULL);
	settle();
	ck_assert_uint_eq(B.nrec, 1);
	ck_assert_uint_eq(B.rec[0].id, 1);
	ck_assert_int_eq(B.nclose, 0);
	PUMP_UNTIL(A.nclose == 1);	/* a sees b go */
	ck_assert_str_eq(A.why, "eof");
	ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	ck_assert_int_eq(read(p[0], &c, 1), 0);
	close(p[0]);
}
END_TEST

/* ipc_chan_error() from a callback: nothing more is dispatched, and the
 * close callback runs once, later, from the loop. */
START_TEST(error_in_callback)
{
	uint32_t	 i;

	open_pair();
	B.error_at = 2;
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(ipc_send(A.c, 1, i, -1, "z", 1), 0);
	PUMP_UNTIL(B.nclose == 1);
	ck_assert_str_eq(B.why, "test says no");
	ck_assert_uint_eq(B.nrec, 2);
	ck_assert_int_eq(B.bad_close, 0);
	settle();
	ck_assert_int_eq(B.nclose, 1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ipc");
	/* valgrind is slow with 10 MiB */
	TCase	*tc = tu_tcase(s, "chan", 120, TU_TESTS(roundtrip_sizes,
		    packer_roundtrip, wire_format_and_flush, one_byte_at_a_time,
		    oversize_header, max_payload_boundary, lowered_max, garbage,
		    fd_passing, fd_order, fd_burst, fd_missing, fd_unclaimed,
		    peer_eof, send_after_peer_died, batching,
		    build_while_output_pending, oversize_send_dropped,
		    free_in_callback, error_in_callback));

	tcase_add_checked_fixture(tc, setup, teardown);
	return tu_run(s);
}
