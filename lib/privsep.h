/*
 * privsep.h - the fixed start-up order of every child process.
 */
#ifndef MOAT_PRIVSEP_H
#define MOAT_PRIVSEP_H

/*
 * Drop privileges: PR_SET_NO_NEW_PRIVS; then, if running as root, chroot
 * to `dir' and switch to `user' (setgroups, setresgid, setresuid - in that
 * order) and verify that the change is permanent.  Not root: only
 * no_new_privs (an unprivileged developer run).  Fatal on any failure.
 */
void	privsep_drop(const char *dir, const char *user);

/* Resource limits for a sandboxed child: no core dumps, no forking. */
void	privsep_rlimits(int allow_fork);

#endif
