/*
 * sandbox.c - load a child's seccomp filter (libseccomp).
 *
 * Shape after OpenSSH's sandbox-seccomp-filter.c: the default action
 * kills, a few harmless probes fail with an errno, and the allowed calls
 * are listed one per line with the reason they are needed.  libseccomp
 * adds the architecture check itself (a foreign-arch call kills).
 *
 * A violation traps into sigsys_handler(), which writes the call number
 * on SANDBOX_NOTE_FD (a pipe the master reads when it reaps us, so its
 * log names the call) and on stderr, then dies by SIGSYS.  Everything in
 * the handler is async-signal-safe.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "lib/log.h"
#include "lib/sandbox.h"

const struct sandbox_rule sandbox_base_rules[] = {
	/* event loop */
	{ "epoll_wait", 0 },
	{ "epoll_pwait", 0 },
	{ "epoll_ctl", 0 },
	{ "clock_gettime", 0 },		/* libevent's monotonic clock */
	{ "gettimeofday", 0 },
	/* IPC and stderr logging */
	{ "read", 0 },
	{ "write", 0 },
	{ "readv", 0 },
	{ "writev", 0 },
	{ "recvmsg", 0 },		/* SCM_RIGHTS from the master */
	{ "sendmsg", 0 },
	{ "recvfrom", 0 },
	{ "sendto", 0 },
	{ "ppoll", 0 },			/* ipc_flush() at shutdown */
	{ "poll", 0 },
	{ "close", 0 },
	{ "fcntl", 0 },			/* O_NONBLOCK on received fds */
	{ "pread64", 0 },		/* RSS from the kept /proc fd */
	{ "lseek", 0 },
	/* memory */
	{ "brk", 0 },
	{ "mmap", 0 },
	{ "munmap", 0 },
	{ "mremap", 0 },
	{ "madvise", 0 },		/* glibc free() trimming */
	/* signals and exit */
	{ "rt_sigreturn", 0 },
	{ "rt_sigprocmask", 0 },
	{ "getpid", 0 },		/* log prefix */
	{ "gettid", 0 },
	{ "tgkill", 0 },		/* raise() after a violation */
	{ "exit", 0 },
	{ "exit_group", 0 },
	{ "restart_syscall", 0 },
	/* harmless probes: fail instead of dying */
	{ "newfstatat", EACCES },	/* stdio buffering checks */
	{ "fstat", EACCES },
	{ "openat", EACCES },		/* e.g. locale or timezone files */
	{ "ioctl", ENOTTY },		/* isatty() on stderr */
#ifdef MOAT_SANITIZE
	/* ASan/UBSan/LSan runtime, only in `make sanitize' builds */
	{ "mprotect", 0 },
	{ "sigaltstack", 0 },
	{ "prctl", 0 },
	{ "sched_yield", 0 },
	{ "getrlimit", 0 },
	{ "prlimit64", 0 },
	{ "readlink", 0 },
	{ "clone", 0 },			/* LeakSanitizer's tracer thread */
	{ "clone3", 0 },
	{ "ptrace", 0 },
	{ "wait4", 0 },
	{ "futex", 0 },
	{ "set_robust_list", 0 },
	{ "rseq", 0 },
	{ "getppid", 0 },
	{ "open", 0 },
	{ "getdents64", 0 },
	{ "sysinfo", 0 },
	{ "uname", 0 },
	{ "statfs", 0 },
#endif
};
const size_t sandbox_base_nrules =
    sizeof(sandbox_base_rules) / sizeof(sandbox_base_rules[0]);

static int sandbox_debug;

static void
put_dec(char *p, size_t *off, long v)
{
	char	 tmp[24];
	size_t	 n = 0;

	if (v < 0) {
		p[(*off)++] = '-';
		v = -v;
	}
	do {
		tmp[n++] = '0' + v % 10;
		v /= 10;
	} while (v > 0 && n < sizeof(tmp));
	while (n > 0)
		p[(*off)++] = tmp[--n];
}

static void
sigsys_handler(int sig, siginfo_t *info, void *uctx)
{
	static const char msg[] = "seccomp violation: system call ";
	char		 line[96];
	size_t		 off = 0;
	int		 nr = info->si_syscall;

	memcpy(line, msg, sizeof(msg) - 1);
	off = sizeof(msg) - 1;
	put_dec(line, &off, nr);
	line[off++] = '\n';
	(void)!write(STDERR_FILENO, line, off);
	if (sandbox_debug) {
		/* Log-only mode: let the call fail with ENOSYS. */
		ucontext_t *uc = uctx;
#if defined(__x86_64__)
		uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
		uc->uc_mcontext.regs[0] = -ENOSYS;
#endif
		return;
	}
	(void)!write(SANDBOX_NOTE_FD, &nr, sizeof(nr));
	/* SA_RESETHAND restored the default action and SA_NODEFER left the
	 * signal unblocked: this kills us with SIGSYS, as the master expects. */
	raise(sig);
	_exit(128 + sig);
}

static void
add_rule(scmp_filter_ctx ctx, const struct sandbox_rule *r, const char *role)
{
	int	 nr, rc;
	uint32_t act;

	nr = seccomp_syscall_resolve_name(r->name);
	if (nr == __NR_SCMP_ERROR) {
		/* Not on this architecture (e.g. "open" on arm64). */
		log_debug("%s: sandbox: no system call %s", role, r->name);
		return;
	}
	act = r->deny_errno ? SCMP_ACT_ERRNO(r->deny_errno) : SCMP_ACT_ALLOW;
	rc = seccomp_rule_add(ctx, act, nr, 0);
	if (rc < 0 && rc != -EEXIST)
		fatalx("%s: sandbox: rule %s: %s", role, r->name, strerror(-rc));
}

/* A role may allow what the base list only lets fail (core: openat). */
static int
overridden(const struct sandbox_rule *r, const struct sandbox_rule *rules,
    size_t nrules)
{
	size_t	 i;

	for (i = 0; i < nrules; i++)
		if (strcmp(r->name, rules[i].name) == 0)
			return 1;
	return 0;
}

void
sandbox_install(const char *role, const struct sandbox_rule *rules,
    size_t nrules, int debug)
{
	struct sigaction sa;
	scmp_filter_ctx	 ctx;
	size_t		 i;
	int		 rc;

#ifdef MOAT_VALGRIND
	/* valgrind cannot run under a filter (make valgrind-children only) */
	log_warnx("%s: no seccomp filter in a valgrind build", role);
	return;
#endif
	sandbox_debug = debug;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_handler;
	sa.sa_flags = SA_SIGINFO | (debug ? 0 : SA_RESETHAND | SA_NODEFER);
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		fatal("sigaction(SIGSYS)");

	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		fatalx("%s: seccomp_init failed", role);
	for (i = 0; i < sandbox_base_nrules; i++)
		if (!overridden(&sandbox_base_rules[i], rules, nrules))
			add_rule(ctx, &sandbox_base_rules[i], role);
	for (i = 0; i < nrules; i++)
		add_rule(ctx, &rules[i], role);
	if ((rc = seccomp_load(ctx)) < 0)
		fatalx("%s: seccomp_load: %s", role, strerror(-rc));
	seccomp_release(ctx);
	log_debug("%s: sandbox installed%s", role,
	    debug ? " (debug: violations only logged)" : "");
}
