/*
 * snapshot.c - buffered file output and the incremental snapshot
 * writer (see snapshot.h for why it works in steps).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pfile.h"
#include "core/snapshot.h"
#include "lib/log.h"

#define PW_FLUSH_AT	(1u << 20)	/* buffer this much, then write */

int
pw_init(struct pwriter *w, int fd, const char *name)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	mpbuf_init(&w->buf);
	if ((w->name = strdup(name)) == NULL)
		return -1;
	return 0;
}

int
pw_flush(struct pwriter *w)
{
	size_t	 off = 0;
	ssize_t	 n;

	if (w->error) {
		errno = w->error;
		return -1;
	}
	while (off < w->buf.len) {
		n = write(w->fd, w->buf.data + off, w->buf.len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->error = n == 0 ? EIO : errno;
			/* Keep what did not go out: a caller may retry, and
			 * must not think it was written. */
			memmove(w->buf.data, w->buf.data + off,
			    w->buf.len - off);
			w->buf.len -= off;
			w->written += off;
			errno = w->error;
			return -1;
		}
		off += (size_t)n;
	}
	w->written += off;
	mpbuf_reset(&w->buf);
	return 0;
}

int
pw_sync(struct pwriter *w)
{
	if (pw_flush(w) == -1)
		return -1;
	if (w->synced == w->written)
		return 0;
	if (fdatasync(w->fd) == -1) {
		/* After a failed fsync the kernel may have dropped the
		 * dirty pages: nothing in this file can be trusted. */
		w->error = errno;
		return -1;
	}
	w->synced = w->written;
	return 0;
}

uint64_t
pw_size(const struct pwriter *w)
{
	return w->written + w->buf.len;
}

void
pw_close(struct pwriter *w)
{
	if (w->fd != -1)
		close(w->fd);
	w->fd = -1;
	mpbuf_free(&w->buf);
	free(w->name);
	w->name = NULL;
}

struct snapshot {
	struct tree		*tree;
	struct tree_cursor	*cur;
	struct pwriter		*w;
	uint64_t		 count;
};

struct snapshot *
snap_new(struct tree *t, struct pwriter *w)
{
	struct snapshot	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	/* Tombstones too: a deletion must survive a restart. */
	s->cur = tree_cursor_new(t, NULL, 0, 0, TREE_DEPTH_ANY,
	    TREE_WALK_EMPTY);
	if (s->cur == NULL) {
		free(s);
		return NULL;
	}
	s->tree = t;
	s->w = w;
	return s;
}

int
snap_step(struct snapshot *s, size_t max)
{
	struct entry	*e;
	const uint8_t	*path;
	size_t		 plen, i;

	for (i = 0; i < max; i++) {
		if ((e = tree_cursor_next(s->cur)) == NULL) {
			if (tree_cursor_failed(s->cur)) {
				errno = ENOMEM;
				return -1;
			}
			return pw_flush(s->w) == -1 ? -1 : 0;
		}
		/* A bare intermediate entry is implied by its children. */
		if (!entry_has_value(e) && entry_chain(e).n == 0)
			continue;
		path = tree_cursor_path(s->cur, &plen);
		if (pf_entry(&s->w->buf, s->tree, path, plen, e) == -1) {
			log_warnx("%s: entry too large for a record, left out",
			    s->w->name);
			continue;
		}
		s->count++;
		if (s->w->buf.len >= PW_FLUSH_AT && pw_flush(s->w) == -1)
			return -1;
	}
	return 1;
}

uint64_t
snap_count(const struct snapshot *s)
{
	return s->count;
}

void
snap_free(struct snapshot *s)
{
	if (s == NULL)
		return;
	tree_cursor_free(s->cur);
	free(s);
}
