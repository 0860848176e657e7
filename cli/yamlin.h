/*
 * yamlin.h - YAML documents to msgpack, via libyaml ("data PATH update").
 *
 * The inverse of yamlout.h, for what the original and moatctl print:
 *
 *	null ~ (empty)		nil
 *	true false		bool (True, TRUE, ... too)
 *	123 -5 0x1f 0o17	int; beyond 64 bits ext 2, as literal.h
 *	1.5 1e3 .inf .nan	float64
 *	!!binary		bin (base64, blanks and line breaks ignored)
 *	!P one.two		a Path (ext 3, see pathfmt.h)
 *	anything else		str; a quoted scalar is always a str
 *	sequences, mappings	array, map (keys of any type)
 *
 * Plain scalars are resolved by YAML 1.2's core schema; yamlout quotes
 * every string that YAML 1.1 would read otherwise, so its output reads
 * back exactly.  !!str, !!int, !!float, !!bool and !!null force the
 * type.  Aliases are refused (they can multiply a small input into a
 * huge one), as are other tags and nesting beyond LITERAL_DEPTH_MAX.
 */
#ifndef MOAT_CLI_YAMLIN_H
#define MOAT_CLI_YAMLIN_H

#include <stddef.h>
#include <stdio.h>

#include "lib/mp.h"

struct yamlin;

struct yamlin	*yamlin_open(FILE *);
/* The same for a string (kept by the caller while in use). */
struct yamlin	*yamlin_open_string(const char *, size_t);
/*
 * The next document, packed into out (replacing its contents), and the
 * line it starts on.  Returns 1, 0 at the end of the stream, -1 with
 * "line N: what" in err.  After an error the stream is done.
 */
int		 yamlin_next(struct yamlin *, struct mpbuf *out, int *line,
		    char *err, size_t errlen);
void		 yamlin_close(struct yamlin *);

#endif
