/*
 * moatctl.h - the admin tool's commands and shared state.
 */
#ifndef MOAT_MOATCTL_H
#define MOAT_MOATCTL_H

#include <msgpack.h>

#include "cli/client.h"
#include "lib/mp.h"

struct client;

struct ctl {
	const char	*host;
	const char	*port;
	int		 verbose;
	int		 meta;		/* -m: show chains and tocks */
	msgpack_object	 conf;		/* the effective config tree */
};

extern struct ctl ctl;

struct command {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*usage;
};

/* main.c */
struct client	*ctl_connect(void);
void		 ctl_fail(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2), noreturn));
int		 ctl_subcommand(const struct command *, int, char **,
		    const char *group);
void		 ctl_server_fail(const char *)
		    __attribute__((noreturn));
/* client_call(), exiting with the server's or the connection's error. */
void		 ctl_call(struct client *, client_item_fn, void *);
/* Parse path text, or exit showing where it is wrong. */
void		 ctl_path(const char *, struct mpbuf *);
long long	 ctl_number(const char *, const char *what, long long min,
		    long long max);
/* The first argument after the command is "--help". */
int		 ctl_wants_help(int, char **);

/* data.c */
int	cmd_data(int, char **);

/* internal.c */
int	cmd_internal(int, char **);

/* bench.c */
int	cmd_bench(int, char **);

/* dump.c */
int	cmd_dump(int, char **);

/* msg.c */
int	cmd_msg(int, char **);
int	dump_msg(int, char **);		/* "dump msg" */

/* internal.c */
int	cmd_internal(int, char **);

/* log.c */
int	cmd_log(int, char **);

/* status.c */
int	cmd_status(int, char **);

#endif
