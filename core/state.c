/*
 * state.c - this server's tick and tock, the one path every change
 * takes (core_commit()), the change observers and write acks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/watch.h"
#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "lib/log.h"

#define MAX_OBSERVERS	8

struct core_state core;

static struct {
	change_observer	 fn[MAX_OBSERVERS];
	void		*arg[MAX_OBSERVERS];
	int		 n;
	ack_hook	 ack;
	void		*ack_arg;
} obs;

void
core_state_init(const char *node, unsigned chainlen)
{
	memset(&core, 0, sizeof(core));
	core.chainlen = chainlen;
	if ((core.tree = tree_new(chainlen)) == NULL)
		fatal("tree_new");
	nodes_init(&core.nodes);
	core.self = tree_node_intern(core.tree, node, strlen(node));
	if (core.self == NODE_NONE || nodes_get(&core.nodes, core.self) == NULL)
		fatal("node table");
}

void
core_state_free(void)
{
	nodes_free(&core.nodes);
	tree_free(core.tree);
	core.tree = NULL;
}

uint64_t
core_tick(void)
{
	return core.nodes.n[core.self].tick;
}

uint64_t
core_tock_read(void)
{
	return ++core.tock;
}

void
core_tock_seen(uint64_t t)
{
	if (t > core.tock)
		core.tock = t;
}

void
core_observe(change_observer fn, void *arg)
{
	if (obs.n == MAX_OBSERVERS)
		fatalx("too many change observers");
	obs.fn[obs.n] = fn;
	obs.arg[obs.n++] = arg;
}

void
core_commit(const struct change *ch, struct chain old)
{
	int	 i;

	if (nodes_chain_changed(&core.nodes, old, entry_chain(ch->entry),
	    ch->value == NULL) == -1)
		log_warnx("out of memory updating the node ranges");
	watch_notify(ch);
	for (i = 0; i < obs.n; i++)
		obs.fn[i](ch, obs.arg[i]);
}

int
core_change_local(const uint8_t *path, size_t pathlen, struct entry **ep,
    const uint8_t *value, size_t vlen)
{
	struct chain_link oldl[CHAIN_MAXLEN];
	struct chain	 old = { oldl, 0 }, c;
	struct change	 ch;
	uint64_t	 tick = core_tick() + 1, tock = core_tock_read();
	int		 rc;

	if (*ep == NULL && value != NULL)
		*ep = tree_store(core.tree, path, pathlen, value, vlen,
		    core.self, tick, tock);
	else {
		if (*ep == NULL &&
		    (*ep = tree_lookup_create(core.tree, path, pathlen)) == NULL)
			return -1;
		c = entry_chain(*ep);
		memcpy(oldl, c.link, c.n * sizeof(*oldl));
		old.n = c.n;
		rc = value ? entry_set(core.tree, ep, value, vlen, core.self,
		    tick, tock) : entry_delete(core.tree, ep, core.self, tick,
		    tock);
		if (rc == -1)
			return -1;
	}
	if (*ep == NULL)
		return -1;
	core.nodes.n[core.self].tick = tick;
	memset(&ch, 0, sizeof(ch));
	ch.path = path;
	ch.pathlen = pathlen;
	ch.entry = *ep;
	ch.value = value;
	ch.vlen = vlen;
	ch.node = core.self;
	ch.tick = tick;
	ch.tock = tock;
	ch.origin = CHANGE_LOCAL;
	core_commit(&ch, old);
	return 0;
}

int
core_change_apply(const uint8_t *path, size_t pathlen, struct entry **ep,
    const uint8_t *value, size_t vlen, struct chain chain, uint64_t tock,
    int origin)
{
	struct chain_link oldl[CHAIN_MAXLEN];
	struct chain	 old = { oldl, 0 }, c;
	struct change	 ch;
	struct entry	*e = ep ? *ep : NULL;

	if (chain.n == 0 || (e == NULL &&
	    (e = tree_lookup_create(core.tree, path, pathlen)) == NULL))
		return -1;
	c = entry_chain(e);
	memcpy(oldl, c.link, c.n * sizeof(*oldl));
	old.n = c.n;
	if (entry_update(core.tree, &e, value, vlen, chain, tock) == -1)
		return -1;
	core_tock_seen(tock);
	memset(&ch, 0, sizeof(ch));
	ch.path = path;
	ch.pathlen = pathlen;
	ch.entry = e;
	ch.value = value;
	ch.vlen = vlen;
	ch.node = chain.link[0].node;
	ch.tick = chain.link[0].tick;
	ch.tock = tock;
	ch.origin = origin;
	core_commit(&ch, old);
	if (ep)
		*ep = e;
	return 0;
}

void
core_set_ack_hook(ack_hook fn, void *arg)
{
	obs.ack = fn;
	obs.ack_arg = arg;
}

void
core_ack(uint32_t session, const uint8_t *p, size_t len)
{
	if (len == 0)
		return;		/* the action answers later (delete_tree) */
	if (obs.ack) {
		obs.ack(session, p, len, obs.ack_arg);
		return;
	}
	core_send(session, p, len);
}

void
core_send(uint32_t session, const uint8_t *p, size_t len)
{
	if (core.netd == NULL || len == 0)
		return;		/* the client went with netd */
	ipc_send(core.netd, IPC_CLIENT_REPLY, session, -1, p, len);
}

void
core_close_session(uint32_t session)
{
	if (core.netd != NULL)
		ipc_send(core.netd, IPC_SESSION_CLOSE, session, -1, "\xc0", 1);
}
