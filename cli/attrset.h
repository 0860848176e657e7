/*
 * attrset.h - the new value of "moatctl data PATH set": the old value
 * with the -v/-e/-p changes applied.
 *
 * Each change names a SUBPATH (path text, see lib/pathfmt.h) and a
 * value: -v takes the text as a string, -e evaluates it as a Python
 * literal (lib/literal.h; "-" deletes the key instead), -p reads it as
 * path text and stores a Path.  As in MoaT-KV, the -v changes are
 * applied first, then the -e ones, then the -p ones, each group in
 * command-line order.
 *
 * SUBPATH ":" (the empty path) replaces the whole value; it cannot be
 * combined with any other change.  Any other SUBPATH sets (or deletes)
 * that key of the value, a longer one a key of a nested map; missing
 * maps on the way are created, and a value that is not a map is
 * replaced by an empty map first.  Setting a key below something that
 * is not a map is an error.
 */
#ifndef MOAT_CLI_ATTRSET_H
#define MOAT_CLI_ATTRSET_H

#include <stddef.h>

#include <msgpack.h>

#include "lib/mp.h"

enum attr_kind {
	ATTR_STR,		/* -v */
	ATTR_EVAL,		/* -e */
	ATTR_PATH		/* -p */
};

struct attr_op {
	enum attr_kind	 kind;
	const char	*subpath;
	const char	*value;
};

/*
 * old is the entry's current value, NULL if it has none.  Returns 1 with
 * the new value packed into out (replacing its contents), 0 if the
 * result is "no value" (the entry is to be deleted), -1 with a message
 * in err naming the offending argument.
 */
int	attrset_apply(const msgpack_object *old, const struct attr_op *ops,
	    size_t nops, struct mpbuf *out, char *err, size_t errlen);

#endif
