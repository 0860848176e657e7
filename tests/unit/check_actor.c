/*
 * check_actor.c - the ping/coordination state machine, deterministically:
 * simulated time, seeded random numbers, and a simulated broker that
 * hands every message to every actor on it (the sender included, as
 * MQTT does).  Checks the start-up sequence, the single-node rhythm
 * (one ping per cycle + 2 gaps, as captured), that in a group at most
 * one node is "it" at any time and the role rotates, split detection
 * when two groups join, and the odd cases (duplicate name, no echo,
 * newer config, a fresh node finding ready peers).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "syncd/actor.h"
#include "tests/unit/testutil.h"

#define MAXA	6
#define QMAX	256

struct sim;

struct node {
	struct sim	*sim;
	struct actor	*a;
	char		 name[16];
	int		 net;		/* which broker it is on */
	uint64_t	 seed;
	int		 ntag, nuntag, nrecover, ngood, ncollision, ntimeout;
	int		 nsetup, nping;
	unsigned	 last_ping_nhist;
	double		 last_ping;
	double		 ping_gap[64];
	int		 npings;
	struct actor_event last_recover;
	struct actor_event last_good;
};

struct queued {
	int		 net;
	struct amsg	 m;
};

struct sim {
	struct node	 n[MAXA];
	int		 count;
	double		 now;
	struct queued	*q;
	int		 qhead, qtail;
	int		 maxtagged;
};

static double
lcg(void *arg)
{
	struct node	*n = arg;

	n->seed = n->seed * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(n->seed >> 11) / 9007199254740992.0;
}

static void
sim_send(const struct amsg *m, void *arg)
{
	struct node	*n = arg;
	struct sim	*s = n->sim;

	ck_assert_int_lt(s->qtail - s->qhead, QMAX);
	s->q[s->qtail % QMAX].net = n->net;
	s->q[s->qtail % QMAX].m = *m;
	s->qtail++;
	if (m->t == AMSG_PING && strcmp(m->node, n->name) == 0) {
		if (n->npings > 0 && n->npings <= 64)
			n->ping_gap[n->npings - 1] = s->now - n->last_ping;
		n->last_ping = s->now;
		n->npings++;
	}
}

static void
sim_event(struct actor *a, const struct actor_event *ev, void *arg)
{
	struct node	*n = arg;

	switch (ev->type) {
	case AEV_TAG:
		n->ntag++;
		break;
	case AEV_UNTAG:
	case AEV_DETAG:
		n->nuntag++;
		break;
	case AEV_RECOVER:
		n->nrecover++;
		n->last_recover = *ev;
		break;
	case AEV_GOOD_NODE:
		n->ngood++;
		n->last_good = *ev;
		break;
	case AEV_COLLISION:
		n->ncollision++;
		break;
	case AEV_TIMEOUT:
		n->ntimeout++;
		break;
	case AEV_SETUP:
		n->nsetup++;
		break;
	case AEV_PING:
		n->nping++;
		n->last_ping_nhist = ev->nhist;
		break;
	}
}

static const struct actor_hooks hooks = { sim_send, sim_event, lcg };

static const struct actor_cfg cfg = { 10, 2, 5, 4, 10, 0, 0 };

static void
sim_init(struct sim *s, int count)
{
	int	 i;

	memset(s, 0, sizeof(*s));
	s->q = calloc(QMAX, sizeof(*s->q));
	s->count = count;
	s->now = 100;
	for (i = 0; i < count; i++) {
		struct node *n = &s->n[i];

		n->sim = s;
		snprintf(n->name, sizeof(n->name), "n%d", i);
		n->seed = 1000 + i;
		n->a = actor_new(n->name, &cfg, &hooks, n);
	}
}

static void
sim_free(struct sim *s)
{
	int	 i;

	for (i = 0; i < s->count; i++)
		actor_free(s->n[i].a);
	free(s->q);
}

/* Deliver everything queued to every actor on the same broker. */
static void
sim_drain(struct sim *s, int drop)
{
	struct queued	*m;
	int		 i;

	while (s->qhead < s->qtail) {
		m = &s->q[s->qhead++ % QMAX];
		if (drop)
			continue;
		for (i = 0; i < s->count; i++)
			if (s->n[i].net == m->net)
				actor_input(s->n[i].a, &m->m, s->now);
	}
}

/* One actor, started; its first messages delivered or (drop) lost. */
static void
sim_lone(struct sim *s, int drop)
{
	sim_init(s, 1);
	actor_start(s->n[0].a, s->now);
	sim_drain(s, drop);
}

