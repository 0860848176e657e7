/*
 * sandbox.c - core's seccomp allowlist, beyond lib/sandbox.c's base
 * list (event loop, IPC, memory, exit).  One rule per line, each with
 * the reason it is needed; keep it sorted and minimal.
 */
#include <stddef.h>

#include "core/core.h"

const struct sandbox_rule core_rules[] = {
	{ "fdatasync", 0 },		/* change log: durable before the ack */
	{ "fstat", 0 },			/* log dest: only regular files */
	{ "fsync", 0 },			/* state dir: renames made durable */
	{ "ftruncate", 0 },		/* cut a torn tail off the change log */
	{ "getdents64", 0 },		/* list the state dir's files at start */
	{ "getrandom", 0 },		/* hash seeds */
	{ "newfstatat", 0 },		/* fstat() and opendir() in glibc */
	{ "openat", 0 },		/* files in the state dir (our chroot) */
	{ "rename", 0 },		/* snapshot/log put in place atomically */
	{ "renameat", 0 },		/* rename() on some libcs */
	{ "renameat2", 0 },		/* rename() on newer glibc */
	{ "unlink", 0 },		/* compaction removes replaced files */
	{ "unlinkat", 0 },		/* unlink() on some libcs */
};
const size_t core_nrules = sizeof(core_rules) / sizeof(core_rules[0]);
