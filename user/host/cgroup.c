// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* cgroup v2 id -> path and unit, for the cgroup ids the kernel program
 * reads. The id is the kernfs inode number of the cgroup's directory, so a
 * walk of the cgroup2 mount with readdir (d_ino) finds every live cgroup's
 * id without a stat. Lookups come per handshake record: a hit is a probe in
 * an open-addressing table; only a miss walks the tree, at most once per
 * CG_RESCAN_NS, so a stream of unknown ids costs one walk a second. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "host/cgroup.h"

#define CG_MOUNTINFO	  "/proc/self/mountinfo"
#define CG_RESCAN_NS	  1000000000ull
/* systemd and Kubernetes nest fewer than 10 levels; a deeper subtree is
 * cached down to here (each level holds a directory open during a walk). */
#define CG_MAX_DEPTH	  64
/* Bounds memory on a host that churns cgroups for days: past this, new
 * cgroups are not cached and print as ids. */
#define CG_MAX_ENTRIES	  (1u << 20)
#define CG_TABLE_INITIAL  1024u
#define CG_ARENA_CHUNK	  (64u * 1024)
#define CG_ID_HEX	  64 /* container ids: 64 lowercase hex digits */
/* A unit is one path component (<= NAME_MAX); a container is
 * "containerd://" and its id. */
#define CG_UNIT_MAX	  (NAME_MAX + 1)

struct cg_entry {
	uint64_t id; /* 0: empty slot (no cgroup has id 0) */
	const char *path;
	const char *unit;
};

/* Strings live in chunks freed only at close, so the pointers handed out
 * stay valid however the table grows. */
struct cg_chunk {
	struct cg_chunk *next;
	size_t used, cap;
	char data[];
};

struct ss_cgroups {
	char *mount;	  /* NULL: no cgroup2 mount */
	char *known_as;   /* non-NULL: mount is an open directory of another
			   * mount namespace's (cg_find_mount), known there
			   * by this path */
	int mount_fd;     /* that directory, -1: none */
	char *mount_root; /* mountinfo's root: "/" unless a subtree is mounted */
	struct cg_entry *slots;
	uint32_t mask; /* slots - 1, a power of two minus one */
	uint32_t used;
	struct cg_chunk *chunks;
	uint64_t last_scan_ns;
	uint64_t scans;
	char why[160];    /* no mount: why, for the user */
};

/* ---- unit and container rules (pure) ------------------------------------ */

struct cg_comp {
	const char *s;
	size_t len;
};

static int cg_next_comp(const char **p, struct cg_comp *k)
{
	const char *s = *p;

	while (*s == '/')
		s++;
	if (!*s)
		return 0;
	k->s = s;
	while (*s && *s != '/')
		s++;
	k->len = (size_t)(s - k->s);
	*p = s;
	return 1;
}

static int cg_is(const struct cg_comp *k, const char *lit)
{
	size_t n = strlen(lit);

	return k->len == n && !memcmp(k->s, lit, n);
}

static int cg_ends(const struct cg_comp *k, const char *lit)
{
	size_t n = strlen(lit);

	/* "name.service", not ".service" alone */
	return k->len > n && !memcmp(k->s + k->len - n, lit, n);
}

