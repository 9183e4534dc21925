/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Capabilities: check what synscope needs before it tries anything, and
 * drop what it no longer needs once the programs are attached.
 */
#ifndef SS_PRIVS_H
#define SS_PRIVS_H

#include <stddef.h>

/*
 * Live tracing needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN. Capabilities
 * that are permitted but not effective are raised. On a missing one, err
 * gets one line naming it and how to grant it; returns -1.
 */
int ss_privs_check(char *err, size_t n);

/* May the kernel's verdicts (tracepoint programs) be loaded: CAP_PERFMON
 * (or CAP_SYS_ADMIN) effective, raised when only permitted? 1 or 0. */
int ss_privs_perfmon(void);

/*
 * Keep only what is still needed, then set no_new_privs. CAP_NET_ADMIN is
 * kept when keep_net_admin (classic tc filters are removed by netlink at
 * exit). CAP_BPF is kept only if map_op() fails without it (kernels before
 * 6.5 check it on every bpf() call when unprivileged BPF is disabled).
 * kept gets a description such as "none" or "CAP_NET_ADMIN".
 */
int ss_privs_drop(int keep_net_admin, int (*map_op)(void *), void *arg,
		  char *kept, size_t n);

/* Drop every capability and set no_new_privs (reading capture files). */
int ss_privs_drop_all(void);

/* Is this process in a user namespace other than the initial one? */
int ss_privs_in_userns(void);

/* Does a seccomp filter apply to this process? */
int ss_privs_seccomp(void);

#endif /* SS_PRIVS_H */
