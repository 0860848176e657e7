/*
 * check_log.c - a log line is one line: newlines and other control
 * characters in a message (names from clients and peers) come out
 * escaped, so nobody can forge the next line of the log.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "lib/log.h"
#include "tests/unit/testutil.h"

/* What log_warnx() writes on stderr for one message. */
static char *
logged(const char *text)
{
	static char	 buf[8192];
	int		 p[2], saved;
	ssize_t		 n;

	ck_assert_int_eq(pipe(p), 0);
	saved = dup(STDERR_FILENO);
	dup2(p[1], STDERR_FILENO);
	log_warnx("name %s end", text);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

START_TEST(control_characters_are_escaped)
{
	char	*s;

	log_init("test", 0, 0);
	s = logged("x\nmoatd[1]: core died");
	ck_assert_ptr_nonnull(strstr(s, "name x\\nmoatd[1]: core died end\n"));
	ck_assert_ptr_eq(strchr(s, '\n'), s + strlen(s) - 1);
	s = logged("a\rb\tc\033[2J\x7f");
	ck_assert_ptr_null(strpbrk(s, "\r\t\033\x7f"));
	s = logged("plain text, a\\b and 100%");
	ck_assert_ptr_nonnull(strstr(s, "name plain text, a\\b and 100% end"));
}
END_TEST

TU_MAIN("log", 0, control_characters_are_escaped)
