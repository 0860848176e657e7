/*
 * conf.c - dotted-key lookups in a MsgPack config tree, see conf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/mp.h"

const msgpack_object *
conf_get(const msgpack_object *o, const char *key)
{
	const msgpack_object_kv *kv;
	const char	*dot;
	size_t		 len;
	uint32_t	 i;

	while (o && *key) {
		if (o->type != MSGPACK_OBJECT_MAP)
			return NULL;
		dot = strchr(key, '.');
		len = dot ? (size_t)(dot - key) : strlen(key);
		kv = NULL;
		for (i = 0; i < o->via.map.size; i++) {
			const msgpack_object *k = &o->via.map.ptr[i].key;

			if (k->type == MSGPACK_OBJECT_STR &&
			    k->via.str.size == len &&
			    memcmp(k->via.str.ptr, key, len) == 0)
				kv = &o->via.map.ptr[i];
		}
		o = kv ? &kv->val : NULL;
		key += len + (dot != NULL);
	}
	return o;
}

int
conf_get_int(const msgpack_object *root, const char *key, int64_t *out)
{
	return mp_get_int64(conf_get(root, key), out);
}

int
conf_get_bool(const msgpack_object *root, const char *key, int *out)
{
	return mp_get_bool(conf_get(root, key), out);
}

int
conf_get_double(const msgpack_object *root, const char *key, double *out)
{
	const msgpack_object *o = conf_get(root, key);
	int64_t		 i;

	if (o && (o->type == MSGPACK_OBJECT_FLOAT64 ||
	    o->type == MSGPACK_OBJECT_FLOAT32)) {
		*out = o->via.f64;
		return 0;
	}
	if (mp_get_int64(o, &i) == 0) {
		*out = (double)i;
		return 0;
	}
	return -1;
}

int
conf_get_str(const msgpack_object *root, const char *key, char **out)
{
	char	*s = mp_strdup(conf_get(root, key));

	if (s == NULL)
		return -1;
	*out = s;
	return 0;
}
