/*
 * actions.c - the single-reply data actions: get_value, set_value,
 * delete_value, delete_tree, enum and their nil-subtree twins.
 *
 * Replies follow the original server field by field (see
 * ORIGINAL-ON-THE-WIRE.md): values are copied as stored, packed; the
 * error texts are the original's exception reprs.  Values compare as
 * packed bytes (clients encode canonically, so equal values are equal
 * bytes).  get_value by node and tick asks the tree's (node, tick)
 * index (tree_find_event(), built by the first such request) instead
 * of walking the tree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/msgpass.h"
#include "core/session.h"
#include "core/stream.h"
#include "lib/log.h"
#include "lib/pathfmt.h"

static struct mpbuf	 txt1, txt2, txt3;

/* The request's path as text, for error messages only (it allocates). */
static const char *
req_path_text(struct ctx *c)
{
	path_text(&txt3, c->relpath->data, c->relpath->len);
	return PATH_TEXT(&txt3);
}

/* Python's repr of a packed value; NotGiven for none. */
static const char *
value_repr(struct mpbuf *out, const uint8_t *p, size_t len)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	size_t		 off = 0;

	mpbuf_reset(out);
	if (p == NULL) {
		mpbuf_add(out, "NotGiven", 9);
		return (const char *)out->data;
	}
	msgpack_zone_init(&zone, 256);
	if (msgpack_unpack((const char *)p, len, &off, &zone, &o) !=
	    MSGPACK_UNPACK_SUCCESS || pathfmt_repr(out, &o) == -1) {
		mpbuf_reset(out);
		mpbuf_add(out, "<value>", 7);
	}
	msgpack_zone_destroy(&zone);
	mpbuf_add(out, "", 1);
	return (const char *)out->data;
}

/* <NodeEvent a:3 b:2 (3,)> from links (name, tick). */
static void
chain_repr_add(struct mpbuf *out, const char *name, size_t nlen,
    uint64_t tick, int first)
{
	char	 num[32];

	if (!first)
		mpbuf_add(out, " ", 1);
	mpbuf_add(out, name, nlen);
	snprintf(num, sizeof(num), ":%llu", (unsigned long long)tick);
	mpbuf_add(out, num, strlen(num));
}

static const char *
chain_repr_entry(struct mpbuf *out, struct chain c)
{
	const char	*name;
	size_t		 len;
	unsigned	 i;
	char		 tail[40];

	mpbuf_reset(out);
	mpbuf_add(out, "<NodeEvent ", 11);
	for (i = 0; i < c.n; i++) {
		if ((name = tree_node_name(core.tree, c.link[i].node, &len)) ==
		    NULL)
			name = "?", len = 1;
		chain_repr_add(out, name, len, c.link[i].tick, i == 0);
	}
	snprintf(tail, sizeof(tail), " (%llu,)>", c.n ?
	    (unsigned long long)c.link[0].tick : 0ULL);
	mpbuf_add(out, tail, strlen(tail) + 1);
	return (const char *)out->data;
}

/* The head of a chain the client sent: {node, tick, prev}. */
static int
req_chain_head(const msgpack_object *o, const char **node, size_t *nlen,
    uint64_t *tick)
{
	return mp_get_str(mp_map_get(o, "node"), node, nlen) == -1 ||
	    mp_get_uint64(mp_map_get(o, "tick"), tick) == -1 ? -1 : 0;
}

static const char *
chain_repr_req(struct mpbuf *out, const msgpack_object *o)
{
	const char	*name;
	size_t		 len;
	uint64_t	 tick, head = 0;
	int		 i;
	char		 tail[40];

	mpbuf_reset(out);
	mpbuf_add(out, "<NodeEvent ", 11);
	for (i = 0; i < 256 && o && o->type == MSGPACK_OBJECT_MAP; i++) {
		if (req_chain_head(o, &name, &len, &tick) == -1)
			break;
		if (i == 0)
			head = tick;
		chain_repr_add(out, name, len, tick, i == 0);
		o = mp_map_get(o, "prev");
	}
	snprintf(tail, sizeof(tail), " (%llu,)>", (unsigned long long)head);
	mpbuf_add(out, tail, strlen(tail) + 1);
	return (const char *)out->data;
}

