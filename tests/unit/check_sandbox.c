/*
 * check_sandbox.c - the seccomp layer: allowlists load, violations kill
 * and are reported by system call number, debug mode only logs, and
 * every role's rule names exist on this architecture.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <check.h>
#include <seccomp.h>

#include "authd/authd.h"
#include "core/core.h"
#include "lib/sandbox.h"
#include "netd/netd.h"
#include "runnerd/runnerd.h"
#include "syncd/syncd.h"
#include "tests/unit/testutil.h"

/* Fork a child that installs the base filter, then runs `body'. */
static pid_t
sandboxed(void (*body)(void), int debug, int *notefd)
{
	int	 note[2];
	pid_t	 pid;

	ck_assert_int_eq(pipe(note), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		dup2(note[1], SANDBOX_NOTE_FD);
		sandbox_install("test", NULL, 0, debug);
		body();
		_exit(0);
	}
	close(note[1]);
	*notefd = note[0];
	return pid;
}

static void
do_socket(void)
{
	int	 fd = socket(AF_INET, SOCK_STREAM, 0);

	/* Only reached in debug mode: the call must have failed. */
	_exit(fd == -1 && errno == ENOSYS ? 42 : 1);
}

static void
do_allowed(void)
{
	char	 c = 'x';
	int	 p[2];

	if (getpid() <= 0 || write(STDERR_FILENO, "", 0) != 0)
		_exit(1);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0)
		_exit(2);	/* socketpair is not in the base list */
	(void)c;
	_exit(0);
}

static void
do_probe(void)
{
	int	 fd = open("/etc/passwd", O_RDONLY);

	_exit(fd == -1 && errno == EACCES ? 0 : 1);
}

/*
 * Runs body sandboxed: it must die of sig, or (sig 0) exit with code.
 * With nr, the syscall number the filter wrote to the note pipe.
 */
static void
expect_end(void (*body)(void), int debug, int sig, int code, int *nr)
{
	int	 st, fd;
	pid_t	 pid = sandboxed(body, debug, &fd);

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	if (sig != 0) {
		ck_assert(WIFSIGNALED(st));
		ck_assert_int_eq(WTERMSIG(st), sig);
	} else {
		ck_assert(WIFEXITED(st));
		ck_assert_int_eq(WEXITSTATUS(st), code);
	}
	if (nr != NULL)
		ck_assert_int_eq(read(fd, nr, sizeof(*nr)), sizeof(*nr));
	close(fd);
}

START_TEST(violation_kills_and_names_the_call)
{
	int	 nr = -1;

	expect_end(do_socket, 0, SIGSYS, 0, &nr);
	ck_assert_int_eq(nr, SYS_socket);
}
END_TEST

START_TEST(debug_mode_only_fails_the_call)
{
	expect_end(do_socket, 1, 0, 42, NULL);
}
END_TEST

START_TEST(allowed_calls_work_others_do_not)
{
	expect_end(do_allowed, 0, SIGSYS, 0, NULL);	/* died on socketpair */
}
END_TEST

START_TEST(probes_fail_with_errno)
{
	expect_end(do_probe, 0, 0, 0, NULL);
}
END_TEST

static void
check_names(const struct sandbox_rule *r, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		ck_assert_msg(seccomp_syscall_resolve_name(r[i].name) !=
		    __NR_SCMP_ERROR, "unknown system call %s", r[i].name);
}

START_TEST(every_rule_names_a_real_call)
{
	check_names(sandbox_base_rules, sandbox_base_nrules);
	check_names(core_rules, core_nrules);
	check_names(netd_rules, netd_nrules);
	check_names(syncd_rules, syncd_nrules);
	check_names(authd_rules, authd_nrules);
	check_names(runnerd_rules, runnerd_nrules);
}
END_TEST

TU_MAIN("sandbox", 0, violation_kills_and_names_the_call,
    debug_mode_only_fails_the_call, allowed_calls_work_others_do_not,
    probes_fail_with_errno, every_rule_names_a_real_call)
