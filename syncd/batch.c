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
#include <sys/param.h>

#include <string.h>

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

/* Levels of containers in o, counted up to limit + 1 at most. */
static unsigned
depth(const msgpack_object *o, unsigned limit)
{
	unsigned	 d = 0, sub, i, n;

	if (limit == 0 || (o->type != MSGPACK_OBJECT_ARRAY &&
	    o->type != MSGPACK_OBJECT_MAP))
		return o->type == MSGPACK_OBJECT_ARRAY ||
		    o->type == MSGPACK_OBJECT_MAP;
	n = o->type == MSGPACK_OBJECT_ARRAY ? o->via.array.size :
	    o->via.map.size;
	for (i = 0; i < n && d < limit; i++) {
		if (o->type == MSGPACK_OBJECT_ARRAY)
			sub = depth(&o->via.array.ptr[i], limit - 1);
		else {
			sub = depth(&o->via.map.ptr[i].key, limit - 1);
			if (sub < limit)
				sub = MAX(sub,
				    depth(&o->via.map.ptr[i].val, limit - 1));
		}
		d = MAX(d, sub);
	}
	return 1 + d;
}

/*
 * The nesting of u's single payload: one map per chain link (each the
 * previous one's prev), the value one level below the outer map.
 */
static unsigned
update_depth(const struct supdate *u)
{
	unsigned	 v = u->value ? 1 + depth(u->value, ELEM_MAX_DEPTH) : 1;

	return MAX(u->chain.n, v);
}

int
sbatch_add(struct sbatch *b, const struct supdate *u)
{
	msgpack_packer	 pk;
	size_t		 old = b->body.len;

	if (b->n == SYNC_BATCH_MAX_COUNT || u->resend ||
	    update_depth(u) > ELEM_MAX_DEPTH)
		return -1;
	msgpack_packer_init(&pk, &b->body, mpbuf_write);
	supdate_pack(u, &pk);
	if (b->body.len + SYNC_BATCH_OVERHEAD > SYNC_BATCH_MAX_BYTES) {
		b->body.len = old;	/* does not fit: take it back */
		return -1;
	}
	b->n++;
	return 0;
}

/*
 * Our own batch, back from the broker: its first bytes are the map
 * header, "node" and our name, as sbatch_pack() wrote them.  Compared
 * as bytes, before any validation, to skip decoding a whole batch for
 * nothing.
 */
int
sbatch_is_own(const uint8_t *p, size_t len, const char *node,
    size_t nodelen)
{
	static const uint8_t head[] = { 0x82, 0xa4, 'n', 'o', 'd', 'e' };
	size_t		 hl = sizeof(head);

	if (nodelen > 255 || len < hl + 2 + nodelen ||
	    memcmp(p, head, hl) != 0)
		return 0;
	p += hl;
	if (nodelen < 32) {
		if (p[0] != (0xa0 | nodelen))
			return 0;
		return memcmp(p + 1, node, nodelen) == 0;
	}
	return p[0] == 0xd9 && p[1] == nodelen &&
	    memcmp(p + 2, node, nodelen) == 0;
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
