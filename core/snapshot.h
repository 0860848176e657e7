/*
 * snapshot.h - buffered output to a persistence file, and the
 * incremental snapshot writer.
 *
 * Core cannot fork under its sandbox, and a million entries should not
 * stop the event loop, so a snapshot is written in steps: a tree cursor
 * (walk.c) keeps its place between steps whatever happens to the tree
 * meanwhile.  The entries it writes are therefore from different
 * moments; a change made during the snapshot is also in the change log
 * that was started with it, and loading snapshot + log applies each
 * entry under the newer-chain-wins rule, so the result is the state at
 * the end of the log.
 */
#ifndef MOAT_SNAPSHOT_H
#define MOAT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/tree.h"
#include "lib/mp.h"

struct pwriter {
	int		 fd;
	char		*name;
	struct mpbuf	 buf;		/* not yet written */
	uint64_t	 written;	/* bytes handed to write(2) */
	uint64_t	 synced;	/* bytes known durable */
	int		 error;		/* errno of the first failure */
};

/* Takes the descriptor (closed by pw_close()). 0, or -1 on ENOMEM. */
int	pw_init(struct pwriter *, int fd, const char *name);
/* Write the buffer out; -1 (and error set) on failure. */
int	pw_flush(struct pwriter *);
/* Flush and fdatasync. */
int	pw_sync(struct pwriter *);
/* Buffered and written bytes: the file's size once flushed. */
uint64_t pw_size(const struct pwriter *);
void	pw_close(struct pwriter *);

struct snapshot;

/* Entries below the root (all of them) into w, which already holds the
 * header and state records.  NULL on ENOMEM. */
struct snapshot	*snap_new(struct tree *, struct pwriter *);
/*
 * Write up to `max' more entries (flushing as the buffer fills).
 * 1: more to do; 0: done (flushed, not synced); -1: write or memory
 * error (w->error, or ENOMEM).
 */
int		 snap_step(struct snapshot *, size_t max);
uint64_t	 snap_count(const struct snapshot *);
void		 snap_free(struct snapshot *);

#endif
