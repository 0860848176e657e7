/*
 * syncconf.h - the server-sync settings (kv.server.mqtt.uri,
 * kv.server.root, kv.server.ping.*, kv.server.delete.*), checked in one place: the master
 * refuses to start with a bad one, and syncd parses them the same way.
 */
#ifndef MOAT_SYNCCONF_H
#define MOAT_SYNCCONF_H

#include <stddef.h>

#include <msgpack.h>

#define MQTT_DEFAULT_PORT	1883
#define MQTT_HOST_MAX		64	/* a numeric IPv4/IPv6 address */
#define SYNC_ROOT_MAX		256	/* kv.server.root, bytes */

struct mqtt_uri {
	char	 host[MQTT_HOST_MAX];	/* numeric, for getaddrinfo() */
	int	 port;
};

/*
 * Parse "mqtt://HOST[:PORT]".  HOST is a numeric IPv4 address, an IPv6
 * address in brackets, or "localhost" (taken as 127.0.0.1): syncd runs
 * chrooted, where name resolution cannot work.  Returns 1 for the empty
 * string (no broker: standalone), 0 when parsed, -1 with a reason.
 */
int	mqtt_uri_parse(const char *, struct mqtt_uri *, const char **why);

/*
 * Check the sync keys of a config tree: the URI as above, a root that is
 * a non-empty MQTT topic without wildcards, and ping.cycle >= 3 * gap,
 * the same for delete.cycle and delete.gap (the coordination protocol
 * needs that much room; gap > 0).  Returns 0, or -1
 * with a message naming the key in err.
 */
int	syncconf_check(const msgpack_object *, char *err, size_t errlen);

/*
 * Where to download the tree from peer `node' at start-up (the
 * original's rule): kv.hostmap.<node> as [host, port] or
 * "host[:port]", else the node name itself; kv.domain is appended to a
 * host without a dot (not localhost); the port defaults to
 * kv.conn.port.  The result must be numeric (or localhost), as for
 * the broker: syncd cannot resolve names.  0, or -1 with a reason.
 */
#define PEER_HOST_MAX	256
struct peer_addr {
	char	 host[MQTT_HOST_MAX];	/* numeric */
	int	 port;
};
int	peer_addr_lookup(const msgpack_object *conf, const char *node,
	    struct peer_addr *, const char **why);

#endif
