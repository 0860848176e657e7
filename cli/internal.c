/*
 * internal.c - `moatctl internal state': the server's sync bookkeeping
 * (get_state), printed as YAML the way the original's `internal state'
 * does: `known' is shown as `superseded', the seq is left out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/moatctl.h"
#include "cli/yamlout.h"
#include "lib/mp.h"

static const struct {
	int		 opt;
	const char	*flag;
} flags[] = {
	{ 'n', "nodes" },
	{ 's', "superseded" },
	{ 'p', "present" },
	{ 'd', "deleted" },
	{ 'm', "missing" },
	{ 'r', "remote_missing" },
};
#define NFLAGS	(sizeof(flags) / sizeof(flags[0]))

static int
print_state(const msgpack_object *o, void *arg)
{
	msgpack_object_kv kv[32];
	msgpack_object	 out, key;
	uint32_t	 i, n = 0;

	if (o->type != MSGPACK_OBJECT_MAP)
		ctl_fail("internal state: unexpected reply");
	key.type = MSGPACK_OBJECT_STR;
	key.via.str.ptr = "superseded";
	key.via.str.size = 10;
	for (i = 0; i < o->via.map.size && n < 32; i++) {
		const msgpack_object *k = &o->via.map.ptr[i].key;

		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 3 &&
		    memcmp(k->via.str.ptr, "seq", 3) == 0)
			continue;
		kv[n] = o->via.map.ptr[i];
		if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == 5 &&
		    memcmp(k->via.str.ptr, "known", 5) == 0)
			kv[n].key = key;
		n++;
	}
	out.type = MSGPACK_OBJECT_MAP;
	out.via.map.size = n;
	out.via.map.ptr = kv;
	if (yamlout_value(stdout, &out) == -1)
		ctl_fail("internal state: cannot print the reply");
	return 0;
}

static int
cmd_state(int argc, char **argv)
{
	struct client	*c;
	msgpack_packer	*pk;
	char		 err[512];
	unsigned	 want = 0, i, n = 0;
	int		 ch;

	optind = 1;
	while ((ch = getopt(argc, argv, "ankpsdmr")) != -1) {
		if (ch == 'a') {
			want = (1u << NFLAGS) - 1;
			continue;
		}
		if (ch == 'k')
			ch = 's';
		for (i = 0; i < NFLAGS && flags[i].opt != ch; i++)
			;
		if (i == NFLAGS)
			ctl_fail("usage: moatctl internal state [-ankpsdmr]");
		want |= 1u << i;
	}
	if (optind != argc)
		ctl_fail("usage: moatctl internal state [-ankpsdmr]");
	for (i = 0; i < NFLAGS; i++)
		n += (want >> i) & 1;
	c = ctl_connect();
	pk = client_begin(c, "get_state", n);
	for (i = 0; i < NFLAGS; i++)
		if (want & (1u << i))
			mp_pack_kv_bool(pk, flags[i].flag, 1);
	if (client_call(c, print_state, NULL, err, sizeof(err)) == -1)
		ctl_fail("ServerError: %s", err);
	client_close(c);
	return 0;
}

static const struct command internal_cmds[] = {
	{ "state", cmd_state, "state [-ankpsdmr]" },
	{ NULL, NULL, NULL }
};

int
cmd_internal(int argc, char **argv)
{
	return ctl_subcommand(internal_cmds, argc - 1, argv + 1, "internal");
}
