/*
 * sandbox.c - runnerd's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 */
#include <stddef.h>

#include "runnerd/runnerd.h"

const struct sandbox_rule runnerd_rules[] = {
	{ "getrandom", 0 },		/* hash seeds */
};
const size_t runnerd_nrules = sizeof(runnerd_rules) / sizeof(runnerd_rules[0]);
