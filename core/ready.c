/*
 * ready.c - client requests wait until this server may answer them.
 *
 * A server that starts with an empty tree, without kv.server.init and
 * with a broker to talk to may be one that lost its state: the ticks
 * of its node name may already be taken by changes the others hold.
 * Answering a write then would reuse such a tick, and the peers would
 * take the new change for the old one and ignore it for good.  So,
 * like the original (which opens its client ports only once its
 * node's tick is known), requests are held here, in order, until a
 * peer's info with every node's tick arrived (it raises our own tick,
 * sync.c) or two ping cycles passed without one (we are alone).
 * Sessions open and close meanwhile; what is held is bounded, and past
 * the bound the server stops waiting rather than lose requests.
 */
#include <bsd/sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/sync.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"

#define READY_MAXHELD	(4u << 20)	/* bytes of held requests */

struct held {
	TAILQ_ENTRY(held) entry;
	uint32_t	 id;
	size_t		 len;
	uint8_t		 data[];
};

static struct {
	int		 waiting;
	size_t		 bytes;
	struct event	*timer;
	TAILQ_HEAD(, held) q;
} R = { .q = TAILQ_HEAD_INITIALIZER(R.q) };

static void
timer_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	cready_set("no peer told this server its tick: alone");
}

void
cready_configure(const msgpack_object *conf)
{
	char		*uri = NULL;
	struct timeval	 tv;
	double		 secs;
	int		 synced;

	if (R.timer != NULL)
		return;		/* start-up only */
	synced = conf_get_str(conf, "kv.server.mqtt.uri", &uri) == 0 &&
	    uri != NULL && *uri != '\0';
	free(uri);
	if (!synced || tree_count(core.tree) > 0 ||
	    entry_has_value(tree_root(core.tree)))
		return;
	if ((R.timer = evtimer_new(proc_base(), timer_cb, NULL)) == NULL)
		fatalx("evtimer_new");
	secs = 2 * csync_cycle();
	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	evtimer_add(R.timer, &tv);
	R.waiting = 1;
	log_info("no data: holding client requests until a peer tells "
	    "this server its tick");
}

int
cready_waiting(void)
{
	return R.waiting;
}

int
cready_hold(uint32_t id, const uint8_t *data, size_t len)
{
	struct held	*h;

	if (!R.waiting)
		return 0;
	if (R.bytes + len > READY_MAXHELD ||
	    (h = malloc(sizeof(*h) + len)) == NULL) {
		cready_set("too many requests held");
		return 0;
	}
	h->id = id;
	h->len = len;
	memcpy(h->data, data, len);
	R.bytes += len;
	TAILQ_INSERT_TAIL(&R.q, h, entry);
	return 1;
}

void
cready_drop(uint32_t id)
{
	struct held	*h, *next;

	TAILQ_FOREACH_SAFE(h, &R.q, entry, next) {
		if (h->id != id)
			continue;
		TAILQ_REMOVE(&R.q, h, entry);
		R.bytes -= h->len;
		free(h);
	}
}

void
cready_set(const char *why)
{
	struct held	*h;

	if (!R.waiting)
		return;
	R.waiting = 0;
	if (R.timer != NULL)
		evtimer_del(R.timer);
	log_info("answering client requests (%s)", why);
	while ((h = TAILQ_FIRST(&R.q)) != NULL) {
		TAILQ_REMOVE(&R.q, h, entry);
		R.bytes -= h->len;
		csess_request(h->id, h->data, h->len);
		free(h);
	}
}

void
cready_free(void)
{
	struct held	*h;

	while ((h = TAILQ_FIRST(&R.q)) != NULL) {
		TAILQ_REMOVE(&R.q, h, entry);
		free(h);
	}
	R.bytes = 0;
	R.waiting = 0;
	if (R.timer != NULL)
		event_free(R.timer);
	R.timer = NULL;
}