static int cg_hex_id(const char *s)
{
	for (int i = 0; i < CG_ID_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The id when the whole component is prefix + id + suffix. */
static const char *cg_wrapped_id(const struct cg_comp *k, const char *prefix, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);

	if (k->len != p + CG_ID_HEX + s || memcmp(k->s, prefix, p) ||
	    memcmp(k->s + p + CG_ID_HEX, suffix, s) || !cg_hex_id(k->s + p))
		return NULL;
	return k->s + p;
}

/* Container cgroups named after their runtime, one whole component each.
 * A systemd cgroup driver asks systemd for a scope "<prefix>-<id>.scope";
 * a cgroupfs driver makes the directory itself. */
static const struct cg_runtime_name {
	const char *prefix, *suffix, *runtime;
} cg_runtime_names[] = {
	/* docker, systemd driver: /system.slice/docker-<id>.scope (and under
	 * kubepods slices with cri-dockerd) */
	{ "docker-", ".scope", "docker" },
	/* containerd's CRI, systemd driver:
	 * /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope */
	{ "cri-containerd-", ".scope", "containerd" },
	/* cri-o, systemd driver: /kubepods.slice/.../crio-<id>.scope; cgroupfs:
	 * /kubepods/burstable/pod<uid>/crio-<id>. Its monitor, crio-conmon-<id>,
	 * is not the container (and fails the id test) */
	{ "crio-", ".scope", "cri-o" },
	{ "crio-", "", "cri-o" },
	/* podman, systemd manager: /machine.slice/libpod-<id>.scope, rootless
	 * /user.slice/user-1000.slice/user@1000.service/user.slice/libpod-<id>.scope;
	 * cgroupfs manager: /libpod_parent/libpod-<id>. libpod-conmon-<id> is
	 * its monitor */
	{ "libpod-", ".scope", "podman" },
	{ "libpod-", "", "podman" },
};

#define CG_CRI_INFIX ":cri-containerd:"

/* The runtime when component k is a container, its id in *id. prev is the
 * component before it, kubepods whether "kubepods" came earlier. */
static const char *cg_container(const struct cg_comp *k, const struct cg_comp *prev, int kubepods,
				const char **id)
{
	size_t infix = strlen(CG_CRI_INFIX);

	for (size_t i = 0; i < sizeof(cg_runtime_names) / sizeof(cg_runtime_names[0]); i++) {
		const struct cg_runtime_name *r = &cg_runtime_names[i];

		*id = cg_wrapped_id(k, r->prefix, r->suffix);
		if (*id)
			return r->runtime;
	}
	/* kubelet with the systemd driver, containerd's runc with cgroupfs: the
	 * cgroupsPath "slice:prefix:id" becomes one directory name,
	 * /kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid>.slice:cri-containerd:<id> */
	if (k->len > infix + CG_ID_HEX &&
	    !memcmp(k->s + k->len - CG_ID_HEX - infix, CG_CRI_INFIX, infix) &&
	    cg_hex_id(k->s + k->len - CG_ID_HEX)) {
		*id = k->s + k->len - CG_ID_HEX;
		return "containerd";
	}
	if (k->len != CG_ID_HEX || !cg_hex_id(k->s))
		return NULL;
	*id = k->s;
	/* docker, cgroupfs driver: /docker/<id> */
	if (cg_is(prev, "docker"))
		return "docker";
	/* kubelet's cgroupfs driver: /kubepods/burstable/pod<uid>/<id>, or
	 * /kubepods/pod<uid>/<id> for guaranteed pods. The bare id names no
	 * runtime: containerd is the one that leaves it bare (cri-o writes
	 * crio-<id>, and dockershim is gone since Kubernetes 1.24). */
	if (kubepods && prev->len > 3 && !memcmp(prev->s, "pod", 3))
		return "containerd";
	return NULL;
}

/* The innermost container wins (docker in docker: /docker/<a>/docker/<b> is
 * <b>), and any container wins over systemd units (the scope that wraps
 * it, or a unit of the systemd running inside it). Otherwise the last
 * .service or .scope component (never a .slice, which groups units):
 *   /system.slice/nginx.service -> nginx.service
 *   /system.slice/nginx.service/worker (a delegated subtree) -> nginx.service
 *   /user.slice/user-1000.slice/session-3.scope -> session-3.scope
 *   /user.slice/user-1000.slice/user@1000.service/app.slice/foo.scope -> foo.scope
 *   /init.scope -> init.scope (PID 1) */
size_t ss_cgroup_unit_of(const char *path, char *buf, size_t n)
{
	struct cg_comp k, prev = { "", 0 }, unit = { NULL, 0 };
	const char *runtime = NULL, *id = NULL, *p = path;
	int kubepods = 0, len;

	if (n)
		buf[0] = '\0';
	if (!path)
		return 0;
	while (cg_next_comp(&p, &k)) {
		const char *cid, *rt = cg_container(&k, &prev, kubepods, &cid);

		if (rt) {
			runtime = rt;
			id = cid;
		} else if (cg_ends(&k, ".service") || cg_ends(&k, ".scope")) {
			unit = k;
		}
		kubepods |= cg_is(&k, "kubepods");
		prev = k;
	}
	if (runtime)
		len = snprintf(buf, n, "%s://%.*s", runtime, CG_ID_HEX, id);
	else if (unit.s)
		len = snprintf(buf, n, "%.*s", (int)unit.len, unit.s);
	else
		return 0;
	return len < 0 ? 0 : (size_t)len;
}

/* ---- the cache ---------------------------------------------------------- */

static const char *cg_strdup(struct ss_cgroups *c, const char *s, size_t len)
{
	struct cg_chunk *k = c->chunks;
	char *p;

	if (!k || k->cap - k->used < len + 1) {
		size_t cap = len + 1 > CG_ARENA_CHUNK ? len + 1 : CG_ARENA_CHUNK;

		k = malloc(sizeof(*k) + cap);
		if (!k)
			return NULL;
		k->next = c->chunks;
		k->used = 0;
		k->cap = cap;
		c->chunks = k;
	}
	p = k->data + k->used;
	memcpy(p, s, len);
	p[len] = '\0';
	k->used += len + 1;
	return p;
}

/* Fibonacci hashing: ids are nearly sequential, the multiply spreads them. */
static uint32_t cg_slot(uint64_t id, uint32_t mask)
{
	return (uint32_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & mask;
}

/* The slot holding id, or the empty slot where it would go. The table is
 * at most half full, so the probe ends. */
static struct cg_entry *cg_probe(struct cg_entry *slots, uint32_t mask, uint64_t id)
{
	uint32_t i = cg_slot(id, mask);

	while (slots[i].id && slots[i].id != id)
		i = (i + 1) & mask;
	return &slots[i];
}

static int cg_grow(struct ss_cgroups *c)
{
	uint32_t mask = c->mask * 2 + 1;
	struct cg_entry *slots = calloc((size_t)mask + 1, sizeof(*slots));

	if (!slots)
		return -1;
	for (uint32_t i = 0; i <= c->mask; i++)
		if (c->slots[i].id)
			*cg_probe(slots, mask, c->slots[i].id) = c->slots[i];
	free(c->slots);
	c->slots = slots;
	c->mask = mask;
	return 0;
}

/* Cache id -> path; a renamed cgroup (same id, new path) takes the new
 * path. Out of memory or past CG_MAX_ENTRIES it stays uncached. */
static void cg_put(struct ss_cgroups *c, uint64_t id, const char *path, size_t len)
{
	struct cg_entry *e = cg_probe(c->slots, c->mask, id);
	char unit[CG_UNIT_MAX];
	const char *copy;
	size_t unit_len;

	if (e->id && strlen(e->path) == len && !memcmp(e->path, path, len))
		return;
	if (!e->id) {
		if (c->used >= CG_MAX_ENTRIES)
			return;
		if ((c->used + 1) * 2 > c->mask + 1) {
			if (cg_grow(c))
				return;
			e = cg_probe(c->slots, c->mask, id);
		}
	}
	copy = cg_strdup(c, path, len);
	if (!copy)
		return; /* the entry as it was: a new one stays empty */
	e->path = copy;
	unit_len = ss_cgroup_unit_of(copy, unit, sizeof(unit));
	e->unit = unit_len && unit_len < sizeof(unit) ? cg_strdup(c, unit, unit_len) : NULL;
	if (!e->id) {
		e->id = id;
		c->used++;
	}
}

/* The subtree below the open directory dir, whose path (relative to the
 * cgroup2 root) is path[0, len). path has PATH_MAX bytes. */
static void cg_scan_dir(struct ss_cgroups *c, int dir, char *path, size_t len, int depth)
{
	DIR *d = fdopendir(dir);
	struct dirent *de;

	if (!d) {
		close(dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t name_len = strlen(name), sub_len = len + 1 + name_len;
		uint64_t id = de->d_ino;
		int sub;

		if (name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2])))
			continue;
		if (de->d_type != DT_DIR) {
			struct stat st;

			/* cgroupfs fills d_type; stat only if a kernel ever does not */
			if (de->d_type != DT_UNKNOWN ||
			    fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISDIR(st.st_mode))
				continue;
			id = st.st_ino;
		}
		if (sub_len >= PATH_MAX)
			continue;
		path[len] = '/';
		memcpy(path + len + 1, name, name_len + 1);
		cg_put(c, id, path, sub_len);
		if (depth < CG_MAX_DEPTH) {
			sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
			/* a cgroup removed since readdir saw it: skipped */
			if (sub >= 0)
				cg_scan_dir(c, sub, path, sub_len, depth + 1);
		}
		path[len] = '\0';
	}
	closedir(d);
}

