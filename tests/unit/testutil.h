/*
 * testutil.h - what every Check suite shares: running a suite (so each
 * suite's main() is one line), hex fixtures, the sample state record
 * the decoder and persistence suites both feed to core, and a packed
 * configuration as the children see it.
 *
 * A suite with one test case ends in
 *	TU_MAIN("name", timeout, test_a, test_b, ...)
 * (timeout 0 keeps Check's default).  A suite that needs fixtures, loop
 * or exit tests, or several test cases builds them with tu_tcase() and
 * returns tu_run(suite) from its own main().
 */
#ifndef MOAT_TESTUTIL_H
#define MOAT_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>
#include <msgpack.h>

#include "lib/mp.h"

/* A NULL-terminated list of tests, for tu_tcase(). */
#define TU_TESTS(...)	((const TTest *const []){ __VA_ARGS__, NULL })

#define TU_MAIN(name, timeout, ...)					\
int main(void)								\
{									\
	return tu_main(name, timeout, TU_TESTS(__VA_ARGS__));		\
}

/*
 * A test case called name in s holding tests; a timeout > 0 replaces
 * Check's default (sanitizers and valgrind make the big tests slow).
 */
TCase	*tu_tcase(Suite *s, const char *name, int timeout,
	    const TTest *const tests[]);
/* Runs every test of s (CK_ENV verbosity), frees it: main()'s status. */
int	 tu_run(Suite *s);
/* A suite of one test case, both called name, run by tu_run(). */
int	 tu_main(const char *name, int timeout, const TTest *const tests[]);

/* Hex to bytes, spaces ignored; the test fails past cap.  Returns n. */
size_t	 tu_unhex(const char *hex, uint8_t *out, size_t cap);

/*
 * Packs the sample state record body: nodes {a: 7, b: 3}, known
 * {a: [[1, 3], 5]}, deleted {} or, with deleted_b, {b: [2^64-1]}
 * (a tick at the top of the range), tock 42.
 */
void	 tu_pack_state(msgpack_packer *pk, int deleted_b);

/* A configuration packed and unpacked as a child receives it (root). */
struct conf;
struct tu_conf {
	struct mpbuf	 buf;
	msgpack_zone	 zone;
	msgpack_object	 root;
};
void	 tu_conf_pack(struct tu_conf *, struct conf *);
void	 tu_conf_free(struct tu_conf *);

#endif
