/*
 * main.c - moatd, the master: config, state directory, supervision.
 *
 * The master is the only process that parses the config file, opens
 * listening sockets and forks.  It holds no tree data and never reads a
 * byte from a client.  It runs in the foreground and logs to stderr
 * (syslog with -s); SIGTERM or SIGINT stops all children and exits 0.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lib/conf.h"
#include "lib/confyaml.h"
#include "lib/syncconf.h"
#include "lib/log.h"
#include "lib/mp.h"
#include "moatd/moatd.h"

#define DEFAULT_STATEDIR	"/var/lib/moat-kv"

struct master_opts opts;
struct event_base *master_base;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: moatd [-dsv] [-c file] [-C key=value] [-D statedir] "
	    "[-i value] [-l file] name\n"
	    "  -c file       read this YAML config file\n"
	    "  -C key=value  override a config key (repeatable)\n"
	    "  -D statedir   state directory (kv.server.state)\n"
	    "  -i value      start a new network with this root value\n"
	    "  -l file       load this saved state first (repeatable)\n"
	    "  -d            debug: seccomp violations are logged, not fatal\n"
	    "  -s            log to syslog instead of stderr\n"
	    "  -v            more verbose (repeatable)\n");
	exit(1);
}

/* -C with a string that must stay a string, whatever it looks like. */
static void
conf_set_str(struct conf *c, const char *key, const char *val)
{
	char	 err[256], *buf, *p;
	size_t	 len = strlen(key) + 2 * strlen(val) + 4;

	if ((buf = malloc(len)) == NULL)
		fatal("malloc");
	p = buf + snprintf(buf, len, "%s='", key);
	for (; *val; val++) {
		if (*val == '\'')
			*p++ = '\'';
		*p++ = *val;
	}
	*p++ = '\'';
	*p = '\0';
	if (conf_set(c, buf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	free(buf);
}

/* -l FILE: opened here, so a missing file stops us at once and a
 * pipe (-l <(cat *.state)) is read by core through the descriptor. */
static void
add_load(const char *file)
{
	int	 fd;

	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "moatd: %s: %s\n", file, strerror(errno));
		exit(1);
	}
	opts.load_fds = reallocarray(opts.load_fds, opts.nload + 1,
	    sizeof(*opts.load_fds));
	opts.load_names = reallocarray(opts.load_names, opts.nload + 1,
	    sizeof(*opts.load_names));
	if (opts.load_fds == NULL || opts.load_names == NULL)
		fatal("reallocarray");
	opts.load_fds[opts.nload] = fd;
	opts.load_names[opts.nload++] = (char *)file;
}

static double
conf_seconds(const msgpack_object *root, const char *key, double def)
{
	double	 d;
	int64_t	 i;

	if (conf_get_double(root, key, &d) == 0)
		return d;
	if (conf_get_int(root, key, &i) == 0)
		return (double)i;
	return def;
}

static void
mkdir_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat	 st;

	if (mkdir(dir, mode) == -1 && errno != EEXIST)
		fatal("mkdir %s", dir);
	if (stat(dir, &st) == -1)
		fatal("stat %s", dir);
	if (!S_ISDIR(st.st_mode))
		fatalx("%s is not a directory", dir);
	if (geteuid() == 0 && (st.st_uid != uid || st.st_gid != gid) &&
	    chown(dir, uid, gid) == -1)
		fatal("chown %s", dir);
	if ((st.st_mode & 07777) != mode && chmod(dir, mode) == -1)
		fatal("chmod %s", dir);
}

/* State dir: core's chroot, owned by the daemon user; an empty,
 * root-owned directory inside it is every other child's chroot. */
static void
setup_dirs(const char *dir)
{
	static char	 sbuf[PATH_MAX], ebuf[PATH_MAX];
	struct passwd	*pw = NULL;
	uid_t		 uid = geteuid();
	gid_t		 gid = getegid();

	if (geteuid() == 0) {
		if ((pw = getpwnam(opts.user)) == NULL)
			fatalx("unknown user %s (kv.server.user)", opts.user);
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	mkdir_owned(dir, 0700, uid, gid);
	if (realpath(dir, sbuf) == NULL)
		fatal("realpath %s", dir);
	opts.statedir = sbuf;
	if ((size_t)snprintf(ebuf, sizeof(ebuf), "%s/empty", sbuf) >=
	    sizeof(ebuf))
		fatalx("state directory path too long");
	mkdir_owned(ebuf, 0755, 0, 0);
	opts.emptydir = ebuf;
}

/* Children live in kv.server.libexec if set, else beside moatd in the
 * build tree, else in LIBEXECDIR. */
static void
find_libexec(const msgpack_object *root)
{
	static char	 self[PATH_MAX];
	char		 probe[PATH_MAX + 16], *slash, *s;
	ssize_t		 n;

	if (conf_get_str(root, "kv.server.libexec", &s) == 0) {
		if (*s) {
			opts.libexec = s;	/* kept for the life of moatd */
			return;
		}
		free(s);
	}
	opts.libexec = LIBEXECDIR;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	snprintf(probe, sizeof(probe), "%s/moat-core", self);
	if (access(probe, X_OK) == 0)
		opts.libexec = self;
}

static void
sig_cb(evutil_socket_t sig, short ev, void *arg)
{
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("signal %d: stopping", (int)sig);
		children_shutdown();
		break;
	case SIGCHLD:
		children_reap();
		break;
	case SIGHUP:
		log_info("SIGHUP ignored (no reload yet)");
		break;
	}
}

