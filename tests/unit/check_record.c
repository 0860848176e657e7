/*
 * check_record.c - persistence framing: round trip, a file cut at
 * every offset (always a clean end or a torn tail, never an error or
 * lost good records), every bit of a middle record flipped (an error
 * naming the record's offset), concatenated files with a torn tail in
 * between, and frames whose sum is good but whose payload is not
 * MsgPack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <msgpack.h>

#include "lib/record.h"
#include "tests/unit/testutil.h"

#define NREC	6

/* A file: a header, then NREC data records {"i": k, "pad": "..."}. */
static void
make_file(struct mpbuf *b, size_t *offs, int base)
{
	msgpack_packer	 pk;
	size_t		 off;
	int		 i;

	msgpack_packer_init(&pk, b, mpbuf_write);
	for (i = 0; i <= NREC; i++) {
		if (offs)
			offs[i] = b->len;
		off = rec_begin(b);
		msgpack_pack_map(&pk, 2);
		mp_pack_kv_int(&pk, "i", base + i);
		mp_pack_kv_str(&pk, "pad", i % 2 ? "xy" : "a longer padding");
		ck_assert_int_eq(rec_end(b, off, i == 0 ? REC_HEADER :
		    REC_DATA), 0);
	}
	if (offs)
		offs[NREC + 1] = b->len;
}

