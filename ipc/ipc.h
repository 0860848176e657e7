/*
 * ipc.h - framed MsgPack messages between moat-kv processes.
 *
 * Every pair of processes that talk shares one Unix-domain SOCK_STREAM
 * socketpair, created by the master.  A message is a fixed 12-byte header
 * followed by `len' payload bytes (MsgPack, or raw client bytes for the
 * hot path).  Both ends live on the same host, so the header is in host
 * byte order.
 *
 * Reads drain the socket, then every complete frame is dispatched; writes
 * are queued and flushed once per event-loop turn, so a burst of replies
 * costs one write(2).  A frame may carry one descriptor (IPC_F_FD), sent
 * with SCM_RIGHTS on the frame's first byte.
 *
 * Any violation by the peer (oversize length, a frame that claims an fd
 * that did not arrive, EOF) closes the channel and reports it through the
 * close callback exactly once.  Handlers reject unknown types and
 * malformed payloads with ipc_chan_error(), which does the same.
 */
#ifndef MOAT_IPC_H
#define MOAT_IPC_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

struct event_base;

struct ipc_hdr {
	uint32_t	len;	/* payload bytes after the header */
	uint16_t	type;	/* enum ipc_type, see ipc/msg.h */
	uint16_t	flags;	/* IPC_F_* */
	uint32_t	id;	/* session/request id, 0 when unused */
};

#define IPC_HDR_LEN	12
#define IPC_MAX_PAYLOAD	(64u << 20)	/* hard cap on any frame */
#define IPC_F_FD	0x0001		/* one descriptor travels with it */

struct ipc_msg {
	uint16_t	 type;
	uint16_t	 flags;
	uint32_t	 id;
	int		 fd;	/* -1, or a received fd the handler owns */
	const uint8_t	*data;	/* valid only during the callback */
	size_t		 len;
};

struct ipc_chan;

/* A complete frame arrived. */
typedef void	(*ipc_msg_cb)(struct ipc_chan *, struct ipc_msg *, void *);
/* The channel died (EOF, I/O error, protocol error); `why' says which.
 * Called once, from the event loop; the callback usually frees it. */
typedef void	(*ipc_close_cb)(struct ipc_chan *, const char *why, void *);

struct ipc_chan	*ipc_chan_new(struct event_base *, int fd, const char *name,
		    ipc_msg_cb, ipc_close_cb, void *arg);
void		 ipc_chan_free(struct ipc_chan *);
const char	*ipc_chan_name(const struct ipc_chan *);
int		 ipc_chan_fd(const struct ipc_chan *);
void		 ipc_chan_set_max(struct ipc_chan *, uint32_t maxlen);

/* Queue a message; data is copied.  fd >= 0 is passed to the peer and
 * closed here once sent.  Returns 0, or -1 if the channel is dead. */
int		 ipc_send(struct ipc_chan *, uint16_t type, uint32_t id, int fd,
		    const void *data, size_t len);

/* Build a message in place: ipc_begin() reserves the header and returns a
 * packer that appends to the output queue; ipc_append() adds raw bytes;
 * ipc_end() fills in the length.  Nothing else may be sent in between. */
msgpack_packer	*ipc_begin(struct ipc_chan *, uint16_t type, uint32_t id);
void		 ipc_append(struct ipc_chan *, const void *, size_t);
void		 ipc_end(struct ipc_chan *);

/* Bytes queued but not yet written: the back-pressure signal. */
size_t		 ipc_pending(const struct ipc_chan *);

/* Write everything queued now, blocking; for shutdown and tests.
 * Returns 0, or -1 on error. */
int		 ipc_flush(struct ipc_chan *);

/* Report a protocol violation by the peer: logs it, stops reading, and
 * schedules the close callback (after the current dispatch returns). */
void		 ipc_chan_error(struct ipc_chan *, const char *why);

#endif
