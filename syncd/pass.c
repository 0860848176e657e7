/*
 * pass.c - msg_send and msg_monitor: clients' messages through the
 * broker (the IPC_MSG_* contract is in syncd.h).
 *
 * Monitors are core's; syncd keeps, per distinct topic filter, one
 * subscription (a slot) and the ids of the monitors on it.  A slot's
 * MQTT subscription identifier is its index + 2 (1 is the sync
 * subscription), so a message names its slots directly.  The first
 * monitor of a filter subscribes, the last one to stop unsubscribes;
 * a reconnection subscribes every slot again.
 *
 * Bounds: PASS_SLOTS_MAX filters, PASS_MONS_MAX monitors, payloads of
 * kv.server.max_msg bytes; messages for core are dropped while core's
 * channel holds more than CORE_PENDING_MAX unread bytes (core bounds
 * each monitor's queue itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "lib/mpval.h"
#include "lib/msgtopic.h"
#include "syncd/mqtt.h"
#include "syncd/syncd.h"

#define PASS_SLOTS_MAX		1024
#define PASS_MONS_MAX		16384
#define CORE_PENDING_MAX	(32u << 20)
#define SUBID_BASE		2

struct slot {
	char		*filter;	/* NULL: free */
	int		 mid;		/* SUBSCRIBE sent, or 0 */
	uint64_t	*mon;
	size_t		 n, cap;
};

static struct {
	int		 standalone;
	size_t		 max_msg;
	struct slot	*slot;
	size_t		 nslot;		/* in use or free, <= MAX */
	size_t		 nmons;
	uint64_t	 dropped;
	uint64_t	*ids;		/* scratch: one message's monitors */
	size_t		 idcap;
} P;

void
pass_configure(int standalone, size_t max_msg)
{
	P.standalone = standalone;
	P.max_msg = max_msg;
}

static void
mon_error(struct ipc_chan *c, uint64_t mon, const char *err)
{
	msgpack_packer	*pk;

	if (c == NULL)
		return;
	pk = ipc_begin(c, IPC_MSG_MON_ERROR, 0);
	msgpack_pack_map(pk, 2);
	mp_pack_kv_uint(pk, "mon", mon);
	mp_pack_kv_str(pk, "error", err);
	ipc_end(c);
}

static void
slot_subscribe(struct slot *sl)
{
	int	 mid;

	if (mqtt_subscribe(sl->filter, (uint32_t)(sl - P.slot) + SUBID_BASE,
	    &mid) == 0)
		sl->mid = mid;
}

static void
slot_free(struct slot *sl)
{
	if (mqtt_is_up())
		mqtt_unsubscribe(sl->filter);
	P.nmons -= sl->n;
	free(sl->filter);
	free(sl->mon);
	memset(sl, 0, sizeof(*sl));
}

static struct slot *
slot_get(const char *filter, const char **err)
{
	struct slot	*sl, *fr = NULL, *v;
	size_t		 i;

	for (i = 0; i < P.nslot; i++) {
		sl = &P.slot[i];
		if (sl->filter == NULL) {
			if (fr == NULL)
				fr = sl;
		} else if (strcmp(sl->filter, filter) == 0)
			return sl;
	}
	if (fr == NULL) {
		if (P.nslot == PASS_SLOTS_MAX) {
			*err = "RuntimeError('too many monitored topics')";
			return NULL;
		}
		if ((v = reallocarray(P.slot, P.nslot + 1, sizeof(*v))) ==
		    NULL)
			fatal("reallocarray");
		P.slot = v;
		fr = &P.slot[P.nslot++];
		memset(fr, 0, sizeof(*fr));
	}
	if ((fr->filter = strdup(filter)) == NULL)
		fatal("strdup");
	slot_subscribe(fr);
	return fr;
}

