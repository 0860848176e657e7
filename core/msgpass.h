/*
 * msgpass.h - core's side of msg_send and msg_monitor: the client
 * actions, the monitors' ids, and the IPC_MSG_* messages to and from
 * syncd (contract in syncd/syncd.h).
 *
 * msg_send is answered when syncd has published the message (or says
 * why not), so the client learns of every failure; pending sends are
 * answered in order (syncd handles them in order) and, if syncd goes
 * away, with an error.  A monitor is a stream (stream.c) with an id
 * here; it stays across syncd restarts (core subscribes it again) and
 * ends on the client's stop, its session's end, a queue overflow or
 * syncd's MSG_MON_ERROR.
 */
#ifndef MOAT_CORE_MSGPASS_H
#define MOAT_CORE_MSGPASS_H

#include <stdint.h>

#include <msgpack.h>

#include "ipc/ipc.h"

struct ctx;

void	msgpass_configure(const msgpack_object *conf);
void	act_msg_send(struct ctx *);
void	act_msg_monitor(struct ctx *);
/* A monitor's stream ended (stream.c). */
void	msgpass_gone(uint64_t mon);
int	msgpass_dispatch(struct ipc_msg *);	/* IPC_MSG_* from syncd */
void	msgpass_peer_up(struct ipc_chan *);
void	msgpass_peer_down(void);
void	msgpass_shutdown(void);

#endif
