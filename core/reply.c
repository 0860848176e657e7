/*
 * reply.c - the client reply builder (see reply.h).
 */
#include <string.h>

#include "core/reply.h"
#include "core/tree.h"
#include "lib/log.h"

void
rep_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	mpbuf_init(&r->buf);
	msgpack_packer_init(&r->pk, &r->buf, mpbuf_write);
}

void
rep_free(struct reply *r)
{
	mpbuf_free(&r->buf);
}

void
rep_reset(struct reply *r)
{
	mpbuf_reset(&r->buf);
	r->open = 0;
}

void
rep_begin(struct reply *r)
{
	static const uint8_t map16[3] = { 0xde, 0, 0 };

	if (r->open)
		fatalx("rep_begin: a map is open");
	r->start = r->buf.len;
	mpbuf_add(&r->buf, map16, sizeof(map16));
	r->nkeys = 0;
	r->has_tock = 0;
	r->open = 1;
}

msgpack_packer *
rep_key(struct reply *r, const char *key)
{
	r->nkeys++;
	mp_pack_str(&r->pk, key);
	return &r->pk;
}

void
rep_raw(struct reply *r, const void *p, size_t len)
{
	mpbuf_add(&r->buf, p, len);
}

void
rep_str(struct reply *r, const char *key, const char *val)
{
	mp_pack_str(rep_key(r, key), val);
}

void
rep_int(struct reply *r, const char *key, int64_t v)
{
	msgpack_pack_int64(rep_key(r, key), v);
}

void
rep_uint(struct reply *r, const char *key, uint64_t v)
{
	msgpack_pack_uint64(rep_key(r, key), v);
}

void
rep_bool(struct reply *r, const char *key, int v)
{
	if (v)
		msgpack_pack_true(rep_key(r, key));
	else
		msgpack_pack_false(rep_key(r, key));
}

void
rep_tock(struct reply *r, uint64_t tock)
{
	rep_uint(r, "tock", tock);
	r->has_tock = 1;
}

void
rep_chain(struct reply *r, const char *key, struct chain c, unsigned depth,
    const struct nodetab *tab)
{
	const char	*name;
	size_t		 len;
	unsigned	 i, n = c.n < depth ? c.n : depth;

	rep_key(r, key);
	for (i = 0; i < n; i++) {
		if ((name = nodetab_name(tab, c.link[i].node, &len)) == NULL)
			name = "", len = 0;
		msgpack_pack_map(&r->pk, 3);
		mp_pack_str(&r->pk, "node");
		mp_pack_strn(&r->pk, name, len);
		mp_pack_str(&r->pk, "tick");
		msgpack_pack_uint64(&r->pk, c.link[i].tick);
		mp_pack_str(&r->pk, "prev");
	}
	msgpack_pack_nil(&r->pk);
}

void
rep_finish(struct reply *r, int has_seq, int64_t seq, uint64_t wseq,
    uint64_t (*tockfn)(void))
{
	if (has_seq)
		rep_int(r, "seq", seq);
	if (wseq > 0)
		rep_uint(r, "wseq", wseq);
	if (!r->has_tock)
		rep_tock(r, tockfn());
	rep_end(r);
}

void
rep_end(struct reply *r)
{
	uint8_t		*h = r->buf.data + r->start;
	size_t		 body = r->buf.len - r->start - 3;

	if (!r->open)
		fatalx("rep_end: no open map");
	r->open = 0;
	if (r->nkeys < 16) {
		h[0] = 0x80 | r->nkeys;
		memmove(h + 1, h + 3, body);
		r->buf.len -= 2;
		return;
	}
	h[1] = r->nkeys >> 8;
	h[2] = r->nkeys & 0xff;
}

const uint8_t *
rep_data(const struct reply *r, size_t *len)
{
	*len = r->open ? r->start : r->buf.len;
	return r->buf.data;
}

unsigned
path_common(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
    size_t *boff)
{
	const uint8_t	*ea, *eb;
	size_t		 oa = 0, ob = 0, la, lb, keep = 0;
	unsigned	 n = 0;

	while (mp_path_next(a, alen, &oa, &ea, &la) == 1 &&
	    mp_path_next(b, blen, &ob, &eb, &lb) == 1) {
		if (la != lb || memcmp(ea, eb, la) != 0)
			break;
		keep = ob;
		n++;
	}
	*boff = keep;
	return n;
}

unsigned
rep_short_path(struct reply *r, struct mpbuf *prev, const uint8_t *p,
    size_t len)
{
	size_t		 off;
	unsigned	 depth;

	depth = path_common(prev->data, prev->len, p, len, &off);
	rep_key(r, "path");
	mp_pack_path_array(&r->pk, p + off, len - off);
	rep_uint(r, "depth", depth);
	mpbuf_reset(prev);
	mpbuf_add(prev, p, len);
	return depth;
}

void
rep_fields(struct reply *r, const uint8_t *p, size_t len, unsigned nkeys,
    int has_tock)
{
	mpbuf_add(&r->buf, p, len);
	r->nkeys += nkeys;
	if (has_tock)
		r->has_tock = 1;
}

void
rep_entry(struct reply *r, const struct entry *e, unsigned nchain,
    const struct nodetab *nodes)
{
	const uint8_t	*v;
	size_t		 vlen;

	if (entry_has_value(e)) {
		v = entry_value(e, &vlen);
		rep_key(r, "value");
		rep_raw(r, v, vlen);
	}
	if (nchain > 0 && entry_chain(e).n > 0)
		rep_chain(r, "chain", entry_chain(e), nchain, nodes);
	rep_tock(r, entry_tock(e));
}
