/*
 * status.c - `moatctl status': the master's table of processes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/moatctl.h"
#include "lib/mp.h"

static void
print_size(uint64_t b)
{
	if (b >= 10u << 20)
		printf("%7.1fM", b / 1048576.0);
	else
		printf("%7.1fK", b / 1024.0);
}

static int
print_table(const msgpack_object *o, void *arg)
{
	const msgpack_object *res = mp_map_get(o, "result"), *p;
	const char	*role;
	size_t		 len;
	int64_t		 pid, restarts, uptime;
	uint64_t	 rss;
	uint32_t	 i;

	if (res == NULL || res->type != MSGPACK_OBJECT_ARRAY)
		ctl_fail("status: unexpected reply");
	printf("%-8s %7s %8s %8s %8s\n", "role", "pid", "restarts", "uptime",
	    "rss");
	for (i = 0; i < res->via.array.size; i++) {
		p = &res->via.array.ptr[i];
		if (mp_get_str(mp_map_get(p, "role"), &role, &len) == -1 ||
		    mp_get_int64(mp_map_get(p, "pid"), &pid) == -1 ||
		    mp_get_int64(mp_map_get(p, "restarts"), &restarts) == -1 ||
		    mp_get_int64(mp_map_get(p, "uptime"), &uptime) == -1 ||
		    mp_get_uint64(mp_map_get(p, "rss"), &rss) == -1)
			ctl_fail("status: malformed process entry");
		printf("%-8.*s %7lld %8lld %7llds ", (int)len, role,
		    (long long)pid, (long long)restarts, (long long)uptime);
		print_size(rss);
		printf("\n");
	}
	return 0;
}

int
cmd_status(int argc, char **argv)
{
	struct client	*c;

	if (ctl_wants_help(argc, argv)) {
		printf("usage: moatctl status\n"
		    "show the server's processes: role, pid, restarts, uptime, "
		    "memory\n");
		return 0;
	}
	if (argc != 1)
		ctl_fail("usage: moatctl status");
	c = ctl_connect();
	client_begin(c, "status", 0);
	ctl_call(c, print_table, NULL);
	client_close(c);
	return 0;
}
