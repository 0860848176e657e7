/*
 * actor.c - asyncactor's ping protocol as an event-driven state machine
 * (see actor.h).  The original is a coroutine that loops "compute a
 * timeout, wait for a message or the timeout, handle it"; here the
 * head of that loop is head(), the wait is `wait_until', and the two
 * ways out of the wait are on_timeout() and actor_input().
 *
 * `tagged' is the original's state: -1 passive, 0 idle, 1 just pinged,
 * 2 waiting out the gap, 3 "it" for the rest of the cycle.
 *
 * Names are interned (core's nodetab) so that histories are arrays of
 * small ids; the number of names is bounded, and messages naming more
 * are dropped.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "lib/log.h"
#include "syncd/actor.h"

enum { RP_FREE, RP_SEEN, RP_PENDING, RP_SENT };

struct rping {
	int		 state;
	uint32_t	 node;
	int		 seen_at;	/* RP_SEEN: valid_pings then */
	double		 due;		/* RP_PENDING; RP_SENT: when */
	struct nlist	 hist;
};

struct nval {
	int		 known;
	struct actor_val v;
};

enum { PH_IDLE, PH_START, PH_RUN };

struct actor {
	struct nodetab	*names;
	uint32_t	 self;
	struct actor_cfg cfg;
	int64_t		 off_nodes;
	const struct actor_hooks *hooks;
	void		*arg;

	int		 phase;
	int		 self_seen;
	double		 start_deadline;
	int		 tagged;
	int		 ready;
	int		 valid_pings;
	int		 count_not_on;
	struct actor_val value;
	struct nval	 values[ACTOR_NODES_MAX];
	unsigned	 nvalues;
	struct nlist	 history;
	double		 next_ping_time, t_dest, wait_until;
	double		 vers_due;		/* 0: none */
	struct rping	 rp[ACTOR_RECOVER_MAX];
};

static double
rnd(struct actor *a)
{
	return a->hooks->random(a->arg);
}

static int64_t
nodes(const struct actor *a)
{
	return a->tagged < 0 ? a->off_nodes : a->cfg.nodes;
}

static unsigned
list_cap(int64_t n)
{
	return n <= 0 || n > ACTOR_LIST_MAX ? 0 : (unsigned)n;
}

/* --- name lists (asyncactor's NodeList) -------------------------- */

static int
nl_index(const struct nlist *l, uint32_t id)
{
	unsigned	 i;

	for (i = 0; i < l->n; i++)
		if (l->id[i] == id)
			return (int)i;
	return -1;
}

static void
nl_remove(struct nlist *l, unsigned i)
{
	memmove(&l->id[i], &l->id[i + 1], (l->n - i - 1) * sizeof(l->id[0]));
	l->n--;
}

/*
 * Move id to the front.  A bounded list also drops its last name when
 * the moved one was not last, or when it is full: stale names fade.
 */
void
nlist_add(struct nlist *l, uint32_t id)
{
	int	 i = nl_index(l, id);

	if (i >= 0)
		nl_remove(l, (unsigned)i);
	if (l->maxlen > 0 && l->n > 0 &&
	    ((i >= 0 && (unsigned)i < l->n) || l->n == l->maxlen))
		l->n--;
	if (l->n == ACTOR_LIST_MAX)
		l->n--;
	memmove(&l->id[1], &l->id[0], l->n * sizeof(l->id[0]));
	l->id[0] = id;
	l->n++;
}

static void
nl_copy(struct nlist *dst, const struct nlist *src, unsigned maxlen)
{
	*dst = *src;
	dst->maxlen = maxlen;
}

/* --- values ------------------------------------------------------ */

static int
has_value(const struct actor *a, uint32_t id)
{
	return id < ACTOR_NODES_MAX && a->values[id].known &&
	    a->values[id].v.has;
}

static void
set_value(struct actor *a, uint32_t id, const struct actor_val *v)
{
	if (!a->values[id].known)
		a->nvalues++;
	a->values[id].known = 1;
	a->values[id].v = *v;
}

/* Value first (nil loses), then the lower name wins; antisymmetric. */
static int
has_priority(const struct actor *a, uint32_t x, uint32_t y)
{
	int		 hx = has_value(a, x), hy = has_value(a, y);
	const struct actor_val *vx = &a->values[x].v, *vy = &a->values[y].v;
	size_t		 lx, ly;
	const char	*nx, *ny;
	int		 c;

	if (hx != hy)
		return hx;
	if (hx && (vx->tock != vy->tock || vx->tick != vy->tick))
		return vx->tock != vy->tock ? vx->tock > vy->tock :
		    vx->tick > vy->tick;
	nx = nodetab_name(a->names, x, &lx);
	ny = nodetab_name(a->names, y, &ly);
	c = memcmp(nx, ny, lx < ly ? lx : ly);
	return c != 0 ? c < 0 : lx < ly;
}

