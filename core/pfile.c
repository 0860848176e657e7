/*
 * pfile.c - encode and decode the records of persistence files, apply
 * them to a tree, and load a whole file (format: pfile.h).
 *
 * Entry records are decoded straight from their bytes with the
 * validator's header reader instead of being unpacked: a value is kept
 * exactly as it was stored (no re-encoding on a load/save round trip),
 * and loading a million entries builds no msgpack objects.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/pfile.h"
#include "lib/log.h"
#include "lib/mpval.h"
#include "lib/record.h"

void
pf_header(struct mpbuf *b, const char *kind, const char *node)
{
	msgpack_packer	 pk;
	size_t		 off = rec_begin(b);

	msgpack_packer_init(&pk, b, mpbuf_write);
	msgpack_pack_map(&pk, 4);
	mp_pack_kv_str(&pk, "moat_kv", "state");
	mp_pack_kv_int(&pk, "version", PF_VERSION);
	mp_pack_kv_str(&pk, "kind", kind);
	mp_pack_kv_str(&pk, "node", node);
	(void)rec_end(b, off, REC_HEADER);	/* small: cannot be too big */
}

int
pf_entry(struct mpbuf *b, struct tree *t, const uint8_t *path, size_t plen,
    const struct entry *e)
{
	msgpack_packer	 pk;
	struct chain	 ch = entry_chain(e);
	const uint8_t	*v;
	const char	*name;
	size_t		 off = rec_begin(b), vlen, nlen;
	unsigned	 i;
	int		 hv = entry_has_value(e);

	msgpack_packer_init(&pk, b, mpbuf_write);
	msgpack_pack_map(&pk, 3 + hv);
	mp_pack_str(&pk, "path");
	mp_pack_path(&pk, path, plen);
	if (hv) {
		mp_pack_str(&pk, "value");
		v = entry_value(e, &vlen);
		mpbuf_add(b, v, vlen);
	}
	mp_pack_str(&pk, "chain");
	msgpack_pack_array(&pk, ch.n);
	for (i = 0; i < ch.n; i++) {
		msgpack_pack_array(&pk, 2);
		name = tree_node_name(t, ch.link[i].node, &nlen);
		mp_pack_strn(&pk, name ? name : "", name ? nlen : 0);
		msgpack_pack_uint64(&pk, ch.link[i].tick);
	}
	mp_pack_kv_uint(&pk, "tock", entry_tock(e));
	return rec_end(b, off, REC_DATA);
}

/* One object's header; the buffer was validated, so only bounds matter. */
static int
head(const uint8_t *p, size_t len, size_t *off, struct mpval_head *h)
{
	if (*off >= len || mpval_head(p + *off, len - *off, h, NULL) !=
	    MPVAL_OK)
		return -1;
	*off += h->hlen;
	return 0;
}

static int
parse_chain(const uint8_t *p, size_t len, struct tree *t,
    struct pf_entry *pe, const char **why)
{
	struct mpval_head h;
	size_t		 off = 0;
	uint64_t	 i, n;
	uint32_t	 node;
	const char	*name;

	*why = "chain is not a list of [node, tick]";
	if (head(p, len, &off, &h) == -1 || h.kind != MPV_ARRAY)
		return -1;
	if ((n = h.n) > CHAIN_MAXLEN) {
		*why = "chain too long";
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (head(p, len, &off, &h) == -1 || h.kind != MPV_ARRAY ||
		    h.n != 2 || head(p, len, &off, &h) == -1 ||
		    h.kind != MPV_STR || off + h.n > len)
			return -1;
		name = (const char *)p + off;
		off += h.n;
		if ((node = tree_node_intern(t, name, h.n)) == NODE_NONE ||
		    node > NODE_MAX) {
			*why = "too many node names";
			return -1;
		}
		if (head(p, len, &off, &h) == -1 || h.kind != MPV_UINT)
			return -1;
		off += (size_t)h.n;	/* a tick >= 128 has payload bytes */
		pe->link[i].node = (uint16_t)node;
		pe->link[i].tick = h.v.u;
	}
	pe->nlink = (unsigned)n;
	return 0;
}

static int
key_is(const uint8_t *k, size_t klen, const char *s)
{
	return klen == strlen(s) && memcmp(k, s, klen) == 0;
}

int
pf_parse_entry(const uint8_t *p, size_t len, struct tree *t,
    struct mpbuf *pathbuf, struct pf_entry *pe, const char **why)
{
	struct mpval_head h, ph;
	const uint8_t	*k, *pathp = NULL, *chainp = NULL;
	size_t		 off = 0, vl, pathl = 0, chainl = 0, ko;
	uint64_t	 i, n;

