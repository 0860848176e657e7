/*
 * recover.c - split recovery steps (see recover.h).  Each step is one
 * deadline; an info message from a node of our side that already did
 * the step moves on to the next one without our own request.
 */
#include <math.h>
#include <string.h>

#include <bsd/string.h>

#include "syncd/recover.h"

void
recover_init(struct recovery *r, double clock,
    void (*request)(enum recover_req, int, void *), void *arg)
{
	memset(r, 0, sizeof(*r));
	r->clock = clock;
	r->request = request;
	r->arg = arg;
}

static double
frac(int prio)
{
	return 1 - ldexp(1, -prio);	/* 0, 1/2, 3/4, ... */
}

static int
in_list(const char *const *l, unsigned n, const char *name)
{
	unsigned	 i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i], name) == 0)
			return 1;
	return 0;
}

/* Enter step `step', whose deadline starts now. */
static void
enter(struct recovery *r, int step, double now)
{
	r->step = step;
	switch (step) {
	case 1:
		r->due = now + r->clock * frac(r->prio);
		break;
	case 2:
		r->due = now + r->clock * (1 + frac(r->prio)) / 2;
		break;
	case 3:
		r->due = now + r->clock * frac(r->prio);
		break;
	default:
		r->step = 0;
		break;
	}
}

void
recover_start(struct recovery *r, int prio, const char *const *local,
    unsigned nlocal, const char *const *remote, unsigned nremote,
    double now)
{
	unsigned	 i;

	r->prio = prio < 0 ? 0 : prio > 30 ? 30 : prio;
	r->nlocal = 0;
	for (i = 0; i < nlocal && r->nlocal < RECOVER_LOCAL_MAX; i++)
		if (!in_list(remote, nremote, local[i]))
			strlcpy(r->local[r->nlocal++], local[i],
			    sizeof(r->local[0]));
	enter(r, 1, now);
	recover_tick(r, now);
}

void
recover_info(struct recovery *r, const char *node, int ticks, int missing,
    double now)
{
	unsigned	 i;

	if (r->step == 0)
		return;
	for (i = 0; i < r->nlocal; i++)
		if (strcmp(r->local[i], node) == 0)
			break;
	if (i == r->nlocal)
		return;		/* only our own side pre-empts us */
	if (r->step == 1 && ticks)
		enter(r, 2, now);
	if (r->step == 2 && missing)
		enter(r, 3, now);
}

void
recover_tick(struct recovery *r, double now)
{
	while (r->step != 0 && now >= r->due) {
		switch (r->step) {
		case 1:
			r->request(RQ_TICKS, r->prio, r->arg);
			break;
		case 2:
			r->request(RQ_MISSING, r->prio, r->arg);
			break;
		case 3:
			r->request(RQ_RESEND, r->prio, r->arg);
			break;
		}
		enter(r, r->step + 1, r->due);
	}
}

double
recover_next(const struct recovery *r)
{
	return r->step == 0 ? INFINITY : r->due;
}