/* --- timing ------------------------------------------------------ */

/* In units of gap, after one cycle; see asyncactor's ping_delay(). */
static double
ping_delay(struct actor *a, int pos, unsigned length, int64_t todo,
    int64_t total)
{
	double	 f;

	if (pos >= 0)
		return 1 - ldexp(1, -(int)(length - pos)) / 2;
	if (a->cfg.force_in) {
		if (a->count_not_on >= total)
			return rnd(a) / 4;
		if (rnd(a) > (double)(a->count_not_on - 1) / total)
			return 0.5 + rnd(a) / 2;
		return rnd(a) / 2;
	}
	if (todo > 0)
		f = (double)todo;
	else {
		a->count_not_on++;
		f = (double)total;
	}
	if (rnd(a) < 1 / f / total)
		return rnd(a) / 3;
	return 1.5 + rnd(a) / 2;
}

static double
time_to_next_ping(struct actor *a)
{
	unsigned	 i, p = 0, s = 0, lv = 1;
	int64_t		 n = nodes(a), total;

	if (a->history.n == 0)
		return 1.9 - rnd(a) / 5;	/* we might be alone */
	if (a->history.id[0] == a->self)
		return 2;			/* we pinged last */
	for (i = 0; i < a->history.n; i++) {
		if (has_value(a, a->history.id[i]) && p == 0)
			p = lv;
		if (a->history.id[i] == a->self)
			s = lv;
		lv++;
		if (n > 0 && lv > n)
			break;
	}
	/* not ready, and the first ready node is far back: hold off */
	if (!a->ready && p > lv / 2)
		return 2 + rnd(a) / 3;
	total = (int64_t)a->nvalues > a->cfg.n_hosts ? (int64_t)a->nvalues :
	    a->cfg.n_hosts;
	return ping_delay(a, (int)s - 1, lv,
	    n > 0 ? n - (int64_t)a->history.n : 1, total);
}

static void
next_ping(struct actor *a, double now)
{
	a->next_ping_time = now + a->cfg.cycle +
	    a->cfg.gap * time_to_next_ping(a);
}

/* --- output ------------------------------------------------------ */

static void
post(struct actor *a, enum actor_evtype t, uint32_t node)
{
	struct actor_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.node = node;
	a->hooks->event(a, &ev, a->arg);
}

static void
fill_history(struct actor *a, struct amsg *m, const struct nlist *l)
{
	unsigned	 i, n = l->n;
	int64_t		 splits = a->cfg.splits;

	if (splits < (int64_t)n)
		n = (unsigned)splits;
	if (n > SYNC_HIST_MAX)
		n = SYNC_HIST_MAX;
	for (i = 0; i < n; i++)
		strlcpy(m->hist[i], actor_name(a, l->id[i]),
		    sizeof(m->hist[i]));
	m->nhist = n;
}

static void
send_simple(struct actor *a, enum amsg_type t)
{
	struct amsg	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	m->t = t;
	strlcpy(m->node, actor_name(a, a->self), sizeof(m->node));
	m->cfg = a->cfg;
	a->hooks->send(m, a->arg);
	free(m);
}

/* A regular ping; with `hist', the recovery ping for that history. */
static void
send_ping(struct actor *a, const struct nlist *hist, double now)
{
	struct amsg	*m;

	if (a->tagged < 0)
		return;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		fatal("calloc");
	if (hist != NULL) {
		m->t = AMSG_HIST;
		m->value = a->values[hist->id[0]].v;
		fill_history(a, m, hist);
	} else {
		m->t = AMSG_PING;
		strlcpy(m->node, actor_name(a, a->self), sizeof(m->node));
		m->value = a->value;
		set_value(a, a->self, &a->value);
		if (a->history.n > 0)
			a->tagged = 1;
		nlist_add(&a->history, a->self);
		next_ping(a, now);
		fill_history(a, m, &a->history);
	}
	a->hooks->send(m, a->arg);
	free(m);
}

/* --- the loop ---------------------------------------------------- */

/* The top of asyncactor's main loop: how long to wait, and what the
 * end of a tagged phase means. */
