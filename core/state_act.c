/*
 * state_act.c - actions about the server rather than the data:
 * get_state, get_tock, root (chroot), test_acl, status.
 */
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "core/session.h"
#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mpval.h"

void	act_get_state(struct ctx *);
void	act_get_tock(struct ctx *);
void	act_root(struct ctx *);
void	act_test_acl(struct ctx *);
void	act_status(struct ctx *);

static const struct {
	enum req_field	 f;
	unsigned	 bit;
} state_flags[] = {
	{ F_NODES, NS_NODES },
	{ F_KNOWN, NS_KNOWN },
	{ F_SUPERSEDED, NS_KNOWN },
	{ F_PRESENT, NS_PRESENT },
	{ F_DELETED, NS_DELETED },
	{ F_MISSING, NS_MISSING },
	{ F_REMOTE_MISSING, NS_REMOTE },
	{ F_DEBUG, NS_DEBUG },
};

void
act_get_state(struct ctx *c)
{
	unsigned	 i, which = 0;
	int		 on;

	for (i = 0; i < sizeof(state_flags) / sizeof(state_flags[0]); i++) {
		if (ctx_bool(c, state_flags[i].f, &on) == -1)
			return;
		if (on)
			which |= state_flags[i].bit;
	}
	/* `current' is accepted and, as in the original, changes nothing */
	if (ctx_bool(c, F_CURRENT, &on) == -1)
		return;
	rep_begin(c->r);
	c->r->nkeys += nodes_state_nkeys(which);
	if (nodes_pack_state(&core.nodes, tree_nodes(core.tree), which,
	    &c->r->pk) == -1) {
		ctx_error(c, "MemoryError()");
		return;
	}
	rep_str(c->r, "node", proc_node_name());
	rep_tock(c->r, core_tock_read());
	ctx_finish(c);
}

void
act_get_tock(struct ctx *c)
{
	rep_begin(c->r);
	rep_tock(c->r, core_tock_read());
	ctx_finish(c);
}

/*
 * root: make the session's paths relative to path.  The reply is the
 * new root entry: value, chain (2 links, the original's default), tock
 * and path - Path() at the real root, a plain [] after a chroot.
 */
void
act_root(struct ctx *c)
{
	struct entry	*e;
	int		 rc;

	if ((rc = ctx_path(c)) == -1)
		return;
	if (rc == 1) {
		ctx_error(c, "TypeError('path must be a Path (ext 3) or a "
		    "list, not a str')");
		return;
	}
	if (c->relpath->len > 0) {
		/* the new root need not exist (yet); nothing is created */
		mpbuf_reset(&c->s->root);
		mpbuf_add(&c->s->root, c->path->data, c->path->len);
		c->s->chroot = 1;
	}
	e = tree_lookup(core.tree, c->s->root.data, c->s->root.len);
	rep_begin(c->r);
	if (e != NULL)
		rep_entry(c->r, e, 2, tree_nodes(core.tree));
	else
		rep_tock(c->r, 0);
	if (c->s->chroot)
		msgpack_pack_array(rep_key(c->r, "path"), 0);
	else
		mp_pack_path(rep_key(c->r, "path"), NULL, 0);
	ctx_finish(c);
}

/* Until ACLs exist everything is allowed. */
void
act_test_acl(struct ctx *c)
{
	rep_begin(c->r);
	rep_bool(c->r, "access", 1);
	ctx_finish(c);
}

/*
 * status: the master keeps the process table.  The request goes to it
 * as STATUS_REQ with a cookie; csess_status_reply() answers the
 * client when the table comes back.
 */
#define MAX_STATUS	64

static struct {
	uint32_t	 cookie, session;
	int64_t		 seq;
} pending[MAX_STATUS];
static uint32_t	next_cookie;

void
act_status(struct ctx *c)
{
	struct ipc_chan	*m = proc_master();
	int		 i;

	for (i = 0; i < MAX_STATUS && pending[i].cookie != 0; i++)
		;
	if (m == NULL || i == MAX_STATUS) {
		ctx_error(c, "RuntimeError('status is not available now')");
		return;
	}
	if (++next_cookie == 0)
		next_cookie = 1;
	pending[i].cookie = next_cookie;
	pending[i].session = c->s->id;
	pending[i].seq = c->seq;
	ipc_send(m, IPC_STATUS_REQ, next_cookie, -1, "\xc0", 1);
}

void
csess_status_reply(uint32_t cookie, const uint8_t *data, size_t len)
{
	struct reply	 r;
	struct mpval_limits lim = mpval_default_limits;
	const uint8_t	*p;
	size_t		 plen;
	const char	*why;
	int		 i;

	for (i = 0; i < MAX_STATUS && pending[i].cookie != cookie; i++)
		;
	if (cookie == 0 || i == MAX_STATUS)
		return;
	pending[i].cookie = 0;
	lim.max_size = IPC_MAX_PAYLOAD;
	if (mpval_check(data, len, &lim, &why) != MPVAL_OK) {
		log_warnx("bad STATUS from the master: %s", why);
		return;
	}
	rep_init(&r);
	rep_begin(&r);
	rep_key(&r, "result");
	rep_raw(&r, data, len);
	rep_finish(&r, 1, pending[i].seq, 0, core_tock_read);
	p = rep_data(&r, &plen);
	core_send(pending[i].session, p, plen);
	rep_free(&r);
}
