/*
 * sandbox.c - syncd's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 *
 * libmosquitto is initialised before the sandbox (sync_init): its
 * socketpair and random client id need calls that are not listed here.
 * Name resolution is not possible (chroot), so kv.server.mqtt.uri holds
 * numeric addresses only and getaddrinfo() never leaves the process; so
 * does kv.hostmap for the start-up download (fetch.c).
 */
#include <stddef.h>

#include "syncd/syncd.h"

const struct sandbox_rule syncd_rules[] = {
	{ "connect", 0 },		/* the broker; a peer to download from */
	{ "futex", 0 },			/* mosquitto_lib_cleanup() at exit */
	{ "getsockopt", 0 },		/* SO_ERROR of a non-blocking connect */
	{ "setsockopt", 0 },		/* TCP_NODELAY on the broker socket */
	{ "socket", 0 },		/* TCP to the broker and the download peer */
};
const size_t syncd_nrules = sizeof(syncd_rules) / sizeof(syncd_rules[0]);
