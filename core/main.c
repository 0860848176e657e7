/*
 * main.c - moat-core: entry point.  Start-up order, privilege drop and
 * sandbox are in ipc/proc.c; this file wires core's handlers in.
 */
#include <unistd.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "core/core.h"

static int
core_dispatch(int from, struct ipc_chan *c, struct ipc_msg *m)
{
	switch (m->type) {
	default:
		return -1;
	}
}

static const struct child_ops core_ops = {
	.role = PROC_CORE,
	.rules = core_rules,
	.dispatch = core_dispatch,
};

MOAT_CHILD_SANITIZER_OPTIONS

int
main(int argc, char **argv)
{
	struct child_ops ops = core_ops;

	ops.nrules = core_nrules;
	return proc_child_main(argc, argv, &ops);
}
