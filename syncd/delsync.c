/*
 * delsync.c - the deletion actor's glue (see deleter.h): the deleter
 * list from core switches the actor on and off, the actor's events go
 * through the purge rules, and their verdicts go to core.
 */
#include <string.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "syncd/actor.h"
#include "syncd/deleter.h"
#include "syncd/syncd.h"

static struct {
	struct actor	*del;
	struct deleter	 dl;		/* its purge rules */
	int		 known;		/* core told us the deleter list */
} D;

void
delsync_init(struct actor *del)
{
	memset(&D, 0, sizeof(D));
	D.del = del;
}

void
delsync_core_down(void)
{
	D.known = 0;
}

static void
tell_core_purge(uint64_t tock)
{
	struct ipc_chan	*c = sync_core();
	msgpack_packer	*pk;

	if (c == NULL)
		return;
	log_debug("deleter: purge tombstones below tock %llu",
	    (unsigned long long)tock);
	pk = ipc_begin(c, IPC_SYNC_PURGE, 0);
	msgpack_pack_map(pk, 1);
	mp_pack_kv_uint(pk, "tock", tock);
	ipc_end(c);
}

/* We missed purge rounds: core sends our last-change links to `to'. */
static void
request_check(const char *to)
{
	struct ipc_chan	*c = sync_core();
	msgpack_packer	*pk;

	if (c == NULL)
		return;
	log_info("deleter: purge rounds went past us; checking our entries "
	    "with %s", to);
	pk = ipc_begin(c, IPC_SYNC_REQ, 0);
	msgpack_pack_map(pk, 4);
	mp_pack_kv_str(pk, "what", "check");
	mp_pack_kv_int(pk, "prio", 0);
	mp_pack_kv_bool(pk, "force", 1);
	mp_pack_kv_str(pk, "to", to);
	ipc_end(c);
}

/*
 * moat-kv's DeleteActor (deleter.h has the rules).  A ping's history
 * on the wire holds at most `splits' names: a longer group counts as
 * complete when it is full.
 */
void
delsync_event(const struct actor_event *ev)
{
	struct actor_val v;
	uint64_t	 tock;
	unsigned	 nh = ev->nhist;
	int64_t		 splits = actor_config(D.del)->splits;

	switch (ev->type) {
	case AEV_PING:
		if (splits > 0 && (int64_t)nh >= splits && D.dl.n > splits)
			nh = (unsigned)D.dl.n;
		switch (deleter_ping(&D.dl, &ev->value, nh, &tock)) {
		case DEL_PURGE:
			tell_core_purge(tock);
			break;
		case DEL_RESYNC:
			request_check(actor_name(D.del, ev->node));
			break;
		default:
			break;
		}
		break;
	case AEV_TAG:
		v = D.dl.ntags ? (struct actor_val){ 1, D.dl.tags[0],
		    D.dl.tags[D.dl.ntags - 1] } : (struct actor_val){ 0, 0, 0 };
		if (deleter_tag(&D.dl, actor_history(D.del)->n, sync_tock_next(),
		    &v, &tock) == DEL_PURGE)
			tell_core_purge(tock);
		actor_set_value(D.del, &v);
		break;
	case AEV_SETUP:
		log_info("deleter: adopted config version %lld",
		    (long long)actor_config(D.del)->version);
		break;
	default:
		break;
	}
}

/* IPC_SYNC_DELETER: {nodes: [name, ...]}, no nodes: no list. */
int
delsync_deleter(const msgpack_object *o, const char **why)
{
	const msgpack_object *l = mp_map_get(o, "nodes");
	const char	*name;
	size_t		 len;
	uint32_t	 i, n = 0;
	int		 member = 0;

	if (l != NULL && l->type != MSGPACK_OBJECT_ARRAY) {
		*why = "SYNC_DELETER: nodes is not a list";
		return -1;
	}
	for (i = 0; l != NULL && i < l->via.array.size; i++) {
		if (mp_get_str(&l->via.array.ptr[i], &name, &len) == -1) {
			*why = "SYNC_DELETER: a node is not a str";
			return -1;
		}
		n++;
		if (len == strlen(proc_node_name()) && memcmp(name, proc_node_name(), len) == 0)
			member = 1;
	}
	if (D.del == NULL || (D.known && D.dl.n == n &&
	    D.dl.member == member))
		return 0;
	D.known = 1;
	log_info("deleter: %u member%s, %s", n, n == 1 ? "" : "s",
	    member ? "this server one of them" : "this server not one");
	deleter_set(&D.dl, n, member);
	if (member)
		actor_enable(D.del, n, sync_now());
	else
		actor_disable(D.del, n);
	return 0;
}
