/*
 * main.c - moatctl, the admin tool: global options, config, dispatch.
 *
 * `moatctl [-v] [-h host] [-p port] [-c file] [-C key=value] command ...'
 * Connection defaults come from the config (kv.conn.host, kv.conn.port),
 * read the same way moatd reads it.  Errors print one line on stderr,
 * e.g. "ServerError: ...", and exit 1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/moatctl.h"
#include "lib/conf.h"
#include "lib/confyaml.h"
#include "lib/log.h"
#include "lib/mp.h"

struct ctl ctl;

static const struct command commands[] = {
	{ "dump", cmd_dump, "local tools: dump file FILE" },
	{ "internal", cmd_internal, "internal state [-ankpsdmr]: sync state" },
	{ "log", cmd_log, "log dest [-i] FILE, log save FILE, log stop" },
	{ "status", cmd_status, "show moatd's processes" },
	{ "bench", cmd_bench, "benchmark the server (like redis-benchmark)" },
	{ NULL, NULL, NULL }
};

static void __attribute__((noreturn))
usage(int rc)
{
	const struct command *c;

	fprintf(rc ? stderr : stdout,
	    "usage: moatctl [-v] [-h host] [-p port] [-c file] "
	    "[-C key=value] command [args]\n"
	    "  -h host       server (kv.conn.host; a /path is a Unix socket)\n"
	    "  -p port       port (kv.conn.port)\n"
	    "  -c file       YAML config file\n"
	    "  -C key=value  set a config key (repeatable)\n"
	    "  -v            more verbose\n"
	    "commands:\n");
	for (c = commands; c->name; c++)
		fprintf(rc ? stderr : stdout, "  %-10s %s\n", c->name,
		    c->usage);
	exit(rc);
}

void
ctl_fail(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

struct client *
ctl_connect(void)
{
	struct client	*c;
	char		 err[512];

	if ((c = client_connect(ctl.host, ctl.port, err, sizeof(err))) == NULL)
		ctl_fail("moatctl: cannot connect: %s", err);
	return c;
}

int
ctl_subcommand(const struct command *tab, int argc, char **argv,
    const char *group)
{
	const struct command *c;

	if (argc < 1)
		ctl_fail("usage: moatctl %s subcommand ...", group);
	for (c = tab; c->name; c++)
		if (strcmp(c->name, argv[0]) == 0)
			return c->fn(argc, argv);
	ctl_fail("moatctl %s: unknown subcommand '%s'", group, argv[0]);
}

static void
load_config(const char *file, char **sets, int nsets)
{
	static struct mpbuf buf;
	static msgpack_zone zone;
	struct conf	*conf;
	msgpack_packer	 pk;
	char		 err[512];
	size_t		 off = 0;
	int		 i;

	if ((conf = conf_new()) == NULL)
		ctl_fail("moatctl: out of memory");
	if (file && conf_load_file(conf, file, err, sizeof(err)) == -1)
		ctl_fail("moatctl: %s", err);
	for (i = 0; i < nsets; i++)
		if (conf_set(conf, sets[i], err, sizeof(err)) == -1)
			ctl_fail("moatctl: %s", err);
	if (conf_check(conf, err, sizeof(err)) == -1)
		ctl_fail("moatctl: %s", err);
	mpbuf_init(&buf);
	msgpack_packer_init(&pk, &buf, mpbuf_write);
	conf_pack(conf, &pk);
	conf_free(conf);
	msgpack_zone_init(&zone, 4096);
	if (msgpack_unpack((const char *)buf.data, buf.len, &off, &zone,
	    &ctl.conf) != MSGPACK_UNPACK_SUCCESS)
		ctl_fail("moatctl: cannot read back the config");
}

int
main(int argc, char **argv)
{
	const struct command *c;
	static char	 portbuf[16];
	const char	*file = NULL;
	char		*sets[64], *host = NULL, *port = NULL;
	int		 ch, nsets = 0;
	int64_t		 p;

	log_init("moatctl", 0, 0);
	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		usage(0);
	/* "+": options stop at the command, which has its own. */
	while ((ch = getopt(argc, argv, "+c:C:h:p:v")) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'C':
			if (nsets == (int)(sizeof(sets) / sizeof(sets[0])))
				ctl_fail("moatctl: too many -C options");
			sets[nsets++] = optarg;
			break;
		case 'h':
			host = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'v':
			ctl.verbose++;
			break;
		default:
			usage(1);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(1);
	load_config(file, sets, nsets);
	if (host == NULL && conf_get_str(&ctl.conf, "kv.conn.host", &host) == -1)
		host = "localhost";
	if (port == NULL) {
		if (conf_get_int(&ctl.conf, "kv.conn.port", &p) == -1)
			p = 27586;
		snprintf(portbuf, sizeof(portbuf), "%lld", (long long)p);
		port = portbuf;
	}
	ctl.host = host;
	ctl.port = port;
	for (c = commands; c->name; c++)
		if (strcmp(c->name, argv[0]) == 0)
			return c->fn(argc, argv);
	fprintf(stderr, "moatctl: unknown command '%s'\n", argv[0]);
	usage(1);
}
