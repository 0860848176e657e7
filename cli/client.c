/*
 * client.c - moatctl's blocking client of the MoaT-KV client protocol.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"

#define READ_CHUNK	65536

struct client {
	int		 fd;
	uint64_t	 seq;
	struct mpbuf	 out;		/* the request being built */
	msgpack_packer	 pk;
	uint8_t		*in;		/* received, not yet decoded */
	size_t		 inlen, incap;
	size_t		 used;		/* bytes of the last message */
	msgpack_zone	 zone;		/* the current message */
	char		*node;		/* from the greeting */
	struct mpval_limits limits;
};

int
client_dial(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo	 hints, *res, *ai;
	struct sockaddr_un sun;
	int		 fd = -1, rc;

	if (host[0] == '/') {		/* the local control socket */
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlen(host) >= sizeof(sun.sun_path)) {
			snprintf(err, errlen, "%s: path too long", host);
			return -1;
		}
		strcpy(sun.sun_path, host);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1 || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			snprintf(err, errlen, "%s: %s", host, strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		return fd;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    gai_strerror(rc));
		return -1;
	}
	snprintf(err, errlen, "%s port %s: no address", host, port);
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(err, errlen, "%s port %s: %s", host, port,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Read the next complete message; its objects live in zone and c->in
 * until the next call. */
static int
next_msg(struct client *c, msgpack_object *o, msgpack_zone *zone, char *err,
    size_t errlen)
{
	const char	*why;
	size_t		 objlen, off;
	ssize_t		 n;

	/* The previous message's objects pointed into c->in until now. */
	if (c->used > 0) {
		c->inlen -= c->used;
		memmove(c->in, c->in + c->used, c->inlen);
		c->used = 0;
	}
	for (;;) {
		if (c->inlen > 0) {
			switch (mpval_scan(c->in, c->inlen, &c->limits, &objlen,
			    &why)) {
			case MPVAL_OK:
				off = 0;
				msgpack_zone_clear(zone);
				if (msgpack_unpack((const char *)c->in, objlen,
				    &off, zone, o) != MSGPACK_UNPACK_SUCCESS) {
					snprintf(err, errlen, "undecodable "
					    "message");
					return -1;
				}
				c->used = objlen;
				return 0;
			case MPVAL_MORE:
				break;
			default:
				snprintf(err, errlen, "bad message from server:"
				    " %s", why);
				return -1;
			}
		}
		if (c->incap - c->inlen < READ_CHUNK) {
			c->incap = c->incap * 2 + READ_CHUNK;
			if ((c->in = realloc(c->in, c->incap)) == NULL)
				fatal("realloc");
		}
		n = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
		if (n == 0) {
			snprintf(err, errlen, "server closed the connection");
			return -1;
		}
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "read: %s", strerror(errno));
			return -1;
		}
		c->inlen += (size_t)n;
	}
}

struct client *
client_connect(const char *host, const char *port, char *err, size_t errlen)
{
	struct client	*c;
	msgpack_object	 greeting;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->limits = mpval_default_limits;
	c->limits.max_size = 64u << 20;
	c->limits.max_strlen = c->limits.max_binlen = c->limits.max_extlen =
	    64u << 20;
	msgpack_zone_init(&c->zone, 4096);
	mpbuf_init(&c->out);
	msgpack_packer_init(&c->pk, &c->out, mpbuf_write);
	if ((c->fd = client_dial(host, port, err, errlen)) == -1 ||
	    next_msg(c, &greeting, &c->zone, err, errlen) == -1) {
		client_close(c);
		return NULL;
	}
	if ((c->node = mp_strdup(mp_map_get(&greeting, "node"))) == NULL) {
		snprintf(err, errlen, "bad greeting from server");
		client_close(c);
		return NULL;
	}
	return c;
}

void
client_close(struct client *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	msgpack_zone_destroy(&c->zone);
	free(c->node);
	mpbuf_free(&c->out);
	free(c->in);
	free(c);
}

const char *
client_node(const struct client *c)
{
	return c->node;
}

msgpack_packer *
client_begin(struct client *c, const char *action, uint32_t nfields)
{
	mpbuf_reset(&c->out);
	msgpack_pack_map(&c->pk, nfields + 2);
	mp_pack_kv_str(&c->pk, "action", action);
	mp_pack_kv_uint(&c->pk, "seq", ++c->seq);
	return &c->pk;
}

static int
write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
server_error(const msgpack_object *o, char *err, size_t errlen)
{
	const char	*s;
	size_t		 len;

	if (mp_get_str(mp_map_get(o, "error"), &s, &len) == -1)
		return 0;
	snprintf(err, errlen, "%.*s", (int)len, s);
	return 1;
}

int
client_call(struct client *c, client_item_fn fn, void *arg, char *err,
    size_t errlen)
{
	msgpack_object	 o;
	const char	*state;
	size_t		 slen;
	uint64_t	 seq;
	int		 streaming = 0, failed = 0;

	if (write_all(c->fd, c->out.data, c->out.len) == -1) {
		snprintf(err, errlen, "write: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		if (next_msg(c, &o, &c->zone, err, errlen) == -1)
			return -1;
		if (mp_get_uint64(mp_map_get(&o, "seq"), &seq) == -1) {
			/* A message without seq is fatal for the session. */
			if (!server_error(&o, err, errlen))
				snprintf(err, errlen, "reply without seq");
			return -1;
		}
		if (seq != c->seq)
			continue;	/* a late message of an older request */
		if (mp_get_str(mp_map_get(&o, "state"), &state, &slen) == 0) {
			if (slen == 5 && memcmp(state, "start", 5) == 0) {
				streaming = 1;
				continue;
			}
			if (slen == 3 && memcmp(state, "end", 3) == 0)
				return failed ? -1 : 0;
			continue;	/* uptodate etc. */
		}
		if (server_error(&o, err, errlen)) {
			if (!streaming)
				return -1;
			failed = 1;
			continue;
		}
		if (fn && !failed && fn(&o, arg) != 0 && !streaming)
			return 0;
		if (!streaming)
			return 0;
	}
}
