/*
 * log.c - stderr/syslog logging with fatal() helpers, see log.h.
 *
 * Uses only vsnprintf and one write(2) per line so it is safe to call
 * from every process, including sandboxed ones whose seccomp allowlist
 * permits write on fd 2 but no file opening.  Messages pass strnvisx()
 * first: text from clients and peers (file and node names) cannot end
 * a line early and forge the next one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define LIBBSD_OPENBSD_VIS
#include <bsd/vis.h>

#include "lib/log.h"

static const char *log_role = "moatd";
static int log_verbose;
static int log_syslog;

void
log_init(const char *role, int verbose, int use_syslog)
{
	log_role = role;
	log_verbose = verbose;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(role, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setrole(const char *role)
{
	log_role = role;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char	 raw[1024], msg[4 * sizeof(raw) + 1], line[sizeof(msg) + 200];
	int	 n;

	vsnprintf(raw, sizeof(raw), fmt, ap);
	if (strnvisx(msg, sizeof(msg), raw, strlen(raw),
	    VIS_NL | VIS_TAB | VIS_CSTYLE | VIS_OCTAL | VIS_NOSLASH) == -1)
		snprintf(msg, sizeof(msg), "%s", raw);
	if (log_syslog) {
		if (err)
			syslog(pri, "%s: %s", msg, err);
		else
			syslog(pri, "%s", msg);
		return;
	}
	if (err)
		n = snprintf(line, sizeof(line), "%s[%d]: %s: %s\n",
		    log_role, (int)getpid(), msg, err);
	else
		n = snprintf(line, sizeof(line), "%s[%d]: %s\n",
		    log_role, (int)getpid(), msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)!write(STDERR_FILENO, line, n);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 1)
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose < 2)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, saved ? strerror(saved) : NULL);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
