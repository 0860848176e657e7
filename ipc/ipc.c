/*
 * ipc.c - framed MsgPack channels between moat-kv processes, see ipc.h.
 *
 * Input: a level-triggered EV_READ event drains the socket with
 * recvmsg(2), at most IPC_READ_BUDGET bytes a turn so one busy peer
 * cannot starve the others, collects SCM_RIGHTS descriptors in a FIFO,
 * and hands every complete frame to the callback in place, uncopied.  A
 * header is checked as soon as it is there, and the buffer grows only
 * while one frame fills it, never past what that header promises: a
 * lying peer cannot make us allocate.
 *
 * Output: ipc_send() and ipc_begin()..ipc_end() append to one buffer and
 * activate a flush event (no fd), which the loop runs after the
 * callbacks already due in this turn, so a burst queued in one loop turn
 * leaves in one send(2).  Only when the socket is full does a persistent
 * EV_WRITE event wait for room: adding and deleting it every turn cost
 * two epoll_ctl(2) and a wakeup per request.  An outgoing descriptor is queued with its
 * frame's offset; the writer sends plain bytes up to that frame, then the
 * frame with sendmsg(2) and the descriptor on its first byte.  Linux
 * never returns bytes of two descriptor-carrying sends from one
 * recvmsg(2), so the reader's FIFO sees them in frame order.
 *
 * Failures stop the channel and activate an event that calls the close
 * callback once, from the loop, never from inside ipc_send() or a message
 * callback, whose caller does not expect the channel to vanish under it.
 * A message callback may free its own channel: the free waits until the
 * dispatch loop lets go.  A descriptor given to ipc_send() is ours from
 * then on, even when the send fails, so callers cannot leak it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "ipc/ipc.h"
#include "lib/log.h"

#define IPC_READ_CHUNK	(64u << 10)	/* input buffer floor */
#define IPC_READ_BUDGET	(1u << 20)	/* bytes read per loop turn */
#define IPC_OUT_CHUNK	4096u		/* first output buffer */
#define IPC_OUT_KEEP	(256u << 10)	/* bigger idle buffers are freed */
#define IPC_RFD_MAX	64		/* received fds awaiting frames */
#define IPC_CMSG_FDS	8		/* most fds one recvmsg accepts */
#define IPC_FLUSH_MS	10000		/* ipc_flush() without progress */

_Static_assert(sizeof(struct ipc_hdr) == IPC_HDR_LEN, "ipc_hdr is padded");

struct ipc_wfd {
	size_t		 off;		/* the frame's offset in out */
	int		 fd;
};

struct ipc_chan {
	struct event	*rev, *wev, *cev;	/* read, write, close */
	struct event	*fev;		/* flush at the end of the turn */
	int		 fd;
	char		*name;
	ipc_msg_cb	 msg_cb;
	ipc_close_cb	 close_cb;
	void		*arg;
	uint32_t	 max;		/* largest payload accepted */

	uint8_t		*in;		/* [inoff, inlen) not dispatched */
	size_t		 incap, inoff, inlen;
	int		 rfds[IPC_RFD_MAX];	/* FIFO ring */
	size_t		 rfdhead, nrfds;

	uint8_t		*out;		/* [outoff, outlen) not sent */
	size_t		 outcap, outoff, outlen;
	struct ipc_wfd	*wq;		/* [wqhead, nwq) not sent */
	size_t		 wqcap, wqhead, nwq;
	msgpack_packer	 pk;
	size_t		 build_off;	/* header of the frame being built */
	int		 building, build_drop;

	int		 warmed;	/* wev is added */
	int		 flushing;	/* fev is active */
	int		 dead;		/* no more I/O nor dispatch */
	int		 dispatching, free_pending;
	char		 why[96];
};

