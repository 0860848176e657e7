/*
 * msg.h - the server-to-server messages on the broker, and the sync
 * events syncd exchanges with core.
 *
 * Topics are <kv.server.root>/<kind>.  Payloads (MsgPack maps, QoS 0):
 *
 *   ping, del  asyncactor messages:
 *              {t:"init", node}
 *              {t:"vers", node, cycle, gap, nodes, splits, n_hosts,
 *               version, force_in}
 *              {t:"ping", node, value: [tock, tick] | nil, history: [..]}
 *              {t:"hist", value, history}          (after a split)
 *   update     {node, tick, prev: chain | nil, path: ext3, [value], tock}
 *              a re-sent one (split recovery) instead:
 *              {[value], chain, tock, path, node: sender, tick: sender's}
 *              no value = deleted.  A chain is {node, tick, prev}, prev
 *              nil = it ends, missing = truncated.
 *   update/batch  (ours, syncd/PROTOCOL.md) {node: sender, updates:
 *              [update, ...]}: 2..SYNC_BATCH_MAX_COUNT update payloads
 *              as above, at most SYNC_BATCH_MAX_BYTES in all.
 *   info       {node, tick, tock, [ticks: {node: tick}],
 *               [missing | known (alias superseded) | deleted |
 *                remote_missing: {node: ranges}], [node_drop: [node..]],
 *               [check_deleted: {node: ranges}, check_to: node]}
 *              ranges in core/ranges.h's wire format.  check_deleted
 *              (ours; the original sends it as a client request,
 *              check_deleted, to a deleter member): the last-change
 *              links of a server that missed purge rounds; check_to
 *              answers with `deleted' for those it has no entry for.
 *
 * Every payload from the broker passes mpval_check() with the kind's
 * limits before msgpack-c sees it; a parse function either fills its
 * struct completely or fails with a reason, and never keeps pointers
 * beyond the msgpack zone the caller owns.
 */
#ifndef MOAT_SYNCD_MSG_H
#define MOAT_SYNCD_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/chain.h"
#include "lib/mp.h"

#define SYNC_NAME_MAX	255		/* bytes in a node name */
#define SYNC_HIST_MAX	16		/* names in a ping history */
#define SYNC_PING_MAX	8192		/* bytes in a ping/del payload */

enum sync_kind { SK_UPDATE, SK_INFO, SK_PING, SK_DEL, SK_BATCH,
	SK_UNKNOWN };

enum sync_kind	 sync_kind(const char *topic, const char *root);
const char	*sync_kind_str(enum sync_kind);

/*
 * Validate (mpval, limits by kind; max_msg bounds update and info) and
 * unpack a payload into the caller's zone.  0, or -1 with a reason.
 */
int	sync_unpack(enum sync_kind, const uint8_t *, size_t, size_t max_msg,
	    msgpack_zone *, msgpack_object *, const char **why);

/* --- actor messages ------------------------------------------------ */

struct actor_cfg {
	double		 cycle, gap;
	int64_t		 nodes, splits, n_hosts, version;
	int		 force_in;
};

/* A ping value: moat-kv sends [tock, tick], nil before it is ready. */
struct actor_val {
	int		 has;
	uint64_t	 tock, tick;
};

enum amsg_type { AMSG_INIT, AMSG_VERS, AMSG_PING, AMSG_HIST };

struct amsg {
	enum amsg_type	 t;
	char		 node[SYNC_NAME_MAX + 1];	/* hist: history[0] */
	struct actor_val value;				/* ping, hist */
	unsigned	 nhist;
	char		 hist[SYNC_HIST_MAX][SYNC_NAME_MAX + 1];
	struct actor_cfg cfg;				/* vers */
};

int	amsg_parse(const msgpack_object *, struct amsg *, const char **why);
void	amsg_pack(const struct amsg *, msgpack_packer *);

/* --- updates -------------------------------------------------------- */

struct slink {
	const char	*node;		/* not NUL-terminated */
	size_t		 nodelen;
	uint64_t	 tick;
};

