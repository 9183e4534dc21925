/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Who a handshake belongs to: the cgroup v2 id the kernel program reads
 * with bpf_skb_cgroup_id() (the cgroup the packet's socket was created in)
 * turned into the cgroup's path and the systemd unit or container it names.
 * A cgroup v2 id is the kernfs inode number of the cgroup's directory (the
 * 64-bit kernfs node id on 64-bit kernels, never reused while the system
 * runs), so a directory's st_ino or readdir d_ino is its id. Not thread-safe:
 * one consumer thread owns the object. */
#ifndef SS_CGROUP_H
#define SS_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct ss_cgroups;

/* Find the cgroup2 mount (/proc/self/mountinfo). Returns an object even
 * when there is none (paths are then unknown: callers print the id). NULL
 * only when out of memory. Nothing is scanned yet: the first lookup does. */
struct ss_cgroups *ss_cgroups_open(void);
/* The mount point, NULL when there is no cgroup2 mount. */
const char *ss_cgroups_mount(const struct ss_cgroups *c);
/* NULL when the mount was found, else why not, one line for the user. */
const char *ss_cgroups_unreachable(const struct ss_cgroups *c);

/* The cgroup's path relative to the cgroup2 root ("/" for the root,
 * "/system.slice/nginx.service"), NULL when unknown (0, gone before it was
 * ever seen, or no cgroup2 mount). A hit costs a hash lookup and allocates
 * nothing; a miss rescans the hierarchy, at most once per second, then
 * answers from the new scan. A path seen once stays, even after the cgroup
 * is removed (it named the packet's socket at the time). The string lives
 * until ss_cgroups_close. */
const char *ss_cgroups_path(struct ss_cgroups *c, uint64_t id);
/* The systemd unit or container the cgroup belongs to ("nginx.service",
 * "containerd://<64 hex>"), NULL when its path names none or is unknown.
 * Worked out once per cgroup, when its path is first cached. */
const char *ss_cgroups_unit(struct ss_cgroups *c, uint64_t id);
/* How many times the hierarchy was scanned (for tests and the summary). */
uint64_t ss_cgroups_scans(const struct ss_cgroups *c);

/* Pure: the unit or container of a path (rules in cgroup.c) into buf,
 * NUL-terminated. Returns its length, 0 when none; like snprintf, a length
 * of n or more means buf holds a truncated copy. */
size_t ss_cgroup_unit_of(const char *path, char *buf, size_t n);

/* For --cgroup PATH: PATH absolute on the file system (under the cgroup2
 * mount: /sys/fs/cgroup/unified/a) or relative to the cgroup2 root ("/a",
 * "a"). Gives its id (the directory's inode number) and level (its depth,
 * root = 0, as bpf_skb_ancestor_cgroup_id counts). 0, or -1 with a one-line
 * reason in err (not a cgroup2 directory, no cgroup2 mount, ...). */
int ss_cgroups_resolve(struct ss_cgroups *c, const char *path, uint64_t *id, int *level,
		       char *err, size_t n);

void ss_cgroups_close(struct ss_cgroups *c);

#endif /* SS_CGROUP_H */
