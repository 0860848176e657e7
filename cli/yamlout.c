/*
 * yamlout.c - moatctl's YAML output of msgpack values, via libyaml.
 *
 * libyaml's emitter does the layout and picks a scalar style that can
 * hold the text; what it cannot know is which plain scalars a reader
 * would resolve to something other than a string ("123", "null",
 * "yes").  That is the representer's job in PyYAML, and here it is
 * is_ambiguous(): one regular expression made of the implicit-type
 * patterns of YAML 1.1 and 1.2.  A string it matches is emitted with
 * plain_implicit = 0, which makes libyaml quote it.
 *
 * The tree printer collects entries first because the original builds
 * a dict of dicts and dumps it in one go; values are kept packed (the
 * caller's msgpack objects die with their zone) and unpacked again
 * while emitting.
 */
#include <math.h>
#include <inttypes.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <yaml.h>

#include "lib/log.h"
#include "lib/mp.h"
#include "lib/literal.h"
#include "lib/pathfmt.h"
#include "cli/yamlout.h"

#define YO_DEPTH_MAX	(2 * LITERAL_DEPTH_MAX)
#define TAG_BINARY	"tag:yaml.org,2002:binary"

/*
 * Plain scalars that are not strings to YAML 1.1 (PyYAML's resolver,
 * plus y/n from the 1.1 spec) or to YAML 1.2's core schema, in order:
 * null, bool, 1.1 int, 1.2 int, 1.1 float, 1.2 float, timestamp,
 * merge and value keys.  The empty string is null and checked apart.
 */
static const char implicit_re[] = "^("
    "~|null|Null|NULL"
    "|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
    "|on|On|ON|off|Off|OFF"
    "|[-+]?0b[01_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)"
    "|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+"
    "|[-+]?[0-9]+|0o[0-7]+"
    "|[-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+][0-9]+)?"
    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)"
    "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    "|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}"
    ":[0-9]{2}(\\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?"
    "|<<|="
    ")$";

struct yout {
	yaml_emitter_t	 em;
	yaml_event_t	 ev;
	regex_t		 re;
};

struct ynode {
	uint8_t		*key;		/* the packed path element */
	size_t		 keylen;
	uint8_t		*val;		/* the packed value, or NULL */
	size_t		 vallen;
	size_t		 valpos;	/* children in front of the value */
	struct ynode	**kids;
	size_t		 nkids, capkids;
	int		 isnull;	/* yamltree_simplex(): print null */
};

struct yamltree {
	char		*datakey;
	struct ynode	 root;
	int		 bad;		/* an entry had to be left out */
};

static int	yo_obj(struct yout *, const msgpack_object *, int, int);

/* Hand the event just initialised (ok != 0) to the emitter. */
static int
yo_emit(struct yout *y, int ok)
{
	if (!ok || !yaml_emitter_emit(&y->em, &y->ev))
		return -1;
	return 0;
}

static int
yo_open(struct yout *y, FILE *f)
{
	if (regcomp(&y->re, implicit_re, REG_EXTENDED | REG_NOSUB) != 0)
		fatalx("yamlout: bad implicit_re");
	if (!yaml_emitter_initialize(&y->em))
		fatalx("yaml_emitter_initialize");
	yaml_emitter_set_output_file(&y->em, f);
	yaml_emitter_set_unicode(&y->em, 1);
	/* one value, one line: long strings are not folded */
	yaml_emitter_set_width(&y->em, -1);
	if (yo_emit(y, yaml_stream_start_event_initialize(&y->ev,
	    YAML_UTF8_ENCODING)) == -1 ||
	    yo_emit(y, yaml_document_start_event_initialize(&y->ev, NULL,
	    NULL, NULL, 1)) == -1)
		return -1;
	return 0;
}

/* Finish the document if rc says all went well, then clean up. */
static int
yo_close(struct yout *y, int rc)
{
	if (rc == 0 && (yo_emit(y, yaml_document_end_event_initialize(&y->ev,
	    1)) == -1 ||
	    yo_emit(y, yaml_stream_end_event_initialize(&y->ev)) == -1 ||
	    !yaml_emitter_flush(&y->em)))
		rc = -1;
	yaml_emitter_delete(&y->em);
	regfree(&y->re);
	return rc;
}

static int
yo_scalar(struct yout *y, const char *tag, const char *s, size_t n,
    int plain_implicit, yaml_scalar_style_t style)
{
	/*
	 * quoted_implicit: a quoted scalar without a tag is a str.
	 * msgpack-c leaves the pointer of an empty str NULL, which
	 * libyaml asserts against.
	 */
	return yo_emit(y, yaml_scalar_event_initialize(&y->ev, NULL,
	    (yaml_char_t *)tag, (yaml_char_t *)(n > 0 ? s : ""), (int)n,
	    plain_implicit, tag == NULL, style));
}

