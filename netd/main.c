/*
 * main.c - moat-netd: entry point and IPC dispatch.  Start-up order,
 * privilege drop and sandbox are in ipc/proc.c; sessions in session.c.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "netd/netd.h"

static int
listener(struct ipc_msg *m)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	char		*kind;
	int		 is_unix;

	if (m->fd == -1)
		return -1;
	msgpack_zone_init(&zone, 128);
	if (proc_unpack(m, &zone, &o, &why) == -1 ||
	    (kind = mp_strdup(mp_map_get(&o, "kind"))) == NULL)
		fatalx("bad LISTENER from master");
	is_unix = strcmp(kind, "unix") == 0;
	free(kind);
	msgpack_zone_destroy(&zone);
	session_add_listener(m->fd, is_unix);
	return 0;
}

static int
netd_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	if (m->fd != -1 && m->type != IPC_LISTENER)
		return -1;
	switch (m->type) {
	case IPC_LISTENER:
		return from == PROC_MASTER ? listener(m) : -1;
	case IPC_CLIENT_REPLY:
		if (from != PROC_CORE)
			return -1;
		session_reply(m->id, m->data, m->len);
		return 0;
	case IPC_SESSION_CLOSE:
		if (from != PROC_CORE)
			return -1;
		session_close_id(m->id);
		return 0;
	default:
		return -1;
	}
}

static void
netd_peer_up(int role, struct ipc_chan *c)
{
	if (role == PROC_CORE)
		session_core_up(c);
}

static void
netd_peer_down(int role)
{
	if (role == PROC_CORE)
		session_core_down();
}

static const struct child_ops netd_ops = {
	.role = PROC_NETD,
	.rules = netd_rules,
	.configure = session_configure,
	.peer_up = netd_peer_up,
	.peer_down = netd_peer_down,
	.dispatch = netd_dispatch,
	.shutdown = session_shutdown,
};

MOAT_CHILD_MAIN(netd_ops, netd_nrules)
