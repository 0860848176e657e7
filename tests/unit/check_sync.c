/*
 * check_sync.c - core's side of server sync without syncd: remote
 * updates through csync_dispatch() are applied or ignored by their
 * chains (stale, newer, concurrent by tock, equal tocks by name in
 * either order), every change seen ends up present or superseded, and
 * peers' info messages update the node ranges (node_drop forgets only
 * nodes no entry carries), purging tombstones and stale entries.  Over a real channel: SYNC_STATE when syncd
 * comes up, and the info bodies for the ticks and missing requests.  Malformed events are
 * dropped without harm.
 */
#include <sys/socket.h>

#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "core/core.h"
#include "core/purge.h"
#include "core/sync.h"
#include "ipc/ipc.h"
#include "ipc/msg.h"
#include "lib/mp.h"
#include "tests/unit/testutil.h"

struct link {
	const char	*node;
	uint64_t	 tick;
};

static void
dispatch(uint16_t type, struct mpbuf *b)
{
	struct ipc_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.fd = -1;
	m.data = b->data;
	m.len = b->len;
	ck_assert_int_eq(csync_dispatch(&m), 0);
	mpbuf_free(b);
}

/* One update of the entry at path ("a" = one str element). */
static void
remote(const char *elem, const char *value, const struct link *l,
    unsigned n, uint64_t tock)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	unsigned	 i;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 3 + (value != NULL));
	mp_pack_str(&pk, "chain");
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++) {
		msgpack_pack_array(&pk, 2);
		mp_pack_str(&pk, l[i].node);
		msgpack_pack_uint64(&pk, l[i].tick);
	}
	mp_pack_str(&pk, "path");
	msgpack_pack_bin(&pk, 1 + strlen(elem));
	{
		uint8_t	 h = 0xa0 | (uint8_t)strlen(elem);

		msgpack_pack_bin_body(&pk, &h, 1);
		msgpack_pack_bin_body(&pk, elem, strlen(elem));
	}
	if (value) {
		mp_pack_str(&pk, "value");
		mp_pack_str(&pk, value);
	}
	mp_pack_kv_uint(&pk, "tock", tock);
	dispatch(IPC_SYNC_REMOTE, &b);
}

static struct entry *
lookup(const char *elem)
{
	uint8_t	 p[32];

	p[0] = 0xa0 | (uint8_t)strlen(elem);
	memcpy(p + 1, elem, strlen(elem));
	return tree_lookup(core.tree, p, 1 + strlen(elem));
}

/* The entry's value as a C string ("" for none). */
static const char *
value_of(const char *elem)
{
	static char	 buf[64];
	struct entry	*e = lookup(elem);
	const uint8_t	*v;
	size_t		 len;

	buf[0] = '\0';
	if (e == NULL || (v = entry_value(e, &len)) == NULL)
		return buf;
	ck_assert_uint_ge(len, 1);
	memcpy(buf, v + 1, len - 1);	/* a fixstr */
	buf[len - 1] = '\0';
	return buf;
}

static struct nodeinfo *
node(const char *name)
{
	uint32_t	 i = tree_node_intern(core.tree, name, strlen(name));

	return nodes_get(&core.nodes, i);
}

START_TEST(stale_newer_concurrent)
{
	static const struct link a1[] = { { "s2", 1 } };
	static const struct link b1[] = { { "s3", 1 }, { "s2", 1 } };
	static const struct link c1[] = { { "s4", 1 }, { "s2", 1 } };
	static const struct link d1[] = { { "s5", 1 }, { "s2", 1 } };

	core_state_init("s1", 5);
	remote("a", "one", a1, 1, 10);
	ck_assert_str_eq(value_of("a"), "one");
	ck_assert(ranges_contains(&node("s2")->present, 1));
	ck_assert_uint_eq(node("s2")->tick, 1);
	ck_assert_uint_ge(core.tock, 10);
	/* the same change again, with another value: ignored */
	remote("a", "bad", a1, 1, 10);
	ck_assert_str_eq(value_of("a"), "one");
	/* newer */
	remote("a", "two", b1, 2, 11);
	ck_assert_str_eq(value_of("a"), "two");
	ck_assert_uint_eq(entry_chain(lookup("a")).n, 2);
	/* older: ignored, and s2:1 still in the chain, not superseded */
	remote("a", "bad", a1, 1, 9);
	ck_assert_str_eq(value_of("a"), "two");
	ck_assert(!ranges_contains(&node("s2")->superseded, 1));
	/* concurrent, higher tock: wins; the loser is superseded */
	remote("a", "three", c1, 2, 20);
	ck_assert_str_eq(value_of("a"), "three");
	ck_assert(ranges_contains(&node("s3")->superseded, 1));
	ck_assert(!ranges_contains(&node("s3")->present, 1));
	/* concurrent, lower tock: loses, but counts as seen */
	remote("a", "bad", d1, 2, 5);
	ck_assert_str_eq(value_of("a"), "three");
	ck_assert(ranges_contains(&node("s5")->superseded, 1));
	ck_assert_uint_eq(node("s5")->tick, 1);
	core_state_free();
}
END_TEST

