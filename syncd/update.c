/*
 * update.c - `update' messages on the broker and the same change as a
 * sync event between core and syncd.
 *
 * On the broker a chain is nested maps {node, tick, prev}; between our
 * processes it is a flat list [[node, tick], ...] (newest first) plus a
 * `trunc' flag, which core can walk without recursion.  Both forms are
 * bounded by CHAIN_MAXLEN links, and a link without a tick (legal only
 * in ping chains) rejects an update.
 */
#include <string.h>

#include "syncd/msg.h"

/*
 * A chain link; with zero_ok, the sender of a re-sent update, whose
 * tick is 0 while it has made no change of its own yet.
 */
static int
get_link2(const msgpack_object *node, const msgpack_object *tick,
    struct slink *l, int zero_ok, const char **why)
{
	if (mp_get_str(node, &l->node, &l->nodelen) == -1 ||
	    l->nodelen == 0 || l->nodelen > SYNC_NAME_MAX ||
	    memchr(l->node, '\0', l->nodelen) != NULL) {
		*why = "bad node name in chain";
		return -1;
	}
	if (mp_get_uint64(tick, &l->tick) == -1 || (l->tick == 0 && !zero_ok)) {
		*why = "bad tick in chain";
		return -1;
	}
	return 0;
}

static int
get_link(const msgpack_object *node, const msgpack_object *tick,
    struct slink *l, const char **why)
{
	return get_link2(node, tick, l, 0, why);
}

/* Nested {node, tick, prev} maps, iteratively. */
static int
parse_nested(const msgpack_object *o, struct schain *c, const char **why)
{
	const msgpack_object *prev;

	c->n = 0;
	c->trunc = 0;
	for (;;) {
		if (o == NULL || o->type != MSGPACK_OBJECT_MAP) {
			*why = "chain link is not a map";
			return -1;
		}
		if (c->n == CHAIN_MAXLEN) {
			*why = "chain too long";
			return -1;
		}
		if (get_link(mp_map_get(o, "node"), mp_map_get(o, "tick"),
		    &c->link[c->n], why) == -1)
			return -1;
		c->n++;
		if ((prev = mp_map_get(o, "prev")) == NULL) {
			c->trunc = 1;
			return 0;
		}
		if (prev->type == MSGPACK_OBJECT_NIL)
			return 0;
		o = prev;
	}
}

static int
get_path(const msgpack_object *o, struct supdate *u, struct mpbuf *pb,
    const char **why)
{
	if (mp_path_from_obj(o, pb, why) == -1)
		return -1;
	u->path = pb->data;
	u->pathlen = pb->len;
	return 0;
}

int
supdate_parse(const msgpack_object *o, struct supdate *u, struct mpbuf *pb,
    const char **why)
{
	const msgpack_object *chain = mp_map_get(o, "chain");
	struct slink	 src;

	memset(u, 0, sizeof(*u));
	if (get_path(mp_map_get(o, "path"), u, pb, why) == -1)
		return -1;
	if (mp_get_uint64(mp_map_get(o, "tock"), &u->tock) == -1) {
		*why = "update without tock";
		return -1;
	}
	u->value = mp_map_get(o, "value");
	if (chain == NULL)
		return parse_nested(o, &u->chain, why);
	/* a re-sent entry: the chain is separate, node/tick the sender */
	if (parse_nested(chain, &u->chain, why) == -1 ||
	    get_link2(mp_map_get(o, "node"), mp_map_get(o, "tick"), &src,
	    1, why) == -1)
		return -1;
	u->resend = 1;
	u->src = src.node;
	u->srclen = src.nodelen;
	u->srctick = src.tick;
	return 0;
}

int
supdate_parse_item(const msgpack_object *o, const uint8_t *path,
    size_t pathlen, struct supdate *u, const char **why)
{
	memset(u, 0, sizeof(*u));
	if (mp_get_uint64(mp_map_get(o, "tock"), &u->tock) == -1) {
		*why = "tree item without tock";
		return -1;
	}
	if (parse_nested(mp_map_get(o, "chain"), &u->chain, why) == -1)
		return -1;
	u->path = path;
	u->pathlen = pathlen;
	u->value = mp_map_get(o, "value");
	return 0;
}

/* Links from..n-1 as nested maps; the last one's prev says the end. */
static void
pack_nested(msgpack_packer *pk, const struct schain *c, unsigned from)
{
	unsigned	 i;

	for (i = from; i < c->n; i++) {
		int last = i + 1 == c->n;

		msgpack_pack_map(pk, last && c->trunc ? 2 : 3);
		mp_pack_str(pk, "node");
		mp_pack_strn(pk, c->link[i].node, c->link[i].nodelen);
		mp_pack_kv_uint(pk, "tick", c->link[i].tick);
		if (last && c->trunc)
			return;
		mp_pack_str(pk, "prev");
		if (last)
			msgpack_pack_nil(pk);
	}
}

