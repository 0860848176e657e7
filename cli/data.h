/*
 * data.h - the parts of "moatctl data" (data.c: dispatch, get, list;
 * dataset.c: set, delete; monitor.c: monitor, update).
 */
#ifndef MOAT_CLI_DATA_H
#define MOAT_CLI_DATA_H

#include <stdio.h>

#include <msgpack.h>

#include "lib/mp.h"

struct client;

/* What every data subcommand gets: the entry's path. */
struct dpath {
	const char	*text;
	struct mpbuf	 packed;
};

int	data_set(const struct dpath *, int, char **);
int	data_delete(const struct dpath *, int, char **);
int	data_monitor(const struct dpath *, int, char **);
int	data_update(const struct dpath *, int, char **);

/* data.c */
/* Pack {"node": node, "tick": tick} from "--last NODE TICK". */
void	data_pack_last(msgpack_packer *, const char *node, const char *tick);
/*
 * -m output: pack reply o without the protocol's seq, wseq and depth,
 * its path kept, left out or replaced by path (a packed path), and
 * room for `extra' more fields.  data_print_meta() prints such a reply.
 */
enum meta_path { META_KEEP, META_DROP, META_SET };

void	data_pack_meta(msgpack_packer *, const msgpack_object *o,
	    enum meta_path, const uint8_t *path, size_t plen, uint32_t extra);
void	data_print_meta(const msgpack_object *o);
/*
 * -D (get, monitor): values are printed with dates added, see
 * cli/adddate.h.  data_value() returns v, or its dated copy in u/b.
 */
extern int data_add_dates;
const msgpack_object *data_value(const msgpack_object *v, msgpack_unpacked *u,
	    struct mpbuf *b);
/* Unpack what we packed ourselves; fatal if that fails. */
const msgpack_object *data_unpack(msgpack_unpacked *, const struct mpbuf *);
/* Python's str() of a value on f, for the plain output modes. */
void	data_print_str(FILE *, const msgpack_object *);
/* getopt_long() returned ch, '?' or ':': say what was wrong. */
void	data_bad_option(const char *sub, char **argv, int ch)
	    __attribute__((noreturn));
/* A one-line usage error for subcommand sub, with its usage text. */
void	data_usage_fail(const char *sub, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#endif
