/*
 * ranges.c - sets of ticks as sorted sequences of half-open intervals,
 * stored in chunks.
 *
 * Invariant: read in order across the chunks, the intervals are sorted,
 * each a < b, and each b < the next a (no overlap and no adjacency:
 * adjacent intervals are always merged, so equal sets have equal
 * sequences).  No chunk is empty; a chunk holds at most RCHUNK
 * intervals once an operation returns.
 *
 * The index keeps each chunk's last b beside its pointer, so the binary
 * search over chunks reads one small array, not every chunk it probes.
 *
 * Why chunks: under random overwrites present and superseded hold about
 * one interval per live entry, and every applied change moves a tick
 * from one to the other.  In one flat vector each such move memmoved
 * the tail (O(n), most of core's time at a million entries).  Here a
 * single insert or removal binary-searches the chunk index, then
 * splices inside one chunk (at most RCHUNK intervals moved); a chunk
 * that overflows splits in halves, one that runs low merges with a
 * neighbour, so the index moves one pointer per RCHUNK/2 operations.
 * The set operations (union, difference, intersect, copy, parse) sweep
 * the inputs once into a fresh set, as before.  Sets of one long run
 * stay one small chunk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/ranges.h"

#define RCHUNK		64		/* intervals per chunk, at most */
#define RCHUNK_LOW	(RCHUNK / 4)	/* fewer: merge with a neighbour */
#define RCHUNK_SLACK	2		/* a splice adds at most two */

struct rchunk {
	uint32_t	 n, cap;
	struct range	 r[];
};

/* The index: each chunk with its last b, so a search stays in it. */
struct rslot {
	uint64_t	 b;
	struct rchunk	*ch;
};

/* A position: interval i of chunk c; c == nc is the end. */
struct pos {
	size_t		 c, i;
};

void
ranges_init(struct ranges *rs)
{
	rs->c = NULL;
	rs->nc = rs->capc = rs->n = 0;
}

void
ranges_clear(struct ranges *rs)
{
	size_t	 i;

	for (i = 0; i < rs->nc; i++)
		free(rs->c[i].ch);
	rs->nc = rs->n = 0;
}

void
ranges_free(struct ranges *rs)
{
	ranges_clear(rs);
	free(rs->c);
	ranges_init(rs);
}

static struct rchunk *
chunk_new(uint32_t cap)
{
	struct rchunk	*ch;

	if ((ch = malloc(sizeof(*ch) + cap * sizeof(ch->r[0]))) == NULL)
		return NULL;
	ch->n = 0;
	ch->cap = cap;
	return ch;
}

/* Room for `need' intervals in chunk ci; grows by doubling. */
static int
chunk_reserve(struct ranges *rs, size_t ci, uint32_t need)
{
	struct rchunk	*ch = rs->c[ci].ch;
	uint32_t	 cap;

	if (need <= ch->cap)
		return 0;
	cap = ch->cap * 2;
	if (cap > RCHUNK + RCHUNK_SLACK)
		cap = RCHUNK + RCHUNK_SLACK;
	if (cap < need)
		cap = need;
	if ((ch = realloc(ch, sizeof(*ch) + cap * sizeof(ch->r[0]))) == NULL)
		return -1;
	ch->cap = cap;
	rs->c[ci].ch = ch;
	return 0;
}

static int
index_reserve(struct ranges *rs, size_t need)
{
	struct rslot	*c;
	size_t		 cap;

	if (need <= rs->capc)
		return 0;
	cap = rs->capc ? rs->capc : 4;
	while (cap < need)
		cap *= 2;
	if ((c = reallocarray(rs->c, cap, sizeof(*c))) == NULL)
		return -1;
	rs->c = c;
	rs->capc = cap;
	return 0;
}

/* Chunk k's last interval changed. */
static void
fix_b(struct ranges *rs, size_t k)
{
	const struct rchunk *ch = rs->c[k].ch;

	if (ch->n > 0)
		rs->c[k].b = ch->r[ch->n - 1].b;
}

/* The index has room (index_reserve): put ch at ci. */
static void
index_insert(struct ranges *rs, size_t ci, struct rchunk *ch)
{
	memmove(rs->c + ci + 1, rs->c + ci, (rs->nc - ci) * sizeof(*rs->c));
	rs->c[ci].ch = ch;
	rs->c[ci].b = 0;
	rs->nc++;
	fix_b(rs, ci);
}

