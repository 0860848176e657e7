/*
 * request.c - indexing a client request (see request.h).
 */
#include <string.h>

#include "core/request.h"
#include "lib/mpval.h"

static const char *const names[F_MAX] = {
	[F_SEQ] = "seq", [F_ACTION] = "action", [F_PATH] = "path",
	[F_VALUE] = "value", [F_PREV] = "prev", [F_CHAIN] = "chain",
	[F_NCHAIN] = "nchain", [F_IDEM] = "idem", [F_STATE] = "state",
	[F_ACK] = "ack", [F_QLEN] = "qlen", [F_TASK] = "task",
	[F_MIN_DEPTH] = "min_depth", [F_MAX_DEPTH] = "max_depth",
	[F_EMPTY] = "empty", [F_FETCH] = "fetch", [F_WITH_DATA] = "with_data",
	[F_NODE] = "node", [F_TICK] = "tick", [F_WSEQ] = "wseq",
	[F_NODES] = "nodes", [F_KNOWN] = "known",
	[F_SUPERSEDED] = "superseded", [F_PRESENT] = "present",
	[F_DELETED] = "deleted", [F_MISSING] = "missing",
	[F_REMOTE_MISSING] = "remote_missing", [F_CURRENT] = "current",
	[F_DEBUG] = "debug", [F_MODE] = "mode", [F_ACL] = "acl",
	[F_TOPIC] = "topic", [F_DATA] = "data", [F_RAW] = "raw",
};

const char *
req_field_name(enum req_field f)
{
	return f < F_MAX ? names[f] : "?";
}

/* Linear, but on first byte and length first: ~30 names, ~5 keys. */
static int
lookup(const char *k, size_t len)
{
	static uint8_t	 lens[F_MAX];
	int		 i;

	if (lens[0] == 0)
		for (i = 0; i < F_MAX; i++)
			lens[i] = (uint8_t)strlen(names[i]);
	if (len == 0)
		return -1;
	for (i = 0; i < F_MAX; i++)
		if (lens[i] == len && names[i][0] == k[0] &&
		    memcmp(names[i], k, len) == 0)
			return i;
	return -1;
}

/*
 * Key i and value i of the map start at off; their lengths, from the
 * validator's index if it has them all, else by walking.
 */
static int
item_len(const uint8_t *data, size_t len, const struct mpval_index *ix,
    uint32_t i, size_t off, size_t *klen, size_t *vlen)
{
	if (ix != NULL) {
		*klen = ix->off[2 * i + 1] - off;
		*vlen = (2 * i + 2 < ix->n ? ix->off[2 * i + 2] : len) - off -
		    *klen;
		return 0;
	}
	*klen = mpval_skip(data + off, len - off);
	*vlen = *klen ? mpval_skip(data + off + *klen, len - off - *klen) : 0;
	return *vlen == 0 ? -1 : 0;	/* cannot happen after validation */
}

int
req_parse(struct req *r, const msgpack_object *o, const uint8_t *data,
    size_t len)
{
	return req_parse_index(r, o, data, len, NULL);
}

int
req_parse_index(struct req *r, const msgpack_object *o, const uint8_t *data,
    size_t len, const struct mpval_index *ix)
{
	struct mpval_head h;
	const msgpack_object_kv *kv;
	size_t		 off, klen, vlen;
	uint32_t	 i;
	int		 f;

	memset(r, 0, sizeof(*r));
	r->obj = o;
	if (o->type != MSGPACK_OBJECT_MAP ||
	    mpval_head(data, len, &h, NULL) != MPVAL_OK || h.kind != MPV_MAP)
		return -1;
	if (ix != NULL && (ix->n != 2 * (size_t)o->via.map.size ||
	    ix->n > MPVAL_INDEX_MAX))
		ix = NULL;	/* not all noted: walk */
	off = h.hlen;
	for (i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		if (item_len(data, len, ix, i, off, &klen, &vlen) == -1)
			return -1;
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    (f = lookup(kv->key.via.str.ptr, kv->key.via.str.size)) >= 0) {
			r->f[f] = &kv->val;
			r->raw[f] = data + off + klen;
			r->rawlen[f] = vlen;
		}
		off += klen + vlen;
	}
	return 0;
}

int
req_has(const struct req *r, enum req_field f)
{
	return r->f[f] != NULL;
}

enum req_rc
req_int(const struct req *r, enum req_field f, int64_t *v)
{
	const msgpack_object *o = r->f[f];

	if (o == NULL)
		return REQ_ABSENT;
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER) {
		if (o->via.u64 > INT64_MAX)
			return REQ_BADTYPE;
		*v = (int64_t)o->via.u64;
		return REQ_OK;
	}
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return REQ_OK;
	}
	return REQ_BADTYPE;
}

enum req_rc
req_bool(const struct req *r, enum req_field f, int *v)
{
	const msgpack_object *o = r->f[f];

	if (o == NULL)
		return REQ_ABSENT;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		*v = 0;
		return REQ_OK;
	case MSGPACK_OBJECT_BOOLEAN:
		*v = o->via.boolean;
		return REQ_OK;
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = o->via.u64 != 0;
		return REQ_OK;
	default:
		return REQ_BADTYPE;
	}
}

enum req_rc
req_str(const struct req *r, enum req_field f, const char **s, size_t *len)
{
	const msgpack_object *o = r->f[f];

	if (o == NULL)
		return REQ_ABSENT;
	if (o->type != MSGPACK_OBJECT_STR)
		return REQ_BADTYPE;
	*s = o->via.str.ptr;
	*len = o->via.str.size;
	return REQ_OK;
}

int
req_path(const struct req *r, enum req_field f, struct mpbuf *out,
    const char **why)
{
	const msgpack_object *o = r->f[f];

	mpbuf_reset(out);
	if (o == NULL)
		return REQ_ABSENT;
	if (o->type == MSGPACK_OBJECT_STR)
		return REQ_STRPATH;
	if (mp_path_from_obj(o, out, why) == -1)
		return REQ_BADTYPE;
	return REQ_OK;
}

const char *
req_pytype(const msgpack_object *o)
{
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return "NoneType";
	case MSGPACK_OBJECT_BOOLEAN:
		return "bool";
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		return "int";
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return "float";
	case MSGPACK_OBJECT_STR:
		return "str";
	case MSGPACK_OBJECT_BIN:
		return "bytes";
	case MSGPACK_OBJECT_ARRAY:
		return "tuple";
	case MSGPACK_OBJECT_MAP:
		return "dict";
	default:
		return "ExtType";
	}
}
