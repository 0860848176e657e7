/*
 * internal.c - "moatctl internal": the server's internal state.
 *
 * dump PATH prints the internal tree (get_tree_internal) as one nested
 * mapping with the values under "_", like "data PATH get -rd_" but with
 * the paths as they are in the whole tree: the internal tree is the
 * subtree of the null element, so the output starts with "null:" and
 * PATH's elements, as in the tutorial.  state asks get_state for the parts named by the flags and
 * prints the reply as YAML, the server's "known" renamed to
 * "superseded" as in the original (seq, the protocol's, left out).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/internal.h"
#include "cli/moatctl.h"
#include "lib/pathlong.h"
#include "cli/yamlout.h"

static const char dump_usage[] = "usage: moatctl internal dump PATH\n"
    "print the server's internal tree below PATH as a mapping "
    "(under null:)\n";
static const char state_usage[] =
    "usage: moatctl internal state [-aDdkmnprs]\n"
    "print the server's replication state\n"
    "  -n  nodes: each node's latest tick\n"
    "  -p  present: ticks with current data\n"
    "  -s  superseded: ticks replaced by newer changes (-k: the same)\n"
    "  -d  deleted: ticks of deletions\n"
    "  -m  missing: ticks this server lacks\n"
    "  -r  remote-missing: ticks others reported missing\n"
    "  -D  debug: the server's debug information\n"
    "  -a  all of the above but -D\n"
    "Run against any server: each shows every node's ticks as it sees them.\n";

struct dump {
	struct pathlong	 pl;
	struct yamltree	*tree;
	int		 bad;
};

static int
dump_item(const msgpack_object *o, void *arg)
{
	struct dump	*d = arg;
	const uint8_t	*path;
	const char	*why;
	size_t		 len;

	if (pathlong_next(&d->pl, o, &path, &len, &why) != 1) {
		d->bad = 1;
		return 0;
	}
	yamltree_add(d->tree, path, len, mp_map_get(o, "value"));
	return 0;
}

static int
internal_dump(int argc, char **argv)
{
	struct client	*c;
	struct dump	 d;
	struct mpbuf	 path, full;
	msgpack_packer	*pk;
	int		 rc;

	if (ctl_wants_help(argc, argv)) {
		fputs(dump_usage, stdout);
		exit(0);
	}
	if (argc != 2) {
		fputs(dump_usage, stderr);
		exit(1);
	}
	mpbuf_init(&path);
	ctl_path(argv[1], &path);
	c = ctl_connect();
	pk = client_begin(c, "get_tree_internal", 2);
	mp_pack_str(pk, "path");
	mp_pack_path(pk, path.data, path.len);
	mp_pack_kv_int(pk, "nchain", 0);
	memset(&d, 0, sizeof(d));
	mpbuf_init(&full);
	mpbuf_add(&full, "\xc0", 1);		/* nil: the internal tree */
	mpbuf_add(&full, path.data, path.len);
	pathlong_init(&d.pl, full.data, full.len);
	mpbuf_free(&full);
	d.tree = yamltree_new("_");
	ctl_call(c, dump_item, &d);
	client_close(c);
	pathlong_free(&d.pl);
	mpbuf_free(&path);
	if (d.bad)
		ctl_fail("moatctl: bad path in the server's reply");
	rc = yamltree_print(d.tree, stdout);
	yamltree_free(d.tree);
	if (rc == -1)
		ctl_fail("moatctl: cannot print the tree");
	return 0;
}

int
is_key(const msgpack_object *o, const char *s)
{
	return o->type == MSGPACK_OBJECT_STR && o->via.str.size ==
	    strlen(s) && memcmp(o->via.str.ptr, s, o->via.str.size) == 0;
}

