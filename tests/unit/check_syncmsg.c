/*
 * check_syncmsg.c - syncd's server messages against the captures of
 * the original (ORIGINAL-ON-THE-WIRE.md §3, §4): encoding gives the
 * captured bytes, every captured message decodes, decode + encode is
 * the identity, every truncation fails cleanly, malformed messages are
 * refused with a reason, and the core<->syncd event form round-trips.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "syncd/msg.h"
#include "tests/unit/testutil.h"

/* §3 */
#define INIT_S2	"82a174a4696e6974a46e6f6465a27332"
#define VERS_DEL_S2 "89a174a476657273a46e6f6465a27332a56379636c6564a36761" \
	"700aa56e6f64657305a673706c69747304a76e5f686f7374730aa776657273696f" \
	"6e01a8666f7263655f696e00"
#define VERS_PING_S2 "89a174a476657273a46e6f6465a27332a56379636c650aa3676" \
	"17002a56e6f64657305a673706c69747304a76e5f686f7374730aa77665727369" \
	"6f6e00a8666f7263655f696e00"
#define PING_S1 "84a174a470696e67a46e6f6465a27331a576616c756592cce136a768" \
	"6973746f727991a27331"
#define PING_S2_NIL "84a174a470696e67a46e6f6465a27332a576616c7565c0a76869" \
	"73746f727991a27332"
#define PING_S2_2 "84a174a470696e67a46e6f6465a27332a576616c756592ccf901a7" \
	"686973746f727992a27332a27331"
#define UPD_V1 "86a46e6f6465a27331a47469636b37a470726576c0a470617468c70a0" \
	"3a46d717474a464656d6fa576616c7565a27631a4746f636bccf3"
#define UPD_MAP "86a46e6f6465a27331a47469636b38a470726576c0a470617468c70a" \
	"03a46d717474a464656d6fa576616c756582a161cb3ff8000000000000a162c401" \
	"01a4746f636bccf7"
#define UPD_DEL "85a46e6f6465a27332a47469636b01a47072657683a46e6f6465a273" \
	"31a47469636b38a470726576c0a470617468c70a03a46d717474a464656d6fa474" \
	"6f636bccfa"
/* §4 (re-encoded from the annotated capture; sizes match) */
#define INFO_MISSING "84a76d697373696e6781a2733191920305a4746f636b1aa46e6f" \
	"6465a27332a47469636b02"
#define INFO_KNOWN "85a56b6e6f776e81a273329102a764656c6574656480a4746f636b" \
	"1ca46e6f6465a27332a47469636b02"
#define RESEND "86a576616c7565a766726f6d2d7331a5636861696e83a46e6f6465a27" \
	"331a47469636b04a470726576c0a4746f636b19a470617468c70b03a573706c6974" \
	"a4626f7468a46e6f6465a27331a47469636b04"
/* The same, re-sent by a server that has made no change yet (tick 0). */
#define RESEND0 "86a576616c7565a766726f6d2d7331a5636861696e83a46e6f6465a27" \
	"331a47469636b04a470726576c0a4746f636b19a470617468c70b03a573706c6974" \
	"a4626f7468a46e6f6465a27333a47469636b00"
#define UPD_BEFORE "86a46e6f6465a27331a47469636b02a470726576c0a470617468c" \
	"70d03a573706c6974a66265666f7265a576616c7565a26230a4746f636b12"

static const struct {
	enum sync_kind	 kind;
	const char	*hex;
} captured[] = {
	{ SK_DEL, INIT_S2 }, { SK_DEL, VERS_DEL_S2 }, { SK_PING, INIT_S2 },
	{ SK_PING, VERS_PING_S2 }, { SK_PING, PING_S1 },
	{ SK_PING, PING_S2_NIL }, { SK_PING, PING_S2_2 },
	{ SK_UPDATE, UPD_V1 }, { SK_UPDATE, UPD_MAP }, { SK_UPDATE, UPD_DEL },
	{ SK_INFO, INFO_MISSING }, { SK_INFO, INFO_KNOWN },
	{ SK_UPDATE, RESEND }, { SK_UPDATE, UPD_BEFORE },
};
#define NCAPTURED	(sizeof(captured) / sizeof(captured[0]))