static int
is_ambiguous(struct yout *y, const char *s, size_t n)
{
	char		*t;
	int		 rc;

	/* quoting is always safe; a NUL inside gets it too */
	if (n == 0 || memchr(s, '\0', n) != NULL)
		return 1;
	/*
	 * A NUL-terminated copy rather than REG_STARTEND: sanitizers'
	 * regexec() reads up to a NUL whatever the flags say.
	 */
	if ((t = strndup(s, n)) == NULL)
		fatal("strndup");
	rc = regexec(&y->re, t, 0, NULL, 0) == 0;
	free(t);
	return rc;
}

/* base64 with a newline after every 76 characters and at the end. */
static int
yo_binary(struct yout *y, const uint8_t *p, size_t n)
{
	const int	 var = sodium_base64_VARIANT_ORIGINAL;
	struct mpbuf	 t;
	char		*b64;
	size_t		 len, off, k;
	int		 rc;

	len = sodium_base64_ENCODED_LEN(n, var);
	if ((b64 = malloc(len)) == NULL)
		fatal("base64");
	/* a pure function: no sodium_init() needed */
	sodium_bin2base64(b64, len, p, n, var);
	len = strlen(b64);
	mpbuf_init(&t);
	for (off = 0; off < len; off += k) {
		k = len - off < 76 ? len - off : 76;
		mpbuf_add(&t, b64 + off, k);
		mpbuf_add(&t, "\n", 1);
	}
	free(b64);
	rc = yo_scalar(y, TAG_BINARY, (char *)t.data, t.len, 0,
	    YAML_LITERAL_SCALAR_STYLE);
	mpbuf_free(&t);
	return rc;
}

/*
 * Line breaks that only double quotes keep intact: a reader turns CR,
 * NEL, LS and PS in other styles into '\n', and a literal block that
 * ends in an empty line needs "|+", after which libyaml ends the
 * document with "...".
 */
static int
needs_escapes(const char *s, size_t n)
{
	static const char *const brk[] = { "\r", "\xc2\x85", "\xe2\x80\xa8",
	    "\xe2\x80\xa9" };
	size_t		 i;

	for (i = 0; i < sizeof(brk) / sizeof(brk[0]); i++)
		if (memmem(s, n, brk[i], strlen(brk[i])) != NULL)
			return 1;
	return s[n - 1] == '\n' && (n == 1 || s[n - 2] == '\n');
}

