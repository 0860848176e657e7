/*
 * syncconf.c - parse and check the server-sync settings.
 *
 * The URI grammar is deliberately narrow: no user names, no TLS, no
 * path, and only numeric hosts (plus "localhost"), because syncd
 * resolves nothing once it is chrooted.  A wrong value stops moatd at
 * start-up with a message naming the key instead of a syncd that keeps
 * failing to connect.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/mp.h"
#include "lib/syncconf.h"

#define URI_SCHEME	"mqtt://"

/* Decimal 1..65535, the whole string. */
static int
parse_port(const char *s, int *port)
{
	long	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > 65535)
			return -1;
	}
	if (v == 0)
		return -1;
	*port = (int)v;
	return 0;
}

static int
parse_host(const char *h, size_t len, char *out, const char **why)
{
	unsigned char	 addr[sizeof(struct in6_addr)];
	char		 tmp[MQTT_HOST_MAX];
	int		 v6 = 0;

	if (len >= 2 && h[0] == '[' && h[len - 1] == ']') {
		h++;
		len -= 2;
		v6 = 1;
	}
	if (len == 0 || len >= sizeof(tmp)) {
		*why = "missing or overlong host";
		return -1;
	}
	memcpy(tmp, h, len);
	tmp[len] = '\0';
	if (!v6 && strcmp(tmp, "localhost") == 0) {
		strcpy(out, "127.0.0.1");
		return 0;
	}
	if (!v6 && strchr(tmp, ':') != NULL)
		v6 = 1;		/* a bare IPv6 address (hostmap lists) */
	if (inet_pton(v6 ? AF_INET6 : AF_INET, tmp, addr) != 1) {
		*why = v6 ? "not an IPv6 address" :
		    "host must be a numeric address or localhost "
		    "(syncd cannot resolve names)";
		return -1;
	}
	strcpy(out, tmp);
	return 0;
}

int
mqtt_uri_parse(const char *uri, struct mqtt_uri *u, const char **why)
{
	const char	*h, *end, *colon;

	memset(u, 0, sizeof(*u));
	u->port = MQTT_DEFAULT_PORT;
	if (*uri == '\0')
		return 1;
	if (strncmp(uri, "mqtts://", 8) == 0) {
		*why = "TLS (mqtts://) is not supported";
		return -1;
	}
	if (strncmp(uri, URI_SCHEME, strlen(URI_SCHEME)) != 0) {
		*why = "must start with mqtt://";
		return -1;
	}
	h = uri + strlen(URI_SCHEME);
	if (strpbrk(h, "@/?#") != NULL) {
		*why = "user names, paths and queries are not supported";
		return -1;
	}
	end = h + strlen(h);
	if (*h == '[') {
		if ((colon = strchr(h, ']')) == NULL) {
			*why = "unterminated [IPv6 address]";
			return -1;
		}
		colon++;
		if (*colon != '\0' && *colon != ':') {
			*why = "garbage after ]";
			return -1;
		}
	} else
		colon = strchr(h, ':');
	if (colon == NULL || *colon == '\0')
		colon = end;
	if (parse_host(h, colon - h, u->host, why) == -1)
		return -1;
	if (colon < end && parse_port(colon + 1, &u->port) == -1) {
		*why = "port must be 1..65535";
		return -1;
	}
	return 0;
}

static int
check_root(const char *root)
{
	size_t	 len = strlen(root);

	if (len == 0 || len > SYNC_ROOT_MAX || strpbrk(root, "#+") != NULL)
		return -1;
	if (root[0] == '/' || root[len - 1] == '/' || strstr(root, "//"))
		return -1;
	return 0;
}

static int hostmap_entry(const msgpack_object *, char *, size_t, int *,
    const char **);

