/*
 * check_conf.c - configuration: defaults, file merge, -C overrides,
 * type/range checks naming the key, hostile YAML, and the MsgPack tree
 * the children receive.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "lib/conf.h"
#include "lib/confyaml.h"
#include "lib/mp.h"
#include "lib/tv.h"
#include "tests/unit/testutil.h"

static char	 tmpl[] = "/tmp/moat-conf-XXXXXX";

static char *
write_tmp(const char *text)
{
	char	*path = strdup(tmpl);
	int	 fd = mkstemp(path);

	ck_assert_int_ne(fd, -1);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

START_TEST(defaults)
{
	struct conf	*c = conf_new();
	struct tu_conf	 p;
	int64_t		 port;
	char		*s, err[256];

	ck_assert_int_eq(conf_check(c, err, sizeof(err)), 0);
	tu_conf_pack(&p, c);
	ck_assert_int_eq(conf_get_int(&p.root, "kv.server.bind_default.port",
	    &port), 0);
	ck_assert_int_eq(port, 27586);
	ck_assert_int_eq(conf_get_str(&p.root, "kv.server.bind_default.host",
	    &s), 0);
	ck_assert_str_eq(s, "127.0.0.1");
	free(s);
	ck_assert_int_eq(conf_get_str(&p.root, "kv.server.fsync", &s), 0);
	ck_assert_str_eq(s, "batch");
	free(s);
	ck_assert_ptr_null(conf_get(&p.root, "kv.server.nonexistent"));
	/* an intermediate that is not a map */
	ck_assert_ptr_null(conf_get(&p.root, "kv.server.fsync.deeper"));
	tu_conf_free(&p);
	conf_free(c);
}
END_TEST

START_TEST(file_merges_deeply)
{
	struct conf	*c = conf_new();
	struct tu_conf	 p;
	char		*path, *s, err[256];
	int64_t		 v;

	path = write_tmp("kv:\n  server:\n    bind_default:\n      port: 1234\n"
	    "    custom: [1, 2]\n");
	ck_assert_int_eq(conf_load_file(c, path, err, sizeof(err)), 0);
	tu_conf_pack(&p, c);
	ck_assert_int_eq(conf_get_int(&p.root, "kv.server.bind_default.port",
	    &v), 0);
	ck_assert_int_eq(v, 1234);
	/* the sibling default survived the merge */
	ck_assert_int_eq(conf_get_str(&p.root, "kv.server.bind_default.host",
	    &s), 0);
	ck_assert_str_eq(s, "127.0.0.1");
	free(s);
	ck_assert_int_eq(conf_get(&p.root, "kv.server.custom")->type,
	    MSGPACK_OBJECT_ARRAY);
	tu_conf_free(&p);
	conf_free(c);
	unlink(path);
	free(path);
}
END_TEST

START_TEST(overrides)
{
	struct conf	*c = conf_new();
	struct tu_conf	 p;
	char		*s, err[256];
	int64_t		 v;
	int		 b;

	ck_assert_int_eq(conf_set(c, "kv.server.change.length=7", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(c, "kv.server.mqtt.uri=", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(c, "kv.new.deep.key=true", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(c, "kv.server.node='0123'", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_set(c, "kv.server.bind=[{host: '::1', port: 9}]",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(conf_check(c, err, sizeof(err)), 0);
	tu_conf_pack(&p, c);
	ck_assert_int_eq(conf_get_int(&p.root, "kv.server.change.length", &v),
	    0);
	ck_assert_int_eq(v, 7);
	ck_assert_int_eq(conf_get_str(&p.root, "kv.server.mqtt.uri", &s), 0);
	ck_assert_str_eq(s, "");
	free(s);
	ck_assert_int_eq(conf_get_str(&p.root, "kv.server.node", &s), 0);
	ck_assert_str_eq(s, "0123");	/* quoted: stays a string */
	free(s);
	ck_assert_int_eq(conf_get_bool(&p.root, "kv.new.deep.key", &b), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(conf_get_int(&p.root, "kv.server.bind.0", &v), -1);
	ck_assert_int_eq(conf_get(&p.root, "kv.server.bind")->via.array.size,
	    1);
	tu_conf_free(&p);
	conf_free(c);
}
END_TEST

START_TEST(errors_name_the_key)
{
	struct conf	*c;
	char		 err[256];

	c = conf_new();
	ck_assert_int_eq(conf_set(c, "kv.server.bind_default.port=70000", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(conf_check(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "kv.server.bind_default.port"));
	ck_assert_ptr_nonnull(strstr(err, "out of range"));
	conf_free(c);

	c = conf_new();
	conf_set(c, "kv.server.fsync=sometimes", err, sizeof(err));
	ck_assert_int_eq(conf_check(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "kv.server.fsync"));
	ck_assert_ptr_nonnull(strstr(err, "always"));
	conf_free(c);

	c = conf_new();
	conf_set(c, "kv.server.change.length=five", err, sizeof(err));
	ck_assert_int_eq(conf_check(c, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "integer"));
	conf_free(c);

	c = conf_new();
	ck_assert_int_eq(conf_set(c, "novalue", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "novalue"));
	ck_assert_int_eq(conf_set(c, "kv..x=1", err, sizeof(err)), -1);
	conf_free(c);
}
END_TEST

static void
expect_file_error(const char *text, const char *want)
{
	struct conf	*c = conf_new();
	char		*path = write_tmp(text), err[256];

	ck_assert_int_eq(conf_load_file(c, path, err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, path) != NULL, "no file name in '%s'", err);
	ck_assert_msg(strstr(err, want) != NULL, "'%s' lacks '%s'", err, want);
	unlink(path);
	free(path);
	conf_free(c);
}

START_TEST(hostile_files)
{
	char	 err[256];
	struct conf *c = conf_new();

	expect_file_error("kv:\n  a: 1\n  a: 2\n", ":3: duplicate key 'a'");
	expect_file_error("kv: [unclosed\n", ":");
	expect_file_error("a: &x [1,2]\nb: *x\n", "aliases");
	expect_file_error("? [a, b]\n: 1\n", "keys must be scalars");
	expect_file_error("- 1\n- 2\n", "top level must be a map");
	ck_assert_int_eq(conf_load_file(c, "/nonexistent/x.conf", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/x.conf"));
	conf_free(c);
}
END_TEST

START_TEST(deep_nesting_rejected)
{
	char	 text[400];
	size_t	 i;

	for (i = 0; i < 100; i++)
		text[i] = '[';
	text[i] = '\0';
	expect_file_error(text, "");
}
END_TEST

/* Config seconds as libevent timers take them (lib/tv.h). */
START_TEST(seconds_to_timeval)
{
	struct timeval	 tv;

	tv = tv_from_secs(2.25);
	ck_assert_int_eq(tv.tv_sec, 2);
	ck_assert_int_eq(tv.tv_usec, 250000);
	tv = tv_from_secs(0.000001);
	ck_assert_int_eq(tv.tv_sec, 0);
	ck_assert_int_le(tv.tv_usec, 1);
	tv = tv_from_secs(-3.5);	/* past: now */
	ck_assert_int_eq(tv.tv_sec, 0);
	ck_assert_int_eq(tv.tv_usec, 0);
}
END_TEST

TU_MAIN("conf", 0, defaults, file_merges_deeply, overrides,
    errors_name_the_key, hostile_files, deep_nesting_rejected,
    seconds_to_timeval)
