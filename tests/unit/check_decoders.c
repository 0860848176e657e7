/*
 * check_decoders.c - the decoders behind the validator never crash:
 * a client request (req_parse and every field getter), an IPC payload
 * (proc_unpack) and the persistence records (pf_parse_entry,
 * pf_parse_state) get every truncation and every single-bit flip of a
 * valid sample, plus seeded random multi-byte damage.  Whatever passes
 * mpval_check is decoded; the decoders must answer, never fault (run
 * this under ASan and valgrind to see the difference).
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <msgpack.h>

#include "core/pfile.h"
#include "core/request.h"
#include "ipc/ipc.h"
#include "ipc/proc.h"
#include "lib/mpval.h"
#include "lib/record.h"
#include "tests/unit/testutil.h"

typedef void	(*decode_fn)(const uint8_t *, size_t);

static unsigned long	 decoded;	/* inputs that passed validation */

/* Every prefix, every single-bit flip, then seeded random damage. */
static void
mutate_all(const uint8_t *in, size_t len, decode_fn fn)
{
	uint8_t		*b = malloc(len + 16);
	size_t		 i, n;
	unsigned	 bit, seed = 4711, round;

	ck_assert_ptr_nonnull(b);
	for (n = 0; n <= len; n++) {
		memcpy(b, in, n);
		fn(b, n);
	}
	for (i = 0; i < len; i++)
		for (bit = 0; bit < 8; bit++) {
			memcpy(b, in, len);
			b[i] ^= 1u << bit;
			fn(b, len);
		}
	for (round = 0; round < 2000; round++) {
		memcpy(b, in, len);
		for (n = 0; n < 1 + (size_t)rand_r(&seed) % 4; n++)
			b[rand_r(&seed) % len] = rand_r(&seed);
		fn(b, len);
	}
	free(b);
}

static int
validated(const uint8_t *p, size_t len)
{
	const char	*why;

	if (mpval_check(p, len, &mpval_default_limits, &why) != MPVAL_OK)
		return 0;
	decoded++;
	return 1;
}

/* ---- client requests ------------------------------------------------ */

static void
decode_req(const uint8_t *p, size_t len)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	struct req	 r;
	struct mpbuf	 path;
	const char	*why, *s;
	size_t		 off = 0, slen;
	int64_t		 iv;
	int		 bv, f;

	if (!validated(p, len))
		return;
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)p, len, &off, &zone,
	    &o), MSGPACK_UNPACK_SUCCESS);
	mpbuf_init(&path);
	if (req_parse(&r, &o, p, len) == 0)
		for (f = 0; f < F_MAX; f++) {
			(void)req_has(&r, f);
			(void)req_int(&r, f, &iv);
			(void)req_bool(&r, f, &bv);
			(void)req_str(&r, f, &s, &slen);
			why = NULL;
			if (req_path(&r, f, &path, &why) == REQ_BADTYPE)
				ck_assert_ptr_nonnull(why);
			(void)req_field_name(f);
		}
	else
		ck_assert_ptr_nonnull(req_pytype(&o));
	mpbuf_free(&path);
	msgpack_zone_destroy(&zone);
}

static void
pack_request(struct mpbuf *b)
{
	msgpack_packer	 pk;
	static const uint8_t path[] = { 0xa2, 'f', 'z', 0x01, 0xc0, 0x92,
	    0xc3, 0xcb, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f };

	mpbuf_init(b);
	msgpack_packer_init(&pk, b, mpbuf_write);
	msgpack_pack_map(&pk, 7);
	mp_pack_kv_str(&pk, "action", "set_value");
	mp_pack_kv_int(&pk, "seq", 12345);
	mp_pack_str(&pk, "path");
	msgpack_pack_ext(&pk, sizeof(path), 3);
	msgpack_pack_ext_body(&pk, path, sizeof(path));
	mp_pack_str(&pk, "value");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int64(&pk, INT64_MIN);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_double(&pk, 0.5);
	mp_pack_str(&pk, "chain");
	msgpack_pack_map(&pk, 3);
	mp_pack_kv_str(&pk, "node", "fz");
	mp_pack_kv_int(&pk, "tick", 7);
	mp_pack_str(&pk, "prev");
	msgpack_pack_nil(&pk);
	mp_pack_str(&pk, "nodes");
	msgpack_pack_array(&pk, 2);
	mp_pack_str(&pk, "a");
	msgpack_pack_bin(&pk, 2);
	msgpack_pack_bin_body(&pk, "\xff\x00", 2);
	mp_pack_kv_int(&pk, "nchain", 2);
}