static void
count_tagged(struct sim *s)
{
	int	 i, n = 0;

	for (i = 0; i < s->count; i++)
		n += actor_tagged(s->n[i].a) == 3;
	if (n > s->maxtagged)
		s->maxtagged = n;
}

/* Run until `until': always the earliest due actor next. */
static void
sim_run(struct sim *s, double until)
{
	double	 t;
	int	 i, best;

	for (;;) {
		best = -1;
		t = INFINITY;
		for (i = 0; i < s->count; i++)
			if (actor_next(s->n[i].a) < t) {
				t = actor_next(s->n[i].a);
				best = i;
			}
		if (best < 0 || t > until)
			break;
		if (t > s->now)
			s->now = t;
		actor_tick(s->n[best].a, s->now);
		sim_drain(s, 0);
		count_tagged(s);
	}
	s->now = until;
}

static void
set_ready(struct node *n, uint64_t tock, uint64_t tick)
{
	struct actor_val v = { 1, tock, tick };

	actor_set_value(n->a, &v);
	actor_set_ready(n->a);
}

START_TEST(nodelist_moves_to_front)
{
	struct nlist	 l;
	static const uint32_t want[][3] = {
		{ 1 }, { 1 }, { 2, 1 }, { 1, 2 }, { 3, 1, 2 }, { 4, 3, 1 },
		{ 3, 4 },
	};
	static const uint32_t add[] = { 1, 1, 2, 1, 3, 4, 3 };
	static const unsigned len[] = { 1, 1, 2, 2, 3, 3, 2 };
	unsigned	 i, j;

	memset(&l, 0, sizeof(l));
	l.maxlen = 3;
	for (i = 0; i < 7; i++) {
		nlist_add(&l, add[i]);
		ck_assert_uint_eq(l.n, len[i]);
		for (j = 0; j < l.n; j++)
			ck_assert_uint_eq(l.id[j], want[i][j]);
	}
}
END_TEST

START_TEST(startup_sequence)
{
	struct sim	 s;

	sim_init(&s, 1);
	actor_start(s.n[0].a, s.now);
	ck_assert_int_eq(s.qtail, 2);
	ck_assert_int_eq(s.q[0].m.t, AMSG_INIT);
	ck_assert_str_eq(s.q[0].m.node, "n0");
	ck_assert_int_eq(s.q[1].m.t, AMSG_VERS);
	ck_assert(s.q[1].m.cfg.cycle == 10 && s.q[1].m.cfg.gap == 2);
	/* our init comes back: the first ping goes out at once */
	sim_drain(&s, 0);
	ck_assert_int_eq(s.qtail, 3);
	ck_assert_int_eq(s.q[2].m.t, AMSG_PING);
	ck_assert(!s.q[2].m.value.has);
	ck_assert_uint_eq(s.q[2].m.nhist, 1);
	ck_assert_str_eq(s.q[2].m.hist[0], "n0");
	sim_free(&s);
}
END_TEST

START_TEST(single_node_rhythm)
{
	struct sim	 s;
	int		 i;

	sim_init(&s, 1);
	set_ready(&s.n[0], 5, 1);
	actor_start(s.n[0].a, s.now);
	sim_drain(&s, 0);
	sim_run(&s, s.now + 200);
	/* alone: a ping every cycle + 2 gaps (14 s), as captured */
	ck_assert_int_ge(s.n[0].npings, 14);
	for (i = 0; i < s.n[0].npings - 1 && i < 64; i++)
		ck_assert_msg(fabs(s.n[0].ping_gap[i] - 14) < 1e-6,
		    "gap %d: %f", i, s.n[0].ping_gap[i]);
	/* and it is "it" once per ping after the first */
	ck_assert_int_ge(s.n[0].ntag, s.n[0].npings - 2);
	ck_assert_int_eq(s.n[0].nrecover, 0);
	sim_free(&s);
}
END_TEST

START_TEST(group_has_one_leader_at_a_time)
{
	struct sim	 s;
	int		 i, tags = 0, leaders = 0;

	sim_init(&s, 4);
	for (i = 0; i < 4; i++) {
		set_ready(&s.n[i], 10 + i, 1);
		actor_start(s.n[i].a, s.now + i * 0.3);
		sim_drain(&s, 0);
	}
	sim_run(&s, s.now + 2000);
	ck_assert_int_le(s.maxtagged, 1);
	for (i = 0; i < 4; i++) {
		tags += s.n[i].ntag;
		leaders += s.n[i].ntag > 0;
		ck_assert_int_eq(s.n[i].ncollision, 0);
	}
	/* roughly one turn per cycle and a half, shared around */
	ck_assert_int_ge(tags, 80);
	ck_assert_int_ge(leaders, 2);
	/* everybody agrees on the history */
	for (i = 1; i < 4; i++)
		ck_assert_uint_eq(actor_history(s.n[i].a)->n,
		    actor_history(s.n[0].a)->n);
	sim_free(&s);
}
END_TEST

