/*
 * benchopt.c - `moatctl bench' options and output.
 *
 * The options are redis-benchmark's where they apply (-h -p -c -P -n -r
 * -d -t -q --csv), so one script can drive both tools, and --csv prints
 * exactly redis-benchmark's columns and number formats so the two
 * tools' rows can be compared line by line.  Kept apart from the runner
 * so the unit tests link it without a network.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/bench.h"

const char *const bench_names[BENCH_NTESTS] = {
	"SET", "GET", "MIXED", "WATCH", "REPL", "MQTT"
};

void
bench_defaults(struct bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->clients = 50;
	o->pipeline = 1;
	o->requests = 100000;
	o->datasize = 3;
	o->tests = (1u << BENCH_SET) | (1u << BENCH_GET);
}

void
bench_usage(FILE *f)
{
	fprintf(f,
	    "usage: moatctl bench [-q] [--csv] [--sequential] [-h host] "
	    "[-p port] [-c clients]\n"
	    "           [-P pipeline] [-n requests] [-r keyspace] "
	    "[-d bytes] [-t tests]\n"
	    "           [--peer [host:]port]... [--spread] "
	    "[--broker mqtt://host[:port]]\n"
	    "           [--rate requests/s]\n"
	    "  -h host       server (default: moatctl's -h)\n"
	    "  -p port       port (default: moatctl's -p)\n"
	    "  -c clients    parallel connections (50)\n"
	    "  -P pipeline   requests in flight per connection (1)\n"
	    "  -n requests   total requests per test (100000)\n"
	    "  -r keyspace   random keys key:000000000000 .. keyspace-1 "
	    "(0: one key)\n"
	    "  -d bytes      value size (3)\n"
	    "  -t tests      comma list of set,get,mixed,watch,repl,mqtt "
	    "(set,get)\n"
	    "  -q            one line per test: requests/s and p50\n"
	    "  --csv         redis-benchmark's CSV columns\n"
	    "  --sequential  keys 0 .. requests-1 in order (to load data)\n"
	    "  --peer [host:]port  repl: watch on this server too (up to 8)\n"
	    "  --spread      repl: the clients write on every server, round "
	    "robin\n"
	    "  --broker uri  mqtt: the broker to measure (its one-way "
	    "latency\n"
	    "                and ceiling, -c x -P messages in flight)\n"
	    "  --rate n      at most n requests per second in all (default: "
	    "as fast\n"
	    "                as the replies come)\n");
}

/* A decimal number in [lo, hi], nothing else. */
static int
parse_num(const char *opt, const char *s, uint64_t lo, uint64_t hi,
    uint64_t *out, char *err, size_t errlen)
{
	unsigned long long v;
	char		*end;

	errno = 0;
	if (!isdigit((unsigned char)s[0]) ||
	    (v = strtoull(s, &end, 10), errno != 0) || *end != '\0' ||
	    v < lo || v > hi) {
		snprintf(err, errlen, "%s: '%s' is not a number from %llu "
		    "to %llu", opt, s, (unsigned long long)lo,
		    (unsigned long long)hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int
parse_tests(const char *s, unsigned *out, char *err, size_t errlen)
{
	const char	*p = s, *comma;
	size_t		 len;
	unsigned	 t, mask = 0;

	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		for (t = 0; t < BENCH_NTESTS; t++)
			if (len == strlen(bench_names[t]) &&
			    strncasecmp(p, bench_names[t], len) == 0)
				break;
		if (t == BENCH_NTESTS) {
			snprintf(err, errlen, "-t: unknown test '%.*s' (set, "
			    "get, mixed, watch, repl, mqtt)", (int)len, p);
			return -1;
		}
		mask |= 1u << t;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*out = mask;
	return 0;
}

/* The value of option argv[*i] ("-c 5" or "-c5"); advances *i. */
static const char *
optval(int argc, char **argv, int *i, char *err, size_t errlen)
{
	const char	*a = argv[*i];

	if (a[2] != '\0')
		return a + 2;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s: needs a value", a);
		return NULL;
	}
	return argv[++*i];
}

static int
parse_one(struct bench_opts *o, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char	*a = argv[*i], *v;
	char		 opt[3] = { '-', a[1], '\0' };
	uint64_t	 n;

	if (strchr("hpcPnrdt", a[1]) == NULL) {
		snprintf(err, errlen, "unknown option '%s'", a);
		return -1;
	}
	if ((v = optval(argc, argv, i, err, errlen)) == NULL)
		return -1;
	switch (a[1]) {
	case 'h':
		o->host = v;
		return 0;
	case 'p':
		if (parse_num(opt, v, 1, 65535, &n, err, errlen) == -1)
			return -1;
		o->port = v;
		return 0;
	case 't':
		return parse_tests(v, &o->tests, err, errlen);
	case 'c':
		if (parse_num(opt, v, 1, BENCH_MAX_CLIENTS, &n, err,
		    errlen) == -1)
			return -1;
		o->clients = (unsigned)n;
		return 0;
	case 'P':
		if (parse_num(opt, v, 1, BENCH_MAX_PIPELINE, &n, err,
		    errlen) == -1)
			return -1;
		o->pipeline = (unsigned)n;
		return 0;
	case 'n':
		return parse_num(opt, v, 1, BENCH_MAX_REQUESTS, &o->requests,
		    err, errlen);
	case 'r':
		return parse_num(opt, v, 0, BENCH_MAX_KEYSPACE, &o->keyspace,
		    err, errlen);
	default:	/* 'd' */
		if (parse_num(opt, v, 0, BENCH_MAX_DATASIZE, &n, err,
		    errlen) == -1)
			return -1;
		o->datasize = (size_t)n;
		return 0;
	}
}

/* --peer [host:]port; a bare port means the main host. */
static int
parse_peer(struct bench_opts *o, const char *v, char *err, size_t errlen)
{
	struct bench_server *s = &o->peer[o->npeers];
	const char	*colon = strrchr(v, ':'), *port = colon ? colon + 1 : v;
	uint64_t	 n;

	if (o->npeers == BENCH_MAX_PEERS) {
		snprintf(err, errlen, "--peer: at most %d", BENCH_MAX_PEERS);
		return -1;
	}
	if (parse_num("--peer", port, 1, 65535, &n, err, errlen) == -1)
		return -1;
	if (colon && (colon == v || (size_t)(colon - v) >= sizeof(s->host))) {
		snprintf(err, errlen, "--peer: bad host in '%s'", v);
		return -1;
	}
	if (colon)
		snprintf(s->host, sizeof(s->host), "%.*s", (int)(colon - v), v);
	snprintf(s->port, sizeof(s->port), "%s", port);
	o->npeers++;
	return 0;
}

/* The long options with a value; 1: not one of them. */
static int
parse_long(struct bench_opts *o, int argc, char **argv, int *i, char *err,
    size_t errlen)
{
	const char	*a = argv[*i];

	if (strcmp(a, "--peer") != 0 && strcmp(a, "--broker") != 0 &&
	    strcmp(a, "--rate") != 0)
		return 1;
	if (*i + 1 >= argc) {
		snprintf(err, errlen, "%s: needs a value", a);
		return -1;
	}
	if (strcmp(a, "--broker") == 0) {
		o->broker = argv[++*i];
		return 0;
	}
	if (strcmp(a, "--rate") == 0)
		return parse_num(a, argv[++*i], 1, BENCH_MAX_RATE, &o->rate,
		    err, errlen);
	return parse_peer(o, argv[++*i], err, errlen);
}

/* What the tests asked for needs these options, and the other way round. */
static int
check_combination(const struct bench_opts *o, char *err, size_t errlen)
{
	if (o->sequential && o->keyspace) {
		snprintf(err, errlen, "--sequential and -r exclude each "
		    "other");
		return -1;
	}
	if ((o->tests & (1u << BENCH_REPL)) && o->npeers == 0) {
		snprintf(err, errlen, "-t repl needs --peer");
		return -1;
	}
	if ((o->tests & (1u << BENCH_MQTT)) && o->broker == NULL) {
		snprintf(err, errlen, "-t mqtt needs --broker");
		return -1;
	}
	return 0;
}

int
bench_parse(struct bench_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	const char	*a;
	int		 i, rc;

	bench_defaults(o);
	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--csv") == 0)
			o->csv = 1;
		else if (strcmp(a, "--sequential") == 0)
			o->sequential = 1;
		else if (strcmp(a, "--help") == 0)
			o->help = 1;
		else if (strcmp(a, "-q") == 0)
			o->quiet = 1;
		else if (strcmp(a, "--spread") == 0)
			o->spread = 1;
		else if ((rc = parse_long(o, argc, argv, &i, err,
		    errlen)) != 1) {
			if (rc == -1)
				return -1;
		}
		else if (a[0] == '-' && a[1] != '\0' && a[1] != '-') {
			if (parse_one(o, argc, argv, &i, err, errlen) == -1)
				return -1;
		} else {
			snprintf(err, errlen, a[0] == '-' ? "unknown option "
			    "'%s'" : "unexpected argument '%s'", a);
			return -1;
		}
	}
	return check_combination(o, err, errlen);
}

uint64_t
bench_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_due(const struct bench_opts *o, uint64_t i)
{
	return o->rate ? (uint64_t)((long double)i * 1e9 / o->rate) : 0;
}

double
bench_rps(const struct bench_result *r)
{
	return r->secs > 0 ? r->done / r->secs : 0;
}

static double
ms(uint64_t ns)
{
	return ns / 1e6;
}

int
bench_csv_header(char *buf, size_t len)
{
	return snprintf(buf, len, "\"test\",\"rps\",\"avg_latency_ms\","
	    "\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\","
	    "\"p99_latency_ms\",\"max_latency_ms\"\n");
}

int
bench_csv_row(char *buf, size_t len, const struct bench_result *r)
{
	const struct histogram *h = &r->hist;

	return snprintf(buf, len, "\"%s\",\"%.2f\",\"%.3f\",\"%.3f\","
	    "\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n", bench_names[r->test],
	    bench_rps(r), hist_mean(h) / 1e6,
	    ms(h->count ? h->min : 0), ms(hist_percentile(h, 50)),
	    ms(hist_percentile(h, 95)), ms(hist_percentile(h, 99)),
	    ms(h->max));
}

int
bench_quiet_row(char *buf, size_t len, const struct bench_result *r)
{
	return snprintf(buf, len, "%s: %.2f requests per second, "
	    "p50=%.3f msec\n", bench_names[r->test], bench_rps(r),
	    ms(hist_percentile(&r->hist, 50)));
}

void
bench_print(FILE *f, const struct bench_opts *o,
    const struct bench_result *r)
{
	const struct histogram *h = &r->hist;
	char		 buf[256];

	if (o->csv) {
		bench_csv_row(buf, sizeof(buf), r);
		fputs(buf, f);
		return;
	}
	if (o->quiet) {
		bench_quiet_row(buf, sizeof(buf), r);
		fputs(buf, f);
		return;
	}
	fprintf(f, "====== %s ======\n", bench_names[r->test]);
	fprintf(f, "  %llu %s in %.2f seconds, %llu errors\n",
	    (unsigned long long)r->done, r->test == BENCH_REPL ?
	    "writes replicated to every watcher" : r->test == BENCH_MQTT ?
	    "messages received" : "requests completed", r->secs,
	    (unsigned long long)r->errors);
	fprintf(f, "  %u parallel clients, pipeline %u, %zu bytes payload, "
	    "keyspace %llu%s\n", o->clients, o->pipeline, o->datasize,
	    (unsigned long long)o->keyspace,
	    o->sequential ? " (sequential)" : "");
	fprintf(f, "  throughput: %.2f requests per second\n", bench_rps(r));
	fprintf(f, "  latency (msec): avg %.3f min %.3f p50 %.3f p95 %.3f "
	    "p99 %.3f p99.9 %.3f max %.3f\n\n", hist_mean(h) / 1e6,
	    ms(h->count ? h->min : 0), ms(hist_percentile(h, 50)),
	    ms(hist_percentile(h, 95)), ms(hist_percentile(h, 99)),
	    ms(hist_percentile(h, 99.9)), ms(h->max));
}
