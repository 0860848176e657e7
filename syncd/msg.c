/*
 * msg.c - topics, payload validation, asyncactor messages and info
 * messages (updates are in update.c).
 *
 * Decoding is strict about what it uses and lenient about the rest:
 * unknown keys are ignored (newer peers may add some), but a known key
 * of the wrong type or out of bounds rejects the whole message, which
 * the caller logs and drops.
 */
#include <math.h>
#include <string.h>

#include "core/ranges.h"
#include "lib/mpval.h"
#include "syncd/msg.h"

static const char *const kind_names[] = {
	[SK_UPDATE] = "update",
	[SK_INFO] = "info",
	[SK_PING] = "ping",
	[SK_DEL] = "del",
	[SK_BATCH] = "update/batch",
	[SK_UNKNOWN] = "unknown",
};

const char *
sync_kind_str(enum sync_kind k)
{
	return kind_names[k > SK_UNKNOWN ? SK_UNKNOWN : k];
}

enum sync_kind
sync_kind(const char *topic, const char *root)
{
	size_t	 rlen = strlen(root);
	int	 k;

	if (strncmp(topic, root, rlen) != 0 || topic[rlen] != '/')
		return SK_UNKNOWN;
	topic += rlen + 1;
	for (k = 0; k < SK_UNKNOWN; k++)
		if (strcmp(topic, kind_names[k]) == 0)
			return k;
	return SK_UNKNOWN;
}

int
sync_unpack(enum sync_kind k, const uint8_t *p, size_t len, size_t max_msg,
    msgpack_zone *zone, msgpack_object *obj, const char **why)
{
	struct mpval_limits lim = mpval_default_limits;
	size_t	 off = 0;

	if (k == SK_PING || k == SK_DEL) {
		/* a handful of short names and numbers */
		lim.max_depth = 3;
		lim.max_strlen = 4 * SYNC_NAME_MAX;
		lim.max_binlen = lim.max_extlen = 64;
		lim.max_size = SYNC_PING_MAX;
	} else {
		lim.max_size = max_msg;
		lim.max_strlen = lim.max_binlen = lim.max_extlen =
		    max_msg > UINT32_MAX ? UINT32_MAX : (uint32_t)max_msg;
	}
	if (mpval_check(p, len, &lim, why) != MPVAL_OK)
		return -1;
	if (msgpack_unpack((const char *)p, len, &off, zone, obj) !=
	    MSGPACK_UNPACK_SUCCESS) {
		*why = "undecodable payload";
		return -1;
	}
	if (obj->type != MSGPACK_OBJECT_MAP) {
		*why = "payload is not a map";
		return -1;
	}
	return 0;
}

