/*
 * children.c - moatd's process table: spawn, wire, watch, restart.
 *
 * The table of roles and the list of allowed process-to-process edges
 * are declared once, below; nothing else creates channels between
 * children.  A (re)started child gets a fresh socketpair to the master
 * on fd 3, a death-note pipe on fd 4, then (over IPC) its config, its
 * listeners (netd) and one new channel per edge to every peer that is
 * running; the peer receives the other end over its own master channel.
 *
 * A dead child is restarted after a delay that doubles with every death
 * in quick succession (restart.min .. restart.max) and resets once it
 * has stayed up for STABLE_SECS, so a crash loop cannot spin the CPU.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <seccomp.h>

#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/sandbox.h"
#include "lib/tv.h"
#include "moatd/moatd.h"

#define STABLE_SECS	10.0	/* up this long: backoff starts over */
#define PING_SECS	2	/* health ping interval */
#define PING_MISSES	5	/* unanswered pings before we kill */
#define CORE_EXIT_DATA	65	/* core: a state file is damaged (persist.h) */

struct child_def {
	int		 role;
	const char	*exe;
	const char	*title;		/* argv[0], shown by ps */
	int		 in_statedir;	/* chroot to the state dir */
};

static const struct child_def defs[] = {
	{ PROC_CORE,	"moat-core",	"moatd: core",		1 },
	{ PROC_NETD,	"moat-netd",	"moatd: netd",		0 },
	{ PROC_SYNCD,	"moat-syncd",	"moatd: syncd",		0 },
	{ PROC_AUTHD,	"moat-authd",	"moatd: authd",		0 },
	{ PROC_RUNNERD,	"moat-runnerd",	"moatd: runnerd",	0 },
};
#define NDEFS	(sizeof(defs) / sizeof(defs[0]))

/* Who may talk to whom: every channel between children is one of these. */
static const int edges[][2] = {
	{ PROC_CORE, PROC_NETD },	/* client requests and replies */
	{ PROC_CORE, PROC_SYNCD },	/* local changes out, remote in */
	{ PROC_CORE, PROC_AUTHD },	/* sessions' users and ACLs */
	{ PROC_CORE, PROC_RUNNERD },	/* code, type checks, codecs */
	{ PROC_NETD, PROC_AUTHD },	/* login exchanges */
};
#define NEDGES	(sizeof(edges) / sizeof(edges[0]))

struct child {
	const struct child_def *def;
	pid_t		 pid;
	struct ipc_chan	*chan;
	int		 note_fd;	/* death note: read end */
	int		 restarts;
	double		 started;	/* monotonic seconds */
	double		 backoff;
	struct event	*restart_ev;
	unsigned long long rss;
	uint32_t	 ping_sent, ping_seen;
};

static struct child children[PROC_MAX];
static uint8_t	*conf_buf;
static size_t	 conf_len;
static struct event *ping_ev;
static struct event *kill_ev;
static int	 stopping;
static double	 master_started;

static void	spawn(struct child *);

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct child *
by_pid(pid_t pid)
{
	size_t	 i;

	for (i = 0; i < PROC_MAX; i++)
		if (children[i].def && children[i].pid == pid)
			return &children[i];
	return NULL;
}

static void
child_msg(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	struct child	*ch = arg;
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	uint64_t	 rss;

	if (m->fd != -1) {
		close(m->fd);
		ipc_chan_error(c, "unexpected descriptor");
		return;
	}
	switch (m->type) {
	case IPC_HELLO:
		return;		/* the version was checked by the child */
	case IPC_PONG:
		msgpack_zone_init(&zone, 128);
		if (proc_unpack(m, &zone, &o, &why) == -1) {
			msgpack_zone_destroy(&zone);
			ipc_chan_error(c, why);
			return;
		}
		if (mp_get_uint64(mp_map_get(&o, "rss"), &rss) == 0)
			ch->rss = rss;
		ch->ping_seen = m->id;
		msgpack_zone_destroy(&zone);
		return;
	case IPC_STATUS_REQ:
		if (ch->def->role != PROC_CORE)
			break;
		children_status(ipc_begin(c, IPC_STATUS, m->id));
		ipc_end(c);
		return;
	default:
		break;
	}
	log_warnx("%s sent unexpected %s", ch->def->title,
	    msg_to_str(m->type));
	ipc_chan_error(c, "unexpected message");
}

