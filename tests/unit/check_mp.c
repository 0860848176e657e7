/*
 * check_mp.c - the msgpack helpers: the output buffer, map lookups and
 * typed getters, the packing shortcuts byte for byte, and paths: the
 * exact ext 3 encodings MoaT-KV's Python side produces, the plain-array
 * form, canonicalisation, and what is refused as a path.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <msgpack.h>

#include "lib/mp.h"
#include "tests/unit/testutil.h"

static void
assert_bytes(const struct mpbuf *b, const char *hex)
{
	uint8_t		 want[256];
	size_t		 n = tu_unhex(hex, want, sizeof(want));

	ck_assert_uint_eq(b->len, n);
	ck_assert_msg(n == 0 || memcmp(b->data, want, n) == 0,
	    "bytes differ from %s", hex);
}

/*
 * Unpack hex into obj; the zone must be destroyed by the caller.  The
 * bytes live in the zone too: msgpack-c's str/bin/ext objects point
 * into the input buffer rather than copying it.
 */
static void
unpack_hex(const char *hex, msgpack_zone *zone, msgpack_object *obj)
{
	uint8_t		 b[256], *copy;
	size_t		 n = tu_unhex(hex, b, sizeof(b)), off = 0;

	msgpack_zone_init(zone, 1024);
	ck_assert_ptr_nonnull(copy = msgpack_zone_malloc(zone, n));
	memcpy(copy, b, n);
	ck_assert_int_eq(msgpack_unpack((const char *)copy, n, &off, zone,
	    obj), MSGPACK_UNPACK_SUCCESS);
}

START_TEST(mpbuf_grows_and_resets)
{
	struct mpbuf	 b;
	char		 chunk[1000];
	size_t		 i, cap;

	mpbuf_init(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_int_eq(mpbuf_write(&b, "", 0), 0);
	ck_assert_ptr_null(b.data);
	for (i = 0; i < 1000; i++) {
		memset(chunk, (int)(i & 0xff), sizeof(chunk));
		ck_assert_int_eq(mpbuf_write(&b, chunk, sizeof(chunk)), 0);
	}
	ck_assert_uint_eq(b.len, 1000 * 1000);
	ck_assert_uint_ge(b.cap, b.len);
	for (i = 0; i < 1000; i++)
		ck_assert_uint_eq(b.data[i * 1000 + 999], i & 0xff);
	cap = b.cap;
	mpbuf_reset(&b);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, cap);
	mpbuf_add(&b, "xy", 2);
	ck_assert_int_eq(memcmp(b.data, "xy", 2), 0);
	mpbuf_free(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len + b.cap, 0);
}
END_TEST

/* A length that would wrap size_t is fatal, before any memory access. */
START_TEST(mpbuf_overflow_is_fatal)
{
	struct mpbuf	 b;
	uint8_t		 x[4];
	int		 null;

	/* Keep the expected fatal message out of the test log. */
	if ((null = open("/dev/null", O_WRONLY)) != -1)
		dup2(null, STDERR_FILENO);
	b.data = x;
	b.len = b.cap = SIZE_MAX - 1;
	mpbuf_add(&b, "ab", 2);
}
END_TEST

START_TEST(packers_are_byte_exact)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	mp_pack_str(&pk, "abc");
	assert_bytes(&b, "a3 61 62 63");
	mpbuf_reset(&b);
	mp_pack_str(&pk, NULL);
	mp_pack_strn(&pk, "abc", 2);
	mp_pack_str(&pk, "");
	assert_bytes(&b, "c0 a2 61 62 a0");
	mpbuf_reset(&b);
	msgpack_pack_map(&pk, 6);
	mp_pack_kv_str(&pk, "a", "b");
	mp_pack_kv_int(&pk, "n", -1);
	mp_pack_kv_int(&pk, "p", 300);
	mp_pack_kv_uint(&pk, "u", 1ULL << 32);
	mp_pack_kv_bool(&pk, "t", 7);
	mp_pack_kv_bool(&pk, "f", 0);
	assert_bytes(&b, "86 a1 61 a1 62 a1 6e ff a1 70 cd 01 2c"
	    " a1 75 cf 00 00 00 01 00 00 00 00 a1 74 c3 a1 66 c2");
	mpbuf_reset(&b);
	mp_pack_kv_int(&pk, "m", INT64_MIN);
	mp_pack_kv_uint(&pk, "M", UINT64_MAX);
	assert_bytes(&b, "a1 6d d3 80 00 00 00 00 00 00 00"
	    " a1 4d cf ff ff ff ff ff ff ff ff");
	mpbuf_free(&b);
}
END_TEST

