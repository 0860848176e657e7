/*
 * yamlin.c - read YAML documents into msgpack with libyaml's parser.
 *
 * The event stream is walked recursively, one function per node kind.
 * A container's element count comes first in msgpack, so its elements
 * are packed into a buffer of their own and copied behind the header
 * once the end event has been seen.
 */
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cli/yamlin.h"
#include "lib/literal.h"
#include "lib/log.h"
#include "lib/pathfmt.h"

#define TAG_PFX		"tag:yaml.org,2002:"

enum rkind { R_NULL, R_BOOL, R_INT, R_FLOAT, R_STR, R_NKINDS };

/* YAML 1.2 core schema, one pattern per kind (R_STR: anything). */
static const char *const patterns[R_STR] = {
	"^(~|null|Null|NULL)?$",
	"^(true|True|TRUE|false|False|FALSE)$",
	"^([-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$",
	"^([-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
	    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
};

static const char *const tagnames[R_NKINDS] = {
	TAG_PFX "null", TAG_PFX "bool", TAG_PFX "int", TAG_PFX "float",
	TAG_PFX "str"
};

struct yamlin {
	yaml_parser_t	 p;
	regex_t		 re[R_STR];
	int		 done;
	char		*err;
	size_t		 errlen;
};

static int	yi_node(struct yamlin *, yaml_event_t *, msgpack_packer *,
		    int);

static int __attribute__((format(printf, 3, 4)))
yi_fail(struct yamlin *yi, const yaml_event_t *ev, const char *fmt, ...)
{
	va_list		 ap;
	char		 msg[200];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(yi->err, yi->errlen, "line %zu: %s",
	    ev ? ev->start_mark.line + 1 : yi->p.problem_mark.line + 1, msg);
	yi->done = 1;
	return -1;
}

static struct yamlin *
yi_new(void)
{
	struct yamlin	*yi;
	int		 i;

	if ((yi = calloc(1, sizeof(*yi))) == NULL)
		fatal("calloc");
	if (!yaml_parser_initialize(&yi->p))
		fatalx("yaml_parser_initialize");
	for (i = 0; i < R_STR; i++)
		if (regcomp(&yi->re[i], patterns[i], REG_EXTENDED |
		    REG_NOSUB) != 0)
			fatalx("yamlin: bad pattern %d", i);
	return yi;
}

struct yamlin *
yamlin_open(FILE *f)
{
	struct yamlin	*yi = yi_new();

	yaml_parser_set_input_file(&yi->p, f);
	return yi;
}

struct yamlin *
yamlin_open_string(const char *s, size_t len)
{
	struct yamlin	*yi = yi_new();

	yaml_parser_set_input_string(&yi->p, (const unsigned char *)s, len);
	return yi;
}

void
yamlin_close(struct yamlin *yi)
{
	int	 i;

	if (yi == NULL)
		return;
	yaml_parser_delete(&yi->p);
	for (i = 0; i < R_STR; i++)
		regfree(&yi->re[i]);
	free(yi);
}

static int
yi_event(struct yamlin *yi, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&yi->p, ev))
		return yi_fail(yi, NULL, "%s", yi->p.problem ? yi->p.problem :
		    "YAML syntax error");
	return 0;
}

/* An integer in decimal (leading zeros allowed, unlike Python's). */
static int
pack_int(struct yamlin *yi, const yaml_event_t *ev, const char *s,
    msgpack_packer *pk)
{
	char		 buf[1100], msg[200];
	size_t		 i = 0, o = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o'))
		return literal_eval(s, pk, msg, sizeof(msg)) == 0 ? 0 :
		    yi_fail(yi, ev, "%s: %s", s, msg);
	if (s[0] == '-' || s[0] == '+')
		buf[o++] = s[i++];
	while (s[i] == '0' && s[i + 1] != '\0')
		i++;
	if (strlen(s + i) + o >= sizeof(buf))
		return yi_fail(yi, ev, "integer too long");
	strcpy(buf + o, s + i);
	if (literal_eval(buf, pk, msg, sizeof(msg)) == -1)
		return yi_fail(yi, ev, "%s: %s", s, msg);
	return 0;
}

