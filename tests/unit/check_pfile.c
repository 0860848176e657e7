/*
 * check_pfile.c - persistence records over a real tree: a snapshot
 * written in small steps while the tree changes, plus the change log
 * of those changes, loads back into the same tree (values byte for
 * byte, chains, tocks, tombstones, the root); the state record's sets
 * arrive; the newer chain wins whatever the order; malformed records
 * stop the load with the file and offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <msgpack.h>

#include "core/pfile.h"
#include "core/snapshot.h"
#include "lib/record.h"
#include "tests/unit/testutil.h"

static struct mpbuf pathb;

/* Packed path from a list of strings. */
static const uint8_t *
P(size_t *len, const char *a, const char *b, const char *c)
{
	msgpack_packer	 pk;
	const char	*el[3] = { a, b, c };
	int		 i;

	mpbuf_reset(&pathb);
	msgpack_packer_init(&pk, &pathb, mpbuf_write);
	for (i = 0; i < 3 && el[i]; i++)
		mp_pack_str(&pk, el[i]);
	*len = pathb.len;
	return pathb.data;
}

static struct entry *
set(struct tree *t, const char *a, const char *b, const char *c,
    const void *v, size_t vlen, const char *node, uint64_t tick,
    uint64_t tock)
{
	struct entry	*e;
	const uint8_t	*p;
	size_t		 plen;
	uint32_t	 n = tree_node_intern(t, node, strlen(node));

	p = P(&plen, a, b, c);
	ck_assert_ptr_nonnull(e = tree_lookup_create(t, p, plen));
	if (v == NULL)
		ck_assert_int_eq(entry_delete(t, &e, n, tick, tock), 0);
	else
		ck_assert_int_eq(entry_set(t, &e, v, vlen, n, tick, tock), 0);
	return e;
}

static struct tree *dump_tree;

static int
dump_one_t(struct entry *e, const uint8_t *path, size_t plen,
    unsigned depth, void *arg)
{
	struct mpbuf	*out = arg;

	if (!entry_has_value(e) && entry_chain(e).n == 0)
		return 0;
	ck_assert_int_eq(pf_entry(out, dump_tree, path, plen, e), 0);
	return 0;
}

static void
dump(struct tree *t, struct mpbuf *out)
{
	mpbuf_init(out);
	dump_tree = t;
	ck_assert_int_eq(tree_walk(t, NULL, 0, 0, TREE_DEPTH_ANY,
	    TREE_WALK_EMPTY, dump_one_t, out), 0);
}

/* Both trees dump to the same bytes: values, chains, tocks, tombstones. */
static void
assert_same_dump(struct tree *t, struct tree *t2)
{
	struct mpbuf	 d1, d2;

	dump(t, &d1);
	dump(t2, &d2);
	ck_assert_uint_eq(d1.len, d2.len);
	ck_assert(memcmp(d1.data, d2.data, d1.len) == 0);
	mpbuf_free(&d1);
	mpbuf_free(&d2);
}

static int
tmpfd(void)
{
	char	 tmpl[] = "/tmp/check_pfile.XXXXXX";
	int	 fd = mkstemp(tmpl);

	ck_assert_int_ne(fd, -1);
	unlink(tmpl);
	return fd;
}

static void
pack_state(struct mpbuf *b)
{
	msgpack_packer	 pk;
	size_t		 off = rec_begin(b);

	msgpack_packer_init(&pk, b, mpbuf_write);
	tu_pack_state(&pk, 0);
	ck_assert_int_eq(rec_end(b, off, REC_DATA), 0);
}

struct seen {
	uint64_t	 tick_a, tick_b, known_a;
	int		 calls;
};

static int
state_cb(const char *set, const char *name, size_t len, uint64_t tick,
    const struct ranges *rs, void *arg)
{
	struct seen	*s = arg;

	s->calls++;
	if (strcmp(set, "nodes") == 0 && len == 1 && name[0] == 'a')
		s->tick_a = tick;
	if (strcmp(set, "nodes") == 0 && len == 1 && name[0] == 'b')
		s->tick_b = tick;
	if (strcmp(set, "known") == 0)
		s->known_a = ranges_count(rs);
	return 0;
}

