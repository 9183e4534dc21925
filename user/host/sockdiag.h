/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The network namespace's TCP sockets, through sock_diag (NETLINK_SOCK_DIAG;
 * no privilege needed): one dump per address family, each socket handed
 * to a callback with its attributes. For --cgroup (the subtree's
 * endpoints) and for the listeners' accept queues.
 */
#ifndef SS_SOCKDIAG_H
#define SS_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

struct inet_diag_msg;

/* One socket: the message and its length (attributes follow it). */
typedef void (*ss_sockdiag_fn)(void *ctx, const struct inet_diag_msg *m, size_t len);

/* A netlink socket for the dumps: the fd, or -errno. */
int ss_sockdiag_open(void);
/* Dump family's (AF_INET, AF_INET6) TCP sockets in the states of the
 * mask (1 << TCP_LISTEN, ...), asking for the attributes of ext (1 <<
 * (INET_DIAG_x - 1)): 0 or -errno. */
int ss_sockdiag_dump(int nl, int family, uint32_t states, uint8_t ext, ss_sockdiag_fn fn, void *ctx);

#endif /* SS_SOCKDIAG_H */
