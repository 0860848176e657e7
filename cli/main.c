/*
 * main.c - moatctl, the admin tool: global options, config, dispatch.
 *
 * `moatctl [-v] [-h host] [-p port] [-c file] [-C key=value] command ...'
 * Connection defaults come from the config (kv.conn.host, kv.conn.port),
 * read the same way moatd reads it.  Errors print one line on stderr,
 * e.g. "ServerError: ...", and exit 1.
 */
#include <errno.h>
#include <getopt.h>
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
#include "lib/pathfmt.h"

struct ctl ctl;

static const struct command commands[] = {
	{ "data", cmd_data, "read and change entries" },
	{ "internal", cmd_internal, "the server's internal state" },
	{ "dump", cmd_dump, "dump file FILE, dump msg [TOPIC]" },
	{ "msg", cmd_msg, "msg send TOPIC DATA, msg monitor TOPIC" },
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
	    "usage: moatctl [-mv] [-h host] [-p port] [-c file] "
	    "[-C key=value] command [args]\n"
	    "  -h host       server (kv.conn.host; a /path is a Unix socket)\n"
	    "  -p port       port (kv.conn.port)\n"
	    "  -c file       YAML config file\n"
	    "  -C key=value  set a config key (repeatable)\n"
	    "  -m            print metadata (chain, tock) with results\n"
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

void
ctl_call(struct client *c, client_item_fn fn, void *arg)
{
	char		 err[512];

	switch (client_call(c, fn, arg, err, sizeof(err))) {
	case 0:
		return;
	case -1:
		ctl_server_fail(err);
	default:
		ctl_fail("moatctl: %s", err);
	}
}

void
ctl_server_fail(const char *err)
{
	ctl_fail("ServerError: %s", err);
}

/*
 * Path text to a packed path.  On a syntax error show the text with a
 * caret under the character the message's "at position N" names.
 */
void
ctl_path(const char *text, struct mpbuf *out)
{
	const char	*at;
	char		 err[256];
	long		 pos = 0;

	if (pathfmt_parse(text, out, err, sizeof(err)) == 0)
		return;
	if ((at = strstr(err, "at position ")) != NULL)
		pos = strtol(at + 12, NULL, 10);
	fprintf(stderr, "moatctl: bad path: %s\n", err);
	if (pos > 0 && strchr(text, '\n') == NULL)
		fprintf(stderr, "  %s\n  %*s^\n", text, (int)(pos - 1), "");
	exit(1);
}

long long
ctl_number(const char *s, const char *what, long long min, long long max)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max)
		ctl_fail("moatctl: %s: not a number from %lld to %lld: %s",
		    what, min, max, s);
	return v;
}

int
ctl_wants_help(int argc, char **argv)
{
	return argc > 1 && strcmp(argv[1], "--help") == 0;
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

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'H' },
	{ NULL, 0, NULL, 0 }
};

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
	/* "+": options stop at the command, which has its own. */
	while ((ch = getopt_long(argc, argv, "+c:C:h:mp:v", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'H':
			usage(0);
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
		case 'm':
			ctl.meta = 1;
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