/* Equal tocks: the same winner whatever the order of arrival. */
START_TEST(equal_tocks_same_winner)
{
	static const struct link x[] = { { "sA", 3 } };
	static const struct link y[] = { { "sB", 3 } };
	char	 first[64];

	core_state_init("s1", 5);
	remote("t", "x", x, 1, 7);
	remote("t", "y", y, 1, 7);
	strcpy(first, value_of("t"));
	core_state_free();
	core_state_init("s1", 5);
	remote("t", "y", y, 1, 7);
	remote("t", "x", x, 1, 7);
	ck_assert_str_eq(value_of("t"), first);
	/* the loser is superseded on both */
	ck_assert(ranges_contains(&node(strcmp(first, "x") == 0 ? "sB" :
	    "sA")->superseded, 3));
	core_state_free();
}
END_TEST

START_TEST(deletion_and_bad_events)
{
	static const struct link a1[] = { { "s2", 1 } };
	static const struct link a2[] = { { "s2", 2 } };
	static const struct link zero[] = { { "s2", 0 } };
	static const struct link dup[] = { { "s3", 1 }, { "s3", 2 } };
	struct mpbuf	 b;
	msgpack_packer	 pk;

	core_state_init("s1", 5);
	remote("a", "one", a1, 1, 3);
	remote("a", NULL, a2, 1, 4);
	ck_assert_ptr_nonnull(lookup("a"));
	ck_assert(!entry_has_value(lookup("a")));
	ck_assert(ranges_contains(&node("s2")->deleted, 2));
	ck_assert(ranges_contains(&node("s2")->superseded, 1));
	remote("b", "bad", zero, 1, 5);
	remote("b", "bad", dup, 2, 5);
	ck_assert_ptr_null(lookup("b"));
	/* not a list; an event without a path */
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 0);
	dispatch(IPC_SYNC_REMOTE, &b);
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_uint(&pk, "tock", 1);
	dispatch(IPC_SYNC_REMOTE, &b);
	/* not even MsgPack */
	mpbuf_init(&b);
	mpbuf_add(&b, "\xc1", 1);
	dispatch(IPC_SYNC_REMOTE, &b);
	ck_assert_uint_eq(tree_count(core.tree), 1);
	core_state_free();
}
END_TEST

START_TEST(info_ranges)
{
	struct ranges	 miss = RANGES_INITIALIZER;
	struct mpbuf	 b;
	msgpack_packer	 pk;

	core_state_init("s1", 5);
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 5);
	mp_pack_kv_str(&pk, "node", "s2");
	mp_pack_kv_uint(&pk, "tick", 4);
	mp_pack_kv_uint(&pk, "tock", 99);
	mp_pack_str(&pk, "ticks");
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_uint(&pk, "s9", 5);
	mp_pack_str(&pk, "known");
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "s9");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint64(&pk, 3);
	dispatch(IPC_SYNC_INFO, &b);
	ck_assert_uint_eq(node("s9")->tick, 5);
	ck_assert_uint_eq(node("s2")->tick, 4);
	ck_assert_uint_ge(core.tock, 99);
	ck_assert_int_eq(nodes_missing(node("s9"), &miss), 0);
	ck_assert_uint_eq(ranges_count(&miss), 3);	/* 3, 4, 5 */
	ck_assert(!ranges_contains(&miss, 2));
	/* a peer misses our tick 1 */
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "missing");
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "s1");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_uint64(&pk, 1);
	dispatch(IPC_SYNC_INFO, &b);
	ck_assert(ranges_contains(&node("s1")->reported, 1));
	/* node_drop forgets s9 (no entry carries it), not s2 (one does) */
	{
		static const struct link l2[] = { { "s2", 4 } };

		remote("k", "v", l2, 1, 100);
	}
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "node_drop");
	msgpack_pack_array(&pk, 3);
	mp_pack_str(&pk, "s9");
	mp_pack_str(&pk, "s2");
	mp_pack_str(&pk, "nobody");
	dispatch(IPC_SYNC_INFO, &b);
	ck_assert_uint_eq(node("s9")->tick, 0);
	ck_assert(ranges_empty(&node("s9")->superseded));
	ck_assert_uint_eq(node("s2")->tick, 4);
	ranges_free(&miss);
	core_state_free();
}
END_TEST

