/*
 * mpval.h - bounded MsgPack validator and stream scanner.
 *
 * msgpack-c's unpacker believes container headers: the five bytes
 * dd ff ff ff ff make it allocate room for 4294967295 objects before it
 * has seen one of them.  So every MsgPack byte string that comes from
 * outside a process (a client socket, an IPC frame, a file) goes through
 * mpval_scan() or mpval_check() first.  They only look at the bytes -
 * no allocation, no recursion, no objects built - and reject anything
 * msgpack-c could not unpack within the given limits.
 */
#ifndef MOAT_MPVAL_H
#define MOAT_MPVAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * The scanner keeps one counter per open container on its own stack,
 * which is this deep; a larger max_depth is treated as this value.
 * msgpack-c's unpacker itself gives up beyond 32 (MSGPACK_EMBED_STACK_SIZE).
 */
#define MPVAL_DEPTH_MAX	128

struct mpval_limits {
	uint32_t	 max_depth;	/* open arrays/maps; 0: scalars only */
	uint32_t	 max_strlen;	/* bytes in one str */
	uint32_t	 max_binlen;	/* bytes in one bin */
	uint32_t	 max_extlen;	/* payload bytes in one ext */
	size_t		 max_size;	/* bytes in the whole object */
};

/* depth 32, str/bin/ext 1 MiB, 4 MiB per object */
extern const struct mpval_limits mpval_default_limits;

enum mpval_rc {
	MPVAL_OK,	/* a complete, valid object */
	MPVAL_MORE,	/* valid so far, but incomplete */
	MPVAL_ERROR	/* invalid; the reason is in *why */
};

/*
 * One decoded object header, as mpval_head() returns it.  hlen counts
 * the bytes in front of the payload (type byte, length or count, ext
 * type).  n is the payload size in bytes for str, bin, ext and the
 * fixed-size scalars (0 for nil, bool and fixints), the number of
 * elements for an array and of key/value pairs for a map.  So a
 * non-container takes hlen + n bytes.
 */
enum mpval_kind {
	MPV_NIL, MPV_BOOL, MPV_UINT, MPV_INT, MPV_FLOAT, MPV_STR, MPV_BIN,
	MPV_EXT, MPV_ARRAY, MPV_MAP
};

struct mpval_head {
	enum mpval_kind	 kind;
	size_t		 hlen;
	uint64_t	 n;
	int8_t		 exttype;	/* MPV_EXT */
	union {
		int		 b;	/* MPV_BOOL */
		uint64_t	 u;	/* MPV_UINT */
		int64_t		 i;	/* MPV_INT */
		double		 f;	/* MPV_FLOAT (float32 widened) */
	} v;
};

/*
 * Look at the first object of a stream.  MPVAL_OK: it is complete and
 * *objlen is its size.  MPVAL_MORE: wait for more bytes; *objlen is then
 * a lower bound (> len) on the size the object will have, usable as a
 * read low-water mark.  MPVAL_ERROR: *why says why, in a few words.
 * Counts and lengths that cannot fit into max_size are errors at once.
 * objlen and why may be NULL.
 */
enum mpval_rc	mpval_scan(const uint8_t *, size_t, const struct mpval_limits *,
		    size_t *, const char **);

/*
 * A complete buffer (IPC frame, file record): exactly one object of
 * exactly len bytes, len at most max_size.  Never returns MPVAL_MORE.
 */
enum mpval_rc	mpval_check(const uint8_t *, size_t,
		    const struct mpval_limits *, const char **);

/*
 * mpval_check() that also notes where the elements of the top-level
 * array or map start (a map's keys and values alternate), so that
 * taking a checked message apart needs no second walk: off[i] for the
 * first MPVAL_INDEX_MAX of them, n counts them all.
 */
#define MPVAL_INDEX_MAX	64
struct mpval_index {
	size_t		 n;
	size_t		 off[MPVAL_INDEX_MAX];
};
enum mpval_rc	mpval_check_index(const uint8_t *, size_t,
		    const struct mpval_limits *, struct mpval_index *,
		    const char **);

/*
 * Size of the first object of an already validated buffer, 0 if the
 * buffer does not start with a complete object.  Checks structure only
 * (not UTF-8 or limits); for walking path elements and the like.
 */
size_t		mpval_skip(const uint8_t *, size_t);

/*
 * Decode the header at p (for scalars, the whole value).  MPVAL_MORE if
 * len is too short for it, MPVAL_ERROR on the one invalid byte 0xc1.
 */
enum mpval_rc	mpval_head(const uint8_t *, size_t, struct mpval_head *,
		    const char **);

#endif
