/*
 * sandbox.h - seccomp allowlists for moat-kv's children.
 *
 * Each process folder has a sandbox.c with its own list of extra system
 * calls (one per line, each with a reason); sandbox_install() adds the
 * base list every libevent + IPC child needs and loads the filter.
 */
#ifndef MOAT_SANDBOX_H
#define MOAT_SANDBOX_H

#include <stddef.h>

/* Descriptor on which a child reports the system call that killed it. */
#define SANDBOX_NOTE_FD	4

struct sandbox_rule {
	const char	*name;		/* system call */
	int		 deny_errno;	/* 0: allow; else fail with this */
};

/*
 * Install the filter: base rules + `rules'.  debug = 0: a call outside
 * the list kills the process (after reporting the call on
 * SANDBOX_NOTE_FD and stderr).  debug = 1: it is logged and fails with
 * ENOSYS instead - for finding missing rules, never for production.
 */
void	sandbox_install(const char *role, const struct sandbox_rule *rules,
	    size_t nrules, int debug);

/* The base list, exposed for the tests. */
extern const struct sandbox_rule sandbox_base_rules[];
extern const size_t sandbox_base_nrules;

#endif