static void
child_chan_closed(struct ipc_chan *c, const char *why, void *arg)
{
	struct child	*ch = arg;

	/* The process itself is reaped on SIGCHLD; a child that broke the
	 * protocol but still runs is killed so it gets replaced. */
	int	 broken = strcmp(why, "eof") != 0;	/* why dies with c */

	log_debug("%s: channel closed: %s", ch->def->title, why);
	ipc_chan_free(ch->chan);
	ch->chan = NULL;
	if (ch->pid > 0 && broken)
		kill(ch->pid, SIGKILL);
}

static void
send_peer(struct ipc_chan *c, int role, int fd)
{
	struct mpbuf	 buf;
	msgpack_packer	 pk;

	mpbuf_init(&buf);
	msgpack_packer_init(&pk, &buf, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "role", proc_to_str(role));
	ipc_send(c, IPC_PEER, 0, fd, buf.data, buf.len);
	mpbuf_free(&buf);
}

/* Hand each end of a new socketpair to two running children. */
static void
connect_pair(struct child *a, struct child *b)
{
	int	 sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return;
	}
	send_peer(a->chan, b->def->role, sp[0]);
	send_peer(b->chan, a->def->role, sp[1]);
}

static void
wire_peers(struct child *ch)
{
	struct child	*other;
	size_t		 i;
	int		 role = ch->def->role, peer;

	for (i = 0; i < NEDGES; i++) {
		if (edges[i][0] == role)
			peer = edges[i][1];
		else if (edges[i][1] == role)
			peer = edges[i][0];
		else
			continue;
		other = &children[peer];
		if (other->def && other->pid > 0 && other->chan)
			connect_pair(ch, other);
	}
}

