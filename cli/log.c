/*
 * log.c - `moatctl log dest [-i] FILE', `log save FILE', `log stop':
 * make the server write its state and changes to a file in its state
 * directory (the "log" and "save" actions of the client protocol).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/moatctl.h"
#include "lib/mp.h"

static int
ignore_reply(const msgpack_object *o, void *arg)
{
	return 0;
}

static void
request(const char *action, const char *path, int fetch)
{
	struct client	*c;
	msgpack_packer	*pk;
	char		 err[512];

	c = ctl_connect();
	pk = client_begin(c, action, (path ? 1 : 0) + (fetch >= 0));
	if (path)
		mp_pack_kv_str(pk, "path", path);
	if (fetch >= 0)
		mp_pack_kv_bool(pk, "fetch", fetch);
	if (client_call(c, ignore_reply, NULL, err, sizeof(err)) == -1)
		ctl_fail("ServerError: %s", err);
	client_close(c);
}

static int
log_dest(int argc, char **argv)
{
	int	 ch, incremental = 0;

	optind = 0;	/* glibc: start over */
	while ((ch = getopt(argc, argv, "i")) != -1) {
		switch (ch) {
		case 'i':
			incremental = 1;
			break;
		default:
			ctl_fail("usage: moatctl log dest [-i] FILE");
		}
	}
	if (argc - optind != 1)
		ctl_fail("usage: moatctl log dest [-i] FILE");
	request("log", argv[optind], !incremental);
	return 0;
}

static int
log_save(int argc, char **argv)
{
	if (argc != 2)
		ctl_fail("usage: moatctl log save FILE");
	request("save", argv[1], -1);
	return 0;
}

static int
log_stop(int argc, char **argv)
{
	if (argc != 1)
		ctl_fail("usage: moatctl log stop");
	request("log", NULL, -1);
	return 0;
}

static const struct command log_cmds[] = {
	{ "dest", log_dest, "log changes to FILE (-i: changes only)" },
	{ "save", log_save, "write the current state to FILE" },
	{ "stop", log_stop, "stop logging changes" },
	{ NULL, NULL, NULL }
};

int
cmd_log(int argc, char **argv)
{
	return ctl_subcommand(log_cmds, argc - 1, argv + 1, "log");
}
