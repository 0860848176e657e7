/*
 * check_syncbatch.c - the update/batch extension (syncd/batch.c): a
 * batch decodes into exactly the single update payloads that went in,
 * its bounds (count, bytes, nesting) hold when building and when
 * decoding, every truncation of a batch fails cleanly, and a malformed
 * batch is refused with a reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "syncd/msg.h"
#include "tests/unit/testutil.h"

/*
 * A single update of key "k<i>" by node "s1" at tick i + 1 (chain of one,
 * prev nil), with a str value of vlen bytes.
 */
static void
pack_single(struct mpbuf *b, unsigned i, size_t vlen)
{
	msgpack_packer	 pk;
	struct mpbuf	 path;
	msgpack_packer	 ppk;
	char		 key[16], *v;

	mpbuf_reset(b);
	mpbuf_init(&path);
	msgpack_packer_init(&ppk, &path, mpbuf_write);
	snprintf(key, sizeof(key), "k%u", i);
	mp_pack_str(&ppk, key);
	msgpack_packer_init(&pk, b, mpbuf_write);
	msgpack_pack_map(&pk, 6);
	mp_pack_kv_str(&pk, "node", "s1");
	mp_pack_kv_uint(&pk, "tick", i + 1);
	mp_pack_str(&pk, "prev");
	msgpack_pack_nil(&pk);
	mp_pack_str(&pk, "path");
	mp_pack_path(&pk, path.data, path.len);
	ck_assert_ptr_nonnull(v = malloc(vlen + 1));
	memset(v, 'v', vlen);
	mp_pack_str(&pk, "value");
	mp_pack_strn(&pk, v, vlen);
	mp_pack_kv_uint(&pk, "tock", 100 + i);
	free(v);
	mpbuf_free(&path);
}

struct held {
	msgpack_zone	 zone;
	msgpack_object	 o;
	struct supdate	 u;
	struct mpbuf	 path;
};

/* Parse a single update payload, as syncd does. */
static void
hold(struct held *h, const struct mpbuf *b)
{
	const char	*why;

	msgpack_zone_init(&h->zone, 1024);
	mpbuf_init(&h->path);
	ck_assert_msg(sync_unpack(SK_UPDATE, b->data, b->len, 1 << 20,
	    &h->zone, &h->o, &why) == 0, "%s", why);
	ck_assert_msg(supdate_parse(&h->o, &h->u, &h->path, &why) == 0, "%s",
	    why);
}

static void
release(struct held *h)
{
	msgpack_zone_destroy(&h->zone);
	mpbuf_free(&h->path);
}

/* Add update i (vlen bytes of value) to the batch; the add's result. */
static int
add(struct sbatch *sb, unsigned i, size_t vlen)
{
	struct mpbuf	 b;
	struct held	 h;
	int		 rc;

	mpbuf_init(&b);
	pack_single(&b, i, vlen);
	hold(&h, &b);
	rc = sbatch_add(sb, &h.u);
	release(&h);
	mpbuf_free(&b);
	return rc;
}

START_TEST(batch_round_trip)
{
	struct sbatch	 sb;
	struct sbatch_in in;
	struct mpbuf	 out, single, again;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	struct supdate	 u;
	const char	*why;
	unsigned	 i;

	sbatch_init(&sb);
	mpbuf_init(&out);
	mpbuf_init(&single);
	mpbuf_init(&again);
	/* a batch of one is the single message itself, byte for byte */
	ck_assert_int_eq(add(&sb, 0, 3), 0);
	pack_single(&single, 0, 3);
	ck_assert_uint_eq(sb.body.len, single.len);
	ck_assert(memcmp(sb.body.data, single.data, single.len) == 0);
	for (i = 1; i < 5; i++)
		ck_assert_int_eq(add(&sb, i, 3 + i), 0);
	ck_assert_uint_eq(sb.n, 5);
	sbatch_pack(&sb, "s1", 2, &out);
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(sync_unpack(SK_BATCH, out.data, out.len, 1 << 20,
	    &zone, &o, &why), 0);
	ck_assert_msg(sbatch_parse(&o, &in, &why) == 0, "%s", why);
	ck_assert(in.nodelen == 2 && memcmp(in.node, "s1", 2) == 0);
	ck_assert_uint_eq(in.n, 5);
	msgpack_packer_init(&pk, &again, mpbuf_write);
	for (i = 0; i < in.n; i++) {
		struct mpbuf path;

		mpbuf_init(&path);
		ck_assert_msg(supdate_parse(&in.item[i], &u, &path, &why) == 0,
		    "%s", why);
		ck_assert_uint_eq(u.chain.link[0].tick, i + 1);
		mpbuf_reset(&again);
		supdate_pack(&u, &pk);
		pack_single(&single, i, 3 + i);
		ck_assert_uint_eq(again.len, single.len);
		ck_assert(memcmp(again.data, single.data, single.len) == 0);
		mpbuf_free(&path);
	}
	msgpack_zone_destroy(&zone);
	sbatch_reset(&sb);
	ck_assert_uint_eq(sb.n, 0);
	ck_assert_uint_eq(sb.body.len, 0);
	sbatch_free(&sb);
	mpbuf_free(&out);
	mpbuf_free(&single);
	mpbuf_free(&again);
}
END_TEST