/* Every mutation of the sample request through fn; most still decode. */
static void
mutate_request(decode_fn fn)
{
	struct mpbuf	 b;

	pack_request(&b);
	decoded = 0;
	mutate_all(b.data, b.len, fn);
	ck_assert_uint_gt(decoded, 100);
	mpbuf_free(&b);
}

START_TEST(client_requests)
{
	mutate_request(decode_req);
}
END_TEST

/* ---- IPC payloads --------------------------------------------------- */

static void
decode_ipc(const uint8_t *p, size_t len)
{
	struct ipc_msg	 m = { .type = IPC_CLIENT_REQ, .fd = -1 };
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why = NULL;

	m.data = p;
	m.len = len;
	msgpack_zone_init(&zone, 1024);
	if (proc_unpack(&m, &zone, &o, &why) == -1)
		ck_assert_ptr_nonnull(why);
	else
		decoded++;
	msgpack_zone_destroy(&zone);
}

START_TEST(ipc_payloads)
{
	mutate_request(decode_ipc);
}
END_TEST

/* ---- persistence records -------------------------------------------- */

static struct tree	*ptree;

static void
decode_entry(const uint8_t *p, size_t len)
{
	struct mpbuf	 pathbuf;
	struct pf_entry	 pe;
	const char	*why = NULL;
	int		 rc;

	if (!validated(p, len))
		return;
	mpbuf_init(&pathbuf);
	rc = pf_parse_entry(p, len, ptree, &pathbuf, &pe, &why);
	ck_assert(rc >= -1 && rc <= 1);
	if (rc == -1)
		ck_assert_ptr_nonnull(why);
	if (rc == 1) {
		ck_assert_uint_le(pe.nlink, CHAIN_MAXLEN);
		ck_assert_int_ne(pf_apply(ptree, &pe), -1);
	}
	mpbuf_free(&pathbuf);
}

static int
state_ok(const char *set, const char *name, size_t len, uint64_t tick,
    const struct ranges *rs, void *arg)
{
	return 0;
}

static void
decode_state(const uint8_t *p, size_t len)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why = NULL;
	uint64_t	 tock;
	size_t		 off = 0;

	if (!validated(p, len))
		return;
	msgpack_zone_init(&zone, 1024);
	ck_assert_int_eq(msgpack_unpack((const char *)p, len, &off, &zone,
	    &o), MSGPACK_UNPACK_SUCCESS);
	if (pf_parse_state(&o, state_ok, NULL, &tock, &why) == -1)
		ck_assert_ptr_nonnull(why);
	msgpack_zone_destroy(&zone);
}

/* The payload of the only record in b. */
static const uint8_t *
payload(const struct mpbuf *b, size_t *len)
{
	ck_assert_uint_gt(b->len, REC_OVERHEAD);
	*len = b->len - REC_OVERHEAD;
	return b->data + REC_HDRLEN;
}

START_TEST(entry_records)
{
	static const uint8_t path[] = { 0xa3, 'o', 'n', 'e', 0x05, 0xc2 };
	static const uint8_t value[] = { 0x82, 0xa1, 'a', 0x91, 0x01, 0xa1,
	    'b', 0xc4, 0x01, 0x00 };
	struct tree	*t = tree_new(5);
	struct entry	*e;
	struct mpbuf	 b;
	const uint8_t	*p;
	size_t		 len;

	ck_assert_ptr_nonnull(e = tree_lookup_create(t, path, sizeof(path)));
	ck_assert_int_eq(entry_set(t, &e, value, sizeof(value),
	    tree_node_intern(t, "b", 1), 3, 9), 0);
	ck_assert_int_eq(entry_set(t, &e, value, sizeof(value),
	    tree_node_intern(t, "a", 1), 4, 10), 0);
	mpbuf_init(&b);
	ck_assert_int_eq(pf_entry(&b, t, path, sizeof(path), e), 0);
	p = payload(&b, &len);
	ptree = tree_new(5);
	decoded = 0;
	mutate_all(p, len, decode_entry);
	ck_assert_uint_gt(decoded, 100);
	tree_free(ptree);
	mpbuf_free(&b);
	tree_free(t);
}
END_TEST

START_TEST(state_records)
{
	msgpack_packer	 pk;
	struct mpbuf	 b;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	tu_pack_state(&pk, 1);
	decoded = 0;
	mutate_all(b.data, b.len, decode_state);
	ck_assert_uint_gt(decoded, 100);
	mpbuf_free(&b);
}
END_TEST

TU_MAIN("decoders", 60, client_requests, ipc_payloads, entry_records,
    state_records)