/* --- purging --------------------------------------------------------- */

static void
purge_below(struct event_base *base, uint64_t tock)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_kv_uint(&pk, "tock", tock);
	dispatch(IPC_SYNC_PURGE, &b);
	event_base_loop(base, EVLOOP_NONBLOCK);
}

/* {name: [tick]} under key, as an info from s4 */
static void
info_one(const char *key, const char *name, uint64_t tick)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 4);
	mp_pack_kv_str(&pk, "node", "s4");
	mp_pack_kv_uint(&pk, "tick", 1);
	mp_pack_kv_uint(&pk, "tock", 1);
	mp_pack_str(&pk, key);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, name);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_uint64(&pk, tick);
	dispatch(IPC_SYNC_INFO, &b);
}

/*
 * Tombstones older than the purge tock go, their links superseded;
 * younger ones and values stay.  A check of links answers those gone
 * here.  A `deleted' for the newest link of a value makes it a
 * tombstone (the value was missed by a purge elsewhere).
 */
START_TEST(purge_and_stale)
{
	static const struct link x1[] = { { "s2", 1 } };
	static const struct link x2[] = { { "s3", 1 }, { "s2", 1 } };
	static const struct link y1[] = { { "s2", 3 } };
	static const struct link z1[] = { { "s3", 2 } };
	struct event_base *base = event_base_new();
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	size_t		 off = 0;

	core_state_init("s1", 5);
	cpurge_init(base);
	remote("x", "v", x1, 1, 10);
	remote("x", NULL, x2, 2, 20);		/* a tombstone, tock 20 */
	remote("y", "w", y1, 1, 30);
	remote("z", NULL, z1, 1, 50);		/* one at tock 50 */
	ck_assert_ptr_nonnull(lookup("x"));
	purge_below(base, 40);
	ck_assert_ptr_null(lookup("x"));
	ck_assert_ptr_nonnull(lookup("z"));
	ck_assert_str_eq(value_of("y"), "w");
	ck_assert(ranges_contains(&node("s3")->superseded, 1));
	ck_assert(ranges_contains(&node("s2")->superseded, 1));
	ck_assert(!ranges_contains(&node("s3")->present, 1));
	ck_assert(!ranges_contains(&node("s3")->deleted, 1));
	ck_assert(ranges_contains(&node("s3")->deleted, 2));
	/* a peer's newest links s3:1 (gone here), s3:2 (still here) */
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, "s3");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_uint64(&pk, 1);
	msgpack_pack_uint64(&pk, 2);
	msgpack_zone_init(&zone, 256);
	ck_assert_int_eq(msgpack_unpack((const char *)b.data, b.len, &off,
	    &zone, &o), MSGPACK_UNPACK_SUCCESS);
	ck_assert_uint_eq(cpurge_answer(&o), 1);
	msgpack_zone_destroy(&zone);
	mpbuf_free(&b);
	/* y's newest change was deleted elsewhere: y becomes a tombstone */
	info_one("deleted", "s2", 3);
	event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_ptr_nonnull(lookup("y"));
	ck_assert_str_eq(value_of("y"), "");
	ck_assert_uint_eq(entry_chain(lookup("y")).n, 1);
	ck_assert(ranges_contains(&node("s2")->deleted, 3));
	/* a deleted tick of a purged tombstone is not recorded again */
	info_one("deleted", "s3", 1);
	ck_assert(!ranges_contains(&node("s3")->deleted, 1));
	purge_below(base, 60);
	ck_assert_ptr_null(lookup("y"));
	ck_assert_ptr_null(lookup("z"));
	cpurge_free();
	core_state_free();
	event_base_free(base);
}
END_TEST

/* --- what core sends syncd ------------------------------------------ */

