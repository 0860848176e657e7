/*
 * data.c - "moatctl data PATH [subcommand]": dispatch, get and list.
 *
 * "data PATH" alone is "data PATH get".  get prints one value as YAML;
 * with -r it reads the subtree with get_tree and prints each entry as a
 * one-item list "- PATH: value" (paths relative to PATH), or with -d
 * KEY all of it as one nested mapping, the values under KEY.  list is
 * get -r of the children only, printing their paths.  The output is
 * the original's, see cli/yamlout.h.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/adddate.h"
#include "cli/client.h"
#include "cli/data.h"
#include "cli/moatctl.h"
#include "lib/pathlong.h"
#include "cli/yamlout.h"
#include "lib/pathfmt.h"

struct sub {
	const char	*name;
	int		(*fn)(const struct dpath *, int, char **);
	const char	*args;
	const char	*help;
};

static int	data_get(const struct dpath *, int, char **);
static int	data_list(const struct dpath *, int, char **);

static const struct sub subs[] = {
	{ "get", data_get, "[-DeRr] [-d key] [-m maxdepth] [-M mindepth]",
	  "print the value; -r the subtree, as a list or (-d) a mapping\n"
	  "  -r           recursive: the entry and everything below it\n"
	  "  -d key       print a nested mapping, values under key\n"
	  "  -m maxdepth  not deeper than this below PATH (-r)\n"
	  "  -M mindepth  not above this depth below PATH (-r)\n"
	  "  -e           include entries without a value (-r)\n"
	  "  -R           raw: a string as itself, bytes as they are\n"
	  "  -D           add _KEY dates for timestamps in the value" },
	{ "list", data_list, "[-d key] [-m maxdepth] [-M mindepth]",
	  "list the paths below PATH (default: the children only)\n"
	  "  -d key       print a nested mapping, values under key\n"
	  "  -m maxdepth  not deeper than this (default 1)\n"
	  "  -M mindepth  not above this (default 1)" },
	{ "set", data_set, "[-n | -l node tick] [--prev value] "
	  "(-v sub value | -e sub expr | -p sub path) ...",
	  "set the value, or parts of it\n"
	  "  -v sub value  set subpath sub to the string value\n"
	  "  -e sub expr   ... to the Python literal expr (\"-\": delete sub)\n"
	  "  -p sub path   ... to the path (text form)\n"
	  "                sub \":\" is the whole value, anything else\n"
	  "                a key of the (map) value\n"
	  "  -n            the entry must not have a value\n"
	  "  -l node tick  the entry must have been changed last by node, tick\n"
	  "  --prev value  the entry's value must be the string value" },
	{ "delete", data_delete, "[-r] [-l node tick] [-p prev [-e]]",
	  "delete the value\n"
	  "  -r            the whole subtree (not with -l, -p)\n"
	  "  -l node tick  the entry must have been changed last by node, tick\n"
	  "  -p prev       the entry's value must be prev\n"
	  "  -e            prev is a Python literal" },
	{ "monitor", data_monitor, "[-Dops] [-i path]",
	  "print changes to the subtree as they happen, until killed\n"
	  "  -s            print the current subtree first\n"
	  "  -o            only this entry's value, one line per change\n"
	  "  -p            one line per change: path (below PATH) and value\n"
	  "  -i path       ignore this subtree (below PATH); repeatable\n"
	  "  -D            add _KEY dates for timestamps in the value" },
	{ "update", data_update, "[-i file]",
	  "apply a stream of YAML records {path, value} below PATH\n"
	  "  -i file       read file instead of standard input" },
	{ NULL, NULL, NULL, NULL }
};

static const struct sub *
find_sub(const char *name)
{
	const struct sub *s;

	for (s = subs; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static void __attribute__((noreturn))
data_usage(int rc)
{
	FILE		*f = rc ? stderr : stdout;
	const struct sub *s;

	fprintf(f, "usage: moatctl data PATH [subcommand [options]]\n"
	    "PATH is path text, e.g. one.two or : for the root; "
	    "without a subcommand, get.\nsubcommands:\n");
	for (s = subs; s->name; s++)
		fprintf(f, "  %-8s %s\n", s->name, s->args);
	fprintf(f, "moatctl data PATH subcommand --help says more.\n");
	exit(rc);
}

static void __attribute__((noreturn))
sub_usage(const struct sub *s, int rc)
{
	fprintf(rc ? stderr : stdout, "usage: moatctl data PATH %s %s\n",
	    s->name, s->args);
	if (rc == 0)
		printf("%s\n", s->help);
	exit(rc);
}

void
data_usage_fail(const char *sub, const char *fmt, ...)
{
	va_list		 ap;

	fprintf(stderr, "moatctl data %s: ", sub);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	sub_usage(find_sub(sub), 1);
}

void
data_bad_option(const char *sub, char **argv, int ch)
{
	if (optopt == 0 || ch == ':')	/* a long option: say it whole */
		data_usage_fail(sub, "%s %s", ch == ':' ?
		    "missing argument for" : "unknown option",
		    argv[optind - 1]);
	data_usage_fail(sub, "unknown option -%c", optopt);
}