static void
head(struct actor *a, double now)
{
	double	 t;

	if (a->tagged == 0) {
		a->wait_until = a->next_ping_time > now ? a->next_ping_time :
		    now;
		return;
	}
	if (a->t_dest - now > 0) {
		a->wait_until = a->t_dest;
		return;
	}
	switch (a->tagged) {
	case 1:
		t = a->cfg.gap;
		a->tagged = 2;
		break;
	case 2:
		t = a->cfg.cycle - a->cfg.gap / 2;
		a->tagged = 3;
		a->valid_pings++;
		post(a, AEV_TAG, a->self);
		break;
	case 3:
		t = a->cfg.gap * 1.5;
		a->tagged = 0;
		a->count_not_on = 0;
		post(a, AEV_UNTAG, a->self);
		break;
	default:		/* passive */
		t = 2 * a->cfg.gap;
		break;
	}
	a->t_dest = now + t;
	a->wait_until = a->t_dest;
}

static void
enter_run(struct actor *a, double now)
{
	a->phase = PH_RUN;
	send_ping(a, NULL, now);
	a->t_dest = 0;
	head(a, now);
}

static struct rping *
rp_find(struct actor *a, uint32_t node)
{
	unsigned	 i;

	for (i = 0; i < ACTOR_RECOVER_MAX; i++)
		if (a->rp[i].state != RP_FREE && a->rp[i].node == node)
			return &a->rp[i];
	return NULL;
}

static struct rping *
rp_get(struct actor *a, uint32_t node)
{
	struct rping	*r = rp_find(a, node);
	unsigned	 i;

	for (i = 0; r == NULL && i < ACTOR_RECOVER_MAX; i++)
		if (a->rp[i].state == RP_FREE)
			r = &a->rp[i];
	if (r == NULL)
		r = &a->rp[0];	/* full: the oldest slot goes */
	r->node = node;
	return r;
}

/*
 * After a split each side sends one recovery ping; the node at `pos' on
 * its side waits gap * (1 - 2^-pos) for an earlier one to do it.
 */
static void
delay_ping(struct actor *a, int pos, const struct nlist *hist, double now)
{
	struct rping	*r = rp_find(a, hist->id[0]);

	/* Ours: at most one per history head and cycle.  (The original
	 * has no such limit; with a fast broker, two sides that keep
	 * disagreeing would answer each other's recovery pings at once,
	 * forever.) */
	if (r && r->state == RP_SENT && now - r->due < a->cfg.cycle)
		return;
	if (r && (r->state == RP_PENDING || (r->state == RP_SEEN &&
	    nodes(a) > 1 && r->seen_at < a->valid_pings - nodes(a) / 2.0))) {
		if (r->state == RP_SEEN)
			r->state = RP_FREE;
		return;
	}
	r = rp_get(a, hist->id[0]);
	r->state = RP_PENDING;
	r->due = now + a->cfg.gap * (1 - ldexp(1, -pos));
	nl_copy(&r->hist, hist, 0);
}

static int
same_slice(const struct amsg *m, unsigned mi, const struct nlist *l,
    unsigned li, struct actor *a)
{
	int	 mh = m->nhist > mi, lh = l->n > li;

	if (mh != lh)
		return 0;
	return !mh || nodetab_find(a->names, m->hist[mi],
	    strlen(m->hist[mi])) == l->id[li];
}

static int
process_vers(struct actor *a, const struct amsg *m, double now)
{
	int	 pos;

	if (m->cfg.version > a->cfg.version) {
		a->cfg = m->cfg;
		post(a, AEV_SETUP, NODE_NONE);
	} else if (m->cfg.version < a->cfg.version) {
		if (a->tagged > 1)
			send_simple(a, AMSG_VERS);
		else if ((pos = nl_index(&a->history, a->self)) >= 0)
			a->vers_due = now + a->cfg.gap * (1 - ldexp(1, -pos));
	} else
		a->vers_due = 0;
	return 0;
}

static void
recover(struct actor *a, const struct amsg *m, uint32_t sender,
    const struct nlist *hist, const uint32_t *mh, int replace, double now)
{
	struct actor_event ev;
	unsigned	 i;
	int		 pos;

	if (!a->value.has || (pos = nl_index(hist, a->self)) < 0)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = AEV_RECOVER;
	ev.node = sender;
	ev.prio = pos;
	ev.replace = replace;
	nl_copy(&ev.local, hist, 0);
	for (i = 0; i < m->nhist; i++)
		ev.remote.id[i] = mh[i];
	ev.remote.n = m->nhist;
	if (m->t != AMSG_HIST)
		nlist_add(&ev.remote, sender);
	a->hooks->event(a, &ev, a->arg);
	delay_ping(a, pos, hist, now);
}

