/*
 * session.h - core's view of one client connection, and the helpers
 * every action handler uses.
 */
#ifndef MOAT_SESSION_H
#define MOAT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <bsd/sys/queue.h>

#include "core/reply.h"
#include "core/request.h"
#include "lib/mp.h"

struct stream;

struct csession {
	uint32_t		 id;
	struct csession		*hnext;		/* hash chain */
	unsigned		 qlen;		/* 0: no flow control */
	int			 hello;		/* seq-0 hello handled */
	struct mpbuf		 root;		/* chroot prefix, packed */
	int			 chroot;
	LIST_HEAD(, stream)	 streams;
	unsigned		 nstreams;
};

/* One request being handled. */
struct ctx {
	struct csession		*s;
	struct req		*rq;
	int64_t			 seq;
	struct reply		*r;		/* the shared reply buffer */
	struct mpbuf		*path;		/* full path, see ctx_path() */
	struct mpbuf		*relpath;	/* as the client sent it */
	int			 internal;	/* path below the nil root */
	int			 is_write;	/* reply is a write ack */
};

/* Action table flags. */
#define A_WRITE		0x01	/* the reply acknowledges a change */
#define A_INTERNAL	0x02	/* path is relative to the nil subtree */
#define A_STREAM	0x04	/* may open a stream (STREAM_MAX per session) */

struct action {
	const char	*name;
	void		(*fn)(struct ctx *);
	unsigned	 flags;
};

/* The handlers (actions.c, state_act.c, stream.c). */
extern const struct action action_table[];

/*
 * Resolve the request's path into ctx->path (root or nil prefix +
 * path) and ctx->relpath.  0 if good; otherwise an error reply was
 * built (missing: AttributeError('path'), wrong type) and -1 returned.
 * A str path (which the original treats as a path that exists nowhere)
 * gives 1, with ctx->path unusable.
 */
int	ctx_path(struct ctx *);
/* A one-map error reply {error, seq, tock}. */
void	ctx_error(struct ctx *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* An exception as Python's repr: cls('message'), quoted as repr(). */
void	ctx_exc(struct ctx *, const char *cls, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Close the reply map the handler opened: seq, then tock if needed. */
void	ctx_finish(struct ctx *);
/* Integer/flag fields with a default; -1 after an error reply. */
int	ctx_int(struct ctx *, enum req_field, int64_t def, int64_t *);
int	ctx_uint(struct ctx *, enum req_field, int64_t def, int64_t *);
int	ctx_bool(struct ctx *, enum req_field, int *);
/* nchain: a negative one means the whole chain. */
int	ctx_nchain(struct ctx *, int64_t def, int64_t *);
/* The text form of a packed path ("test.one"), into buf. */
void	path_text(struct mpbuf *, const uint8_t *, size_t);
#define PATH_TEXT(b)	((const char *)(b)->data)

/* status: forwarding to the master (state_act.c). */
void	status_forward(struct ctx *);

#endif