static void	chan_fail(struct ipc_chan *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* The close callback, run by the loop after chan_fail() activated it. */
static void
chan_closed(evutil_socket_t fd, short events, void *arg)
{
	struct ipc_chan	*c = arg;

	if (c->close_cb != NULL)
		c->close_cb(c, c->why, c->arg);
}

/*
 * Something to write: flush it once this turn's callbacks are done (or
 * when the socket has room again, if it was full).  Off: nothing is
 * left to write, or the channel died.
 */
static void
out_arm(struct ipc_chan *c, int on)
{
	if (on && !c->dead) {
		if (!c->warmed && !c->flushing) {
			event_active(c->fev, EV_WRITE, 1);
			c->flushing = 1;
		}
		return;
	}
	if (c->warmed)
		event_del(c->wev);
	if (c->flushing)
		event_del(c->fev);
	c->warmed = c->flushing = 0;
}

/* Stop all I/O and schedule the close callback; only the first counts. */
static void
chan_fail(struct ipc_chan *c, int warn, const char *fmt, ...)
{
	va_list	 ap;

	if (c->dead)
		return;
	c->dead = 1;
	va_start(ap, fmt);
	(void)vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	if (warn)
		log_warnx("%s: %s", c->name, c->why);
	else
		log_debug("%s: %s", c->name, c->why);
	event_del(c->rev);
	out_arm(c, 0);
	event_active(c->cev, EV_TIMEOUT, 1);
}

static void
msg_setup(struct msghdr *msg, struct iovec *iov, void *p, size_t len,
    void *ctl, size_t ctllen)
{
	memset(msg, 0, sizeof(*msg));
	memset(ctl, 0, ctllen);
	iov->iov_base = p;
	iov->iov_len = len;
	msg->msg_iov = iov;
	msg->msg_iovlen = 1;
	msg->msg_control = ctl;
	msg->msg_controllen = ctllen;
}

/*
 * One recvmsg() into the free tail of the input buffer, which is never
 * empty here (see in_settle()).  Returns the byte count, 0 at EOF, -1 with
 * errno, or -2 after a protocol error (the channel is then dead).
 */
static ssize_t
in_recv(struct ipc_chan *c, size_t budget)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * IPC_CMSG_FDS)];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;
	size_t		 i, nfd;
	ssize_t		 n;
	int		 fd, bad = 0;

	msg_setup(&msg, &iov, c->in + c->inlen, c->incap - c->inlen < budget ?
	    c->incap - c->inlen : budget, cm.buf, sizeof(cm.buf));
	if ((n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC)) == -1)
		return -1;
	c->inlen += (size_t)n;
	for (cmsg = CMSG_FIRSTHDR(&msg); cmsg != NULL;
	    cmsg = CMSG_NXTHDR(&msg, cmsg)) {
		if (cmsg->cmsg_level != SOL_SOCKET ||
		    cmsg->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&fd, CMSG_DATA(cmsg) + i * sizeof(int),
			    sizeof(fd));
			/* chan_read() dispatches long before it is full */
			if (c->nrfds == IPC_RFD_MAX) {
				close(fd);
				bad = 1;
			} else
				c->rfds[(c->rfdhead + c->nrfds++) %
				    IPC_RFD_MAX] = fd;
		}
	}
	/* Descriptors were lost: later frames would get the wrong ones. */
	if (bad || (msg.msg_flags & MSG_CTRUNC)) {
		chan_fail(c, 1, "too many descriptors");
		return -2;
	}
	return n;
}

/*
 * If a complete frame starts at inoff, copy its header to *h and return 1.
 * The header is checked as soon as it is there, before anything is sized
 * by it; a bad one kills the channel (return 0).
 */
static int
in_frame(struct ipc_chan *c, struct ipc_hdr *h)
{
	size_t	 avail = c->inlen - c->inoff;

	if (avail < IPC_HDR_LEN)
		return 0;
	memcpy(h, c->in + c->inoff, sizeof(*h));
	if (h->len > c->max) {
		chan_fail(c, 1, "oversize frame %u", (unsigned int)h->len);
		return 0;
	}
	if (h->flags & ~IPC_F_FD) {
		chan_fail(c, 1, "bad flags 0x%x", (unsigned int)h->flags);
		return 0;
	}
	return avail - IPC_HDR_LEN >= h->len;
}

/*
 * After a dispatch pass: move the partial frame left to the front.  If it
 * fills the buffer, double that, up to what its checked header promises,
 * so memory follows the bytes that really came.  Only that frame may own
 * a descriptor: any other came with a frame that did not claim it.
 */
static int
in_settle(struct ipc_chan *c)
{
	struct ipc_hdr	 h;
	size_t		 avail = c->inlen - c->inoff, need = 0, cap = 0;
	size_t		 fds_ok = avail > 0;
	uint8_t		*p;

	if (avail > 0 && c->inoff > 0)
		memmove(c->in, c->in + c->inoff, avail);
	c->inoff = 0;
	c->inlen = avail;
	if (avail >= IPC_HDR_LEN) {
		memcpy(&h, c->in, sizeof(h));
		need = IPC_HDR_LEN + (size_t)h.len;
		fds_ok = (h.flags & IPC_F_FD) != 0;
	}
	if (c->nrfds > fds_ok) {
		chan_fail(c, 1, "unexpected descriptor");
		return -1;
	}
	if (avail == 0 && c->incap > IPC_READ_CHUNK)
		cap = IPC_READ_CHUNK;		/* idle: give memory back */
	else if (avail == c->incap && need > avail)
		cap = need < 2 * c->incap ? need : 2 * c->incap;
	if (cap == 0)
		return 0;
	if ((p = realloc(c->in, cap)) == NULL)
		fatal("%s: realloc", c->name);
	c->in = p;
	c->incap = cap;
	return 0;
}