START_TEST(map_get_and_getters)
{
	msgpack_zone		 z;
	msgpack_object		 o, arr;
	int64_t			 i;
	uint64_t		 u;
	int			 bv;
	const char		*s;
	size_t			 len;
	char			*d;

	/*
	 * {"a": 1, "ab": -5, 1: "int key", "s": "x\0y", "t": true,
	 *  "big": 2**63 + 1, "e": "", "a": 2, "m": {"k": "v"}}
	 */
	unpack_hex("89 a1 61 01 a2 61 62 fb 01 a7 69 6e 74 20 6b 65 79"
	    " a1 73 a3 78 00 79 a1 74 c3 a3 62 69 67"
	    " cf 80 00 00 00 00 00 00 01 a1 65 a0 a1 61 02"
	    " a1 6d 81 a1 6b a1 76", &z, &o);

	/* A repeated key: the last one wins, as in a Python dict. */
	ck_assert_int_eq(mp_get_int64(mp_map_get(&o, "a"), &i), 0);
	ck_assert_int_eq(i, 2);
	ck_assert_int_eq(mp_get_int64(mp_map_get(&o, "ab"), &i), 0);
	ck_assert_int_eq(i, -5);
	ck_assert_ptr_null(mp_map_get(&o, "abc"));
	ck_assert_ptr_null(mp_map_get(&o, ""));
	ck_assert_ptr_null(mp_map_get(&o, "missing"));
	ck_assert_ptr_null(mp_map_get(NULL, "a"));
	ck_assert_ptr_null(mp_map_get(&o, NULL));
	/* Nested lookups chain through NULL. */
	ck_assert_int_eq(mp_get_str(mp_map_get(mp_map_get(&o, "m"), "k"),
	    &s, &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_int_eq(s[0], 'v');
	ck_assert_ptr_null(mp_map_get(mp_map_get(&o, "nope"), "k"));
	ck_assert_ptr_null(mp_map_get(mp_map_get(&o, "a"), "k"));

	/* Type mismatches fail and leave the output alone. */
	i = 77;
	ck_assert_int_eq(mp_get_int64(mp_map_get(&o, "big"), &i), -1);
	ck_assert_int_eq(mp_get_int64(mp_map_get(&o, "t"), &i), -1);
	ck_assert_int_eq(mp_get_int64(NULL, &i), -1);
	ck_assert_int_eq(i, 77);
	ck_assert_int_eq(mp_get_uint64(mp_map_get(&o, "big"), &u), 0);
	ck_assert_uint_eq(u, (1ULL << 63) + 1);
	ck_assert_int_eq(mp_get_uint64(mp_map_get(&o, "ab"), &u), -1);
	ck_assert_int_eq(mp_get_uint64(NULL, &u), -1);
	ck_assert_int_eq(mp_get_bool(mp_map_get(&o, "t"), &bv), 0);
	ck_assert_int_eq(bv, 1);
	ck_assert_int_eq(mp_get_bool(mp_map_get(&o, "a"), &bv), -1);
	ck_assert_int_eq(mp_get_bool(NULL, &bv), -1);
	ck_assert_int_eq(mp_get_str(mp_map_get(&o, "s"), &s, &len), 0);
	ck_assert_uint_eq(len, 3);
	ck_assert_int_eq(memcmp(s, "x\0y", 3), 0);
	ck_assert_int_eq(mp_get_str(mp_map_get(&o, "a"), &s, &len), -1);
	ck_assert_int_eq(mp_get_str(NULL, &s, &len), -1);

	/* mp_strdup: NUL-terminated, but never a silently cut string. */
	ck_assert_ptr_null(mp_strdup(mp_map_get(&o, "s")));
	ck_assert_ptr_null(mp_strdup(mp_map_get(&o, "a")));
	ck_assert_ptr_null(mp_strdup(NULL));
	d = mp_strdup(mp_map_get(&o, "e"));
	ck_assert_str_eq(d, "");
	free(d);
	d = mp_strdup(&o.via.map.ptr[2].val);
	ck_assert_str_eq(d, "int key");
	free(d);
	msgpack_zone_destroy(&z);

	/* Not a map at all. */
	unpack_hex("92 a1 61 01", &z, &arr);
	ck_assert_ptr_null(mp_map_get(&arr, "a"));
	msgpack_zone_destroy(&z);
}
END_TEST

/* Path(...) as MoaT-KV's Python side packs it (msgpack-python). */
static const struct {
	const char	*ext;	/* the ext 3 form */
	const char	*arr;	/* the same path as a plain array */
	size_t		 count;
} paths[] = {
	{ "c7 00 03", "90", 0 },
	{ "d5 03 a1 61", "91 a1 61", 1 },
	{ "d6 03 a3 61 62 63", "91 a3 61 62 63", 1 },
	{ "c7 05 03 a2 61 62 a1 63", "92 a2 61 62 a1 63", 2 },
	{ "c7 05 03 a1 61 01 a1 62", "93 a1 61 01 a1 62", 3 },
	{ "c7 03 03 c0 a1 78", "92 c0 a1 78", 2 },
	{ "d8 03 a5 2e 6d 6f 61 74 a2 6b 76 a6 63 6f 6e 66 69 67",
	  "93 a5 2e 6d 6f 61 74 a2 6b 76 a6 63 6f 6e 66 69 67", 3 },
	{ "c7 1d 03 01 c0 c3 c4 01 78 cb 3f f8 00 00 00 00 00 00 92 a1 74"
	  " 01 fd cf 00 00 01 00 00 00 00 00",
	  "98 01 c0 c3 c4 01 78 cb 3f f8 00 00 00 00 00 00 92 a1 74"
	  " 01 fd cf 00 00 01 00 00 00 00 00", 8 },
};

#define NPATHS	(sizeof(paths) / sizeof(paths[0]))

/* The packed path of an ext 3 in hex is its payload. */
static size_t
payload(const char *ext, uint8_t *out, size_t cap)
{
	uint8_t		 b[256];
	size_t		 n = tu_unhex(ext, b, sizeof(b)), h;

	h = b[0] == 0xc7 ? 3 : 2;
	ck_assert_uint_le(n - h, cap);
	memcpy(out, b + h, n - h);
	return n - h;
}

START_TEST(paths_encode_byte_exact)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	uint8_t		 p[256];
	size_t		 i, n;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	for (i = 0; i < NPATHS; i++) {
		n = payload(paths[i].ext, p, sizeof(p));
		mpbuf_reset(&b);
		mp_pack_path(&pk, p, n);
		assert_bytes(&b, paths[i].ext);
		mpbuf_reset(&b);
		mp_pack_path_array(&pk, p, n);
		assert_bytes(&b, paths[i].arr);
		ck_assert_uint_eq(mp_path_count(p, n), paths[i].count);
	}
	mpbuf_free(&b);
}
END_TEST

/* Both wire forms decode to the same packed bytes. */
START_TEST(paths_decode_from_ext_and_array)
{
	struct mpbuf	 out;
	msgpack_zone	 z;
	msgpack_object	 o;
	uint8_t		 p[256];
	const char	*why;
	size_t		 i, n;

	mpbuf_init(&out);
	for (i = 0; i < NPATHS; i++) {
		n = payload(paths[i].ext, p, sizeof(p));
		unpack_hex(paths[i].ext, &z, &o);
		ck_assert_int_eq(mp_path_from_obj(&o, &out, &why), 0);
		ck_assert_uint_eq(out.len, n);
		ck_assert(n == 0 || memcmp(out.data, p, n) == 0);
		msgpack_zone_destroy(&z);

		unpack_hex(paths[i].arr, &z, &o);
		ck_assert_int_eq(mp_path_from_obj(&o, &out, &why), 0);
		ck_assert_uint_eq(out.len, n);
		ck_assert(n == 0 || memcmp(out.data, p, n) == 0);
		msgpack_zone_destroy(&z);
	}
	mpbuf_free(&out);
}
END_TEST

START_TEST(path_iteration)
{
	uint8_t		 p[256];
	const uint8_t	*e;
	size_t		 n, off = 0, elen, k = 0;
	const size_t	 want[] = { 1, 1, 1, 3, 9, 4, 1, 9 };

	n = payload(paths[NPATHS - 1].ext, p, sizeof(p));
	while (mp_path_next(p, n, &off, &e, &elen) == 1) {
		ck_assert_uint_lt(k, 8);
		ck_assert_ptr_eq(e, p + off - elen);
		ck_assert_uint_eq(elen, want[k]);
		k++;
	}
	ck_assert_uint_eq(k, 8);
	ck_assert_uint_eq(off, n);
	ck_assert_int_eq(mp_path_next(p, n, &off, &e, &elen), 0);
	/* A cut element is reported, not walked past. */
	off = 0;
	ck_assert_int_eq(mp_path_next(p, 5, &off, &e, &elen), 1);
	ck_assert_int_eq(mp_path_next(p, 5, &off, &e, &elen), 1);
	ck_assert_int_eq(mp_path_next(p, 5, &off, &e, &elen), 1);
	ck_assert_int_eq(mp_path_next(p, 5, &off, &e, &elen), -1);
	ck_assert_uint_eq(mp_path_count(NULL, 0), 0);
}
END_TEST

/* Non-canonical encodings of one path all become the canonical bytes. */
START_TEST(paths_are_canonicalised)
{
	static const struct {
		const char	*in, *out;
	} v[] = {
		{ "d5 03 cc 01", "01" },
		{ "d5 03 d0 05", "05" },
		{ "c7 03 03 d1 ff fd", "fd" },
		{ "c7 03 03 d9 01 61", "a1 61" },
		{ "c7 04 03 da 00 01 61", "a1 61" },
		{ "c7 04 03 c5 00 01 78", "c4 01 78" },
		{ "c7 05 03 ca 3f c0 00 00", "cb 3f f8 00 00 00 00 00 00" },
		{ "c7 04 03 dc 00 01 01", "91 01" },
		{ "c7 07 03 91 dc 00 01 cd 00 07", "91 91 07" },
		{ "c7 09 03 d3 ff ff ff ff ff ff ff ff", "ff" },
		{ "c7 03 03 d4 02 01", "d4 02 01" },	/* bigint kept */
		{ "c7 04 03 c7 01 02 01", "d4 02 01" },
		{ "94 d0 05 ca 3f c0 00 00 d9 01 61 dc 00 00",
		  "05 cb 3f f8 00 00 00 00 00 00 a1 61 90" },
	};
	struct mpbuf	 out;
	msgpack_zone	 z;
	msgpack_object	 o;
	const char	*why;
	size_t		 i;

	mpbuf_init(&out);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		unpack_hex(v[i].in, &z, &o);
		ck_assert_msg(mp_path_from_obj(&o, &out, &why) == 0,
		    "%s: %s", v[i].in, why);
		assert_bytes(&out, v[i].out);
		msgpack_zone_destroy(&z);
	}
	mpbuf_free(&out);
}
END_TEST