static void
fill(struct tree *t)
{
	static const uint8_t u16five[] = { 0xcd, 0x00, 0x05 };
	char	 k[16];
	int	 i;

	set(t, NULL, NULL, NULL, "\xa4root", 5, "a", 1, 1);
	set(t, "one", NULL, NULL, "\x01", 1, "a", 2, 2);
	set(t, "one", "two", NULL, u16five, sizeof(u16five), "a", 3, 3);
	set(t, "one", "two", NULL, "\xc3", 1, "b", 1, 4);
	set(t, "one", "two", "three", "\xc0", 1, "a", 4, 5);
	set(t, "gone", NULL, NULL, "\x05", 1, "a", 5, 6);
	set(t, "gone", NULL, NULL, NULL, 0, "b", 2, 7);
	for (i = 0; i < 300; i++) {
		snprintf(k, sizeof(k), "k%03d", i);
		set(t, "many", k, NULL, "\x92\x01\x02", 3, "b", 3, 8);
	}
}

static int
load(struct tree *t, int fd, struct pf_load *pl, char *err, size_t errlen)
{
	memset(pl, 0, sizeof(*pl));
	pl->tree = t;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	return pf_load_fd(fd, "f.state", pl, err, errlen);
}

START_TEST(snapshot_round_trip)
{
	struct tree	*t = tree_new(5), *t2 = tree_new(5);
	struct pwriter	 w;
	struct snapshot	*s;
	struct pf_load	 pl;
	struct seen	 seen = { 0, 0, 0, 0 };
	struct mpbuf	 wal;
	struct entry	*e;
	char		 err[256], k[16];
	int		 fd = tmpfd(), rc, steps = 0, walfd = tmpfd();
	size_t		 plen;
	const uint8_t	*p;

	fill(t);
	mpbuf_init(&wal);
	pf_header(&wal, "log", "a");
	ck_assert_int_eq(pw_init(&w, fd, "f.state"), 0);
	pf_header(&w.buf, "snapshot", "a");
	pack_state(&w.buf);
	ck_assert_ptr_nonnull(s = snap_new(t, &w));
	/* Change the tree between steps; log each change as core does. */
	while ((rc = snap_step(s, 7)) == 1) {
		snprintf(k, sizeof(k), "k%03d", 299 - steps);
		e = set(t, "many", k, NULL, "\xa1x", 2, "a", 10 + steps,
		    100 + steps);
		p = P(&plen, "many", k, NULL);
		ck_assert_int_eq(pf_entry(&wal, t, p, plen, e), 0);
		steps++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_gt(steps, 10);
	ck_assert_int_eq(pw_sync(&w), 0);
	ck_assert_int_eq(write(walfd, wal.data, wal.len), (ssize_t)wal.len);

	memset(&pl, 0, sizeof(pl));
	pl.tree = t2;
	pl.state_fn = state_cb;
	pl.arg = &seen;
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(pf_load_fd(fd, "f.state", &pl, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_int_eq(pl.headers, 1);
	ck_assert_int_eq(pl.states, 1);
	ck_assert_uint_eq(pl.entries, snap_count(s));
	ck_assert_uint_eq(seen.tick_a, 7);
	ck_assert_uint_eq(seen.tick_b, 3);
	ck_assert_uint_eq(seen.known_a, 3);
	ck_assert_int_eq(load(t2, walfd, &pl, err, sizeof(err)), 0);
	ck_assert_uint_eq(pl.entries, steps);
	ck_assert_int_eq(tree_check(t2), 0);

	assert_same_dump(t, t2);
	ck_assert_uint_eq(tree_nvalues(t), tree_nvalues(t2));

	/* Loading it all again changes nothing: same chains. */
	ck_assert_int_eq(load(t2, fd, &pl, err, sizeof(err)), 0);
	ck_assert_uint_eq(pl.applied, 0);
	snap_free(s);
	pw_close(&w);
	close(walfd);
	mpbuf_free(&wal);
	tree_free(t);
	tree_free(t2);
}
END_TEST

/* Ticks of every msgpack width survive a log round trip, in any link. */
START_TEST(big_ticks_round_trip)
{
	static const uint64_t ticks[] = { 127, 128, 255, 256, 70000,
	    (uint64_t)1 << 40 };
	struct tree	*t = tree_new(5), *t2 = tree_new(5);
	struct pf_load	 pl;
	struct mpbuf	 wal;
	struct entry	*e;
	const uint8_t	*p;
	char		 err[256], k[16];
	size_t		 plen, i;
	int		 fd = tmpfd();

	mpbuf_init(&wal);
	pf_header(&wal, "log", "a");
	for (i = 0; i < sizeof(ticks) / sizeof(ticks[0]); i++) {
		snprintf(k, sizeof(k), "k%zu", i);
		(void)set(t, "big", k, NULL, "\x01", 1, "b", ticks[i], 1000);
		e = set(t, "big", k, NULL, "\x02", 1, "a", ticks[i] + 1,
		    ticks[i]);
		p = P(&plen, "big", k, NULL);
		ck_assert_int_eq(pf_entry(&wal, t, p, plen, e), 0);
	}
	ck_assert_int_eq(write(fd, wal.data, wal.len), (ssize_t)wal.len);
	ck_assert_msg(load(t2, fd, &pl, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(pl.entries, sizeof(ticks) / sizeof(ticks[0]));
	assert_same_dump(t, t2);
	close(fd);
	mpbuf_free(&wal);
	tree_free(t);
	tree_free(t2);
}
END_TEST

/* An older version never replaces a newer one, in whatever order. */
START_TEST(newer_chain_wins)
{
	struct tree	*t = tree_new(5), *t2 = tree_new(5);
	struct mpbuf	 b, d;
	struct entry	*e;
	struct pf_load	 pl;
	const uint8_t	*p;
	size_t		 plen, vlen;
	const uint8_t	*v;
	char		 err[256];
	int		 fd = tmpfd();

	mpbuf_init(&b);
	pf_header(&b, "log", "a");
	e = set(t, "x", NULL, NULL, "\x01", 1, "a", 1, 1);
	p = P(&plen, "x", NULL, NULL);
	ck_assert_int_eq(pf_entry(&b, t, p, plen, e), 0);
	e = set(t, "x", NULL, NULL, "\x02", 1, "b", 1, 2);
	mpbuf_init(&d);
	pf_header(&d, "log", "b");
	ck_assert_int_eq(pf_entry(&d, t, p, plen, e), 0);
	/* newest first, then the older one */
	mpbuf_add(&d, b.data, b.len);
	ck_assert_int_eq(write(fd, d.data, d.len), (ssize_t)d.len);
	ck_assert_int_eq(load(t2, fd, &pl, err, sizeof(err)), 0);
	ck_assert_int_eq(pl.headers, 2);
	ck_assert_int_eq(pl.applied, 1);
	p = P(&plen, "x", NULL, NULL);
	v = entry_value(tree_lookup(t2, p, plen), &vlen);
	ck_assert_int_eq(v[0], 2);
	ck_assert_int_eq(entry_chain(tree_lookup(t2, p, plen)).n, 2);
	mpbuf_free(&b);
	mpbuf_free(&d);
	close(fd);
	tree_free(t);
	tree_free(t2);
}
END_TEST

static void
expect_error(const uint8_t *rec, size_t len, int with_header,
    const char *want)
{
	struct tree	*t = tree_new(5);
	struct mpbuf	 b;
	struct pf_load	 pl;
	char		 err[256];
	size_t		 off;
	int		 fd = tmpfd();

	mpbuf_init(&b);
	if (with_header)
		pf_header(&b, "log", "a");
	off = rec_begin(&b);
	mpbuf_add(&b, rec, len);
	ck_assert_int_eq(rec_end(&b, off, REC_DATA), 0);
	ck_assert_int_eq(write(fd, b.data, b.len), (ssize_t)b.len);
	ck_assert_int_eq(load(t, fd, &pl, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, want) != NULL, "%s", err);
	ck_assert_msg(strncmp(err, "f.state: bad record at offset ", 30) == 0,
	    "%s", err);
	mpbuf_free(&b);
	close(fd);
	tree_free(t);
}

START_TEST(malformed_records)
{
	/* {"x": 1} */
	static const uint8_t unknown[] = { 0x81, 0xa1, 'x', 0x01 };
	/* {"path": 1} */
	static const uint8_t badpath[] = { 0x81, 0xa4, 'p', 'a', 't', 'h',
	    0x01 };
	/* {"path": Path(), "chain": [1]} */
	static const uint8_t badchain[] = { 0x82, 0xa4, 'p', 'a', 't', 'h',
	    0xc7, 0x00, 0x03, 0xa5, 'c', 'h', 'a', 'i', 'n', 0x91, 0x01 };
	/* {"nodes": {"a": "x"}} */
	static const uint8_t badtick[] = { 0x81, 0xa5, 'n', 'o', 'd', 'e',
	    's', 0x81, 0xa1, 'a', 0xa1, 'x' };

	expect_error(unknown, sizeof(unknown), 1, "unknown record");
	expect_error(unknown, sizeof(unknown), 0, "no header");
	expect_error(badpath, sizeof(badpath), 1, "path is not a Path");
	expect_error(badchain, sizeof(badchain), 1, "chain");
	expect_error(badtick, sizeof(badtick), 1, "tick");
}
END_TEST

TU_MAIN("pfile", 0, snapshot_round_trip, big_ticks_round_trip,
    newer_chain_wins, malformed_records)
