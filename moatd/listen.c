/*
 * listen.c - the master opens every listening socket; netd gets copies.
 *
 * netd has no right to create sockets (its seccomp list has no socket()
 * or bind()), and keeping the originals here means a restarted netd gets
 * the same ports back at once, without a window where clients are
 * refused or another program could grab the port.
 *
 * TCP: kv.server.bind (a list of {host, port}) or, when empty,
 * kv.server.bind_default.  Local: kv.server.control, a Unix socket
 * (relative to the state directory) for moatctl on this host.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "moatd/moatd.h"

#define MAX_LISTENERS	16

struct listener {
	int	 fd;
	int	 is_unix;
	char	 addr[300];
};

static struct listener listeners[MAX_LISTENERS];
static size_t nlisteners;
static char unix_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static void
add_listener(int fd, int is_unix, const char *addr)
{
	struct listener	*l;

	if (nlisteners == MAX_LISTENERS)
		fatalx("too many listeners (max %d)", MAX_LISTENERS);
	l = &listeners[nlisteners++];
	l->fd = fd;
	l->is_unix = is_unix;
	strlcpy(l->addr, addr, sizeof(l->addr));
}

static void
open_tcp(const char *host, int64_t port)
{
	struct addrinfo	 hints, *res, *ai;
	char		 serv[16], name[300];
	int		 fd, on = 1, rc, n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(serv, sizeof(serv), "%lld", (long long)port);
	if ((rc = getaddrinfo(*host ? host : NULL, serv, &hints, &res)) != 0)
		fatalx("kv.server.bind: %s port %s: %s", host, serv,
		    gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			fatal("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
			    sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1)
			fatal("bind %s port %s", host, serv);
		if (listen(fd, 512) == -1)
			fatal("listen");
		snprintf(name, sizeof(name), "%s:%s", host, serv);
		add_listener(fd, 0, name);
		log_info("listening on %s", name);
		n++;
	}
	freeaddrinfo(res);
	if (n == 0)
		fatalx("kv.server.bind: %s port %s: no address", host, serv);
}

static void
open_unix(const char *path)
{
	struct sockaddr_un sun;
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/') {
		if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/%s",
		    opts.statedir, path) >= (int)sizeof(sun.sun_path))
			fatalx("kv.server.control: path too long");
	} else if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("kv.server.control: path too long");
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		fatal("socket");
	if (unlink(sun.sun_path) == -1 && errno != ENOENT)
		fatal("unlink %s", sun.sun_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("bind %s", sun.sun_path);
	/* Only the admin (and the daemon's own user) may use it. */
	if (chmod(sun.sun_path, 0600) == -1)
		fatal("chmod %s", sun.sun_path);
	if (listen(fd, 64) == -1)
		fatal("listen");
	strlcpy(unix_path, sun.sun_path, sizeof(unix_path));
	add_listener(fd, 1, sun.sun_path);
	log_info("control socket %s", sun.sun_path);
}

static void
bind_one(const msgpack_object *b, const char *what)
{
	const msgpack_object *h = mp_map_get(b, "host");
	char		*host = NULL;
	int64_t		 port;

	if (mp_get_int64(mp_map_get(b, "port"), &port) == -1 ||
	    port < 1 || port > 65535)
		fatalx("%s.port: missing or out of range 1..65535", what);
	if (h && h->type != MSGPACK_OBJECT_NIL &&
	    (host = mp_strdup(h)) == NULL)
		fatalx("%s.host: must be a string", what);
	open_tcp(host ? host : "", port);
	free(host);
}

void
listen_open(const msgpack_object *conf)
{
	const msgpack_object *binds, *ctl;
	char		*path;
	uint32_t	 i;

	binds = conf_get(conf, "kv.server.bind");
	if (binds && binds->type == MSGPACK_OBJECT_ARRAY &&
	    binds->via.array.size > 0) {
		for (i = 0; i < binds->via.array.size; i++)
			bind_one(&binds->via.array.ptr[i], "kv.server.bind");
	} else
		bind_one(conf_get(conf, "kv.server.bind_default"),
		    "kv.server.bind_default");

	ctl = conf_get(conf, "kv.server.control");
	if (ctl && ctl->type == MSGPACK_OBJECT_STR && ctl->via.str.size > 0) {
		if ((path = mp_strdup(ctl)) == NULL)
			fatalx("kv.server.control: bad path");
		open_unix(path);
		free(path);
	}
}

/* Give netd a duplicate of every listener. */
void
listen_send(struct ipc_chan *c)
{
	struct mpbuf	 buf;
	msgpack_packer	 pk;
	size_t		 i;
	int		 fd;

	for (i = 0; i < nlisteners; i++) {
		if ((fd = fcntl(listeners[i].fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			log_warn("dup listener");
			continue;
		}
		mpbuf_init(&buf);
		msgpack_packer_init(&pk, &buf, mpbuf_write);
		msgpack_pack_map(&pk, 2);
		mp_pack_kv_str(&pk, "kind", listeners[i].is_unix ? "unix" :
		    "tcp");
		mp_pack_kv_str(&pk, "addr", listeners[i].addr);
		ipc_send(c, IPC_LISTENER, 0, fd, buf.data, buf.len);
		mpbuf_free(&buf);
	}
}

void
listen_close(void)
{
	size_t	 i;

	for (i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	nlisteners = 0;
	if (unix_path[0])
		unlink(unix_path);
}