/* Free chunks [ci, cj) and close the gap. */
static void
index_delete(struct ranges *rs, size_t ci, size_t cj)
{
	size_t	 k;

	for (k = ci; k < cj; k++)
		free(rs->c[k].ch);
	memmove(rs->c + ci, rs->c + cj, (rs->nc - cj) * sizeof(*rs->c));
	rs->nc -= cj - ci;
}

static const struct range *
at(const struct ranges *rs, const struct pos *p)
{
	return p->c < rs->nc ? &rs->c[p->c].ch->r[p->i] : NULL;
}

static void
step(const struct ranges *rs, struct pos *p)
{
	if (++p->i == rs->c[p->c].ch->n) {
		p->c++;
		p->i = 0;
	}
}

static int
past(uint64_t b, uint64_t t, int strict)
{
	return b < t || (strict && b == t);
}

/* First interval with b >= t (b > t if `strict'), the end if none. */
static struct pos
lower(const struct ranges *rs, uint64_t t, int strict)
{
	const struct rchunk *ch;
	struct pos	 p;
	size_t		 lo = 0, hi = rs->nc, mid;

	/* New ticks are the newest: past the end, or in the last chunk. */
	if (hi > 0 && past(rs->c[hi - 1].b, t, strict))
		lo = hi;
	else if (hi > 1 && past(rs->c[hi - 2].b, t, strict))
		lo = hi - 1;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (past(rs->c[mid].b, t, strict))
			lo = mid + 1;
		else
			hi = mid;
	}
	p.c = lo;
	p.i = 0;
	if (lo == rs->nc)
		return p;
	ch = rs->c[lo].ch;
	hi = ch->n - 1;		/* the last one qualifies */
	lo = 0;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (past(ch->r[mid].b, t, strict))
			lo = mid + 1;
		else
			hi = mid;
	}
	p.i = lo;
	return p;
}

/* Chunk k after a splice: gone if empty, merged if it runs low. */
static void
tidy(struct ranges *rs, size_t k)
{
	struct rchunk	*ch, *nb;

	if (k >= rs->nc)
		return;
	if ((ch = rs->c[k].ch)->n == 0) {
		index_delete(rs, k, k + 1);
		return;
	}
	if (ch->n >= RCHUNK_LOW)
		return;
	if (k > 0 && rs->c[k - 1].ch->n + ch->n <= RCHUNK) {
		k--;		/* merge k+1 into k below */
	} else if (k + 1 >= rs->nc || ch->n + rs->c[k + 1].ch->n > RCHUNK)
		return;
	/* Best effort: without memory the chunks just stay small. */
	if (chunk_reserve(rs, k, rs->c[k].ch->n + rs->c[k + 1].ch->n) == -1)
		return;
	ch = rs->c[k].ch;
	nb = rs->c[k + 1].ch;
	memcpy(ch->r + ch->n, nb->r, nb->n * sizeof(nb->r[0]));
	ch->n += nb->n;
	fix_b(rs, k);
	index_delete(rs, k + 1, k + 2);
}

/* Split chunk k (over RCHUNK) in halves, the upper half into spare. */
static void
split(struct ranges *rs, size_t k, struct rchunk *spare)
{
	struct rchunk	*ch = rs->c[k].ch;
	uint32_t	 h = ch->n / 2;

	memcpy(spare->r, ch->r + h, (ch->n - h) * sizeof(ch->r[0]));
	spare->n = ch->n - h;
	ch->n = h;
	fix_b(rs, k);
	index_insert(rs, k + 1, spare);
}

/* An empty set gets its first chunk, holding p[0..np). */
static int
first_chunk(struct ranges *rs, const struct range *p, size_t np)
{
	struct rchunk	*ch;

	if (np == 0)
		return 0;
	if (index_reserve(rs, 1) == -1 || (ch = chunk_new(4)) == NULL)
		return -1;
	memcpy(ch->r, p, np * sizeof(*p));
	ch->n = np;
	index_insert(rs, 0, ch);
	rs->n = np;
	return 0;
}

