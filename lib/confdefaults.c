/*
 * confdefaults.c - the built-in configuration and the table of known
 * keys with their types and bounds.
 *
 * Key names are MoaT-KV's (kv.conn.*, kv.server.*); keys marked "ours"
 * exist only in this implementation.  The defaults are YAML, parsed by
 * the same code as the config file, so they read like a config file.
 */
#include <stddef.h>

#include "lib/confyaml_int.h"

const char conf_default_yaml[] =
"kv:\n"
"  conn:\n"
"    host: localhost\n"
"    port: 27586\n"
"    auth: null\n"
"    init_timeout: 5\n"
"  domain: null\n"
"  hostmap: {}\n"
"  server:\n"
"    bind_default:\n"
"      host: 127.0.0.1\n"		/* ours: loopback, not all interfaces */
"      port: 27586\n"
"    bind: []\n"
"    buffer: 10\n"
"    backend: mqtt\n"
"    mqtt:\n"
"      uri: 'mqtt://localhost:1883'\n"
"    root: moat/kv\n"
"    batch: true\n"			/* ours: update/batch */
"    paranoia: false\n"
"    change:\n"
"      length: 5\n"
"    ping:\n"
"      cycle: 10\n"
"      gap: 2\n"
"      nodes: 5\n"
"      splits: 4\n"
"      n_hosts: 10\n"
"    delete:\n"			/* the deletion actor */
"      cycle: 100\n"
"      gap: 10\n"
"      nodes: 5\n"
"      splits: 4\n"
"      n_hosts: 10\n"
"      version: 1\n"
"    node: ''\n"
"    init: null\n"			/* ours: -i VALUE */
"    state: ''\n"			/* ours: -D DIR */
"    fsync: batch\n"			/* ours */
"    start: storage\n"			/* ours: memory|storage|network */
"    compact: 16777216\n"		/* ours: log bytes per snapshot */
"    user: _moatd\n"			/* ours */
"    libexec: ''\n"			/* ours */
"    control: moatd.sock\n"		/* ours */
"    max_msg: 4194304\n"		/* ours */
"    max_out: 16777216\n"		/* ours */
"    restart:\n"			/* ours */
"      min: 0.1\n"
"      max: 30\n"
"    shutdown_timeout: 2\n";		/* ours */

static const char *const fsync_values[] = { "always", "batch", "off", NULL };
static const char *const start_values[] = { "memory", "storage", "network",
	NULL };

const struct conf_key conf_keys[] = {
	{ "kv.conn.host",		CK_STR, 0, 0, NULL },
	{ "kv.conn.port",		CK_INT, 1, 65535, NULL },
	{ "kv.conn.auth",		CK_STR_OR_NULL, 0, 0, NULL },
	{ "kv.conn.init_timeout",	CK_NUM, 0, 3600, NULL },
	{ "kv.domain",			CK_STR_OR_NULL, 0, 0, NULL },
	{ "kv.hostmap",			CK_ANY, 0, 0, NULL },
	{ "kv.server.bind_default.host", CK_STR, 0, 0, NULL },
	{ "kv.server.bind_default.port", CK_INT, 1, 65535, NULL },
	{ "kv.server.bind",		CK_LIST, 0, 16, NULL },
	{ "kv.server.buffer",		CK_INT, 1, 100000, NULL },
	{ "kv.server.backend",		CK_STR, 0, 0, NULL },
	{ "kv.server.mqtt.uri",		CK_STR, 0, 0, NULL },
	{ "kv.server.root",		CK_STR, 0, 0, NULL },
	{ "kv.server.batch",		CK_BOOL, 0, 0, NULL },
	{ "kv.server.paranoia",		CK_BOOL, 0, 0, NULL },
	{ "kv.server.change.length",	CK_INT, 1, 100, NULL },
	{ "kv.server.ping.cycle",	CK_NUM, 0.1, 3600, NULL },
	{ "kv.server.ping.gap",		CK_NUM, 0.01, 3600, NULL },
	{ "kv.server.ping.nodes",	CK_INT, 1, 64, NULL },
	{ "kv.server.ping.splits",	CK_INT, 1, 16, NULL },
	{ "kv.server.ping.n_hosts",	CK_INT, 1, 100000, NULL },
	{ "kv.server.delete.cycle",	CK_NUM, 0.1, 86400, NULL },
	{ "kv.server.delete.gap",	CK_NUM, 0.01, 3600, NULL },
	{ "kv.server.delete.nodes",	CK_INT, 1, 64, NULL },
	{ "kv.server.delete.splits",	CK_INT, 1, 16, NULL },
	{ "kv.server.delete.n_hosts",	CK_INT, 1, 100000, NULL },
	{ "kv.server.delete.version",	CK_INT, 0, 1000000, NULL },
	{ "kv.server.node",		CK_STR, 0, 0, NULL },
	{ "kv.server.init",		CK_ANY, 0, 0, NULL },
	{ "kv.server.state",		CK_STR, 0, 0, NULL },
	{ "kv.server.fsync",		CK_ENUM, 0, 0, fsync_values },
	{ "kv.server.start",		CK_ENUM, 0, 0, start_values },
	{ "kv.server.compact",		CK_INT, 4096, 1LL << 40, NULL },
	{ "kv.server.user",		CK_STR, 0, 0, NULL },
	{ "kv.server.libexec",		CK_STR, 0, 0, NULL },
	{ "kv.server.control",		CK_STR, 0, 0, NULL },
	{ "kv.server.max_msg",		CK_INT, 1024, 64 << 20, NULL },
	{ "kv.server.max_out",		CK_INT, 64 << 10, 1 << 30, NULL },
	{ "kv.server.restart.min",	CK_NUM, 0.01, 60, NULL },
	{ "kv.server.restart.max",	CK_NUM, 0.1, 3600, NULL },
	{ "kv.server.shutdown_timeout",	CK_NUM, 0.1, 60, NULL },
	{ NULL, 0, 0, 0, NULL }
};