void
data_pack_last(msgpack_packer *pk, const char *node, const char *tick)
{
	msgpack_pack_map(pk, 2);
	mp_pack_kv_str(pk, "node", node);
	mp_pack_kv_int(pk, "tick", ctl_number(tick, "--last tick", 0,
	    INT64_MAX));
}

int	data_add_dates;

const msgpack_object *
data_value(const msgpack_object *v, msgpack_unpacked *u, struct mpbuf *b)
{
	msgpack_packer	 pk;

	if (!data_add_dates || v == NULL)
		return v;
	msgpack_packer_init(&pk, b, mpbuf_write);
	adddate_pack(&pk, v, time(NULL));
	return data_unpack(u, b);
}

static int
is_key(const msgpack_object *k, const char *s)
{
	return k->type == MSGPACK_OBJECT_STR && k->via.str.size ==
	    strlen(s) && memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

static int
dropped(const msgpack_object *k, enum meta_path mp)
{
	return is_key(k, "seq") || is_key(k, "wseq") || is_key(k, "depth") ||
	    (mp == META_DROP && is_key(k, "path"));
}

void
data_pack_meta(msgpack_packer *pk, const msgpack_object *o,
    enum meta_path mp, const uint8_t *path, size_t plen, uint32_t extra)
{
	const msgpack_object_kv *kv;
	uint32_t	 i, n = 0;

	if (o->type != MSGPACK_OBJECT_MAP)
		ctl_fail("moatctl: unexpected reply from the server");
	for (i = 0; i < o->via.map.size; i++)
		n += !dropped(&o->via.map.ptr[i].key, mp);
	msgpack_pack_map(pk, n + extra);
	for (i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		if (dropped(&kv->key, mp))
			continue;
		msgpack_pack_object(pk, kv->key);
		if (mp == META_SET && is_key(&kv->key, "path"))
			mp_pack_path(pk, path, plen);
		else if (data_add_dates && is_key(&kv->key, "value"))
			adddate_pack(pk, &kv->val, time(NULL));
		else
			msgpack_pack_object(pk, kv->val);
	}
}

const msgpack_object *
data_unpack(msgpack_unpacked *u, const struct mpbuf *b)
{
	size_t		 off = 0;

	if (msgpack_unpack_next(u, (const char *)b->data, b->len, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		ctl_fail("moatctl: cannot read back a packed value");
	return &u->data;
}

void
data_print_meta(const msgpack_object *o)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	data_pack_meta(&pk, o, META_KEEP, NULL, 0, 0);
	msgpack_unpacked_init(&u);
	if (yamlout_value(stdout, data_unpack(&u, &b)) == -1)
		ctl_fail("moatctl: cannot print the reply");
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
}

void
data_print_str(FILE *f, const msgpack_object *o)
{
	struct mpbuf	 b;

	mpbuf_init(&b);
	if (pathfmt_pystr(&b, o) == -1)
		yamlout_value(f, o);	/* no Python form: say it in YAML */
	else
		fprintf(f, "%.*s\n", (int)b.len, b.data ? (char *)b.data : "");
	mpbuf_free(&b);
}

int
cmd_data(int argc, char **argv)
{
	const struct sub *s;
	struct dpath	 p;
	int		 rc;

	if (ctl_wants_help(argc, argv))
		data_usage(0);
	if (argc < 2)
		data_usage(1);
	p.text = argv[1];
	mpbuf_init(&p.packed);
	ctl_path(p.text, &p.packed);
	optind = 0;		/* GNU: start afresh on the new argv */
	opterr = 0;		/* data_bad_option() says it better */
	if (argc == 2) {
		char	*get[] = { "get", NULL };

		rc = data_get(&p, 1, get);
		mpbuf_free(&p.packed);
		return rc;
	}
	if ((s = find_sub(argv[2])) == NULL) {
		fprintf(stderr, "moatctl data: unknown subcommand '%s'\n",
		    argv[2]);
		data_usage(1);
	}
	if (ctl_wants_help(argc - 2, argv + 2))
		sub_usage(s, 0);
	rc = s->fn(&p, argc - 2, argv + 2);
	mpbuf_free(&p.packed);
	return rc;
}

/* ---- get, list ---- */

struct getopts {
	int		 recursive, empty, raw, list;
	const char	*dictkey;
	long long	 maxdepth;	/* -1: no limit */
	long long	 mindepth;
	int		 maxgiven;
};

struct getstate {
	const struct getopts *g;
	const struct dpath *p;
	struct pathlong	 pl;
	struct yamltree	*tree;
	int		 bad;
};

static void
get_opts(const char *sub, int argc, char **argv, struct getopts *g,
    const char *optstr)
{
	/* the original's names; list takes only those in its optstr */
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "as-dict", required_argument, NULL, 'd' },
		{ "maxdepth", required_argument, NULL, 'm' },
		{ "mindepth", required_argument, NULL, 'M' },
		{ "recursive", no_argument, NULL, 'r' },
		{ "empty", no_argument, NULL, 'e' },
		{ "raw", no_argument, NULL, 'R' },
		{ "add-date", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	int		 ch;

	while ((ch = getopt_long(argc, argv, optstr, lo, NULL)) != -1) {
		if (ch != '?' && ch != ':' && strchr(optstr, ch) == NULL)
			data_usage_fail(sub, "no option %s here",
			    argv[optind - 1]);
		switch (ch) {
		case 'd':
			g->dictkey = optarg;
			break;
		case 'e':
			g->empty = 1;
			break;
		case 'm':
			g->maxdepth = ctl_number(optarg, "-m", 0, 1 << 20);
			g->maxgiven = 1;
			break;
		case 'M':
			g->mindepth = ctl_number(optarg, "-M", 0, 1 << 20);
			break;
		case 'D':
			data_add_dates = 1;
			break;
		case 'R':
			g->raw = 1;
			break;
		case 'r':
			g->recursive = 1;
			break;
		default:
			data_bad_option(sub, argv, ch);
		}
	}
	if (optind != argc)
		data_usage_fail(sub, "unexpected argument '%s'", argv[optind]);
}

/* The single value of get_value. */
static int
print_value(const msgpack_object *o, void *arg)
{
	const struct getstate *st = arg;
	const msgpack_object *v = mp_map_get(o, "value");

	if (ctl.meta && !st->g->raw) {
		data_print_meta(o);
		return 0;
	}
	if (v == NULL) {
		if (ctl.verbose)
			fprintf(stderr, "No data at %s\n", st->p->text);
		return 0;
	}
	if (!st->g->raw) {
		msgpack_unpacked u;
		struct mpbuf	 b;

		mpbuf_init(&b);
		msgpack_unpacked_init(&u);
		if (yamlout_value(stdout, data_value(v, &u, &b)) == -1)
			ctl_fail("moatctl: cannot print the value");
		msgpack_unpacked_destroy(&u);
		mpbuf_free(&b);
		return 0;
	}
	if (v->type == MSGPACK_OBJECT_STR || v->type == MSGPACK_OBJECT_BIN)
		fwrite(v->via.str.ptr, 1, v->via.str.size, stdout);
	else {
		struct mpbuf	 b;

		mpbuf_init(&b);
		if (pathfmt_pystr(&b, v) == 0 && b.len > 0)
			fwrite(b.data, 1, b.len, stdout);
		mpbuf_free(&b);
	}
	return 0;
}

/* One list item: "- PATH" (list) or "- PATH: value". */
static void
print_item(const uint8_t *path, size_t len, const msgpack_object *v,
    int pathonly)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	msgpack_pack_array(&pk, 1);
	if (!pathonly)
		msgpack_pack_map(&pk, 1);
	mp_pack_path(&pk, path, len);
	if (!pathonly) {
		if (v != NULL)
			msgpack_pack_object(&pk, *v);
		else
			msgpack_pack_nil(&pk);
	}
	msgpack_unpacked_init(&u);
	if (yamlout_value(stdout, data_unpack(&u, &b)) == -1)
		ctl_fail("moatctl: cannot print an entry");
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
}

/* One get_tree item. */
static int
tree_item(const msgpack_object *o, void *arg)
{
	struct getstate	*st = arg;
	const struct getopts *g = st->g;
	const msgpack_object *v = mp_map_get(o, "value");
	msgpack_object	 nil = { .type = MSGPACK_OBJECT_NIL };
	msgpack_unpacked u;
	msgpack_packer	 pk;
	struct mpbuf	 m;
	const uint8_t	*path;
	const char	*why;
	size_t		 len;

	if (pathlong_next(&st->pl, o, &path, &len, &why) != 1) {
		st->bad = 1;
		return 0;
	}
	if (ctl.meta && !g->list) {
		/* the whole item stands in for the value */
		mpbuf_init(&m);
		msgpack_packer_init(&pk, &m, mpbuf_write);
		data_pack_meta(&pk, o, META_DROP, NULL, 0, 0);
		msgpack_unpacked_init(&u);
		if (st->tree != NULL)
			yamltree_add(st->tree, path, len, data_unpack(&u, &m));
		else
			print_item(path, len, data_unpack(&u, &m), 0);
		msgpack_unpacked_destroy(&u);
		mpbuf_free(&m);
		return 0;
	}
	mpbuf_init(&m);
	msgpack_unpacked_init(&u);
	v = data_value(v, &u, &m);
	if (st->tree != NULL)
		yamltree_add(st->tree, path, len, v != NULL ? v :
		    g->empty ? &nil : NULL);
	else if (g->list)
		print_item(path, len, NULL, 1);
	else if (v != NULL || g->empty)
		print_item(path, len, v, 0);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&m);
	return 0;
}

