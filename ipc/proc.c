/*
 * proc.c - start-up, master protocol and peer channels of every child.
 *
 * The order below is the security contract of ARCHITECTURE.md and must
 * not be reshuffled: (1) close every descriptor but stdio, the master
 * channel (fd 3) and the death-note pipe (fd 4); (2) open what the
 * sandbox will forbid later (the event base, /proc/self/statm, then
 * the role's own init hook); (3) no_new_privs, chroot, drop to the
 * unprivileged user; (4) seccomp; (5) only now read the first byte
 * from anyone.
 *
 * The argv comes from the master, which is trusted; the config and the
 * peer channels arrive as IPC messages after the sandbox is up.
 */
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/unistd.h>
#include <event2/event.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"
#include "lib/privsep.h"

#define MASTER_FD	3

struct peer {
	struct ipc_chan	*chan;
	int		 hello;		/* HELLO seen */
};

static struct {
	const struct child_ops	*ops;
	struct event_base	*base;
	struct ipc_chan		*master;
	struct peer		 peers[PROC_MAX];
	int			 statm_fd;
	msgpack_zone		 conf_zone;
	msgpack_object		 conf;
	int			 have_conf;
	char			*node;
	int			 stopping;
} P = { .statm_fd = -1 };

static void	master_msg(struct ipc_chan *, struct ipc_msg *, void *);
static void	master_closed(struct ipc_chan *, const char *, void *);
static void	peer_msg(struct ipc_chan *, struct ipc_msg *, void *);
static void	peer_closed(struct ipc_chan *, const char *, void *);
static void	stop_now(int) __attribute__((noreturn));

struct event_base *
proc_base(void)
{
	return P.base;
}

struct ipc_chan *
proc_master(void)
{
	return P.master;
}

struct ipc_chan *
proc_peer(int role)
{
	if (role <= PROC_MASTER || role >= PROC_MAX || !P.peers[role].hello)
		return NULL;
	return P.peers[role].chan;
}

const msgpack_object *
proc_config(void)
{
	return P.have_conf ? &P.conf : NULL;
}

const char *
proc_node_name(void)
{
	return P.node ? P.node : "";
}

unsigned long long
proc_rss(void)
{
	char	 buf[128];
	ssize_t	 n;
	unsigned long long size, rss;

	if (P.statm_fd == -1)	/* the master: not sandboxed */
		P.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (P.statm_fd == -1)
		return 0;
	n = pread(P.statm_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &size, &rss) != 2)
		return 0;
	return rss * (unsigned long long)sysconf(_SC_PAGESIZE);
}

int
proc_unpack(const struct ipc_msg *m, msgpack_zone *zone, msgpack_object *obj,
    const char **why)
{
	struct mpval_limits lim = mpval_default_limits;
	size_t	 off = 0;

	/* Internal frames may carry a whole client message plus framing. */
	lim.max_size = IPC_MAX_PAYLOAD;
	lim.max_strlen = lim.max_binlen = lim.max_extlen = IPC_MAX_PAYLOAD;
	if (mpval_check(m->data, m->len, &lim, why) != MPVAL_OK)
		return -1;
	if (msgpack_unpack((const char *)m->data, m->len, &off, zone, obj) !=
	    MSGPACK_UNPACK_SUCCESS) {
		*why = "undecodable payload";
		return -1;
	}
	return 0;
}

void
proc_send_hello(struct ipc_chan *c, int role)
{
	msgpack_packer	*pk;

	pk = ipc_begin(c, IPC_HELLO, 0);
	msgpack_pack_map(pk, 3);
	mp_pack_kv_int(pk, "version", IPC_VERSION);
	mp_pack_kv_str(pk, "role", proc_to_str(role));
	mp_pack_kv_int(pk, "pid", getpid());
	ipc_end(c);
}

/* Check a HELLO: same protocol version, and the role we expected. */
static int
check_hello(const struct ipc_msg *m, int expect, const char **why)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	int64_t		 version;
	char		*role = NULL;
	int		 rc = -1;

	msgpack_zone_init(&zone, 256);
	if (proc_unpack(m, &zone, &o, why) == -1)
		goto done;
	if (mp_get_int64(mp_map_get(&o, "version"), &version) == -1 ||
	    (role = mp_strdup(mp_map_get(&o, "role"))) == NULL) {
		*why = "malformed HELLO";
		goto done;
	}
	if (version != IPC_VERSION) {
		*why = "IPC protocol version mismatch";
		goto done;
	}
	if (proc_from_str(role) != expect) {
		*why = "HELLO from an unexpected role";
		goto done;
	}
	rc = 0;
done:
	free(role);
	msgpack_zone_destroy(&zone);
	return rc;
}

static void
stop_now(int code)
{
	if (!P.stopping) {
		P.stopping = 1;
		if (P.ops->shutdown)
			P.ops->shutdown();
	}
	if (P.master)
		(void)ipc_flush(P.master);
	exit(code);
}

static void
set_config(const struct ipc_msg *m)
{
	const char	*why;
	char		*node;

	if (P.have_conf)
		msgpack_zone_destroy(&P.conf_zone);
	msgpack_zone_init(&P.conf_zone, 4096);
	if (proc_unpack(m, &P.conf_zone, &P.conf, &why) == -1)
		fatalx("bad CONFIG from master: %s", why);
	P.have_conf = 1;
	node = mp_strdup(mp_map_get(mp_map_get(mp_map_get(&P.conf, "kv"),
	    "server"), "node"));
	free(P.node);
	P.node = node;
	if (P.ops->configure)
		P.ops->configure(&P.conf);
}

