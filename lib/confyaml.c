/*
 * confyaml.c - YAML configuration: parse, merge, override, check, pack.
 *
 * The tree is a small node structure built from libyaml's document API.
 * Plain scalars resolve as YAML 1.2's core schema does (null, true/false,
 * integers, floats, else strings); quoted scalars are always strings.
 * Hostile files are bounded: 1 MiB, nesting depth 32, no aliases (the
 * "billion laughs" expansion), no duplicate or non-scalar keys.
 */
#include <sys/stat.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>
#include <yaml.h>

#include "lib/confyaml.h"
#include "lib/confyaml_int.h"
#include "lib/log.h"
#include "lib/mp.h"

#define CONF_MAX_FILE	(1 << 20)
#define CONF_MAX_DEPTH	32

enum cnode_type { CN_NULL, CN_BOOL, CN_INT, CN_FLOAT, CN_STR, CN_LIST, CN_MAP };

struct cnode {
	enum cnode_type	 type;
	int64_t		 i;		/* CN_BOOL, CN_INT */
	double		 f;
	char		*s;		/* CN_STR */
	size_t		 n;		/* CN_LIST, CN_MAP: children */
	char		**keys;		/* CN_MAP */
	struct cnode	**kids;
};

struct conf {
	struct cnode	*root;
};

static struct cnode *
cnode_new(enum cnode_type t)
{
	struct cnode	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->type = t;
	return c;
}

static void
cnode_free(struct cnode *c)
{
	size_t	 i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		if (c->keys)
			free(c->keys[i]);
		cnode_free(c->kids[i]);
	}
	free(c->keys);
	free(c->kids);
	free(c->s);
	free(c);
}

static void
cnode_append(struct cnode *c, char *key, struct cnode *kid)
{
	c->kids = reallocarray(c->kids, c->n + 1, sizeof(*c->kids));
	if (c->kids == NULL)
		fatal("reallocarray");
	if (c->type == CN_MAP) {
		c->keys = reallocarray(c->keys, c->n + 1, sizeof(*c->keys));
		if (c->keys == NULL)
			fatal("reallocarray");
		c->keys[c->n] = key;
	}
	c->kids[c->n++] = kid;
}

static ssize_t
cnode_find(const struct cnode *c, const char *key, size_t len)
{
	size_t	 i;

	if (c == NULL || c->type != CN_MAP)
		return -1;
	for (i = 0; i < c->n; i++)
		if (strlen(c->keys[i]) == len &&
		    memcmp(c->keys[i], key, len) == 0)
			return (ssize_t)i;
	return -1;
}

/* Resolve a plain scalar the way YAML 1.2's core schema does. */
static struct cnode *
scalar(const char *s, int plain)
{
	struct cnode	*c;
	char		*end;
	long long	 ll;
	double		 d;

	if (plain) {
		if (*s == '\0' || !strcmp(s, "~") || !strcmp(s, "null") ||
		    !strcmp(s, "Null") || !strcmp(s, "NULL"))
			return cnode_new(CN_NULL);
		if (!strcmp(s, "true") || !strcmp(s, "True") ||
		    !strcmp(s, "TRUE") || !strcmp(s, "false") ||
		    !strcmp(s, "False") || !strcmp(s, "FALSE")) {
			c = cnode_new(CN_BOOL);
			c->i = (s[0] == 't' || s[0] == 'T');
			return c;
		}
		errno = 0;
		ll = strtoll(s, &end, 0);
		if (*end == '\0' && errno == 0 && end != s &&
		    (s[0] != '0' || s[1] == '\0' || s[1] == 'x')) {
			c = cnode_new(CN_INT);
			c->i = ll;
			return c;
		}
		errno = 0;
		d = strtod(s, &end);
		if (*end == '\0' && errno == 0 && end != s && isfinite(d) &&
		    strpbrk(s, ".eE") != NULL) {
			c = cnode_new(CN_FLOAT);
			c->f = d;
			return c;
		}
	}
	c = cnode_new(CN_STR);
	if ((c->s = strdup(s)) == NULL)
		fatal("strdup");
	return c;
}

