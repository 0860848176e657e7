/*
 * check_bench.c - moatctl bench without a network: its redis-benchmark
 * style argument parsing (defaults, every option, attached and separate
 * values, each bad value with its message), the latency histogram
 * (bucket layout, exact small values, percentiles, min/max/mean, error
 * bound on large values, merging) and the CSV/quiet output formats.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "cli/bench.h"
#include "cli/histogram.h"
#include "tests/unit/testutil.h"

#define NARGS(a)	((int)(sizeof(a) / sizeof((a)[0])))

static int
parse(struct bench_opts *o, char *err, int argc, char **argv)
{
	return bench_parse(o, argc, argv, err, 256);
}

START_TEST(test_defaults)
{
	struct bench_opts o;
	char		 err[256];
	char		*argv[] = { "bench" };

	ck_assert_int_eq(parse(&o, err, 1, argv), 0);
	ck_assert_uint_eq(o.clients, 50);
	ck_assert_uint_eq(o.pipeline, 1);
	ck_assert_uint_eq(o.requests, 100000);
	ck_assert_uint_eq(o.keyspace, 0);
	ck_assert_uint_eq(o.datasize, 3);
	ck_assert_uint_eq(o.tests, (1u << BENCH_SET) | (1u << BENCH_GET));
	ck_assert_ptr_null(o.host);
	ck_assert_ptr_null(o.port);
	ck_assert(!o.quiet && !o.csv && !o.sequential && !o.help);
}
END_TEST

START_TEST(test_all_options)
{
	struct bench_opts o;
	char		 err[256];
	char		*argv[] = { "bench", "-h", "127.0.0.1", "-p27586",
			    "-c", "4", "-P", "16", "-n", "2000", "-r100000",
			    "-d", "10", "-t", "SET,get,Mixed,watch", "-q",
			    "--csv" };

	ck_assert_msg(parse(&o, err, NARGS(argv), argv) == 0, "%s", err);
	ck_assert_str_eq(o.host, "127.0.0.1");
	ck_assert_str_eq(o.port, "27586");
	ck_assert_uint_eq(o.clients, 4);
	ck_assert_uint_eq(o.pipeline, 16);
	ck_assert_uint_eq(o.requests, 2000);
	ck_assert_uint_eq(o.keyspace, 100000);
	ck_assert_uint_eq(o.datasize, 10);
	ck_assert_uint_eq(o.tests, 15);
	ck_assert(o.quiet && o.csv);
}
END_TEST

START_TEST(test_tests_list)
{
	struct bench_opts o;
	char		 err[256];
	char		*argv[] = { "bench", "-t", "watch" };
	char		*seq[] = { "bench", "--sequential", "-n",
			    "1000000" };

	ck_assert_int_eq(parse(&o, err, NARGS(argv), argv), 0);
	ck_assert_uint_eq(o.tests, 1u << BENCH_WATCH);
	ck_assert_int_eq(parse(&o, err, NARGS(seq), seq), 0);
	ck_assert(o.sequential);
	ck_assert_uint_eq(o.requests, 1000000);
}
END_TEST

START_TEST(test_repl_mqtt)
{
	struct bench_opts o;
	char		 err[256];
	char		*repl[] = { "bench", "-t", "repl", "--peer", "7001",
			    "--peer", "10.0.0.2:7002", "--spread", "--rate",
			    "5000" };
	char		*mqtt[] = { "bench", "-t", "mqtt,set", "--broker",
			    "mqtt://127.0.0.1:1883" };

	ck_assert_msg(parse(&o, err, NARGS(repl), repl) == 0, "%s", err);
	ck_assert_uint_eq(o.tests, 1u << BENCH_REPL);
	ck_assert_uint_eq(o.npeers, 2);
	ck_assert_str_eq(o.peer[0].host, "");
	ck_assert_str_eq(o.peer[0].port, "7001");
	ck_assert_str_eq(o.peer[1].host, "10.0.0.2");
	ck_assert_str_eq(o.peer[1].port, "7002");
	ck_assert(o.spread);
	ck_assert_uint_eq(o.rate, 5000);
	ck_assert_uint_eq(bench_due(&o, 5000), 1000000000u);
	ck_assert_int_eq(parse(&o, err, NARGS(mqtt), mqtt), 0);
	ck_assert_uint_eq(o.tests, (1u << BENCH_MQTT) | (1u << BENCH_SET));
	ck_assert_str_eq(o.broker, "mqtt://127.0.0.1:1883");
	ck_assert_uint_eq(bench_due(&o, 5000), 0);
}
END_TEST

/* Each bad command line and the message it must give. */
static const struct {
	const char	*args[4];
	const char	*msg;
} bad[] = {
	{ { "-c", "0" }, "-c: '0' is not a number from 1 to 10000" },
	{ { "-c", "10001" }, "-c: '10001' is not a number from 1 to 10000" },
	{ { "-c", "x" }, "-c: 'x' is not a number from 1 to 10000" },
	{ { "-c", "-5" }, "-c: '-5' is not a number from 1 to 10000" },
	{ { "-c", " 5" }, "-c: ' 5' is not a number from 1 to 10000" },
	{ { "-P", "5k" }, "-P: '5k' is not a number from 1 to 10000" },
	{ { "-n", "0" }, "-n: '0' is not a number from 1 to 1000000000000" },
	{ { "-n", "99999999999999999999999" }, "-n: '99999999999999999999999'"
	    " is not a number from 1 to 1000000000000" },
	{ { "-r", "" }, "-r: '' is not a number from 0 to 1000000000000" },
	{ { "-d", "2000000" }, "-d: '2000000' is not a number from 0 to "
	    "1048576" },
	{ { "-p", "65536" }, "-p: '65536' is not a number from 1 to 65535" },
	{ { "-t", "set,,get" }, "-t: unknown test '' (set, get, mixed, "
	    "watch, repl, mqtt)" },
	{ { "-t", "lpush" }, "-t: unknown test 'lpush' (set, get, mixed, "
	    "watch, repl, mqtt)" },
	{ { "-n" }, "-n: needs a value" },
	{ { "-x", "1" }, "unknown option '-x'" },
	{ { "--json" }, "unknown option '--json'" },
	{ { "extra" }, "unexpected argument 'extra'" },
	{ { "-r", "10", "--sequential" }, "--sequential and -r exclude each "
	    "other" },
	{ { "-t", "repl" }, "-t repl needs --peer" },
	{ { "-t", "mqtt" }, "-t mqtt needs --broker" },
	{ { "--peer" }, "--peer: needs a value" },
	{ { "--peer", "h:0" }, "--peer: '0' is not a number from 1 to 65535" },
	{ { "--peer", ":5" }, "--peer: bad host in ':5'" },
	{ { "--rate", "0" }, "--rate: '0' is not a number from 1 to "
	    "100000000" },
};

