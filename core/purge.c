/*
 * purge.c - deleted entries across servers (see purge.h).
 *
 * Three jobs walk the tree in chunks from the event loop, on cursors
 * that survive anything clients do meanwhile (tree.h), so that a purge
 * of a million tombstones does not stall a single client: the purge
 * (tombstones older than a tock), the check (our entries' newest links,
 * sent to a deleter member after we missed purge rounds) and the kill
 * (entries that a peer's `deleted' shows to be stale here).
 */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/persist.h"
#include "core/purge.h"
#include "core/sync.h"
#include "core/watch.h"
#include "ipc/msg.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"

#define JOB_CHUNK	2048		/* entries per loop turn */
#define CHECK_LINKS	4096		/* links per check_deleted info */
#define CHECK_BACKLOG	(4u << 20)	/* syncd's unread bytes */

/* Tick sets by node index. */
struct nsets {
	struct ranges	*r;
	uint32_t	 n;
	uint64_t	 count;		/* ticks added */
};

struct walkjob {
	struct tree_cursor *cur;
	struct event	*ev;
	void		(*visit)(struct entry *, const uint8_t *, size_t);
	void		(*done)(void);
};

static struct {
	struct walkjob	 purge, check, kill;
	uint64_t	 below, next_below;	/* purge: its limit, the next */
	uint64_t	 purged;
	char		 to[256];		/* check: the member asked */
	struct nsets	 heads;
	struct nsets	 stale;			/* kill: heads to delete */
	int		 stale_again;
	uint64_t	 killed;
} U;

/* --- tick sets ----------------------------------------------------- */

/* The set of node idx, created empty; NULL on ENOMEM. */
static struct ranges *
nsets_get(struct nsets *s, uint32_t idx)
{
	struct ranges	*r;
	uint32_t	 cap;

	if (idx >= s->n) {
		cap = idx + 8;
		if ((r = reallocarray(s->r, cap, sizeof(*r))) == NULL)
			return NULL;
		memset(r + s->n, 0, (cap - s->n) * sizeof(*r));
		s->r = r;
		s->n = cap;
	}
	return &s->r[idx];
}

/* Add the set r to node idx's. */
static int
nsets_union(struct nsets *s, uint32_t idx, const struct ranges *r)
{
	struct ranges	*d = nsets_get(s, idx);

	if (d == NULL || ranges_union(d, r) == -1)
		return -1;
	s->count += ranges_count(r);
	return 0;
}

static int
nsets_add(struct nsets *s, uint32_t idx, uint64_t tick)
{
	struct ranges	*d = nsets_get(s, idx);

	if (d == NULL || ranges_add(d, tick) == -1)
		return -1;
	s->count++;
	return 0;
}

static void
nsets_clear(struct nsets *s)
{
	uint32_t	 i;

	for (i = 0; i < s->n; i++)
		ranges_clear(&s->r[i]);
	s->count = 0;
}

