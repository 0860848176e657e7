/*
 * request.h - one client request, taken apart once.
 *
 * A request is a MsgPack map with str keys.  req_parse() unpacks it
 * into a reused zone, indexes the fields core knows by name (unknown
 * keys are ignored, as the original server does: clients send `iter',
 * `long_path' and others) and records the raw bytes of each field's
 * value, so a value or prev is copied into the tree and compared as
 * packed bytes, never re-encoded.  Duplicate keys: the last one wins.
 *
 * The typed getters return REQ_OK, REQ_ABSENT (the default applies) or
 * REQ_BADTYPE; error texts are built by the caller with req_field_name().
 */
#ifndef MOAT_REQUEST_H
#define MOAT_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "lib/mp.h"

enum req_field {
	F_SEQ, F_ACTION, F_PATH, F_VALUE, F_PREV, F_CHAIN, F_NCHAIN, F_IDEM,
	F_STATE, F_ACK, F_QLEN, F_TASK, F_MIN_DEPTH, F_MAX_DEPTH, F_EMPTY,
	F_FETCH, F_WITH_DATA, F_NODE, F_TICK, F_WSEQ, F_NODES, F_KNOWN,
	F_SUPERSEDED, F_PRESENT, F_DELETED, F_MISSING, F_REMOTE_MISSING,
	F_CURRENT, F_DEBUG, F_MODE, F_ACL, F_TOPIC, F_DATA, F_RAW,
	F_MAX
};

struct req {
	const msgpack_object	*obj;		/* the whole message */
	const msgpack_object	*f[F_MAX];	/* NULL if absent */
	const uint8_t		*raw[F_MAX];	/* packed value bytes */
	size_t			 rawlen[F_MAX];
};

enum req_rc { REQ_OK = 0, REQ_ABSENT = 1, REQ_BADTYPE = -1 };

/*
 * Index a validated, unpacked message.  -1 if it is not a map (the
 * fields are then all absent).  `data' are the bytes obj came from.
 */
int		 req_parse(struct req *, const msgpack_object *,
		    const uint8_t *data, size_t len);
/* The same, with the index mpval_check_index() made of data. */
struct mpval_index;
int		 req_parse_index(struct req *, const msgpack_object *,
		    const uint8_t *data, size_t len,
		    const struct mpval_index *);
const char	*req_field_name(enum req_field);
int		 req_has(const struct req *, enum req_field);

enum req_rc	 req_int(const struct req *, enum req_field, int64_t *);
/* Truthiness as Python would see a flag: nil/false/0 are false. */
enum req_rc	 req_bool(const struct req *, enum req_field, int *);
enum req_rc	 req_str(const struct req *, enum req_field, const char **,
		    size_t *);

/*
 * A path field: ext 3 or an array, into out (canonical packed path).
 * REQ_BADTYPE with *why for anything else; a str gives REQ_STRPATH
 * (the original treats it as a path that exists nowhere).
 */
#define REQ_STRPATH	2
int		 req_path(const struct req *, enum req_field, struct mpbuf *,
		    const char **why);

/* Python's name for the type of a message that is not a map. */
const char	*req_pytype(const msgpack_object *);

#endif