static int
yo_str(struct yout *y, const char *s, size_t n, int top)
{
	if (literal_utf8_check(s, n, NULL) == -1)
		return yo_binary(y, (const uint8_t *)s, n);
	if (top || (n > 0 && needs_escapes(s, n)))
		return yo_scalar(y, NULL, s, n, 1,
		    YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	/* as the original's str_presenter; libyaml knows when it can't */
	if (n > 0 && memchr(s, '\n', n) != NULL)
		return yo_scalar(y, NULL, s, n, 1, YAML_LITERAL_SCALAR_STYLE);
	return yo_scalar(y, NULL, s, n, !is_ambiguous(y, s, n),
	    YAML_ANY_SCALAR_STYLE);
}

static int
yo_text(struct yout *y, const char *tag, const char *s)
{
	return yo_scalar(y, tag, s, strlen(s), tag == NULL,
	    YAML_ANY_SCALAR_STYLE);
}

static int
yo_float(struct yout *y, double v)
{
	char		 buf[40], *e;

	if (isnan(v))
		return yo_text(y, NULL, ".nan");
	if (isinf(v))
		return yo_text(y, NULL, v < 0 ? "-.inf" : ".inf");
	pathfmt_float(v, buf, sizeof(buf) - 2);
	/* PyYAML's rule: YAML 1.1 wants a '.' in 1e+16 */
	if (strchr(buf, '.') == NULL && (e = strchr(buf, 'e')) != NULL) {
		memmove(e + 2, e, strlen(e) + 1);
		memcpy(e, ".0", 2);
	}
	return yo_text(y, NULL, buf);
}

static int
yo_ext(struct yout *y, const msgpack_object_ext *x)
{
	struct mpbuf	 t;
	char		 tag[16], *path;
	uint32_t	 i;
	int		 rc;

	if (x->type == MP_EXT_PATH && (path = pathfmt_format(
	    (const uint8_t *)x->ptr, x->size)) != NULL) {
		rc = yo_scalar(y, "!P", path, strlen(path), 0,
		    YAML_ANY_SCALAR_STYLE);
		free(path);
		return rc;
	}
	mpbuf_init(&t);
	if (x->type == MP_EXT_BIGINT &&
	    pathfmt_bigint(&t, (const uint8_t *)x->ptr, x->size) == 0) {
		rc = yo_scalar(y, NULL, (char *)t.data, t.len, 1,
		    YAML_ANY_SCALAR_STYLE);
		mpbuf_free(&t);
		return rc;
	}
	for (i = 0; i < x->size; i++) {
		snprintf(tag, sizeof(tag), "%02x", (uint8_t)x->ptr[i]);
		mpbuf_add(&t, tag, 2);
	}
	snprintf(tag, sizeof(tag), "!ext%d", x->type);
	rc = yo_scalar(y, tag, (char *)t.data, t.len, 0,
	    YAML_ANY_SCALAR_STYLE);
	mpbuf_free(&t);
	return rc;
}

static int
yo_seq(struct yout *y, const msgpack_object_array *a, int depth)
{
	uint32_t	 i;

	if (yo_emit(y, yaml_sequence_start_event_initialize(&y->ev, NULL,
	    NULL, 1, YAML_BLOCK_SEQUENCE_STYLE)) == -1)
		return -1;
	for (i = 0; i < a->size; i++)
		if (yo_obj(y, &a->ptr[i], 0, depth + 1) == -1)
			return -1;
	return yo_emit(y, yaml_sequence_end_event_initialize(&y->ev));
}

static int
yo_map(struct yout *y, const msgpack_object_map *m, int depth)
{
	uint32_t	 i;

	if (yo_emit(y, yaml_mapping_start_event_initialize(&y->ev, NULL,
	    NULL, 1, YAML_BLOCK_MAPPING_STYLE)) == -1)
		return -1;
	for (i = 0; i < m->size; i++)
		if (yo_obj(y, &m->ptr[i].key, 0, depth + 1) == -1 ||
		    yo_obj(y, &m->ptr[i].val, 0, depth + 1) == -1)
			return -1;
	return yo_emit(y, yaml_mapping_end_event_initialize(&y->ev));
}

/* One object; top is set for a document's bare value. */
static int
yo_obj(struct yout *y, const msgpack_object *o, int top, int depth)
{
	char		 buf[32];

	if (depth > YO_DEPTH_MAX)
		return -1;
	switch (o->type) {
	case MSGPACK_OBJECT_NIL:
		return yo_text(y, NULL, "null");
	case MSGPACK_OBJECT_BOOLEAN:
		return yo_text(y, NULL, o->via.boolean ? "true" : "false");
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRIu64, o->via.u64);
		return yo_text(y, NULL, buf);
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		snprintf(buf, sizeof(buf), "%" PRId64, o->via.i64);
		return yo_text(y, NULL, buf);
	case MSGPACK_OBJECT_FLOAT32:
	case MSGPACK_OBJECT_FLOAT64:
		return yo_float(y, o->via.f64);
	case MSGPACK_OBJECT_STR:
		return yo_str(y, o->via.str.ptr, o->via.str.size, top);
	case MSGPACK_OBJECT_BIN:
		return yo_binary(y, (const uint8_t *)o->via.bin.ptr,
		    o->via.bin.size);
	case MSGPACK_OBJECT_EXT:
		return yo_ext(y, &o->via.ext);
	case MSGPACK_OBJECT_ARRAY:
		return yo_seq(y, &o->via.array, depth);
	case MSGPACK_OBJECT_MAP:
		return yo_map(y, &o->via.map, depth);
	}
	return -1;
}

int
yamlout_value(FILE *f, const msgpack_object *o)
{
	struct yout	 y;

	if (yo_open(&y, f) == -1)
		return yo_close(&y, -1);
	return yo_close(&y, yo_obj(&y, o, 1, 0));
}

int
yamlout_doc(FILE *f, const msgpack_object *o)
{
	if (yamlout_value(f, o) == -1 || fputs("---\n", f) == EOF ||
	    fflush(f) == EOF)
		return -1;
	return 0;
}

/* ---- get -rd: the tree of entries ---- */

struct yamltree *
yamltree_new(const char *datakey)
{
	struct yamltree	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->datakey = strdup(datakey)) == NULL)
		fatal("yamltree_new");
	return t;
}

static void
node_free(struct ynode *n)
{
	size_t		 i;

	for (i = 0; i < n->nkids; i++) {
		node_free(n->kids[i]);
		free(n->kids[i]);
	}
	free(n->kids);
	free(n->key);
	free(n->val);
}