static void
nsets_free(struct nsets *s)
{
	uint32_t	 i;

	for (i = 0; i < s->n; i++)
		ranges_free(&s->r[i]);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* {name: ranges} of the non-empty sets. */
static void
nsets_pack(const struct nsets *s, msgpack_packer *pk)
{
	uint32_t	 i, n = 0;

	for (i = 0; i < s->n; i++)
		n += !ranges_empty(&s->r[i]);
	msgpack_pack_map(pk, n);
	for (i = 0; i < s->n; i++) {
		if (ranges_empty(&s->r[i]))
			continue;
		csync_pack_node(pk, i);
		(void)ranges_pack(&s->r[i], pk);
	}
}

static int
nsets_contains(const struct nsets *s, uint32_t idx, uint64_t tick)
{
	return idx < s->n && ranges_contains(&s->r[idx], tick);
}

/* --- chunked walks -------------------------------------------------- */

static void
job_cb(int fd, short what, void *arg)
{
	struct walkjob	*j = arg;
	struct entry	*e;
	const uint8_t	*p;
	size_t		 plen;
	unsigned	 i;

	for (i = 0; i < JOB_CHUNK && j->cur != NULL; i++) {
		if ((e = tree_cursor_next(j->cur)) == NULL) {
			if (tree_cursor_failed(j->cur))
				log_warnx("purge: out of memory walking the "
				    "tree");
			tree_cursor_free(j->cur);
			j->cur = NULL;
			j->done();
			return;
		}
		p = tree_cursor_path(j->cur, &plen);
		j->visit(e, p, plen);
	}
	if (j->cur != NULL)
		event_active(j->ev, EV_TIMEOUT, 1);
}

static int
job_start(struct walkjob *j)
{
	if (j->cur != NULL || j->ev == NULL)
		return 0;
	if ((j->cur = tree_cursor_new(core.tree, NULL, 0, 1, TREE_DEPTH_ANY,
	    TREE_WALK_EMPTY)) == NULL) {
		log_warnx("purge: out of memory starting a walk");
		return -1;
	}
	event_active(j->ev, EV_TIMEOUT, 1);
	return 0;
}

static void
job_init(struct event_base *base, struct walkjob *j, void (*visit)(struct entry *, const uint8_t *,
    size_t), void (*done)(void))
{
	j->visit = visit;
	j->done = done;
	if ((j->ev = event_new(base, -1, 0, job_cb, j)) == NULL)
		fatalx("event_new");
}

static void
job_free(struct walkjob *j)
{
	tree_cursor_free(j->cur);
	if (j->ev)
		event_free(j->ev);
	memset(j, 0, sizeof(*j));
}

/* --- the deleter list ------------------------------------------------ */

static unsigned
count_strs(const msgpack_object *l)
{
	unsigned	 i, n = 0;

	for (i = 0; i < l->via.array.size; i++)
		n += l->via.array.ptr[i].type == MSGPACK_OBJECT_STR;
	return n;
}

/*
 * {nodes: [...]} as the original's `moat-kv internal deleter' writes it
 * (a bare list, its older form, too); anything else is no list.
 */
void
cpurge_send_deleter(void)
{
	struct ipc_chan	*c = csync_chan();
	struct entry	*e;
	const msgpack_object *l = NULL;
	const uint8_t	*v = NULL;
	msgpack_packer	*pk;
	msgpack_zone	 zone;
	msgpack_object	 o;
	size_t		 vlen, off = 0;
	unsigned	 i;

	if (c == NULL || core.tree == NULL)
		return;
	msgpack_zone_init(&zone, 256);
	if ((e = tree_lookup(core.tree, (const uint8_t *)DELETER_PATH,
	    DELETER_PATHLEN)) != NULL)
		v = entry_value(e, &vlen);
	if (v != NULL && msgpack_unpack((const char *)v, vlen, &off, &zone,
	    &o) == MSGPACK_UNPACK_SUCCESS)
		l = o.type == MSGPACK_OBJECT_MAP ? mp_map_get(&o, "nodes") :
		    &o;
	if (l != NULL && l->type != MSGPACK_OBJECT_ARRAY)
		l = NULL;
	pk = ipc_begin(c, IPC_SYNC_DELETER, 0);
	msgpack_pack_map(pk, l != NULL);
	if (l != NULL) {
		mp_pack_str(pk, "nodes");
		msgpack_pack_array(pk, count_strs(l));
		for (i = 0; i < l->via.array.size; i++)
			if (l->via.array.ptr[i].type == MSGPACK_OBJECT_STR)
				msgpack_pack_object(pk, l->via.array.ptr[i]);
	}
	ipc_end(c);
	msgpack_zone_destroy(&zone);
}

static void
observe(const struct change *ch, void *arg)
{
	if (ch->pathlen == DELETER_PATHLEN &&
	    memcmp(ch->path, DELETER_PATH, DELETER_PATHLEN) == 0)
		cpurge_send_deleter();
}

/* --- purging --------------------------------------------------------- */

static void
purge_visit(struct entry *e, const uint8_t *p, size_t plen)
{
	struct chain_link buf[CHAIN_MAXLEN];
	struct chain	 c = entry_chain(e);

	if (entry_has_value(e) || c.n == 0 || entry_tock(e) >= U.below)
		return;
	memcpy(buf, c.link, c.n * sizeof(buf[0]));
	c.link = buf;
	if (entry_update(core.tree, &e, NULL, 0,
	    (struct chain){ NULL, 0 }, entry_tock(e)) == -1 ||
	    nodes_purged(&core.nodes, c) == -1) {
		log_warnx("purge: out of memory");
		return;
	}
	watch_prune(e);		/* it, and parents left bare */
	U.purged++;
}

static void
purge_done(void)
{
	if (U.purged > 0) {
		log_info("purge: %llu tombstone%s older than tock %llu gone",
		    (unsigned long long)U.purged, U.purged == 1 ? "" : "s",
		    (unsigned long long)U.below);
		persist_rotate();
	}
	U.purged = 0;
	if (U.next_below > U.below)
		cpurge_below(U.next_below);
}

void
cpurge_below(uint64_t tock)
{
	if (U.purge.cur != NULL) {
		if (tock > U.next_below)
			U.next_below = tock;
		return;
	}
	U.below = tock;
	U.next_below = 0;
	(void)job_start(&U.purge);
}

/* --- the check after missed rounds ------------------------------------ */

static void
check_send(void)
{
	struct ipc_chan	*c = csync_chan();
	msgpack_packer	*pk;

	if (c == NULL || U.heads.count == 0)
		return;
	csync_flush();
	pk = ipc_begin(c, IPC_SYNC_INFO_OUT, 0);
	msgpack_pack_map(pk, 2);
	mp_pack_str(pk, "check_deleted");
	nsets_pack(&U.heads, pk);
	mp_pack_kv_str(pk, "check_to", U.to);
	ipc_end(c);
	nsets_clear(&U.heads);
}

static void
check_visit(struct entry *e, const uint8_t *p, size_t plen)
{
	struct chain	 c = entry_chain(e);

	if (c.n == 0)
		return;
	if (nsets_add(&U.heads, c.link[0].node, c.link[0].tick) == -1)
		log_warnx("purge: out of memory collecting links");
	if (U.heads.count >= CHECK_LINKS)
		check_send();
}

static void
check_done(void)
{
	check_send();
}

void
cpurge_check(const char *to, size_t tolen)
{
	if (U.check.cur != NULL || tolen == 0 || tolen >= sizeof(U.to) ||
	    memchr(to, '\0', tolen) != NULL)
		return;
	memcpy(U.to, to, tolen);
	U.to[tolen] = '\0';
	nsets_clear(&U.heads);
	(void)job_start(&U.check);
}

uint64_t
cpurge_answer(const msgpack_object *m)
{
	struct ranges	 r = RANGES_INITIALIZER;
	struct nsets	 ans = { 0 };
	struct nodeinfo	*n;
	struct ipc_chan	*c;
	msgpack_packer	*pk;
	const char	*name;
	size_t		 len;
	uint32_t	 i, idx;
	uint64_t	 count;

	for (i = 0; m->type == MSGPACK_OBJECT_MAP && i < m->via.map.size;
	    i++) {
		if (mp_get_str(&m->via.map.ptr[i].key, &name, &len) == -1 ||
		    ranges_parse(&r, &m->via.map.ptr[i].val) == -1 ||
		    (idx = nodetab_find(tree_nodes(core.tree), name, len)) ==
		    NODE_NONE || (n = nodes_find(&core.nodes, idx)) == NULL)
			continue;
		/* gone here: superseded (a purged tombstone's links are) */
		if (ranges_intersect(&r, &n->superseded) == -1 ||
		    ranges_difference(&r, &n->present) == -1)
			continue;
		if (!ranges_empty(&r) && nsets_union(&ans, idx, &r) == -1)
			log_warnx("purge: out of memory answering a check");
	}
	ranges_free(&r);
	count = ans.count;
	if (count > 0 && (c = csync_chan()) != NULL) {
		log_info("purge: a peer still had %llu deleted entr%s",
		    (unsigned long long)count, count == 1 ? "y" : "ies");
		csync_flush();
		pk = ipc_begin(c, IPC_SYNC_INFO_OUT, 0);
		msgpack_pack_map(pk, 1);
		mp_pack_str(pk, "deleted");
		nsets_pack(&ans, pk);
		ipc_end(c);
	}
	nsets_free(&ans);
	return count;
}

/* --- stale entries ---------------------------------------------------- */

static void
kill_visit(struct entry *e, const uint8_t *p, size_t plen)
{
	struct chain_link buf[CHAIN_MAXLEN];
	struct chain	 c = entry_chain(e);

	if (!entry_has_value(e) || c.n == 0 ||
	    !nsets_contains(&U.stale, c.link[0].node, c.link[0].tick))
		return;
	memcpy(buf, c.link, c.n * sizeof(buf[0]));
	c.link = buf;
	if (core_change_apply(p, plen, NULL, NULL, 0, c, entry_tock(e),
	    CHANGE_REMOTE) == -1)
		log_warnx("purge: out of memory deleting a stale entry");
	else
		U.killed++;
}

static void
kill_done(void)
{
	if (U.killed > 0)
		log_info("purge: %llu entr%s deleted elsewhere while we were "
		    "away", (unsigned long long)U.killed,
		    U.killed == 1 ? "y was" : "ies were");
	U.killed = 0;
	if (U.stale_again) {
		U.stale_again = 0;
		(void)job_start(&U.kill);
		return;
	}
	nsets_clear(&U.stale);
}

void
cpurge_deleted(uint32_t node, const struct ranges *r)
{
	struct ranges	 cand = RANGES_INITIALIZER;
	struct nodeinfo	*n = nodes_find(&core.nodes, node);

	/* a deletion is the newest link of a tombstone, never of a value:
	 * only a deleted tick we have as present and not as deleted can
	 * be the newest link of an entry with a value */
	if (n == NULL || ranges_copy(&cand, r) == -1 ||
	    ranges_difference(&cand, &n->deleted) == -1 ||
	    ranges_intersect(&cand, &n->present) == -1 || ranges_empty(&cand))
		goto done;
	if (nsets_union(&U.stale, node, &cand) == -1) {
		log_warnx("purge: out of memory recording stale entries");
		goto done;
	}
	if (U.kill.cur != NULL)
		U.stale_again = 1;
	else
		(void)job_start(&U.kill);
done:
	ranges_free(&cand);
}

/* --- life cycle ------------------------------------------------------- */

void
cpurge_init(struct event_base *base)
{
	memset(&U, 0, sizeof(U));
	job_init(base, &U.purge, purge_visit, purge_done);
	job_init(base, &U.check, check_visit, check_done);
	job_init(base, &U.kill, kill_visit, kill_done);
	core_observe(observe, NULL);
}

void
cpurge_free(void)
{
	job_free(&U.purge);
	job_free(&U.check);
	job_free(&U.kill);
	nsets_free(&U.heads);
	nsets_free(&U.stale);
}
