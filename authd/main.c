/*
 * main.c - moat-authd: entry point.  Start-up order, privilege drop and
 * sandbox are in ipc/proc.c; this file wires authd's handlers in.
 */
#include <unistd.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "authd/authd.h"

static int
authd_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	switch (m->type) {
	default:
		return -1;
	}
}

static const struct child_ops authd_ops = {
	.role = PROC_AUTHD,
	.rules = authd_rules,
	.dispatch = authd_dispatch,
};

MOAT_CHILD_MAIN(authd_ops, authd_nrules)
