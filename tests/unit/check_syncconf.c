/*
 * check_syncconf.c - kv.server.mqtt.uri parsing (what syncd can connect
 * to from inside its chroot, and the errors for everything else) and
 * the checks of the sync keys moatd runs at start-up.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "lib/confyaml.h"
#include "lib/mp.h"
#include "lib/syncconf.h"
#include "tests/unit/testutil.h"

START_TEST(uris_accepted)
{
	static const struct {
		const char	*uri, *host;
		int		 port;
	} ok[] = {
		{ "mqtt://127.0.0.1", "127.0.0.1", 1883 },
		{ "mqtt://127.0.0.1:51883", "127.0.0.1", 51883 },
		{ "mqtt://localhost", "127.0.0.1", 1883 },
		{ "mqtt://localhost:1", "127.0.0.1", 1 },
		{ "mqtt://10.1.2.3:65535", "10.1.2.3", 65535 },
		{ "mqtt://[::1]", "::1", 1883 },
		{ "mqtt://[fe80::1]:1884", "fe80::1", 1884 },
	};
	struct mqtt_uri	 u;
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(mqtt_uri_parse(ok[i].uri, &u, &why) == 0,
		    "%s: %s", ok[i].uri, why);
		ck_assert_str_eq(u.host, ok[i].host);
		ck_assert_int_eq(u.port, ok[i].port);
	}
	ck_assert_int_eq(mqtt_uri_parse("", &u, &why), 1);
}
END_TEST

START_TEST(uris_refused)
{
	static const char *const bad[] = {
		"127.0.0.1:1883", "mqtts://127.0.0.1", "http://127.0.0.1",
		"mqtt://", "mqtt://:1883", "mqtt://broker.example",
		"mqtt://127.0.0.1:0", "mqtt://127.0.0.1:65536",
		"mqtt://127.0.0.1:", "mqtt://127.0.0.1:12a",
		"mqtt://127.0.0.1:1883/", "mqtt://user@127.0.0.1",
		"mqtt://127.0.0.1?x", "mqtt://[::1", "mqtt://[::1]x",
		"mqtt://[127.0.0.1]", "mqtt://256.1.1.1", "mqtt://::1",
		"mqtt://[]", "mqtt://127.0.0.1:99999999999999999999",
		"MQTT://127.0.0.1",
	};
	struct mqtt_uri	 u;
	const char	*why;
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why = NULL;
		ck_assert_msg(mqtt_uri_parse(bad[i], &u, &why) == -1, "%s",
		    bad[i]);
		ck_assert_ptr_nonnull(why);
	}
	ck_assert_int_eq(mqtt_uri_parse("mqtt://host.example", &u, &why), -1);
	ck_assert(strstr(why, "cannot resolve") != NULL);
}
END_TEST

/* {kv: {server: {mqtt: {uri}, root, ping: {cycle, gap}}}} */
static int
check(const char *uri, const char *root, double cycle, double gap,
    char *err, size_t errlen)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	size_t		 off = 0;
	int		 rc;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "kv");
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "server");
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "mqtt");
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_str(&pk, "uri", uri);
	mp_pack_kv_str(&pk, "root", root);
	mp_pack_str(&pk, "ping");
	msgpack_pack_map(&pk, 2);
	mp_pack_str(&pk, "cycle");
	msgpack_pack_double(&pk, cycle);
	mp_pack_str(&pk, "gap");
	msgpack_pack_double(&pk, gap);
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)b.data, b.len, &off,
	    &zone, &o), MSGPACK_UNPACK_SUCCESS);
	rc = syncconf_check(&o, err, errlen);
	msgpack_zone_destroy(&zone);
	mpbuf_free(&b);
	return rc;
}