START_TEST(healed_split_is_detected)
{
	struct sim	 s;
	int		 i, rec = 0;

	sim_init(&s, 4);
	for (i = 0; i < 4; i++) {
		s.n[i].net = i < 2 ? 0 : 1;	/* two separate brokers */
		set_ready(&s.n[i], 10 + i, 1);
		actor_start(s.n[i].a, s.now);
		sim_drain(&s, 0);
	}
	sim_run(&s, s.now + 300);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(s.n[i].nrecover, 0);
	/* heal: one broker again */
	for (i = 0; i < 4; i++)
		s.n[i].net = 0;
	sim_run(&s, s.now + 100);
	for (i = 0; i < 4; i++)
		rec += s.n[i].nrecover;
	ck_assert_int_gt(rec, 0);
	for (i = 0; i < 4; i++) {
		const struct actor_event *ev = &s.n[i].last_recover;

		if (s.n[i].nrecover == 0)
			continue;
		ck_assert_uint_gt(ev->local.n, 0);
		ck_assert_uint_gt(ev->remote.n, 0);
		ck_assert_int_ge(ev->prio, 0);
	}
	/* and they settle on one leader at a time again */
	s.maxtagged = 0;
	sim_run(&s, s.now + 50);
	s.maxtagged = 0;
	sim_run(&s, s.now + 1000);
	ck_assert_int_le(s.maxtagged, 1);
	sim_free(&s);
}
END_TEST

static void
inject_ping(struct actor *a, const char *node, int has, uint64_t tock,
    const char *h0, const char *h1, double now)
{
	struct amsg	*m = calloc(1, sizeof(*m));

	m->t = AMSG_PING;
	strcpy(m->node, node);
	m->value = (struct actor_val){ has, tock, 1 };
	strcpy(m->hist[0], h0);
	m->nhist = 1;
	if (h1) {
		strcpy(m->hist[1], h1);
		m->nhist = 2;
	}
	actor_input(a, m, now);
	free(m);
}

START_TEST(fresh_node_finds_ready_peers)
{
	struct sim	 s;

	sim_lone(&s, 0);	/* not ready: no value */
	inject_ping(s.n[0].a, "peer", 1, 50, "peer", "n0", s.now + 1);
	ck_assert_int_eq(s.n[0].ngood, 1);
	ck_assert_uint_eq(s.n[0].last_good.remote.n, 1);
	ck_assert_str_eq(actor_name(s.n[0].a, s.n[0].last_good.remote.id[0]),
	    "peer");
	/* that was a standard ping (its prev was us): now in our history */
	ck_assert_uint_eq(actor_history(s.n[0].a)->n, 2);
	ck_assert_str_eq(actor_name(s.n[0].a, actor_history(s.n[0].a)->id[0]),
	    "peer");
	sim_free(&s);
}
END_TEST

START_TEST(better_ping_wins_a_collision)
{
	struct sim	 s;

	sim_init(&s, 1);
	set_ready(&s.n[0], 5, 1);
	actor_start(s.n[0].a, s.now);
	sim_drain(&s, 0);
	/* "zz" pinged after some "x" we never saw, with a higher tock:
	 * it wins, and as its history does not contain our last ping
	 * either, we start split recovery, and send a hist ping */
	inject_ping(s.n[0].a, "zz", 1, 99, "zz", "x", s.now + 1);
	ck_assert_str_eq(actor_name(s.n[0].a, actor_history(s.n[0].a)->id[0]),
	    "zz");
	ck_assert_int_eq(s.n[0].nrecover, 1);
	ck_assert_int_eq(s.n[0].last_recover.prio, 0);
	ck_assert_int_eq(s.n[0].last_recover.replace, 1);
	ck_assert_int_eq(s.q[s.qtail - 1].m.t, AMSG_HIST);
	ck_assert_str_eq(s.q[s.qtail - 1].m.hist[0], "n0");
	sim_free(&s);
}
END_TEST