static void cg_scan(struct ss_cgroups *c)
{
	char *path = malloc(PATH_MAX);
	size_t root_len = strcmp(c->mount_root, "/") ? strlen(c->mount_root) : 0;
	struct stat st;
	int dir;

	c->scans++;
	if (!path || root_len >= PATH_MAX)
		goto out;
	dir = open(c->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		goto out;
	if (fstat(dir, &st)) {
		close(dir);
		goto out;
	}
	cg_put(c, st.st_ino, root_len ? c->mount_root : "/", root_len ? root_len : 1);
	memcpy(path, c->mount_root, root_len);
	path[root_len] = '\0';
	cg_scan_dir(c, dir, path, root_len, 1);
out:
	free(path);
}

static uint64_t cg_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static const struct cg_entry *cg_lookup(struct ss_cgroups *c, uint64_t id)
{
	const struct cg_entry *e;
	uint64_t now;

	/* 0: a packet with no full socket behind it (a SYN cookie's SYN-ACK) */
	if (!id)
		return NULL;
	e = cg_probe(c->slots, c->mask, id);
	if (e->id || !c->mount)
		return e->id ? e : NULL;
	now = cg_now_ns();
	if (c->scans && now - c->last_scan_ns < CG_RESCAN_NS)
		return NULL;
	c->last_scan_ns = now;
	cg_scan(c);
	e = cg_probe(c->slots, c->mask, id);
	return e->id ? e : NULL;
}

const char *ss_cgroups_path(struct ss_cgroups *c, uint64_t id)
{
	const struct cg_entry *e = cg_lookup(c, id);

	return e ? e->path : NULL;
}

const char *ss_cgroups_unit(struct ss_cgroups *c, uint64_t id)
{
	const struct cg_entry *e = cg_lookup(c, id);

	return e ? e->unit : NULL;
}

uint64_t ss_cgroups_scans(const struct ss_cgroups *c)
{
	return c->scans;
}

/* ---- the mount ---------------------------------------------------------- */

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void cg_unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE
 * SUPEROPTIONS": the first cgroup2 mount of the whole hierarchy (root "/"),
 * else the first of a subtree. 0, or -1 when out of memory. */
static int cg_find_mount_in(struct ss_cgroups *c, const char *mountinfo, const char *prefix)
{
	FILE *f = fopen(mountinfo, "re");
	char *line = NULL;
	size_t cap = 0;
	int err = 0;

	if (!f)
		return 0; /* no /proc: paths are unknown, ids still print */
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - "), *field[5], *save = NULL, *s = line;
		int i;

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		*sep = '\0';
		for (i = 0; i < 5 && (field[i] = strtok_r(s, " ", &save)) != NULL; i++)
			s = NULL;
		if (i < 5)
			continue;
		/* c->mount so far is a subtree (a whole hierarchy ends the loop):
		 * only a whole hierarchy replaces it */
		if (c->mount && strcmp(field[3], "/"))
			continue;
		cg_unescape(field[3]);
		cg_unescape(field[4]);
		free(c->mount);
		free(c->mount_root);
		if (asprintf(&c->mount, "%s%s", prefix, field[4]) < 0)
			c->mount = NULL;
		c->mount_root = strdup(field[3]);
		if (!c->mount || !c->mount_root) {
			err = -1;
			break;
		}
		if (!strcmp(field[3], "/"))
			break;
	}
	free(line);
	fclose(f);
	return err;
}