static struct event *sigevs[4];
static size_t nsigevs;

static void
add_signal(int sig)
{
	struct event	*ev;

	ev = evsignal_new(master_base, sig, sig_cb, NULL);
	if (ev == NULL || evsignal_add(ev, NULL) == -1 ||
	    nsigevs == sizeof(sigevs) / sizeof(sigevs[0]))
		fatalx("evsignal_new");
	sigevs[nsigevs++] = ev;
}

int
main(int argc, char **argv)
{
	struct conf	*conf;
	struct mpbuf	 packed;
	msgpack_packer	 pk;
	msgpack_zone	 zone;
	msgpack_object	 root;
	const char	*cfile = NULL, *statedir = NULL, *initval = NULL;
	char		 err[512], *s;
	size_t		 off = 0;
	int		 ch, i;

	log_init("moatd", 0, 0);
	if ((conf = conf_new()) == NULL)
		fatalx("out of memory");
	/* First pass: the config file, so -C overrides it in any order. */
	while ((ch = getopt(argc, argv, "c:C:dD:i:l:sv")) != -1) {
		switch (ch) {
		case 'c':
			cfile = optarg;
			break;
		case 'd':
			opts.debug = 1;
			break;
		case 'D':
			statedir = optarg;
			break;
		case 'i':
			initval = optarg;
			break;
		case 'l':
			add_load(optarg);
			break;
		case 's':
			opts.use_syslog = 1;
			break;
		case 'v':
			opts.verbose++;
			break;
		case 'C':
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if (cfile && conf_load_file(conf, cfile, err, sizeof(err)) == -1) {
		fprintf(stderr, "moatd: %s\n", err);
		return 1;
	}
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-C") == 0 && i + 1 < argc &&
		    conf_set(conf, argv[++i], err, sizeof(err)) == -1) {
			fprintf(stderr, "moatd: %s\n", err);
			return 1;
		}
	conf_set_str(conf, "kv.server.node", argv[optind]);
	if (statedir)
		conf_set_str(conf, "kv.server.state", statedir);
	if (initval)
		conf_set_str(conf, "kv.server.init", initval);
	if (conf_check(conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "moatd: %s\n", err);
		return 1;
	}
	log_init("moatd", opts.verbose, opts.use_syslog);

	mpbuf_init(&packed);
	msgpack_packer_init(&pk, &packed, mpbuf_write);
	if (conf_pack(conf, &pk) == -1)
		fatalx("cannot pack the config");
	msgpack_zone_init(&zone, 4096);
	if (msgpack_unpack((const char *)packed.data, packed.len, &off, &zone,
	    &root) != MSGPACK_UNPACK_SUCCESS)
		fatalx("cannot unpack the config");
	conf_free(conf);
	if (syncconf_check(&root, err, sizeof(err)) == -1) {
		fprintf(stderr, "moatd: %s\n", err);
		return 1;
	}

	opts.user = "_moatd";
	if (conf_get_str(&root, "kv.server.user", &s) == 0)
		opts.user = s;
	opts.restart_min = conf_seconds(&root, "kv.server.restart.min", 0.1);
	opts.restart_max = conf_seconds(&root, "kv.server.restart.max", 30);
	opts.shutdown_timeout = conf_seconds(&root,
	    "kv.server.shutdown_timeout", 2);
	if (conf_get_str(&root, "kv.server.state", &s) == -1)
		s = NULL;
	setup_dirs(s && *s ? s : DEFAULT_STATEDIR);
	free(s);
	find_libexec(&root);

	signal(SIGPIPE, SIG_IGN);
	if ((master_base = event_base_new()) == NULL)
		fatalx("event_base_new");
	add_signal(SIGTERM);
	add_signal(SIGINT);
	add_signal(SIGCHLD);
	add_signal(SIGHUP);

	listen_open(&root);
	children_init(packed.data, packed.len);
	children_start_all();
	fprintf(stderr, "Running.\n");
	event_base_dispatch(master_base);
	listen_close();
	children_free();
	while (nsigevs > 0)
		event_free(sigevs[--nsigevs]);
	event_base_free(master_base);
	msgpack_zone_destroy(&zone);
	mpbuf_free(&packed);
	free(opts.load_fds);
	free(opts.load_names);
	log_info("stopped");
	return opts.exit_code;
}
