/*
 * benchmqtt.c - `moatctl bench -t mqtt': the broker's own figures, the
 * yardstick for `repl' (replication cannot beat the broker it rides on).
 *
 * Two libmosquitto connections to --broker, each on its own network
 * thread (mosquitto_loop_start()): one subscribes to a private topic,
 * the other publishes -n messages there at QoS 0, as syncd does, with at
 * most -c x -P of them in flight (published, not yet received), with
 * --rate at that pace.  Each
 * payload starts with its CLOCK_MONOTONIC send time, so the receiver
 * measures the one-way latency on the same clock.  QoS 0 may lose
 * messages: when nothing arrives for LOSS_SECS the ones in flight count
 * as lost (errors) and publishing goes on.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include "cli/bench.h"
#include "lib/syncconf.h"

#define LOSS_SECS	2
#define CONNECT_SECS	10

struct mbench {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct histogram *hist;
	uint64_t	 received, last;
	int		 subscribed, connected;
	char		 topic[64];
};

static void
on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	struct mbench	*mb = arg;
	uint64_t	 t0, now = bench_now();

	if (msg->payloadlen < (int)sizeof(t0))
		return;
	memcpy(&t0, msg->payload, sizeof(t0));
	pthread_mutex_lock(&mb->mu);
	hist_record(mb->hist, now - t0);
	mb->received++;
	mb->last = now;
	pthread_cond_signal(&mb->cv);
	pthread_mutex_unlock(&mb->mu);
}

static void
on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *q)
{
	struct mbench	*mb = arg;

	pthread_mutex_lock(&mb->mu);
	mb->subscribed = 1;
	pthread_cond_signal(&mb->cv);
	pthread_mutex_unlock(&mb->mu);
}

static void
on_connect(struct mosquitto *m, void *arg, int rc)
{
	struct mbench	*mb = arg;

	pthread_mutex_lock(&mb->mu);
	mb->connected += rc == 0;
	pthread_cond_signal(&mb->cv);
	pthread_mutex_unlock(&mb->mu);
}

static void
deadline(struct timespec *ts, int secs)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += secs;
}

/* Wait (mu held) until *flag >= want; -1 after secs without it. */
static int
wait_for(struct mbench *mb, const int *flag, int want, int secs)
{
	struct timespec	 ts;

	deadline(&ts, secs);
	while (*flag < want)
		if (pthread_cond_timedwait(&mb->cv, &mb->mu, &ts) ==
		    ETIMEDOUT)
			return -1;
	return 0;
}

/* Both connected, then the subscription acknowledged; -1 on timeout. */
static int
subscribe(struct mbench *mb, struct mosquitto *sub)
{
	int	 rc;

	pthread_mutex_lock(&mb->mu);
	rc = wait_for(mb, &mb->connected, 2, CONNECT_SECS);
	pthread_mutex_unlock(&mb->mu);
	if (rc == -1 || mosquitto_subscribe(sub, NULL, mb->topic, 0) !=
	    MOSQ_ERR_SUCCESS)
		return -1;
	pthread_mutex_lock(&mb->mu);
	rc = wait_for(mb, &mb->subscribed, 1, CONNECT_SECS);
	pthread_mutex_unlock(&mb->mu);
	return rc;
}

static struct mosquitto *
client(struct mbench *mb, const struct mqtt_uri *u, char *err, size_t errlen)
{
	struct mosquitto *m;
	int		 rc;

	if ((m = mosquitto_new(NULL, true, mb)) == NULL) {
		snprintf(err, errlen, "mosquitto_new: %s", strerror(errno));
		return NULL;
	}
	/* as syncd: no Nagle delay on small messages */
	(void)mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1);
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	if ((rc = mosquitto_connect(m, u->host, u->port, 30)) !=
	    MOSQ_ERR_SUCCESS || (rc = mosquitto_loop_start(m)) !=
	    MOSQ_ERR_SUCCESS) {
		snprintf(err, errlen, "broker %s:%d: %s", u->host, u->port,
		    rc == MOSQ_ERR_ERRNO ? strerror(errno) :
		    mosquitto_strerror(rc));
		mosquitto_destroy(m);
		return NULL;
	}
	return m;
}

/*
 * Wait (mu held) for room in the window; after LOSS_SECS without any
 * message the ones in flight are given up as lost.
 */
