/*
 * log.h - logging for every moat-kv process.
 *
 * Modelled on OpenBSD's log.h: log_warn() appends strerror(errno),
 * log_warnx() does not; fatal()/fatalx() log and exit(1).  Every line is
 * prefixed with the process role so one stderr shows who said what.
 * Output goes to stderr, or to syslog after log_init(..., 1).
 */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

#include <stdarg.h>

void	log_init(const char *role, int verbose, int use_syslog);
void	log_setrole(const char *role);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
