/*
 * main.c - moat-runnerd: entry point.  Start-up order, privilege drop and
 * sandbox are in ipc/proc.c; this file wires runnerd's handlers in.
 */
#include <unistd.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "runnerd/runnerd.h"

static int
runnerd_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	switch (m->type) {
	default:
		return -1;
	}
}

static const struct child_ops runnerd_ops = {
	.role = PROC_RUNNERD,
	.rules = runnerd_rules,
	.dispatch = runnerd_dispatch,
};

MOAT_CHILD_MAIN(runnerd_ops, runnerd_nrules)