static void
assert_hex(const struct mpbuf *b, const char *hex)
{
	uint8_t		 want[512];
	size_t		 n = tu_unhex(hex, want, sizeof(want));

	ck_assert_uint_eq(b->len, n);
	if (memcmp(b->data, want, n) != 0) {
		size_t	 i;

		for (i = 0; i < n; i++)
			fprintf(stderr, "%02x", b->data[i]);
		fprintf(stderr, "\n%s\n", hex);
	}
	ck_assert(memcmp(b->data, want, n) == 0);
}

struct dec {
	msgpack_zone	 zone;
	msgpack_object	 o;
	uint8_t		 raw[512];
	size_t		 len;
};

static int
decode(struct dec *d, enum sync_kind k, const char *hex, const char **why)
{
	d->len = tu_unhex(hex, d->raw, sizeof(d->raw));
	msgpack_zone_init(&d->zone, 1024);
	return sync_unpack(k, d->raw, d->len, 1 << 20, &d->zone, &d->o, why);
}

static void
pack_amsg(struct mpbuf *b, const struct amsg *m)
{
	msgpack_packer	 pk;

	mpbuf_reset(b);
	msgpack_packer_init(&pk, b, mpbuf_write);
	amsg_pack(m, &pk);
}

START_TEST(actor_messages_encode_as_captured)
{
	struct amsg	*m = calloc(1, sizeof(*m));
	struct mpbuf	 b;

	mpbuf_init(&b);
	m->t = AMSG_INIT;
	strcpy(m->node, "s2");
	pack_amsg(&b, m);
	assert_hex(&b, INIT_S2);

	m->t = AMSG_VERS;
	m->cfg = (struct actor_cfg){ 100, 10, 5, 4, 10, 1, 0 };
	pack_amsg(&b, m);
	assert_hex(&b, VERS_DEL_S2);
	m->cfg = (struct actor_cfg){ 10, 2, 5, 4, 10, 0, 0 };
	pack_amsg(&b, m);
	assert_hex(&b, VERS_PING_S2);

	m->t = AMSG_PING;
	m->nhist = 1;
	strcpy(m->hist[0], "s2");
	pack_amsg(&b, m);
	assert_hex(&b, PING_S2_NIL);
	m->value = (struct actor_val){ 1, 249, 1 };
	m->nhist = 2;
	strcpy(m->hist[1], "s1");
	pack_amsg(&b, m);
	assert_hex(&b, PING_S2_2);

	strcpy(m->node, "s1");
	strcpy(m->hist[0], "s1");
	m->nhist = 1;
	m->value = (struct actor_val){ 1, 225, 54 };
	pack_amsg(&b, m);
	assert_hex(&b, PING_S1);
	mpbuf_free(&b);
	free(m);
}
END_TEST

START_TEST(actor_messages_decode)
{
	struct amsg	*m = calloc(1, sizeof(*m));
	struct mpbuf	 b;
	struct dec	 d;
	const char	*why, *const all[] = { INIT_S2, VERS_DEL_S2,
	    VERS_PING_S2, PING_S1, PING_S2_NIL, PING_S2_2 };
	unsigned	 i;

	ck_assert_int_eq(decode(&d, SK_PING, VERS_DEL_S2, &why), 0);
	ck_assert_int_eq(amsg_parse(&d.o, m, &why), 0);
	ck_assert_int_eq(m->t, AMSG_VERS);
	ck_assert_str_eq(m->node, "s2");
	ck_assert(m->cfg.cycle == 100 && m->cfg.gap == 10);
	ck_assert_int_eq(m->cfg.version, 1);
	msgpack_zone_destroy(&d.zone);

	ck_assert_int_eq(decode(&d, SK_PING, PING_S2_2, &why), 0);
	ck_assert_int_eq(amsg_parse(&d.o, m, &why), 0);
	ck_assert_int_eq(m->t, AMSG_PING);
	ck_assert(m->value.has && m->value.tock == 249 && m->value.tick == 1);
	ck_assert_uint_eq(m->nhist, 2);
	ck_assert_str_eq(m->hist[1], "s1");
	msgpack_zone_destroy(&d.zone);

	/* decode then encode gives the same bytes, for every one */
	mpbuf_init(&b);
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		ck_assert_int_eq(decode(&d, SK_PING, all[i], &why), 0);
		ck_assert_int_eq(amsg_parse(&d.o, m, &why), 0);
		pack_amsg(&b, m);
		assert_hex(&b, all[i]);
		msgpack_zone_destroy(&d.zone);
	}
	mpbuf_free(&b);
	free(m);
}
END_TEST

