/*
 * histogram.c - log-linear latency histogram (see histogram.h).
 *
 * Index layout: 0 .. HIST_SUB-1 hold the values themselves.  A larger
 * value whose top bit is bit m is shifted right by m-(HIST_SUB_BITS-1),
 * which leaves HIST_SUB_BITS significant bits, i.e. a number in
 * [HIST_HALF, HIST_SUB); each shift step adds one row of HIST_HALF
 * buckets.  Percentiles walk the counters once: 7424 adds at most.
 */
#include <string.h>

#include "cli/histogram.h"

void
hist_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned
hist_index(uint64_t v)
{
	unsigned	 m, shift;

	if (v < HIST_SUB)
		return (unsigned)v;
	m = 63 - (unsigned)__builtin_clzll(v);
	shift = m - (HIST_SUB_BITS - 1);
	return HIST_SUB + (shift - 1) * HIST_HALF +
	    (unsigned)((v >> shift) - HIST_HALF);
}

uint64_t
hist_highest(unsigned idx)
{
	unsigned	 shift, row;
	uint64_t	 sub;

	if (idx < HIST_SUB)
		return idx;
	row = (idx - HIST_SUB) / HIST_HALF;
	shift = row + 1;
	sub = HIST_HALF + (idx - HIST_SUB) % HIST_HALF;
	/* the last bucket's top is UINT64_MAX: ((sub+1) << shift) wraps */
	return ((sub + 1) << shift) - 1;
}

void
hist_record(struct histogram *h, uint64_t v)
{
	h->bucket[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
hist_merge(struct histogram *to, const struct histogram *from)
{
	unsigned	 i;

	if (from->count == 0)
		return;
	for (i = 0; i < HIST_NBUCKETS; i++)
		to->bucket[i] += from->bucket[i];
	to->count += from->count;
	to->sum += from->sum;
	if (from->min < to->min)
		to->min = from->min;
	if (from->max > to->max)
		to->max = from->max;
}

uint64_t
hist_percentile(const struct histogram *h, double pct)
{
	uint64_t	 rank, seen = 0, v;
	long double	 r;
	unsigned	 i;

	if (h->count == 0)
		return 0;
	if (pct <= 0)
		return h->min;
	if (pct >= 100)
		return h->max;
	/* the smallest value with at least pct% of the values at or below */
	r = (long double)pct / 100 * h->count;
	rank = (uint64_t)r;
	if (rank < r || rank == 0)
		rank++;
	for (i = 0; i < HIST_NBUCKETS; i++) {
		seen += h->bucket[i];
		if (seen >= rank)
			break;
	}
	v = hist_highest(i);
	if (v > h->max)
		v = h->max;
	if (v < h->min)
		v = h->min;
	return v;
}

double
hist_mean(const struct histogram *h)
{
	return h->count ? (double)(h->sum / h->count) : 0;
}