/* The entry's chain head equals (node, tick)? */
static int
chain_head_is(struct chain c, const char *node, size_t nlen, uint64_t tick)
{
	const char	*name;
	size_t		 len;

	if (c.n == 0 || c.link[0].tick != tick)
		return 0;
	name = tree_node_name(core.tree, c.link[0].node, &len);
	return name && len == nlen && memcmp(name, node, nlen) == 0;
}

static void
pack_chain(struct ctx *c, struct entry *e, unsigned nchain)
{
	if (nchain > 0 && entry_chain(e).n > 0)
		rep_chain(c->r, "chain", entry_chain(e), nchain,
		    tree_nodes(core.tree));
}

/* Does the entry hold a value equal to these packed bytes? */
static int
value_is(struct entry *e, const uint8_t *v, size_t vlen)
{
	const uint8_t	*cur;
	size_t		 len;

	if (e == NULL || !entry_has_value(e))
		return 0;
	cur = entry_value(e, &len);
	return len == vlen && memcmp(cur, v, len) == 0;
}

/*
 * get_value by (node, tick): the entry whose chain holds that event,
 * from the tree's (node, tick) index (tree_find_event()), not a walk.
 */
static void
get_by_event(struct ctx *c)
{
	struct entry	*found;
	const char	*node;
	uint8_t		*buf;
	size_t		 nlen, len;
	int64_t		 tick, nchain;
	uint32_t	 idx;

	if (req_str(c->rq, F_NODE, &node, &nlen) != REQ_OK) {
		ctx_error(c, "TypeError('node must be a string')");
		return;
	}
	if (ctx_int(c, F_TICK, -1, &tick) == -1 ||
	    ctx_nchain(c, 0, &nchain) == -1)
		return;
	idx = nodetab_find(tree_nodes(core.tree), node, nlen);
	if (idx == NODE_NONE) {
		ctx_error(c, "KeyError('%.*s')", (int)nlen, node);
		return;
	}
	if ((found = tree_find_event(core.tree, idx, (uint64_t)tick)) == NULL) {
		if (errno == ENOMEM)
			ctx_error(c, "MemoryError()");
		else
			ctx_error(c, "KeyError(%lld)", (long long)tick);
		return;
	}
	rep_begin(c->r);
	rep_entry(c->r, found, (unsigned)nchain, tree_nodes(core.tree));
	len = entry_path(found, NULL, 0);
	if ((buf = malloc(len ? len : 1)) == NULL)
		fatal("malloc");
	entry_path(found, buf, len);
	rep_key(c->r, "path");
	if (c->s->chroot && len >= c->s->root.len &&
	    memcmp(buf, c->s->root.data, c->s->root.len) == 0)
		/* relative to the session's root: a plain array, as the
		   original's sliced path */
		mp_pack_path_array(&c->r->pk, buf + c->s->root.len,
		    len - c->s->root.len);
	else
		mp_pack_path(&c->r->pk, buf, len);
	free(buf);
	ctx_finish(c);
}

static void
act_get_value(struct ctx *c)
{
	struct entry	*e = NULL;
	int64_t		 nchain;
	int		 rc;

	if (req_has(c->rq, F_NODE) && !req_has(c->rq, F_PATH)) {
		get_by_event(c);
		return;
	}
	if ((rc = ctx_path(c)) == -1 ||
	    ctx_nchain(c, 0, &nchain) == -1)
		return;
	if (rc == 0)
		e = tree_lookup(core.tree, c->path->data, c->path->len);
	rep_begin(c->r);
	if (e == NULL) {
		if (nchain > 0)
			msgpack_pack_nil(rep_key(c->r, "chain"));
		ctx_finish(c);
		return;
	}
	rep_entry(c->r, e, (unsigned)nchain, tree_nodes(core.tree));
	ctx_finish(c);
}