/* Decode an update and pack it again, in both forms. */
static void
update_round_trip(const char *hex)
{
	struct supdate	 u, u2;
	struct mpbuf	 path, path2, out;
	msgpack_packer	 pk;
	msgpack_zone	 z2;
	msgpack_object	 o2;
	struct dec	 d;
	const char	*why;
	size_t		 off = 0;

	mpbuf_init(&path);
	mpbuf_init(&path2);
	mpbuf_init(&out);
	ck_assert_int_eq(decode(&d, SK_UPDATE, hex, &why), 0);
	ck_assert_msg(supdate_parse(&d.o, &u, &path, &why) == 0, "%s", why);
	msgpack_packer_init(&pk, &out, mpbuf_write);
	supdate_pack(&u, &pk);
	assert_hex(&out, hex);

	/* through the IPC form and back */
	mpbuf_reset(&out);
	supdate_pack_ipc(&u, &pk);
	msgpack_zone_init(&z2, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)out.data, out.len, &off,
	    &z2, &o2), MSGPACK_UNPACK_SUCCESS);
	ck_assert_msg(supdate_parse_ipc(&o2, &u2, &path2, &why) == 0, "%s",
	    why);
	ck_assert_uint_eq(u2.chain.n, u.chain.n);
	ck_assert_int_eq(u2.resend, u.resend);
	/* u2 points into out: pack into another buffer */
	mpbuf_reset(&path);
	msgpack_packer_init(&pk, &path, mpbuf_write);
	supdate_pack(&u2, &pk);
	assert_hex(&path, hex);

	msgpack_zone_destroy(&z2);
	msgpack_zone_destroy(&d.zone);
	mpbuf_free(&path);
	mpbuf_free(&path2);
	mpbuf_free(&out);
}

START_TEST(updates_round_trip_as_captured)
{
	update_round_trip(UPD_V1);
	update_round_trip(UPD_MAP);
	update_round_trip(UPD_DEL);
	update_round_trip(RESEND);
	update_round_trip(RESEND0);
	update_round_trip(UPD_BEFORE);
}
END_TEST

START_TEST(update_fields)
{
	struct supdate	 u;
	struct mpbuf	 path;
	struct dec	 d;
	const char	*why;

	mpbuf_init(&path);
	ck_assert_int_eq(decode(&d, SK_UPDATE, UPD_DEL, &why), 0);
	ck_assert_int_eq(supdate_parse(&d.o, &u, &path, &why), 0);
	ck_assert_uint_eq(u.chain.n, 2);
	ck_assert(!u.chain.trunc && !u.resend && u.value == NULL);
	ck_assert_uint_eq(u.chain.link[0].tick, 1);
	ck_assert(memcmp(u.chain.link[1].node, "s1", 2) == 0);
	ck_assert_uint_eq(u.chain.link[1].tick, 56);
	ck_assert_uint_eq(u.tock, 250);
	ck_assert_uint_eq(u.pathlen, 10);
	msgpack_zone_destroy(&d.zone);

	ck_assert_int_eq(decode(&d, SK_UPDATE, RESEND, &why), 0);
	ck_assert_int_eq(supdate_parse(&d.o, &u, &path, &why), 0);
	ck_assert(u.resend && u.srctick == 4 && u.chain.n == 1);
	ck_assert(u.value && u.value->type == MSGPACK_OBJECT_STR);
	msgpack_zone_destroy(&d.zone);
	mpbuf_free(&path);
}
END_TEST

