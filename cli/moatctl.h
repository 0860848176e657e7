/*
 * moatctl.h - the admin tool's commands and shared state.
 */
#ifndef MOAT_MOATCTL_H
#define MOAT_MOATCTL_H

#include <msgpack.h>

struct client;

struct ctl {
	const char	*host;
	const char	*port;
	int		 verbose;
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

/* bench.c */
int	cmd_bench(int, char **);

/* dump.c */
int	cmd_dump(int, char **);

/* internal.c */
int	cmd_internal(int, char **);

/* log.c */
int	cmd_log(int, char **);

/* status.c */
int	cmd_status(int, char **);

#endif