static int
run_get(const struct dpath *p, const struct getopts *g)
{
	struct client	*c = ctl_connect();
	struct getstate	 st = { .g = g, .p = p };
	msgpack_packer	*pk;
	int		 rc;

	if (!g->recursive) {
		pk = client_begin(c, "get_value", 2);
		mp_pack_str(pk, "path");
		mp_pack_path(pk, p->packed.data, p->packed.len);
		mp_pack_kv_int(pk, "nchain", ctl.meta ? 3 : 0);
		ctl_call(c, print_value, &st);
		client_close(c);
		return 0;
	}
	pk = client_begin(c, "get_tree", 2 + (g->maxdepth >= 0) +
	    (g->mindepth > 0) + g->empty);
	mp_pack_str(pk, "path");
	mp_pack_path(pk, p->packed.data, p->packed.len);
	mp_pack_kv_int(pk, "nchain", ctl.meta ? 3 : 0);
	if (g->maxdepth >= 0)
		mp_pack_kv_int(pk, "max_depth", g->maxdepth);
	if (g->mindepth > 0)
		mp_pack_kv_int(pk, "min_depth", g->mindepth);
	if (g->empty)
		mp_pack_kv_bool(pk, "empty", 1);
	pathlong_init(&st.pl, NULL, 0);
	if (g->dictkey != NULL)
		st.tree = yamltree_new(g->dictkey);
	ctl_call(c, tree_item, &st);
	pathlong_free(&st.pl);
	client_close(c);
	if (st.bad)
		ctl_fail("moatctl: bad path in the server's reply");
	if (st.tree != NULL) {
		/* the original drops empty markers when a depth is given */
		if (g->maxgiven && g->maxdepth > 0)
			yamltree_simplex(st.tree);
		rc = yamltree_print(st.tree, stdout);
		yamltree_free(st.tree);
		if (rc == -1)
			ctl_fail("moatctl: cannot print the tree");
	}
	return 0;
}

static int
data_get(const struct dpath *p, int argc, char **argv)
{
	struct getopts	 g = { .maxdepth = -1 };

	get_opts("get", argc, argv, &g, "+:Dd:em:M:Rr");
	if (g.raw && g.recursive)
		data_usage_fail("get", "-R prints one value, not with -r");
	return run_get(p, &g);
}

static int
data_list(const struct dpath *p, int argc, char **argv)
{
	struct getopts	 g = { .maxdepth = 1, .mindepth = 1, .maxgiven = 1 };

	get_opts("list", argc, argv, &g, "+:d:m:M:");
	g.recursive = g.empty = g.list = 1;
	return run_get(p, &g);
}