/* asyncactor's PingEvent: a ping that we follow (or hear, passive). */
static void
post_ping(struct actor *a, const struct amsg *m, uint32_t sender)
{
	struct actor_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = AEV_PING;
	ev.node = sender;
	ev.value = m->value;
	ev.nhist = m->nhist;
	a->hooks->event(a, &ev, a->arg);
}

/* Returns 1 for a valid ping that is not superseded. */
static int
process_msg(struct actor *a, const struct amsg *m, uint32_t sender,
    const uint32_t *mh, double now)
{
	struct actor_event ev;
	struct nlist	 hist;
	struct rping	*r;
	uint32_t	 prev_node;
	unsigned	 i;
	int		 prefer_new;

	if (m->t == AMSG_INIT)
		return 0;
	if (m->t == AMSG_VERS)
		return process_vers(a, m, now);
	if (a->tagged < 0) {
		next_ping(a, now);
		if (m->t == AMSG_PING && sender != a->self)
			post_ping(a, m, sender);
		return 0;
	}
	prev_node = a->history.n ? a->history.id[0] : NODE_NONE;
	if (m->t == AMSG_PING) {
		if ((r = rp_find(a, sender)) != NULL && r->state == RP_PENDING)
			r->state = RP_FREE;	/* someone else sent it */
		else {
			r = rp_get(a, sender);
			r->state = RP_SEEN;
			r->seen_at = a->valid_pings;
		}
	}
	if (sender == a->self || sender == prev_node)
		return 0;
	set_value(a, sender, &m->value);
	if (!a->value.has && m->value.has) {
		memset(&ev, 0, sizeof(ev));
		ev.type = AEV_GOOD_NODE;
		for (i = 0; i < m->nhist; i++)
			if (has_value(a, mh[i]))
				ev.remote.id[ev.remote.n++] = mh[i];
		a->hooks->event(a, &ev, a->arg);
	}
	if (m->nhist > 0 && same_slice(m, 1, &a->history, 0, a)) {
		if (m->t == AMSG_HIST)
			return 0;	/* recovery already under way */
		nlist_add(&a->history, sender);
		next_ping(a, now);
		post_ping(a, m, sender);
		return 1;
	}
	/* Colliding pings. */
	nl_copy(&hist, &a->history, 0);
	prefer_new = prev_node == NODE_NONE ||
	    has_priority(a, sender, prev_node);
	if (prefer_new) {
		a->history.n = 0;
		a->history.maxlen = list_cap(nodes(a));
		for (i = 0; i < m->nhist; i++)
			a->history.id[a->history.n++] = mh[i];
		if (a->tagged == 3)
			post(a, AEV_DETAG, sender);
		a->tagged = 0;
		next_ping(a, now);
		post_ping(a, m, sender);
	}
	if (m->nhist > 0 && same_slice(m, 1, &hist, 1, a))
		return prefer_new;	/* both refer to the same ping */
	/* a healed split, or we are new */
	recover(a, m, sender, &hist, mh, prefer_new, now);
	return prefer_new;
}

/* --- the API ----------------------------------------------------- */

struct actor *
actor_new(const char *name, const struct actor_cfg *cfg,
    const struct actor_hooks *hooks, void *arg)
{
	struct actor	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		fatal("calloc");
	if ((a->names = nodetab_new()) == NULL)
		fatal("nodetab_new");
	a->self = nodetab_intern(a->names, name, strlen(name));
	if (a->self == NODE_NONE)
		fatal("nodetab_intern");
	a->cfg = *cfg;
	a->off_nodes = cfg->nodes;
	a->hooks = hooks;
	a->arg = arg;
	a->history.maxlen = list_cap(cfg->nodes);
	return a;
}

void
actor_free(struct actor *a)
{
	if (a == NULL)
		return;
	nodetab_free(a->names);
	free(a);
}

void
actor_set_passive(struct actor *a)
{
	if (a->phase == PH_IDLE)
		a->tagged = -1;
}

void
actor_start(struct actor *a, double now)
{
	if (a->phase != PH_IDLE)
		return;
	send_simple(a, AMSG_INIT);
	send_simple(a, AMSG_VERS);
	a->phase = PH_START;
	a->start_deadline = now + (rnd(a) / 2 + 1.5) * a->cfg.gap +
	    a->cfg.cycle;
}

