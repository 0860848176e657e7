/*
 * netd.h - client networking: TCP and control-socket sessions.
 *
 * netd frames the clients' MsgPack streams, validates every message with
 * the bounded validator, and forwards each one unchanged to core with
 * the session id; core's replies come back as raw bytes and are queued
 * on the client's socket.  netd never interprets a request and never
 * decides authorization: it only guards framing, sizes and buffers.
 */
#ifndef MOAT_NETD_H
#define MOAT_NETD_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "lib/sandbox.h"

struct ipc_chan;

extern const struct sandbox_rule netd_rules[];
extern const size_t netd_nrules;

/* session.c */
void	session_configure(const msgpack_object *conf);
void	session_add_listener(int fd, int is_unix);
void	session_core_up(struct ipc_chan *);
void	session_core_down(void);
void	session_reply(uint32_t id, const uint8_t *data, size_t len);
void	session_close_id(uint32_t id);
void	session_shutdown(void);

#endif
