/*
 * tv.h - seconds, as the configuration gives them (a double), to the
 * struct timeval that libevent's timers take.  One conversion for every
 * timer instead of a copy of the arithmetic at each.
 */
#ifndef MOAT_LIB_TV_H
#define MOAT_LIB_TV_H

#include <sys/time.h>

/* Negative seconds (a deadline already past) become zero: fire now. */
static inline struct timeval
tv_from_secs(double secs)
{
	struct timeval	 tv;

	if (!(secs > 0))
		secs = 0;
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	return tv;
}

#endif