START_TEST(non_paths_are_refused)
{
	static const char *const notpath[] = {
		"a1 61", "01", "c0", "c3", "80", "81 a1 61 01",
		"d4 05 00", "d5 02 00 01", "c4 01 61",
	};
	static const char *const badelem[] = {
		"d4 03 80",			/* map */
		"d5 03 91 80",			/* map in a tuple */
		"c7 03 03 d4 05 00",		/* foreign ext */
		"c7 04 03 d5 03 a1 61",		/* nested Path */
		"d5 03 a5 61",			/* cut element */
		"d4 03 c1",			/* invalid byte */
		"d6 03 a3 61 ed a0",		/* bad UTF-8 */
		"d5 03 dd ff",			/* cut header */
		"c7 05 03 dd ff ff ff ff",	/* lying count */
		"91 80", "92 a1 61 81 01 02",	/* maps in a list */
		"91 d4 07 00", "91 91 91 d4 07 00",
	};
	struct mpbuf	 out;
	msgpack_zone	 z;
	msgpack_object	 o;
	const char	*why;
	size_t		 i;

	mpbuf_init(&out);
	for (i = 0; i < sizeof(notpath) / sizeof(notpath[0]); i++) {
		unpack_hex(notpath[i], &z, &o);
		why = NULL;
		mpbuf_add(&out, "junk", 4);
		ck_assert_int_eq(mp_path_from_obj(&o, &out, &why), -1);
		ck_assert_str_eq(why, "path must be a Path (ext 3) or a list");
		ck_assert_uint_eq(out.len, 0);
		msgpack_zone_destroy(&z);
	}
	for (i = 0; i < sizeof(badelem) / sizeof(badelem[0]); i++) {
		unpack_hex(badelem[i], &z, &o);
		why = NULL;
		mpbuf_add(&out, "junk", 4);
		ck_assert_msg(mp_path_from_obj(&o, &out, &why) == -1,
		    "accepted %s", badelem[i]);
		ck_assert_ptr_nonnull(why);
		ck_assert_uint_eq(out.len, 0);
		msgpack_zone_destroy(&z);
	}
	ck_assert_int_eq(mp_path_from_obj(NULL, &out, &why), -1);
	mpbuf_free(&out);
}
END_TEST