	if (head(p, len, &off, &h) == -1 || h.kind != MPV_MAP)
		return 0;
	pe->path = pe->value = NULL;
	pe->plen = pe->vlen = 0;
	pe->nlink = 0;
	pe->tock = 0;
	n = h.n;
	for (i = 0; i < n; i++) {
		ko = off;
		if (head(p, len, &off, &h) == -1 || h.kind != MPV_STR) {
			*why = "record key is not a string";
			return -1;
		}
		k = p + off;
		off = ko + mpval_skip(p + ko, len - ko);
		if ((vl = mpval_skip(p + off, len - off)) == 0) {
			*why = "truncated record";
			return -1;
		}
		if (key_is(k, h.n, "path")) {
			pathp = p + off;
			pathl = vl;
		} else if (key_is(k, h.n, "value")) {
			pe->value = p + off;
			pe->vlen = vl;
		} else if (key_is(k, h.n, "chain")) {
			chainp = p + off;
			chainl = vl;
		} else if (key_is(k, h.n, "tock")) {
			ko = off;
			if (head(p, len, &ko, &ph) == -1 ||
			    ph.kind != MPV_UINT) {
				*why = "tock is not a number";
				return -1;
			}
			pe->tock = ph.v.u;
		}
		off += vl;
	}
	if (pathp == NULL)
		return 0;
	ko = 0;
	if (head(pathp, pathl, &ko, &ph) == -1 || ph.kind != MPV_EXT ||
	    ph.exttype != MP_EXT_PATH) {
		*why = "path is not a Path";
		return -1;
	}
	if (mp_path_from_packed(pathp + ko, (size_t)ph.n, pathbuf, why) == -1)
		return -1;
	pe->path = pathbuf->data;
	pe->plen = pathbuf->len;
	if (chainp != NULL && parse_chain(chainp, chainl, t, pe, why) == -1)
		return -1;
	return 1;
}

int
pf_wins(struct tree *t, const struct pf_entry *pe)
{
	struct chain	 ch = { pe->link, pe->nlink }, cur;
	struct entry	*e;
	enum chain_rel	 rel;

	if ((e = tree_lookup(t, pe->path, pe->plen)) == NULL)
		return 1;
	cur = entry_chain(e);
	rel = chain_cmp(ch, cur);
	if (rel == CHAIN_OLDER || (rel == CHAIN_SAME && cur.n > 0))
		return 0;
	if (rel == CHAIN_CONFLICT && chain_tiebreak(ch, cur, tree_nodes(t)) <= 0)
		return 0;
	return 1;
}

int
pf_apply(struct tree *t, const struct pf_entry *pe)
{
	struct chain	 ch = { pe->link, pe->nlink };
	struct entry	*e;

	if (!pf_wins(t, pe))
		return 0;
	if ((e = tree_lookup_create(t, pe->path, pe->plen)) == NULL ||
	    entry_update(t, &e, pe->value, pe->vlen, ch, pe->tock) == -1)
		return -1;
	return 1;
}

static int
state_map(const msgpack_object *m, const char *set, pf_state_fn fn,
    void *arg, const char **why)
{
	struct ranges	 rs = RANGES_INITIALIZER;
	const msgpack_object_kv *kv;
	uint64_t	 tick;
	uint32_t	 i;
	int		 rc = 0;

	if (m == NULL)
		return 0;
	if (m->type != MSGPACK_OBJECT_MAP) {
		*why = "state record set is not a map";
		return -1;
	}
	for (i = 0; i < m->via.map.size && rc == 0; i++) {
		kv = &m->via.map.ptr[i];
		if (kv->key.type != MSGPACK_OBJECT_STR) {
			*why = "node name is not a string";
			rc = -1;
		} else if (strcmp(set, "nodes") == 0) {
			if (kv->val.type == MSGPACK_OBJECT_NIL)
				continue;	/* a node without a tick */
			if (mp_get_uint64(&kv->val, &tick) == -1) {
				*why = "tick is not a number";
				rc = -1;
			} else
				rc = fn(set, kv->key.via.str.ptr,
				    kv->key.via.str.size, tick, NULL, arg);
		} else if (ranges_parse(&rs, &kv->val) == -1) {
			*why = "bad tick ranges";
			rc = -1;
		} else
			rc = fn(set, kv->key.via.str.ptr,
			    kv->key.via.str.size, 0, &rs, arg);
	}
	ranges_free(&rs);
	return rc;
}

int
pf_parse_state(const msgpack_object *o, pf_state_fn fn, void *arg,
    uint64_t *tock, const char **why)
{
	static const char *const sets[] = { "nodes", "known", "deleted" };
	const msgpack_object *t;
	size_t		 i;
	int		 rc;

	*tock = 0;
	if ((t = mp_map_get(o, "tock")) != NULL &&
	    mp_get_uint64(t, tock) == -1) {
		*why = "tock is not a number";
		return -1;
	}
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
		if ((rc = state_map(mp_map_get(o, sets[i]), sets[i], fn, arg,
		    why)) != 0)
			return rc;
	return 0;
}
