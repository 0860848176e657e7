/*
 * dump.c - `moatctl dump file FILE': a persistence file as YAML.
 *
 * Works without a server: every record of the file (lib/record.h) is
 * printed as one YAML document followed by "---", headers and state
 * records included, in file order.  "-" reads standard input, so
 * `cat *.state | moatctl dump file -' shows a concatenation.  A torn
 * tail is reported on stderr and the exit status stays 0, as loading
 * would go on too; damage in the middle prints everything before it,
 * then the error, and exits 1.
 *
 * `moatctl dump msg [TOPIC]' (msg.c) prints the broker's messages.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/moatctl.h"
#include "cli/yamlout.h"
#include "lib/record.h"

static int
dump_file(int argc, char **argv)
{
	struct rec_reader *r;
	struct rec	 rec;
	msgpack_zone	 zone;
	msgpack_object	 o;
	enum rec_rc	 rc;
	const char	*name;
	size_t		 off;
	int		 fd;

	if (argc != 2)
		ctl_fail("usage: moatctl dump file FILE");
	name = argv[1];
	if (strcmp(name, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(name, O_RDONLY | O_CLOEXEC)) == -1)
		ctl_fail("moatctl: %s: %m", name);
	if ((r = rec_reader_new(fd, name)) == NULL)
		ctl_fail("moatctl: out of memory");
	msgpack_zone_init(&zone, 4096);
	while ((rc = rec_read(r, &rec)) == REC_OK) {
		off = 0;
		msgpack_zone_clear(&zone);
		if (msgpack_unpack((const char *)rec.payload, rec.len, &off,
		    &zone, &o) != MSGPACK_UNPACK_SUCCESS)
			ctl_fail("moatctl: %s: undecodable record at offset "
			    "%llu", name, (unsigned long long)rec.off);
		if (yamlout_doc(stdout, &o) == -1)
			ctl_fail("moatctl: output error");
	}
	fflush(stdout);
	if (rc == REC_ERROR)
		ctl_fail("moatctl: %s", rec_error(r));
	if (rec_torn(r) >= 0)
		fprintf(stderr, "moatctl: %s: torn record at offset %lld: the "
		    "rest of the file is ignored\n", name,
		    (long long)rec_torn(r));
	msgpack_zone_destroy(&zone);
	rec_reader_free(r);
	if (fd != STDIN_FILENO)
		close(fd);
	return 0;
}

static const struct command dump_cmds[] = {
	{ "file", dump_file, "print a state file as YAML" },
	{ "msg", dump_msg, "print the broker's messages as YAML" },
	{ NULL, NULL, NULL }
};

int
cmd_dump(int argc, char **argv)
{
	if (ctl_wants_help(argc, argv)) {
		printf("usage: moatctl dump file FILE\n"
		    "       moatctl dump msg [TOPIC]\n"
		    "  file  print a state file as YAML (\"-\": stdin)\n"
		    "  msg   print the broker's messages as YAML (see "
		    "dump msg --help)\n");
		return 0;
	}
	return ctl_subcommand(dump_cmds, argc - 1, argv + 1, "dump");
}
