/*
 * moatd.h - the master process: shared state of its files.
 */
#ifndef MOAT_MOATD_H
#define MOAT_MOATD_H

#include <stddef.h>

#include <msgpack.h>

struct event_base;
struct ipc_chan;

struct master_opts {
	const char	*statedir;	/* absolute */
	const char	*emptydir;	/* chroot of children without files */
	const char	*libexec;	/* where the child executables are */
	const char	*user;		/* unprivileged user of the children */
	int		 verbose;
	int		 debug;		/* seccomp violations log, not kill */
	int		 use_syslog;
	double		 restart_min;	/* seconds */
	double		 restart_max;
	double		 shutdown_timeout;
	int		*load_fds;	/* -l files, for core's first start */
	char		**load_names;
	int		 nload;
	int		 exit_code;	/* of moatd, once stopped */
};

extern struct master_opts opts;
extern struct event_base *master_base;

/* children.c */
void	children_init(const uint8_t *conf, size_t conflen);
void	children_start_all(void);
void	children_shutdown(void);
int	children_alive(void);
void	children_reap(void);
void	children_status(msgpack_packer *);
void	children_free(void);

/* listen.c */
void	listen_open(const msgpack_object *conf);
void	listen_send(struct ipc_chan *);
void	listen_close(void);

#endif
