/*
 * main.c - moatctl, the admin tool: command-line parsing and dispatch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void __attribute__((noreturn))
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
	    "usage: moatctl [-v] [-h host] [-p port] [-c file] "
	    "[-C key=value] command [args]\n");
	exit(rc);
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--help") == 0)
		usage(0);
	usage(1);
}
