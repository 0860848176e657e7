/*
 * batch.c - several `update' messages in one broker message (our
 * extension, see syncd/PROTOCOL.md): {node: sender, updates: [update,
 * ...]} on <root>/update/batch.
 *
 * Each element is byte for byte the payload a single update would
 * carry, so building a batch is packing updates back to back and
 * decoding one is parsing each element with supdate_parse(); a batch of
 * one is sent as the single message itself.  The original subscribes
 * to <root>/update exactly, never to a wildcard, so it never sees a
 * batch (and repairs the ticks it misses with info/missing, as after any
 * loss).  Both bounds are checked when adding and again when decoding.
 */
#include <string.h>

#include "lib/mpval.h"
#include "syncd/msg.h"

/*
 * A batch nests its updates two levels deeper (map, list) within the
 * same depth limit (msgpack-c's 32), so an update nested deeper than
 * this (a long chain, a deep value) travels alone.
 */
#define ELEM_MAX_DEPTH	30

void
sbatch_init(struct sbatch *b)
{
	mpbuf_init(&b->body);
	b->n = 0;
}

void
sbatch_free(struct sbatch *b)
{
	mpbuf_free(&b->body);
	b->n = 0;
}

void
sbatch_reset(struct sbatch *b)
{
	mpbuf_reset(&b->body);
	b->n = 0;
}

int
sbatch_add(struct sbatch *b, const struct supdate *u)
{
	struct mpval_limits lim = mpval_default_limits;
	msgpack_packer	 pk;
	size_t		 old = b->body.len;
	const char	*why;

	if (b->n == SYNC_BATCH_MAX_COUNT)
		return -1;
	msgpack_packer_init(&pk, &b->body, mpbuf_write);
	supdate_pack(u, &pk);
	lim.max_depth = ELEM_MAX_DEPTH;
	lim.max_size = SYNC_BATCH_MAX_BYTES;
	if (b->body.len + SYNC_BATCH_OVERHEAD > SYNC_BATCH_MAX_BYTES ||
	    mpval_check(b->body.data + old, b->body.len - old, &lim,
	    &why) != MPVAL_OK) {
		b->body.len = old;	/* does not fit: take it back */
		return -1;
	}
	b->n++;
	return 0;
}

void
sbatch_pack(const struct sbatch *b, const char *node, size_t nodelen,
    struct mpbuf *out)
{
	msgpack_packer	 pk;

	mpbuf_reset(out);
	msgpack_packer_init(&pk, out, mpbuf_write);
	msgpack_pack_map(&pk, 2);
	mp_pack_str(&pk, "node");
	mp_pack_strn(&pk, node, nodelen);
	mp_pack_str(&pk, "updates");
	msgpack_pack_array(&pk, b->n);
	mpbuf_add(out, b->body.data, b->body.len);
}

int
sbatch_parse(const msgpack_object *o, struct sbatch_in *in, const char **why)
{
	const msgpack_object *u = mp_map_get(o, "updates");

	memset(in, 0, sizeof(*in));
	if (mp_get_str(mp_map_get(o, "node"), &in->node, &in->nodelen) == -1 ||
	    in->nodelen == 0 || in->nodelen > SYNC_NAME_MAX ||
	    memchr(in->node, '\0', in->nodelen) != NULL) {
		*why = "batch without a good node name";
		return -1;
	}
	if (u == NULL || u->type != MSGPACK_OBJECT_ARRAY ||
	    u->via.array.size < 2 ||
	    u->via.array.size > SYNC_BATCH_MAX_COUNT) {
		*why = "batch updates must be a list of 2..256 updates";
		return -1;
	}
	in->item = u->via.array.ptr;
	in->n = u->via.array.size;
	return 0;
}
