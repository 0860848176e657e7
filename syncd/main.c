/*
 * main.c - moat-syncd: entry point.  Start-up order, privilege drop and
 * sandbox are in ipc/proc.c; syncd's work is in sync.c.
 */
#include <unistd.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "syncd/syncd.h"

static const struct child_ops syncd_ops = {
	.role = PROC_SYNCD,
	.rules = syncd_rules,
	.init = sync_init,
	.configure = sync_configure,
	.peer_up = sync_peer_up,
	.peer_down = sync_peer_down,
	.dispatch = sync_dispatch,
	.start = sync_start,
	.shutdown = sync_shutdown,
};

MOAT_CHILD_MAIN(syncd_ops, syncd_nrules)