START_TEST(config_checks)
{
	char	 err[256];

	ck_assert_int_eq(check("", "moat/kv", 10, 2, err, sizeof(err)), 0);
	ck_assert_int_eq(check("mqtt://localhost:1883", "a", 0.6, 0.2, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(check("mqtt://x.example", "moat/kv", 10, 2, err,
	    sizeof(err)), -1);
	ck_assert(strncmp(err, "kv.server.mqtt.uri: mqtt://x.example: ",
	    38) == 0);
	ck_assert_int_eq(check("", "moat/#", 10, 2, err, sizeof(err)), -1);
	ck_assert(strncmp(err, "kv.server.root", 14) == 0);
	ck_assert_int_eq(check("", "", 10, 2, err, sizeof(err)), -1);
	ck_assert_int_eq(check("", "/moat", 10, 2, err, sizeof(err)), -1);
	ck_assert_int_eq(check("", "moat//kv", 10, 2, err, sizeof(err)), -1);
	ck_assert_int_eq(check("", "moat/kv/", 10, 2, err, sizeof(err)), -1);
	ck_assert_int_eq(check("", "moat/kv", 5, 2, err, sizeof(err)), -1);
	ck_assert(strncmp(err, "kv.server.ping.cycle", 20) == 0);
}
END_TEST

/* The built-in config plus -C assignments, as a child sees it. */
static void
tconf_make(struct tu_conf *t, const char *const *set, size_t n)
{
	struct conf	*c = conf_new();
	char		 err[256];
	size_t		 i;

	for (i = 0; i < n; i++)
		ck_assert_msg(conf_set(c, set[i], err, sizeof(err)) == 0,
		    "%s: %s", set[i], err);
	tu_conf_pack(t, c);
	conf_free(c);
}

START_TEST(hostmap_lookup)
{
	static const char *const set[] = {
		"kv.conn.port=1234",
		"kv.domain=example.com",
		"kv.hostmap.s1=127.0.0.1:5000",
		"kv.hostmap.s2=10.0.0.2",
		"kv.hostmap.s3='[::1]:7000'",
		"kv.hostmap.s4=[127.0.0.2, 6000]",
		"kv.hostmap.s5=localhost",
		"kv.hostmap.s6=::1",
		"kv.hostmap.s7=name",
	};
	static const struct {
		const char	*node, *host;
		int		 port;
	} ok[] = {
		{ "s1", "127.0.0.1", 5000 }, { "s2", "10.0.0.2", 1234 },
		{ "s3", "::1", 7000 }, { "s4", "127.0.0.2", 6000 },
		{ "s5", "127.0.0.1", 1234 }, { "s6", "::1", 1234 },
		{ "127.0.0.9", "127.0.0.9", 1234 },
	};
	struct tu_conf	 t;
	struct peer_addr pa;
	const char	*why;
	char		 err[256];
	size_t		 i;

	tconf_make(&t, set, sizeof(set) / sizeof(set[0]));
	ck_assert_msg(syncconf_check(&t.root, err, sizeof(err)) == 0, "%s", err);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		ck_assert_msg(peer_addr_lookup(&t.root, ok[i].node, &pa,
		    &why) == 0, "%s: %s", ok[i].node, why);
		ck_assert_str_eq(pa.host, ok[i].host);
		ck_assert_int_eq(pa.port, ok[i].port);
	}
	/* names: the domain is added, and then it cannot be resolved */
	ck_assert_int_eq(peer_addr_lookup(&t.root, "s7", &pa, &why), -1);
	ck_assert(strstr(why, "cannot resolve") != NULL);
	ck_assert_int_eq(peer_addr_lookup(&t.root, "s8", &pa, &why), -1);
	tu_conf_free(&t);
	/* no hostmap: the node name itself, on kv.conn.port's default */
	tconf_make(&t, NULL, 0);
	ck_assert_int_eq(peer_addr_lookup(&t.root, "127.0.0.1", &pa, &why), 0);
	ck_assert_str_eq(pa.host, "127.0.0.1");
	ck_assert_int_eq(pa.port, 27586);
	tu_conf_free(&t);
}
END_TEST

START_TEST(hostmap_refused)
{
	static const char *const bad[] = {
		"kv.hostmap.s1=127.0.0.1:0", "kv.hostmap.s1=127.0.0.1:x",
		"kv.hostmap.s1=[127.0.0.1]", "kv.hostmap.s1=[h, 0]",
		"kv.hostmap.s1=17", "kv.hostmap=[a]",
	};
	struct tu_conf	 t;
	char		 err[256];
	size_t		 i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tconf_make(&t, &bad[i], 1);
		ck_assert_msg(syncconf_check(&t.root, err, sizeof(err)) == -1,
		    "%s", bad[i]);
		ck_assert(strncmp(err, "kv.hostmap", 10) == 0);
		tu_conf_free(&t);
	}
}
END_TEST

TU_MAIN("syncconf", 0, uris_accepted, uris_refused, config_checks,
    hostmap_lookup, hostmap_refused)