/* Every kv.hostmap entry must parse (names are only found at use). */
static int
check_hostmap(const msgpack_object *conf, char *err, size_t errlen)
{
	const msgpack_object *map = conf_get(conf, "kv.hostmap");
	char		 host[PEER_HOST_MAX];
	const char	*why;
	uint32_t	 i;
	int		 port;

	if (map == NULL || map->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (map->type != MSGPACK_OBJECT_MAP) {
		snprintf(err, errlen, "kv.hostmap: must map node names to "
		    "addresses");
		return -1;
	}
	for (i = 0; i < map->via.map.size; i++)
		if (map->via.map.ptr[i].key.type != MSGPACK_OBJECT_STR ||
		    hostmap_entry(&map->via.map.ptr[i].val, host,
		    sizeof(host), &port, &why) == -1) {
			snprintf(err, errlen, "kv.hostmap: entry %u: %s",
			    (unsigned)i + 1, map->via.map.ptr[i].key.type ==
			    MSGPACK_OBJECT_STR ? why : "node name must be a "
			    "string");
			return -1;
		}
	return 0;
}

/* kv.server.<actor>.cycle and .gap: gap > 0, cycle >= 3 * gap. */
static int
check_cycle(const msgpack_object *conf, const char *actor, double cycle,
    double gap, char *err, size_t errlen)
{
	char	 kc[64], kg[64];

	snprintf(kc, sizeof(kc), "kv.server.%s.cycle", actor);
	snprintf(kg, sizeof(kg), "kv.server.%s.gap", actor);
	(void)conf_get_double(conf, kc, &cycle);
	(void)conf_get_double(conf, kg, &gap);
	if (gap <= 0 || cycle < 3 * gap * (1 - 1e-9)) {	/* 0.6 vs 3 * 0.2 */
		snprintf(err, errlen, "%s (%g) must be at least 3 times %s "
		    "(%g), which must be positive", kc, cycle, kg, gap);
		return -1;
	}
	return 0;
}

int
syncconf_check(const msgpack_object *conf, char *err, size_t errlen)
{
	struct mqtt_uri	 u;
	const char	*why;
	char		*s = NULL;
	int		 rc = -1;

	if (conf_get_str(conf, "kv.server.mqtt.uri", &s) == 0 &&
	    mqtt_uri_parse(s, &u, &why) == -1) {
		snprintf(err, errlen, "kv.server.mqtt.uri: %s: %s", s, why);
		goto done;
	}
	free(s);
	s = NULL;
	if (conf_get_str(conf, "kv.server.root", &s) == 0 && check_root(s)) {
		snprintf(err, errlen, "kv.server.root: %s: must be a topic "
		    "like moat/kv (no wildcards, no empty levels)", s);
		goto done;
	}
	if (check_cycle(conf, "ping", 10, 2, err, errlen) == -1 ||
	    check_cycle(conf, "delete", 100, 10, err, errlen) == -1)
		goto done;
	if (check_hostmap(conf, err, errlen) == -1)
		goto done;
	rc = 0;
done:
	free(s);
	return rc;
}

/* "host", "host:port", "[v6]" or "[v6]:port" (kv.hostmap strings). */
static int
split_host_port(const char *s, const char **h, size_t *hlen, int *port)
{
	const char	*c = strrchr(s, ':'), *rb = strrchr(s, ']');

	*h = s;
	*hlen = strlen(s);
	if (c == NULL || (rb == NULL && strchr(s, ':') != c) ||
	    (rb != NULL && c < rb))
		return 0;	/* no port, or a bare IPv6 address */
	*hlen = (size_t)(c - s);
	return parse_port(c + 1, port);
}

/* A hostmap entry: a string as above, or [host, port]. */
static int
hostmap_entry(const msgpack_object *e, char *host, size_t hostlen,
    int *port, const char **why)
{
	const char	*h;
	size_t		 len;
	int64_t		 p;

	if (e->type == MSGPACK_OBJECT_STR) {
		if (e->via.str.size >= hostlen)
			goto bad;
		memcpy(host, e->via.str.ptr, e->via.str.size);
		host[e->via.str.size] = '\0';
		if (split_host_port(host, &h, &len, port) == -1)
			goto bad;
		host[len] = '\0';
		return 0;
	}
	if (e->type != MSGPACK_OBJECT_ARRAY || e->via.array.size != 2 ||
	    mp_get_str(&e->via.array.ptr[0], &h, &len) == -1 ||
	    len >= hostlen || mp_get_int64(&e->via.array.ptr[1], &p) == -1 ||
	    p < 1 || p > 65535)
		goto bad;
	memcpy(host, h, len);
	host[len] = '\0';
	*port = (int)p;
	return 0;
bad:
	*why = "a kv.hostmap entry must be [host, port] or \"host[:port]\"";
	return -1;
}

int
peer_addr_lookup(const msgpack_object *conf, const char *node,
    struct peer_addr *pa, const char **why)
{
	const msgpack_object *map = conf_get(conf, "kv.hostmap");
	char		 host[PEER_HOST_MAX];
	char		*domain = NULL;
	int64_t		 port = 27586;
	uint32_t	 i;
	int		 p;

	(void)conf_get_int(conf, "kv.conn.port", &port);
	p = (int)port;
	if (strlen(node) >= sizeof(host)) {
		*why = "node name too long for a host name";
		return -1;
	}
	strcpy(host, node);
	for (i = 0; map != NULL && map->type == MSGPACK_OBJECT_MAP &&
	    i < map->via.map.size; i++) {
		const msgpack_object *k = &map->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR &&
		    k->via.str.size == strlen(node) &&
		    memcmp(k->via.str.ptr, node, k->via.str.size) == 0) {
			if (hostmap_entry(&map->via.map.ptr[i].val, host,
			    sizeof(host), &p, why) == -1)
				return -1;
			break;
		}
	}
	if (conf_get_str(conf, "kv.domain", &domain) == 0 && domain != NULL &&
	    *domain != '\0' && strchr(host, '.') == NULL &&
	    strchr(host, ':') == NULL && strcmp(host, "localhost") != 0)
		snprintf(host + strlen(host), sizeof(host) - strlen(host),
		    ".%s", domain);
	free(domain);
	pa->port = p;
	return parse_host(host, strlen(host), pa->host, why);
}