/* The parent of pid, from /proc/PID/status; 0 when unknown. */
static pid_t cg_parent_of(pid_t pid)
{
	char path[64], line[128];
	pid_t ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

/* Our ancestors, nearest first, then init: at most max. */
static unsigned int cg_ancestors(pid_t *pids, unsigned int max)
{
	pid_t p = getppid();
	unsigned int n = 0;

	while (p > 1 && n + 1 < max) {
		pids[n++] = p;
		p = cg_parent_of(p);
	}
	pids[n++] = 1;
	return n;
}

#define CG_ANCESTORS_MAX 32

/* Our own mounts first. `ip netns exec` gives its command a /sys of the
 * namespace's, with no cgroup mounts on it, and whatever it starts (sh -c,
 * timeout, setpriv) inherits that view: then the hierarchy as the nearest
 * ancestor that has it (the shell that ran ip netns exec) or init sees it,
 * through /proc/PID/root, opened once and reached by its fd. */
static int cg_find_mount(struct ss_cgroups *c)
{
	pid_t pids[CG_ANCESTORS_MAX];
	unsigned int i, n;

	if (cg_find_mount_in(c, CG_MOUNTINFO, ""))
		return -1;
	n = c->mount ? 0 : cg_ancestors(pids, CG_ANCESTORS_MAX);
	for (i = 0; !c->mount && i < n; i++) {
		char info[64], root[32], *at = NULL;
		int fd;

		snprintf(info, sizeof(info), "/proc/%d/mountinfo", (int)pids[i]);
		snprintf(root, sizeof(root), "/proc/%d/root", (int)pids[i]);
		free(c->mount_root);
		c->mount_root = NULL;
		if (cg_find_mount_in(c, info, ""))
			return -1;
		if (!c->mount)
			continue;
		fd = -1;
		if (asprintf(&at, "%s%s", root, c->mount) >= 0)
			fd = open(at, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		free(at);
		at = NULL;
		if (fd < 0 || asprintf(&at, "/proc/self/fd/%d", fd) < 0) {
			/* The first one out of reach says why: an ancestor with
			 * more capabilities than ours needs CAP_SYS_PTRACE. */
			if (fd < 0 && !c->why[0])
				snprintf(c->why, sizeof(c->why),
					 "none in this mount namespace, and %s is out of reach: %s%s",
					 root, strerror(errno),
					 errno == EACCES || errno == EPERM ? " (needs CAP_SYS_PTRACE)" : "");
			if (fd >= 0)
				close(fd);
			free(c->mount);
			c->mount = NULL;
			continue;
		}
		c->known_as = c->mount;
		c->mount = at;
		c->mount_fd = fd;
	}
	return 0;
}

struct ss_cgroups *ss_cgroups_open(void)
{
	struct ss_cgroups *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->mount_fd = -1;
	c->slots = calloc(CG_TABLE_INITIAL, sizeof(*c->slots));
	c->mask = CG_TABLE_INITIAL - 1;
	if (!c->slots || cg_find_mount(c))
		goto fail;
	if (!c->mount && !c->why[0])
		snprintf(c->why, sizeof(c->why), "none in %s nor in an ancestor's", CG_MOUNTINFO);
	if (c->mount)
		c->why[0] = '\0';
	if (!c->mount) {
		free(c->mount_root);
		c->mount_root = NULL;
	}
	return c;
fail:
	ss_cgroups_close(c);
	return NULL;
}

const char *ss_cgroups_mount(const struct ss_cgroups *c)
{
	return c->mount;
}

const char *ss_cgroups_unreachable(const struct ss_cgroups *c)
{
	return c->mount ? NULL : c->why;
}

void ss_cgroups_close(struct ss_cgroups *c)
{
	struct cg_chunk *k, *next;

	if (!c)
		return;
	for (k = c->chunks; k; k = next) {
		next = k->next;
		free(k);
	}
	free(c->slots);
	free(c->mount);
	free(c->known_as);
	if (c->mount_fd >= 0)
		close(c->mount_fd);
	free(c->mount_root);
	free(c);
}

/* ---- --cgroup PATH ------------------------------------------------------ */

/* Whether path is prefix or below it, component-wise. */
static int cg_under(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	if (n == 1 && prefix[0] == '/')
		return path[0] == '/';
	return !strncmp(path, prefix, n) && (path[n] == '/' || path[n] == '\0');
}

static int cg_depth(const char *path)
{
	struct cg_comp k;
	int depth = 0;

	while (cg_next_comp(&path, &k))
		depth++;
	return depth;
}

int ss_cgroups_resolve(struct ss_cgroups *c, const char *path, uint64_t *id, int *level,
		       char *err, size_t n)
{
	char fs[PATH_MAX], real[PATH_MAX];
	const char *rel = path;
	struct statfs sfs;
	struct stat st;
	int len;
	const char *shown = c->known_as ? c->known_as : c->mount;

	if (!path || !*path) {
		snprintf(err, n, "empty cgroup path");
		return -1;
	}
	if (!c->mount) {
		snprintf(err, n, "%s: no cgroup2 file system: %s", path, c->why);
		return -1;
	}
	if (path[0] == '/' && cg_under(path, c->mount)) {
		len = snprintf(fs, sizeof(fs), "%s", path);
	} else if (c->known_as && path[0] == '/' && cg_under(path, c->known_as)) {
		/* the mount's path in the other namespace, as users know it */
		len = snprintf(fs, sizeof(fs), "%s%s", c->mount, path + strlen(c->known_as));
	} else {
		/* Relative to the root; a path as ss_cgroups_path prints it
		 * starts with the mount's root when a subtree is mounted. */
		if (strcmp(c->mount_root, "/") && cg_under(path, c->mount_root))
			rel = path + strlen(c->mount_root);
		while (*rel == '/')
			rel++;
		len = snprintf(fs, sizeof(fs), "%s/%s", c->mount, rel);
	}
	if (len < 0 || (size_t)len >= sizeof(fs)) {
		snprintf(err, n, "%s: path too long", path);
		return -1;
	}
	if (c->known_as) {
		/* realpath would turn /proc/self/fd/N into a path of the
		 * other namespace: take the path as it is, with no way up. */
		if (strstr(fs, "/../") || (len >= 3 && !strcmp(fs + len - 3, "/.."))) {
			snprintf(err, n, "%s: '..' is not allowed here", path);
			return -1;
		}
		memcpy(real, fs, (size_t)len + 1);
	}
	if (c->known_as ? stat(real, &st) != 0 : !realpath(fs, real)) {
		int e = errno;

		/* An existing directory elsewhere: say where cgroup2 is. */
		if (e == ENOENT && path[0] == '/' && !stat(path, &st))
			snprintf(err, n, "%s: not a cgroup2 directory (cgroup2 is mounted at %s)",
				 path, shown);
		else
			snprintf(err, n, "%s: %s", path, strerror(e));
		return -1;
	}
	if (!cg_under(real, c->mount)) {
		snprintf(err, n, "%s: outside the cgroup2 hierarchy mounted at %s", path, shown);
		return -1;
	}
	if (stat(real, &st) || statfs(real, &sfs)) {
		snprintf(err, n, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(err, n, "%s: not a cgroup2 directory (cgroup2 is mounted at %s)", path, shown);
		return -1;
	}
	*id = st.st_ino;
	/* Levels count from the hierarchy's root, as the kernel does, so a
	 * mounted subtree adds its own depth. */
	*level = cg_depth(real + strlen(c->mount)) + cg_depth(c->mount_root);
	return 0;
}
