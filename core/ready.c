/*
 * ready.c - client requests wait until this server may answer them.
 *
 * A server that starts without data (or with kv.server.start: network)
 * and with a broker to talk to downloads the tree from a ready peer
 * first, as the original does: syncd's actor reports "good" peers,
 * syncd fetches their tree over the client protocol and tells core
 * (IPC_SYNC_FETCH start, then done or fail).  Until the download is
 * complete, requests are held here, in order: answering from half a
 * tree would be wrong, and a write could reuse a tick of this node's
 * earlier life that the peers still hold, so they would ignore the new
 * change for good.  The download's state brings every node's tick.
 *
 * The wait ends when
 *  - a download is done (a broken one is retried by syncd from the
 *    next good peer; entries already applied are real, chained
 *    changes, harmless, but only "done" ends the wait);
 *  - our own ping was not contested ("tag") and syncd has heard no
 *    other node at all (no ping, update or info), nor was a download
 *    asked for: we are alone (the original's lone node);
 *  - four ping cycles passed without a download running, or one that
 *    was running at that time failed, and a peer has told us every
 *    node's tick (an info with `ticks', which we ask for on each peer
 *    ping while waiting): fall back to what we have and say so in the
 *    log.  Without that info our own tick may be one an update's chain
 *    showed, below the last of our earlier life, and a write would
 *    reuse a tick; after four more cycles without it we answer anyway,
 *    with a warning (peers that never answer ticks, as the original);
 *  - data was loaded with -l (the original's local load).
 * Sessions open and close meanwhile; what is held is bounded, and past
 * the bound the server stops waiting rather than lose requests.
 */
#include <bsd/sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/sync.h"
#include "ipc/proc.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/tv.h"

#define READY_MAXHELD	(4u << 20)	/* bytes of held requests */

struct held {
	TAILQ_ENTRY(held) entry;
	uint32_t	 id;
	size_t		 len;
	uint8_t		 data[];
};

static struct {
	int		 waiting;
	int		 fetching;	/* a download is under way */
	int		 asked;		/* a download was started */
	int		 expired;	/* the fallback time has passed */
	int		 told;		/* a peer told us every tick */
	int		 extra;		/* cycles waited for that since */
	struct timeval	 cycle;
	size_t		 bytes;
	struct event	*timer;
	TAILQ_HEAD(, held) q;
} R = { .q = TAILQ_HEAD_INITIALIZER(R.q) };

#define READY_EXTRA	4	/* cycles to wait for the ticks past that */

static void
fall_back(void)
{
	if (R.told)
		cready_set("no download from a peer within four ping cycles: "
		    "answering with what this server has");
	else if (R.extra >= READY_EXTRA) {
		log_warnx("no peer told this server its own tick: its next "
		    "changes may reuse ticks of its earlier life");
		cready_set("no download from a peer and no ticks within "
		    "eight ping cycles: answering with what this server has");
	}
}

static void
timer_cb(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (!R.told) {
		if (R.expired)
			R.extra++;
		else
			log_info("no peer has told this server every node's "
			    "tick yet: waiting for that");
		if (R.extra < READY_EXTRA)
			evtimer_add(R.timer, &R.cycle);
	}
	R.expired = 1;
	if (R.fetching)
		log_info("still downloading from a peer after four ping cycles");
	else
		fall_back();
}

/*
 * Must this server download its tree before it answers?  Called before
 * the first SYNC_STATE (whose `ready' says so) and so before -i stores
 * its value: an initial value means we start the network.
 */
static int
wants_download(const msgpack_object *conf)
{
	const msgpack_object *init = conf_get(conf, "kv.server.init");
	char	*uri = NULL, *start = NULL;
	int	 synced, network;

	if (init != NULL && init->type != MSGPACK_OBJECT_NIL)
		return 0;
	synced = conf_get_str(conf, "kv.server.mqtt.uri", &uri) == 0 &&
	    uri != NULL && *uri != '\0';
	network = conf_get_str(conf, "kv.server.start", &start) == 0 &&
	    strcmp(start, "network") == 0;
	free(uri);
	free(start);
	return synced && (network || (tree_count(core.tree) == 0 &&
	    !entry_has_value(tree_root(core.tree))));
}

void
cready_configure(const msgpack_object *conf)
{
	struct timeval	 tv;
	double		 secs;

	if (R.timer != NULL)
		return;		/* start-up only */
	if (!wants_download(conf))
		return;
	if ((R.timer = evtimer_new(proc_base(), timer_cb, NULL)) == NULL)
		fatalx("evtimer_new");
	secs = 10;
	(void)conf_get_double(conf, "kv.server.ping.cycle", &secs);
	if (secs <= 0)
		secs = 10;
	R.cycle = tv_from_secs(secs);
	tv = tv_from_secs(4 * secs);
	evtimer_add(R.timer, &tv);
	R.waiting = 1;
	log_info("holding client requests until the tree is downloaded "
	    "from a peer");
}

void
cready_fetch(const char *event, const char *node, size_t nodelen)
{
	char	 why[300];

	if (strcmp(event, "start") == 0) {
		R.fetching = R.asked = 1;
		log_info("downloading the tree from %.*s", (int)nodelen, node);
		return;
	}
	R.fetching = 0;
	if (strcmp(event, "done") == 0) {
		snprintf(why, sizeof(why), "downloaded the tree from %.*s",
		    (int)nodelen, node);
		cready_set(why);
	} else if (R.expired && R.told)
		cready_set("no peer could be downloaded from: answering with "
		    "what this server has");
	else if (R.expired)
		fall_back();
}

void
cready_told(void)
{
	R.told = 1;
	if (R.waiting && R.expired && !R.fetching)
		fall_back();
}

int
cready_untold(void)
{
	return R.waiting && !R.told;
}

void
cready_tagged(void)
{
	if (R.waiting && !R.asked)
		cready_set("our ping met no ready peer: alone");
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
	csync_send_state();	/* ready: our pings carry our value */
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
	R.waiting = R.fetching = R.asked = R.expired = R.told = R.extra = 0;
	if (R.timer != NULL)
		event_free(R.timer);
	R.timer = NULL;
}