/*
 * Hand every complete frame to the callback.  Returns -1 if the channel
 * died or was freed meanwhile: the caller must not touch it then.
 */
static int
chan_dispatch(struct ipc_chan *c)
{
	struct ipc_hdr	 h;
	struct ipc_msg	 m;
	int		 fd;

	c->dispatching = 1;
	while (!c->dead && in_frame(c, &h)) {
		fd = -1;
		if (h.flags & IPC_F_FD) {
			if (c->nrfds == 0) {
				chan_fail(c, 1, "fd missing");
				break;
			}
			fd = c->rfds[c->rfdhead];
			c->rfdhead = (c->rfdhead + 1) % IPC_RFD_MAX;
			c->nrfds--;
		}
		m = (struct ipc_msg){ h.type, h.flags, h.id, fd,
		    c->in + c->inoff + IPC_HDR_LEN, h.len };
		/* Consumed now; the bytes stay put until in_settle(). */
		c->inoff += IPC_HDR_LEN + (size_t)h.len;
		c->msg_cb(c, &m, c->arg);
	}
	c->dispatching = 0;
	if (c->free_pending) {
		ipc_chan_free(c);
		return -1;
	}
	if (c->dead)
		return -1;
	return in_settle(c);
}

static void
chan_read(evutil_socket_t fd, short events, void *arg)
{
	struct ipc_chan	*c = arg;
	size_t		 budget = IPC_READ_BUDGET, want;
	ssize_t		 n = 1;
	int		 err = 0;

	while (budget > 0) {
		want = c->incap - c->inlen < budget ? c->incap - c->inlen :
		    budget;
		if ((n = in_recv(c, budget)) == -2)
			return;
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n == -1 ? errno : 0;
			break;
		}
		budget -= (size_t)n;
		/*
		 * Short: the socket is most likely drained, and another
		 * recvmsg() would only say EAGAIN.  If not (more came, or
		 * a descriptor ended the read), the level-triggered event
		 * fires again next turn.
		 */
		if ((size_t)n < want)
			break;
		/* A full buffer or many fds: dispatch to make room. */
		if ((c->inlen == c->incap ||
		    c->nrfds > IPC_RFD_MAX - IPC_CMSG_FDS) &&
		    chan_dispatch(c) == -1)
			return;
	}
	/* Frames that arrived before an EOF still count. */
	if (chan_dispatch(c) == -1 || n > 0)
		return;
	if (n == 0 && c->inlen > 0)
		chan_fail(c, 1, "eof inside a frame");
	else if (n == 0 || err == ECONNRESET)
		chan_fail(c, 0, "eof");		/* the peer went away */
	else if (err != EAGAIN && err != EWOULDBLOCK)
		chan_fail(c, 1, "read: %s", strerror(err));
}

/* Forget what was sent, so the unsent rest starts at offset 0. */
static void
out_compact(struct ipc_chan *c)
{
	size_t	 i, nw = c->nwq - c->wqhead;

	if (c->outoff == 0)
		return;
	memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
	if (nw > 0)
		memmove(c->wq, c->wq + c->wqhead, nw * sizeof(*c->wq));
	for (i = 0; i < nw; i++)
		c->wq[i].off -= c->outoff;
	if (c->building)
		c->build_off -= c->outoff;
	c->wqhead = 0;
	c->nwq = nw;
	c->outlen -= c->outoff;
	c->outoff = 0;
}

static void
out_reserve(struct ipc_chan *c, size_t n)
{
	size_t	 cap;
	uint8_t	*p;

	if (c->outcap - c->outlen >= n)
		return;
	out_compact(c);
	if (c->outcap - c->outlen >= n)
		return;
	if (n > SIZE_MAX / 4 - c->outlen)
		fatalx("%s: output queue overflow", c->name);
	cap = c->outcap ? c->outcap : IPC_OUT_CHUNK;
	while (cap - c->outlen < n)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		fatal("%s: realloc", c->name);
	c->out = p;
	c->outcap = cap;
}

