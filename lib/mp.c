/*
 * mp.c - small helpers over msgpack-c shared by every moat-kv process.
 *
 * Paths are stored canonically: every element re-encoded the way
 * MoaT-KV's Python side (msgpack-python) packs it - integers and
 * lengths in their smallest encoding, floats as float64.  A path is a
 * tree key and an ACL subject, so a client must not be able to name one
 * node with two byte strings (d5 03 cc 01 for Path(1), say) and slip
 * past a check made on the other.  Canonical input comes out unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"

#define MPBUF_MINCAP	256

void
mpbuf_init(struct mpbuf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
mpbuf_reset(struct mpbuf *b)
{
	b->len = 0;
}

void
mpbuf_free(struct mpbuf *b)
{
	free(b->data);
	mpbuf_init(b);
}

void
mpbuf_add(struct mpbuf *b, const void *p, size_t n)
{
	size_t		 cap;
	uint8_t		*d;

	/* memcpy from NULL is undefined even for 0 bytes */
	if (n == 0)
		return;
	if (n > SIZE_MAX - b->len)
		fatalx("mpbuf: size overflow");
	if (b->len + n > b->cap) {
		cap = b->cap ? b->cap : MPBUF_MINCAP;
		while (cap < b->len + n)
			cap = cap > SIZE_MAX / 2 ? b->len + n : cap * 2;
		if ((d = realloc(b->data, cap)) == NULL)
			fatal("realloc");
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

int
mpbuf_write(void *data, const char *buf, size_t len)
{
	mpbuf_add(data, buf, len);
	return 0;
}

/*
 * The last entry wins for a repeated key, as it does in the Python
 * dict MoaT-KV builds; every process must read a map the same way.
 */
const msgpack_object *
mp_map_get(const msgpack_object *map, const char *key)
{
	const msgpack_object_kv	*kv;
	size_t			 klen;
	uint32_t		 i;

	if (map == NULL || key == NULL || map->type != MSGPACK_OBJECT_MAP)
		return NULL;
	klen = strlen(key);
	for (i = map->via.map.size; i > 0; i--) {
		kv = &map->via.map.ptr[i - 1];
		if (kv->key.type == MSGPACK_OBJECT_STR &&
		    kv->key.via.str.size == klen &&
		    memcmp(kv->key.via.str.ptr, key, klen) == 0)
			return &kv->val;
	}
	return NULL;
}

int
mp_get_int64(const msgpack_object *o, int64_t *v)
{
	if (o == NULL)
		return -1;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER) {
		*v = o->via.i64;
		return 0;
	}
	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    o->via.u64 <= INT64_MAX) {
		*v = (int64_t)o->via.u64;
		return 0;
	}
	return -1;
}

int
mp_get_uint64(const msgpack_object *o, uint64_t *v)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
		return -1;
	*v = o->via.u64;
	return 0;
}

int
mp_get_bool(const msgpack_object *o, int *v)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*v = o->via.boolean ? 1 : 0;
	return 0;
}

int
mp_get_str(const msgpack_object *o, const char **s, size_t *len)
{
	if (o == NULL || o->type != MSGPACK_OBJECT_STR)
		return -1;
	*s = o->via.str.ptr;
	*len = o->via.str.size;
	return 0;
}

char *
mp_strdup(const msgpack_object *o)
{
	const char	*s;
	size_t		 len;
	char		*r;

	if (mp_get_str(o, &s, &len) == -1 ||
	    (len > 0 && memchr(s, '\0', len) != NULL))
		return NULL;
	/* str lengths are 32-bit, so len + 1 cannot wrap */
	if ((r = malloc(len + 1)) == NULL)
		fatal("malloc");
	if (len > 0)
		memcpy(r, s, len);
	r[len] = '\0';
	return r;
}

void
mp_pack_strn(msgpack_packer *pk, const char *s, size_t len)
{
	if (s == NULL) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_str(pk, len);
	msgpack_pack_str_body(pk, s, len);
}

void
mp_pack_str(msgpack_packer *pk, const char *s)
{
	mp_pack_strn(pk, s, s ? strlen(s) : 0);
}

void
mp_pack_kv_str(msgpack_packer *pk, const char *key, const char *val)
{
	mp_pack_str(pk, key);
	mp_pack_str(pk, val);
}

void
mp_pack_kv_int(msgpack_packer *pk, const char *key, int64_t val)
{
	mp_pack_str(pk, key);
	msgpack_pack_int64(pk, val);
}

void
mp_pack_kv_uint(msgpack_packer *pk, const char *key, uint64_t val)
{
	mp_pack_str(pk, key);
	msgpack_pack_uint64(pk, val);
}

void
mp_pack_kv_bool(msgpack_packer *pk, const char *key, int val)
{
	mp_pack_str(pk, key);
	if (val)
		msgpack_pack_true(pk);
	else
		msgpack_pack_false(pk);
}

/*
 * Re-pack one validated header (for scalars the whole value) in
 * canonical form.  Payload bytes of str/bin/ext follow unchanged.
 */