START_TEST(batch_bounds_when_building)
{
	struct sbatch	 sb;
	unsigned	 i;

	sbatch_init(&sb);
	for (i = 0; i < SYNC_BATCH_MAX_COUNT; i++)
		ck_assert_int_eq(add(&sb, i, 1), 0);
	ck_assert_int_eq(add(&sb, i, 1), -1);
	ck_assert_uint_eq(sb.n, SYNC_BATCH_MAX_COUNT);
	/* bytes: a value that does not fit is refused, nothing changes */
	sbatch_reset(&sb);
	ck_assert_int_eq(add(&sb, 0, SYNC_BATCH_MAX_BYTES / 2), 0);
	i = (unsigned)sb.body.len;
	ck_assert_int_eq(add(&sb, 1, SYNC_BATCH_MAX_BYTES / 2), -1);
	ck_assert_uint_eq(sb.body.len, i);
	ck_assert_uint_eq(sb.n, 1);
	/* too big even alone: the caller sends it as a single update */
	sbatch_reset(&sb);
	ck_assert_int_eq(add(&sb, 0, SYNC_BATCH_MAX_BYTES), -1);
	ck_assert_uint_eq(sb.n, 0);
	ck_assert_uint_eq(sb.body.len, 0);
	sbatch_free(&sb);
}
END_TEST

/* An update whose value nests 30 arrays deep is too deep to batch. */
START_TEST(batch_refuses_deep_updates)
{
	struct sbatch	 sb;
	struct mpbuf	 b;
	msgpack_packer	 pk;
	struct held	 h;
	int		 i, depth;

	sbatch_init(&sb);
	mpbuf_init(&b);
	for (depth = 27; depth <= 30; depth += 3) {
		mpbuf_reset(&b);
		msgpack_packer_init(&pk, &b, mpbuf_write);
		msgpack_pack_map(&pk, 6);
		mp_pack_kv_str(&pk, "node", "s1");
		mp_pack_kv_uint(&pk, "tick", 1);
		mp_pack_str(&pk, "prev");
		msgpack_pack_nil(&pk);
		mp_pack_str(&pk, "path");
		msgpack_pack_array(&pk, 0);
		mp_pack_str(&pk, "value");
		for (i = 0; i < depth; i++)
			msgpack_pack_array(&pk, i + 1 < depth);
		mp_pack_kv_uint(&pk, "tock", 1);
		hold(&h, &b);
		/* 1 (map) + depth arrays: 28 fits in 30, 31 does not */
		ck_assert_int_eq(sbatch_add(&sb, &h.u), depth == 27 ? 0 : -1);
		release(&h);
	}
	ck_assert_uint_eq(sb.n, 1);
	/* a re-send is never batched (it may be for an original server) */
	pack_single(&b, 1, 1);
	hold(&h, &b);
	h.u.resend = 1;
	h.u.src = "s2";
	h.u.srclen = 2;
	ck_assert_int_eq(sbatch_add(&sb, &h.u), -1);
	release(&h);
	ck_assert_uint_eq(sb.n, 1);
	mpbuf_free(&b);
	sbatch_free(&sb);
}
END_TEST

