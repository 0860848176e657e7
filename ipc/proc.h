/*
 * proc.h - the common life of a moat-kv child process.
 *
 * Every child's main() (MOAT_CHILD_MAIN below) fills in a struct
 * child_ops and calls proc_child_main(), which runs the fixed start-up order (close fds,
 * drop privileges, seccomp, then the event loop), talks to the master
 * (HELLO, CONFIG, PEER, SETUP_DONE, PING, SHUTDOWN) and hands everything
 * else to the role's own dispatch function.
 */
#ifndef MOAT_PROC_H
#define MOAT_PROC_H

#include <stddef.h>

#include <msgpack.h>

#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "lib/sandbox.h"

struct event_base;

struct child_ops {
	int			 role;		/* enum proc_role */
	const struct sandbox_rule *rules;	/* beyond the base list */
	size_t			 nrules;
	/* Before privileges are dropped and the sandbox is installed:
	 * open or initialise what the sandbox will forbid later (e.g. a
	 * library that reads files or seeds a generator at init). */
	void	(*init)(void);
	/* Config tree arrived (may arrive again after a reload). */
	void	(*configure)(const msgpack_object *conf);
	/* A channel to a peer process is up / went down. */
	void	(*peer_up)(int role, struct ipc_chan *);
	void	(*peer_down)(int role);
	/* Every message not handled by the common code; `from' is the
	 * sender's role.  Return -1 for a type this role does not accept:
	 * the channel is then closed as a protocol violation. */
	int	(*dispatch)(int from, struct ipc_chan *, struct ipc_msg *);
	/* All peers are connected: start serving. */
	void	(*start)(void);
	/* Orderly stop requested (or master gone): release, flush. */
	void	(*shutdown)(void);
};

int		 proc_child_main(int argc, char **argv, const struct child_ops *);
struct event_base *proc_base(void);
struct ipc_chan	*proc_peer(int role);	/* NULL while that peer is down */
struct ipc_chan	*proc_master(void);
const msgpack_object *proc_config(void);
const char	*proc_node_name(void);	/* kv.server.node */
void		 proc_send_hello(struct ipc_chan *, int role);

/*
 * Validate a payload with the bounded validator and unpack it into
 * `zone'.  Returns 0, or -1 with *why set: the caller then treats the
 * sender as broken (ipc_chan_error).
 */
int		 proc_unpack(const struct ipc_msg *, msgpack_zone *,
		    msgpack_object *, const char **why);

/* Current resident set size in bytes (0 if unknown). */
unsigned long long proc_rss(void);

/*
 * Sanitizer builds only: LeakSanitizer needs /proc, which a chrooted
 * child has not, and would fail every exit.  Each child's main.c says
 * MOAT_CHILD_SANITIZER_OPTIONS once; leaks are checked by the unit tests,
 * the master and valgrind instead.
 */
#ifdef MOAT_SANITIZE
#define MOAT_CHILD_SANITIZER_OPTIONS					\
	const char *__asan_default_options(void);			\
	const char *__asan_default_options(void)			\
	{ return "detect_leaks=0"; }
#else
#define MOAT_CHILD_SANITIZER_OPTIONS
#endif

/*
 * A child's whole main(): its ops (a static const struct child_ops)
 * and the size of its allowlist, which is an extern const (the list is
 * in its sandbox.c) and so cannot go into a static initialiser.
 */
#define MOAT_CHILD_MAIN(role_ops, role_nrules)			\
	MOAT_CHILD_SANITIZER_OPTIONS					\
	int main(int argc, char **argv)					\
	{								\
		struct child_ops ops_ = (role_ops);			\
									\
		ops_.nrules = (role_nrules);				\
		return proc_child_main(argc, argv, &ops_);		\
	}

#endif