static int
pack_float(const char *s, msgpack_packer *pk)
{
	const char	*t = s + (*s == '-' || *s == '+');

	if (t[0] == '.' && (t[1] == 'i' || t[1] == 'I'))
		msgpack_pack_double(pk, *s == '-' ? -INFINITY : INFINITY);
	else if (t[0] == '.' && (t[1] == 'n' || t[1] == 'N'))
		msgpack_pack_double(pk, NAN);
	else
		msgpack_pack_double(pk, strtod(s, NULL));
	return 0;
}

/* A plain scalar's kind; want >= 0 insists on one (a !!int tag). */
static int
pack_plain(struct yamlin *yi, const yaml_event_t *ev, const char *s,
    size_t n, int want, msgpack_packer *pk)
{
	int		 k;

	for (k = 0; k < R_STR; k++)
		if (strlen(s) == n && regexec(&yi->re[k], s, 0, NULL, 0) == 0)
			break;
	if (want >= 0 && k != want)
		return yi_fail(yi, ev, "not a valid %s: %s",
		    tagnames[want] + strlen(TAG_PFX), s);
	switch (k) {
	case R_NULL:
		msgpack_pack_nil(pk);
		return 0;
	case R_BOOL:
		if (s[0] == 't' || s[0] == 'T')
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		return 0;
	case R_INT:
		return pack_int(yi, ev, s, pk);
	case R_FLOAT:
		return pack_float(s, pk);
	}
	mp_pack_strn(pk, s, n);
	return 0;
}

static int
pack_binary(struct yamlin *yi, const yaml_event_t *ev, const char *s,
    size_t n, msgpack_packer *pk)
{
	struct mpbuf	 text, bin;
	size_t		 i, bad;
	int		 rc = 0;

	mpbuf_init(&text);
	mpbuf_init(&bin);
	for (i = 0; i < n; i++)
		if (strchr(" \t\r\n", s[i]) == NULL)
			mpbuf_add(&text, s + i, 1);
	if (pathfmt_b64decode((const char *)text.data, text.len, &bin,
	    &bad) == -1)
		rc = yi_fail(yi, ev, "invalid base64 in !!binary");
	else {
		msgpack_pack_bin(pk, bin.len);
		msgpack_pack_bin_body(pk, bin.data, bin.len);
	}
	mpbuf_free(&text);
	mpbuf_free(&bin);
	return rc;
}

static int
yi_scalar(struct yamlin *yi, const yaml_event_t *ev, msgpack_packer *pk)
{
	const char	*tag = (const char *)ev->data.scalar.tag;
	const char	*s = (const char *)ev->data.scalar.value;
	size_t		 n = ev->data.scalar.length;
	struct mpbuf	 path;
	char		 msg[200];
	int		 k;

	if (tag == NULL || strcmp(tag, "!") == 0) {
		if (tag == NULL && ev->data.scalar.style ==
		    YAML_PLAIN_SCALAR_STYLE)
			return pack_plain(yi, ev, s, n, -1, pk);
		mp_pack_strn(pk, s, n);
		return 0;
	}
	if (strcmp(tag, "!P") == 0) {
		mpbuf_init(&path);
		if (strlen(s) != n || pathfmt_parse(s, &path, msg,
		    sizeof(msg)) == -1) {
			mpbuf_free(&path);
			return yi_fail(yi, ev, "!P %s: %s", s,
			    strlen(s) != n ? "NUL in path" : msg);
		}
		mp_pack_path(pk, path.data, path.len);
		mpbuf_free(&path);
		return 0;
	}
	if (strcmp(tag, TAG_PFX "binary") == 0)
		return pack_binary(yi, ev, s, n, pk);
	if (strcmp(tag, tagnames[R_STR]) == 0) {
		mp_pack_strn(pk, s, n);
		return 0;
	}
	for (k = 0; k < R_STR; k++)
		if (strcmp(tag, tagnames[k]) == 0)
			return pack_plain(yi, ev, s, n, k, pk);
	return yi_fail(yi, ev, "unknown tag %s", tag);
}

