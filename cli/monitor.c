/*
 * monitor.c - "moatctl data PATH monitor" and "... update".
 *
 * monitor runs a watch on PATH and prints every change as one YAML
 * record: the server's item with the full path (a Path) and without
 * the protocol's seq/wseq/depth, followed by "---" and flushed.  Once
 * the output is live (at once, or with -s after the current subtree
 * and its "state: uptodate" record) each record also gets the local
 * time, as "time" (seconds) and "_time" (text).  -o and -p print one
 * plain line per change instead.  It runs until the server ends the
 * watch or the process is killed.
 *
 * update reads YAML records with a `path' (relative to PATH) and a
 * `value' and sets each entry; a record without a value deletes it,
 * one without a path (a state record) is skipped.  So monitor's output
 * of one tree can be replayed into another.
 */
#include <sys/time.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/client.h"
#include "cli/data.h"
#include "cli/moatctl.h"
#include "lib/pathlong.h"
#include "cli/yamlin.h"
#include "cli/yamlout.h"
#include "lib/pathfmt.h"

#define IGNORE_MAX	64

struct monitor {
	int		 state, only, pathonly, live, seen;
	struct mpbuf	 ignore[IGNORE_MAX];
	int		 nignore;
	struct pathlong	 pl;
};

static int
is_key(const msgpack_object *k, const char *s)
{
	return k != NULL && k->type == MSGPACK_OBJECT_STR && k->via.str.size ==
	    strlen(s) && memcmp(k->via.str.ptr, s, k->via.str.size) == 0;
}

/* Print the record o, with the full path if it has one (mp). */
static void
print_record(const struct monitor *m, const msgpack_object *o,
    enum meta_path mp, const uint8_t *path, size_t plen)
{
	struct mpbuf	 b;
	msgpack_packer	 pk;
	msgpack_unpacked u;
	struct timeval	 tv;
	struct tm	 tm;
	char		 ts[64];

	mpbuf_init(&b);
	msgpack_packer_init(&pk, &b, mpbuf_write);
	data_pack_meta(&pk, o, mp, path, plen, m->live ? 2 : 0);
	if (m->live) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03ld",
		    (long)(tv.tv_usec / 1000));
		mp_pack_str(&pk, "time");
		msgpack_pack_double(&pk, tv.tv_sec + tv.tv_usec / 1e6);
		mp_pack_kv_str(&pk, "_time", ts);
	}
	msgpack_unpacked_init(&u);
	if (yamlout_doc(stdout, data_unpack(&u, &b)) == -1)
		ctl_fail("moatctl: cannot print a record");
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
}

/* rel (relative to PATH) is in an ignored subtree. */
static int
ignored(const struct monitor *m, const uint8_t *rel, size_t len)
{
	int	 i;

	/* elements are self-delimiting: a byte prefix is a path prefix */
	for (i = 0; i < m->nignore; i++)
		if (m->ignore[i].len <= len && (m->ignore[i].len == 0 ||
		    memcmp(rel, m->ignore[i].data, m->ignore[i].len) == 0))
			return 1;
	return 0;
}

static void
monitor_item(struct monitor *m, const struct dpath *p,
    const msgpack_object *o)
{
	const msgpack_object *v = mp_map_get(o, "value");
	msgpack_unpacked u;
	struct mpbuf	 b;
	const uint8_t	*path;
	const char	*why;
	size_t		 len, base = m->pathonly ? 0 : p->packed.len;
	char		*text;

	if (pathlong_next(&m->pl, o, &path, &len, &why) != 1)
		ctl_fail("moatctl: bad path in the server's reply: %s", why);
	if (ignored(m, path + base, len - base))
		return;
	if (!m->only && !m->pathonly) {
		print_record(m, o, META_SET, path, len);
		m->seen = 1;
		return;
	}
	if (v == NULL)
		return;		/* deleted */
	if (m->pathonly) {
		if ((text = pathfmt_format(path, len)) == NULL)
			ctl_fail("moatctl: bad path in the server's reply");
		printf("%s ", text);
		free(text);
	}
	mpbuf_init(&b);
	msgpack_unpacked_init(&u);
	data_print_str(stdout, data_value(v, &u, &b));
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&b);
	fflush(stdout);
	m->seen = 1;
}

static void
monitor_opts(const struct dpath *p, int argc, char **argv,
    struct monitor *m)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "state", no_argument, NULL, 's' },
		{ "only", no_argument, NULL, 'o' },
		{ "path-only", no_argument, NULL, 'p' },
		{ "ignore", required_argument, NULL, 'i' },
		{ "add-date", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	struct mpbuf	 ig;
	int		 ch;

	while ((ch = getopt_long(argc, argv, "+:Di:ops", lo, NULL)) != -1) {
		switch (ch) {
		case 'D':
			data_add_dates = 1;
			break;
		case 'i':
			if (m->nignore == IGNORE_MAX)
				data_usage_fail("monitor", "too many -i");
			mpbuf_init(&ig);
			ctl_path(optarg, &ig);
			m->ignore[m->nignore++] = ig;
			break;
		case 'o':
			m->only = 1;
			break;
		case 'p':
			m->pathonly = 1;
			break;
		case 's':
			m->state = 1;
			break;
		default:
			data_bad_option("monitor", argv, ch);
		}
	}
	if (optind != argc)
		data_usage_fail("monitor", "unexpected argument '%s'",
		    argv[optind]);
	if (m->only && m->pathonly)
		data_usage_fail("monitor", "-o and -p are mutually exclusive");
}