static const char *
mon_start(uint64_t mon, const char *topic)
{
	struct slot	*sl;
	uint64_t	*v;
	const char	*err = NULL;
	size_t		 cap;

	if (P.standalone)
		return "RuntimeError('no MQTT broker configured')";
	if (!mqtt_topic_ok(topic, 1))
		return "ValueError('not a valid MQTT topic filter')";
	if (P.nmons >= PASS_MONS_MAX)
		return "RuntimeError('too many monitors')";
	if ((sl = slot_get(topic, &err)) == NULL)
		return err;
	if (sl->n == sl->cap) {
		cap = sl->cap ? sl->cap * 2 : 4;
		if ((v = reallocarray(sl->mon, cap, sizeof(*v))) == NULL)
			fatal("reallocarray");
		sl->mon = v;
		sl->cap = cap;
	}
	sl->mon[sl->n++] = mon;
	P.nmons++;
	return NULL;
}

static void
mon_stop(uint64_t mon)
{
	struct slot	*sl;
	size_t		 i, j;

	for (i = 0; i < P.nslot; i++) {
		sl = &P.slot[i];
		for (j = 0; j < sl->n; j++) {
			if (sl->mon[j] != mon)
				continue;
			sl->mon[j] = sl->mon[--sl->n];
			P.nmons--;
			if (sl->n == 0)
				slot_free(sl);
			return;
		}
	}
}

static const char *
send_msg(const char *topic, const uint8_t *p, size_t len)
{
	if (P.standalone)
		return "RuntimeError('no MQTT broker configured')";
	if (!mqtt_topic_ok(topic, 0))
		return "ValueError('not a valid MQTT topic to send to "
		    "(wildcards or bad UTF-8)')";
	if (len > P.max_msg)
		return "ValueError('message larger than kv.server.max_msg')";
	if (!mqtt_is_up())
		return "RuntimeError('the MQTT broker is not connected')";
	if (mqtt_publish(topic, p, len) == -1)
		return "RuntimeError('the MQTT broker does not keep up: "
		    "message dropped')";
	return NULL;
}

/* A str field as a NUL-terminated copy in buf. */
static int
get_topic(const msgpack_object *o, char *buf, size_t len)
{
	const char	*s;
	size_t		 n;

	if (mp_get_str(mp_map_get(o, "topic"), &s, &n) == -1 || n == 0 ||
	    n >= len || memchr(s, '\0', n) != NULL)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return 0;
}

int
pass_dispatch(struct ipc_chan *c, struct ipc_msg *m, const msgpack_object *o,
    const char **why)
{
	const msgpack_object *pl;
	char		 topic[MSGTOPIC_MAX + 1];
	const char	*err;
	int64_t		 seq;
	uint64_t	 mon;
	msgpack_packer	*pk;

	if (m->type == IPC_MSG_MON_STOP) {
		if (mp_get_uint64(mp_map_get(o, "mon"), &mon) == -1)
			goto bad;
		mon_stop(mon);
		return 0;
	}
	if (get_topic(o, topic, sizeof(topic)) == -1)
		goto bad;
	if (m->type == IPC_MSG_MON_START) {
		if (mp_get_uint64(mp_map_get(o, "mon"), &mon) == -1)
			goto bad;
		if ((err = mon_start(mon, topic)) != NULL)
			mon_error(c, mon, err);
		return 0;
	}
	if (m->type != IPC_MSG_SEND ||
	    mp_get_int64(mp_map_get(o, "seq"), &seq) == -1 ||
	    (pl = mp_map_get(o, "payload")) == NULL ||
	    pl->type != MSGPACK_OBJECT_BIN)
		goto bad;
	err = send_msg(topic, (const uint8_t *)pl->via.bin.ptr,
	    pl->via.bin.size);
	pk = ipc_begin(c, IPC_MSG_SENT, m->id);
	msgpack_pack_map(pk, err ? 2 : 1);
	mp_pack_str(pk, "seq");
	msgpack_pack_int64(pk, seq);
	if (err)
		mp_pack_kv_str(pk, "error", err);
	ipc_end(c);
	return 0;
bad:
	*why = "malformed pass-through message";
	return -1;
}

/*
 * Why a payload is not one MsgPack object, as the original's decoder
 * says (Python's msgpack), into buf; NULL if it is one.
 */