/*
 * The checks of set_value/delete_value before anything changes, in the
 * original's order: idem, prev, chain.  Returns 1 if the reply is
 * already complete (idem, error), 0 to go on; *send_prev as the
 * original decides it.
 */
static int
write_checks(struct ctx *c, struct entry *e, const uint8_t *val, size_t vlen,
    unsigned nchain, int *send_prev)
{
	const msgpack_object *ch;
	const char	*node;
	size_t		 nlen, olen;
	const uint8_t	*old = NULL;
	uint64_t	 tick;
	int		 idem, has = e && entry_has_value(e);

	if (ctx_bool(c, F_IDEM, &idem) == -1)
		return 1;
	if (has)
		old = entry_value(e, &olen);
	if (idem && (val ? value_is(e, val, vlen) : !has)) {
		rep_begin(c->r);
		rep_tock(c->r, e ? entry_tock(e) : 0);
		rep_bool(c->r, "changed", 0);
		if (e)
			pack_chain(c, e, nchain);
		ctx_finish(c);
		return 1;
	}
	*send_prev = 1;
	if (req_has(c->rq, F_PREV)) {
		if (!(has ? value_is(e, c->rq->raw[F_PREV],
		    c->rq->rawlen[F_PREV]) : 0)) {
			ctx_exc(c, "ClientError", "Data is %s not %s at %s",
			    value_repr(&txt1, old, olen), value_repr(&txt2,
			    c->rq->raw[F_PREV], c->rq->rawlen[F_PREV]),
			    req_path_text(c));
			return 1;
		}
		*send_prev = 0;
	}
	if ((ch = c->rq->f[F_CHAIN]) != NULL) {
		if (ch->type == MSGPACK_OBJECT_NIL) {
			if (has) {
				ctx_exc(c, "ClientChainError",
				    "Entry already exists at %s",
				    req_path_text(c));
				return 1;
			}
		} else if (req_chain_head(ch, &node, &nlen, &tick) == -1) {
			ctx_error(c, "TypeError('chain must be a map "
			    "{node, tick, prev} or None')");
			return 1;
		} else if (!has) {
			ctx_exc(c, "ClientChainError", "Entry is new at %s",
			    req_path_text(c));
			return 1;
		} else if (!chain_head_is(entry_chain(e), node, nlen, tick)) {
			ctx_exc(c, "ClientChainError", "Chain is %s not %s "
			    "for %s", chain_repr_entry(&txt1, entry_chain(e)),
			    chain_repr_req(&txt2, ch), req_path_text(c));
			return 1;
		}
		*send_prev = 0;
	}
	return 0;
}

static void
do_write(struct ctx *c, const uint8_t *val, size_t vlen)
{
	struct entry	*e;
	const uint8_t	*old;
	size_t		 olen;
	int64_t		 nchain;
	int		 rc, send_prev = 0;

	if ((rc = ctx_path(c)) == -1 ||
	    ctx_nchain(c, 1, &nchain) == -1)
		return;
	if (rc == 1) {
		ctx_error(c, "TypeError('path must be a Path (ext 3) or a "
		    "list, not a str')");
		return;
	}
	e = tree_lookup(core.tree, c->path->data, c->path->len);
	if (write_checks(c, e, val, vlen, (unsigned)nchain, &send_prev))
		return;
	rep_begin(c->r);
	rep_bool(c->r, "changed", val ? !value_is(e, val, vlen) :
	    e != NULL && entry_has_value(e));
	if (send_prev && e && entry_has_value(e)) {
		old = entry_value(e, &olen);
		rep_key(c->r, "prev");
		rep_raw(c->r, old, olen);
	}
	if (core_change_local(c->path->data, c->path->len, &e, val, vlen) ==
	    -1) {
		ctx_error(c, "MemoryError()");
		return;
	}
	pack_chain(c, e, (unsigned)nchain);
	rep_tock(c->r, entry_tock(e));
	ctx_finish(c);
}

static void
act_set_value(struct ctx *c)
{
	if (!req_has(c->rq, F_VALUE)) {
		ctx_exc(c, "ClientError", "Call 'delete_value' if you want to "
		    "clear the value");
		return;
	}
	do_write(c, c->rq->raw[F_VALUE], c->rq->rawlen[F_VALUE]);
}

