/*
 * msgtopic.h - the MQTT topic of a msg_send / msg_monitor request.
 *
 * The original server joins the topic's elements with '/', each as
 * Python's str() would print it (so 1 is "1", None is "None"), after
 * two adjustments:
 *
 *   - a str topic is one element for msg_send (used as it is, slashes
 *     and all), but is parsed as path text for msg_monitor ("a.b" is
 *     a/b), as the original does;
 *   - a first element that starts with ':' is replaced by the
 *     kv.server.root topic: [":", "x"] and [":x"] are both <root>/x.
 *     (The original means this, but its code reads a config key that
 *     does not exist and fails with AttributeError('root'); keeping
 *     the colon, as that code literally would, makes no useful topic.)
 *
 * The result is bounded (MSGTOPIC_MAX bytes, no NUL, not empty).  The
 * MQTT rules for wildcards and UTF-8 are checked by syncd, with
 * libmosquitto's own checks.  Errors are texts as the original's
 * exception reprs.
 */
#ifndef MOAT_MSGTOPIC_H
#define MOAT_MSGTOPIC_H

#include <stddef.h>

#include <msgpack.h>

#include "lib/mp.h"

#define MSGTOPIC_MAX	1024	/* bytes in a pass-through topic */

#define MSGTOPIC_SEND		0	/* a str topic is one element */
#define MSGTOPIC_MONITOR	1	/* a str topic is path text */

/*
 * The topic string (NUL-terminated) into out, replacing its contents.
 * 0, or -1 with the error text in err.
 */
int	msgtopic_build(const msgpack_object *topic, int mode,
	    const char *root, struct mpbuf *out, char *err, size_t errlen);

/* A topic as the original's monitor replies carry it: its levels, a
 * list of str. */
void	msgtopic_pack(msgpack_packer *, const char *topic, size_t len);

#endif