static const char *
decode_error(const uint8_t *p, size_t len, char *buf, size_t buflen)
{
	struct mpval_limits lim = mpval_default_limits;
	const char	*why = NULL;
	size_t		 objlen;

	/* as big as a message may be: too long is incomplete, as for Python */
	lim.max_size = len > P.max_msg ? len : P.max_msg;
	lim.max_strlen = lim.max_binlen = lim.max_extlen =
	    lim.max_size > UINT32_MAX ? UINT32_MAX : (uint32_t)lim.max_size;
	switch (mpval_scan(p, len, &lim, &objlen, &why)) {
	case MPVAL_OK:
		return objlen == len ? NULL :
		    "ExtraData('unpack(b) received extra data.')";
	case MPVAL_MORE:
		return "ValueError('Unpack failed: incomplete input')";
	default:
		snprintf(buf, buflen, "ValueError('%s')", why ? why :
		    "undecodable");
		return buf;
	}
}

static void
note_slot(size_t i, size_t *n)
{
	struct slot	*sl = &P.slot[i];
	uint64_t	*v;
	size_t		 need = *n + sl->n;

	if (need > P.idcap) {
		if ((v = reallocarray(P.ids, need, sizeof(*v))) == NULL)
			fatal("reallocarray");
		P.ids = v;
		P.idcap = need;
	}
	memcpy(P.ids + *n, sl->mon, sl->n * sizeof(*v));
	*n = need;
}

void
pass_message(const char *topic, const uint8_t *p, size_t len,
    const uint32_t *subids, unsigned nsub, void *arg)
{
	struct ipc_chan	*c = sync_core();
	msgpack_packer	*pk;
	const char	*err;
	char		 ebuf[160];
	size_t		 i, n = 0;
	unsigned	 k;

	for (k = 0; k < nsub; k++)
		if (subids[k] >= SUBID_BASE &&
		    subids[k] - SUBID_BASE < P.nslot &&
		    P.slot[subids[k] - SUBID_BASE].filter != NULL)
			note_slot(subids[k] - SUBID_BASE, &n);
	for (i = 0; nsub == 0 && i < P.nslot; i++)
		if (P.slot[i].filter != NULL &&
		    mqtt_topic_matches(P.slot[i].filter, topic))
			note_slot(i, &n);
	if (n == 0)
		return;
	if (c == NULL || len > P.max_msg || strlen(topic) > MSGTOPIC_MAX ||
	    ipc_pending(c) > CORE_PENDING_MAX) {
		P.dropped++;
		return;
	}
	err = decode_error(p, len, ebuf, sizeof(ebuf));
	pk = ipc_begin(c, IPC_MSG_RECV, 0);
	msgpack_pack_map(pk, err ? 4 : 3);
	mp_pack_str(pk, "mons");
	msgpack_pack_array(pk, (uint32_t)n);
	for (i = 0; i < n; i++)
		msgpack_pack_uint64(pk, P.ids[i]);
	mp_pack_kv_str(pk, "topic", topic);
	mp_pack_str(pk, "payload");
	msgpack_pack_bin(pk, len);
	msgpack_pack_bin_body(pk, p, len);
	if (err)
		mp_pack_kv_str(pk, "error", err);
	ipc_end(c);
}

void
pass_suback(int mid, int ok, void *arg)
{
	struct slot	*sl;
	size_t		 i, j;

	for (i = 0; i < P.nslot; i++) {
		sl = &P.slot[i];
		if (sl->filter == NULL || sl->mid != mid)
			continue;
		sl->mid = 0;
		if (ok)
			return;
		log_warnx("mqtt: the broker refused a subscription to %s",
		    sl->filter);
		for (j = 0; j < sl->n; j++)
			mon_error(sync_core(), sl->mon[j], "RuntimeError('the "
			    "MQTT broker refused the subscription')");
		slot_free(sl);
		return;
	}
}

void
pass_up(void)
{
	size_t	 i;

	for (i = 0; i < P.nslot; i++)
		if (P.slot[i].filter != NULL)
			slot_subscribe(&P.slot[i]);
}

void
pass_down(void)
{
	size_t	 i;

	for (i = 0; i < P.nslot; i++)
		P.slot[i].mid = 0;
}

void
pass_core_down(void)
{
	size_t	 i;

	for (i = 0; i < P.nslot; i++)
		if (P.slot[i].filter != NULL)
			slot_free(&P.slot[i]);
}

void
pass_shutdown(void)
{
	pass_core_down();
	free(P.slot);
	free(P.ids);
	memset(&P, 0, sizeof(P));
}
