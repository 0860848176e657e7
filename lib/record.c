/*
 * record.c - framing, checksums and the damage-aware reader of the
 * persistence files (see record.h for the format and the rules).
 *
 * The sum is libsodium's crypto_shorthash: fast on short inputs (most
 * records are a few dozen bytes) and 64 bits, so a random bit pattern
 * passes for a frame about once in 2^64 tries - which is what makes it
 * safe to search the rest of a damaged file for the next good frame.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "lib/log.h"
#include "lib/mpval.h"
#include "lib/record.h"

#define READ_CHUNK	(256u << 10)

/* Public and fixed: the sum must be the same for every reader. */
static const unsigned char rec_key[crypto_shorthash_KEYBYTES] =
    "moat-kv record 1";

struct rec_reader {
	int		 fd;
	char		*name;
	uint8_t		*buf;
	size_t		 cap, pos, end;	/* unread bytes: buf[pos..end) */
	uint64_t	 base;		/* file offset of buf[0] */
	int		 eof;
	int		 ioerr;
	int64_t		 torn;
	uint64_t	 good_end;
	unsigned	 skipped;
	struct mpval_limits lim;
	char		 err[512];
};

static void
sum(const uint8_t *p, size_t len, uint8_t out[REC_SUMLEN])
{
	static int	 ready;

	if (!ready) {
		/* Only probes CPU features here: shorthash needs no
		 * randomness, so even a failed init computes the sum. */
		if (sodium_init() < 0)
			log_debug("sodium_init failed");
		ready = 1;
	}
	crypto_shorthash(out, p, len, rec_key);
}

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

size_t
rec_begin(struct mpbuf *b)
{
	static const uint8_t zero[REC_HDRLEN];
	size_t	 off = b->len;

	mpbuf_add(b, zero, sizeof(zero));
	return off;
}

int
rec_end(struct mpbuf *b, size_t off, uint8_t type)
{
	uint8_t		 s[REC_SUMLEN];
	uint8_t		*h;
	size_t		 plen = b->len - off - REC_HDRLEN;
	uint32_t	 n;

	if (plen > REC_MAXPAYLOAD) {
		b->len = off;
		errno = EFBIG;
		return -1;
	}
	n = (uint32_t)(plen + REC_SUMLEN);
	h = b->data + off;
	h[0] = 0xc9;
	h[1] = n >> 24;
	h[2] = n >> 16;
	h[3] = n >> 8;
	h[4] = n;
	h[5] = type;
	sum(h, REC_HDRLEN + plen, s);
	mpbuf_add(b, s, sizeof(s));
	return 0;
}

/*
 * Frame length claimed by the header at p (len >= REC_HDRLEN), 0 if it
 * cannot be the header of a frame at all.
 */
static size_t
claimed(const uint8_t *p)
{
	uint32_t	 n;

	if (p[0] != 0xc9 || (p[5] != REC_HEADER && p[5] != REC_DATA))
		return 0;
	n = get_be32(p + 1);
	if (n <= REC_SUMLEN || n > REC_MAXPAYLOAD + REC_SUMLEN)
		return 0;
	return REC_HDRLEN + (size_t)n;
}

size_t
rec_check(const uint8_t *p, size_t len, uint8_t *type)
{
	uint8_t		 s[REC_SUMLEN];
	size_t		 flen;

	if (len < REC_HDRLEN || (flen = claimed(p)) == 0 || flen > len)
		return 0;
	sum(p, flen - REC_SUMLEN, s);
	if (memcmp(s, p + flen - REC_SUMLEN, REC_SUMLEN) != 0)
		return 0;
	if (type)
		*type = p[5];
	return flen;
}

struct rec_reader *
rec_reader_new(int fd, const char *name)
{
	struct rec_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->name = strdup(name)) == NULL) {
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->torn = -1;
	r->lim = mpval_default_limits;
	r->lim.max_size = REC_MAXPAYLOAD;
	r->lim.max_strlen = r->lim.max_binlen = r->lim.max_extlen =
	    REC_MAXPAYLOAD;
	return r;
}

void
rec_reader_free(struct rec_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->name);
	free(r);
}

/*
 * Make `want' bytes from pos available if the input has them; returns
 * how many there are (less only at the end of the input or on a read
 * error, then r->ioerr is set).
 */
