/*
 * plog.c - the files a client asks for: `log dest [-i] FILE' (the
 * "log" action: the current state unless incremental, then every
 * change), `log save FILE' (the "save" action: a one-shot snapshot),
 * `log stop' (the "log" action without a path), and moatd -l files.
 *
 * Names are relative to the state directory, core's chroot; a name
 * that is absolute, has an empty, "." or ".." component, or any
 * component starting with "." (core's own files are dot files) is
 * refused, and the last component must not be a symbolic link, so no
 * client can make core write outside its directory or over its own
 * snapshot and log.  Only regular files are written.
 *
 * Switching logs cannot lose or repeat a change: the new file, with
 * its full state when asked, is written and synced inside one request
 * handler - no change can happen meanwhile - and only then is the old
 * one closed.  Every later change goes to the new file only.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core.h"
#include "core/persist.h"
#include "core/session.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/record.h"

void	act_log(struct ctx *);
void	act_save(struct ctx *);

static struct {
	struct pwriter	 w;
	int		 open;
} L;

static int
check_name(const char *s, size_t len, char *out, size_t outlen,
    const char **why)
{
	size_t	 i, start;

	*why = NULL;
	if (len == 0)
		*why = "empty file name";
	else if (len >= outlen || len >= PATH_MAX)
		*why = "file name too long";
	else if (memchr(s, '\0', len) != NULL)
		*why = "file name contains a NUL";
	else if (s[0] == '/')
		*why = "file names are relative to the state directory";
	for (start = 0, i = 0; *why == NULL && i <= len; i++) {
		if (i < len && s[i] != '/')
			continue;
		if (i == start)
			*why = "empty file name component";
		else if (s[start] == '.')
			*why = "file name components must not start with '.'";
		start = i + 1;
	}
	if (*why)
		return -1;
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* Is fd the file of the open log? */
static int
is_log(int fd)
{
	struct stat	 a, b;

	return L.open && fstat(fd, &a) == 0 && fstat(L.w.fd, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Open for writing, emptied.  Truncated only after the checks, so a
 * refused name leaves the file as it was; the open log may be named
 * again by `log dest' (it is flushed first), not by `save'.
 */
static int
open_out(const char *s, size_t len, int may_be_log, struct pwriter *w,
    char *err, size_t errlen)
{
	struct stat	 st;
	char		 name[PATH_MAX];
	const char	*why;
	int		 fd;

	if (check_name(s, len, name, sizeof(name), &why) == -1) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	/* O_NONBLOCK: a FIFO without reader fails instead of hanging. */
	fd = open(name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "%.200s: %s", name, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    fcntl(fd, F_SETFL, 0) == -1) {
		snprintf(err, errlen, "%.200s: not a regular file", name);
		close(fd);
		return -1;
	}
	if (!may_be_log && is_log(fd)) {
		snprintf(err, errlen, "%.200s: is the current log", name);
		close(fd);
		return -1;
	}
	plog_flush(1);
	if (ftruncate(fd, 0) == -1) {
		snprintf(err, errlen, "%.200s: %s", name, strerror(errno));
		close(fd);
		return -1;
	}
	if (pw_init(w, fd, name) == -1) {
		close(fd);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Header and state record, and every entry if `full'. */
static int
write_start(struct pwriter *w, const char *kind, int full, char *err,
    size_t errlen)
{
	struct snapshot	*s;
	int		 rc = 0;

	pf_header(&w->buf, kind, proc_node_name());
	persist_pack_state(&w->buf);
	if (full) {
		if ((s = snap_new(core.tree, w)) == NULL)
			rc = -1;
		while (rc == 0 && (rc = snap_step(s, 65536)) == 1)
			rc = 0;
		snap_free(s);
	}
	if (rc == 0)
		rc = pw_sync(w);
	if (rc == -1)
		snprintf(err, errlen, "%s: %s", w->name, strerror(errno));
	return rc;
}

static void
close_log(void)
{
	if (!L.open)
		return;
	if (pw_sync(&L.w) == -1)
		log_warn("log %s", L.w.name);
	pw_close(&L.w);
	L.open = 0;
}

static int
log_dest(const char *s, size_t len, int full, char *err, size_t errlen)
{
	struct pwriter	 nw;

	if (open_out(s, len, 1, &nw, err, errlen) == -1)
		return -1;
	if (write_start(&nw, "log", full, err, errlen) == -1) {
		(void)unlink(nw.name);
		pw_close(&nw);
		return -1;
	}
	close_log();
	L.w = nw;
	L.open = 1;
	log_info("logging changes to %s", L.w.name);
	return 0;
}

static int
save(const char *s, size_t len, char *err, size_t errlen)
{
	struct pwriter	 w;
	int		 rc;

	if (open_out(s, len, 0, &w, err, errlen) == -1)
		return -1;
	rc = write_start(&w, "save", 1, err, errlen);
	if (rc == -1)
		(void)unlink(w.name);
	else
		log_info("state saved to %s", w.name);
	pw_close(&w);
	return rc;
}

void
plog_change(struct tree *t, const uint8_t *path, size_t plen,
    const struct entry *e)
{
	if (L.open && pf_entry(&L.w.buf, t, path, plen, e) == -1)
		log_warnx("log %s: change too large, left out", L.w.name);
}

void
plog_flush(int sync)
{
	if (!L.open || (L.w.buf.len == 0 && (!sync ||
	    L.w.synced == L.w.written)))
		return;
	if ((sync ? pw_sync(&L.w) : pw_flush(&L.w)) == -1) {
		log_warn("log %s: write failed, log closed", L.w.name);
		pw_close(&L.w);
		L.open = 0;
	}
}

void
plog_shutdown(void)
{
	if (L.open)
		persist_pack_state(&L.w.buf);
	close_log();
}

int
plog_load_msg(struct ipc_msg *m)
{
	msgpack_zone	 zone;
	msgpack_object	 o;
	const char	*why;
	char		*name = NULL, err[512];
	int		 fd = m->fd;

	msgpack_zone_init(&zone, 256);
	if (fd == -1 || proc_unpack(m, &zone, &o, &why) == -1 ||
	    (name = mp_strdup(mp_map_get(&o, "name"))) == NULL) {
		msgpack_zone_destroy(&zone);
		if (fd != -1)
			close(fd);
		return -1;
	}
	msgpack_zone_destroy(&zone);
	if (persist_load_file(fd, name, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		log_warnx("cannot load %s: stopping", name);
		exit(PERSIST_EXIT_DATA);
	}
	close(fd);
	free(name);
	return 0;
}

/* A path field that is a file name (str), or absent. */
static int
name_field(struct ctx *c, const char **s, size_t *len)
{
	switch (req_str(c->rq, F_PATH, s, len)) {
	case REQ_OK:
		return 1;
	case REQ_ABSENT:
		return 0;
	default:
		ctx_error(c, "path must be a file name (a string)");
		return -1;
	}
}

static void
reply_true(struct ctx *c)
{
	rep_begin(c->r);
	rep_bool(c->r, "result", 1);
	ctx_finish(c);
}

/* {action: log, path: FILE, fetch: bool}; without path: stop. */
void
act_log(struct ctx *c)
{
	const char	*s;
	size_t		 len;
	char		 err[512];
	int		 rc, fetch = 0;

	if ((rc = name_field(c, &s, &len)) == -1 ||
	    ctx_bool(c, F_FETCH, &fetch) == -1)
		return;
	if (rc == 0)
		close_log();
	else if (log_dest(s, len, fetch, err, sizeof(err)) == -1) {
		ctx_error(c, "%s", err);
		return;
	}
	reply_true(c);
}

/* {action: save, path: FILE} */
void
act_save(struct ctx *c)
{
	const char	*s;
	size_t		 len;
	char		 err[512];
	int		 rc;

	if ((rc = name_field(c, &s, &len)) == -1)
		return;
	if (rc == 0) {
		ctx_error(c, "save needs a path");
		return;
	}
	if (save(s, len, err, sizeof(err)) == -1) {
		ctx_error(c, "%s", err);
		return;
	}
	reply_true(c);
}
