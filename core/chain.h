/*
 * chain.h - change chains and the table of server (node) names.
 *
 * Every entry remembers its most recent changes, newest first, as a
 * chain of (node, tick) links: node is the server that made the change,
 * tick that server's change counter.  A node appears at most once and
 * the chain holds at most `maxlen' links (kv.server.change.length).
 * Servers compare chains to decide which of two versions of an entry
 * wins when they sync.
 *
 * Node names are interned into a per-process table so that a link is
 * 10 bytes instead of a name; indexes are local to this process, and
 * anything that leaves it must go out by name.  A cluster may have up
 * to 65535 servers (NODE_MAX + 1) over its lifetime.
 */
#ifndef MOAT_CHAIN_H
#define MOAT_CHAIN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Packed: links live inline in the entry's one allocation, and 10 bytes
 * instead of 16 is a tenth of a small entry.  Read fields by value only
 * (never take the address of link->tick).
 */
struct chain_link {
	uint16_t	 node;
	uint64_t	 tick;
} __attribute__((packed));

/* A read-only view of a chain; valid until its entry changes. */
struct chain {
	const struct chain_link	*link;
	unsigned		 n;
};

#define CHAIN_MAXLEN	255	/* the entry stores the length in a byte */
#define CHAIN_DEFLEN	5	/* kv.server.change.length default */

/* chain_cmp() results; NEWER/OLDER/SAME are antisymmetric. */
enum chain_rel {
	CHAIN_OLDER = -1,	/* b already contains a's head */
	CHAIN_SAME = 0,		/* same head link: the same change */
	CHAIN_NEWER = 1,	/* a already contains b's head */
	CHAIN_CONFLICT = 2	/* neither saw the other's head */
};

struct nodetab;

/*
 * Write into `out' (room for maxlen links, not aliasing `old') the chain
 * after `node' made change `tick': (node, tick) first, then the old
 * links without node's old link, at most maxlen in all.  Returns the
 * new length.
 */
unsigned	chain_add(struct chain_link *out, struct chain old,
		    unsigned maxlen, uint32_t node, uint64_t tick);

/* Index of node's link in the chain, -1 if it has none. */
int		chain_find(struct chain, uint32_t node);

enum chain_rel	chain_cmp(struct chain a, struct chain b);

/*
 * Deterministic winner of a CHAIN_CONFLICT: >0 if a wins, <0 if b wins,
 * 0 only if both heads are the same link.  tiebreak(a,b) ==
 * -tiebreak(b,a), and it uses names, not local indexes, so every server
 * picks the same winner.
 */
int		chain_tiebreak(struct chain a, struct chain b,
		    const struct nodetab *);

/* Node name table. */
#define NODE_MAX	0xfffe		/* highest index a link can hold */
#define NODE_NONE	UINT32_MAX

struct nodetab	*nodetab_new(void);
void		 nodetab_free(struct nodetab *);
/* Index of the name, adding it if new; NODE_NONE if out of memory. */
uint32_t	 nodetab_intern(struct nodetab *, const char *, size_t);
/* Index of a known name, NODE_NONE if unknown. */
uint32_t	 nodetab_find(const struct nodetab *, const char *, size_t);
/* NUL-terminated name (may contain NULs: use the length), or NULL. */
const char	*nodetab_name(const struct nodetab *, uint32_t, size_t *);
uint32_t	 nodetab_count(const struct nodetab *);
size_t		 nodetab_mem(const struct nodetab *);

#endif