/* Our own batch is recognised from its first bytes, nothing else is. */
START_TEST(own_batches_are_recognised)
{
	static const char long_name[] = "a-node-name-longer-than-31-bytes-x";
	struct sbatch	 sb;
	struct mpbuf	 out;

	sbatch_init(&sb);
	mpbuf_init(&out);
	ck_assert_int_eq(add(&sb, 0, 1), 0);
	ck_assert_int_eq(add(&sb, 1, 1), 0);
	sbatch_pack(&sb, "s1", 2, &out);
	ck_assert(sbatch_is_own(out.data, out.len, "s1", 2));
	ck_assert(!sbatch_is_own(out.data, out.len, "s2", 2));
	ck_assert(!sbatch_is_own(out.data, out.len, "s", 1));
	ck_assert(!sbatch_is_own(out.data, out.len, "s10", 3));
	ck_assert(!sbatch_is_own(out.data, 8, "s1", 2));
	sbatch_pack(&sb, long_name, strlen(long_name), &out);
	ck_assert(sbatch_is_own(out.data, out.len, long_name,
	    strlen(long_name)));
	ck_assert(!sbatch_is_own(out.data, out.len, long_name,
	    strlen(long_name) - 1));
	sbatch_free(&sb);
	mpbuf_free(&out);
}
END_TEST

/* Every prefix of a batch fails to decode, with a reason. */
START_TEST(batch_truncation_fails_everywhere)
{
	struct sbatch	 sb;
	struct mpbuf	 out;
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	size_t		 cut;
	unsigned	 i;

	sbatch_init(&sb);
	mpbuf_init(&out);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(add(&sb, i, 4), 0);
	sbatch_pack(&sb, "s1", 2, &out);
	for (cut = 0; cut < out.len; cut++) {
		why = NULL;
		msgpack_zone_init(&zone, 1024);
		ck_assert_int_eq(sync_unpack(SK_BATCH, out.data, cut, 1 << 20,
		    &zone, &o, &why), -1);
		ck_assert_ptr_nonnull(why);
		msgpack_zone_destroy(&zone);
	}
	/* and max_msg bounds a batch like any update */
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(sync_unpack(SK_BATCH, out.data, out.len, out.len - 1,
	    &zone, &o, &why), -1);
	msgpack_zone_destroy(&zone);
	sbatch_free(&sb);
	mpbuf_free(&out);
}
END_TEST

/* {node: N, updates: <n copies of a map>}, N NULL: no node key */
static void
pack_shape(struct mpbuf *b, const char *node, uint32_t n, int as_list)
{
	msgpack_packer	 pk;
	uint32_t	 i;

	mpbuf_reset(b);
	msgpack_packer_init(&pk, b, mpbuf_write);
	msgpack_pack_map(&pk, 1 + (node != NULL));
	if (node)
		mp_pack_kv_str(&pk, "node", node);
	mp_pack_str(&pk, "updates");
	if (!as_list) {
		msgpack_pack_int(&pk, 7);
		return;
	}
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_map(&pk, 0);
}

static const char *
refused(struct mpbuf *b)
{
	struct sbatch_in in;
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why = NULL;

	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(sync_unpack(SK_BATCH, b->data, b->len, 1 << 20,
	    &zone, &o, &why), 0);
	ck_assert_int_eq(sbatch_parse(&o, &in, &why), -1);
	msgpack_zone_destroy(&zone);
	return why;
}

START_TEST(malformed_batches_are_refused)
{
	const char	*bad_updates = "batch updates must be a list of 2..256 "
			    "updates";
	struct mpbuf	 b;

	mpbuf_init(&b);
	pack_shape(&b, NULL, 2, 1);
	ck_assert_str_eq(refused(&b), "batch without a good node name");
	pack_shape(&b, "", 2, 1);
	ck_assert_str_eq(refused(&b), "batch without a good node name");
	pack_shape(&b, "s1", 1, 1);
	ck_assert_str_eq(refused(&b), bad_updates);
	pack_shape(&b, "s1", SYNC_BATCH_MAX_COUNT + 1, 1);
	ck_assert_str_eq(refused(&b), bad_updates);
	pack_shape(&b, "s1", 2, 0);
	ck_assert_str_eq(refused(&b), bad_updates);
	mpbuf_free(&b);
}
END_TEST

START_TEST(batch_topic)
{
	ck_assert_int_eq(sync_kind("moat/kv/update/batch", "moat/kv"),
	    SK_BATCH);
	ck_assert_int_eq(sync_kind("moat/kv/update/batchx", "moat/kv"),
	    SK_UNKNOWN);
	ck_assert_int_eq(sync_kind("moat/kv/update", "moat/kv"), SK_UPDATE);
	ck_assert_str_eq(sync_kind_str(SK_BATCH), "update/batch");
}
END_TEST

TU_MAIN("syncbatch", 0, batch_round_trip, batch_bounds_when_building,
    batch_refuses_deep_updates, own_batches_are_recognised,
    batch_truncation_fails_everywhere, malformed_batches_are_refused,
    batch_topic)
