/*
 * pfile.h - what the records of a persistence file say, and loading.
 *
 * A file (framing: lib/record.h) is
 *
 *	header	REC_HEADER {moat_kv: "state", version: 1, kind, node}
 *		kind: "snapshot" (state dir), "log" (state-dir change
 *		log, `log dest'), "save" (`log save')
 *	state	{nodes: {name: tick}, known: {name: ranges},
 *		 deleted: {name: ranges}, tock}   (get_state's form)
 *	entry	{path, value, chain, tock}: path as ext 3, value the
 *		packed bytes as stored (absent for a tombstone), chain
 *		[[node, tick], ...] newest first, tock the entry's tock
 *
 * in any order after the header, headers recurring (concatenation).
 * A snapshot is the state record and then every entry with a value or
 * a chain; a change log is a state record and then one entry record
 * per applied change, with a state record now and then.  Loading
 * applies each entry as if a peer had sent it: the newer chain wins
 * (chain_cmp(), chain_tiebreak() on conflict), so order and repeats
 * do not matter and snapshot + log + log can be loaded in any mix.
 *
 * The chain is a flat array, not the wire's nested {node, tick, prev}
 * maps: msgpack-c cannot unpack nesting deeper than 32, and
 * kv.server.change.length goes to 100.
 */
#ifndef MOAT_PFILE_H
#define MOAT_PFILE_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "core/chain.h"
#include "core/ranges.h"
#include "core/tree.h"
#include "lib/mp.h"

#define PF_VERSION	1

/* Append one framed record to buf.  -1 (EFBIG) if it is too large. */
void	pf_header(struct mpbuf *, const char *kind, const char *node);
int	pf_entry(struct mpbuf *, struct tree *, const uint8_t *path,
	    size_t plen, const struct entry *);

/* An entry record, decoded; pointers into the record and `pathbuf'. */
struct pf_entry {
	const uint8_t		*path;		/* canonical packed path */
	size_t			 plen;
	const uint8_t		*value;		/* NULL: tombstone */
	size_t			 vlen;
	struct chain_link	 link[CHAIN_MAXLEN];
	unsigned		 nlink;
	uint64_t		 tock;
};

/*
 * Decode an entry record (the payload bytes of a REC_DATA frame that
 * is a map with "path").  Chain names are interned in the tree's name
 * table.  1 if it is an entry record, 0 if it is not one (no "path"),
 * -1 with *why if it is malformed.
 */
int	pf_parse_entry(const uint8_t *, size_t, struct tree *,
	    struct mpbuf *pathbuf, struct pf_entry *, const char **why);

/*
 * The sync rule: 1 if the decoded entry should replace what the tree
 * has at its path (nothing, an older chain, or a conflict it wins).
 */
int	pf_wins(struct tree *, const struct pf_entry *);
/* Apply it to a bare tree if it wins: 1 applied, 0 not, -1 ENOMEM.
 * (Core applies through core_change_apply() instead.) */
int	pf_apply(struct tree *, const struct pf_entry *);

/*
 * A state record: fn(set, name, namelen, tick, ranges, arg) for each
 * item - set "nodes" (tick given, ranges NULL), "known" or "deleted"
 * (ranges given).  *tock gets the record's tock (0 if none).  0, the
 * first non-zero return of fn, or -1 with *why if malformed.
 */
typedef int	(*pf_state_fn)(const char *set, const char *name, size_t len,
		    uint64_t tick, const struct ranges *, void *);

int	pf_parse_state(const msgpack_object *, pf_state_fn, void *,
	    uint64_t *tock, const char **why);

/*
 * Load a whole file from fd: every header is checked, state records go
 * to state_fn, entry records are decoded and given to entry_fn (or,
 * if it is NULL, applied to the tree with pf_apply()).  Damage is
 * handled as lib/record.h says; a torn tail is reported in the stats
 * (and logged), the caller truncates its own files there.
 */
struct pf_load {
	struct tree	*tree;
	pf_state_fn	 state_fn;
	int		(*entry_fn)(const struct pf_entry *, void *);
	void		*arg;
	/* results */
	uint64_t	 headers, states, entries, applied;
	uint64_t	 max_tock;
	int64_t		 torn;		/* offset of a torn tail, or -1 */
	uint64_t	 good_end;	/* just after the last good record */
};

int	pf_load_fd(int fd, const char *name, struct pf_load *,
	    char *err, size_t errlen);

#endif
