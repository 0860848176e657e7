/*
 * nodes.c - `moatctl internal deleter', `mark' and `kill': the other
 * servers' bookkeeping.
 *
 * deleter edits the deleter list, the entry (None, "actor", "del") =
 * {nodes: [...]}, with get_internal and set_internal (the chain of the
 * read guards the write, so two admins cannot lose each other's edit)
 * and prints the entry as YAML, as the original does.  mark fakes an
 * info message (fake_info, with -b also fake_info_send) that marks
 * ticks as superseded or deleted, and prints that part of the state.
 * kill asks the server to drop a node no entry refers to any more.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/internal.h"
#include "cli/moatctl.h"
#include "lib/mp.h"

#define DEL_MAX		256	/* names on the list */

static const char deleter_usage[] =
    "usage: moatctl internal deleter [list]\n"
    "       moatctl internal deleter add NODE...\n"
    "       moatctl internal deleter delete [NODE...]\n"
    "       moatctl internal deleter [-d] [NODE...]\n"
    "show or change the deleter list: the servers that must all be online\n"
    "before deleted entries are purged (every server with persistent\n"
    "storage, and one in every network); delete without names empties it\n";
static const char mark_usage[] =
    "usage: moatctl internal mark [-bd] [-n SOURCE] NODE [TICK...]\n"
    "mark NODE's ticks as superseded (with -d: deleted) on the server; no\n"
    "ticks: those the server misses (NODE \"\": of every node)\n"
    "  -d         mark as deleted, not superseded\n"
    "  -b         also send it to all servers\n"
    "  -n SOURCE  the node the message looks as if it came from (\"?\")\n"
    "This is a dangerous command.\n";
static const char kill_usage[] = "usage: moatctl internal kill NODE\n"
    "drop NODE from the server's node list (and all servers'): it must\n"
    "have no entries left\n";

/* --- deleter ---------------------------------------------------------- */

struct dlist {
	char		*name[DEL_MAX];
	unsigned	 n;
	struct mpbuf	 chain;		/* packed, or empty: no entry */
	struct mpbuf	 reply;		/* the last reply, packed */
};

static void
dl_add(struct dlist *d, const char *s, size_t len)
{
	unsigned	 i;

	for (i = 0; i < d->n; i++)
		if (strlen(d->name[i]) == len && memcmp(d->name[i], s, len) == 0)
			return;
	if (d->n == DEL_MAX)
		ctl_fail("moatctl: more than %d deleters", DEL_MAX);
	if ((d->name[d->n] = strndup(s, len)) == NULL)
		ctl_fail("moatctl: out of memory");
	d->n++;
}

static void
dl_remove(struct dlist *d, const char *s)
{
	unsigned	 i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->name[i], s) == 0) {
			free(d->name[i]);
			memmove(&d->name[i], &d->name[i + 1],
			    (d->n - i - 1) * sizeof(d->name[0]));
			d->n--;
			return;
		}
}

static void
keep_reply(struct dlist *d, const msgpack_object *o)
{
	msgpack_packer	 pk;

	mpbuf_reset(&d->reply);
	msgpack_packer_init(&pk, &d->reply, mpbuf_write);
	msgpack_pack_object(&pk, *o);
}

/* The current list, from {nodes: [...]} or (older) a bare list. */
static int
got_list(const msgpack_object *o, void *arg)
{
	struct dlist	*d = arg;
	const msgpack_object *v = mp_map_get(o, "value"), *ch;
	msgpack_packer	 pk;
	const char	*s;
	size_t		 len;
	uint32_t	 i;

	keep_reply(d, o);
	if ((ch = mp_map_get(o, "chain")) != NULL &&
	    ch->type != MSGPACK_OBJECT_NIL) {
		msgpack_packer_init(&pk, &d->chain, mpbuf_write);
		msgpack_pack_object(&pk, *ch);
	}
	if (v != NULL && v->type == MSGPACK_OBJECT_MAP)
		v = mp_map_get(v, "nodes");
	for (i = 0; v && v->type == MSGPACK_OBJECT_ARRAY &&
	    i < v->via.array.size; i++)
		if (mp_get_str(&v->via.array.ptr[i], &s, &len) == 0)
			dl_add(d, s, len);
	return 0;
}

static int
got_set(const msgpack_object *o, void *arg)
{
	keep_reply(arg, o);
	return 0;
}