static size_t
fill(struct rec_reader *r, size_t want)
{
	uint8_t		*nb;
	size_t		 need;
	ssize_t		 n;

	while (r->end - r->pos < want && !r->eof) {
		if (r->cap - r->end < READ_CHUNK / 2 || r->cap - r->pos < want) {
			if (r->pos > 0) {
				memmove(r->buf, r->buf + r->pos,
				    r->end - r->pos);
				r->base += r->pos;
				r->end -= r->pos;
				r->pos = 0;
			}
			need = r->end + READ_CHUNK;
			if (need < want)
				need = want;
			if (need > r->cap) {
				if ((nb = realloc(r->buf, need)) == NULL) {
					r->ioerr = ENOMEM;
					r->eof = 1;
					break;
				}
				r->buf = nb;
				r->cap = need;
			}
		}
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == -1)
				r->ioerr = errno;
			r->eof = 1;
			break;
		}
		r->end += (size_t)n;
	}
	return r->end - r->pos < want ? r->end - r->pos : want;
}

/* Length of a good frame at pos (0 if none), reading as needed. */
static size_t
frame_here(struct rec_reader *r)
{
	size_t	 flen;

	if (fill(r, REC_HDRLEN) < REC_HDRLEN ||
	    (flen = claimed(r->buf + r->pos)) == 0)
		return 0;
	if (fill(r, flen) < flen)
		return 0;
	return rec_check(r->buf + r->pos, flen, NULL);
}

static enum rec_rc
fail(struct rec_reader *r, uint64_t off, const char *why)
{
	snprintf(r->err, sizeof(r->err), "%s: damaged record at offset %llu "
	    "(%s)", r->name, (unsigned long long)off, why);
	return REC_ERROR;
}

static enum rec_rc
io_fail(struct rec_reader *r)
{
	snprintf(r->err, sizeof(r->err), "%s: read error at offset %llu: %s",
	    r->name, (unsigned long long)(r->base + r->pos),
	    strerror(r->ioerr));
	return REC_ERROR;
}

/*
 * The frame at pos is bad.  Find the next good one and decide by its
 * type (see record.h).  Returns REC_OK with pos on a header to go on
 * from, REC_END for a torn tail, REC_ERROR otherwise.
 */
static enum rec_rc
resync(struct rec_reader *r, const char *why)
{
	uint64_t	 bad = r->base + r->pos;
	const uint8_t	*p;

	for (r->pos++; ; r->pos++) {
		if (fill(r, REC_HDRLEN) < REC_HDRLEN)
			break;
		/* Cheap scan for the next header-looking byte pair. */
		p = memchr(r->buf + r->pos, 0xc9, r->end - r->pos);
		if (p == NULL) {
			r->pos = r->end - 1;	/* the loop steps to end */
			continue;
		}
		r->pos = (size_t)(p - r->buf);
		if (frame_here(r) == 0)
			continue;
		if (r->buf[r->pos + 5] != REC_HEADER)
			return fail(r, bad, why);
		log_warnx("%s: torn records at offsets %llu to %llu skipped "
		    "(end of a concatenated file)", r->name,
		    (unsigned long long)bad,
		    (unsigned long long)(r->base + r->pos));
		r->skipped++;
		return REC_OK;
	}
	if (r->ioerr)
		return io_fail(r);
	r->torn = (int64_t)bad;
	r->pos = r->end;
	return REC_END;
}

/* Why frame_here() said no; the buffer holds what there is. */
static const char *
why_bad(struct rec_reader *r)
{
	size_t	 avail = r->end - r->pos, flen;

	if (avail < REC_HDRLEN)
		return "short frame";
	if ((flen = claimed(r->buf + r->pos)) == 0)
		return "bad frame header";
	if (flen > avail)
		return "short frame";
	return "bad checksum";
}

enum rec_rc
rec_read(struct rec_reader *r, struct rec *out)
{
	enum rec_rc	 rc;
	const char	*why = NULL;
	size_t		 flen;
	uint8_t		*p;

	for (;;) {
		if (fill(r, 1) == 0)
			return r->ioerr ? io_fail(r) : REC_END;
		if ((flen = frame_here(r)) != 0)
			break;
		if (r->ioerr)
			return io_fail(r);
		rc = resync(r, why_bad(r));
		if (rc != REC_OK)
			return rc;
	}
	p = r->buf + r->pos;
	out->type = p[5];
	out->payload = p + REC_HDRLEN;
	out->len = flen - REC_OVERHEAD;
	out->off = r->base + r->pos;
	/* A good sum over bad MsgPack is a writer's bug, not a torn
	 * write: never skip it. */
	if (mpval_check(out->payload, out->len, &r->lim, &why) != MPVAL_OK)
		return fail(r, out->off, why);
	r->pos += flen;
	r->good_end = r->base + r->pos;
	return REC_OK;
}

const char *
rec_error(const struct rec_reader *r)
{
	return r->err;
}

int64_t
rec_torn(const struct rec_reader *r)
{
	return r->torn;
}

uint64_t
rec_good_end(const struct rec_reader *r)
{
	return r->good_end;
}

unsigned
rec_skipped(const struct rec_reader *r)
{
	return r->skipped;
}
