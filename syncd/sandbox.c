/*
 * sandbox.c - syncd's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 */
#include <stddef.h>

#include "syncd/syncd.h"

const struct sandbox_rule syncd_rules[] = {
	{ "connect", 0 },		/* the MQTT broker */
	{ "getpeername", 0 },
	{ "getsockname", 0 },
	{ "getsockopt", 0 },		/* SO_ERROR after a non-blocking connect */
	{ "setsockopt", 0 },
	{ "socket", 0 },		/* one TCP socket to the broker */
};
const size_t syncd_nrules = sizeof(syncd_rules) / sizeof(syncd_rules[0]);