void
supdate_pack(const struct supdate *u, msgpack_packer *pk)
{
	const struct slink *head = &u->chain.link[0];
	int		 trunc_head = u->chain.n == 1 && u->chain.trunc;

	if (u->resend) {
		msgpack_pack_map(pk, 5 + (u->value != NULL));
		if (u->value) {
			mp_pack_str(pk, "value");
			msgpack_pack_object(pk, *u->value);
		}
		mp_pack_str(pk, "chain");
		pack_nested(pk, &u->chain, 0);
		mp_pack_kv_uint(pk, "tock", u->tock);
		mp_pack_str(pk, "path");
		mp_pack_path(pk, u->path, u->pathlen);
		mp_pack_str(pk, "node");
		mp_pack_strn(pk, u->src, u->srclen);
		mp_pack_kv_uint(pk, "tick", u->srctick);
		return;
	}
	msgpack_pack_map(pk, 4 + !trunc_head + (u->value != NULL));
	mp_pack_str(pk, "node");
	mp_pack_strn(pk, head->node, head->nodelen);
	mp_pack_kv_uint(pk, "tick", head->tick);
	if (!trunc_head) {
		mp_pack_str(pk, "prev");
		if (u->chain.n == 1)
			msgpack_pack_nil(pk);
		else
			pack_nested(pk, &u->chain, 1);
	}
	mp_pack_str(pk, "path");
	mp_pack_path(pk, u->path, u->pathlen);
	if (u->value) {
		mp_pack_str(pk, "value");
		msgpack_pack_object(pk, *u->value);
	}
	mp_pack_kv_uint(pk, "tock", u->tock);
}

/* --- the IPC form ------------------------------------------------ */

static int
parse_pair(const msgpack_object *o, struct slink *l, const char **why)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size != 2) {
		*why = "chain link must be [node, tick]";
		return -1;
	}
	return get_link(&o->via.array.ptr[0], &o->via.array.ptr[1], l, why);
}

int
supdate_parse_ipc(const msgpack_object *o, struct supdate *u,
    struct mpbuf *pb, const char **why)
{
	const msgpack_object *c = mp_map_get(o, "chain"), *v;
	struct slink	 src;
	uint32_t	 i;

	memset(u, 0, sizeof(*u));
	if (c == NULL || c->type != MSGPACK_OBJECT_ARRAY ||
	    c->via.array.size == 0 || c->via.array.size > CHAIN_MAXLEN) {
		*why = "event chain must be a list of 1..255 links";
		return -1;
	}
	for (i = 0; i < c->via.array.size; i++)
		if (parse_pair(&c->via.array.ptr[i], &u->chain.link[i],
		    why) == -1)
			return -1;
	u->chain.n = c->via.array.size;
	if ((v = mp_map_get(o, "trunc")) && mp_get_bool(v, &u->chain.trunc)) {
		*why = "trunc must be a bool";
		return -1;
	}
	if ((v = mp_map_get(o, "path")) == NULL ||
	    v->type != MSGPACK_OBJECT_BIN ||
	    mp_path_from_packed((const uint8_t *)v->via.bin.ptr,
	    v->via.bin.size, pb, why) == -1) {
		if (v == NULL || v->type != MSGPACK_OBJECT_BIN)
			*why = "event path must be a packed path (bin)";
		return -1;
	}
	u->path = pb->data;
	u->pathlen = pb->len;
	if (mp_get_uint64(mp_map_get(o, "tock"), &u->tock) == -1) {
		*why = "event without tock";
		return -1;
	}
	u->value = mp_map_get(o, "value");
	if ((v = mp_map_get(o, "resend")) == NULL)
		return 0;
	if (v->type != MSGPACK_OBJECT_ARRAY || v->via.array.size != 2) {
		*why = "resend must be [node, tick]";
		return -1;
	}
	if (get_link2(&v->via.array.ptr[0], &v->via.array.ptr[1], &src, 1,
	    why) == -1)
		return -1;
	u->resend = 1;
	u->src = src.node;
	u->srclen = src.nodelen;
	u->srctick = src.tick;
	return 0;
}

void
supdate_pack_ipc(const struct supdate *u, msgpack_packer *pk)
{
	unsigned	 i;

	msgpack_pack_map(pk, 3 + u->chain.trunc + (u->value != NULL) +
	    u->resend);
	mp_pack_str(pk, "chain");
	msgpack_pack_array(pk, u->chain.n);
	for (i = 0; i < u->chain.n; i++) {
		msgpack_pack_array(pk, 2);
		mp_pack_strn(pk, u->chain.link[i].node,
		    u->chain.link[i].nodelen);
		msgpack_pack_uint64(pk, u->chain.link[i].tick);
	}
	if (u->chain.trunc)
		mp_pack_kv_bool(pk, "trunc", 1);
	mp_pack_str(pk, "path");
	msgpack_pack_bin(pk, u->pathlen);
	msgpack_pack_bin_body(pk, u->path, u->pathlen);
	if (u->value) {
		mp_pack_str(pk, "value");
		msgpack_pack_object(pk, *u->value);
	}
	mp_pack_kv_uint(pk, "tock", u->tock);
	if (u->resend) {
		mp_pack_str(pk, "resend");
		msgpack_pack_array(pk, 2);
		mp_pack_strn(pk, u->src, u->srclen);
		msgpack_pack_uint64(pk, u->srctick);
	}
}