/* A node name into a fixed buffer: a str, 1..SYNC_NAME_MAX, no NUL. */
static int
get_name(const msgpack_object *o, char *out, const char **why)
{
	const char	*s;
	size_t		 len;

	if (mp_get_str(o, &s, &len) == -1 || len == 0 ||
	    len > SYNC_NAME_MAX || memchr(s, '\0', len) != NULL) {
		*why = "bad node name";
		return -1;
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

static int
get_num(const msgpack_object *o, double *d)
{
	int64_t	 i;

	if (o && (o->type == MSGPACK_OBJECT_FLOAT64 ||
	    o->type == MSGPACK_OBJECT_FLOAT32)) {
		*d = o->via.f64;
		return isfinite(*d) ? 0 : -1;
	}
	if (mp_get_int64(o, &i) == 0) {
		*d = (double)i;
		return 0;
	}
	return -1;
}

/* Python packs False as false, but the capture shows 0: take both. */
static int
get_flag(const msgpack_object *o, int *v)
{
	int64_t	 i;

	if (mp_get_bool(o, v) == 0)
		return 0;
	if (mp_get_int64(o, &i) == 0) {
		*v = i != 0;
		return 0;
	}
	return -1;
}

static int
parse_vers(const msgpack_object *o, struct actor_cfg *c, const char **why)
{
	/* asyncactor's own defaults for keys a peer leaves out */
	*c = (struct actor_cfg){ 10, 1.5, 5, 4, 10, 0, 0 };
	if ((mp_map_get(o, "cycle") && get_num(mp_map_get(o, "cycle"),
	    &c->cycle)) ||
	    (mp_map_get(o, "gap") && get_num(mp_map_get(o, "gap"), &c->gap)) ||
	    (mp_map_get(o, "nodes") && mp_get_int64(mp_map_get(o, "nodes"),
	    &c->nodes)) ||
	    (mp_map_get(o, "splits") && mp_get_int64(mp_map_get(o, "splits"),
	    &c->splits)) ||
	    (mp_map_get(o, "n_hosts") && mp_get_int64(mp_map_get(o,
	    "n_hosts"), &c->n_hosts)) ||
	    (mp_map_get(o, "version") && mp_get_int64(mp_map_get(o,
	    "version"), &c->version)) ||
	    (mp_map_get(o, "force_in") && get_flag(mp_map_get(o, "force_in"),
	    &c->force_in))) {
		*why = "bad vers field";
		return -1;
	}
	/* the same bounds asyncactor enforces, plus sane maxima */
	if (c->cycle < 0.1 || c->gap < 0.01 ||
	    c->cycle < 3 * c->gap * (1 - 1e-9) || c->cycle > 86400 ||
	    c->nodes < -1 || c->nodes > 1000 || c->splits < 1 ||
	    c->splits > 1000 || c->n_hosts < 1 || c->n_hosts > 1000000) {
		*why = "vers values out of range";
		return -1;
	}
	return 0;
}

static int
parse_value(const msgpack_object *o, struct actor_val *v, const char **why)
{
	memset(v, 0, sizeof(*v));
	if (o == NULL || o->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != 2 ||
	    mp_get_uint64(&o->via.array.ptr[0], &v->tock) == -1 ||
	    mp_get_uint64(&o->via.array.ptr[1], &v->tick) == -1) {
		*why = "ping value must be [tock, tick] or nil";
		return -1;
	}
	v->has = 1;
	return 0;
}

static int
parse_history(const msgpack_object *o, struct amsg *m, const char **why)
{
	uint32_t	 i;

	m->nhist = 0;
	if (o == NULL)
		return 0;
	if (o->type != MSGPACK_OBJECT_ARRAY ||
	    o->via.array.size > SYNC_HIST_MAX) {
		*why = "history must be a list of at most 16 names";
		return -1;
	}
	for (i = 0; i < o->via.array.size; i++)
		if (get_name(&o->via.array.ptr[i], m->hist[i], why) == -1)
			return -1;
	m->nhist = o->via.array.size;
	return 0;
}

int
amsg_parse(const msgpack_object *o, struct amsg *m, const char **why)
{
	const char	*t;
	size_t		 tlen;

	memset(m, 0, sizeof(*m));
	if (mp_get_str(mp_map_get(o, "t"), &t, &tlen) == -1) {
		*why = "actor message without t";
		return -1;
	}
	if (tlen == 4 && memcmp(t, "init", 4) == 0)
		m->t = AMSG_INIT;
	else if (tlen == 4 && memcmp(t, "vers", 4) == 0)
		m->t = AMSG_VERS;
	else if (tlen == 4 && memcmp(t, "ping", 4) == 0)
		m->t = AMSG_PING;
	else if (tlen == 4 && memcmp(t, "hist", 4) == 0)
		m->t = AMSG_HIST;
	else {
		*why = "unknown actor message type";
		return -1;
	}
	if (m->t == AMSG_HIST) {
		if (parse_value(mp_map_get(o, "value"), &m->value, why) ||
		    parse_history(mp_map_get(o, "history"), m, why))
			return -1;
		if (m->nhist == 0) {
			*why = "hist message without history";
			return -1;
		}
		strcpy(m->node, m->hist[0]);
		return 0;
	}
	if (get_name(mp_map_get(o, "node"), m->node, why) == -1)
		return -1;
	if (m->t == AMSG_VERS)
		return parse_vers(o, &m->cfg, why);
	if (m->t == AMSG_PING &&
	    (parse_value(mp_map_get(o, "value"), &m->value, why) ||
	    parse_history(mp_map_get(o, "history"), m, why)))
		return -1;
	return 0;
}

/* asyncactor sends whole numbers of seconds as ints: so do we. */
static void
pack_num(msgpack_packer *pk, double d)
{
	if (d == floor(d) && fabs(d) < 1e15)
		msgpack_pack_int64(pk, (int64_t)d);
	else
		msgpack_pack_double(pk, d);
}

static void
pack_value(msgpack_packer *pk, const struct actor_val *v)
{
	mp_pack_str(pk, "value");
	if (!v->has) {
		msgpack_pack_nil(pk);
		return;
	}
	msgpack_pack_array(pk, 2);
	msgpack_pack_uint64(pk, v->tock);
	msgpack_pack_uint64(pk, v->tick);
}

static void
pack_history(msgpack_packer *pk, const struct amsg *m)
{
	unsigned	 i;

	mp_pack_str(pk, "history");
	msgpack_pack_array(pk, m->nhist);
	for (i = 0; i < m->nhist; i++)
		mp_pack_str(pk, m->hist[i]);
}

void
amsg_pack(const struct amsg *m, msgpack_packer *pk)
{
	static const char *const tname[] = { "init", "vers", "ping", "hist" };

	msgpack_pack_map(pk, m->t == AMSG_INIT ? 2 : m->t == AMSG_VERS ? 9 :
	    m->t == AMSG_PING ? 4 : 3);
	mp_pack_kv_str(pk, "t", tname[m->t]);
	if (m->t != AMSG_HIST)
		mp_pack_kv_str(pk, "node", m->node);
	switch (m->t) {
	case AMSG_INIT:
		break;
	case AMSG_VERS:
		mp_pack_str(pk, "cycle");
		pack_num(pk, m->cfg.cycle);
		mp_pack_str(pk, "gap");
		pack_num(pk, m->cfg.gap);
		mp_pack_kv_int(pk, "nodes", m->cfg.nodes);
		mp_pack_kv_int(pk, "splits", m->cfg.splits);
		mp_pack_kv_int(pk, "n_hosts", m->cfg.n_hosts);
		mp_pack_kv_int(pk, "version", m->cfg.version);
		mp_pack_kv_int(pk, "force_in", m->cfg.force_in);
		break;
	case AMSG_PING:
	case AMSG_HIST:
		pack_value(pk, &m->value);
		pack_history(pk, m);
		break;
	}
}

/* --- info -------------------------------------------------------- */

const char *const sinfo_field_names[SI_NFIELDS] = {
	[SI_TICKS] = "ticks",
	[SI_MISSING] = "missing",
	[SI_KNOWN] = "known",
	[SI_DELETED] = "deleted",
	[SI_REMOTE_MISSING] = "remote_missing",
	[SI_NODE_DROP] = "node_drop",
	[SI_CHECK_DELETED] = "check_deleted",
	[SI_CHECK_TO] = "check_to",
};

static int
check_name_obj(const msgpack_object *o)
{
	char	 tmp[SYNC_NAME_MAX + 1];
	const char *why;

	return get_name(o, tmp, &why);
}

/* {node: tick} or {node: ranges}; ranges checked by core's parser. */
static int
check_nodemap(const msgpack_object *o, int ranges, const char **why)
{
	struct ranges	 rs = RANGES_INITIALIZER;
	uint64_t	 t;
	uint32_t	 i;
	int		 rc = 0;

	if (o->type != MSGPACK_OBJECT_MAP) {
		*why = "info field is not a map";
		return -1;
	}
	for (i = 0; i < o->via.map.size && rc == 0; i++) {
		const msgpack_object_kv *kv = &o->via.map.ptr[i];

		if (check_name_obj(&kv->key) == -1)
			rc = -1;
		else if (ranges)
			rc = ranges_parse(&rs, &kv->val);
		else
			rc = mp_get_uint64(&kv->val, &t);
	}
	ranges_free(&rs);
	if (rc != 0)
		*why = ranges ? "bad node name or tick ranges in info" :
		    "bad node name or tick in info";
	return rc;
}

static int
check_names(const msgpack_object *o, const char **why)
{
	uint32_t	 i;

	if (o->type != MSGPACK_OBJECT_ARRAY) {
		*why = "node_drop is not a list";
		return -1;
	}
	for (i = 0; i < o->via.array.size; i++)
		if (check_name_obj(&o->via.array.ptr[i]) == -1) {
			*why = "bad name in node_drop";
			return -1;
		}
	return 0;
}

int
sinfo_parse(const msgpack_object *o, struct sinfo *si, int need_node,
    const char **why)
{
	const msgpack_object *v;
	int		 i;

	memset(si, 0, sizeof(*si));
	/* node "" and tick 0 occur: the original's deletion notice */
	if (need_node && (mp_get_str(mp_map_get(o, "node"), &si->node,
	    &si->nodelen) == -1 || si->nodelen > SYNC_NAME_MAX)) {
		*why = "info without a node";
		return -1;
	}
	if (((v = mp_map_get(o, "tick")) && v->type != MSGPACK_OBJECT_NIL &&
	    mp_get_uint64(v, &si->tick)) ||
	    ((v = mp_map_get(o, "tock")) && mp_get_uint64(v, &si->tock))) {
		*why = "bad tick or tock in info";
		return -1;
	}
	for (i = 0; i < SI_NFIELDS; i++) {
		v = mp_map_get(o, sinfo_field_names[i]);
		if (v == NULL && i == SI_KNOWN)
			v = mp_map_get(o, "superseded");
		if (v == NULL)
			continue;
		if (i == SI_CHECK_TO) {
			if (check_name_obj(v) == -1) {
				*why = "bad check_to in info";
				return -1;
			}
		} else if (i == SI_NODE_DROP ? check_names(v, why) :
		    check_nodemap(v, i != SI_TICKS, why))
			return -1;
		si->f[i] = v;
	}
	return 0;
}

void
sinfo_pack(const struct sinfo *si, msgpack_packer *pk)
{
	int	 i, n = 3;

	for (i = 0; i < SI_NFIELDS; i++)
		n += si->f[i] != NULL;
	msgpack_pack_map(pk, n);
	for (i = 0; i < SI_NFIELDS; i++) {
		if (si->f[i] == NULL)
			continue;
		mp_pack_str(pk, sinfo_field_names[i]);
		msgpack_pack_object(pk, *si->f[i]);
	}
	mp_pack_kv_uint(pk, "tock", si->tock);
	mp_pack_str(pk, "node");
	mp_pack_strn(pk, si->node, si->nodelen);
	mp_pack_kv_uint(pk, "tick", si->tick);
}