START_TEST(infos_round_trip_as_captured)
{
	const char	*const all[] = { INFO_MISSING, INFO_KNOWN }, *why;
	struct sinfo	 si;
	struct mpbuf	 out;
	msgpack_packer	 pk;
	struct dec	 d;
	unsigned	 i;

	mpbuf_init(&out);
	msgpack_packer_init(&pk, &out, mpbuf_write);
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(decode(&d, SK_INFO, all[i], &why), 0);
		ck_assert_msg(sinfo_parse(&d.o, &si, 1, &why) == 0, "%s", why);
		ck_assert_uint_eq(si.tick, 2);
		ck_assert(si.nodelen == 2 && memcmp(si.node, "s2", 2) == 0);
		mpbuf_reset(&out);
		sinfo_pack(&si, &pk);
		assert_hex(&out, all[i]);
		msgpack_zone_destroy(&d.zone);
	}
	ck_assert_int_eq(decode(&d, SK_INFO, INFO_KNOWN, &why), 0);
	ck_assert_int_eq(sinfo_parse(&d.o, &si, 1, &why), 0);
	ck_assert(si.f[SI_KNOWN] && si.f[SI_DELETED] && !si.f[SI_MISSING]);
	ck_assert_uint_eq(si.tock, 28);
	msgpack_zone_destroy(&d.zone);
	mpbuf_free(&out);
}
END_TEST

/* lldpd's test_too_small_unmarshal: every prefix must fail, cleanly. */
START_TEST(truncation_fails_everywhere)
{
	uint8_t		 raw[512];
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	size_t		 n, cut;
	unsigned	 i;

	for (i = 0; i < NCAPTURED; i++) {
		n = tu_unhex(captured[i].hex, raw, sizeof(raw));
		msgpack_zone_init(&zone, 1024);
		ck_assert_int_eq(sync_unpack(captured[i].kind, raw, n, 1 << 20,
		    &zone, &o, &why), 0);
		msgpack_zone_destroy(&zone);
		for (cut = 0; cut < n; cut++) {
			why = NULL;
			msgpack_zone_init(&zone, 1024);
			ck_assert_int_eq(sync_unpack(captured[i].kind, raw, cut,
			    1 << 20, &zone, &o, &why), -1);
			ck_assert_ptr_nonnull(why);
			msgpack_zone_destroy(&zone);
		}
	}
}
END_TEST

/* Build a message with msgpack-c and run it through the right parser. */
static int
parse_built(enum sync_kind k, void (*build)(msgpack_packer *),
    const char **why)
{
	struct amsg	*m = malloc(sizeof(*m));
	struct supdate	 u;
	struct sinfo	 si;
	struct mpbuf	 b, path;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	int		 rc;

	mpbuf_init(&b);
	mpbuf_init(&path);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	build(&pk);
	msgpack_zone_init(&zone, 1024);
	rc = sync_unpack(k, b.data, b.len, 1 << 20, &zone, &o, why);
	if (rc == 0 && k == SK_PING)
		rc = amsg_parse(&o, m, why);
	else if (rc == 0 && k == SK_UPDATE)
		rc = supdate_parse(&o, &u, &path, why);
	else if (rc == 0)
		rc = sinfo_parse(&o, &si, 1, why);
	msgpack_zone_destroy(&zone);
	mpbuf_free(&b);
	mpbuf_free(&path);
	free(m);
	return rc;
}

static void
b_ping_bad_value(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "t", "ping");
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_kv_str(pk, "value", "high");
}

static void
b_ping_long_history(msgpack_packer *pk)
{
	int	 i;

	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "t", "ping");
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_str(pk, "history");
	msgpack_pack_array(pk, SYNC_HIST_MAX + 1);
	for (i = 0; i <= SYNC_HIST_MAX; i++)
		mp_pack_str(pk, "x");
}

static void
b_vers_bad_gap(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 4);
	mp_pack_kv_str(pk, "t", "vers");
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_kv_int(pk, "cycle", 1);
	mp_pack_kv_int(pk, "gap", 1);
}

static void
b_ping_empty_name(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	mp_pack_kv_str(pk, "t", "init");
	mp_pack_kv_str(pk, "node", "");
}

