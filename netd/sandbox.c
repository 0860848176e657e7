/*
 * sandbox.c - netd's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 */
#include <stddef.h>

#include "netd/netd.h"

const struct sandbox_rule netd_rules[] = {
	{ "accept4", 0 },		/* new client connections */
	{ "getpeername", 0 },		/* log the client address */
	{ "getsockname", 0 },
	{ "setsockopt", 0 },		/* TCP_NODELAY on clients */
	{ "shutdown", 0 },		/* close a client after an error */
};
const size_t netd_nrules = sizeof(netd_rules) / sizeof(netd_rules[0]);