/*
 * A position at the start of a chunk after chunk `floor' (the end
 * position included) as the end of the chunk before it.
 */
static struct pos
as_end(const struct ranges *rs, struct pos p, size_t floor)
{
	if (p.i == 0 && p.c > floor) {
		p.c--;
		p.i = rs->c[p.c].ch->n;
	}
	return p;
}

/*
 * Replace the intervals [P, Q) with the np (<= RCHUNK_SLACK) in p.
 * All allocation comes first, so failure leaves the set as it was.
 */
static int
splice(struct ranges *rs, struct pos P, struct pos Q, const struct range *p,
    size_t np)
{
	struct rchunk	*ch, *q, *spare = NULL;
	size_t		 k, gone, newn;

	if (rs->nc == 0)
		return first_chunk(rs, p, np);
	if (P.c == rs->nc)
		P = as_end(rs, P, 0);
	Q = as_end(rs, Q, P.c);
	ch = rs->c[P.c].ch;
	if (P.c == Q.c) {
		gone = Q.i - P.i;
		newn = ch->n - gone + np;
	} else {
		gone = ch->n - P.i + Q.i;
		for (k = P.c + 1; k < Q.c; k++)
			gone += rs->c[k].ch->n;
		newn = P.i + np;
	}
	if (newn > RCHUNK && (index_reserve(rs, rs->nc + 1) == -1 ||
	    (spare = chunk_new(RCHUNK)) == NULL))
		return -1;
	if (chunk_reserve(rs, P.c, newn) == -1) {
		free(spare);
		return -1;
	}
	ch = rs->c[P.c].ch;
	if (P.c == Q.c) {
		memmove(ch->r + P.i + np, ch->r + Q.i,
		    (ch->n - Q.i) * sizeof(ch->r[0]));
	} else {
		q = rs->c[Q.c].ch;
		memmove(q->r, q->r + Q.i, (q->n - Q.i) * sizeof(q->r[0]));
		q->n -= Q.i;
		index_delete(rs, P.c + 1, Q.c);
	}
	memcpy(ch->r + P.i, p, np * sizeof(*p));
	ch->n = newn;
	fix_b(rs, P.c);
	rs->n = rs->n - gone + np;
	if (P.c != Q.c)
		tidy(rs, P.c + 1);	/* what is left of Q's chunk */
	if (spare != NULL)
		split(rs, P.c, spare);
	tidy(rs, P.c);
	return 0;
}

static int
same(struct pos x, struct pos y)
{
	return x.c == y.c && x.i == y.i;
}

int
ranges_add_range(struct ranges *rs, uint64_t a, uint64_t b)
{
	struct range	 m = { a, b };
	const struct range *r, *first, *last = NULL;
	struct pos	 i, j;

	if (a > b) {
		errno = EINVAL;
		return -1;
	}
	if (a == b)
		return 0;
	/* i: first touching [a,b) from the left; j: first after it. */
	i = j = lower(rs, a, 0);
	first = at(rs, &i);
	for (; (r = at(rs, &j)) != NULL && r->a <= b; step(rs, &j))
		last = r;
	if (last != NULL) {
		if (first->a <= a && last == first && first->b >= b)
			return 0;	/* already in */
		if (first->a < m.a)
			m.a = first->a;
		if (last->b > m.b)
			m.b = last->b;
	}
	return splice(rs, i, j, &m, 1);
}