START_TEST(duplicate_name_and_missing_echo)
{
	struct sim	 s;
	struct amsg	*m = calloc(1, sizeof(*m));

	sim_lone(&s, 0);
	m->t = AMSG_INIT;
	strcpy(m->node, "n0");
	actor_input(s.n[0].a, m, s.now + 1);
	ck_assert_int_eq(s.n[0].ncollision, 1);
	sim_free(&s);

	/* a broker that does not echo: carry on after the deadline */
	sim_lone(&s, 1);
	ck_assert_double_le(actor_next(s.n[0].a), s.now + 10 + 2 * 2);
	sim_run(&s, s.now + 15);
	ck_assert_int_eq(s.n[0].ntimeout, 1);
	ck_assert_int_ge(s.n[0].npings, 1);
	sim_free(&s);
	free(m);
}
END_TEST

START_TEST(newer_config_is_adopted)
{
	struct sim	 s;
	struct amsg	*m = calloc(1, sizeof(*m));

	sim_lone(&s, 0);
	m->t = AMSG_VERS;
	strcpy(m->node, "other");
	m->cfg = (struct actor_cfg){ 20, 3, 5, 4, 10, 2, 0 };
	actor_input(s.n[0].a, m, s.now + 1);
	ck_assert_int_eq(s.n[0].nsetup, 1);
	ck_assert(actor_config(s.n[0].a)->cycle == 20);
	/* an older one is answered with ours */
	m->cfg.version = 1;
	actor_input(s.n[0].a, m, s.now + 2);
	sim_run(&s, s.now + 3);
	ck_assert_int_eq(s.q[s.qtail - 1].m.t, AMSG_VERS);
	ck_assert_int_eq(s.q[s.qtail - 1].m.cfg.version, 2);
	sim_free(&s);
	free(m);
}
END_TEST

START_TEST(passive_actor_only_listens)
{
	struct sim	 s;

	sim_init(&s, 2);
	actor_set_passive(s.n[1].a);
	set_ready(&s.n[0], 5, 1);
	actor_start(s.n[0].a, s.now);
	actor_start(s.n[1].a, s.now);
	sim_drain(&s, 0);
	sim_run(&s, s.now + 300);
	/* it announced itself, but never pinged nor took a turn */
	ck_assert_int_eq(s.n[1].npings, 0);
	ck_assert_int_eq(s.n[1].ntag, 0);
	ck_assert_int_eq(actor_tagged(s.n[1].a), -1);
	ck_assert_int_gt(s.n[0].ntag, 10);
	sim_free(&s);
}
END_TEST

/* A passive actor hears the pings; enabled, it joins the rotation
 * (asyncactor's enable/disable, as the deletion actor uses them). */
START_TEST(enable_and_disable)
{
	struct sim	 s;
	int		 tags;

	sim_init(&s, 3);
	actor_set_passive(s.n[0].a);
	actor_set_passive(s.n[1].a);
	actor_set_passive(s.n[2].a);
	actor_start(s.n[0].a, s.now);
	actor_start(s.n[1].a, s.now);
	actor_start(s.n[2].a, s.now);
	sim_drain(&s, 0);
	actor_enable(s.n[0].a, 2, s.now);
	actor_enable(s.n[1].a, 2, s.now);
	sim_drain(&s, 0);
	sim_run(&s, s.now + 300);
	ck_assert_int_gt(s.n[0].ntag, 3);
	ck_assert_int_gt(s.n[1].ntag, 3);
	ck_assert_int_eq(s.maxtagged, 1);
	/* the listener follows every ping, both names in its history */
	ck_assert_int_eq(s.n[2].npings, 0);
	ck_assert_int_gt(s.n[2].nping, 10);
	ck_assert_uint_eq(s.n[2].last_ping_nhist, 2);
	ck_assert_uint_eq(actor_history(s.n[0].a)->n, 2);
	/* a group larger than `nodes' raises it and the config version */
	actor_enable(s.n[2].a, 7, s.now);
	ck_assert_int_eq(actor_config(s.n[2].a)->nodes, 7);
	ck_assert_int_eq(actor_config(s.n[2].a)->version, 1);
	actor_disable(s.n[2].a, 7);
	actor_disable(s.n[1].a, 2);
	tags = s.n[1].ntag;
	sim_run(&s, s.now + 300);
	ck_assert_int_eq(s.n[1].ntag, tags);
	ck_assert_int_eq(actor_tagged(s.n[1].a), -1);
	ck_assert_uint_eq(actor_history(s.n[0].a)->n, 1);
	sim_free(&s);
}
END_TEST

TU_MAIN("actor", 0, nodelist_moves_to_front, startup_sequence,
    single_node_rhythm, group_has_one_leader_at_a_time,
    healed_split_is_detected, fresh_node_finds_ready_peers,
    better_ping_wins_a_collision, duplicate_name_and_missing_echo,
    newer_config_is_adopted, passive_actor_only_listens,
    enable_and_disable)