static int
canon_one(msgpack_packer *pk, const uint8_t *p, const struct mpval_head *h,
    const char **why)
{
	switch (h->kind) {
	case MPV_NIL:
		return msgpack_pack_nil(pk);
	case MPV_BOOL:
		return h->v.b ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
	case MPV_UINT:
		return msgpack_pack_uint64(pk, h->v.u);
	case MPV_INT:
		/* msgpack_pack_int64 picks uint encodings for v >= 0 */
		return msgpack_pack_int64(pk, h->v.i);
	case MPV_FLOAT:
		return msgpack_pack_double(pk, h->v.f);
	case MPV_STR:
		msgpack_pack_str(pk, h->n);
		return msgpack_pack_str_body(pk, p + h->hlen, h->n);
	case MPV_BIN:
		msgpack_pack_bin(pk, h->n);
		return msgpack_pack_bin_body(pk, p + h->hlen, h->n);
	case MPV_EXT:
		if (h->exttype != MP_EXT_BIGINT)
			break;
		msgpack_pack_ext(pk, h->n, h->exttype);
		return msgpack_pack_ext_body(pk, p + h->hlen, h->n);
	case MPV_ARRAY:
		return msgpack_pack_array(pk, h->n);
	case MPV_MAP:
		break;
	}
	*why = "path element must be nil, bool, int, float, str, bin "
	    "or a tuple of those";
	return -1;
}

int
mp_path_from_packed(const uint8_t *p, size_t len, struct mpbuf *out,
    const char **why)
{
	struct mpval_limits	 lim = mpval_default_limits;
	struct mpval_head	 h;
	msgpack_packer		 pk;
	enum mpval_rc		 rc;
	size_t			 off, n;

	mpbuf_reset(out);
	/*
	 * First make sure every element is a complete, sane object; the
	 * payload's end bounds each one, so MPVAL_MORE cannot happen.
	 */
	for (off = 0; off < len; off += n) {
		lim.max_size = len - off;
		if ((rc = mpval_scan(p + off, len - off, &lim, &n, why)) !=
		    MPVAL_OK) {
			if (rc == MPVAL_MORE)
				*why = "truncated path element";
			return -1;
		}
	}
	/*
	 * ... then walk all headers, tuple contents included, in order;
	 * validated input lets this loop ignore element boundaries.
	 */
	msgpack_packer_init(&pk, out, mpbuf_write);
	for (off = 0; off < len; off += h.hlen +
	    (h.kind == MPV_ARRAY ? 0 : h.n)) {
		if (mpval_head(p + off, len - off, &h, why) != MPVAL_OK ||
		    canon_one(&pk, p + off, &h, why) == -1) {
			mpbuf_reset(out);
			return -1;
		}
	}
	return 0;
}

int
mp_path_from_obj(const msgpack_object *o, struct mpbuf *out,
    const char **why)
{
	struct mpbuf	 tmp;
	msgpack_packer	 pk;
	uint32_t	 i;
	int		 rc;

	if (o != NULL && o->type == MSGPACK_OBJECT_EXT &&
	    o->via.ext.type == MP_EXT_PATH)
		return mp_path_from_packed((const uint8_t *)o->via.ext.ptr,
		    o->via.ext.size, out, why);
	if (o == NULL || o->type != MSGPACK_OBJECT_ARRAY) {
		mpbuf_reset(out);
		*why = "path must be a Path (ext 3) or a list";
		return -1;
	}
	/* Pack, then validate and canonicalise like a received ext 3. */
	mpbuf_init(&tmp);
	msgpack_packer_init(&pk, &tmp, mpbuf_write);
	for (i = 0; i < o->via.array.size; i++)
		msgpack_pack_object(&pk, o->via.array.ptr[i]);
	rc = mp_path_from_packed(tmp.data, tmp.len, out, why);
	mpbuf_free(&tmp);
	return rc;
}

/* Raw bytes into the packer: they are packed msgpack already. */
static void
pack_raw(msgpack_packer *pk, const uint8_t *p, size_t len)
{
	if (len > 0)
		pk->callback(pk->data, (const char *)p, len);
}

void
mp_pack_path(msgpack_packer *pk, const uint8_t *packed, size_t len)
{
	/* msgpack_pack_ext picks fixext for 1/2/4/8/16, else ext8/16/32 */
	msgpack_pack_ext(pk, len, MP_EXT_PATH);
	pack_raw(pk, packed, len);
}

void
mp_pack_path_array(msgpack_packer *pk, const uint8_t *packed, size_t len)
{
	msgpack_pack_array(pk, mp_path_count(packed, len));
	pack_raw(pk, packed, len);
}

int
mp_path_next(const uint8_t *packed, size_t len, size_t *off,
    const uint8_t **elem, size_t *elen)
{
	size_t		 n;

	if (*off >= len)
		return 0;
	if ((n = mpval_skip(packed + *off, len - *off)) == 0)
		return -1;
	*elem = packed + *off;
	*elen = n;
	*off += n;
	return 1;
}

size_t
mp_path_count(const uint8_t *packed, size_t len)
{
	const uint8_t	*e;
	size_t		 off = 0, n = 0, elen;

	while (mp_path_next(packed, len, &off, &e, &elen) == 1)
		n++;
	return n;
}
