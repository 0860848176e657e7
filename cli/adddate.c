/*
 * adddate.c - add "_KEY" date texts to the maps of a value.
 *
 * Two passes over each map: the first finds the timestamps and names
 * their "_KEY" siblings, the second packs the map with those in place
 * or appended.  Nesting is bounded by the validator's depth limit on
 * what the server sent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/adddate.h"
#include "lib/log.h"
#include "lib/pathfmt.h"

#define SPAN	(366 * 24 * 3600.0)

struct stamp {
	struct mpbuf	 name;		/* "_KEY" */
	char		 text[32];
	int		 placed;	/* replaced an existing key */
};

static int
number(const msgpack_object *o, double *v)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		*v = (double)o->via.u64;
		return 1;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*v = (double)o->via.i64;
		return 1;
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		*v = o->via.f64;
		return *v == *v;	/* not NaN */
	default:
		return 0;
	}
}

static int
underscored(const msgpack_object *k)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size > 0 &&
	    k->via.str.ptr[0] == '_';
}

/*
 * Local time, milliseconds cut off as Python's isoformat() does.  v is
 * near now, so positive: a cast is floor (and moatctl needs no libm).
 */
static void
date_text(double v, char *buf, size_t len)
{
	long long	 secs = (long long)v;
	long		 us = (long)((v - (double)secs) * 1e6 + 0.5);
	time_t		 t;
	struct tm	 tm;
	size_t		 n;

	if (us >= 1000000) {
		secs += 1;
		us -= 1000000;
	}
	t = (time_t)secs;
	localtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03ld", us / 1000);
}

static int
same_str(const msgpack_object *k, const struct mpbuf *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size == s->len &&
	    memcmp(k->via.str.ptr, s->data, s->len) == 0;
}

static void	pack_value(msgpack_packer *, const msgpack_object *, time_t);

static void
pack_map(msgpack_packer *pk, const msgpack_object_map *m, time_t now)
{
	struct stamp	*st;
	double		 v;
	uint32_t	 i, j, ns = 0, extra;
	int		 done;

	if ((st = calloc(m->size ? m->size : 1, sizeof(*st))) == NULL)
		fatal("calloc");
	for (i = 0; i < m->size; i++) {
		if (underscored(&m->ptr[i].key) ||
		    !number(&m->ptr[i].val, &v) || v < now - SPAN ||
		    v > now + SPAN)
			continue;
		mpbuf_init(&st[ns].name);
		mpbuf_add(&st[ns].name, "_", 1);
		if (pathfmt_pystr(&st[ns].name, &m->ptr[i].key) == -1)
			mpbuf_add(&st[ns].name, "?", 1);
		date_text(v, st[ns].text, sizeof(st[ns].text));
		/* a later timestamp of the same name wins, as in a dict */
		for (j = 0; j < ns; j++)
			if (st[j].name.len == st[ns].name.len &&
			    memcmp(st[j].name.data, st[ns].name.data,
			    st[j].name.len) == 0)
				break;
		if (j < ns) {
			memcpy(st[j].text, st[ns].text, sizeof(st[j].text));
			mpbuf_free(&st[ns].name);
		} else
			ns++;
	}
	extra = ns;
	for (i = 0; i < m->size; i++)
		for (j = 0; j < ns; j++)
			if (!st[j].placed && same_str(&m->ptr[i].key,
			    &st[j].name)) {
				st[j].placed = 1;
				extra--;
			}
	msgpack_pack_map(pk, m->size + extra);
	for (i = 0; i < m->size; i++) {
		msgpack_pack_object(pk, m->ptr[i].key);
		for (done = 0, j = 0; j < ns && !done; j++)
			if (same_str(&m->ptr[i].key, &st[j].name)) {
				mp_pack_str(pk, st[j].text);
				done = 1;
			}
		if (done)
			continue;
		if (underscored(&m->ptr[i].key))
			msgpack_pack_object(pk, m->ptr[i].val);
		else
			pack_value(pk, &m->ptr[i].val, now);
	}
	for (j = 0; j < ns; j++) {
		if (!st[j].placed) {
			mp_pack_strn(pk, (const char *)st[j].name.data,
			    st[j].name.len);
			mp_pack_str(pk, st[j].text);
		}
		mpbuf_free(&st[j].name);
	}
	free(st);
}

static void
pack_value(msgpack_packer *pk, const msgpack_object *o, time_t now)
{
	uint32_t	 i;

	switch (o->type) {
	case MSGPACK_OBJECT_MAP:
		pack_map(pk, &o->via.map, now);
		return;
	case MSGPACK_OBJECT_ARRAY:
		msgpack_pack_array(pk, o->via.array.size);
		for (i = 0; i < o->via.array.size; i++)
			pack_value(pk, &o->via.array.ptr[i], now);
		return;
	default:
		msgpack_pack_object(pk, *o);
	}
}

void
adddate_pack(msgpack_packer *pk, const msgpack_object *v, time_t now)
{
	pack_value(pk, v, now);
}
