/*
 * msg.c - "moatctl msg send|monitor" and "moatctl dump msg": messages
 * through the server's MQTT broker, by way of the server's msg_send
 * and msg_monitor (moatctl needs no broker connection of its own).
 *
 * Topics are path text ("foo.bar" is the MQTT topic foo/bar; a first
 * element ":" or ":name" stands for kv.server.root, as the server maps
 * it).  monitor and dump msg print one YAML document per message
 * (followed by "---", flushed) until the server ends the stream or the
 * process is killed:
 *
 *   msg monitor   {topic: !P levels, data: value} (or raw, + error)
 *   dump msg      the decoded message, a map (others as _data), with
 *                 _topic and _timestamp added, as the original's
 *                 "dump msg"; undecodable ones as _raw and _error
 */
#include <sys/time.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/data.h"
#include "cli/moatctl.h"
#include "cli/yamlout.h"
#include "lib/literal.h"
#include "lib/mp.h"

#define MSG_USAGE \
	"usage: moatctl msg send [-e | -r] topic data\n" \
	"       moatctl msg monitor [-r] topic\n" \
	"  topic  path text: foo.bar is foo/bar; a first \":\" element is\n" \
	"         kv.server.root; + and # are MQTT wildcards (monitor)\n" \
	"  -e     data is a Python literal (default: a string)\n" \
	"  -r     send: data as raw bytes; monitor: do not decode\n"

#define DUMP_USAGE \
	"usage: moatctl dump msg [topic]\n" \
	"  the broker's messages as YAML: default all server messages\n" \
	"  (kv.server.root/#); +NAME: kv.server.root/NAME; + the same\n" \
	"  as none; else topic is path text as for msg monitor\n"

static void
usage_fail(const char *text)
{
	fputs(text, stderr);
	ctl_fail("moatctl: wrong arguments");
}

/* The topic as a path: the first element ":" etc. stay for the server. */
static void
pack_topic(msgpack_packer *pk, const char *text)
{
	struct mpbuf	 path;

	mpbuf_init(&path);
	if (text[0] == ':' && (text[1] == '\0' || text[1] == '.')) {
		/* ":" alone or ":.rest": the root element, then the rest */
		msgpack_packer	 ppk;

		msgpack_packer_init(&ppk, &path, mpbuf_write);
		mp_pack_str(&ppk, ":");
		if (text[1] == '.') {
			struct mpbuf	 rest;

			mpbuf_init(&rest);
			ctl_path(text + 2, &rest);
			mpbuf_add(&path, rest.data, rest.len);
			mpbuf_free(&rest);
		}
	} else
		ctl_path(text, &path);
	mp_pack_str(pk, "topic");
	mp_pack_path(pk, path.data, path.len);
	mpbuf_free(&path);
}

static int
msg_send(int argc, char **argv)
{
	struct client	*c;
	msgpack_packer	*pk, vpk;
	struct mpbuf	 v;
	char		 err[512];
	int		 ch, eval = 0, raw = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "er")) != -1) {
		if (ch == 'e')
			eval = 1;
		else if (ch == 'r')
			raw = 1;
		else
			usage_fail(MSG_USAGE);
	}
	if (argc - optind != 2 || (eval && raw))
		usage_fail(MSG_USAGE);
	mpbuf_init(&v);
	msgpack_packer_init(&vpk, &v, mpbuf_write);
	if (raw) {
		msgpack_pack_bin(&vpk, strlen(argv[optind + 1]));
		msgpack_pack_bin_body(&vpk, argv[optind + 1],
		    strlen(argv[optind + 1]));
	} else if (!eval)
		mp_pack_str(&vpk, argv[optind + 1]);
	else if (literal_eval(argv[optind + 1], &vpk, err, sizeof(err)) == -1)
		ctl_fail("moatctl: %s: %s", argv[optind + 1], err);
	c = ctl_connect();
	pk = client_begin(c, "msg_send", 2);
	pack_topic(pk, argv[optind]);
	mp_pack_str(pk, raw ? "raw" : "data");
	msgpack_pack_bin_body(pk, v.data, v.len);
	ctl_call(c, NULL, NULL);
	client_close(c);
	mpbuf_free(&v);
	return 0;
}

static int
is_key(const msgpack_object_kv *kv, const char *s)
{
	return kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size ==
	    strlen(s) && memcmp(kv->key.via.str.ptr, s, strlen(s)) == 0;
}

/* The reply's topic (a list of levels) as a path. */
static void
pack_levels(msgpack_packer *pk, const msgpack_object *t)
{
	struct mpbuf	 p;
	msgpack_packer	 ppk;
	uint32_t	 i;

	mpbuf_init(&p);
	msgpack_packer_init(&ppk, &p, mpbuf_write);
	for (i = 0; t && t->type == MSGPACK_OBJECT_ARRAY &&
	    i < t->via.array.size; i++)
		msgpack_pack_object(&ppk, t->via.array.ptr[i]);
	mp_pack_path(pk, p.data, p.len);
	mpbuf_free(&p);
}

static void
print_packed(const struct mpbuf *b)
{
	msgpack_unpacked u;

	msgpack_unpacked_init(&u);
	if (yamlout_doc(stdout, data_unpack(&u, b)) == -1)
		ctl_fail("moatctl: cannot print a message");
	msgpack_unpacked_destroy(&u);
	fflush(stdout);
}

/* Protocol fields a printed item leaves out. */
static int
skipped(const msgpack_object_kv *kv)
{
	return is_key(kv, "seq") || is_key(kv, "wseq") || is_key(kv, "tock");
}

