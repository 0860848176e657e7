/*
 * yamlout.h - moatctl's YAML output of msgpack values, via libyaml.
 *
 * What the original prints (ruamel's safe dumper, block style), spelled
 * by libyaml's emitter:
 *
 *	nil, true, false	null, true, false
 *	int			decimal; ext 2 (bigint) too, up to
 *				LITERAL_BIGINT_MAX bytes, else !ext2 <hex>
 *	float			Python's repr, YAML-style: 1.5, 1.0e+16,
 *				.inf, -.inf, .nan
 *	str			plain if a YAML reader takes it back as
 *				that string, else single-quoted ('123',
 *				'null', 'yes', '', '1e3', '2024-01-01');
 *				libyaml falls back to double quotes for
 *				what single quotes cannot hold.  A string
 *				with a newline is a literal block ("|").
 *				A str that is not UTF-8 prints as bin.
 *	bin			!!binary, base64 in a literal block
 *	array, map		block sequence, block mapping; keys of any
 *				type (1:, null:, true:, ? [1, 2])
 *	ext 3 (Path)		!P and the path text (see pathfmt.h)
 *	other ext		!ext<type> <hex>
 *
 * The quoting test is the union of YAML 1.1's implicit types (PyYAML,
 * the original's readers) and YAML 1.2's core schema (ruamel), so the
 * output reads back as strings under either.
 *
 * One exception, to match the tutorial: a value that is a bare string
 * ("moatctl data :" on a root holding "Testing") is printed in double
 * quotes, "Testing", so that the string "123" and the number 123 look
 * different at the top level too.
 *
 * A document has no "---" header and no "..." trailer.  Lines are not
 * wrapped.  Streams (moatctl data PATH monitor) print each record
 * followed by a "---" line, as the original does, so a reader knows a
 * record is complete without waiting for the next one.
 */
#ifndef MOAT_CLI_YAMLOUT_H
#define MOAT_CLI_YAMLOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <msgpack.h>

/* Longer paths make yamltree_print() fail; they cannot be sane. */
#define YAMLTREE_DEPTH_MAX	256

/* One value as one YAML document.  Returns 0, or -1 on error. */
int	yamlout_value(FILE *, const msgpack_object *);

/* The same, then a "---" line: one record of a stream. */
int	yamlout_doc(FILE *, const msgpack_object *);

/*
 * "get -rd KEY": entries (path relative to the request, value) in tree
 * order are collected into nested mappings, one level per path element
 * with the element as key (non-str elements as YAML keys of their
 * type, None as null), each entry's value under KEY:
 *
 *	two:
 *	  three:
 *	    _: 123
 *	    four:
 *	      _: 1234
 *
 * Keys keep the order in which they were first added, the value's KEY
 * included, as in the original's dicts.  A string path element equal
 * to KEY gives a second, equal key (the original has the same clash).
 * Adding the same path again replaces its value.
 */
struct yamltree;

struct yamltree	*yamltree_new(const char *datakey);
/* value NULL: the node exists but has no value (no KEY entry). */
void		 yamltree_add(struct yamltree *, const uint8_t *packed_path,
		    size_t len, const msgpack_object *value);
/*
 * Emit the tree ("{}" when nothing was added).  -1 on output errors, or
 * if an added path was invalid or deeper than YAMLTREE_DEPTH_MAX:
 * those entries are left out and everything else is printed.
 */
int		 yamltree_print(struct yamltree *, FILE *);
void		 yamltree_free(struct yamltree *);
/*
 * What the original does to "get -rd KEY -m N" and "list -d KEY"
 * output: a KEY whose value is null is dropped, and a node left with
 * nothing at all prints as null instead of {}.
 */
void		 yamltree_simplex(struct yamltree *);

#endif