static void
pack_del_path(msgpack_packer *pk)
{
	mp_pack_str(pk, "path");
	mp_pack_path(pk, (const uint8_t *)"\xa5" "actor" "\xa3" "del", 10);
}

static void
pack_value(msgpack_packer *pk, const struct dlist *d)
{
	unsigned	 i;

	msgpack_pack_map(pk, 1);
	mp_pack_str(pk, "nodes");
	msgpack_pack_array(pk, d->n);
	for (i = 0; i < d->n; i++)
		mp_pack_str(pk, d->name[i]);
}

/* The set reply with the new value in it, as the original prints it. */
static void
print_set(const struct dlist *d)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	const msgpack_object *o;
	size_t		 off = 0;
	uint32_t	 i, n = 1;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)d->reply.data, d->reply.len,
	    &off) != MSGPACK_UNPACK_SUCCESS || u.data.type != MSGPACK_OBJECT_MAP)
		ctl_fail("moatctl: unexpected reply");
	o = &u.data;
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	for (i = 0; i < o->via.map.size; i++)
		n += !is_key(&o->via.map.ptr[i].key, "value");
	msgpack_pack_map(&pk, n);
	for (i = 0; i < o->via.map.size; i++) {
		if (is_key(&o->via.map.ptr[i].key, "value"))
			continue;
		msgpack_pack_object(&pk, o->via.map.ptr[i].key);
		msgpack_pack_object(&pk, o->via.map.ptr[i].val);
	}
	mp_pack_str(&pk, "value");
	pack_value(&pk, d);
	msgpack_unpacked_destroy(&u);
	off = 0;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)b.data, b.len, &off) !=
	    MSGPACK_UNPACK_SUCCESS)
		ctl_fail("moatctl: cannot print the reply");
	internal_print(&u.data, NULL);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
}

int
internal_deleter(int argc, char **argv)
{
	struct client	*c;
	struct dlist	 d;
	msgpack_packer	*pk;
	const char	*verb = "list";
	int		 ch, i, first;

	if (ctl_wants_help(argc, argv)) {
		fputs(deleter_usage, stdout);
		exit(0);
	}
	optind = 0;
	while ((ch = getopt(argc, argv, "+d")) != -1) {
		if (ch != 'd') {
			fputs(deleter_usage, stderr);
			exit(1);
		}
		verb = "delete";
	}
	first = optind;
	if (first < argc && (strcmp(argv[first], "list") == 0 ||
	    strcmp(argv[first], "add") == 0 ||
	    strcmp(argv[first], "delete") == 0) && strcmp(verb, "list") == 0)
		verb = argv[first++];
	else if (first < argc && strcmp(verb, "list") == 0)
		verb = "add";		/* the original's `deleter NODE...' */
	if ((strcmp(verb, "list") == 0 && first != argc) ||
	    (strcmp(verb, "add") == 0 && first == argc)) {
		fputs(deleter_usage, stderr);
		exit(1);
	}
	memset(&d, 0, sizeof(d));
	mpbuf_init(&d.chain);
	mpbuf_init(&d.reply);
	c = ctl_connect();
	pk = client_begin(c, "get_internal", 2);
	pack_del_path(pk);
	mp_pack_kv_int(pk, "nchain", strcmp(verb, "list") == 0 ? 2 : 3);
	ctl_call(c, got_list, &d);
	if (strcmp(verb, "list") == 0) {
		print_reply(&d.reply);
		goto done;
	}
	if (strcmp(verb, "delete") == 0 && first == argc)
		while (d.n > 0)
			dl_remove(&d, d.name[d.n - 1]);
	for (i = first; i < argc; i++) {
		if (*argv[i] == '\0')
			ctl_fail("moatctl: empty node name");
		if (strcmp(verb, "add") == 0)
			dl_add(&d, argv[i], strlen(argv[i]));
		else
			dl_remove(&d, argv[i]);
	}
	pk = client_begin(c, "set_internal", 4);
	pack_del_path(pk);
	mp_pack_str(pk, "value");
	pack_value(pk, &d);
	mp_pack_str(pk, "chain");
	if (d.chain.len > 0)
		pk->callback(pk->data, (const char *)d.chain.data, d.chain.len);
	else
		msgpack_pack_nil(pk);
	mp_pack_kv_int(pk, "nchain", 3);
	ctl_call(c, got_set, &d);
	print_set(&d);
done:
	client_close(c);
	while (d.n > 0)
		dl_remove(&d, d.name[d.n - 1]);
	mpbuf_free(&d.chain);
	mpbuf_free(&d.reply);
	return 0;
}