static void
exec_child(const struct child *ch, int ipcfd, int notefd)
{
	char		 path[PATH_MAX];
	const char	*dir;
	char		*argv[16];
	int		 n = 0, v;
	sigset_t	 all;

	/* Die with the master, whatever killed it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(127);
	/* Move the fds out of the way, then onto 3 and 4. */
	if ((ipcfd = fcntl(ipcfd, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    (notefd = fcntl(notefd, F_DUPFD_CLOEXEC, 10)) == -1 ||
	    dup2(ipcfd, 3) == -1 || dup2(notefd, SANDBOX_NOTE_FD) == -1)
		_exit(127);
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);

	dir = ch->def->in_statedir ? opts.statedir : opts.emptydir;
	snprintf(path, sizeof(path), "%s/%s", opts.libexec, ch->def->exe);
	argv[n++] = (char *)ch->def->title;
	argv[n++] = "-R";
	argv[n++] = (char *)dir;
	argv[n++] = "-u";
	argv[n++] = (char *)opts.user;
	if (opts.debug)
		argv[n++] = "-d";
	if (opts.use_syslog)
		argv[n++] = "-s";
	for (v = 0; v < opts.verbose && v < 3; v++)
		argv[n++] = "-v";
	argv[n] = NULL;
	execv(path, argv);
	fprintf(stderr, "moatd: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* moatd -l: the files go to the first core only; afterwards their
 * contents are in core's own state directory. */
static void
send_loads(struct child *ch)
{
	struct mpbuf	 buf;
	msgpack_packer	 pk;
	int		 i;

	for (i = 0; i < opts.nload; i++) {
		mpbuf_init(&buf);
		msgpack_packer_init(&pk, &buf, mpbuf_write);
		msgpack_pack_map(&pk, 1);
		mp_pack_kv_str(&pk, "name", opts.load_names[i]);
		ipc_send(ch->chan, IPC_LOAD, 0, opts.load_fds[i], buf.data,
		    buf.len);
		mpbuf_free(&buf);
	}
	opts.nload = 0;
}

static void
spawn(struct child *ch)
{
	int		 sp[2], note[2];
	pid_t		 pid;
	msgpack_packer	*pk;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1)
		fatal("socketpair");
	if (pipe2(note, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	switch (pid = fork()) {
	case -1:
		fatal("fork");
	case 0:
		exec_child(ch, sp[1], note[1]);
	default:
		break;
	}
	close(sp[1]);
	close(note[1]);
	ch->pid = pid;
	ch->note_fd = note[0];
	ch->started = now();
	ch->rss = 0;
	ch->ping_sent = ch->ping_seen = 0;
	ch->chan = ipc_chan_new(master_base, sp[0], ch->def->title,
	    child_msg, child_chan_closed, ch);
	log_info("started %s, pid %d", ch->def->title, (int)pid);

	proc_send_hello(ch->chan, PROC_MASTER);
	ipc_send(ch->chan, IPC_CONFIG, 0, -1, conf_buf, conf_len);
	if (ch->def->role == PROC_NETD)
		listen_send(ch->chan);
	if (ch->def->role == PROC_CORE)
		send_loads(ch);
	wire_peers(ch);
	pk = ipc_begin(ch->chan, IPC_SETUP_DONE, 0);
	msgpack_pack_nil(pk);
	ipc_end(ch->chan);
}

static void
restart_cb(int fd, short ev, void *arg)
{
	struct child	*ch = arg;

	if (!stopping && ch->pid == 0)
		spawn(ch);
}

/* Why did it die?  For SIGSYS, the system call from its death note. */
static void
log_death(struct child *ch, int status)
{
	char		 name[64] = "";
	int		 nr;
	const char	*sc;

	if (WIFEXITED(status)) {
		if (stopping && WEXITSTATUS(status) == 0)
			log_info("%s exited", ch->def->title);
		else
			log_warnx("%s (pid %d) exited with code %d",
			    ch->def->title, (int)ch->pid, WEXITSTATUS(status));
		return;
	}
	if (!WIFSIGNALED(status))
		return;
	if (WTERMSIG(status) == SIGSYS &&
	    read(ch->note_fd, &nr, sizeof(nr)) == (ssize_t)sizeof(nr)) {
		sc = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		snprintf(name, sizeof(name), ": seccomp violation, "
		    "system call %d (%s)", nr, sc ? sc : "?");
		free((void *)sc);
	}
	log_warnx("%s (pid %d) killed by signal %d (%s)%s", ch->def->title,
	    (int)ch->pid, WTERMSIG(status), strsignal(WTERMSIG(status)),
	    name);
}

static void
schedule_restart(struct child *ch)
{
	struct timeval	 tv;
	double		 up = now() - ch->started;

	if (up >= STABLE_SECS || ch->backoff == 0)
		ch->backoff = opts.restart_min;
	else if ((ch->backoff *= 2) > opts.restart_max)
		ch->backoff = opts.restart_max;
	ch->restarts++;
	tv = tv_from_secs(ch->backoff);
	log_info("restarting %s in %.1f s", ch->def->title, ch->backoff);
	evtimer_add(ch->restart_ev, &tv);
}

void
children_reap(void)
{
	struct child	*ch;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((ch = by_pid(pid)) == NULL)
			continue;
		log_death(ch, status);
		close(ch->note_fd);
		ch->note_fd = -1;
		if (ch->chan) {
			ipc_chan_free(ch->chan);
			ch->chan = NULL;
		}
		ch->pid = 0;
		if (ch->def->role == PROC_CORE && WIFEXITED(status) &&
		    WEXITSTATUS(status) == CORE_EXIT_DATA && !stopping) {
			/* Restarting would serve a partial state. */
			log_warnx("core cannot load its state: stopping");
			opts.exit_code = 1;
			children_shutdown();
			continue;
		}
		if (!stopping)
			schedule_restart(ch);
	}
	if (stopping && !children_alive())
		event_base_loopbreak(master_base);
}

/* Health: each child must answer pings; a hung one is replaced. */
static void
ping_cb(int fd, short ev, void *arg)
{
	struct child	*ch;
	size_t		 i;

	for (i = 0; i < PROC_MAX; i++) {
		ch = &children[i];
		if (!ch->def || ch->pid <= 0 || !ch->chan)
			continue;
		if (ch->ping_sent - ch->ping_seen >= PING_MISSES) {
			log_warnx("%s (pid %d) stopped answering, killing it",
			    ch->def->title, (int)ch->pid);
			kill(ch->pid, SIGKILL);
			continue;
		}
		ipc_send(ch->chan, IPC_PING, ++ch->ping_sent, -1, NULL, 0);
	}
}

void
children_init(const uint8_t *conf, size_t conflen)
{
	struct timeval	 tv = { PING_SECS, 0 };
	size_t		 i;

	master_started = now();
	if ((conf_buf = malloc(conflen)) == NULL)
		fatal("malloc");
	memcpy(conf_buf, conf, conflen);
	conf_len = conflen;
	for (i = 0; i < NDEFS; i++) {
		struct child *ch = &children[defs[i].role];

		ch->def = &defs[i];
		ch->note_fd = -1;
		ch->restart_ev = evtimer_new(master_base, restart_cb, ch);
	}
	ping_ev = event_new(master_base, -1, EV_PERSIST, ping_cb, NULL);
	evtimer_add(ping_ev, &tv);
}

void
children_start_all(void)
{
	size_t	 i;

	for (i = 0; i < NDEFS; i++)
		spawn(&children[defs[i].role]);
}

int
children_alive(void)
{
	size_t	 i;
	int	 n = 0;

	for (i = 0; i < PROC_MAX; i++)
		if (children[i].def && children[i].pid > 0)
			n++;
	return n;
}

static void
kill_cb(int fd, short ev, void *arg)
{
	size_t	 i;

	for (i = 0; i < PROC_MAX; i++)
		if (children[i].def && children[i].pid > 0) {
			log_warnx("%s did not stop in time, killing it",
			    children[i].def->title);
			kill(children[i].pid, SIGKILL);
		}
}

void
children_shutdown(void)
{
	struct timeval	 tv;
	size_t		 i;

	if (stopping)
		return;
	stopping = 1;
	evtimer_del(ping_ev);
	for (i = 0; i < PROC_MAX; i++) {
		if (!children[i].def)
			continue;
		evtimer_del(children[i].restart_ev);
		if (children[i].chan)
			ipc_send(children[i].chan, IPC_SHUTDOWN, 0, -1, NULL, 0);
	}
	tv = tv_from_secs(opts.shutdown_timeout);
	kill_ev = evtimer_new(master_base, kill_cb, NULL);
	evtimer_add(kill_ev, &tv);
	if (!children_alive())
		event_base_loopbreak(master_base);
}

/* The process table for `moatctl status'. */
void
children_status(msgpack_packer *pk)
{
	struct child	*ch;
	size_t		 i;
	double		 t = now();

	msgpack_pack_array(pk, NDEFS + 1);
	msgpack_pack_map(pk, 5);
	mp_pack_kv_str(pk, "role", "master");
	mp_pack_kv_int(pk, "pid", getpid());
	mp_pack_kv_int(pk, "restarts", 0);
	mp_pack_kv_int(pk, "uptime", (int64_t)(t - master_started));
	mp_pack_kv_uint(pk, "rss", proc_rss());
	for (i = 0; i < NDEFS; i++) {
		ch = &children[defs[i].role];
		msgpack_pack_map(pk, 5);
		mp_pack_kv_str(pk, "role", proc_to_str(ch->def->role));
		mp_pack_kv_int(pk, "pid", ch->pid);
		mp_pack_kv_int(pk, "restarts", ch->restarts);
		mp_pack_kv_int(pk, "uptime",
		    ch->pid > 0 ? (int64_t)(t - ch->started) : 0);
		mp_pack_kv_uint(pk, "rss", ch->rss);
	}
}

void
children_free(void)
{
	size_t	 i;

	for (i = 0; i < PROC_MAX; i++) {
		if (!children[i].def)
			continue;
		if (children[i].chan)
			ipc_chan_free(children[i].chan);
		if (children[i].note_fd != -1)
			close(children[i].note_fd);
		event_free(children[i].restart_ev);
	}
	if (kill_ev)
		event_free(kill_ev);
	event_free(ping_ev);
	free(conf_buf);
}
