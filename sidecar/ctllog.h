/* Copyright (c) 2026 The socketiod developers. BSD-2-Clause; see LICENSE. */
/* ctllog: `socketioctl log`, reading the message log database directly. */
#ifndef SOCKETIOD_CTLLOG_H
#define SOCKETIOD_CTLLOG_H

/* Asks the daemon (over the control socket `socket_path`) where its
 * message log is; returns a malloc'd absolute path, or NULL when the
 * daemon cannot be reached or logs nothing (printing why on stderr). */
typedef char *(*ctllog_locate)(const char *socket_path);

/* Runs `socketioctl log [options]`; argv[0] is "log". `json` is 1 when
 * --json came before the command; `socket_path` is the control socket
 * (-s may also follow the command). The database comes from --db, else
 * $SOCKETIOD_MESSAGE_LOG, else `locate`. Opens it read-only, so it runs
 * while the daemon writes. Returns the exit status: 0, 1 (usage, no such
 * database, query error) or 2 (the daemon could not be asked). */
int ctllog_main(int argc, char **argv, int json, const char *socket_path,
                ctllog_locate locate);

#endif
