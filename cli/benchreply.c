/*
 * benchreply.c - what `moatctl bench' reads from a reply: the few
 * top-level fields it needs, picked from a message the bounded validator
 * has framed, without building msgpack-c objects (so the load generator
 * is not the bottleneck it measures).
 */
#include <string.h>

#include "cli/benchreply.h"
#include "lib/mpval.h"

static int
key_is(const uint8_t *p, const struct mpval_head *h, const char *name)
{
	return h->kind == MPV_STR && h->n == strlen(name) &&
	    memcmp(p + h->hlen, name, h->n) == 0;
}

/* Pick the top-level fields of one validated message. */
int
reply_scan(const uint8_t *p, size_t len, struct reply *r)
{
	struct mpval_head kh, vh;
	const uint8_t	*end = p + len, *k;
	size_t		 n;
	uint64_t	 i, pairs;

	memset(r, 0, sizeof(*r));
	if (mpval_head(p, len, &vh, NULL) != MPVAL_OK || vh.kind != MPV_MAP)
		return -1;
	pairs = vh.n;
	p += vh.hlen;
	for (i = 0; i < pairs; i++) {
		k = p;
		if ((n = mpval_skip(p, (size_t)(end - p))) == 0 ||
		    mpval_head(k, n, &kh, NULL) != MPVAL_OK)
			return -1;
		p += n;
		if ((n = mpval_skip(p, (size_t)(end - p))) == 0 ||
		    mpval_head(p, n, &vh, NULL) != MPVAL_OK)
			return -1;
		if (key_is(k, &kh, "seq") && vh.kind == MPV_UINT) {
			r->has_seq = 1;
			r->seq = vh.v.u;
		} else if (key_is(k, &kh, "error")) {
			r->error = vh.kind == MPV_STR ?
			    (const char *)p + vh.hlen : "(not a string)";
			r->errorlen = vh.kind == MPV_STR ? vh.n :
			    strlen(r->error);
		} else if (key_is(k, &kh, "state") && vh.kind == MPV_STR) {
			r->state = (const char *)p + vh.hlen;
			r->statelen = vh.n;
		} else if (key_is(k, &kh, "path") && vh.kind == MPV_ARRAY) {
			r->path = p;
			r->pathlen = n;
		}
		p += n;
	}
	return 0;
}

/* The key number of a watch item: the last element, "key:NNN". */
int
event_key(const struct reply *r, uint64_t *lastkey, uint64_t *key)
{
	struct mpval_head h;
	const uint8_t	*p = r->path, *end = p + r->pathlen, *last = NULL;
	size_t		 n, i;
	uint64_t	 k = 0;

	if (mpval_head(p, r->pathlen, &h, NULL) != MPVAL_OK)
		return -1;
	for (p += h.hlen, i = 0; i < h.n; i++, p += n) {
		if ((n = mpval_skip(p, (size_t)(end - p))) == 0)
			return -1;
		last = p;
	}
	if (last == NULL) {		/* the same node as before */
		*key = *lastkey;
		return 0;
	}
	if (mpval_head(last, (size_t)(end - last), &h, NULL) != MPVAL_OK ||
	    h.kind != MPV_STR || h.n < 5 || memcmp(last + h.hlen, "key:", 4))
		return -1;
	for (i = 4; i < h.n; i++) {
		if (last[h.hlen + i] < '0' || last[h.hlen + i] > '9')
			return -1;
		k = k * 10 + (last[h.hlen + i] - '0');
	}
	*key = *lastkey = k;
	return 0;
}

