/*
 * internal.h - `moatctl internal': the subcommands (internal.c: dump,
 * state; nodes.c: deleter, mark, kill) and their shared printing.
 */
#ifndef MOAT_CLI_INTERNAL_H
#define MOAT_CLI_INTERNAL_H

#include <msgpack.h>

#include "lib/mp.h"

/* A reply as YAML without seq, "known" moved to the end as
 * "superseded" (the original's get_state output); a client_item_fn. */
int	internal_print(const msgpack_object *, void *);
/* The same for a packed reply. */
void	print_reply(const struct mpbuf *);
/* o is the str key s. */
int	is_key(const msgpack_object *o, const char *s);

int	internal_deleter(int, char **);
int	internal_mark(int, char **);
int	internal_kill(int, char **);

#endif
