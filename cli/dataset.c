/*
 * dataset.c - "moatctl data PATH set" and "... delete".
 *
 * set reads the entry first (get_value with its chain), builds the new
 * value from the old one and the -v/-e/-p changes (cli/attrset.h), and
 * writes it with the chain it read, so a change that arrives in between
 * makes the write fail instead of being lost.  -n and -l replace that
 * chain: nil ("must be new") or the given link.  Options taking two
 * arguments (-v SUB VALUE) take the second from the next word, so a
 * value may start with '-'.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/attrset.h"
#include "cli/client.h"
#include "cli/data.h"
#include "cli/moatctl.h"
#include "lib/literal.h"

#define SET_OPS_MAX	256

struct readback {
	struct mpbuf	 value;		/* packed, if has_value */
	struct mpbuf	 chain;		/* packed chain, or empty */
	int		 has_value;
};

/* The get_value reply: keep value and chain, they die with the zone. */
static int
keep_entry(const msgpack_object *o, void *arg)
{
	struct readback	*rb = arg;
	const msgpack_object *v = mp_map_get(o, "value");
	const msgpack_object *ch = mp_map_get(o, "chain");
	msgpack_packer	 pk;

	if (v != NULL) {
		rb->has_value = 1;
		msgpack_packer_init(&pk, &rb->value, mpbuf_write);
		msgpack_pack_object(&pk, *v);
	}
	if (ch != NULL && ch->type == MSGPACK_OBJECT_MAP) {
		msgpack_packer_init(&pk, &rb->chain, mpbuf_write);
		msgpack_pack_object(&pk, *ch);
	}
	return 0;
}

static void
read_entry(struct client *c, const struct dpath *p, struct readback *rb)
{
	msgpack_packer	*pk;

	pk = client_begin(c, "get_value", 2);
	mp_pack_str(pk, "path");
	mp_pack_path(pk, p->packed.data, p->packed.len);
	mp_pack_kv_int(pk, "nchain", 2);
	ctl_call(c, keep_entry, rb);
}

/* -m: the reply of set or delete, as YAML. */
static int
print_reply(const msgpack_object *o, void *arg)
{
	data_print_meta(o);
	return 0;
}

/* Two-word option: the second word follows optarg. */
static const char *
second_arg(const char *sub, int argc, char **argv, int opt)
{
	if (optind >= argc)
		data_usage_fail(sub, "-%c needs two arguments", opt);
	return argv[optind++];
}

struct setargs {
	struct attr_op	 ops[SET_OPS_MAX];
	size_t		 nops;
	const char	*last_node, *last_tick, *prev;
	int		 new;
};

static void
set_opts(int argc, char **argv, struct setargs *a)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "last", required_argument, NULL, 'l' },
		{ "new", no_argument, NULL, 'n' },
		{ "prev", required_argument, NULL, 'P' },
		{ "var", required_argument, NULL, 'v' },
		{ "eval", required_argument, NULL, 'e' },
		{ "path", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	int		 ch;

	while ((ch = getopt_long(argc, argv, "+:e:l:np:v:", lo, NULL)) != -1) {
		switch (ch) {
		case 'e':
		case 'p':
		case 'v':
			if (a->nops == SET_OPS_MAX)
				data_usage_fail("set", "too many changes");
			a->ops[a->nops].kind = ch == 'v' ? ATTR_STR :
			    ch == 'e' ? ATTR_EVAL : ATTR_PATH;
			a->ops[a->nops].subpath = optarg;
			a->ops[a->nops++].value = second_arg("set", argc, argv,
			    ch);
			break;
		case 'l':
			a->last_node = optarg;
			a->last_tick = second_arg("set", argc, argv, ch);
			break;
		case 'n':
			a->new = 1;
			break;
		case 'P':
			a->prev = optarg;
			break;
		default:
			data_bad_option("set", argv, ch);
		}
	}
	if (optind != argc)
		data_usage_fail("set", "unexpected argument '%s'",
		    argv[optind]);
	if (a->nops == 0)
		data_usage_fail("set", "nothing to set: use -v, -e or -p");
	if (a->new && a->last_node)
		data_usage_fail("set", "-n and -l are mutually exclusive");
}

/*
 * The request's chain: -l, -n, or what we read (nil for "no value").
 * A value read without a chain leaves the write unconditional.
 */
static int
has_chain(const struct setargs *a, const struct readback *rb)
{
	return a->last_node || a->new || !rb->has_value || rb->chain.len > 0;
}

static void
pack_chain(msgpack_packer *pk, const struct setargs *a,
    const struct readback *rb)
{
	if (!has_chain(a, rb))
		return;
	mp_pack_str(pk, "chain");
	if (a->last_node)
		data_pack_last(pk, a->last_node, a->last_tick);
	else if (a->new || !rb->has_value)
		msgpack_pack_nil(pk);
	else
		msgpack_pack_bin_body(pk, rb->chain.data, rb->chain.len);
}

