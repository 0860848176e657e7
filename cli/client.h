/*
 * client.h - moatctl's connection to a MoaT-KV server.
 *
 * A plain blocking client of the client protocol: it reads the greeting,
 * sends one request at a time and collects its replies (one message, or
 * a start ... end stream).  Every message read passes the bounded
 * validator before msgpack-c decodes it.
 */
#ifndef MOAT_CLIENT_H
#define MOAT_CLIENT_H

#include <stdint.h>

#include <msgpack.h>

struct client;

/* Called with each reply message of a request (the single reply, or each
 * stream item; not the start/end markers).  Return non-zero to stop. */
typedef int	(*client_item_fn)(const msgpack_object *, void *);

struct client	*client_connect(const char *host, const char *port,
		    char *err, size_t errlen);
void		 client_close(struct client *);
/* A connected blocking socket to host (a /path: Unix) and port, or -1. */
int		 client_dial(const char *host, const char *port, char *err,
		    size_t errlen);
/* From the greeting (seq 0): the server's node name. */
const char	*client_node(const struct client *);

/*
 * Start a request: returns a packer positioned inside a map that
 * already holds `action' and `seq'; `nfields' is how many more
 * key/value pairs the caller packs.  client_call() sends it and feeds
 * the replies to fn.  Returns 0, or -1 with the server's or the
 * transport's error text in err.
 */
msgpack_packer	*client_begin(struct client *, const char *action,
		    uint32_t nfields);
int		 client_call(struct client *, client_item_fn fn, void *arg,
		    char *err, size_t errlen);

#endif