/* --- mark ------------------------------------------------------------- */

struct missing {
	struct mpbuf	 set;		/* packed {node: ranges} */
	const char	*node;		/* "" = every node */
};

/* The server's missing ticks: all, or NODE's. */
static int
got_missing(const msgpack_object *o, void *arg)
{
	struct missing	*m = arg;
	const msgpack_object *all = mp_map_get(o, "missing"), *r;
	msgpack_packer	 pk;

	if (all == NULL || all->type != MSGPACK_OBJECT_MAP)
		ctl_fail("moatctl: unexpected reply");
	msgpack_packer_init(&pk, &m->set, mpbuf_write);
	if (*m->node == '\0') {
		msgpack_pack_object(&pk, *all);
		return 0;
	}
	msgpack_pack_map(&pk, 1);
	mp_pack_str(&pk, m->node);
	if ((r = mp_map_get(all, m->node)) != NULL)
		msgpack_pack_object(&pk, *r);
	else
		msgpack_pack_array(&pk, 0);
	return 0;
}

static void
send_mark(struct client *c, const char *action, const char *key,
    const char *source, const struct mpbuf *set)
{
	msgpack_packer	*pk = client_begin(c, action, 2);

	mp_pack_str(pk, key);
	pk->callback(pk->data, (const char *)set->data, set->len);
	mp_pack_kv_str(pk, "node", source);
	ctl_call(c, NULL, NULL);
}

int
internal_mark(int argc, char **argv)
{
	struct client	*c;
	struct missing	 m;
	msgpack_packer	 spk, *pk;
	const char	*source = "?", *key = "superseded";
	int		 ch, bcast = 0, i;

	if (ctl_wants_help(argc, argv)) {
		fputs(mark_usage, stdout);
		exit(0);
	}
	optind = 0;
	while ((ch = getopt(argc, argv, "+bdn:")) != -1) {
		if (ch == 'b')
			bcast = 1;
		else if (ch == 'd')
			key = "deleted";
		else if (ch == 'n')
			source = optarg;
		else {
			fputs(mark_usage, stderr);
			exit(1);
		}
	}
	if (optind >= argc) {
		fputs(mark_usage, stderr);
		exit(1);
	}
	memset(&m, 0, sizeof(m));
	mpbuf_init(&m.set);
	m.node = argv[optind];
	if (optind + 1 < argc && *m.node == '\0')
		ctl_fail("moatctl: you can't do that with an empty node");
	c = ctl_connect();
	if (optind + 1 == argc) {
		pk = client_begin(c, "get_state", 1);
		mp_pack_kv_bool(pk, "missing", 1);
		ctl_call(c, got_missing, &m);
	} else {
		msgpack_packer_init(&spk, &m.set, mpbuf_write);
		msgpack_pack_map(&spk, 1);
		mp_pack_str(&spk, m.node);
		msgpack_pack_array(&spk, argc - optind - 1);
		for (i = optind + 1; i < argc; i++)
			msgpack_pack_uint64(&spk, (uint64_t)ctl_number(argv[i],
			    "tick", 1, INT64_MAX));
	}
	send_mark(c, "fake_info", key, source, &m.set);
	if (bcast)
		send_mark(c, "fake_info_send", key, source, &m.set);
	pk = client_begin(c, "get_state", 1);
	mp_pack_kv_bool(pk, key, 1);
	ctl_call(c, internal_print, NULL);
	client_close(c);
	mpbuf_free(&m.set);
	return 0;
}

/* --- kill ------------------------------------------------------------- */

int
internal_kill(int argc, char **argv)
{
	struct client	*c;
	msgpack_packer	*pk;

	if (ctl_wants_help(argc, argv)) {
		fputs(kill_usage, stdout);
		exit(0);
	}
	if (argc != 2) {
		fputs(kill_usage, stderr);
		exit(1);
	}
	c = ctl_connect();
	pk = client_begin(c, "kill_node", 1);
	mp_pack_kv_str(pk, "node", argv[1]);
	ctl_call(c, ctl.meta ? internal_print : NULL, NULL);
	client_close(c);
	return 0;
}