int
data_set(const struct dpath *p, int argc, char **argv)
{
	struct setargs	 a;
	struct readback	 rb;
	struct client	*c;
	msgpack_unpacked u;
	msgpack_packer	*pk;
	struct mpbuf	 val;
	size_t		 off = 0;
	char		 err[512];
	int		 rc;

	memset(&a, 0, sizeof(a));
	set_opts(argc, argv, &a);
	memset(&rb, 0, sizeof(rb));
	mpbuf_init(&rb.value);
	mpbuf_init(&rb.chain);
	mpbuf_init(&val);
	c = ctl_connect();
	read_entry(c, p, &rb);
	msgpack_unpacked_init(&u);
	if (rb.has_value && msgpack_unpack_next(&u, (const char *)rb.value.data,
	    rb.value.len, &off) != MSGPACK_UNPACK_SUCCESS)
		ctl_fail("moatctl: cannot read back the value");
	rc = attrset_apply(rb.has_value ? &u.data : NULL, a.ops, a.nops, &val,
	    err, sizeof(err));
	if (rc == -1)
		ctl_fail("moatctl: %s", err);
	pk = client_begin(c, rc ? "set_value" : "delete_value",
	    2 + rc + (a.prev != NULL) + has_chain(&a, &rb));
	mp_pack_str(pk, "path");
	mp_pack_path(pk, p->packed.data, p->packed.len);
	mp_pack_kv_int(pk, "nchain", ctl.meta ? 3 : 0);
	if (rc) {
		mp_pack_str(pk, "value");
		msgpack_pack_bin_body(pk, val.data, val.len);
	}
	if (a.prev != NULL)
		mp_pack_kv_str(pk, "prev", a.prev);
	pack_chain(pk, &a, &rb);
	ctl_call(c, ctl.meta ? print_reply : NULL, NULL);
	client_close(c);
	msgpack_unpacked_destroy(&u);
	mpbuf_free(&val);
	mpbuf_free(&rb.value);
	mpbuf_free(&rb.chain);
	return 0;
}

int
data_delete(const struct dpath *p, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'H' },
		{ "last", required_argument, NULL, 'l' },
		{ "prev", required_argument, NULL, 'p' },
		{ "recursive", no_argument, NULL, 'r' },
		{ "eval", no_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*node = NULL, *tick = NULL, *prev = NULL;
	struct client	*c;
	msgpack_packer	*pk, vpk;
	struct mpbuf	 pv;
	char		 err[512];
	int		 ch, recursive = 0, eval = 0;

	while ((ch = getopt_long(argc, argv, "+:el:p:r", lo, NULL)) != -1) {
		switch (ch) {
		case 'e':
			eval = 1;
			break;
		case 'l':
			node = optarg;
			tick = second_arg("delete", argc, argv, ch);
			break;
		case 'p':
			prev = optarg;
			break;
		case 'r':
			recursive = 1;
			break;
		default:
			data_bad_option("delete", argv, ch);
		}
	}
	if (optind != argc)
		data_usage_fail("delete", "unexpected argument '%s'",
		    argv[optind]);
	if (eval && prev == NULL)
		data_usage_fail("delete", "-e needs a value (-p) to evaluate");
	if (recursive && (prev != NULL || node != NULL))
		data_usage_fail("delete", "-r cannot check -p or -l");
	if (tick != NULL)
		ctl_number(tick, "--last tick", 0, INT64_MAX);
	mpbuf_init(&pv);
	msgpack_packer_init(&vpk, &pv, mpbuf_write);
	if (prev != NULL && !eval)
		mp_pack_str(&vpk, prev);
	else if (prev != NULL && literal_eval(prev, &vpk, err,
	    sizeof(err)) == -1)
		ctl_fail("moatctl: -p %s: %s", prev, err);
	c = ctl_connect();
	pk = client_begin(c, recursive ? "delete_tree" : "delete_value",
	    2 + (prev != NULL) + (node != NULL));
	mp_pack_str(pk, "path");
	mp_pack_path(pk, p->packed.data, p->packed.len);
	mp_pack_kv_int(pk, "nchain", ctl.meta ? 3 : 0);
	if (prev != NULL) {
		mp_pack_str(pk, "prev");
		msgpack_pack_bin_body(pk, pv.data, pv.len);
	}
	if (node != NULL) {
		mp_pack_str(pk, "chain");
		data_pack_last(pk, node, tick);
	}
	/* delete_tree with nchain streams the deleted entries */
	ctl_call(c, ctl.meta ? print_reply : NULL, NULL);
	client_close(c);
	mpbuf_free(&pv);
	return 0;
}
