/*
 * actor.h - the ping/coordination protocol of asyncactor, as moat-kv
 * uses it, as pure logic: no I/O, no clock, no randomness of its own.
 *
 * Every server broadcasts a ping about once per `cycle'; each ping
 * carries the sender's value ([tock, tick], nil until it is ready) and
 * the history of the last senders, newest first.  The node whose ping
 * is not contradicted for `gap' becomes "it" (TAG) for the rest of the
 * cycle: that node alone does housekeeping.  Colliding pings are
 * resolved by value, then name; a ping whose history disagrees with
 * ours shows a healed network split (RECOVER, with both histories).
 *
 * The caller feeds messages (actor_input) and the time (seconds, any
 * monotonic origin), calls actor_tick() at actor_next(), and receives
 * outgoing messages and events through the hooks.  With a seeded
 * random source the behaviour is fully deterministic.
 */
#ifndef MOAT_SYNCD_ACTOR_H
#define MOAT_SYNCD_ACTOR_H

#include <stdint.h>

#include "syncd/msg.h"

#define ACTOR_NODES_MAX	1024	/* distinct names remembered */
#define ACTOR_LIST_MAX	64	/* names in a history */
#define ACTOR_RECOVER_MAX 8	/* concurrent delayed recovery pings */

struct nlist {
	unsigned	 n, maxlen;	/* maxlen 0: up to ACTOR_LIST_MAX */
	uint32_t	 id[ACTOR_LIST_MAX];
};

/*
 * Move id to the front of the list (asyncactor's NodeList +=).  With a
 * maxlen, one more name falls off the end when the moved one was not
 * last or the list is full, so names of vanished nodes fade out.
 */
void		 nlist_add(struct nlist *, uint32_t id);

enum actor_evtype {
	AEV_TAG,	/* we are "it" until UNTAG */
	AEV_UNTAG,	/* our turn is over */
	AEV_DETAG,	/* a better ping from `node' ended our turn */
	AEV_RECOVER,	/* split healed: prio, replace, local, remote */
	AEV_GOOD_NODE,	/* ready peers (remote) to fetch data from */
	AEV_SETUP,	/* a peer's higher config version was adopted */
	AEV_COLLISION,	/* our own init seen twice: a duplicate name */
	AEV_TIMEOUT,	/* our own init never came back */
	AEV_PING	/* a peer's ping we follow: node, value, nhist */
};

struct actor_event {
	enum actor_evtype type;
	uint32_t	 node;
	int		 prio, replace;
	struct nlist	 local, remote;
	struct actor_val value;		/* AEV_PING */
	unsigned	 nhist;		/* AEV_PING: names in its history */
};

struct actor;

struct actor_hooks {
	void	(*send)(const struct amsg *, void *arg);
	void	(*event)(struct actor *, const struct actor_event *,
		    void *arg);
	double	(*random)(void *arg);		/* uniform in [0, 1) */
};

struct actor	*actor_new(const char *name, const struct actor_cfg *,
		    const struct actor_hooks *, void *arg);
void		 actor_free(struct actor *);

/* Before start: only listen, never ping (asyncactor's enabled=False). */
void		 actor_set_passive(struct actor *);
/* Broadcast init and vers; pinging starts when our init comes back. */
void		 actor_start(struct actor *, double now);
void		 actor_input(struct actor *, const struct amsg *, double now);
/* Run whatever is due; then call again at actor_next() (or earlier). */
void		 actor_tick(struct actor *, double now);
double		 actor_next(const struct actor *);	/* INFINITY: idle */

/*
 * asyncactor's enable(n) and disable(n): an enabled actor pings, with
 * a history of at least n names (raising `nodes' bumps the config
 * version, which is broadcast); a disabled one only listens, keeping
 * histories of n names (0: unbounded).
 */
void		 actor_enable(struct actor *, int64_t n, double now);
void		 actor_disable(struct actor *, int64_t n);

void		 actor_set_value(struct actor *, const struct actor_val *);
void		 actor_set_ready(struct actor *);

/* For logs and tests. */
const char	*actor_name(const struct actor *, uint32_t id);
const struct nlist *actor_history(const struct actor *);
int		 actor_tagged(const struct actor *);
const struct actor_cfg *actor_config(const struct actor *);

#endif
