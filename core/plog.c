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
 * Switching logs loses no change.  `log dest -i' writes and syncs the
 * new file's header inside one request handler - no change can happen
 * meanwhile - then closes the old log: every change is in exactly one
 * of the two.  A full `log dest' and `save' write their entries in
 * steps from the event loop (a million entries must not stop the
 * server) and reply when the file is complete; during that time a new
 * log gets every change as well as the old log does, so a change may
 * be in both (as the protocol reference allows), never in neither.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "core/core.h"
#include "core/persist.h"
#include "core/reply.h"
#include "core/session.h"
#include "core/sync.h"
#include "ipc/proc.h"
#include "lib/log.h"
#include "lib/record.h"

void	act_log(struct ctx *);
void	act_save(struct ctx *);

#define FILL_STEP	4096	/* entries per event-loop turn */

/* The open log. */
static struct {
	struct pwriter	 w;
	int		 open;
} L;

/* A log or save whose entries are still being written. */
static struct {
	int		 busy;
	int		 is_log;	/* log dest (else save) */
	struct pwriter	 w;
	struct snapshot	*snap;
	struct event	*ev;
	uint32_t	 session;
	int64_t		 seq;
} J;

static int
check_name(const char *s, size_t len, char *out, size_t outlen,
    const char **why)
{
	size_t	 i, start;

	*why = NULL;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			break;
	if (len == 0)
		*why = "empty file name";
	else if (len >= outlen || len >= PATH_MAX)
		*why = "file name too long";
	else if (memchr(s, '\0', len) != NULL)
		*why = "file name contains a NUL";
	else if (i < len)	/* it is logged: no forged log lines */
		*why = "file name contains a control character";
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

/* The new log becomes the log; the old one is closed only now. */
static void
switch_log(struct pwriter *nw)
{
	close_log();
	L.w = *nw;
	L.open = 1;
	log_info("logging changes to %s", L.w.name);
}

/* The reply to the request that started the job, once it is done. */
static void
job_reply(const char *error)
{
	struct reply	 r;
	const uint8_t	*p;
	size_t		 len;

	rep_init(&r);
	rep_begin(&r);
	if (error)
		rep_str(&r, "error", error);
	else
		rep_bool(&r, "result", 1);
	rep_finish(&r, 1, J.seq, 0, core_tock_read);
	p = rep_data(&r, &len);
	core_send(J.session, p, len);	/* dropped if the client left */
	rep_free(&r);
}

static void
job_end(int ok, const char *why)
{
	char	 err[512] = "";

	if (ok) {
		persist_pack_state(&J.w.buf);	/* the state at the end */
		ok = pw_sync(&J.w) == 0;
	}
	if (!ok && why == NULL)
		snprintf(err, sizeof(err), "%.200s: %s", J.w.name,
		    strerror(J.w.error ? J.w.error : errno));
	snap_free(J.snap);
	J.snap = NULL;
	J.busy = 0;
	if (!ok) {
		(void)unlink(J.w.name);
		pw_close(&J.w);
	} else if (J.is_log)
		switch_log(&J.w);
	else {
		log_info("state saved to %s", J.w.name);
		pw_close(&J.w);
	}
	job_reply(ok ? NULL : why ? why : err);
}

static void
job_cb(int fd, short ev, void *arg)
{
	struct timeval	 zero = { 0, 0 };
	int		 rc;

	if (!J.busy)
		return;
	if ((rc = snap_step(J.snap, FILL_STEP)) == 1) {
		evtimer_add(J.ev, &zero);	/* after pending I/O */
		return;
	}
	job_end(rc == 0, NULL);
}

/*
 * `log dest FILE' and `save FILE': header and state record now, the
 * entries in steps from the event loop (a large tree must not stop the
 * server), the reply when the file is complete and synced.  A new log
 * gets every change made meanwhile as well, so whatever the cursor
 * had passed is in it too; the old log keeps running until then.
 */
static int
job_start(struct ctx *c, const char *s, size_t len, int is_log, char *err,
    size_t errlen)
{
	struct timeval	 zero = { 0, 0 };

	if (J.busy) {
		snprintf(err, errlen, "%.200s is still being written",
		    J.w.name);
		return -1;
	}
	if (J.ev == NULL && (J.ev = evtimer_new(proc_base(), job_cb,
	    NULL)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (open_out(s, len, is_log, &J.w, err, errlen) == -1)
		return -1;
	pf_header(&J.w.buf, is_log ? "log" : "save", proc_node_name());
	persist_pack_state(&J.w.buf);
	if ((J.snap = snap_new(core.tree, &J.w)) == NULL) {
		snprintf(err, errlen, "out of memory");
		(void)unlink(J.w.name);
		pw_close(&J.w);
		return -1;
	}
	J.busy = 1;
	J.is_log = is_log;
	J.session = c->s->id;
	J.seq = c->seq;
	evtimer_add(J.ev, &zero);
	return 0;
}

/* `log dest -i FILE': nothing to wait for, switch at once. */
static int
log_incremental(const char *s, size_t len, char *err, size_t errlen)
{
	struct pwriter	 nw;

	if (J.busy) {
		snprintf(err, errlen, "%.200s is still being written",
		    J.w.name);
		return -1;
	}
	if (open_out(s, len, 1, &nw, err, errlen) == -1)
		return -1;
	pf_header(&nw.buf, "log", proc_node_name());
	persist_pack_state(&nw.buf);
	if (pw_sync(&nw) == -1) {
		snprintf(err, errlen, "%.200s: %s", nw.name, strerror(errno));
		(void)unlink(nw.name);
		pw_close(&nw);
		return -1;
	}
	switch_log(&nw);
	return 0;
}

/* `log stop': also a log still being started. */
static void
log_stop(void)
{
	if (J.busy && J.is_log)
		job_end(0, "stopped by a later log stop");
	close_log();
}

void
plog_change(struct tree *t, const uint8_t *path, size_t plen,
    const struct entry *e)
{
	if (L.open && pf_entry(&L.w.buf, t, path, plen, e) == -1)
		log_warnx("log %s: change too large, left out", L.w.name);
	if (J.busy && J.is_log && pf_entry(&J.w.buf, t, path, plen, e) == -1)
		log_warnx("log %s: change too large, left out", J.w.name);
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
	if (J.busy) {
		/* Unfinished: better no file than a partial one. */
		snap_free(J.snap);
		J.snap = NULL;
		J.busy = 0;
		(void)unlink(J.w.name);
		pw_close(&J.w);
	}
	if (J.ev)
		event_free(J.ev);
	J.ev = NULL;
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
	/* the original's local load: this data needs no download */
	cready_set("data loaded with -l");
	csync_loaded();
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
		log_stop();
	else if (fetch) {
		if (job_start(c, s, len, 1, err, sizeof(err)) == -1)
			ctx_error(c, "%s", err);
		return;		/* job_end() replies */
	} else if (log_incremental(s, len, err, sizeof(err)) == -1) {
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
	if (rc == 0)
		ctx_error(c, "save needs a path");
	else if (job_start(c, s, len, 0, err, sizeof(err)) == -1)
		ctx_error(c, "%s", err);
}
