/*
 * privsep.c - privilege drop for moat-kv's children.
 *
 * Every child runs this before it reads any input (see ARCHITECTURE.md):
 * no_new_privs first, so nothing exec'ed later can regain privileges;
 * chroot while still root; then groups, gid, uid - in that order, because
 * setresuid() gives up the right to change groups.  Like OpenSSH's
 * permanently_set_uid() we then check that the drop cannot be undone.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/privsep.h"

static void
verify_drop(uid_t uid, gid_t gid)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg;

	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		fatal("getresuid");
	if (ru != uid || eu != uid || su != uid)
		fatalx("uid drop incomplete: %u/%u/%u", ru, eu, su);
	if (rg != gid || eg != gid || sg != gid)
		fatalx("gid drop incomplete: %u/%u/%u", rg, eg, sg);
	/* Going back must fail. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		fatalx("privileges could be regained");
}

void
privsep_drop(const char *dir, const char *user)
{
	struct passwd	*pw;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	if (geteuid() != 0) {
		/* No chroot without root, but relative names must still
		 * resolve in our own directory (core's state dir). */
		if (chdir(dir) == -1)
			fatal("chdir %s", dir);
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("unknown user %s (scripts/deps.sh creates _moatd)",
		    user);
	if (pw->pw_uid == 0)
		fatalx("refusing to run children as root user %s", user);
	if (chroot(dir) == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &pw->pw_gid) == -1)
		fatal("setgroups");
	if (setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1)
		fatal("setresgid");
	if (setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("setresuid");
	verify_drop(pw->pw_uid, pw->pw_gid);
}

void
privsep_rlimits(int allow_fork)
{
	struct rlimit	 rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) == -1)
		fatal("setrlimit(RLIMIT_CORE)");
	if (!allow_fork && geteuid() != 0 && setrlimit(RLIMIT_NPROC, &rl) == -1)
		log_warn("setrlimit(RLIMIT_NPROC)");
}
