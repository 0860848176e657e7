/*
 * reply.h - building client replies without re-encoding anything.
 *
 * A reply buffer collects one or more complete MsgPack maps for one
 * client; core sends it to netd as one CLIENT_REPLY frame.  Each map is
 * opened with rep_begin(), which reserves a map16 header, gets its keys
 * one by one (rep_key() counts them), and is closed with rep_end(),
 * which writes the real header: a fixmap (the server always uses the
 * smallest encoding) by sliding the body back two bytes.  Stored values
 * are copied in as packed bytes with rep_raw().
 *
 * Key order follows the original server: the message's own fields,
 * then seq, then wseq (streams under flow control), then tock unless
 * the message carried its own (rep_finish()).
 *
 * The buffer is reused from request to request, so the hot path
 * allocates nothing once it has grown to its working size.
 */
#ifndef MOAT_REPLY_H
#define MOAT_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/chain.h"
#include "lib/mp.h"

struct reply {
	struct mpbuf	 buf;
	msgpack_packer	 pk;
	size_t		 start;		/* offset of the open map */
	unsigned	 nkeys;
	int		 open;
	int		 has_tock;
};

void	rep_init(struct reply *);
void	rep_free(struct reply *);
void	rep_reset(struct reply *);	/* drop everything, keep memory */

void	rep_begin(struct reply *);
/* Pack a str key; the caller packs its value through r->pk next. */
msgpack_packer *rep_key(struct reply *, const char *);
void	rep_raw(struct reply *, const void *, size_t);
void	rep_str(struct reply *, const char *key, const char *val);
void	rep_int(struct reply *, const char *key, int64_t);
void	rep_uint(struct reply *, const char *key, uint64_t);
void	rep_bool(struct reply *, const char *key, int);
/* "tock": t, marking the message as carrying its own tock. */
void	rep_tock(struct reply *, uint64_t);
/*
 * A chain as nested {node, tick, prev} maps, at most `depth' links;
 * prev is nil after the last link shown.  An empty chain packs nil.
 */
void	rep_chain(struct reply *, const char *key, struct chain,
	    unsigned depth, const struct nodetab *);
/*
 * An entry's first fields in every reply that shows one: value (if it
 * has one), chain (if nchain > 0 and it has one), tock.
 */
struct entry;
void	rep_entry(struct reply *, const struct entry *, unsigned nchain,
	    const struct nodetab *);
/*
 * seq (omitted if !has_seq), wseq (if > 0), then tock unless the map
 * has its own: only then is tockfn called, since every read of the
 * server's tock bumps it (see core_tock_read()).
 */
void	rep_finish(struct reply *, int has_seq, int64_t seq, uint64_t wseq,
	    uint64_t (*tockfn)(void));
/* Close the open map: write its header. */
void	rep_end(struct reply *);

/* Bytes of complete messages so far. */
const uint8_t *rep_data(const struct reply *, size_t *);

#endif

/*
 * get_tree/watch path compression (the original's PathShortener): the
 * item's relative path `p' shares `depth' leading elements with the
 * previous item's (in prev); pack "path": the rest as a plain array and
 * "depth": depth, then make p the new prev.  An empty prev gives
 * depth 0, as for the first item of a stream.
 */
unsigned rep_short_path(struct reply *, struct mpbuf *prev, const uint8_t *p,
	    size_t len);
/*
 * Number of leading elements a and b share; *boff is the byte offset
 * in b after them.
 */
unsigned path_common(const uint8_t *a, size_t alen, const uint8_t *b,
	    size_t blen, size_t *boff);

/* Append fields packed elsewhere (a queued watch item) to the open map. */
void	rep_fields(struct reply *, const uint8_t *, size_t, unsigned nkeys,
	    int has_tock);
