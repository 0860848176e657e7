/*
 * histogram.h - a log-linear latency histogram in fixed memory.
 *
 * In the manner of HdrHistogram: values below 2^HIST_SUB_BITS are
 * counted exactly; above that every power-of-two range is cut into
 * 2^(HIST_SUB_BITS-1) equal buckets, so a reported value is never more
 * than 1/2^(HIST_SUB_BITS-1) (0.8%) above the true one.  The whole
 * 64-bit range fits into HIST_NBUCKETS counters, no allocation.
 * Minimum, maximum and mean are kept exactly beside the buckets.
 * Units are the caller's (moatctl bench records nanoseconds).
 */
#ifndef MOAT_HISTOGRAM_H
#define MOAT_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS	8
#define HIST_SUB	(1u << HIST_SUB_BITS)
#define HIST_HALF	(HIST_SUB / 2)
/* exact range, then one half-range of buckets per further power of 2 */
#define HIST_NBUCKETS	(HIST_SUB + (64 - HIST_SUB_BITS) * HIST_HALF)

struct histogram {
	uint64_t	 count;
	uint64_t	 min, max;
	long double	 sum;
	uint64_t	 bucket[HIST_NBUCKETS];
};

void		hist_init(struct histogram *);
void		hist_record(struct histogram *, uint64_t);
/* Adds every count of the second histogram into the first. */
void		hist_merge(struct histogram *, const struct histogram *);
/*
 * The value below or at which pct percent (0..100) of the recorded
 * values lie: the highest value of the bucket holding that rank, at most
 * the exact maximum.  0 for an empty histogram.
 */
uint64_t	hist_percentile(const struct histogram *, double pct);
double		hist_mean(const struct histogram *);

/* Bucket arithmetic, exposed for the unit tests. */
unsigned	hist_index(uint64_t);
uint64_t	hist_highest(unsigned);

#endif