START_TEST(test_bad)
{
	struct bench_opts o;
	char		 err[256];
	char		*argv[5] = { "bench" };
	int		 argc = 1, i;

	for (i = 0; i < 4 && bad[_i].args[i]; i++)
		argv[argc++] = (char *)bad[_i].args[i];
	ck_assert_int_eq(parse(&o, err, argc, argv), -1);
	ck_assert_str_eq(err, bad[_i].msg);
}
END_TEST

START_TEST(test_hist_layout)
{
	uint64_t	 v, prev = 0;
	unsigned	 i;

	/* exact below HIST_SUB, then contiguous, monotonic buckets */
	for (v = 0; v < HIST_SUB; v++)
		ck_assert_uint_eq(hist_index(v), v);
	ck_assert_uint_eq(hist_index(HIST_SUB), HIST_SUB);
	ck_assert_uint_eq(hist_index(HIST_SUB + 1), HIST_SUB);
	ck_assert_uint_eq(hist_index(HIST_SUB + 2), HIST_SUB + 1);
	ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_NBUCKETS - 1);
	ck_assert_uint_eq(hist_highest(HIST_NBUCKETS - 1), UINT64_MAX);
	for (i = 0; i < HIST_NBUCKETS; i++) {
		v = hist_highest(i);
		ck_assert_uint_eq(hist_index(v), i);
		if (i > 0) {
			ck_assert_uint_gt(v, prev);
			ck_assert_uint_eq(hist_index(prev + 1), i);
		}
		prev = v;
	}
}
END_TEST

START_TEST(test_hist_exact)
{
	struct histogram *h = malloc(sizeof(*h));
	unsigned	 v;

	hist_init(h);
	ck_assert_uint_eq(hist_percentile(h, 50), 0);
	ck_assert(hist_mean(h) == 0);
	for (v = 1; v <= 100; v++)
		hist_record(h, v);
	ck_assert_uint_eq(h->count, 100);
	ck_assert_uint_eq(h->min, 1);
	ck_assert_uint_eq(h->max, 100);
	ck_assert(hist_mean(h) == 50.5);
	ck_assert_uint_eq(hist_percentile(h, 0), 1);
	ck_assert_uint_eq(hist_percentile(h, 1), 1);
	ck_assert_uint_eq(hist_percentile(h, 50), 50);
	ck_assert_uint_eq(hist_percentile(h, 50.5), 51);
	ck_assert_uint_eq(hist_percentile(h, 95), 95);
	ck_assert_uint_eq(hist_percentile(h, 99), 99);
	ck_assert_uint_eq(hist_percentile(h, 99.9), 100);
	ck_assert_uint_eq(hist_percentile(h, 100), 100);
	free(h);
}
END_TEST