/* msg monitor: the item without seq, wseq and tock; topic as a path. */
static void
print_item(const msgpack_object *o)
{
	const msgpack_object_kv *kv;
	struct mpbuf	 b;
	msgpack_packer	 pk;
	uint32_t	 i, n = 0;

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	for (i = 0; i < o->via.map.size; i++)
		n += !skipped(&o->via.map.ptr[i]);
	msgpack_pack_map(&pk, n);
	for (i = 0; i < o->via.map.size; i++) {
		kv = &o->via.map.ptr[i];
		if (skipped(kv))
			continue;
		msgpack_pack_object(&pk, kv->key);
		if (is_key(kv, "topic"))
			pack_levels(&pk, &kv->val);
		else
			msgpack_pack_object(&pk, kv->val);
	}
	print_packed(&b);
	mpbuf_free(&b);
}

/* dump msg: the decoded message with _topic and _timestamp. */
static void
print_dumped(const msgpack_object *o)
{
	const msgpack_object *data = mp_map_get(o, "data");
	struct mpbuf	 b;
	msgpack_packer	 pk;
	struct timeval	 tv;
	struct tm	 tm;
	char		 ts[64];
	uint32_t	 i, n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ld",
	    (long)(tv.tv_usec / 1000));
	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	if (data != NULL && data->type == MSGPACK_OBJECT_MAP) {
		msgpack_pack_map(&pk, data->via.map.size + 2);
		for (i = 0; i < data->via.map.size; i++) {
			msgpack_pack_object(&pk, data->via.map.ptr[i].key);
			msgpack_pack_object(&pk, data->via.map.ptr[i].val);
		}
	} else if (data != NULL) {
		msgpack_pack_map(&pk, 3);
		mp_pack_str(&pk, "_data");
		msgpack_pack_object(&pk, *data);
	} else {
		n = (mp_map_get(o, "raw") != NULL) +
		    (mp_map_get(o, "error") != NULL);
		msgpack_pack_map(&pk, n + 2);
		if (mp_map_get(o, "raw")) {
			mp_pack_str(&pk, "_raw");
			msgpack_pack_object(&pk, *mp_map_get(o, "raw"));
		}
		if (mp_map_get(o, "error")) {
			mp_pack_str(&pk, "_error");
			msgpack_pack_object(&pk, *mp_map_get(o, "error"));
		}
	}
	mp_pack_str(&pk, "_topic");
	pack_levels(&pk, mp_map_get(o, "topic"));
	mp_pack_kv_str(&pk, "_timestamp", ts);
	print_packed(&b);
	mpbuf_free(&b);
}

static int
run_monitor(const char *topic, int raw, void (*print)(const msgpack_object *))
{
	struct client	*c;
	msgpack_packer	*pk;
	const msgpack_object *o;
	char		 err[512];
	int		 rc;

	c = ctl_connect();
	pk = client_begin(c, "msg_monitor", 2);
	pack_topic(pk, topic);
	mp_pack_kv_bool(pk, "raw", raw);
	if (client_send(c, err, sizeof(err)) == -1)
		ctl_fail("moatctl: %s", err);
	while ((rc = client_next(c, &o, err, sizeof(err))) != CLIENT_END) {
		if (rc == -1)
			ctl_fail("moatctl: %s", err);
		/* a message that did not decode is an item with an error */
		if (rc == CLIENT_ERROR && mp_map_get(o, "topic") == NULL)
			ctl_server_fail(err);
		if (rc == CLIENT_ERROR)
			rc = CLIENT_ITEM;
		if (rc == CLIENT_ITEM && o->type == MSGPACK_OBJECT_MAP)
			print(o);
	}
	client_close(c);
	return 0;
}

static int
msg_monitor(int argc, char **argv)
{
	int	 ch, raw = 0;

	optind = 1;
	while ((ch = getopt(argc, argv, "r")) != -1) {
		if (ch != 'r')
			usage_fail(MSG_USAGE);
		raw = 1;
	}
	if (argc - optind != 1)
		usage_fail(MSG_USAGE);
	return run_monitor(argv[optind], raw, print_item);
}

int
dump_msg(int argc, char **argv)
{
	char	 topic[512];

	if (ctl_wants_help(argc, argv)) {
		fputs(DUMP_USAGE, stdout);
		return 0;
	}
	if (argc > 2)
		usage_fail(DUMP_USAGE);
	if (argc < 2 || strcmp(argv[1], "+") == 0)
		return run_monitor(":.#", 0, print_dumped);
	if (argv[1][0] == '+') {
		snprintf(topic, sizeof(topic), ":.%s", argv[1] + 1);
		return run_monitor(topic, 0, print_dumped);
	}
	return run_monitor(argv[1], 0, print_dumped);
}

static const struct command msg_cmds[] = {
	{ "send", msg_send, "send a message to a topic" },
	{ "monitor", msg_monitor, "print the messages on a topic" },
	{ NULL, NULL, NULL }
};

int
cmd_msg(int argc, char **argv)
{
	if (argc < 2 || ctl_wants_help(argc, argv)) {
		fputs(MSG_USAGE, argc < 2 ? stderr : stdout);
		return argc < 2;
	}
	if (ctl_wants_help(argc - 1, argv + 1)) {
		fputs(MSG_USAGE, stdout);
		return 0;
	}
	return ctl_subcommand(msg_cmds, argc - 1, argv + 1, "msg");
}