static void
out_append(struct ipc_chan *c, const void *p, size_t n)
{
	if (n == 0)
		return;
	out_reserve(c, n);
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

static void
wq_push(struct ipc_chan *c, size_t off, int fd)
{
	struct ipc_wfd	*p;
	size_t		 cap;

	if (c->nwq == c->wqcap) {
		cap = c->wqcap ? c->wqcap * 2 : 8;
		if ((p = reallocarray(c->wq, cap, sizeof(*p))) == NULL)
			fatal("%s: reallocarray", c->name);
		c->wq = p;
		c->wqcap = cap;
	}
	c->wq[c->nwq].off = off;
	c->wq[c->nwq++].fd = fd;
}

/* sendmsg() with one descriptor attached to the first byte of p. */
static ssize_t
send_fd(int s, const void *p, size_t len, int fd)
{
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cmsg;

	msg_setup(&msg, &iov, (void *)(uintptr_t)p, len, cm.buf,
	    sizeof(cm.buf));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
	return sendmsg(s, &msg, MSG_NOSIGNAL);
}

/*
 * Write as much as the socket takes: one send() in the common case, one
 * more per descriptor.  Returns 1 when all is out, 0 when the socket is
 * full, -1 when the channel died.
 */
static int
out_write(struct ipc_chan *c)
{
	struct ipc_wfd	*w;
	size_t		 end;
	ssize_t		 n;

	while (c->outoff < c->outlen) {
		w = c->wqhead < c->nwq ? &c->wq[c->wqhead] : NULL;
		if (w != NULL && w->off == c->outoff) {
			end = c->wqhead + 1 < c->nwq ? w[1].off : c->outlen;
			if ((n = send_fd(c->fd, c->out + c->outoff,
			    end - c->outoff, w->fd)) > 0) {
				close(w->fd);
				c->wqhead++;
			}
		} else {
			end = w != NULL ? w->off : c->outlen;
			n = send(c->fd, c->out + c->outoff, end - c->outoff,
			    MSG_NOSIGNAL);
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EPIPE || errno == ECONNRESET)
				chan_fail(c, 0, "eof");
			else
				chan_fail(c, 1, "write: %s", strerror(errno));
			return -1;
		}
		c->outoff += (size_t)n;
	}
	c->outoff = c->outlen = 0;
	c->wqhead = c->nwq = 0;
	if (c->outcap > IPC_OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->outcap = 0;
	}
	return 1;
}

/* The socket has room again. */
static void
chan_write(evutil_socket_t fd, short events, void *arg)
{
	struct ipc_chan	*c = arg;

	if (out_write(c) == 1)
		out_arm(c, 0);
}

/* The end of a loop turn: write; wait for room only if it is full. */
static void
chan_flush(evutil_socket_t fd, short events, void *arg)
{
	struct ipc_chan	*c = arg;

	c->flushing = 0;
	if (c->dead || c->warmed || out_write(c) != 0)
		return;
	if (event_add(c->wev, NULL) == -1)
		fatalx("%s: event_add", c->name);
	c->warmed = 1;
}

static int
out_pk_write(void *arg, const char *p, size_t n)
{
	ipc_append(arg, p, n);
	return 0;
}

struct ipc_chan *
ipc_chan_new(struct event_base *base, int fd, const char *name,
    ipc_msg_cb msg_cb, ipc_close_cb close_cb, void *arg)
{
	struct ipc_chan	*c;
	int		 fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		fatal("%s: fcntl", name);
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->name = strdup(name)) == NULL)
		fatal("%s: calloc", name);
	c->fd = fd;
	c->msg_cb = msg_cb;
	c->close_cb = close_cb;
	c->arg = arg;
	c->max = IPC_MAX_PAYLOAD;
	if ((c->in = malloc(IPC_READ_CHUNK)) == NULL)
		fatal("%s: malloc", name);
	c->incap = IPC_READ_CHUNK;
	c->rev = event_new(base, fd, EV_READ | EV_PERSIST, chan_read, c);
	c->wev = event_new(base, fd, EV_WRITE | EV_PERSIST, chan_write, c);
	c->cev = event_new(base, -1, 0, chan_closed, c);
	c->fev = event_new(base, -1, 0, chan_flush, c);
	if (c->rev == NULL || c->wev == NULL || c->cev == NULL ||
	    c->fev == NULL ||
	    event_add(c->rev, NULL) == -1)
		fatalx("%s: cannot set up events", name);
	msgpack_packer_init(&c->pk, c, out_pk_write);
	return c;
}