int
internal_print(const msgpack_object *o, void *arg)
{
	const msgpack_object *known = NULL;
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	uint32_t	 i, n = 0;
	size_t		 off = 0;

	if (o->type != MSGPACK_OBJECT_MAP)
		ctl_fail("moatctl: unexpected reply");
	for (i = 0; i < o->via.map.size; i++) {
		if (is_key(&o->via.map.ptr[i].key, "known"))
			known = &o->via.map.ptr[i].val;
		else if (!is_key(&o->via.map.ptr[i].key, "seq"))
			n++;
	}
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_map(&pk, n + (known != NULL));
	for (i = 0; i < o->via.map.size; i++) {
		if (is_key(&o->via.map.ptr[i].key, "known") ||
		    is_key(&o->via.map.ptr[i].key, "seq"))
			continue;
		msgpack_pack_object(&pk, o->via.map.ptr[i].key);
		msgpack_pack_object(&pk, o->via.map.ptr[i].val);
	}
	if (known != NULL) {
		mp_pack_str(&pk, "superseded");
		msgpack_pack_object(&pk, *known);
	}
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)b.data, b.len, &off) !=
	    MSGPACK_UNPACK_SUCCESS || yamlout_value(stdout, &u.data) == -1)
		ctl_fail("moatctl: cannot print the state");
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
	return 0;
}

void
print_reply(const struct mpbuf *b)
{
	msgpack_unpacked u;
	size_t		 off = 0;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)b->data, b->len, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		ctl_fail("moatctl: unexpected reply");
	internal_print(&u.data, NULL);
	msgpack_unpacked_destroy(&u);
}

static int
internal_state(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "nodes", no_argument, NULL, 'n' },
		{ "deleted", no_argument, NULL, 'd' },
		{ "missing", no_argument, NULL, 'm' },
		{ "remote-missing", no_argument, NULL, 'r' },
		{ "present", no_argument, NULL, 'p' },
		{ "superseded", no_argument, NULL, 's' },
		{ "known", no_argument, NULL, 'k' },
		{ "debug", no_argument, NULL, 'D' },
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 }
	};
	/* option letter, request field; -a sets all but the last */
	static const struct { int ch; const char *field; } flags[] = {
		{ 'n', "nodes" }, { 'p', "present" }, { 's', "superseded" },
		{ 'd', "deleted" }, { 'm', "missing" },
		{ 'r', "remote_missing" }, { 'D', "debug" }
	};
	const size_t	 nflags = sizeof(flags) / sizeof(flags[0]);
	struct client	*c;
	msgpack_packer	*pk;
	int		 ch, on[8] = { 0 }, n = 0;
	size_t		 i;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+aDdkmnprs", lo, NULL)) != -1) {
		if (ch == 'k')
			ch = 's';	/* the original's hidden alias */
		if (ch == 'H') {
			fputs(state_usage, stdout);
			exit(0);
		}
		for (i = 0; i < nflags; i++)
			if (ch == flags[i].ch || (ch == 'a' && i + 1 < nflags))
				on[i] = 1;
		if (ch == '?') {
			fputs(state_usage, stderr);
			exit(1);
		}
	}
	if (optind != argc) {
		fputs(state_usage, stderr);
		exit(1);
	}
	for (i = 0; i < nflags; i++)
		n += on[i];
	c = ctl_connect();
	pk = client_begin(c, "get_state", n);
	for (i = 0; i < nflags; i++)
		if (on[i])
			mp_pack_kv_bool(pk, flags[i].field, 1);
	ctl_call(c, internal_print, NULL);
	client_close(c);
	return 0;
}

static const struct command subs[] = {
	{ "dump", internal_dump, "PATH: the internal tree" },
	{ "state", internal_state, "[-aDdkmnprs]: replication state" },
	{ "deleter", internal_deleter,
	    "[list|add NODE...|delete [NODE...]]: the deleter list" },
	{ "mark", internal_mark, "[-bd] [-n SOURCE] NODE [TICK...]: fix "
	    "the state" },
	{ "kill", internal_kill, "NODE: drop a node that has no entries" },
	{ NULL, NULL, NULL }
};

int
cmd_internal(int argc, char **argv)
{
	const struct command *s;
	FILE		*f;
	int		 help = ctl_wants_help(argc, argv);

	if (argc < 2 || help) {
		f = help ? stdout : stderr;
		fprintf(f, "usage: moatctl internal subcommand ...\n");
		for (s = subs; s->name; s++)
			fprintf(f, "  %-7s %s\n", s->name, s->usage);
		exit(help ? 0 : 1);
	}
	return ctl_subcommand(subs, argc - 1, argv + 1, "internal");
}
