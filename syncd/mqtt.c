/*
 * mqtt.c - libmosquitto on syncd's libevent loop.
 *
 * libmosquitto is used without its own thread and without its select()
 * loop: its socket is watched by a persistent read event and, while it
 * has output queued (mosquitto_want_write()), a one-shot write event;
 * a one-second timer runs mosquitto_loop_misc() for keepalives.  Every
 * callback ends in rearm(), which follows the socket across reconnects.
 *
 * A lost connection (read/write error, refused CONNACK, keepalive
 * timeout, a broker killed with SIGKILL) only schedules a reconnect:
 * 0.1 s, doubling up to 30 s, back to 0.1 s after a good CONNACK.
 *
 * QoS 0 output is queued inside libmosquitto without a limit, so we
 * bound it ourselves: `backlog' counts the bytes published since the
 * queue was last seen empty, and publishing beyond MQTT_MAX_BACKLOG
 * drops the message.
 */
#include <sys/time.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <mosquitto.h>
#include <mqtt_protocol.h>

#include "lib/log.h"
#include "syncd/mqtt.h"

#define KEEPALIVE	30		/* seconds, MQTT keepalive */
#define RETRY_MIN_US	100000
#define RETRY_MAX_US	30000000
#define READ_BATCH	64		/* packets per loop_read call */

static struct {
	struct mosquitto	*mosq;
	struct event_base	*base;
	struct mqtt_uri		 uri;
	char			*sub;
	const struct mqtt_ops	*ops;
	void			*arg;
	struct event		*ev_read, *ev_write, *ev_misc, *ev_retry;
	int			 fd;		/* watched, or -1 */
	int			 sub_mid;	/* the sync SUBSCRIBE */
	uint32_t		 sync_alias;	/* a pass subscription on the
						   sync filter, or 0 */
	int			 up;		/* subscribed */
	int			 connecting;
	int			 stopping;
	int			 warned;	/* "unreachable" said once */
	long			 retry_us;
	size_t			 backlog;
	struct mqtt_stats	 stats;
} M = { .fd = -1, .retry_us = RETRY_MIN_US };

static void	rearm(void);
static void	lost(const char *why);

const struct mqtt_stats *
mqtt_stats(void)
{
	return &M.stats;
}

int
mqtt_is_up(void)
{
	return M.up;
}

static int
subscribe_id(const char *filter, uint32_t subid, int *mid)
{
	mosquitto_property *props = NULL;
	int		 rc;

	rc = mosquitto_property_add_varint(&props,
	    MQTT_PROP_SUBSCRIPTION_IDENTIFIER, subid);
	if (rc == MOSQ_ERR_SUCCESS)
		rc = mosquitto_subscribe_v5(M.mosq, mid, filter, 0, 0, props);
	mosquitto_property_free_all(&props);
	return rc;
}

int
mqtt_subscribe(const char *filter, uint32_t subid, int *mid)
{
	int	 rc;

	if (!M.up)
		return -1;
	if (strcmp(filter, M.sub) == 0) {
		/* the same filter again would replace the sync subscription
		   (and its identifier): share it instead */
		M.sync_alias = subid;
		*mid = 0;
		return 0;
	}
	if ((rc = subscribe_id(filter, subid, mid)) != MOSQ_ERR_SUCCESS) {
		log_warnx("mqtt: subscribe %s: %s", filter,
		    mosquitto_strerror(rc));
		return -1;
	}
	rearm();
	return 0;
}

void
mqtt_unsubscribe(const char *filter)
{
	if (strcmp(filter, M.sub) == 0) {
		M.sync_alias = 0;
		return;
	}
	if (!M.up || mosquitto_unsubscribe(M.mosq, NULL, filter) !=
	    MOSQ_ERR_SUCCESS)
		return;
	rearm();
}

int
mqtt_topic_ok(const char *topic, int filter)
{
	if (mosquitto_validate_utf8(topic, (int)strlen(topic)) !=
	    MOSQ_ERR_SUCCESS)
		return 0;
	return (filter ? mosquitto_sub_topic_check(topic) :
	    mosquitto_pub_topic_check(topic)) == MOSQ_ERR_SUCCESS;
}

int
mqtt_topic_matches(const char *filter, const char *topic)
{
	bool	 match = false;

	return mosquitto_topic_matches_sub(filter, topic, &match) ==
	    MOSQ_ERR_SUCCESS && match;
}

static void
on_connect(struct mosquitto *mosq, void *arg, int rc)
{
	int	 src;

	if (rc != 0) {
		log_warnx("mqtt: broker refused the connection: %s",
		    mosquitto_connack_string(rc));
		/* libmosquitto disconnects after a refusal; rearm notices. */
		return;
	}
	M.retry_us = RETRY_MIN_US;
	M.stats.connects++;
	src = subscribe_id(M.sub, MQTT_SUBID_SYNC, &M.sub_mid);
	if (src != MOSQ_ERR_SUCCESS)
		log_warnx("mqtt: subscribe %s: %s", M.sub,
		    mosquitto_strerror(src));
}