void
ipc_chan_free(struct ipc_chan *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	if (c->dispatching) {
		/* chan_dispatch() still uses c and frees it on return. */
		c->dead = c->free_pending = 1;
		event_del(c->rev);
		out_arm(c, 0);
		event_del(c->cev);
		return;
	}
	event_free(c->rev);
	event_free(c->wev);
	event_free(c->cev);
	event_free(c->fev);
	close(c->fd);
	for (i = 0; i < c->nrfds; i++)
		close(c->rfds[(c->rfdhead + i) % IPC_RFD_MAX]);
	for (i = c->wqhead; i < c->nwq; i++)
		close(c->wq[i].fd);
	free(c->in);
	free(c->out);
	free(c->wq);
	free(c->name);
	free(c);
}

const char *
ipc_chan_name(const struct ipc_chan *c)
{
	return c->name;
}

int
ipc_chan_fd(const struct ipc_chan *c)
{
	return c->fd;
}

void
ipc_chan_set_max(struct ipc_chan *c, uint32_t maxlen)
{
	c->max = maxlen < IPC_MAX_PAYLOAD ? maxlen : IPC_MAX_PAYLOAD;
}

int
ipc_send(struct ipc_chan *c, uint16_t type, uint32_t id, int fd,
    const void *data, size_t len)
{
	struct ipc_hdr	 h = { (uint32_t)len, type, fd >= 0 ? IPC_F_FD : 0,
			    id };

	if (c->building)
		fatalx("%s: ipc_send inside ipc_begin", c->name);
	if (c->dead || len > IPC_MAX_PAYLOAD) {
		if (!c->dead)
			log_warnx("%s: %zu byte message not sent", c->name,
			    len);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	out_reserve(c, IPC_HDR_LEN + len);	/* may move offsets: first */
	if (fd >= 0)
		wq_push(c, c->outlen, fd);
	out_append(c, &h, sizeof(h));
	out_append(c, data, len);
	out_arm(c, 1);
	return 0;
}

msgpack_packer *
ipc_begin(struct ipc_chan *c, uint16_t type, uint32_t id)
{
	struct ipc_hdr	 h = { 0, type, 0, id };	/* ipc_end() sets len */

	if (c->building)
		fatalx("%s: nested ipc_begin", c->name);
	c->building = 1;
	c->build_drop = c->dead;	/* packing into a dead channel is a no-op */
	c->build_off = c->outlen;
	if (!c->dead)
		out_append(c, &h, sizeof(h));
	return &c->pk;
}

void
ipc_append(struct ipc_chan *c, const void *p, size_t n)
{
	size_t	 have;

	if (!c->building)
		fatalx("%s: ipc_append outside ipc_begin", c->name);
	if (c->build_drop)
		return;
	have = c->outlen - c->build_off - IPC_HDR_LEN;
	if (n > IPC_MAX_PAYLOAD - have) {
		/* The peer would refuse it; free the space right away. */
		log_warnx("%s: message over %u bytes dropped", c->name,
		    IPC_MAX_PAYLOAD);
		c->outlen = c->build_off;
		c->build_drop = 1;
		return;
	}
	out_append(c, p, n);
}

void
ipc_end(struct ipc_chan *c)
{
	uint32_t	 len;

	if (!c->building)
		fatalx("%s: ipc_end without ipc_begin", c->name);
	c->building = 0;
	if (c->build_drop || c->dead) {
		c->outlen = c->build_off;
		return;
	}
	len = (uint32_t)(c->outlen - c->build_off - IPC_HDR_LEN);
	memcpy(c->out + c->build_off + offsetof(struct ipc_hdr, len), &len,
	    sizeof(len));
	out_arm(c, 1);
}

size_t
ipc_pending(const struct ipc_chan *c)
{
	return c->outlen - c->outoff;
}

int
ipc_flush(struct ipc_chan *c)
{
	struct pollfd	 pfd = { c->fd, POLLOUT, 0 };
	int		 rc;

	if (c->building)
		fatalx("%s: ipc_flush inside ipc_begin", c->name);
	if (c->dead)
		return -1;
	while ((rc = out_write(c)) == 0) {
		/* A peer that stops reading must not hang a shutdown. */
		if ((rc = poll(&pfd, 1, IPC_FLUSH_MS)) == 0) {
			chan_fail(c, 1, "flush timed out");
			return -1;
		}
		if (rc == -1 && errno != EINTR) {
			chan_fail(c, 1, "poll: %s", strerror(errno));
			return -1;
		}
	}
	if (rc == -1)
		return -1;
	out_arm(c, 0);
	return 0;
}

void
ipc_chan_error(struct ipc_chan *c, const char *why)
{
	chan_fail(c, 1, "%s", why);
}
