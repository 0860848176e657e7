/*
 * confyaml.h - build the effective configuration: built-in defaults,
 * then a YAML file, then -C key=value overrides; check it against the
 * table of known keys; hand it on as one MsgPack map.
 *
 * Functions returning int give 0, or -1 with a message in err that
 * names the file and line or the key.
 */
#ifndef MOAT_CONFYAML_H
#define MOAT_CONFYAML_H

#include <stddef.h>

#include <msgpack.h>

struct conf;

struct conf	*conf_new(void);
void		 conf_free(struct conf *);
int		 conf_load_file(struct conf *, const char *path, char *err,
		    size_t errlen);
/* "a.b.c=value"; value is read as YAML (empty: the empty string). */
int		 conf_set(struct conf *, const char *assignment, char *err,
		    size_t errlen);
int		 conf_check(struct conf *, char *err, size_t errlen);
int		 conf_pack(struct conf *, msgpack_packer *);

#endif