static void
wait_window(struct mbench *mb, uint64_t sent, uint64_t *lost,
    uint64_t window)
{
	struct timespec	 ts;
	uint64_t	 seen = mb->received;

	deadline(&ts, LOSS_SECS);
	/* signed: a message given up for lost may still arrive */
	while ((int64_t)(sent - *lost - mb->received) >= (int64_t)window) {
		if (pthread_cond_timedwait(&mb->cv, &mb->mu, &ts) !=
		    ETIMEDOUT)
			continue;
		if (mb->received == seen)
			*lost = sent - mb->received;
		seen = mb->received;
		deadline(&ts, LOSS_SECS);
	}
}

/* --rate: sleep until the next message is due. */
static void
pace(uint64_t due)
{
	struct timespec	 ts;
	uint64_t	 now = bench_now();

	if (due <= now)
		return;
	ts.tv_sec = (time_t)((due - now) / 1000000000u);
	ts.tv_nsec = (long)((due - now) % 1000000000u);
	nanosleep(&ts, NULL);
}

static void
publish_all(const struct bench_opts *o, struct mbench *mb,
    struct mosquitto *pub, struct bench_result *res, uint64_t *start)
{
	uint64_t	 window = (uint64_t)o->clients * o->pipeline;
	uint64_t	 sent, lost = 0, t;
	size_t		 len = o->datasize < sizeof(t) ? sizeof(t) :
			    o->datasize;
	char		*buf;

	if ((buf = calloc(1, len)) == NULL) {
		res->errors = o->requests;
		return;
	}
	memset(buf + sizeof(t), 'x', len - sizeof(t));
	*start = bench_now();
	pthread_mutex_lock(&mb->mu);
	for (sent = 0; sent < o->requests; sent++) {
		wait_window(mb, sent, &lost, window);
		pthread_mutex_unlock(&mb->mu);
		pace(*start + bench_due(o, sent));
		t = bench_now();
		memcpy(buf, &t, sizeof(t));
		if (mosquitto_publish(pub, NULL, mb->topic, (int)len, buf, 0,
		    false) != MOSQ_ERR_SUCCESS)
			lost++;
		pthread_mutex_lock(&mb->mu);
	}
	wait_window(mb, sent, &lost, 1);	/* the last ones */
	pthread_mutex_unlock(&mb->mu);
	res->errors = lost;
	if (lost)
		snprintf(res->firsterr, sizeof(res->firsterr), "%llu "
		    "messages lost by the broker (QoS 0)",
		    (unsigned long long)lost);
	free(buf);
}

int
bench_mqtt_run(const struct bench_opts *o, struct bench_result *res,
    char *err, size_t errlen)
{
	struct mbench	 mb;
	struct mqtt_uri	 u;
	struct mosquitto *sub = NULL, *pub = NULL;
	const char	*why;
	uint64_t	 start = 0;
	int		 rc = -1;

	memset(res, 0, sizeof(*res));
	res->test = BENCH_MQTT;
	hist_init(&res->hist);
	if ((rc = mqtt_uri_parse(o->broker, &u, &why)) != 0) {
		snprintf(err, errlen, "--broker %s: %s", o->broker,
		    rc == 1 ? "empty" : why);
		return -1;
	}
	rc = -1;
	memset(&mb, 0, sizeof(mb));
	pthread_mutex_init(&mb.mu, NULL);
	pthread_cond_init(&mb.cv, NULL);
	mb.hist = &res->hist;
	snprintf(mb.topic, sizeof(mb.topic), "moatctl/bench/%ld",
	    (long)getpid());
	mosquitto_lib_init();
	if ((sub = client(&mb, &u, err, errlen)) == NULL ||
	    (pub = client(&mb, &u, err, errlen)) == NULL)
		goto done;
	if (subscribe(&mb, sub) == -1) {
		snprintf(err, errlen, "broker %s:%d: no connection or "
		    "subscription within %d s", u.host, u.port, CONNECT_SECS);
		goto done;
	}
	publish_all(o, &mb, pub, res, &start);
	res->done = mb.received;
	res->secs = mb.last > start ? (mb.last - start) / 1e9 : 0;
	rc = 0;
done:
	if (pub) {
		mosquitto_disconnect(pub);
		mosquitto_loop_stop(pub, false);
		mosquitto_destroy(pub);
	}
	if (sub) {
		mosquitto_disconnect(sub);
		mosquitto_loop_stop(sub, false);
		mosquitto_destroy(sub);
	}
	mosquitto_lib_cleanup();
	pthread_cond_destroy(&mb.cv);
	pthread_mutex_destroy(&mb.mu);
	return rc;
}
