/*
 * conf.h - look up settings in the config tree (a MsgPack map).
 *
 * Only the master parses YAML (lib/confyaml.c); every child receives
 * the effective tree as one MsgPack map and reads it with these, so
 * they link no YAML code.  Keys are dotted paths: "kv.server.node".
 * Each getter returns 0, or -1 if the key is missing or of another type.
 */
#ifndef MOAT_CONF_H
#define MOAT_CONF_H

#include <stdint.h>

#include <msgpack.h>

const msgpack_object *conf_get(const msgpack_object *root, const char *key);
int	conf_get_int(const msgpack_object *, const char *, int64_t *);
int	conf_get_bool(const msgpack_object *, const char *, int *);
/* A number, int or float. */
int	conf_get_double(const msgpack_object *, const char *, double *);
/* A malloc'd copy of a string value. */
int	conf_get_str(const msgpack_object *, const char *, char **);

#endif
