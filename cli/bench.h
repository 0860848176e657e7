/*
 * bench.h - `moatctl bench', the load generator modelled on
 * redis-benchmark: options, results and their output (benchopt.c), and
 * the event-driven runner (bench.c).
 */
#ifndef MOAT_BENCH_H
#define MOAT_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/histogram.h"

enum bench_test {
	BENCH_SET,
	BENCH_GET,
	BENCH_MIXED,		/* set or get, 50/50 */
	BENCH_WATCH,		/* set -> watch event latency */
	BENCH_REPL,		/* set on one server -> event on another */
	BENCH_MQTT,		/* the broker alone: publish -> receive */
	BENCH_NTESTS
};

#define BENCH_MAX_PEERS	8

struct bench_server {
	char		 host[256];
	char		 port[8];
};

struct bench_opts {
	const char	*host, *port;	/* NULL: the global -h/-p */
	struct bench_server peer[BENCH_MAX_PEERS];	/* --peer */
	unsigned	 npeers;
	int		 spread;	/* --spread: write on every server */
	const char	*broker;	/* --broker mqtt://host:port */
	uint64_t	 rate;		/* --rate: requests/s, 0: no limit */
	unsigned	 clients;	/* -c */
	unsigned	 pipeline;	/* -P */
	uint64_t	 requests;	/* -n */
	uint64_t	 keyspace;	/* -r; 0: one key */
	size_t		 datasize;	/* -d */
	unsigned	 tests;		/* -t: 1 << enum bench_test */
	int		 quiet;		/* -q */
	int		 csv;		/* --csv */
	int		 sequential;	/* --sequential: keys 0 .. n-1 */
	int		 help;		/* --help */
};

/* Limits of the numeric options, checked by bench_parse(). */
#define BENCH_MAX_CLIENTS	10000
#define BENCH_MAX_PIPELINE	10000
#define BENCH_MAX_REQUESTS	1000000000000ULL
#define BENCH_MAX_KEYSPACE	1000000000000ULL	/* 12 digits */
#define BENCH_MAX_DATASIZE	(1024 * 1024)
#define BENCH_MAX_RATE		100000000

struct bench_result {
	enum bench_test	 test;
	uint64_t	 done;		/* replies (watch: events; repl:
					   writes seen on every watcher;
					   mqtt: messages received) */
	uint64_t	 errors;
	double		 secs;		/* wall time of the run */
	char		 firsterr[256];
	struct histogram hist;		/* latency, nanoseconds */
};

extern const char *const bench_names[BENCH_NTESTS];	/* "SET", ... */

void	bench_defaults(struct bench_opts *);
/*
 * argv[0] is "bench".  Returns 0, or -1 with a one-line reason in err
 * (e.g. "-c: 'x' is not a number from 1 to 10000").
 */
int	bench_parse(struct bench_opts *, int argc, char **argv, char *err,
	    size_t errlen);
void	bench_usage(FILE *);

double	bench_rps(const struct bench_result *);
/* redis-benchmark's --csv format, one line each, with the newline. */
int	bench_csv_header(char *, size_t);
int	bench_csv_row(char *, size_t, const struct bench_result *);
int	bench_quiet_row(char *, size_t, const struct bench_result *);
void	bench_print(FILE *, const struct bench_opts *,
	    const struct bench_result *);

/* bench.c: runs one test against host:port; 0, or -1 with err set
 * when it could not run at all (request errors are in the result). */
int	bench_run(const struct bench_opts *, const char *host,
	    const char *port, enum bench_test, struct bench_result *,
	    char *err, size_t errlen);

/* CLOCK_MONOTONIC in nanoseconds: every latency the benchmark takes. */
uint64_t bench_now(void);
/* When request number i (from 0) is due with --rate, in ns after start. */
uint64_t bench_due(const struct bench_opts *, uint64_t i);

/* benchmqtt.c: -t mqtt, the broker's own figures (libmosquitto). */
int	bench_mqtt_run(const struct bench_opts *, struct bench_result *,
	    char *err, size_t errlen);

#endif