static struct cnode *
from_yaml(yaml_document_t *doc, yaml_node_t *y, int depth, const char *src,
    char *err, size_t errlen)
{
	struct cnode	*c = NULL, *kid;
	yaml_node_item_t *it;
	yaml_node_pair_t *p;
	yaml_node_t	*k;
	char		*key;
	int		 line = (int)y->start_mark.line + 1;

	if (depth > CONF_MAX_DEPTH) {
		snprintf(err, errlen, "%s:%d: nested too deeply", src, line);
		return NULL;
	}
	switch (y->type) {
	case YAML_SCALAR_NODE:
		return scalar((const char *)y->data.scalar.value,
		    y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE);
	case YAML_SEQUENCE_NODE:
		c = cnode_new(CN_LIST);
		for (it = y->data.sequence.items.start;
		    it < y->data.sequence.items.top; it++) {
			kid = from_yaml(doc, yaml_document_get_node(doc, *it),
			    depth + 1, src, err, errlen);
			if (kid == NULL)
				goto fail;
			cnode_append(c, NULL, kid);
		}
		return c;
	case YAML_MAPPING_NODE:
		c = cnode_new(CN_MAP);
		for (p = y->data.mapping.pairs.start;
		    p < y->data.mapping.pairs.top; p++) {
			k = yaml_document_get_node(doc, p->key);
			if (k->type != YAML_SCALAR_NODE) {
				snprintf(err, errlen, "%s:%d: keys must be "
				    "scalars", src, (int)k->start_mark.line + 1);
				goto fail;
			}
			if (cnode_find(c, (char *)k->data.scalar.value,
			    k->data.scalar.length) != -1) {
				snprintf(err, errlen, "%s:%d: duplicate key "
				    "'%s'", src, (int)k->start_mark.line + 1,
				    k->data.scalar.value);
				goto fail;
			}
			kid = from_yaml(doc, yaml_document_get_node(doc,
			    p->value), depth + 1, src, err, errlen);
			if (kid == NULL)
				goto fail;
			if ((key = strdup((char *)k->data.scalar.value)) == NULL)
				fatal("strdup");
			cnode_append(c, key, kid);
		}
		return c;
	default:
		snprintf(err, errlen, "%s:%d: unsupported YAML node", src,
		    line);
		return NULL;
	}
fail:
	cnode_free(c);
	return NULL;
}

/* Reject aliases before the document API expands them. */
static int
has_alias(const unsigned char *buf, size_t len, const char *src, char *err,
    size_t errlen)
{
	yaml_parser_t	 p;
	yaml_event_t	 ev;
	int		 rc = 0, done = 0;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev))
			break;	/* reported by the real parse */
		if (ev.type == YAML_ALIAS_EVENT) {
			snprintf(err, errlen, "%s:%d: aliases are not "
			    "supported", src, (int)ev.start_mark.line + 1);
			rc = 1;
			done = 1;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

static struct cnode *
parse(const unsigned char *buf, size_t len, const char *src, char *err,
    size_t errlen)
{
	yaml_parser_t	 p;
	yaml_document_t	 doc;
	yaml_node_t	*root;
	struct cnode	*c = NULL;

	if (has_alias(buf, len, src, err, errlen))
		return NULL;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		snprintf(err, errlen, "%s:%d: %s", src,
		    (int)p.problem_mark.line + 1,
		    p.problem ? p.problem : "YAML error");
		yaml_parser_delete(&p);
		return NULL;
	}
	if ((root = yaml_document_get_root_node(&doc)) == NULL)
		c = cnode_new(CN_NULL);		/* empty document */
	else
		c = from_yaml(&doc, root, 0, src, err, errlen);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return c;
}

/* Deep merge: maps merge key by key, anything else replaces. */
static void
merge(struct cnode *dst, struct cnode *src)
{
	ssize_t	 j;
	size_t	 i;

	for (i = 0; i < src->n; i++) {
		j = cnode_find(dst, src->keys[i], strlen(src->keys[i]));
		if (j == -1) {
			cnode_append(dst, src->keys[i], src->kids[i]);
			continue;
		}
		if (dst->kids[j]->type == CN_MAP &&
		    src->kids[i]->type == CN_MAP) {
			merge(dst->kids[j], src->kids[i]);	/* frees it */
		} else {
			cnode_free(dst->kids[j]);
			dst->kids[j] = src->kids[i];
		}
		free(src->keys[i]);
	}
	free(src->keys);
	free(src->kids);
	free(src);
}