static void
on_subscribe(struct mosquitto *mosq, void *arg, int mid, int n,
    const int *granted)
{
	if (mid != M.sub_mid) {
		if (M.ops->suback)
			M.ops->suback(mid, n >= 1 && granted[0] <= 2, M.arg);
		return;
	}
	if (n < 1 || granted[0] > 2) {
		log_warnx("mqtt: subscription to %s refused", M.sub);
		return;
	}
	log_info("mqtt: connected to %s:%d, subscribed to %s",
	    M.uri.host, M.uri.port, M.sub);
	M.up = 1;
	M.connecting = 0;
	M.warned = 0;
	if (M.ops->up)
		M.ops->up(M.arg);
}

/*
 * Route a message by the subscription identifiers it carries: the sync
 * one to the message hook, the others to the pass hook.  Without any
 * (a broker that does not send them), by topic: the sync filter's
 * messages to both hooks, the rest to the pass hook.
 */
static void
on_message(struct mosquitto *mosq, void *arg,
    const struct mosquitto_message *msg, const mosquitto_property *props)
{
	const mosquitto_property *p;
	uint32_t	 ids[MQTT_SUBIDS_MAX], v;
	unsigned	 n = 0;
	int		 sync = 0;
	bool		 match = false;

	if (msg->topic == NULL || msg->payloadlen < 0)
		return;
	M.stats.received++;
	p = mosquitto_property_read_varint(props,
	    MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &v, false);
	for (; p != NULL; p = mosquitto_property_read_varint(p,
	    MQTT_PROP_SUBSCRIPTION_IDENTIFIER, &v, true)) {
		if (v == MQTT_SUBID_SYNC)
			sync = 1;
		else if (n < MQTT_SUBIDS_MAX)
			ids[n++] = v;
	}
	if (sync && M.sync_alias && n < MQTT_SUBIDS_MAX)
		ids[n++] = M.sync_alias;
	if (!sync && n == 0) {
		(void)mosquitto_topic_matches_sub(M.sub, msg->topic, &match);
		sync = match;
		if (M.ops->pass)
			M.ops->pass(msg->topic, msg->payload,
			    (size_t)msg->payloadlen, ids, 0, M.arg);
	} else if (n > 0 && M.ops->pass)
		M.ops->pass(msg->topic, msg->payload, (size_t)msg->payloadlen,
		    ids, n, M.arg);
	if (sync)
		M.ops->message(msg->topic, msg->payload,
		    (size_t)msg->payloadlen, M.arg);
}

static void
on_disconnect(struct mosquitto *mosq, void *arg, int rc)
{
	/* Called from inside libmosquitto; the real work is in rearm(). */
	log_debug("mqtt: disconnected (%s)", rc == 0 ? "asked" :
	    mosquitto_strerror(rc));
}

static void
on_log(struct mosquitto *mosq, void *arg, int level, const char *s)
{
	if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING))
		log_warnx("mqtt: %s", s);
}

void
mqtt_init(void)
{
	/* Before the sandbox: mosquitto_new() seeds a random client id
	 * and opens an internal socketpair, neither allowed later. */
	mosquitto_lib_init();
	if ((M.mosq = mosquitto_new(NULL, true, NULL)) == NULL)
		fatal("mosquitto_new");
	mosquitto_connect_callback_set(M.mosq, on_connect);
	mosquitto_subscribe_callback_set(M.mosq, on_subscribe);
	mosquitto_message_v5_callback_set(M.mosq, on_message);
	mosquitto_disconnect_callback_set(M.mosq, on_disconnect);
	mosquitto_log_callback_set(M.mosq, on_log);
	(void)mosquitto_int_option(M.mosq, MOSQ_OPT_PROTOCOL_VERSION,
	    MQTT_PROTOCOL_V5);
	/* Small messages must not wait for Nagle (40 ms with a delayed
	 * ACK): batching under load is ours to do (sync.c). */
	(void)mosquitto_int_option(M.mosq, MOSQ_OPT_TCP_NODELAY, 1);
}

static void
unwatch(void)
{
	if (M.ev_read) {
		event_free(M.ev_read);
		M.ev_read = NULL;
	}
	if (M.ev_write) {
		event_free(M.ev_write);
		M.ev_write = NULL;
	}
	M.fd = -1;
}

static void
schedule_retry(void)
{
	struct timeval	 tv;

	if (M.stopping)
		return;
	tv.tv_sec = M.retry_us / 1000000;
	tv.tv_usec = M.retry_us % 1000000;
	evtimer_add(M.ev_retry, &tv);
	M.retry_us = M.retry_us * 2 > RETRY_MAX_US ? RETRY_MAX_US :
	    M.retry_us * 2;
}

static void
lost(const char *why)
{
	int	 was_up = M.up;

	/* Say it once per outage, not at every retry. */
	if (was_up)
		log_info("mqtt: connection to %s:%d lost: %s", M.uri.host,
		    M.uri.port, why);
	else if (!M.warned)
		log_warnx("mqtt: cannot reach the broker at %s:%d (%s); "
		    "retrying", M.uri.host, M.uri.port, why);
	else
		log_debug("mqtt: connect to %s:%d: %s", M.uri.host,
		    M.uri.port, why);
	M.warned = 1;
	unwatch();
	M.up = 0;
	M.connecting = 0;
	M.backlog = 0;
	/* Make sure libmosquitto has let go of the socket too. */
	(void)mosquitto_disconnect(M.mosq);
	if (was_up && M.ops->down)
		M.ops->down(M.arg);
	schedule_retry();
}