/* Tuples may nest, as deep as the validator's default allows. */
START_TEST(path_tuple_depth_is_bounded)
{
	struct mpbuf	 out;
	uint8_t		 p[64];
	const char	*why;

	mpbuf_init(&out);
	memset(p, 0x91, sizeof(p));
	p[32] = 0x01;
	ck_assert_int_eq(mp_path_from_packed(p, 33, &out, &why), 0);
	ck_assert_uint_eq(out.len, 33);
	ck_assert_int_eq(memcmp(out.data, p, 33), 0);
	p[32] = 0x91;
	p[33] = 0x01;
	ck_assert_int_eq(mp_path_from_packed(p, 34, &out, &why), -1);
	ck_assert_str_eq(why, "nesting too deep");
	ck_assert_int_eq(mp_path_from_packed(NULL, 0, &out, &why), 0);
	ck_assert_uint_eq(out.len, 0);
	mpbuf_free(&out);
}
END_TEST

int
main(void)
{
	Suite		*s = suite_create("mp");
	const char	*fork = getenv("CK_FORK");
	TCase		*tc = tu_tcase(s, "mp", 0, TU_TESTS(
			    mpbuf_grows_and_resets, packers_are_byte_exact,
			    map_get_and_getters, paths_encode_byte_exact,
			    paths_decode_from_ext_and_array, path_iteration,
			    paths_are_canonicalised, non_paths_are_refused,
			    path_tuple_depth_is_bounded));

	/* An exit test needs a child to die in. */
	if (fork == NULL || strcmp(fork, "no") != 0)
		tcase_add_exit_test(tc, mpbuf_overflow_is_fatal, 1);
	return tu_run(s);
}