struct conf *
conf_new(void)
{
	struct conf	*c;
	char		 err[256];

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->root = parse((const unsigned char *)conf_default_yaml,
	    strlen(conf_default_yaml), "defaults", err, sizeof(err));
	if (c->root == NULL)
		fatalx("built-in config: %s", err);
	return c;
}

void
conf_free(struct conf *c)
{
	if (c == NULL)
		return;
	cnode_free(c->root);
	free(c);
}

int
conf_load_file(struct conf *c, const char *path, char *err, size_t errlen)
{
	struct cnode	*n;
	unsigned char	*buf;
	size_t		 len;
	FILE		*f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((buf = malloc(CONF_MAX_FILE + 1)) == NULL)
		fatal("malloc");
	len = fread(buf, 1, CONF_MAX_FILE + 1, f);
	fclose(f);
	if (len > CONF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %d bytes", path,
		    CONF_MAX_FILE);
		free(buf);
		return -1;
	}
	n = parse(buf, len, path, err, errlen);
	free(buf);
	if (n == NULL)
		return -1;
	if (n->type == CN_NULL) {
		cnode_free(n);
		return 0;
	}
	if (n->type != CN_MAP) {
		snprintf(err, errlen, "%s:1: the top level must be a map",
		    path);
		cnode_free(n);
		return -1;
	}
	merge(c->root, n);
	return 0;
}

int
conf_set(struct conf *c, const char *a, char *err, size_t errlen)
{
	struct cnode	*node = c->root, *val, *kid;
	const char	*eq = strchr(a, '='), *k = a, *dot;
	size_t		 len;
	ssize_t		 j;
	char		*key;

	if (eq == NULL || eq == a) {
		snprintf(err, errlen, "%s: expected key=value", a);
		return -1;
	}
	if (eq[1] == '\0')
		val = scalar("", 0);
	else if ((val = parse((const unsigned char *)eq + 1, strlen(eq + 1),
	    a, err, errlen)) == NULL)
		return -1;
	for (;;) {
		dot = memchr(k, '.', (size_t)(eq - k));
		len = dot ? (size_t)(dot - k) : (size_t)(eq - k);
		if (len == 0) {
			snprintf(err, errlen, "%.*s: empty key element",
			    (int)(eq - a), a);
			cnode_free(val);
			return -1;
		}
		j = cnode_find(node, k, len);
		if (dot == NULL)
			break;
		if (j == -1 || node->kids[j]->type != CN_MAP) {
			kid = cnode_new(CN_MAP);
			if (j == -1) {
				if ((key = strndup(k, len)) == NULL)
					fatal("strndup");
				cnode_append(node, key, kid);
			} else {
				cnode_free(node->kids[j]);
				node->kids[j] = kid;
			}
			node = kid;
		} else
			node = node->kids[j];
		k = dot + 1;
	}
	if (j != -1) {
		cnode_free(node->kids[j]);
		node->kids[j] = val;
	} else {
		if ((key = strndup(k, len)) == NULL)
			fatal("strndup");
		cnode_append(node, key, val);
	}
	return 0;
}

static const struct cnode *
lookup(const struct cnode *c, const char *key)
{
	const char	*dot;
	size_t		 len;
	ssize_t		 j;

	while (c && *key) {
		dot = strchr(key, '.');
		len = dot ? (size_t)(dot - key) : strlen(key);
		if ((j = cnode_find(c, key, len)) == -1)
			return NULL;
		c = c->kids[j];
		key += len + (dot != NULL);
	}
	return c;
}