static void
act_delete_value(struct ctx *c)
{
	if (req_has(c->rq, F_VALUE)) {
		ctx_exc(c, "ClientError", "A deleted entry can't have a value");
		return;
	}
	do_write(c, NULL, 0);
}

/*
 * delete_tree: every entry below gets a deletion, tombstones and bare
 * intermediate entries included, as the original does (its count says
 * so); a big subtree is done in chunks from the event loop.
 */
static void
act_delete_tree(struct ctx *c)
{
	int64_t		 nchain;
	int		 rc;

	if ((rc = ctx_path(c)) == -1 || ctx_nchain(c, 0, &nchain) == -1)
		return;
	if (rc == 0 && c->relpath->len == 0 && !c->internal) {
		ctx_exc(c, "ClientError", "You can't delete the root node");
		return;
	}
	if (rc == 1 || tree_lookup(core.tree, c->path->data,
	    c->path->len) == NULL) {
		rep_begin(c->r);
		rep_bool(c->r, "result", 0);
		ctx_finish(c);
		return;
	}
	stream_delete_tree(c, (unsigned)nchain);
}

/* KeyError(P('a.b')) for the request's path, as the original. */
static const char *
key_error_text(struct ctx *c)
{
	msgpack_object	 o;

	path_text(&txt3, c->relpath->data, c->relpath->len);
	o.type = MSGPACK_OBJECT_STR;
	o.via.str.ptr = PATH_TEXT(&txt3);
	o.via.str.size = strlen(PATH_TEXT(&txt3));
	mpbuf_reset(&txt1);
	mpbuf_add(&txt1, "KeyError(P(", 11);
	(void)pathfmt_repr(&txt1, &o);
	mpbuf_add(&txt1, "))", 3);
	return (const char *)txt1.data;
}

static void
act_enum(struct ctx *c)
{
	struct tree_iter it;
	struct entry	*e, *k;
	const uint8_t	*el, *v;
	size_t		 elen, vlen;
	uint32_t	 n = 0;
	int		 with_data, empty, rc;

	if ((rc = ctx_path(c)) == -1 || ctx_bool(c, F_WITH_DATA,
	    &with_data) == -1 || ctx_bool(c, F_EMPTY, &empty) == -1)
		return;
	if (rc == 1 || (e = tree_lookup(core.tree, c->path->data,
	    c->path->len)) == NULL) {
		if (rc == 1)
			mpbuf_reset(c->relpath);
		ctx_error(c, "%s", key_error_text(c));
		return;
	}
	for (k = entry_child_first(e, &it); k; k = entry_child_next(&it))
		if (empty || entry_has_value(k))
			n++;
	rep_begin(c->r);
	if (with_data)
		msgpack_pack_map(rep_key(c->r, "result"), n);
	else
		msgpack_pack_array(rep_key(c->r, "result"), n);
	for (k = entry_child_first(e, &it); k; k = entry_child_next(&it)) {
		if (!empty && !entry_has_value(k))
			continue;
		el = entry_elem(k, &elen);
		rep_raw(c->r, el, elen);
		if (!with_data)
			continue;
		if (entry_has_value(k)) {
			v = entry_value(k, &vlen);
			rep_raw(c->r, v, vlen);
		} else
			msgpack_pack_nil(&c->r->pk);
	}
	ctx_finish(c);
}

/* Stream options common to get_tree and watch. */
static int
stream_opts(struct ctx *c, struct stream_opts *o)
{
	int64_t		 nchain, mind, maxd;

	memset(o, 0, sizeof(*o));
	if (ctx_nchain(c, 0, &nchain) == -1 ||
	    ctx_uint(c, F_MIN_DEPTH, 0, &mind) == -1 ||
	    ctx_int(c, F_MAX_DEPTH, -1, &maxd) == -1 ||
	    ctx_bool(c, F_EMPTY, &o->empty) == -1 ||
	    ctx_bool(c, F_FETCH, &o->fetch) == -1)
		return -1;
	o->nchain = nchain > CHAIN_MAXLEN ? CHAIN_MAXLEN : (unsigned)nchain;
	o->mindepth = mind > UINT32_MAX - 1 ? UINT32_MAX - 1 : (unsigned)mind;
	o->maxdepth = maxd < 0 || maxd >= UINT32_MAX ? TREE_DEPTH_ANY :
	    (unsigned)maxd;
	return 0;
}

