/*
 * mqtt.h - the broker connection: libmosquitto driven by syncd's
 * libevent loop (its socket and a timer; no thread of its own).
 *
 * One connection per process.  mqtt_init() runs before the sandbox
 * (libmosquitto opens a socketpair and seeds its client id there);
 * mqtt_start() connects and keeps reconnecting with exponential backoff
 * (0.1 s doubling to 30 s, reset by a successful CONNACK); every (re)
 * connection subscribes to the given topic filter with QoS 0.
 *
 * The connection speaks MQTT 5, for its subscription identifiers: the
 * sync subscription is MQTT_SUBID_SYNC, the pass-through monitors'
 * (pass.c) have their own, and each message says which subscriptions
 * it matched, so overlapping filters (a monitor of <root>/# next to
 * the sync subscription) neither duplicate nor mix up messages.  A
 * broker that sends no identifiers gets matched by topic instead.
 */
#ifndef MOAT_SYNCD_MQTT_H
#define MOAT_SYNCD_MQTT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/syncconf.h"

struct event_base;

struct mqtt_ops {
	/* Connected and subscribed: publishing works from now on. */
	void	(*up)(void *arg);
	/* The connection was lost (or refused); a retry is scheduled. */
	void	(*down)(void *arg);
	/* A message; topic and payload are valid during the call only. */
	void	(*message)(const char *topic, const uint8_t *, size_t,
		    void *arg);
	/*
	 * A message for other subscriptions: their identifiers, or n = 0
	 * when the broker sent none (the receiver then matches the topic
	 * against its filters itself).
	 */
	void	(*pass)(const char *topic, const uint8_t *, size_t,
		    const uint32_t *subids, unsigned n, void *arg);
	/* The broker answered mqtt_subscribe() `mid': ok or refused. */
	void	(*suback)(int mid, int ok, void *arg);
};

#define MQTT_SUBID_SYNC	1
#define MQTT_SUBIDS_MAX	16	/* identifiers read per message */

/* Upper bound on bytes handed to libmosquitto but not yet written. */
#define MQTT_MAX_BACKLOG	(8u << 20)

void	mqtt_init(void);
void	mqtt_start(struct event_base *, const struct mqtt_uri *,
	    const char *subscription, const struct mqtt_ops *, void *arg);
/*
 * QoS 0, not retained.  Returns 0 when queued, -1 when not connected or
 * the backlog is full (the message is dropped: peers find the gap from
 * the ticks and ask again, the broker is never relied on).
 */
int	mqtt_publish(const char *topic, const void *, size_t);
int	mqtt_is_up(void);
/*
 * Subscribe (QoS 0) with subscription identifier subid (> 1); *mid is
 * the packet id the suback hook reports.  -1 if not connected (the
 * caller subscribes again from its up hook).  The sync filter itself is
 * not subscribed twice (that would replace it): its messages go to the
 * pass hook with subid as well, and *mid is 0 (no suback follows).
 */
int	mqtt_subscribe(const char *filter, uint32_t subid, int *mid);
void	mqtt_unsubscribe(const char *filter);
/*
 * libmosquitto's checks of a topic: a publish topic (no wildcards) or
 * a subscription filter (wildcards as MQTT allows), valid UTF-8.
 */
int	mqtt_topic_ok(const char *topic, int filter);
/* Does topic match the subscription filter? */
int	mqtt_topic_matches(const char *filter, const char *topic);
/* Orderly DISCONNECT (best effort), then free everything. */
void	mqtt_stop(void);

struct mqtt_stats {
	uint64_t	 connects, published, dropped, received;
};
const struct mqtt_stats *mqtt_stats(void);

#endif