static void
new_peer(struct ipc_msg *m)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	char		*rname;
	int		 role;

	if (m->fd == -1)
		fatalx("PEER without a descriptor");
	msgpack_zone_init(&zone, 128);
	if (proc_unpack(m, &zone, &o, &why) == -1)
		fatalx("bad PEER: %s", why);
	rname = mp_strdup(mp_map_get(&o, "role"));
	role = rname ? proc_from_str(rname) : -1;
	free(rname);
	msgpack_zone_destroy(&zone);
	if (role <= PROC_MASTER || role == P.ops->role)
		fatalx("PEER with a bad role");
	if (P.peers[role].chan != NULL) {
		/* The master replaced a dead peer before we saw it go. */
		ipc_chan_free(P.peers[role].chan);
		P.peers[role].chan = NULL;
		if (P.peers[role].hello && P.ops->peer_down)
			P.ops->peer_down(role);
	}
	P.peers[role].chan = ipc_chan_new(P.base, m->fd, proc_to_str(role),
	    peer_msg, peer_closed, (void *)(intptr_t)role);
	P.peers[role].hello = 0;
	proc_send_hello(P.peers[role].chan, P.ops->role);
}

static void
send_pong(uint32_t cookie)
{
	msgpack_packer	*pk;

	pk = ipc_begin(P.master, IPC_PONG, cookie);
	msgpack_pack_map(pk, 1);
	mp_pack_kv_uint(pk, "rss", proc_rss());
	ipc_end(P.master);
}

static void
master_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	const char	*why;

	switch (m->type) {
	case IPC_HELLO:
		if (check_hello(m, PROC_MASTER, &why) == -1)
			fatalx("master: %s", why);
		return;
	case IPC_CONFIG:
		set_config(m);
		return;
	case IPC_PEER:
		new_peer(m);
		return;
	case IPC_SETUP_DONE:
		if (P.ops->start)
			P.ops->start();
		return;
	case IPC_PING:
		send_pong(m->id);
		return;
	case IPC_SHUTDOWN:
		log_debug("shutdown requested");
		stop_now(0);
	default:
		break;
	}
	if (P.ops->dispatch && P.ops->dispatch(PROC_MASTER, c, m) == 0)
		return;
	if (m->fd != -1)
		close(m->fd);
	fatalx("unexpected %s from master", msg_to_str(m->type));
}

static void
master_closed(struct ipc_chan *c, const char *why, void *arg)
{
	/* Without a master nobody restarts or supervises us: leave. */
	log_debug("master channel closed (%s), exiting", why);
	ipc_chan_free(P.master);
	P.master = NULL;
	stop_now(0);
}

static void
peer_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	int		 role = (int)(intptr_t)arg;
	const char	*why;

	if (m->type == IPC_HELLO) {
		if (check_hello(m, role, &why) == -1) {
			ipc_chan_error(c, why);
			return;
		}
		P.peers[role].hello = 1;
		if (P.ops->peer_up)
			P.ops->peer_up(role, c);
		return;
	}
	if (!P.peers[role].hello) {
		ipc_chan_error(c, "message before HELLO");
		return;
	}
	if (P.ops->dispatch && P.ops->dispatch(role, c, m) == 0)
		return;
	if (m->fd != -1)
		close(m->fd);
	log_warnx("unexpected %s from %s", msg_to_str(m->type),
	    proc_to_str(role));
	ipc_chan_error(c, "unexpected message type");
}

static void
peer_closed(struct ipc_chan *c, const char *why, void *arg)
{
	int	 role = (int)(intptr_t)arg;
	int	 was_up = P.peers[role].hello;

	log_debug("channel to %s closed: %s", proc_to_str(role), why);
	if (P.peers[role].chan == c) {
		P.peers[role].chan = NULL;
		P.peers[role].hello = 0;
	}
	ipc_chan_free(c);
	if (was_up && P.ops->peer_down)
		P.ops->peer_down(role);
}

static void
usage(void)
{
	fatalx("this program is started by moatd, not by hand");
}

int
proc_child_main(int argc, char **argv, const struct child_ops *ops)
{
	const char	*root = NULL, *user = "_moatd";
	int		 ch, verbose = 0, debug = 0, use_syslog = 0;

	P.ops = ops;
	log_init(proc_to_str(ops->role), 0, 0);
	while ((ch = getopt(argc, argv, "dR:su:v")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'R':
			root = optarg;
			break;
		case 's':
			use_syslog = 1;
			break;
		case 'u':
			user = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (root == NULL || fcntl(MASTER_FD, F_GETFD) == -1)
		usage();
	log_init(proc_to_str(ops->role), verbose, use_syslog);

	/* (1) nothing inherited but what the master meant to give us */
	closefrom(SANDBOX_NOTE_FD + 1);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, SIG_IGN);	/* the master handles ^C */
	signal(SIGHUP, SIG_IGN);

	/* (2) resources the sandbox will not let us open later */
	if ((P.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	P.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (ops->init)
		ops->init();

	/* (3) and (4) */
	privsep_drop(root, user);
	privsep_rlimits(0);
	sandbox_install(proc_to_str(ops->role), ops->rules, ops->nrules,
	    debug);

	/* (5) only now talk to anyone */
	P.master = ipc_chan_new(P.base, MASTER_FD, "master", master_msg,
	    master_closed, NULL);
	proc_send_hello(P.master, ops->role);
	event_base_dispatch(P.base);
	stop_now(0);
	return 0;
}
