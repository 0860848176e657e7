/*
 * main.c - moat-syncd: entry point.  Start-up order, privilege drop and
 * sandbox are in ipc/proc.c; this file wires syncd's handlers in.
 */
#include <unistd.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "syncd/syncd.h"

static int
syncd_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	switch (m->type) {
	default:
		return -1;
	}
}

static const struct child_ops syncd_ops = {
	.role = PROC_SYNCD,
	.rules = syncd_rules,
	.dispatch = syncd_dispatch,
};

MOAT_CHILD_SANITIZER_OPTIONS

int
main(int argc, char **argv)
{
	struct child_ops ops = syncd_ops;

	ops.nrules = syncd_nrules;
	return proc_child_main(argc, argv, &ops);
}