/* Elements (or key/value pairs) up to the end event, then the header. */
static int
yi_container(struct yamlin *yi, yaml_event_t *start, msgpack_packer *pk,
    int depth)
{
	yaml_event_type_t end = start->type == YAML_SEQUENCE_START_EVENT ?
	    YAML_SEQUENCE_END_EVENT : YAML_MAPPING_END_EVENT;
	const char	*tag = (const char *)(end == YAML_SEQUENCE_END_EVENT ?
	    start->data.sequence_start.tag : start->data.mapping_start.tag);
	const char	*want = end == YAML_SEQUENCE_END_EVENT ?
	    TAG_PFX "seq" : TAG_PFX "map";
	struct mpbuf	 body;
	msgpack_packer	 bpk;
	yaml_event_t	 ev;
	uint32_t	 n = 0;
	int		 rc = 0;

	if (tag != NULL && strcmp(tag, "!") != 0 && strcmp(tag, want) != 0)
		return yi_fail(yi, start, "unknown tag %s", tag);
	if (depth >= LITERAL_DEPTH_MAX)
		return yi_fail(yi, start, "nested too deep");
	mpbuf_init(&body);
	msgpack_packer_init(&bpk, &body, mpbuf_write);
	for (;;) {
		if ((rc = yi_event(yi, &ev)) == -1)
			break;
		if (ev.type == end) {
			yaml_event_delete(&ev);
			break;
		}
		rc = yi_node(yi, &ev, &bpk, depth + 1);
		yaml_event_delete(&ev);
		if (rc == -1)
			break;
		n++;
	}
	if (rc == 0) {
		if (end == YAML_SEQUENCE_END_EVENT)
			msgpack_pack_array(pk, n);
		else
			msgpack_pack_map(pk, n / 2);
		if (body.len > 0)
			msgpack_pack_bin_body(pk, body.data, body.len);
	}
	mpbuf_free(&body);
	return rc;
}

static int
yi_node(struct yamlin *yi, yaml_event_t *ev, msgpack_packer *pk, int depth)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return yi_scalar(yi, ev, pk);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return yi_container(yi, ev, pk, depth);
	case YAML_ALIAS_EVENT:
		return yi_fail(yi, ev, "aliases are not supported");
	default:
		return yi_fail(yi, ev, "unexpected YAML event");
	}
}

/* Skip to the next event that is not a stream start. */
static int
yi_skip_start(struct yamlin *yi, yaml_event_t *ev)
{
	for (;;) {
		if (yi_event(yi, ev) == -1)
			return -1;
		if (ev->type != YAML_STREAM_START_EVENT)
			return 0;
		yaml_event_delete(ev);
	}
}

int
yamlin_next(struct yamlin *yi, struct mpbuf *out, int *line, char *err,
    size_t errlen)
{
	yaml_event_t	 ev;
	msgpack_packer	 pk;
	int		 rc;

	yi->err = err;
	yi->errlen = errlen;
	mpbuf_reset(out);
	if (yi->done)
		return 0;
	if (yi_skip_start(yi, &ev) == -1)
		return -1;
	if (ev.type == YAML_STREAM_END_EVENT) {
		yaml_event_delete(&ev);
		yi->done = 1;
		return 0;
	}
	*line = (int)ev.start_mark.line + 1;
	if (ev.type != YAML_DOCUMENT_START_EVENT) {
		rc = yi_fail(yi, &ev, "expected a document");
		yaml_event_delete(&ev);
		return rc;
	}
	yaml_event_delete(&ev);
	if (yi_event(yi, &ev) == -1)
		return -1;
	msgpack_packer_init(&pk, out, mpbuf_write);
	rc = yi_node(yi, &ev, &pk, 0);
	yaml_event_delete(&ev);
	if (rc == -1)
		return -1;
	if (yi_event(yi, &ev) == -1)
		return -1;
	rc = ev.type == YAML_DOCUMENT_END_EVENT ? 1 :
	    yi_fail(yi, &ev, "expected the end of the document");
	yaml_event_delete(&ev);
	return rc;
}
