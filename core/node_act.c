/*
 * node_act.c - client actions about other servers' bookkeeping:
 * kill_node (node_drop), fake_info and fake_info_send (`moatctl
 * internal mark'), check_deleted (a peer's last-change links, the
 * original's way of asking after missed purge rounds).
 *
 * As in the original, they reply with nothing but seq and tock; errors
 * are the original's exception reprs.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/purge.h"
#include "core/session.h"
#include "core/sync.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/log.h"

void	act_kill_node(struct ctx *);
void	act_fake_info(struct ctx *);
void	act_fake_info_send(struct ctx *);
void	act_check_deleted(struct ctx *);

static void
reply_none(struct ctx *c)
{
	rep_begin(c->r);
	rep_tock(c->r, core_tock_read());
	ctx_finish(c);
}

static int
first_tick(uint64_t a, uint64_t b, void *arg)
{
	*(uint64_t *)arg = a;
	return 1;
}

/*
 * Forget a node that no entry here refers to any more, and tell the
 * peers (info node_drop), which do the same if that holds for them.
 */
void
act_kill_node(struct ctx *c)
{
	struct ipc_chan	*ch;
	struct nodeinfo	*n;
	msgpack_packer	*pk;
	const char	*name;
	size_t		 len;
	uint32_t	 idx;
	uint64_t	 tick = 0;

	if (req_str(c->rq, F_NODE, &name, &len) != REQ_OK) {
		ctx_error(c, "TypeError('node must be a string')");
		return;
	}
	idx = nodetab_find(tree_nodes(core.tree), name, len);
	if (idx == NODE_NONE || (n = nodes_find(&core.nodes, idx)) == NULL ||
	    (n->tick == 0 && ranges_empty(&n->superseded))) {
		ctx_exc(c, "KeyError", "%.*s", (int)len, name);
		return;
	}
	if (idx == core.self) {
		ctx_exc(c, "ServerError", "Node %.*s is this server",
		    (int)len, name);
		return;
	}
	if (ranges_iter(&n->present, first_tick, &tick) != 0) {
		ctx_exc(c, "ServerError", "Node %.*s has entry %llu", (int)len,
		    name, (unsigned long long)tick);
		return;
	}
	log_info("node %.*s dropped by a client", (int)len, name);
	nodes_forget(n);
	if ((ch = csync_chan()) != NULL) {
		csync_flush();
		pk = ipc_begin(ch, IPC_SYNC_INFO_OUT, 0);
		msgpack_pack_map(pk, 1);
		mp_pack_str(pk, "node_drop");
		msgpack_pack_array(pk, 1);
		mp_pack_strn(pk, name, len);
		ipc_end(ch);
	}
	reply_none(c);
}

/* The request as if it were an info from node "" (its own node field
 * is the name the client wants it to look as if it came from). */
void
act_fake_info(struct ctx *c)
{
	log_warnx("fake info from a client applied");
	if (csync_info(c->rq->obj) == -1) {
		ctx_error(c, "ValueError('bad info')");
		return;
	}
	reply_none(c);
}

/* {node: ranges}, validated and packed again, so that syncd (which
 * closes the channel on a malformed body) never sees a bad one. */
static int
repack_nodeset(msgpack_packer *pk, const char *key, const msgpack_object *m)
{
	struct ranges	 r = RANGES_INITIALIZER;
	const char	*name;
	size_t		 len;
	uint32_t	 i, n = 0;

	for (i = 0; i < m->via.map.size; i++)
		if (mp_get_str(&m->via.map.ptr[i].key, &name, &len) == 0 &&
		    len > 0 && len <= 255 &&
		    ranges_parse(&r, &m->via.map.ptr[i].val) == 0)
			n++;
	mp_pack_str(pk, key);
	msgpack_pack_map(pk, n);
	for (i = 0; i < m->via.map.size; i++) {
		if (mp_get_str(&m->via.map.ptr[i].key, &name, &len) == -1 ||
		    len == 0 || len > 255 ||
		    ranges_parse(&r, &m->via.map.ptr[i].val) == -1)
			continue;
		mp_pack_strn(pk, name, len);
		(void)ranges_pack(&r, pk);
	}
	ranges_free(&r);
	return 0;
}

/* fake_info, and the same published as our info. */
void
act_fake_info_send(struct ctx *c)
{
	static const char *const keys[][2] = {
		{ "known", "known" }, { "superseded", "known" },
		{ "deleted", "deleted" }, { "missing", "missing" },
		{ "remote_missing", "remote_missing" },
	};
	const msgpack_object *m[5];
	struct ipc_chan	*ch;
	msgpack_packer	*pk;
	unsigned	 i, n = 0;

	for (i = 0; i < 5; i++) {
		m[i] = mp_map_get(c->rq->obj, keys[i][0]);
		if (m[i] != NULL && m[i]->type != MSGPACK_OBJECT_MAP)
			m[i] = NULL;
		if (i == 1 && m[0] != NULL)
			m[i] = NULL;	/* known wins */
		n += m[i] != NULL;
	}
	if (csync_info(c->rq->obj) == -1) {
		ctx_error(c, "ValueError('bad info')");
		return;
	}
	log_warnx("fake info from a client applied and sent");
	if ((ch = csync_chan()) != NULL && n > 0) {
		csync_flush();
		pk = ipc_begin(ch, IPC_SYNC_INFO_OUT, 0);
		msgpack_pack_map(pk, n);
		for (i = 0; i < 5; i++)
			if (m[i] != NULL)
				(void)repack_nodeset(pk, keys[i][1], m[i]);
		ipc_end(ch);
	}
	reply_none(c);
}

/* {nodes: {node: ranges}}: broadcast `deleted' for what we know gone. */
void
act_check_deleted(struct ctx *c)
{
	const msgpack_object *m = mp_map_get(c->rq->obj, "nodes");

	if (m == NULL || m->type != MSGPACK_OBJECT_MAP) {
		ctx_error(c, "TypeError('nodes must be a map')");
		return;
	}
	(void)cpurge_answer(m);
	reply_none(c);
}
