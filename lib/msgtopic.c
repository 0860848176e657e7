/*
 * msgtopic.c - pass-through topics (see msgtopic.h).
 */
#include <stdio.h>
#include <string.h>

#include "lib/msgtopic.h"
#include "lib/pathfmt.h"

/* Append one element as Python's str() prints it. */
static int
add_element(struct mpbuf *out, const uint8_t *el, size_t len)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	size_t		 off = 0;
	int		 rc = -1;

	msgpack_zone_init(&zone, 256);
	/* str() of a str is itself, of a tuple element its repr() */
	if (msgpack_unpack((const char *)el, len, &off, &zone, &o) ==
	    MSGPACK_UNPACK_SUCCESS)
		rc = o.type == MSGPACK_OBJECT_STR ? pathfmt_pystr(out, &o) :
		    pathfmt_repr(out, &o);
	msgpack_zone_destroy(&zone);
	return rc;
}

/* The packed path of the request's topic into path. */
static int
topic_path(const msgpack_object *t, int mode, struct mpbuf *path,
    char *err, size_t errlen)
{
	const char	*why;
	char		 text[MSGTOPIC_MAX + 1], perr[128];
	msgpack_packer	 pk;

	if (t != NULL && t->type == MSGPACK_OBJECT_STR) {
		if (t->via.str.size == 0) {
			snprintf(err, errlen, "ValueError('empty topic')");
			return -1;
		}
		if (t->via.str.size > MSGTOPIC_MAX) {
			snprintf(err, errlen, "ValueError('topic longer than "
			    "%d bytes')", MSGTOPIC_MAX);
			return -1;
		}
		if (mode == MSGTOPIC_SEND) {
			mpbuf_reset(path);
			msgpack_packer_init(&pk, path, mpbuf_write);
			mp_pack_strn(&pk, t->via.str.ptr, t->via.str.size);
			return 0;
		}
		memcpy(text, t->via.str.ptr, t->via.str.size);
		text[t->via.str.size] = '\0';
		if (memchr(text, '\0', t->via.str.size) != NULL ||
		    pathfmt_parse(text, path, perr, sizeof(perr)) == -1) {
			snprintf(err, errlen, "ValueError('bad topic text: "
			    "%s')", memchr(text, '\0', t->via.str.size) ?
			    "NUL character" : perr);
			return -1;
		}
		return 0;
	}
	if (t == NULL || mp_path_from_obj(t, path, &why) == -1) {
		snprintf(err, errlen, "%s", t == NULL ?
		    "AttributeError('topic')" : "TypeError('topic must be a "
		    "Path, a list or a str')");
		return -1;
	}
	return 0;
}

int
msgtopic_build(const msgpack_object *t, int mode, const char *root,
    struct mpbuf *out, char *err, size_t errlen)
{
	struct mpbuf	 path, el1;
	const uint8_t	*el;
	size_t		 off = 0, elen;
	int		 n = 0, rc = -1, r;

	mpbuf_init(&path);
	mpbuf_init(&el1);
	mpbuf_reset(out);
	if (topic_path(t, mode, &path, err, errlen) == -1)
		goto done;
	while ((r = mp_path_next(path.data, path.len, &off, &el, &elen)) ==
	    1) {
		mpbuf_reset(&el1);
		if (add_element(&el1, el, elen) == -1) {
			snprintf(err, errlen, "TypeError('topic element "
			    "cannot be printed')");
			goto done;
		}
		if (n++ == 0 && el[0] != 0xc0 && el1.len > 0 &&
		    el1.data[0] == ':' && ((el[0] & 0xe0) == 0xa0 ||
		    el[0] == 0xd9 || el[0] == 0xda || el[0] == 0xdb)) {
			/* a str starting with ':': the root, then the rest */
			mpbuf_add(out, root, strlen(root));
			if (el1.len > 1) {
				mpbuf_add(out, "/", 1);
				mpbuf_add(out, el1.data + 1, el1.len - 1);
			}
			continue;
		}
		if (n > 1)
			mpbuf_add(out, "/", 1);
		if (el1.len)
			mpbuf_add(out, el1.data, el1.len);
		if (out->len > MSGTOPIC_MAX)
			break;
	}
	if (r == -1 || n == 0) {
		snprintf(err, errlen, r == -1 ? "TypeError('bad topic')" :
		    "ValueError('empty topic')");
		goto done;
	}
	if (out->len > MSGTOPIC_MAX) {
		snprintf(err, errlen, "ValueError('topic longer than %d "
		    "bytes')", MSGTOPIC_MAX);
		goto done;
	}
	if (out->len == 0 || memchr(out->data, '\0', out->len) != NULL) {
		snprintf(err, errlen, out->len ? "ValueError('topic contains "
		    "a NUL character')" : "ValueError('empty topic')");
		goto done;
	}
	mpbuf_add(out, "", 1);
	out->len--;		/* NUL-terminated, not counted */
	rc = 0;
done:
	if (rc == -1)
		mpbuf_reset(out);
	mpbuf_free(&path);
	mpbuf_free(&el1);
	return rc;
}

void
msgtopic_pack(msgpack_packer *pk, const char *t, size_t len)
{
	const char	*p, *end = t + len, *slash;
	uint32_t	 n = 1;

	for (p = t; p < end; p++)
		n += *p == '/';
	msgpack_pack_array(pk, n);
	for (p = t;; p = slash + 1) {
		if ((slash = memchr(p, '/', (size_t)(end - p))) == NULL) {
			mp_pack_strn(pk, p, (size_t)(end - p));
			return;
		}
		mp_pack_strn(pk, p, (size_t)(slash - p));
	}
}
