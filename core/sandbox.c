/*
 * sandbox.c - core's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 */
#include <stddef.h>

#include "core/core.h"

const struct sandbox_rule core_rules[] = {
	{ "getrandom", 0 },		/* hash seeds */
};
const size_t core_nrules = sizeof(core_rules) / sizeof(core_rules[0]);
