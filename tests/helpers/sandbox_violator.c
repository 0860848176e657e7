/*
 * sandbox_violator.c - a stand-in child that breaks its sandbox.
 *
 * The supervisor test installs it in place of a real child: it starts
 * like every child (privilege drop, then the base seccomp list) and then
 * calls socket(2), which no child may.  The master must log the death
 * with the name of that system call.
 */
#include <sys/socket.h>

#include <getopt.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/privsep.h"
#include "lib/sandbox.h"

int
main(int argc, char **argv)
{
	const char	*root = "/", *user = "_moatd";
	int		 ch;

	log_init("violator", 0, 0);
	while ((ch = getopt(argc, argv, "dR:su:v")) != -1) {
		if (ch == 'R')
			root = optarg;
		else if (ch == 'u')
			user = optarg;
	}
	privsep_drop(root, user);
	sandbox_install("violator", NULL, 0, 0);
	(void)socket(AF_INET, SOCK_STREAM, 0);
	return 0;
}
