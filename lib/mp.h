/*
 * mp.h - small helpers over msgpack-c shared by every moat-kv process:
 * typed getters for unpacked objects, packing shortcuts for map entries,
 * a growable output buffer that serves as a msgpack_packer target, and
 * MoaT-KV paths.
 *
 * A path is a sequence of msgpack values (str, bin, int, float, bool,
 * nil, ext 2 bigints and arrays of those, i.e. tuples).  On the wire it
 * is ext type 3 whose payload is the packed elements, concatenated, with
 * no array header; a plain array is accepted too.  Inside moat-kv a path
 * is that payload ("packed path"), in canonical form (see mp.c), so two
 * equal paths are equal byte strings.
 */
#ifndef MOAT_MP_H
#define MOAT_MP_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#define MP_EXT_BIGINT	2
#define MP_EXT_PATH	3

/* Growable output buffer; data is NULL until something is written. */
struct mpbuf {
	uint8_t		*data;
	size_t		 len, cap;
};

void	mpbuf_init(struct mpbuf *);
void	mpbuf_reset(struct mpbuf *);	/* len = 0, keeps the memory */
void	mpbuf_free(struct mpbuf *);
void	mpbuf_add(struct mpbuf *, const void *, size_t);
/* msgpack_packer_init(&pk, &buf, mpbuf_write); never fails (fatal). */
int	mpbuf_write(void *, const char *, size_t);

/*
 * Getters.  All accept NULL (as mp_map_get() returns for a missing key)
 * and then fail, so lookups can be chained.  They return 0 or -1.
 */
const msgpack_object *mp_map_get(const msgpack_object *, const char *);
int	mp_get_int64(const msgpack_object *, int64_t *);
int	mp_get_uint64(const msgpack_object *, uint64_t *);
int	mp_get_bool(const msgpack_object *, int *);
/* The bytes of a str, not NUL-terminated. */
int	mp_get_str(const msgpack_object *, const char **, size_t *);
/* NUL-terminated copy of a str; NULL if not a str or it holds a NUL. */
char	*mp_strdup(const msgpack_object *);

/* Packing shortcuts; a NULL string is packed as nil. */
void	mp_pack_str(msgpack_packer *, const char *);
void	mp_pack_strn(msgpack_packer *, const char *, size_t);
void	mp_pack_kv_str(msgpack_packer *, const char *, const char *);
void	mp_pack_kv_int(msgpack_packer *, const char *, int64_t);
void	mp_pack_kv_uint(msgpack_packer *, const char *, uint64_t);
void	mp_pack_kv_bool(msgpack_packer *, const char *, int);

/*
 * Paths.  mp_path_from_obj() takes ext 3 or an array and replaces out's
 * contents with the canonical packed path; mp_path_from_packed() does
 * the same for a payload from elsewhere (a file, a peer).  Both validate
 * every element and return 0, or -1 with a reason in *why (and out
 * empty).  The input must not point into out.
 */
int	mp_path_from_obj(const msgpack_object *, struct mpbuf *,
	    const char **);
int	mp_path_from_packed(const uint8_t *, size_t, struct mpbuf *,
	    const char **);
/* As ext 3 with the smallest header; empty path = c7 00 03. */
void	mp_pack_path(msgpack_packer *, const uint8_t *, size_t);
/* As a plain array. */
void	mp_pack_path_array(msgpack_packer *, const uint8_t *, size_t);
size_t	mp_path_count(const uint8_t *, size_t);
/*
 * Iterate: off starts at 0.  Returns 1 with the next element's bytes,
 * 0 at the end, -1 if the packed path is malformed.
 */
int	mp_path_next(const uint8_t *, size_t, size_t *, const uint8_t **,
	    size_t *);

#endif