int
data_monitor(const struct dpath *p, int argc, char **argv)
{
	struct monitor	 m;
	struct client	*c;
	msgpack_packer	*pk;
	const msgpack_object *o;
	char		 err[512];
	int		 rc, i;

	memset(&m, 0, sizeof(m));
	monitor_opts(p, argc, argv, &m);
	/* without -s every record is live */
	m.live = !m.state;
	c = ctl_connect();
	pk = client_begin(c, "watch", 3 + m.only);
	mp_pack_str(pk, "path");
	mp_pack_path(pk, p->packed.data, p->packed.len);
	mp_pack_kv_bool(pk, "fetch", m.state);
	mp_pack_kv_int(pk, "nchain", ctl.meta ? 3 : 0);
	if (m.only)
		mp_pack_kv_int(pk, "max_depth", 0);
	pathlong_init(&m.pl, m.pathonly ? NULL : p->packed.data,
	    m.pathonly ? 0 : p->packed.len);
	if (client_send(c, err, sizeof(err)) == -1)
		ctl_fail("moatctl: %s", err);
	while ((rc = client_next(c, &o, err, sizeof(err))) != CLIENT_END) {
		switch (rc) {
		case -1:
			ctl_fail("moatctl: %s", err);
		case CLIENT_ERROR:
			ctl_server_fail(err);
		case CLIENT_STATE:
			if (!is_key(mp_map_get(o, "state"), "uptodate"))
				break;
			/* the current state is complete */
			if (m.only && !m.seen)
				goto done;	/* there is no value */
			m.live = 1;
			if (!m.only && !m.pathonly)
				print_record(&m, o, META_KEEP, NULL, 0);
			break;
		case CLIENT_ITEM:
			monitor_item(&m, p, o);
			break;
		}
	}
done:
	client_close(c);
	pathlong_free(&m.pl);
	for (i = 0; i < m.nignore; i++)
		mpbuf_free(&m.ignore[i]);
	return 0;
}

/* ---- update ---- */

/* One record: set or delete PATH + its path. */
static void
update_one(struct client *c, const struct dpath *p, const msgpack_object *r,
    int lineno)
{
	const msgpack_object *rp = mp_map_get(r, "path");
	const msgpack_object *v = mp_map_get(r, "value");
	struct mpbuf	 full, rel;
	msgpack_packer	*pk;
	const char	*why;
	char		*text;

	if (rp == NULL)
		return;
	mpbuf_init(&rel);
	if (rp->type == MSGPACK_OBJECT_STR) {
		/* path text, as a person would write it */
		if ((text = mp_strdup(rp)) == NULL)
			ctl_fail("moatctl: record at line %d: bad path",
			    lineno);
		ctl_path(text, &rel);
		free(text);
	} else if (mp_path_from_obj(rp, &rel, &why) == -1)
		ctl_fail("moatctl: record at line %d: bad path: %s", lineno,
		    why);
	mpbuf_init(&full);
	mpbuf_add(&full, p->packed.data, p->packed.len);
	mpbuf_add(&full, rel.data, rel.len);
	pk = client_begin(c, v ? "set_value" : "delete_value", 2 + (v != 0));
	mp_pack_str(pk, "path");
	mp_pack_path(pk, full.data, full.len);
	mp_pack_kv_int(pk, "nchain", 0);
	if (v != NULL) {
		mp_pack_str(pk, "value");
		msgpack_pack_object(pk, *v);
	}
	ctl_call(c, NULL, NULL);
	mpbuf_free(&full);
	mpbuf_free(&rel);
}

int
data_update(const struct dpath *p, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "infile", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 }
	};
	struct yamlin	*yi;
	struct client	*c;
	struct mpbuf	 doc;
	msgpack_unpacked u;
	FILE		*f = stdin;
	const char	*file = NULL;
	char		 err[512];
	int		 ch, rc, line;

	while ((ch = getopt_long(argc, argv, "+:i:", lo, NULL)) != -1) {
		if (ch != 'i')
			data_bad_option("update", argv, ch);
		file = optarg;
	}
	if (optind != argc)
		data_usage_fail("update", "unexpected argument '%s'",
		    argv[optind]);
	if (file != NULL && (f = fopen(file, "r")) == NULL)
		ctl_fail("moatctl: %s: %s", file, strerror(errno));
	yi = yamlin_open(f);
	c = ctl_connect();
	mpbuf_init(&doc);
	msgpack_unpacked_init(&u);
	while ((rc = yamlin_next(yi, &doc, &line, err, sizeof(err))) == 1) {
		if (data_unpack(&u, &doc)->type == MSGPACK_OBJECT_MAP)
			update_one(c, p, &u.data, line);
	}
	if (rc == -1)
		ctl_fail("moatctl: %s: %s", file ? file : "stdin", err);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&doc);
	client_close(c);
	yamlin_close(yi);
	if (f != stdin)
		fclose(f);
	return 0;
}
