/*
 * main.c - moat-core: entry point, IPC dispatch and start-up.  Start-up
 * order, privilege drop and sandbox are in ipc/proc.c.
 *
 * The first CONFIG sets up the tree (kv.server.change.length) and this
 * server's node name; if the tree is then empty and kv.server.init
 * (moatd -i VALUE) is set, VALUE is stored at the root path, taking
 * tick 1.  Persistence (persist.h) loads its state before that check;
 * moatd -l files arrive as IPC_LOAD before SETUP_DONE.  A server left
 * empty that talks to a broker holds client requests until it knows its
 * own tick (ready.c).
 */
#include <unistd.h>

#include "core/core.h"
#include "core/msgpass.h"
#include "core/persist.h"
#include "core/stream.h"
#include "core/sync.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mp.h"

static int	configured;

static void
store_init_value(const msgpack_object *conf)
{
	const msgpack_object *v = conf_get(conf, "kv.server.init");
	struct entry	*e = NULL;
	struct mpbuf	 buf;
	msgpack_packer	 pk;

	if (v == NULL || v->type == MSGPACK_OBJECT_NIL ||
	    tree_count(core.tree) > 0 || entry_has_value(tree_root(core.tree)))
		return;
	mpbuf_init(&buf);
	msgpack_packer_init(&pk, &buf, mpbuf_write);
	msgpack_pack_object(&pk, *v);
	if (core_change_local(NULL, 0, &e, buf.data, buf.len) == -1)
		fatal("storing the initial value");
	mpbuf_free(&buf);
	log_info("stored the initial value at the root");
}

static void
core_configure(const msgpack_object *conf)
{
	int64_t		 len = CHAIN_DEFLEN;

	csess_configure(conf);
	msgpass_configure(conf);
	if (configured) {	/* the chain length cannot change live */
		csync_configure(conf);
		return;
	}
	(void)conf_get_int(conf, "kv.server.change.length", &len);
	if (len < 1 || len > CHAIN_MAXLEN)
		len = CHAIN_DEFLEN;
	core_state_init(proc_node_name(), (unsigned)len);
	stream_init();
	configured = 1;
	persist_configure(conf);
	cready_configure(conf);	/* empty and synced: requests wait */
	csync_configure(conf);	/* after the load: SYNC_STATE has the tick */
	store_init_value(conf);
}

static void
core_peer_up(int role, struct ipc_chan *c)
{
	if (role == PROC_SYNCD)
		csync_peer_up(c);
	if (role != PROC_NETD)
		return;
	core.netd = c;
	stream_netd_changed();
}

/* netd's sessions died with it: their clients must reconnect. */
static void
core_peer_down(int role)
{
	if (role == PROC_SYNCD)
		csync_peer_down();
	if (role != PROC_NETD)
		return;
	core.netd = NULL;
	csess_close_all();
}

static int
core_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	if (from == PROC_MASTER && m->type == IPC_LOAD && configured)
		return plog_load_msg(m);
	if (m->fd != -1)
		return -1;
	if (from == PROC_MASTER) {
		if (m->type != IPC_STATUS)
			return -1;
		csess_status_reply(m->id, m->data, m->len);
		return 0;
	}
	if (from == PROC_SYNCD && configured)
		return csync_dispatch(m);
	if (from != PROC_NETD || !configured)
		return -1;
	switch (m->type) {
	case IPC_SESSION_OPEN:
		csess_open(m->id);
		return 0;
	case IPC_SESSION_CLOSE:
		cready_drop(m->id);
		csess_close(m->id);
		return 0;
	case IPC_CLIENT_REQ:
		if (!cready_hold(m->id, m->data, m->len))
			csess_request(m->id, m->data, m->len);
		return 0;
	default:
		return -1;
	}
}

static void
core_shutdown(void)
{
	if (configured)
		persist_shutdown();	/* acks still waiting go out */
	cready_free();
	csess_close_all();
	msgpass_shutdown();
	csync_shutdown();
	stream_shutdown();
	if (configured)
		core_state_free();
	configured = 0;
}

static const struct child_ops core_ops = {
	.role = PROC_CORE,
	.rules = core_rules,
	.configure = core_configure,
	.peer_up = core_peer_up,
	.peer_down = core_peer_down,
	.dispatch = core_dispatch,
	.shutdown = core_shutdown,
};

MOAT_CHILD_MAIN(core_ops, core_nrules)