int
ranges_add(struct ranges *rs, uint64_t t)
{
	if (t == UINT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	return ranges_add_range(rs, t, t + 1);
}

int
ranges_remove_range(struct ranges *rs, uint64_t a, uint64_t b)
{
	struct range	 p[2];
	const struct range *r, *first, *last = NULL;
	struct pos	 i, j;
	size_t		 np = 0;

	if (a > b) {
		errno = EINVAL;
		return -1;
	}
	i = j = lower(rs, a, 1);
	first = at(rs, &i);
	for (; (r = at(rs, &j)) != NULL && r->a < b; step(rs, &j))
		last = r;
	if (a == b || same(i, j))
		return 0;
	if (first->a < a) {
		p[np].a = first->a;
		p[np++].b = a;
	}
	if (last->b > b) {
		p[np].a = b;
		p[np++].b = last->b;
	}
	return splice(rs, i, j, p, np);
}

int
ranges_remove(struct ranges *rs, uint64_t t)
{
	if (t == UINT64_MAX)
		return 0;
	return ranges_remove_range(rs, t, t + 1);
}

int
ranges_contains(const struct ranges *rs, uint64_t t)
{
	struct pos	 p = lower(rs, t, 1);
	const struct range *r = at(rs, &p);

	return r != NULL && r->a <= t;
}

/*
 * A set built in order by the whole-set operations: intervals are
 * appended (merged with the last one as needed) into full chunks; the
 * first allocation failure is remembered and the result dropped.
 */
struct build {
	struct ranges	 out;
	int		 failed;
};

static void
build_init(struct build *bd)
{
	ranges_init(&bd->out);
	bd->failed = 0;
}

static void
emit(struct build *bd, uint64_t a, uint64_t b)
{
	struct ranges	*o = &bd->out;
	struct rchunk	*ch = o->nc > 0 ? o->c[o->nc - 1].ch : NULL;
	struct range	*last;

	if (a >= b || bd->failed)
		return;
	if (ch != NULL) {
		last = &ch->r[ch->n - 1];
		if (a <= last->b) {
			if (b > last->b)
				last->b = b;
			fix_b(o, o->nc - 1);
			return;
		}
	}
	if (ch == NULL || ch->n == RCHUNK) {
		if (index_reserve(o, o->nc + 1) == -1 ||
		    (ch = chunk_new(o->nc == 0 ? 4 : RCHUNK)) == NULL)
			goto fail;
		index_insert(o, o->nc, ch);
	}
	if (chunk_reserve(o, o->nc - 1, ch->n + 1) == -1)
		goto fail;
	ch = o->c[o->nc - 1].ch;
	ch->r[ch->n].a = a;
	ch->r[ch->n++].b = b;
	o->n++;
	fix_b(o, o->nc - 1);
	return;
fail:
	bd->failed = 1;
}

/* The built set replaces rs; on failure rs is unchanged. */
static int
build_adopt(struct ranges *rs, struct build *bd)
{
	if (bd->failed) {
		ranges_free(&bd->out);
		errno = ENOMEM;
		return -1;
	}
	ranges_free(rs);
	*rs = bd->out;
	return 0;
}

int
ranges_copy(struct ranges *dst, const struct ranges *src)
{
	struct build	 bd;
	struct pos	 i = { 0, 0 };
	const struct range *r;

	if (dst == src)
		return 0;
	build_init(&bd);
	for (; (r = at(src, &i)) != NULL; step(src, &i))
		emit(&bd, r->a, r->b);
	return build_adopt(dst, &bd);
}

int
ranges_union(struct ranges *dst, const struct ranges *src)
{
	struct build	 bd;
	struct pos	 i = { 0, 0 }, j = { 0, 0 };
	const struct range *x, *y;

	if (src->n == 0 || dst == src)
		return 0;
	build_init(&bd);
	for (;;) {
		x = at(dst, &i);
		y = at(src, &j);
		if (x == NULL && y == NULL)
			break;
		if (y == NULL || (x != NULL && x->a <= y->a)) {
			emit(&bd, x->a, x->b);
			step(dst, &i);
		} else {
			emit(&bd, y->a, y->b);
			step(src, &j);
		}
	}
	return build_adopt(dst, &bd);
}

int
ranges_difference(struct ranges *dst, const struct ranges *src)
{
	struct build	 bd;
	struct pos	 i = { 0, 0 }, j = { 0, 0 }, k;
	const struct range *x, *s;
	uint64_t	 cur, b;

	if (dst == src) {
		ranges_clear(dst);
		return 0;
	}
	if (src->n == 0 || dst->n == 0)
		return 0;
	build_init(&bd);
	for (; (x = at(dst, &i)) != NULL; step(dst, &i)) {
		cur = x->a;
		b = x->b;
		while ((s = at(src, &j)) != NULL && s->b <= cur)
			step(src, &j);
		for (k = j; (s = at(src, &k)) != NULL && s->a < b;
		    step(src, &k)) {
			emit(&bd, cur, s->a < cur ? cur : s->a);
			if (s->b > cur)
				cur = s->b;
			if (s->b > b)	/* may cut the next interval too */
				break;
		}
		emit(&bd, cur, b);
		j = k;
	}
	return build_adopt(dst, &bd);
}

int
ranges_intersect(struct ranges *dst, const struct ranges *src)
{
	struct build	 bd;
	struct pos	 i = { 0, 0 }, j = { 0, 0 };
	const struct range *x, *y;
	uint64_t	 lo, hi;

	if (dst == src)
		return 0;
	build_init(&bd);
	while ((x = at(dst, &i)) != NULL && (y = at(src, &j)) != NULL) {
		lo = x->a > y->a ? x->a : y->a;
		hi = x->b < y->b ? x->b : y->b;
		emit(&bd, lo, hi);
		if (x->b < y->b)
			step(dst, &i);
		else
			step(src, &j);
	}
	return build_adopt(dst, &bd);
}

int
ranges_equal(const struct ranges *x, const struct ranges *y)
{
	struct pos	 i = { 0, 0 }, j = { 0, 0 };
	const struct range *p, *q;

	if (x->n != y->n)
		return 0;
	for (; (p = at(x, &i)) != NULL; step(x, &i), step(y, &j)) {
		q = at(y, &j);
		if (p->a != q->a || p->b != q->b)
			return 0;
	}
	return 1;
}

int
ranges_iter(const struct ranges *rs, int (*fn)(uint64_t, uint64_t, void *),
    void *arg)
{
	struct pos	 i = { 0, 0 };
	const struct range *r;
	int		 rv;

	for (; (r = at(rs, &i)) != NULL; step(rs, &i))
		if ((rv = fn(r->a, r->b, arg)) != 0)
			return rv;
	return 0;
}

static int
count_one(uint64_t a, uint64_t b, void *arg)
{
	uint64_t	*sum = arg, d = b - a;

	if (*sum > UINT64_MAX - d) {
		*sum = UINT64_MAX;
		return 1;
	}
	*sum += d;
	return 0;
}

uint64_t
ranges_count(const struct ranges *rs)
{
	uint64_t	 sum = 0;

	(void)ranges_iter(rs, count_one, &sum);
	return sum;
}

size_t
ranges_nranges(const struct ranges *rs)
{
	return rs->n;
}

int
ranges_empty(const struct ranges *rs)
{
	return rs->n == 0;
}

int
ranges_max(const struct ranges *rs, uint64_t *t)
{
	if (rs->nc == 0)
		return -1;
	*t = rs->c[rs->nc - 1].b - 1;
	return 0;
}

static int
pack_one(uint64_t a, uint64_t b, void *arg)
{
	msgpack_packer	*pk = arg;

	if (b - a == 1)
		return msgpack_pack_uint64(pk, a) != 0 ? -1 : 0;
	if (msgpack_pack_array(pk, 2) != 0 ||
	    msgpack_pack_uint64(pk, a) != 0 ||
	    msgpack_pack_uint64(pk, b) != 0)
		return -1;
	return 0;
}

int
ranges_pack(const struct ranges *rs, msgpack_packer *pk)
{
	if (msgpack_pack_array(pk, rs->n) != 0)
		return -1;
	return ranges_iter(rs, pack_one, pk);
}

static int
parse_item(struct ranges *rs, const msgpack_object *o)
{
	const msgpack_object	*ab;

	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
		return ranges_add(rs, o->via.u64);
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2)
		goto bad;
	ab = o->via.array.ptr;
	if (ab[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    ab[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    ab[0].via.u64 >= ab[1].via.u64)
		goto bad;
	return ranges_add_range(rs, ab[0].via.u64, ab[1].via.u64);
bad:
	errno = EINVAL;
	return -1;
}

int
ranges_parse(struct ranges *rs, const msgpack_object *o)
{
	struct ranges	 tmp;
	uint32_t	 i;

	if (o->type != MSGPACK_OBJECT_ARRAY) {
		errno = EINVAL;
		return -1;
	}
	ranges_init(&tmp);
	for (i = 0; i < o->via.array.size; i++) {
		if (parse_item(&tmp, &o->via.array.ptr[i]) == -1) {
			ranges_free(&tmp);
			return -1;
		}
	}
	ranges_free(rs);
	*rs = tmp;
	return 0;
}