static void
b_update_tick0(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 5);
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_kv_int(pk, "tick", 0);
	mp_pack_str(pk, "prev");
	msgpack_pack_nil(pk);
	mp_pack_str(pk, "path");
	msgpack_pack_array(pk, 0);
	mp_pack_kv_int(pk, "tock", 1);
}

static void
b_update_no_tock(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 3);
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_kv_int(pk, "tick", 3);
	mp_pack_str(pk, "path");
	msgpack_pack_array(pk, 0);
}

static void
b_update_map_path(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 4);
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_kv_int(pk, "tick", 3);
	mp_pack_str(pk, "path");
	msgpack_pack_map(pk, 0);
	mp_pack_kv_int(pk, "tock", 1);
}

static void
b_update_no_node(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "path");
	msgpack_pack_array(pk, 0);
	mp_pack_kv_int(pk, "tock", 1);
}

static void
b_info_bad_ranges(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 2);
	mp_pack_kv_str(pk, "node", "x");
	mp_pack_str(pk, "missing");
	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "y");
	msgpack_pack_array(pk, 1);
	msgpack_pack_array(pk, 2);
	msgpack_pack_int(pk, 5);
	msgpack_pack_int(pk, 3);	/* [5, 3]: empty, backwards */
}

static void
b_info_no_node(msgpack_packer *pk)
{
	msgpack_pack_map(pk, 1);
	mp_pack_kv_int(pk, "tock", 3);
}

START_TEST(malformed_is_refused)
{
	const char	*why;

	ck_assert_int_eq(parse_built(SK_PING, b_ping_bad_value, &why), -1);
	ck_assert_int_eq(parse_built(SK_PING, b_ping_long_history, &why), -1);
	ck_assert_int_eq(parse_built(SK_PING, b_vers_bad_gap, &why), -1);
	ck_assert_int_eq(parse_built(SK_PING, b_ping_empty_name, &why), -1);
	ck_assert_int_eq(parse_built(SK_UPDATE, b_update_tick0, &why), -1);
	ck_assert_int_eq(parse_built(SK_UPDATE, b_update_no_tock, &why), -1);
	ck_assert_int_eq(parse_built(SK_UPDATE, b_update_map_path, &why), -1);
	ck_assert_int_eq(parse_built(SK_UPDATE, b_update_no_node, &why),
	    -1);
	ck_assert_int_eq(parse_built(SK_INFO, b_info_bad_ranges, &why), -1);
	ck_assert_int_eq(parse_built(SK_INFO, b_info_no_node, &why), -1);
}
END_TEST

START_TEST(bombs_and_limits)
{
	static const uint8_t bomb[] = { 0xdd, 0xff, 0xff, 0xff, 0xff };
	uint8_t		 big[SYNC_PING_MAX + 16];
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;

	msgpack_zone_init(&zone, 256);
	ck_assert_int_eq(sync_unpack(SK_PING, bomb, sizeof(bomb), 1 << 20,
	    &zone, &o, &why), -1);
	ck_assert_int_eq(sync_unpack(SK_UPDATE, bomb, sizeof(bomb), 1 << 20,
	    &zone, &o, &why), -1);
	/* a ping is small: a large str in one is refused */
	memset(big, 'a', sizeof(big));
	big[0] = 0xda;			/* str16 */
	big[1] = (SYNC_PING_MAX >> 8) & 0xff;
	big[2] = SYNC_PING_MAX & 0xff;
	ck_assert_int_eq(sync_unpack(SK_PING, big, SYNC_PING_MAX + 3, 1 << 20,
	    &zone, &o, &why), -1);
	/* not a map */
	ck_assert_int_eq(sync_unpack(SK_INFO, (const uint8_t *)"\x93\x01\x02"
	    "\x03", 4, 1 << 20, &zone, &o, &why), -1);
	ck_assert_str_eq(why, "payload is not a map");
	msgpack_zone_destroy(&zone);
}
END_TEST

