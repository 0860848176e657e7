/*
 * recover.h - the steps after a healed network split, as moat-kv runs
 * them, as pure logic with injected time (like actor.h).
 *
 * The actor reports the split (AEV_RECOVER) with our position `prio' on
 * our side's ping history.  Then, with clock = kv.server.ping.cycle:
 *
 *   1. within clock * (1 - 2^-prio): unless a node of our side already
 *      sent an info with `ticks', ask core for one (every node's tick);
 *   2. within the next clock * (2 - 2^-prio) / 2: unless one of ours
 *      sent `missing', ask core for our missing ranges (sent even when
 *      empty);
 *   3. after another clock * (1 - 2^-prio): ask core to re-send what
 *      peers reported missing (then known/deleted).
 *
 * The first node of the history (prio 0) acts at once; the others only
 * if it stays silent.  A new split report replaces a running recovery.
 */
#ifndef MOAT_SYNCD_RECOVER_H
#define MOAT_SYNCD_RECOVER_H

#include "syncd/msg.h"

#define RECOVER_LOCAL_MAX	64

enum recover_req { RQ_TICKS, RQ_MISSING, RQ_RESEND };

struct recovery {
	int		 step;		/* 0: idle; 1..3: waiting for it */
	int		 prio;
	double		 clock;
	double		 due;
	unsigned	 nlocal;	/* our side, minus the other side */
	char		 local[RECOVER_LOCAL_MAX][SYNC_NAME_MAX + 1];
	void		(*request)(enum recover_req, int prio, void *arg);
	void		*arg;
};

void	recover_init(struct recovery *, double clock,
	    void (*request)(enum recover_req, int, void *), void *arg);
void	recover_start(struct recovery *, int prio,
	    const char *const *local, unsigned nlocal,
	    const char *const *remote, unsigned nremote, double now);
/* An info from `node' arrived; ticks/missing: which fields it had. */
void	recover_info(struct recovery *, const char *node, int ticks,
	    int missing, double now);
void	recover_tick(struct recovery *, double now);
double	recover_next(const struct recovery *);	/* INFINITY: idle */

#endif
