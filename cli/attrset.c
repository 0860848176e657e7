/*
 * attrset.c - apply "set -v/-e/-p SUBPATH VALUE" changes to a value.
 *
 * msgpack-c objects are read-only, so each change re-packs the value:
 * the maps along SUBPATH are copied with one entry replaced, added or
 * left out, everything else is packed as it was.  Keys are matched with
 * msgpack_object_equal(), i.e. by type and content.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attrset.h"
#include "lib/literal.h"
#include "lib/log.h"
#include "lib/pathfmt.h"

static const char *const optname[] = { "-v", "-e", "-p" };

struct change {
	const struct attr_op	*op;
	const msgpack_object	*keys;	/* the subpath's elements */
	uint32_t		 nkeys;
	const msgpack_object	*val;	/* NULL: delete */
	struct mpbuf		 keybuf;	/* what keys point into */
	char			*err;
	size_t			 errlen;
};

static int __attribute__((format(printf, 2, 3)))
ch_fail(struct change *c, const char *fmt, ...)
{
	va_list		 ap;
	char		 msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s '%s' '%s': %s", optname[c->op->kind],
	    c->op->subpath, c->op->value, msg);
	return -1;
}

static int
find_key(const msgpack_object *m, const msgpack_object *key)
{
	uint32_t	 i;

	if (m == NULL)
		return -1;
	for (i = 0; i < m->via.map.size; i++)
		if (msgpack_object_equal(m->via.map.ptr[i].key, *key))
			return (int)i;
	return -1;
}

/*
 * Pack map m (NULL: an empty one) with the change applied at key
 * level `lvl' of the subpath.
 */
static int
pack_changed(msgpack_packer *pk, const msgpack_object *m, uint32_t lvl,
    struct change *c)
{
	const msgpack_object *key = &c->keys[lvl], *child = NULL;
	int		 at = find_key(m, key), last = lvl + 1 == c->nkeys;
	uint32_t	 i, n = m ? m->via.map.size : 0;

	if (at >= 0)
		child = &m->via.map.ptr[at].val;
	if (!last && child != NULL && child->type != MSGPACK_OBJECT_MAP)
		return ch_fail(c, "element %u is not a map", lvl + 1);
	if (c->val == NULL && (at < 0 || !last) && child == NULL) {
		/* deleting what is not there */
		if (m == NULL)
			msgpack_pack_map(pk, 0);
		else
			msgpack_pack_object(pk, *m);
		return 0;
	}
	if (c->val == NULL && last)
		msgpack_pack_map(pk, n - 1);
	else
		msgpack_pack_map(pk, at < 0 ? n + 1 : n);
	for (i = 0; i < n; i++) {
		if ((int)i == at && c->val == NULL && last)
			continue;
		msgpack_pack_object(pk, m->via.map.ptr[i].key);
		if ((int)i != at)
			msgpack_pack_object(pk, m->via.map.ptr[i].val);
		else if (last)
			msgpack_pack_object(pk, *c->val);
		else if (pack_changed(pk, child, lvl + 1, c) == -1)
			return -1;
	}
	if (at >= 0)
		return 0;
	msgpack_pack_object(pk, *key);
	if (last)
		msgpack_pack_object(pk, *c->val);
	else
		return pack_changed(pk, NULL, lvl + 1, c);
	return 0;
}

/* The change's value, packed into buf; 0 if it is "delete". */
static int
change_value(struct change *c, struct mpbuf *buf)
{
	msgpack_packer	 pk;
	struct mpbuf	 path;
	char		 msg[200];
	int		 rc;

	msgpack_packer_init(&pk, buf, mpbuf_write);
	switch (c->op->kind) {
	case ATTR_STR:
		mp_pack_str(&pk, c->op->value);
		return 1;
	case ATTR_EVAL:
		if (strcmp(c->op->value, "-") == 0)
			return 0;
		if (literal_eval(c->op->value, &pk, msg, sizeof(msg)) == -1)
			return ch_fail(c, "%s", msg);
		return 1;
	case ATTR_PATH:
		mpbuf_init(&path);
		if ((rc = pathfmt_parse(c->op->value, &path, msg,
		    sizeof(msg))) == 0)
			mp_pack_path(&pk, path.data, path.len);
		mpbuf_free(&path);
		return rc == -1 ? ch_fail(c, "%s", msg) : 1;
	}
	return ch_fail(c, "unknown change");
}

