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
 * the replies to fn.  Returns 0; -1 if the server replied with an
 * error, -2 if the connection failed, the text in err.
 */
msgpack_packer	*client_begin(struct client *, const char *action,
		    uint32_t nfields);
int		 client_call(struct client *, client_item_fn fn, void *arg,
		    char *err, size_t errlen);

/*
 * The same one step at a time, for streams that run until the caller
 * stops them (watch): client_send() sends the request begun last,
 * client_next() returns its next message, which stays valid until the
 * following call.  CLIENT_STATE is a state message other than start
 * and end ("uptodate"); CLIENT_ERROR is an error reply (its text in
 * err); CLIENT_END the end of the request: a single reply is followed
 * by CLIENT_END, a stream ends with its "end" message; an error
 * without seq ends the session.  -1: the connection failed (err says
 * why).
 */
enum client_msg {
	CLIENT_ITEM,
	CLIENT_STATE,
	CLIENT_ERROR,
	CLIENT_END
};

int		 client_send(struct client *, char *err, size_t errlen);
int		 client_next(struct client *, const msgpack_object **,
		    char *err, size_t errlen);

#endif
