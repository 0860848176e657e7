/*
 * sandbox.c - authd's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 */
#include <stddef.h>

#include "authd/authd.h"

const struct sandbox_rule authd_rules[] = {
	{ "getrandom", 0 },		/* libsodium: salts, keys, nonces */
};
const size_t authd_nrules = sizeof(authd_rules) / sizeof(authd_rules[0]);