static uint32_t
intern(struct actor *a, const char *name)
{
	size_t	 len = strlen(name);
	uint32_t id = nodetab_find(a->names, name, len);

	if (id != NODE_NONE)
		return id;
	if (nodetab_count(a->names) >= ACTOR_NODES_MAX)
		return NODE_NONE;
	return nodetab_intern(a->names, name, len);
}

void
actor_input(struct actor *a, const struct amsg *m, double now)
{
	uint32_t	 sender, mh[SYNC_HIST_MAX];
	unsigned	 i;

	if ((sender = intern(a, m->node)) == NODE_NONE)
		goto full;
	for (i = 0; i < m->nhist; i++)
		if ((mh[i] = intern(a, m->hist[i])) == NODE_NONE)
			goto full;
	if (m->t == AMSG_INIT && sender == a->self) {
		if (a->self_seen)
			post(a, AEV_COLLISION, a->self);
		a->self_seen = 1;
		if (a->phase == PH_START)
			enter_run(a, now);
		actor_tick(a, now);
		return;
	}
	if (a->phase == PH_RUN) {
		if (a->tagged == 1)
			a->tagged = 0;	/* about to be "it": skip, for safety */
		if (process_msg(a, m, sender, mh, now)) {
			if (a->tagged == 3) {
				post(a, AEV_UNTAG, a->self);
				a->count_not_on = 0;
			}
			a->tagged = 0;
		}
		head(a, now);
	}
	actor_tick(a, now);
	return;
full:
	log_warnx("actor: more than %d node names seen; message dropped",
	    ACTOR_NODES_MAX);
}

static void
run_due(struct actor *a, double now)
{
	struct nlist	 hist;
	unsigned	 i;

	if (a->vers_due > 0 && now >= a->vers_due) {
		a->vers_due = 0;
		send_simple(a, AMSG_VERS);
	}
	for (i = 0; i < ACTOR_RECOVER_MAX; i++) {
		if (a->rp[i].state != RP_PENDING || now < a->rp[i].due)
			continue;
		a->rp[i].state = RP_SENT;
		a->rp[i].due = now;
		hist = a->rp[i].hist;
		send_ping(a, &hist, now);
	}
}

void
actor_tick(struct actor *a, double now)
{
	int	 guard;

	if (a->phase == PH_START && now >= a->start_deadline) {
		post(a, AEV_TIMEOUT, a->self);
		enter_run(a, now);	/* carry on without the echo */
	}
	for (guard = 0; a->phase == PH_RUN && now >= a->wait_until &&
	    guard < 8; guard++) {
		if (a->tagged == 0)
			send_ping(a, NULL, now);
		head(a, now);
	}
	run_due(a, now);
}

double
actor_next(const struct actor *a)
{
	double	 t = INFINITY;
	unsigned	 i;

	if (a->phase == PH_START)
		t = a->start_deadline;
	else if (a->phase == PH_RUN)
		t = a->wait_until;
	if (a->vers_due > 0 && a->vers_due < t)
		t = a->vers_due;
	for (i = 0; i < ACTOR_RECOVER_MAX; i++)
		if (a->rp[i].state == RP_PENDING && a->rp[i].due < t)
			t = a->rp[i].due;
	return t;
}

void
actor_enable(struct actor *a, int64_t n, double now)
{
	if (n > a->cfg.nodes) {
		a->cfg.nodes = n;
		a->cfg.version++;
		if (a->phase != PH_IDLE)
			send_simple(a, AMSG_VERS);
	}
	if (a->tagged != -1)
		return;
	a->tagged = 0;
	a->history.n = 0;
	a->history.maxlen = list_cap(nodes(a));
	a->count_not_on = 1;
	if (a->phase == PH_RUN) {
		send_ping(a, NULL, now);
		a->t_dest = 0;
		head(a, now);
	}
}

void
actor_disable(struct actor *a, int64_t n)
{
	if (a->tagged == 3)
		post(a, AEV_UNTAG, a->self);
	a->off_nodes = n;
	a->history.maxlen = list_cap(n);
	a->tagged = -1;
}

void
actor_set_value(struct actor *a, const struct actor_val *v)
{
	a->value = *v;
}

void
actor_set_ready(struct actor *a)
{
	a->ready = 1;
}

const char *
actor_name(const struct actor *a, uint32_t id)
{
	size_t		 len;
	const char	*s = nodetab_name(a->names, id, &len);

	return s ? s : "?";
}

const struct nlist *
actor_history(const struct actor *a)
{
	return &a->history;
}

int
actor_tagged(const struct actor *a)
{
	return a->tagged;
}

const struct actor_cfg *
actor_config(const struct actor *a)
{
	return &a->cfg;
}