START_TEST(nested_chain_is_bounded)
{
	struct supdate	 u;
	struct mpbuf	 b, path;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	int		 i, n = 20;

	/* 20 nested links parse (depth within mpval's 32) ... */
	mpbuf_init(&b);
	mpbuf_init(&path);
	msgpack_packer_init(&pk, &b, mpbuf_write);
again:
	for (i = 0; i < n; i++) {
		char	 name[16];

		snprintf(name, sizeof(name), "n%d", i);
		msgpack_pack_map(&pk, i == 0 ? 6 : 3);
		if (i == 0) {
			mp_pack_str(&pk, "path");
			msgpack_pack_array(&pk, 0);
			mp_pack_kv_int(&pk, "tock", 9);
			mp_pack_kv_int(&pk, "value", 1);
		}
		mp_pack_kv_str(&pk, "node", name);
		mp_pack_kv_int(&pk, "tick", i + 1);
		mp_pack_str(&pk, "prev");
	}
	msgpack_pack_nil(&pk);
	msgpack_zone_init(&zone, 4096);
	if (n == 40) {
		ck_assert_int_eq(sync_unpack(SK_UPDATE, b.data, b.len, 1 << 20,
		    &zone, &o, &why), -1);
		msgpack_zone_destroy(&zone);
		goto done;
	}
	ck_assert_int_eq(sync_unpack(SK_UPDATE, b.data, b.len, 1 << 20, &zone,
	    &o, &why), 0);
	ck_assert_int_eq(supdate_parse(&o, &u, &path, &why), 0);
	ck_assert_uint_eq(u.chain.n, n);
	ck_assert_uint_eq(u.chain.link[19].tick, 20);
	msgpack_zone_destroy(&zone);
	/* ... 40 are deeper than the validator allows */
	if (n == 20) {
		n = 40;
		mpbuf_reset(&b);
		goto again;
	}
done:
	mpbuf_free(&b);
	mpbuf_free(&path);
}
END_TEST

START_TEST(kinds)
{
	ck_assert_int_eq(sync_kind("moat/kv/update", "moat/kv"), SK_UPDATE);
	ck_assert_int_eq(sync_kind("moat/kv/ping", "moat/kv"), SK_PING);
	ck_assert_int_eq(sync_kind("moat/kv/info", "moat/kv"), SK_INFO);
	ck_assert_int_eq(sync_kind("moat/kv/del", "moat/kv"), SK_DEL);
	ck_assert_int_eq(sync_kind("moat/kv/pingx", "moat/kv"), SK_UNKNOWN);
	ck_assert_int_eq(sync_kind("moat/kvx/ping", "moat/kv"), SK_UNKNOWN);
	ck_assert_int_eq(sync_kind("moat/kv", "moat/kv"), SK_UNKNOWN);
	ck_assert_int_eq(sync_kind("a/b/c/ping", "a/b/c"), SK_PING);
	ck_assert_str_eq(sync_kind_str(SK_INFO), "info");
}
END_TEST

START_TEST(ipc_events_are_checked)
{
	struct supdate	 u;
	struct mpbuf	 b, path;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	size_t		 off = 0;

	mpbuf_init(&b);
	mpbuf_init(&path);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	/* path must be bin (a packed path), not ext 3 */
	msgpack_pack_map(&pk, 3);
	mp_pack_str(&pk, "chain");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, "a");
	msgpack_pack_int(&pk, 1);
	mp_pack_str(&pk, "path");
	msgpack_pack_ext(&pk, 0, 3);
	mp_pack_kv_int(&pk, "tock", 1);
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)b.data, b.len, &off,
	    &zone, &o), MSGPACK_UNPACK_SUCCESS);
	ck_assert_int_eq(supdate_parse_ipc(&o, &u, &path, &why), -1);
	ck_assert_str_eq(why, "event path must be a packed path (bin)");
	msgpack_zone_destroy(&zone);
	mpbuf_free(&b);
	mpbuf_free(&path);
}
END_TEST

TU_MAIN("syncmsg", 0, actor_messages_encode_as_captured,
    actor_messages_decode, updates_round_trip_as_captured, update_fields,
    infos_round_trip_as_captured, truncation_fails_everywhere,
    malformed_is_refused, bombs_and_limits, nested_chain_is_bounded, kinds,
    ipc_events_are_checked)