static void
act_get_tree(struct ctx *c)
{
	struct stream_opts o;
	int		 rc;

	if ((rc = ctx_path(c)) == -1 || stream_opts(c, &o) == -1)
		return;
	if (rc == 1) {
		mpbuf_reset(c->relpath);
		stream_error3(c, key_error_text(c));
		return;
	}
	/*
	 * The internal root exists for the original even before anything
	 * is stored below it: an empty stream, not a KeyError.
	 */
	if (!(c->internal && c->relpath->len == 0) &&
	    tree_lookup(core.tree, c->path->data, c->path->len) == NULL) {
		stream_error3(c, key_error_text(c));
		return;
	}
	stream_tree(c, &o);
}

static void
act_watch(struct ctx *c)
{
	struct stream_opts o;
	int		 rc;

	if ((rc = ctx_path(c)) == -1 || stream_opts(c, &o) == -1)
		return;
	if (rc == 1) {
		ctx_error(c, "TypeError('path must be a Path (ext 3) or a "
		    "list, not a str')");
		return;
	}
	stream_watch(c, &o);
}

static void
act_stop(struct ctx *c)
{
	int64_t		 task;

	if (ctx_int(c, F_TASK, -1, &task) == -1)
		return;
	rep_begin(c->r);
	rep_bool(c->r, "result", req_has(c->rq, F_TASK) &&
	    stream_stop(c->s, task));
	ctx_finish(c);
}

void	act_get_state(struct ctx *);
void	act_get_tock(struct ctx *);
void	act_root(struct ctx *);
void	act_test_acl(struct ctx *);
void	act_status(struct ctx *);
void	act_log(struct ctx *);
void	act_save(struct ctx *);
void	act_kill_node(struct ctx *);
void	act_fake_info(struct ctx *);
void	act_fake_info_send(struct ctx *);
void	act_check_deleted(struct ctx *);

const struct action action_table[] = {
	{ "get_value",		act_get_value,		0 },
	{ "set_value",		act_set_value,		A_WRITE },
	{ "delete_value",	act_delete_value,	A_WRITE },
	{ "delete_tree",	act_delete_tree,	A_WRITE | A_STREAM },
	{ "enum",		act_enum,		0 },
	{ "enumerate",		act_enum,		0 },
	{ "get_tree",		act_get_tree,		A_STREAM },
	{ "watch",		act_watch,		A_STREAM },
	{ "stop",		act_stop,		0 },
	{ "get_internal",	act_get_value,		A_INTERNAL },
	{ "set_internal",	act_set_value,		A_INTERNAL | A_WRITE },
	{ "delete_internal",	act_delete_value,	A_INTERNAL | A_WRITE },
	{ "enum_internal",	act_enum,		A_INTERNAL },
	{ "get_tree_internal",	act_get_tree,		A_INTERNAL | A_STREAM },
	{ "get_state",		act_get_state,		0 },
	{ "get_tock",		act_get_tock,		0 },
	{ "root",		act_root,		0 },
	{ "test_acl",		act_test_acl,		0 },
	{ "status",		act_status,		0 },
	{ "log",		act_log,		0 },	/* plog.c */
	{ "save",		act_save,		0 },
	{ "msg_send",		act_msg_send,		0 },	/* msgpass.c */
	{ "msg_monitor",	act_msg_monitor,	A_STREAM },
	{ "kill_node",		act_kill_node,		0 },	/* node_act.c */
	{ "fake_info",		act_fake_info,		0 },
	{ "fake_info_send",	act_fake_info_send,	0 },
	{ "check_deleted",	act_check_deleted,	0 },
	{ NULL,			NULL,			0 }
};