START_TEST(test_hist_large)
{
	struct histogram *h = malloc(sizeof(*h));
	uint64_t	 v, p;
	unsigned	 i;

	/* 1 .. 1000 microseconds in nanoseconds, plus one outlier */
	hist_init(h);
	for (i = 1; i <= 1000; i++)
		hist_record(h, (uint64_t)i * 1000);
	hist_record(h, 5000000000ULL);
	ck_assert_uint_eq(h->min, 1000);
	ck_assert_uint_eq(h->max, 5000000000ULL);
	ck_assert_uint_eq(hist_percentile(h, 100), 5000000000ULL);
	/* rank 501 of 1001 is 501000; at most 1/128 above it */
	p = hist_percentile(h, 50);
	ck_assert_uint_ge(p, 501000);
	ck_assert_uint_le(p, 501000 + 501000 / 128);
	p = hist_percentile(h, 99);
	ck_assert_uint_ge(p, 991000);
	ck_assert_uint_le(p, 991000 + 991000 / 128);
	/* every value reads back within the bound */
	for (v = 300; v < 100000000; v = v * 3 + 7)
		ck_assert_uint_le(hist_highest(hist_index(v)) - v, v / 128);
	free(h);
}
END_TEST

START_TEST(test_hist_merge)
{
	struct histogram *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	unsigned	 v;

	hist_init(a);
	hist_init(b);
	for (v = 10; v < 20; v++)
		hist_record(a, v);
	hist_merge(a, b);		/* empty: nothing changes */
	ck_assert_uint_eq(a->min, 10);
	for (v = 1; v < 5; v++)
		hist_record(b, v * 100);
	hist_merge(a, b);
	ck_assert_uint_eq(a->count, 14);
	ck_assert_uint_eq(a->min, 10);
	ck_assert_uint_eq(a->max, 400);
	ck_assert_uint_eq(hist_percentile(a, 50), 16);
	ck_assert(hist_mean(a) == (145.0 + 1000) / 14);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_csv)
{
	struct bench_result *r = malloc(sizeof(*r));
	char		 buf[256];
	unsigned	 i;

	bench_csv_header(buf, sizeof(buf));
	ck_assert_str_eq(buf, "\"test\",\"rps\",\"avg_latency_ms\","
	    "\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\","
	    "\"p99_latency_ms\",\"max_latency_ms\"\n");
	memset(r, 0, sizeof(*r));
	r->test = BENCH_SET;
	hist_init(&r->hist);
	/* 100 requests of about 0.1 .. 10.0 ms, each the top of its
	 * bucket so that percentiles are exact: 0.1 ms becomes 100351 ns,
	 * 5 ms 153 * 2^15 - 1 = 5013503, 9.5 ms 145 * 2^16 - 1 = 9502719,
	 * 9.9 ms 152 * 2^16 - 1, 10 ms 153 * 2^16 - 1 = 10027007 */
	for (i = 1; i <= 100; i++)
		hist_record(&r->hist, hist_highest(hist_index((uint64_t)i *
		    100000)));
	r->done = 100;
	r->secs = 0.0032;
	bench_csv_row(buf, sizeof(buf), r);
	ck_assert_str_eq(buf, "\"SET\",\"31250.00\",\"5.065\",\"0.100\","
	    "\"5.014\",\"9.503\",\"9.961\",\"10.027\"\n");
	bench_quiet_row(buf, sizeof(buf), r);
	ck_assert_str_eq(buf, "SET: 31250.00 requests per second, "
	    "p50=5.014 msec\n");
	/* an empty run prints zeros, not UINT64_MAX */
	hist_init(&r->hist);
	r->test = BENCH_WATCH;
	r->done = 0;
	r->secs = 0;
	bench_csv_row(buf, sizeof(buf), r);
	ck_assert_str_eq(buf, "\"WATCH\",\"0.00\",\"0.000\",\"0.000\","
	    "\"0.000\",\"0.000\",\"0.000\",\"0.000\"\n");
	free(r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("bench");
	TCase	*tc = tu_tcase(s, "bench", 0, TU_TESTS(test_defaults,
		    test_all_options, test_tests_list, test_hist_layout,
		    test_hist_exact, test_hist_large, test_hist_merge,
		    test_csv, test_repl_mqtt));

	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof(bad) /
	    sizeof(bad[0])));
	return tu_run(s);
}