static void
io_cb(int fd, short what, void *arg)
{
	int	 rc = MOSQ_ERR_SUCCESS;

	if (what & EV_READ)
		rc = mosquitto_loop_read(M.mosq, READ_BATCH);
	if (rc == MOSQ_ERR_SUCCESS && (what & EV_WRITE))
		rc = mosquitto_loop_write(M.mosq, READ_BATCH);
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(rc == MOSQ_ERR_ERRNO ? strerror(errno) :
		    mosquitto_strerror(rc));
		return;
	}
	rearm();
}

static void
misc_cb(int fd, short what, void *arg)
{
	int	 rc;

	if (M.fd == -1)
		return;
	rc = mosquitto_loop_misc(M.mosq);
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(mosquitto_strerror(rc));
		return;
	}
	rearm();
}

/*
 * Follow libmosquitto's state: watch its current socket for reading,
 * and for writing while it has output; notice when it dropped the
 * socket (after an error it closes it itself).
 */
static void
rearm(void)
{
	int	 fd = mosquitto_socket(M.mosq);

	if (M.stopping)
		return;
	if (fd == -1) {
		if (M.fd != -1 || M.connecting)
			lost("closed");
		return;
	}
	if (fd != M.fd) {
		unwatch();
		M.fd = fd;
		M.ev_read = event_new(M.base, fd, EV_READ | EV_PERSIST,
		    io_cb, NULL);
		M.ev_write = event_new(M.base, fd, EV_WRITE, io_cb, NULL);
		if (M.ev_read == NULL || M.ev_write == NULL)
			fatalx("mqtt: event_new");
		event_add(M.ev_read, NULL);
	}
	if (mosquitto_want_write(M.mosq))
		event_add(M.ev_write, NULL);
	else {
		event_del(M.ev_write);
		M.backlog = 0;
	}
}

static void
retry_cb(int fd, short what, void *arg)
{
	int	 rc;

	rc = mosquitto_connect_async(M.mosq, M.uri.host, M.uri.port,
	    KEEPALIVE);
	if (rc != MOSQ_ERR_SUCCESS) {
		lost(rc == MOSQ_ERR_ERRNO ? strerror(errno) :
		    mosquitto_strerror(rc));
		return;
	}
	M.connecting = 1;
	rearm();
}

void
mqtt_start(struct event_base *base, const struct mqtt_uri *uri,
    const char *sub, const struct mqtt_ops *ops, void *arg)
{
	struct timeval	 sec = { 1, 0 };

	if (M.mosq == NULL)
		fatalx("mqtt_start before mqtt_init");
	M.base = base;
	M.uri = *uri;
	if ((M.sub = strdup(sub)) == NULL)
		fatal("strdup");
	M.ops = ops;
	M.arg = arg;
	M.ev_misc = event_new(base, -1, EV_PERSIST, misc_cb, NULL);
	M.ev_retry = evtimer_new(base, retry_cb, NULL);
	if (M.ev_misc == NULL || M.ev_retry == NULL)
		fatalx("mqtt: event_new");
	event_add(M.ev_misc, &sec);
	log_info("mqtt: broker %s:%d", uri->host, uri->port);
	retry_cb(-1, 0, NULL);
}

int
mqtt_publish(const char *topic, const void *data, size_t len)
{
	int	 rc;

	if (!M.up || len > MQTT_MAX_BACKLOG ||
	    M.backlog + len > MQTT_MAX_BACKLOG) {
		M.stats.dropped++;
		return -1;
	}
	rc = mosquitto_publish(M.mosq, NULL, topic, (int)len, data, 0, false);
	if (rc != MOSQ_ERR_SUCCESS) {
		M.stats.dropped++;
		log_debug("mqtt: publish %s: %s", topic,
		    mosquitto_strerror(rc));
		return -1;
	}
	M.stats.published++;
	M.backlog += len;
	rearm();
	return 0;
}

void
mqtt_stop(void)
{
	if (M.mosq == NULL)
		return;
	if (M.up) {
		/* Queue DISCONNECT and push out what we can, without
		 * waiting: a dead broker must not delay our exit. */
		(void)mosquitto_disconnect(M.mosq);
		(void)mosquitto_loop_write(M.mosq, READ_BATCH);
	}
	M.stopping = 1;
	M.up = 0;
	unwatch();
	if (M.ev_misc)
		event_free(M.ev_misc);
	if (M.ev_retry)
		event_free(M.ev_retry);
	M.ev_misc = M.ev_retry = NULL;
	mosquitto_destroy(M.mosq);
	M.mosq = NULL;
	mosquitto_lib_cleanup();
	free(M.sub);
	M.sub = NULL;
}