static struct {
	uint16_t	 type[16];
	msgpack_object	 obj[16];
	msgpack_zone	 zone;
	int		 n;
} out;

static void
on_frame(struct ipc_chan *c, struct ipc_msg *m, void *arg)
{
	size_t	 off = 0;

	ck_assert_int_lt(out.n, 16);
	out.type[out.n] = m->type;
	ck_assert_int_eq(msgpack_unpack((const char *)m->data, m->len, &off,
	    &out.zone, &out.obj[out.n]), MSGPACK_UNPACK_SUCCESS);
	out.n++;
}

static void
on_gone(struct ipc_chan *c, const char *why, void *arg)
{
}

/* Flush core's end and collect n frames at the other. */
static void
collect(struct event_base *base, struct ipc_chan *core_end, int n)
{
	int	 i;

	ck_assert_int_eq(ipc_flush(core_end), 0);
	for (i = 0; i < 100 && out.n < n; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	ck_assert_int_eq(out.n, n);
}

static uint64_t
map_uint(const msgpack_object *m, const char *k1, const char *k2)
{
	uint64_t	 v;

	if (k2 != NULL)
		m = mp_map_get(m, k1), k1 = k2;
	ck_assert_int_eq(mp_get_uint64(mp_map_get(m, k1), &v), 0);
	return v;
}

static void
req(const char *what)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, 3);
	mp_pack_kv_str(&pk, "what", what);
	mp_pack_kv_int(&pk, "prio", 0);
	mp_pack_kv_bool(&pk, "force", 1);
	dispatch(IPC_SYNC_REQ, &b);
}

START_TEST(state_ticks_missing_out)
{
	static const struct link l[] = { { "s2", 3 } };
	struct event_base *base = event_base_new();
	struct ipc_chan	*a, *b;
	const msgpack_object *miss;
	struct mpbuf	 m;
	msgpack_packer	 pk;
	int		 sp[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
	a = ipc_chan_new(base, sp[0], "core", on_frame, on_gone, NULL);
	b = ipc_chan_new(base, sp[1], "syncd", on_frame, on_gone, NULL);
	memset(&out, 0, sizeof(out));
	msgpack_zone_init(&out.zone, 4096);
	core_state_init("s1", 5);
	csync_peer_up(a);
	collect(base, a, 2);
	ck_assert_uint_eq(out.type[0], IPC_SYNC_STATE);
	ck_assert_uint_eq(map_uint(&out.obj[0], "tick", NULL), 0);
	/* then the deleter list: none (no nodes) */
	ck_assert_uint_eq(out.type[1], IPC_SYNC_DELETER);
	ck_assert_uint_eq(out.obj[1].via.map.size, 0);
	/* s2's change 3 arrives; its ping says it is at 5 */
	remote("x", "v", l, 1, 50);
	mpbuf_init(&m);
	msgpack_packer_init(&pk, &m, mpbuf_write);
	msgpack_pack_map(&pk, 3);
	mp_pack_kv_uint(&pk, "tock", 60);
	mp_pack_kv_str(&pk, "node", "s2");
	mp_pack_kv_uint(&pk, "tick", 5);
	dispatch(IPC_SYNC_TOCK, &m);
	req("ticks");
	req("missing");
	collect(base, a, 4);
	ck_assert_uint_eq(out.type[2], IPC_SYNC_INFO_OUT);
	ck_assert_uint_eq(map_uint(&out.obj[2], "ticks", "s2"), 5);
	ck_assert_uint_ge(map_uint(&out.obj[2], "tock", NULL), 60);
	ck_assert_uint_eq(out.type[3], IPC_SYNC_INFO_OUT);
	miss = mp_map_get(mp_map_get(&out.obj[3], "missing"), "s2");
	ck_assert_ptr_nonnull(miss);	/* [1, 2] and [4, 6]: 1, 2, 4, 5 */
	ck_assert_uint_eq(miss->type, MSGPACK_OBJECT_ARRAY);
	ck_assert_uint_eq(miss->via.array.size, 2);
	csync_peer_down();
	core_state_free();
	ipc_chan_free(a);
	ipc_chan_free(b);
	msgpack_zone_destroy(&out.zone);
	event_base_free(base);
}
END_TEST

TU_MAIN("sync", 0, stale_newer_concurrent, equal_tocks_same_winner,
    deletion_and_bad_events, info_ranges, state_ticks_missing_out,
    purge_and_stale)
