/*
 * stream.h - multi-reply requests: get_tree, watch; chunked delete_tree.
 *
 * A stream is sent as {state:"start"}, items, {state:"end"}, every
 * message with the request's seq.  After the client's seq-0 hello with
 * qlen N, every stream message carries wseq 1, 2, ... and at most N-1
 * may be unacknowledged: the stream stalls until {seq, state:"ack",
 * ack:W} arrives.  Long walks are produced in chunks from the event loop
 * (the pump), while netd's channel has room, with a tree cursor that
 * survives changes between chunks; core never blocks on one client.
 *
 * A watch queues live changes, bounded: a quarter of kv.server.max_out
 * per watch, four times max_out for all of them; a watcher that falls
 * that far behind gets an error item and its stream ends, so core
 * memory stays bounded.  delete_tree runs on the same machinery, and
 * msg_monitor (core/msgpass.c) on the watch queue.
 */
#ifndef MOAT_STREAM_H
#define MOAT_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

struct change;

#define STREAM_MAX	1024	/* open streams per session */

struct stream_opts {
	unsigned	 nchain;
	unsigned	 mindepth, maxdepth;	/* TREE_DEPTH_ANY: no limit */
	int		 empty;
	int		 fetch;			/* watch: send the tree first */
};

void	stream_init(void);
void	stream_shutdown(void);
void	stream_set_limit(size_t max_queue);

/* Start a get_tree / watch stream for the ctx's request. */
void	stream_tree(struct ctx *, const struct stream_opts *);
void	stream_watch(struct ctx *, const struct stream_opts *);
/*
 * delete_tree below ctx's path, in chunks: replies {changed: N}, or
 * with nchain > 0 streams an item per deletion.
 */
void	stream_delete_tree(struct ctx *, unsigned nchain);
/* {state:"start"}, {error}, {state:"end"} in one go. */
void	stream_error3(struct ctx *, const char *err);

/* A client's ack for stream seq; unknown/finished streams: ignored. */
void	stream_ack(struct csession *, int64_t seq, int64_t ack);
/* Stop stream `task': 1 if it existed (its end is sent), else 0. */
int	stream_stop(struct csession *, int64_t task);
/* The session is gone: drop its streams silently. */
void	stream_drop_all(struct csession *);
/* netd is gone or back. */
void	stream_netd_changed(void);

/*
 * msg_monitor: a live stream whose items are messages from the broker
 * (no tock of their own).  mon is msgpass.c's id of it; when the
 * stream ends, msgpass_gone(mon) is called.  NULL if it could not be
 * made (the error reply is built).
 */
struct stream *stream_monitor(struct ctx *, uint64_t mon, int raw);
/* A message: {topic: [levels], data | raw [, error]}, queued. */
void	stream_msg_event(struct stream *, const char *topic,
	    const uint8_t *payload, size_t len, const char *err);
/* End the stream with an error item (the monitor died). */
void	stream_end_error(struct stream *, const char *err);

/* From watch.c: a change under a watch point of this stream. */
void	stream_watch_event(struct stream *, const struct change *,
	    const uint8_t *relpath, size_t rellen, unsigned reldepth);

#endif
