/*
 * elem.h - path elements: one packed msgpack value each.
 *
 * A MoaT-KV path is a sequence of elements (str, bin, int, float, bool,
 * nil, or a tuple of those); the core keeps a path as the concatenation
 * of the packed elements.  Every server must order the children of an
 * entry the same way, so elem_cmp() defines a deterministic total order
 * that does not depend on how a value happened to be encoded (fixint or
 * uint32, float32 or float64, fixstr or str8 all compare by value).
 *
 * Input is trusted: elements were checked by the validator before they
 * reach the core.  The functions here still never read past `len'.
 */
#ifndef MOAT_ELEM_H
#define MOAT_ELEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Order of type classes; numbers of different types share one class so
 * that 1 < 1.5 < 2 whatever their encodings.
 */
enum elem_class {
	ELEM_NIL,
	ELEM_FALSE,
	ELEM_TRUE,
	ELEM_NUMBER,
	ELEM_STR,
	ELEM_BIN,
	ELEM_ARRAY,
	ELEM_MAP,
	ELEM_EXT,
	ELEM_BAD		/* reserved byte 0xc1 or truncated data */
};

/* <0, 0, >0 like memcmp; 0 only for the same logical value. */
int		elem_cmp(const uint8_t *, size_t, const uint8_t *, size_t);

/* Length of the first packed object in the buffer, 0 if truncated. */
size_t		elem_size(const uint8_t *, size_t);

/* Class of the first packed object (ELEM_BAD if empty or invalid). */
enum elem_class	elem_class(const uint8_t *, size_t);

/* The bytes of a str element, NULL if it is not a (complete) str. */
const uint8_t	*elem_str(const uint8_t *, size_t, size_t *);

/* Number of elements in a packed path, -1 if it does not parse. */
long		elem_count(const uint8_t *, size_t);

#endif
