/*
 * msg.c - names of IPC message types and process roles, for logs.
 */
#include <string.h>

#include "ipc/msg.h"

static const char *const type_names[IPC_TYPE_MAX] = {
	[IPC_NONE] = "NONE",
	[IPC_HELLO] = "HELLO",
	[IPC_CONFIG] = "CONFIG",
	[IPC_PEER] = "PEER",
	[IPC_SETUP_DONE] = "SETUP_DONE",
	[IPC_PING] = "PING",
	[IPC_SHUTDOWN] = "SHUTDOWN",
	[IPC_LISTENER] = "LISTENER",
	[IPC_STATUS] = "STATUS",
	[IPC_LOAD] = "LOAD",
	[IPC_PONG] = "PONG",
	[IPC_STATUS_REQ] = "STATUS_REQ",
	[IPC_SESSION_OPEN] = "SESSION_OPEN",
	[IPC_SESSION_CLOSE] = "SESSION_CLOSE",
	[IPC_CLIENT_REQ] = "CLIENT_REQ",
	[IPC_CLIENT_REPLY] = "CLIENT_REPLY",
	[IPC_SYNC_STATE] = "SYNC_STATE",
	[IPC_SYNC_LOCAL] = "SYNC_LOCAL",
	[IPC_SYNC_INFO_OUT] = "SYNC_INFO_OUT",
	[IPC_SYNC_REMOTE] = "SYNC_REMOTE",
	[IPC_SYNC_INFO] = "SYNC_INFO",
	[IPC_SYNC_TOCK] = "SYNC_TOCK",
	[IPC_SYNC_ACTOR] = "SYNC_ACTOR",
	[IPC_SYNC_REQ] = "SYNC_REQ",
	[IPC_MSG_SEND] = "MSG_SEND",
	[IPC_MSG_SENT] = "MSG_SENT",
	[IPC_MSG_MON_START] = "MSG_MON_START",
	[IPC_MSG_MON_STOP] = "MSG_MON_STOP",
	[IPC_MSG_MON_ERROR] = "MSG_MON_ERROR",
	[IPC_MSG_RECV] = "MSG_RECV",
	[IPC_SYNC_FETCH] = "SYNC_FETCH",
	[IPC_SYNC_DELETER] = "SYNC_DELETER",
	[IPC_SYNC_PURGE] = "SYNC_PURGE",
};

static const char *const role_names[PROC_MAX] = {
	[PROC_MASTER] = "master",
	[PROC_CORE] = "core",
	[PROC_NETD] = "netd",
	[PROC_SYNCD] = "syncd",
	[PROC_AUTHD] = "authd",
	[PROC_RUNNERD] = "runnerd",
};

const char *
msg_to_str(uint16_t type)
{
	if (type >= IPC_TYPE_MAX || type_names[type] == NULL)
		return "UNKNOWN";
	return type_names[type];
}

const char *
proc_to_str(int role)
{
	if (role < 0 || role >= PROC_MAX)
		return "unknown";
	return role_names[role];
}

int
proc_from_str(const char *s)
{
	int	 i;

	for (i = 0; i < PROC_MAX; i++)
		if (strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}
