/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --cgroup, the userspace half: keeps the kernel's owned_ends map (see
 * struct ss_owned_key) filled with the endpoints of the subtree's TCP
 * sockets, read from sock_diag (no privilege needed), so that packets
 * arriving on ingress, which have no socket yet, are matched to the
 * subtree: listeners made before or during the trace, clients that were
 * connecting when it started. Entries no socket has renewed for
 * SS_CGF_AGE_NS are removed. Not thread-safe: the tracing thread owns it.
 */
#ifndef SS_CGFILTER_H
#define SS_CGFILTER_H

#include <stddef.h>
#include <stdint.h>

#define SS_CGF_PERIOD_NS (500ull * 1000000)   /* a sock_diag dump this often */
#define SS_CGF_AGE_NS (3ull * 1000000000)

struct ss_cgfilter;

/* The subtree of cgroup id (as --cgroup resolved it), the map's fd.
 * Takes the first dump: NULL with a one-line reason in err. */
struct ss_cgfilter *ss_cgfilter_new(uint64_t id, int map_fd, char *err, size_t n);
/* Dump again when the last is SS_CGF_PERIOD_NS old (now: CLOCK_MONOTONIC). */
void ss_cgfilter_refresh(struct ss_cgfilter *f, uint64_t now_ns);
/* How many endpoints the last dump found in the subtree. */
size_t ss_cgfilter_endpoints(const struct ss_cgfilter *f);
void ss_cgfilter_free(struct ss_cgfilter *f);

#endif /* SS_CGFILTER_H */