/* Unpack buf (which we packed ourselves) into u. */
static const msgpack_object *
unpack(msgpack_unpacked *u, const struct mpbuf *buf)
{
	size_t		 off = 0;

	if (msgpack_unpack_next(u, (const char *)buf->data, buf->len, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		fatalx("attrset: cannot unpack what was packed");
	return &u->data;
}

/* The subpath's elements as one array object in u. */
static int
subpath_keys(struct change *c, msgpack_unpacked *u)
{
	struct mpbuf	 path;
	msgpack_packer	 pk;
	char		 msg[200];

	mpbuf_init(&path);
	if (pathfmt_parse(c->op->subpath, &path, msg, sizeof(msg)) == -1) {
		mpbuf_free(&path);
		return ch_fail(c, "%s", msg);
	}
	msgpack_packer_init(&pk, &c->keybuf, mpbuf_write);
	mp_pack_path_array(&pk, path.data, path.len);
	mpbuf_free(&path);
	/* the objects point into keybuf: it lives as long as c */
	c->keys = unpack(u, &c->keybuf)->via.array.ptr;
	c->nkeys = u->data.via.array.size;
	return 0;
}

/* Apply one change to cur (NULL: no value); the result goes to out. */
static int
apply_one(struct change *c, const msgpack_object *cur, struct mpbuf *out)
{
	msgpack_unpacked uk;
	msgpack_packer	 pk;
	struct mpbuf	 vbuf;
	msgpack_unpacked uv;
	int		 rc;

	msgpack_unpacked_init(&uk);
	msgpack_unpacked_init(&uv);
	mpbuf_init(&vbuf);
	if ((rc = subpath_keys(c, &uk)) == 0 &&
	    (rc = change_value(c, &vbuf)) != -1) {
		c->val = rc == 1 ? unpack(&uv, &vbuf) : NULL;
		mpbuf_reset(out);
		msgpack_packer_init(&pk, out, mpbuf_write);
		if (c->nkeys == 0) {
			if (c->val != NULL)
				msgpack_pack_object(&pk, *c->val);
			rc = c->val != NULL;
		} else
			rc = pack_changed(&pk, cur != NULL &&
			    cur->type == MSGPACK_OBJECT_MAP ? cur : NULL, 0,
			    c) == -1 ? -1 : 1;
	}
	msgpack_unpacked_destroy(&uk);
	msgpack_unpacked_destroy(&uv);
	mpbuf_free(&vbuf);
	mpbuf_free(&c->keybuf);
	return rc;
}

int
attrset_apply(const msgpack_object *old, const struct attr_op *ops,
    size_t nops, struct mpbuf *out, char *err, size_t errlen)
{
	struct change	 c;
	struct mpbuf	 cur;
	msgpack_unpacked u;
	msgpack_packer	 pk;
	int		 kind, has = old != NULL, whole = 0, rc = 0;
	size_t		 i, done = 0;

	mpbuf_init(&cur);
	msgpack_unpacked_init(&u);
	if (old != NULL) {
		msgpack_packer_init(&pk, &cur, mpbuf_write);
		msgpack_pack_object(&pk, *old);
	}
	for (kind = ATTR_STR; kind <= ATTR_PATH && rc != -1; kind++) {
		for (i = 0; i < nops && rc != -1; i++) {
			if ((int)ops[i].kind != kind)
				continue;
			memset(&c, 0, sizeof(c));
			c.op = &ops[i];
			mpbuf_init(&c.keybuf);
			c.err = err;
			c.errlen = errlen;
			/* ":" is the empty path: no dot, so this is exact */
			if (whole || (done > 0 &&
			    strcmp(ops[i].subpath, ":") == 0)) {
				rc = ch_fail(&c, "replacing the whole value "
				    "conflicts with other changes");
				break;
			}
			whole = strcmp(ops[i].subpath, ":") == 0;
			rc = apply_one(&c, has ? unpack(&u, &cur) : NULL, out);
			if (rc == -1)
				break;
			has = rc;
			mpbuf_reset(&cur);
			if (has)
				mpbuf_add(&cur, out->data, out->len);
			done++;
		}
	}
	msgpack_unpacked_destroy(&u);
	if (rc != -1) {
		mpbuf_reset(out);
		if (has)
			mpbuf_add(out, cur.data, cur.len);
		rc = has;
	}
	mpbuf_free(&cur);
	return rc;
}