static int
check_key(const struct conf_key *k, const struct cnode *n, char *err,
    size_t errlen)
{
	double	 v;
	size_t	 i;

	switch (k->type) {
	case CK_ANY:
		return 0;
	case CK_STR_OR_NULL:
		if (n->type == CN_NULL)
			return 0;
		/* FALLTHROUGH */
	case CK_STR:
		if (n->type == CN_STR)
			return 0;
		snprintf(err, errlen, "%s: must be a string", k->key);
		return -1;
	case CK_BOOL:
		if (n->type == CN_BOOL)
			return 0;
		snprintf(err, errlen, "%s: must be true or false", k->key);
		return -1;
	case CK_LIST:
		if (n->type == CN_LIST && n->n <= k->max)
			return 0;
		snprintf(err, errlen, "%s: must be a list of at most %g items",
		    k->key, k->max);
		return -1;
	case CK_ENUM:
		for (i = 0; n->type == CN_STR && k->values[i]; i++)
			if (strcmp(n->s, k->values[i]) == 0)
				return 0;
		snprintf(err, errlen, "%s: must be one of", k->key);
		for (i = 0; k->values[i]; i++)
			snprintf(err + strlen(err), errlen - strlen(err),
			    "%s %s", i ? "," : "", k->values[i]);
		return -1;
	case CK_INT:
	case CK_NUM:
		if (n->type == CN_INT)
			v = (double)n->i;
		else if (n->type == CN_FLOAT && k->type == CK_NUM)
			v = n->f;
		else {
			snprintf(err, errlen, "%s: must be %s", k->key,
			    k->type == CK_INT ? "an integer" : "a number");
			return -1;
		}
		if (v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: %g out of range %g..%g",
			    k->key, v, k->min, k->max);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* Is `path' a known key or a prefix of one? */
static int
known(const char *path)
{
	const struct conf_key *k;
	size_t	 len = strlen(path);

	for (k = conf_keys; k->key; k++)
		if (strncmp(k->key, path, len) == 0 &&
		    (k->key[len] == '\0' || k->key[len] == '.'))
			return 1;
	return 0;
}

static void
warn_unknown(const struct cnode *c, char *path, size_t pathlen)
{
	size_t	 i, l = strlen(path);

	for (i = 0; c->type == CN_MAP && i < c->n; i++) {
		snprintf(path + l, pathlen - l, ".%s", c->keys[i]);
		if (!known(path))
			log_warnx("unknown config key %s", path);
		else
			warn_unknown(c->kids[i], path, pathlen);
		path[l] = '\0';
	}
}

int
conf_check(struct conf *c, char *err, size_t errlen)
{
	const struct conf_key *k;
	const struct cnode *n;
	char		 path[256];

	for (k = conf_keys; k->key; k++) {
		if ((n = lookup(c->root, k->key)) == NULL) {
			snprintf(err, errlen, "%s: missing", k->key);
			return -1;
		}
		if (check_key(k, n, err, errlen) == -1)
			return -1;
	}
	strlcpy(path, "kv.server", sizeof(path));
	if ((n = lookup(c->root, path)) != NULL)
		warn_unknown(n, path, sizeof(path));
	strlcpy(path, "kv.conn", sizeof(path));
	if ((n = lookup(c->root, path)) != NULL)
		warn_unknown(n, path, sizeof(path));
	return 0;
}

static void
pack(const struct cnode *c, msgpack_packer *pk)
{
	size_t	 i;

	switch (c->type) {
	case CN_NULL:
		msgpack_pack_nil(pk);
		break;
	case CN_BOOL:
		c->i ? msgpack_pack_true(pk) : msgpack_pack_false(pk);
		break;
	case CN_INT:
		msgpack_pack_int64(pk, c->i);
		break;
	case CN_FLOAT:
		msgpack_pack_double(pk, c->f);
		break;
	case CN_STR:
		mp_pack_str(pk, c->s);
		break;
	case CN_LIST:
		msgpack_pack_array(pk, c->n);
		for (i = 0; i < c->n; i++)
			pack(c->kids[i], pk);
		break;
	case CN_MAP:
		msgpack_pack_map(pk, c->n);
		for (i = 0; i < c->n; i++) {
			mp_pack_str(pk, c->keys[i]);
			pack(c->kids[i], pk);
		}
		break;
	}
}

int
conf_pack(struct conf *c, msgpack_packer *pk)
{
	pack(c->root, pk);
	return 0;
}