/* A descriptor reading these bytes from the start. */
static int
fd_of(const uint8_t *p, size_t len)
{
	char	 tmpl[] = "/tmp/check_record.XXXXXX";
	int	 fd = mkstemp(tmpl);

	ck_assert_int_ne(fd, -1);
	unlink(tmpl);
	ck_assert_int_eq(write(fd, p, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

struct result {
	enum rec_rc	 rc;
	int		 n;		/* records read */
	int64_t		 torn;
	unsigned	 skipped;
	char		 err[512];
	uint64_t	 off[4 * NREC];
};

static void
read_all(const uint8_t *p, size_t len, struct result *res)
{
	struct rec_reader *r;
	struct rec	 rec;
	int		 fd = fd_of(p, len);

	memset(res, 0, sizeof(*res));
	ck_assert_ptr_nonnull(r = rec_reader_new(fd, "testfile"));
	while ((res->rc = rec_read(r, &rec)) == REC_OK) {
		if (res->n < 4 * NREC)
			res->off[res->n] = rec.off;
		res->n++;
	}
	res->torn = rec_torn(r);
	res->skipped = rec_skipped(r);
	if (res->rc == REC_ERROR)
		snprintf(res->err, sizeof(res->err), "%s", rec_error(r));
	rec_reader_free(r);
	close(fd);
}

START_TEST(round_trip)
{
	struct mpbuf	 b;
	struct rec_reader *r;
	struct rec	 rec;
	msgpack_zone	 z;
	msgpack_object	 o;
	size_t		 offs[NREC + 2], uoff;
	int		 fd, i;

	mpbuf_init(&b);
	make_file(&b, offs, 0);
	fd = fd_of(b.data, b.len);
	r = rec_reader_new(fd, "f");
	msgpack_zone_init(&z, 1024);
	for (i = 0; i <= NREC; i++) {
		ck_assert_int_eq(rec_read(r, &rec), REC_OK);
		ck_assert_int_eq(rec.type, i == 0 ? REC_HEADER : REC_DATA);
		ck_assert_uint_eq(rec.off, offs[i]);
		ck_assert_uint_eq(rec.len + REC_OVERHEAD, offs[i + 1] - offs[i]);
		ck_assert_uint_eq(rec_check(b.data + offs[i], b.len - offs[i],
		    NULL), offs[i + 1] - offs[i]);
		uoff = 0;
		ck_assert_int_eq(msgpack_unpack((const char *)rec.payload,
		    rec.len, &uoff, &z, &o), MSGPACK_UNPACK_SUCCESS);
		ck_assert_int_eq(o.via.map.ptr[0].val.via.u64, i);
	}
	ck_assert_int_eq(rec_read(r, &rec), REC_END);
	ck_assert_int_eq(rec_torn(r), -1);
	ck_assert_uint_eq(rec_good_end(r), b.len);
	msgpack_zone_destroy(&z);
	rec_reader_free(r);
	close(fd);
	mpbuf_free(&b);
}
END_TEST

/* Every prefix: the complete frames, then a torn tail or a clean end. */
START_TEST(truncate_everywhere)
{
	struct mpbuf	 b;
	struct result	 res;
	size_t		 offs[NREC + 2], len;
	int		 k;

	mpbuf_init(&b);
	make_file(&b, offs, 0);
	for (len = 0; len < b.len; len++) {
		read_all(b.data, len, &res);
		ck_assert_msg(res.rc == REC_END, "len %zu: %s", len, res.err);
		for (k = 0; offs[k + 1] <= len; k++)
			;
		ck_assert_int_eq(res.n, k);
		ck_assert_int_eq(res.torn, len == offs[k] ? -1 :
		    (int64_t)offs[k]);
	}
	mpbuf_free(&b);
}
END_TEST

/* Any bit of a record that is not the last: an error at its offset. */
START_TEST(flip_every_bit)
{
	struct mpbuf	 b;
	struct result	 res;
	size_t		 offs[NREC + 2], pos;
	char		 want[64];
	int		 bit, k;

	mpbuf_init(&b);
	make_file(&b, offs, 0);
	for (pos = 0; pos < b.len; pos++) {
		for (k = 0; offs[k + 1] <= pos; k++)
			;
		for (bit = 0; bit < 8; bit++) {
			b.data[pos] ^= 1 << bit;
			read_all(b.data, b.len, &res);
			b.data[pos] ^= 1 << bit;
			if (k == NREC) {	/* the last: a torn tail */
				ck_assert_int_eq(res.rc, REC_END);
				ck_assert_int_eq(res.n, NREC);
				ck_assert_int_eq(res.torn, (int64_t)offs[k]);
				continue;
			}
			ck_assert_msg(res.rc == REC_ERROR, "pos %zu bit %d",
			    pos, bit);
			ck_assert_int_eq(res.n, k);
			snprintf(want, sizeof(want), "testfile: damaged "
			    "record at offset %zu ", offs[k]);
			ck_assert_msg(strncmp(res.err, want, strlen(want)) ==
			    0, "%s", res.err);
		}
	}
	mpbuf_free(&b);
}
END_TEST

/* cat a b, where a ends in a torn record: a's records, then b's. */
START_TEST(concatenated_torn_tail)
{
	struct mpbuf	 a, b;
	struct result	 res;
	size_t		 offs[NREC + 2];
	int		 cut;

	for (cut = 1; cut < 12; cut++) {
		mpbuf_init(&a);
		mpbuf_init(&b);
		make_file(&a, offs, 0);
		a.len -= (size_t)cut;
		make_file(&b, NULL, 100);
		mpbuf_add(&a, b.data, b.len);
		read_all(a.data, a.len, &res);
		ck_assert_msg(res.rc == REC_END, "%s", res.err);
		ck_assert_int_eq(res.n, 2 * (NREC + 1) - 1);
		ck_assert_int_eq(res.skipped, 1);
		ck_assert_int_eq(res.torn, -1);
		ck_assert_uint_eq(res.off[NREC], offs[NREC + 1] - cut);
		mpbuf_free(&a);
		mpbuf_free(&b);
	}
	/* Clean concatenation: nothing skipped. */
	mpbuf_init(&a);
	make_file(&a, NULL, 0);
	make_file(&a, NULL, 100);
	read_all(a.data, a.len, &res);
	ck_assert_int_eq(res.rc, REC_END);
	ck_assert_int_eq(res.n, 2 * (NREC + 1));
	ck_assert_int_eq(res.skipped, 0);
	mpbuf_free(&a);
}
END_TEST

/* A good sum over bytes that are not one MsgPack object. */
START_TEST(bad_payload)
{
	static const uint8_t junk[][4] = {
		{ 0xdd, 0xff, 0xff, 0xff },	/* array32 of 4 G */
		{ 0x92, 0x01, 0x02, 0x03 },	/* trailing byte */
		{ 0xc1, 0x00, 0x00, 0x00 },	/* never used */
	};
	struct mpbuf	 b;
	struct result	 res;
	size_t		 i, off;

	for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		mpbuf_init(&b);
		make_file(&b, NULL, 0);
		off = rec_begin(&b);
		mpbuf_add(&b, junk[i], 4);
		ck_assert_int_eq(rec_end(&b, off, REC_DATA), 0);
		make_file(&b, NULL, 0);
		read_all(b.data, b.len, &res);
		ck_assert_int_eq(res.rc, REC_ERROR);
		ck_assert_int_eq(res.n, NREC + 1);
		ck_assert_ptr_nonnull(strstr(res.err, "damaged record"));
		mpbuf_free(&b);
	}
}
END_TEST

START_TEST(zeros_and_garbage)
{
	uint8_t		 z[4096];
	struct result	 res;

	memset(z, 0, sizeof(z));
	read_all(z, sizeof(z), &res);
	ck_assert_int_eq(res.rc, REC_END);
	ck_assert_int_eq(res.n, 0);
	ck_assert_int_eq(res.torn, 0);
	memset(z, 0xc9, sizeof(z));
	read_all(z, sizeof(z), &res);
	ck_assert_int_eq(res.rc, REC_END);
	ck_assert_int_eq(res.torn, 0);
	read_all(z, 0, &res);
	ck_assert_int_eq(res.rc, REC_END);
	ck_assert_int_eq(res.torn, -1);
}
END_TEST

/* A pipe delivers in pieces; records larger than the read chunk. */
START_TEST(pipe_and_big_records)
{
	struct mpbuf	 b, big;
	msgpack_packer	 pk;
	struct rec_reader *r;
	struct rec	 rec;
	size_t		 off;
	int		 p[2], n = 0;
	pid_t		 pid;

	mpbuf_init(&b);
	mpbuf_init(&big);
	make_file(&b, NULL, 0);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	off = rec_begin(&b);
	msgpack_pack_bin(&pk, 1 << 20);
	mpbuf_add(&big, "", 0);
	while (big.len < (1u << 20))
		mpbuf_add(&big, "0123456789abcdef", 16);
	mpbuf_add(&b, big.data, 1 << 20);
	ck_assert_int_eq(rec_end(&b, off, REC_DATA), 0);
	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		(void)!write(p[1], b.data, b.len);
		_exit(0);
	}
	close(p[1]);
	r = rec_reader_new(p[0], "pipe");
	while (rec_read(r, &rec) == REC_OK)
		n++;
	ck_assert_int_eq(n, NREC + 2);
	ck_assert_uint_eq(rec.len, (1u << 20) + 5);
	ck_assert_int_eq(rec_torn(r), -1);
	rec_reader_free(r);
	close(p[0]);
	mpbuf_free(&b);
	mpbuf_free(&big);
}
END_TEST

TU_MAIN("record", 60, round_trip, truncate_everywhere, flip_every_bit,
    concatenated_torn_tail, bad_payload, zeros_and_garbage,
    pipe_and_big_records)