struct schain {
	unsigned	 n;		/* >= 1 */
	int		 trunc;		/* cut off after link n-1 */
	struct slink	 link[CHAIN_MAXLEN];
};

struct supdate {
	struct schain	 chain;		/* the entry's, newest first */
	const uint8_t	*path;		/* canonical packed path */
	size_t		 pathlen;
	const msgpack_object *value;	/* NULL: deleted */
	uint64_t	 tock;
	int		 resend;	/* a re-sent change, from src */
	const char	*src;
	size_t		 srclen;
	uint64_t	 srctick;
};

/* From the broker.  The canonical path is written into pathbuf. */
int	supdate_parse(const msgpack_object *, struct supdate *,
	    struct mpbuf *pathbuf, const char **why);
/*
 * A get_tree item of the start-up download (syncd/fetch.c): {value,
 * chain, tock, path, depth}; path is the item's full canonical path,
 * which the caller rebuilt (lib/pathlong.h) and keeps alive.
 */
int	supdate_parse_item(const msgpack_object *, const uint8_t *path,
	    size_t pathlen, struct supdate *, const char **why);
/* To the broker, in the original's key order. */
void	supdate_pack(const struct supdate *, msgpack_packer *);

/*
 * The same event between core and syncd (IPC_SYNC_LOCAL, IPC_SYNC_REMOTE,
 * see syncd.h): {chain: [[node, tick], ...], [trunc: true], path: bin,
 * [value], tock, [resend: [node, tick]]}.
 */
int	supdate_parse_ipc(const msgpack_object *, struct supdate *,
	    struct mpbuf *pathbuf, const char **why);
void	supdate_pack_ipc(const struct supdate *, msgpack_packer *);

/* --- batches (batch.c) --------------------------------------------- */

#define SYNC_BATCH_MAX_COUNT	256
#define SYNC_BATCH_MAX_BYTES	(64u << 10)	/* the whole payload */
/* map, two keys, the node name (str8 header), the array header */
#define SYNC_BATCH_OVERHEAD	(1 + 5 + 8 + 2 + SYNC_NAME_MAX + 3)

/* Updates packed back to back (each a complete `update' payload). */
struct sbatch {
	struct mpbuf	 body;
	unsigned	 n;
};

void	sbatch_init(struct sbatch *);
void	sbatch_reset(struct sbatch *);
void	sbatch_free(struct sbatch *);
/*
 * 0, or -1 (nothing added) when it would exceed a bound (flush first),
 * or never fits: a re-send, or nested deeper than 30 levels.
 */
int	sbatch_add(struct sbatch *, const struct supdate *);
/* The <root>/update/batch payload, for n >= 2 (n == 1: body is the
 * single update itself). */
void	sbatch_pack(const struct sbatch *, const char *node, size_t nodelen,
	    struct mpbuf *out);

/* A decoded batch: the elements, each for supdate_parse(). */
struct sbatch_in {
	const char	*node;
	size_t		 nodelen;
	const msgpack_object *item;
	uint32_t	 n;
};

int	sbatch_parse(const msgpack_object *, struct sbatch_in *,
	    const char **why);
/* 1: the raw payload is a batch sbatch_pack() made for this node. */
int	sbatch_is_own(const uint8_t *, size_t, const char *node,
	    size_t nodelen);

/* --- info ------------------------------------------------------------ */

enum { SI_TICKS, SI_MISSING, SI_KNOWN, SI_DELETED, SI_REMOTE_MISSING,
	SI_NODE_DROP, SI_CHECK_DELETED, SI_CHECK_TO, SI_NFIELDS };

struct sinfo {
	const char	*node;
	size_t		 nodelen;
	uint64_t	 tick, tock;
	const msgpack_object *f[SI_NFIELDS];	/* NULL when absent */
};

extern const char *const sinfo_field_names[SI_NFIELDS];

/* need_node 0: an info body from core, which leaves node out. */
int	sinfo_parse(const msgpack_object *, struct sinfo *, int need_node,
	    const char **why);
/* Wire order: the fields, then tock, node, tick (as captured). */
void	sinfo_pack(const struct sinfo *, msgpack_packer *);

#endif