void
yamltree_free(struct yamltree *t)
{
	if (t == NULL)
		return;
	node_free(&t->root);
	free(t->datakey);
	free(t);
}

/* The child with this key, made if need be. */
static struct ynode *
node_child(struct ynode *n, const uint8_t *key, size_t len)
{
	struct ynode	*c, **k;
	size_t		 i, cap;

	/* entries arrive in tree order: the last child is the likely one */
	for (i = n->nkids; i > 0; i--) {
		c = n->kids[i - 1];
		if (c->keylen == len && memcmp(c->key, key, len) == 0)
			return c;
	}
	if (n->nkids == n->capkids) {
		cap = n->capkids ? n->capkids * 2 : 4;
		if ((k = reallocarray(n->kids, cap, sizeof(*k))) == NULL)
			fatal("reallocarray");
		n->kids = k;
		n->capkids = cap;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->key = malloc(len)) == NULL)
		fatal("node_child");
	memcpy(c->key, key, len);
	c->keylen = len;
	n->kids[n->nkids++] = c;
	return c;
}

void
yamltree_add(struct yamltree *t, const uint8_t *packed, size_t len,
    const msgpack_object *value)
{
	struct mpbuf	 canon, v;
	struct ynode	*n = &t->root;
	msgpack_packer	 pk;
	const uint8_t	*e;
	const char	*why;
	size_t		 off = 0, elen;

	/* canonical elements: equal keys are equal bytes */
	mpbuf_init(&canon);
	if (mp_path_from_packed(packed, len, &canon, &why) == -1 ||
	    mp_path_count(canon.data, canon.len) > YAMLTREE_DEPTH_MAX) {
		t->bad = 1;
		mpbuf_free(&canon);
		return;
	}
	while (mp_path_next(canon.data, canon.len, &off, &e, &elen) == 1)
		n = node_child(n, e, elen);
	mpbuf_free(&canon);
	if (value == NULL)
		return;
	/* the caller's object lives in its zone: keep a packed copy */
	mpbuf_init(&v);
	msgpack_packer_init(&pk, &v, mpbuf_write);
	msgpack_pack_object(&pk, *value);
	/* a dict key keeps the place of its first insertion */
	if (n->val == NULL)
		n->valpos = n->nkids;
	free(n->val);
	n->val = v.data;
	n->vallen = v.len;
}

/* Post-order, so a node whose children all went null still has them. */
static void
node_simplex(struct ynode *n)
{
	size_t		 i;

	for (i = 0; i < n->nkids; i++)
		node_simplex(n->kids[i]);
	if (n->val == NULL || n->vallen != 1 || n->val[0] != 0xc0)
		return;
	free(n->val);
	n->val = NULL;
	n->vallen = 0;
	if (n->nkids == 0)
		n->isnull = 1;
}

void
yamltree_simplex(struct yamltree *t)
{
	node_simplex(&t->root);
}

/* Unpack a stored key or value and emit it. */
static int
yt_packed(struct yout *y, const uint8_t *p, size_t len)
{
	msgpack_unpacked u;
	size_t		 off = 0;
	int		 rc = -1;

	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)p, len, &off) ==
	    MSGPACK_UNPACK_SUCCESS)
		rc = yo_obj(y, &u.data, 0, 0);
	msgpack_unpacked_destroy(&u);
	return rc;
}

/* Recursion is bounded by YAMLTREE_DEPTH_MAX path elements. */
static int
yt_node(struct yout *y, const struct yamltree *t, const struct ynode *n)
{
	const struct ynode *c;
	size_t		 i;

	if (n->isnull)
		return yo_text(y, NULL, "null");
	if (yo_emit(y, yaml_mapping_start_event_initialize(&y->ev, NULL,
	    NULL, 1, YAML_BLOCK_MAPPING_STYLE)) == -1)
		return -1;
	for (i = 0; i <= n->nkids; i++) {
		if (n->val != NULL && n->valpos == i &&
		    (yo_str(y, t->datakey, strlen(t->datakey), 0) == -1 ||
		    yt_packed(y, n->val, n->vallen) == -1))
			return -1;
		if (i == n->nkids)
			break;
		c = n->kids[i];
		if (yt_packed(y, c->key, c->keylen) == -1 ||
		    yt_node(y, t, c) == -1)
			return -1;
	}
	return yo_emit(y, yaml_mapping_end_event_initialize(&y->ev));
}

int
yamltree_print(struct yamltree *t, FILE *f)
{
	struct yout	 y;
	int		 rc;

	if (yo_open(&y, f) == -1)
		return yo_close(&y, -1);
	rc = yo_close(&y, yt_node(&y, t, &t->root));
	return t->bad ? -1 : rc;
}
