// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/host/cgroup.c: the unit/container rules on many paths (each pattern,
 * near misses, truncation), then live on this machine's cgroup2 mount: a
 * test tree synscope-test-<pid>/{a,b,...} made and removed by each test,
 * ids (inode numbers, checked against name_to_handle_at) to paths, the
 * cache (hits do not rescan nor allocate), removed cgroups, the rescan
 * rate limit, --cgroup resolution, a process that joins a cgroup, and a
 * mount namespace with no cgroup2 mount. The live tests skip, saying why,
 * when there is no cgroup2 mount or no root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "host/cgroup.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID63 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde"
#define POD  "pod5d7f7a2e-0b1c-4d8e-9f10-111213141516"

/* ---- pure rules ----------------------------------------------------------- */

struct unit_case {
	const char *path, *unit; /* unit NULL: none */
};

static void check_cases(const struct unit_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char buf[512];
		size_t len = ss_cgroup_unit_of(t[i].path, buf, sizeof(buf));

		if (!t[i].unit) {
			if (len != 0)
				fail_msg("%s: got '%s', want none", t[i].path, buf);
			assert_string_equal(buf, "");
			continue;
		}
		if (len != strlen(t[i].unit) || strcmp(buf, t[i].unit))
			fail_msg("%s: got '%s' (%zu), want '%s'", t[i].path, buf, len, t[i].unit);
	}
}

static void test_unit_systemd(void **state)
{
	static const struct unit_case t[] = {
		{ "/system.slice/nginx.service", "nginx.service" },
		{ "/user.slice/user-1000.slice/session-3.scope", "session-3.scope" },
		{ "/init.scope", "init.scope" },
		{ "/system.slice/system-getty.slice/getty@tty1.service", "getty@tty1.service" },
		/* a subtree the service delegates: still the service */
		{ "/system.slice/nginx.service/worker", "nginx.service" },
		/* the innermost unit: the app scope, not user@1000.service */
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/app-foo.scope", "app-foo.scope" },
		{ "/user.slice/user-1000.slice/user@1000.service/init.scope", "init.scope" },
		/* relative, doubled slashes, trailing slash */
		{ "system.slice/sshd.service", "sshd.service" },
		{ "//system.slice//sshd.service/", "sshd.service" },
		/* systemd's escaping stays as it is */
		{ "/system.slice/dev-disk-by\\x2duuid.swap/x.service", "x.service" },
	};

	(void)state;
	check_cases(t, sizeof(t) / sizeof(t[0]));
}

static void test_unit_containers(void **state)
{
	static const struct unit_case t[] = {
		/* docker: cgroupfs and systemd drivers */
		{ "/docker/" ID64, "docker://" ID64 },
		{ "/system.slice/docker-" ID64 ".scope", "docker://" ID64 },
		/* cri-dockerd under kubepods slices */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" POD ".slice/docker-" ID64 ".scope",
		  "docker://" ID64 },
		/* containerd's CRI: kubelet's cgroupfs driver (burstable, guaranteed, custom root) */
		{ "/kubepods/burstable/" POD "/" ID64, "containerd://" ID64 },
		{ "/kubepods/besteffort/" POD "/" ID64, "containerd://" ID64 },
		{ "/kubepods/" POD "/" ID64, "containerd://" ID64 },
		{ "/custom-root/kubepods/burstable/" POD "/" ID64, "containerd://" ID64 },
		/* ... and the systemd driver */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" POD ".slice/cri-containerd-" ID64
		  ".scope",
		  "containerd://" ID64 },
		{ "/kubepods.slice/kubepods-" POD ".slice/cri-containerd-" ID64 ".scope", "containerd://" ID64 },
		/* kubelet's systemd driver with runc's cgroupfs: one directory "slice:prefix:id" */
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-" POD ".slice:cri-containerd:" ID64,
		  "containerd://" ID64 },
		{ "/system.slice/containerd.service/kubepods-burstable-" POD ".slice:cri-containerd:" ID64,
		  "containerd://" ID64 },
		/* cri-o: systemd and cgroupfs */
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-" POD ".slice/crio-" ID64 ".scope",
		  "cri-o://" ID64 },
		{ "/kubepods/burstable/" POD "/crio-" ID64, "cri-o://" ID64 },
		{ "/crio-" ID64 ".scope", "cri-o://" ID64 },
		/* a container's own subtree (crun's "container" leaf) */
		{ "/kubepods.slice/kubepods-" POD ".slice/crio-" ID64 ".scope/container", "cri-o://" ID64 },
		/* podman: root, rootless, pods, cgroupfs manager */
		{ "/machine.slice/libpod-" ID64 ".scope", "podman://" ID64 },
		{ "/libpod-" ID64 ".scope", "podman://" ID64 },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID64 ".scope", "podman://" ID64 },
		{ "/machine.slice/machine-libpod_pod_" ID64 ".slice/libpod-" ID64 ".scope", "podman://" ID64 },
		{ "/machine.slice/libpod-" ID64 ".scope/container", "podman://" ID64 },
		{ "/libpod_parent/libpod-" ID64, "podman://" ID64 },
		/* a container wins over the systemd running inside it */
		{ "/system.slice/docker-" ID64 ".scope/init.scope", "docker://" ID64 },
		{ "/docker/" ID64 "/system.slice/nginx.service", "docker://" ID64 },
		/* the innermost container: docker in docker */
		{ "/docker/" ID64 "/docker/fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210",
		  "docker://fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" },
	};

	(void)state;
	check_cases(t, sizeof(t) / sizeof(t[0]));
}

static void test_unit_none_and_near_misses(void **state)
{
	static const struct unit_case t[] = {
		{ "/", NULL },
		{ "", NULL },
		{ "/system.slice", NULL },
		{ "/user.slice/user-1000.slice", NULL },
		{ "/synscope-test/a", NULL },
		{ "/.service", NULL },	   /* a suffix alone is not a name */
		{ "/.scope", NULL },
		{ "/nginx.services", NULL },
		{ "/nginx.service.d", NULL },
		{ "/nginx.slice", NULL },
		/* ids that are not 64 lowercase hex digits */
		{ "/docker/" ID63, NULL },
		{ "/docker/" ID64 "0", NULL },
		{ "/docker/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", NULL },
		{ "/docker/0123456789abcdeg0123456789abcdef0123456789abcdef0123456789abcdef", NULL },
		{ "/system.slice/docker-" ID63 ".scope", "docker-" ID63 ".scope" }, /* a plain scope then */
		/* wrappers without their suffix or with another one */
		{ "/system.slice/docker-" ID64, NULL },
		{ "/system.slice/docker-" ID64 ".scopex", NULL },
		{ "/system.slice/cri-containerd-" ID64 ".service", "cri-containerd-" ID64 ".service" },
		/* a bare id needs docker/ or kubepods/.../pod<uid>/ above it */
		{ "/" ID64, NULL },
		{ "/other/" ID64, NULL },
		{ "/kubepods/burstable/" ID64, NULL },
		{ "/burstable/" POD "/" ID64, NULL },
		{ "/kubepods/burstable/pod/" ID64, NULL },
		{ "/kubepods.slice/" POD "/" ID64, NULL },
		/* runtimes' monitors are not containers: their scopes are units */
		{ "/machine.slice/libpod-conmon-" ID64 ".scope", "libpod-conmon-" ID64 ".scope" },
		{ "/system.slice/crio-conmon-" ID64 ".scope", "crio-conmon-" ID64 ".scope" },
		{ "/kubepods/burstable/" POD "/crio-conmon-" ID64, NULL },
		/* the infix needs the whole id at the end */
		{ "/x.slice:cri-containerd:" ID63, NULL },
		{ "/x.slice:cri-containerd:" ID64 "/", "containerd://" ID64 },
		{ ":cri-containerd:" ID64, NULL }, /* nothing before it */
	};

	(void)state;
	check_cases(t, sizeof(t) / sizeof(t[0]));
	assert_int_equal(ss_cgroup_unit_of(NULL, NULL, 0), 0);
}

static void test_unit_truncation(void **state)
{
	const char *path = "/system.slice/docker-" ID64 ".scope";
	const size_t want = strlen("docker://" ID64);
	char buf[16];

	(void)state;
	/* the length of what did not fit, as snprintf */
	assert_int_equal(ss_cgroup_unit_of(path, NULL, 0), want);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ss_cgroup_unit_of(path, buf, sizeof(buf)), want);
	assert_string_equal(buf, "docker://012345");
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(ss_cgroup_unit_of("/a/nginx.service", buf, 6), strlen("nginx.service"));
	assert_string_equal(buf, "nginx");
	/* exactly enough room */
	assert_int_equal(ss_cgroup_unit_of("/a/nginx.service", buf, 14), 13);
	assert_string_equal(buf, "nginx.service");
	/* none: an empty string, even in a buffer of one byte */
	buf[0] = 'x';
	assert_int_equal(ss_cgroup_unit_of("/a/b", buf, 1), 0);
	assert_int_equal(buf[0], '\0');
}

/* ---- live: the test tree -------------------------------------------------- */

static char g_mount[PATH_MAX];	  /* the cgroup2 mount, "" when none */
static char g_tree[PATH_MAX];	  /* mount/synscope-test-<pid> */
static char g_tree_rel[64];	  /* /synscope-test-<pid> */
static char g_home[PATH_MAX];	  /* our cgroup at start, from /proc/self/cgroup */
static int g_joined;		  /* we moved into the test tree */
static const char *g_skip_reason; /* why the live tests do not run */

/* The cgroup2 mount from mountinfo, independently of the module. */
static void find_mount(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];

	g_mount[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char root[PATH_MAX], mnt[PATH_MAX];
		const char *sep = strstr(line, " - ");

		if (sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
		    sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) == 2 && !strcmp(root, "/")) {
			snprintf(g_mount, sizeof(g_mount), "%s", mnt);
			break;
		}
	}
	fclose(f);
}

static void read_own_cgroup(char *out, size_t n)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 8];

	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = '\0';
			if (snprintf(out, n, "%s", line + 3) >= (int)n)
				out[0] = '\0'; /* cut: unknown */
		}
	fclose(f);
}

static int move_to(const char *dir)
{
	char procs[PATH_MAX + 32], pid[32];
	int fd, len, rc = -1;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, pid, (size_t)len) == len)
		rc = 0;
	if (fd >= 0)
		close(fd);
	return rc;
}

static void go_home(void)
{
	char dir[PATH_MAX * 2];

	if (!g_joined)
		return;
	snprintf(dir, sizeof(dir), "%s%s", g_mount, strcmp(g_home, "/") ? g_home : "");
	if (move_to(dir) == 0)
		g_joined = 0;
}

/* Removes a directory tree of cgroups, leaves first (rmdir on a cgroup
 * takes its interface files with it). */
static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
			remove_tree(sub);
	}
	closedir(d);
	rmdir(dir);
}

/* Every exit path: test teardown, exit, a fatal signal. */
static void cleanup_all(void)
{
	go_home();
	if (g_tree[0])
		remove_tree(g_tree);
}

static void on_signal(int sig)
{
	cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void make_dir(const char *rel)
{
	char dir[PATH_MAX * 2];

	snprintf(dir, sizeof(dir), "%s/%s", g_tree, rel);
	if (mkdir(dir, 0755))
		fail_msg("mkdir %s: %s", dir, strerror(errno));
}

static uint64_t ino_of(const char *rel)
{
	char dir[PATH_MAX * 2];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s%s%s", g_tree, *rel ? "/" : "", rel);
	if (stat(dir, &st))
		fail_msg("stat %s: %s", dir, strerror(errno));
	return st.st_ino;
}

static void remove_dir(const char *rel)
{
	char dir[PATH_MAX * 2];

	snprintf(dir, sizeof(dir), "%s/%s", g_tree, rel);
	if (rmdir(dir))
		fail_msg("rmdir %s: %s", dir, strerror(errno));
}

static char *rel_path(const char *rel, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s", g_tree_rel, *rel ? "/" : "", rel);
	return buf;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Each live test: a fresh tree {a, b, a/deep.service} and a fresh module. */
static int live_setup(void **state)
{
	static const char *subs[] = { "a", "b", "a/deep.service" };
	struct ss_cgroups *c;

	if (g_skip_reason) {
		*state = NULL;
		return 0;
	}
	remove_tree(g_tree);
	if (mkdir(g_tree, 0755)) {
		print_error("mkdir %s: %s\n", g_tree, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char dir[PATH_MAX * 2];

		snprintf(dir, sizeof(dir), "%s/%s", g_tree, subs[i]);
		if (mkdir(dir, 0755)) {
			print_error("mkdir %s: %s\n", dir, strerror(errno));
			return -1;
		}
	}
	c = ss_cgroups_open();
	if (!c)
		return -1;
	*state = c;
	return 0;
}

static int live_teardown(void **state)
{
	ss_cgroups_close(*state);
	cleanup_all();
	return 0;
}

#define LIVE_OR_SKIP(state)                                                       \
	do {                                                                      \
		if (!*(state)) {                                                  \
			print_message("skipped: %s\n", g_skip_reason);            \
			skip();                                                   \
		}                                                                 \
	} while (0)

/* ---- live tests ----------------------------------------------------------- */

/* The cgroup v2 id is the directory's inode number: the kernel's file
 * handle for a kernfs directory (FILEID_KERNFS, 8 bytes) carries the same
 * 64-bit id, and the module finds the same number with readdir. */
static void test_live_mount_and_ids(void **state)
{
	struct ss_cgroups *c = *state;
	const char *rels[] = { "", "a", "b", "a/deep.service" };

	LIVE_OR_SKIP(state);
	assert_non_null(ss_cgroups_mount(c));
	assert_string_equal(ss_cgroups_mount(c), g_mount);
	for (size_t i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
		struct {
			struct file_handle fh;
			unsigned char bytes[64];
		} h = { .fh.handle_bytes = 64 };
		char dir[PATH_MAX * 2], want[PATH_MAX];
		uint64_t handle_id;
		int mount_id;

		snprintf(dir, sizeof(dir), "%s%s%s", g_tree, *rels[i] ? "/" : "", rels[i]);
		assert_int_equal(name_to_handle_at(AT_FDCWD, dir, &h.fh, &mount_id, 0), 0);
		assert_int_equal(h.fh.handle_type, 0xfe); /* FILEID_KERNFS */
		assert_int_equal(h.fh.handle_bytes, 8);
		memcpy(&handle_id, h.fh.f_handle, 8);
		assert_true(handle_id == ino_of(rels[i]));
		assert_string_equal(ss_cgroups_path(c, ino_of(rels[i])), rel_path(rels[i], want, sizeof(want)));
	}
	/* the root */
	{
		struct stat st;

		assert_int_equal(stat(g_mount, &st), 0);
		assert_string_equal(ss_cgroups_path(c, st.st_ino), "/");
		assert_null(ss_cgroups_unit(c, st.st_ino));
	}
	assert_string_equal(ss_cgroups_unit(c, ino_of("a/deep.service")), "deep.service");
	assert_null(ss_cgroups_unit(c, ino_of("a")));
	/* one walk answered everything */
	assert_int_equal(ss_cgroups_scans(c), 1);
	/* 0 is no cgroup (no full socket): no walk for it */
	assert_null(ss_cgroups_path(c, 0));
	assert_null(ss_cgroups_unit(c, 0));
	assert_int_equal(ss_cgroups_scans(c), 1);
}

/* Hits: no rescan, no allocation, and cheap. */
static void test_live_cache_hits(void **state)
{
	struct ss_cgroups *c = *state;
	const int n = 1000000;
	uint64_t a, deep;
	const char *pa;
	struct mallinfo2 before, after;
	double t0, dt;

	LIVE_OR_SKIP(state);
	a = ino_of("a");
	deep = ino_of("a/deep.service");
	pa = ss_cgroups_path(c, a);
	assert_non_null(pa);
	assert_int_equal(ss_cgroups_scans(c), 1);
	before = mallinfo2();
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		uint64_t id = (i & 1) ? a : deep;

		if (!ss_cgroups_path(c, id) || (id == deep && !ss_cgroups_unit(c, id)))
			fail_msg("lookup %d missed", i);
	}
	dt = now_s() - t0;
	after = mallinfo2();
	assert_int_equal(ss_cgroups_scans(c), 1);
	assert_true(after.uordblks == before.uordblks);
	/* the same string each time */
	assert_ptr_equal(ss_cgroups_path(c, a), pa);
	print_message("%d hits (path + unit): %.1f ns each\n", n, dt * 1e9 / n);
	/* a generous bound: a hash probe, not a walk */
	assert_true(dt < 2.0);
}

/* Seen once, kept after rmdir; removed before ever seen: NULL, after a walk. */
static void test_live_removed(void **state)
{
	struct ss_cgroups *c = *state;
	uint64_t b, gone;
	char want[PATH_MAX];

	LIVE_OR_SKIP(state);
	b = ino_of("b");
	assert_string_equal(ss_cgroups_path(c, b), rel_path("b", want, sizeof(want)));
	remove_dir("b");
	assert_string_equal(ss_cgroups_path(c, b), want);

	make_dir("gone");
	gone = ino_of("gone");
	remove_dir("gone");
	sleep_ms(1050); /* past the rate limit: the miss walks again */
	assert_null(ss_cgroups_path(c, gone));
	assert_null(ss_cgroups_unit(c, gone));
	assert_int_equal(ss_cgroups_scans(c), 2);
	/* and the new walk did not forget b */
	assert_string_equal(ss_cgroups_path(c, b), want);
}

/* Unknown ids walk the tree at most once a second; a cgroup made after a
 * walk is found by the first miss a second later. */
static void test_live_rate_limit(void **state)
{
	struct ss_cgroups *c = *state;
	uint64_t fresh, misses = 0;
	double t0, elapsed;
	char want[PATH_MAX];

	LIVE_OR_SKIP(state);
	t0 = now_s();
	assert_null(ss_cgroups_path(c, UINT64_MAX)); /* walk 1 */
	assert_int_equal(ss_cgroups_scans(c), 1);
	make_dir("late");
	fresh = ino_of("late");
	/* within the second: no walk, so not found yet */
	for (int i = 0; i < 100000; i++)
		assert_null(ss_cgroups_path(c, (1ull << 62) + (uint64_t)i));
	if (now_s() - t0 < 0.9) {
		assert_null(ss_cgroups_path(c, fresh));
		assert_int_equal(ss_cgroups_scans(c), 1);
	}
	/* a stream of unknown ids for 2.5 s */
	while ((elapsed = now_s() - t0) < 2.5) {
		assert_null(ss_cgroups_path(c, (1ull << 62) + misses));
		misses++;
	}
	print_message("%llu unknown ids in %.2f s: %llu walks\n", (unsigned long long)misses, elapsed,
		      (unsigned long long)ss_cgroups_scans(c));
	/* walks at 0, >= 1, >= 2 s */
	assert_true(ss_cgroups_scans(c) <= 3);
	assert_true(ss_cgroups_scans(c) >= 2);
	/* the later walks found it */
	assert_string_equal(ss_cgroups_path(c, fresh), rel_path("late", want, sizeof(want)));
}

static void test_live_resolve(void **state)
{
	struct ss_cgroups *c = *state;
	char path[PATH_MAX * 2], err[256];
	uint64_t id = 0, a = 0;
	int level = -1;

	LIVE_OR_SKIP(state);
	a = ino_of("a");
	/* absolute on the file system */
	snprintf(path, sizeof(path), "%s/a", g_tree);
	assert_int_equal(ss_cgroups_resolve(c, path, &id, &level, err, sizeof(err)), 0);
	assert_true(id == a);
	assert_int_equal(level, 2);
	/* relative to the cgroup2 root, with and without the slash */
	snprintf(path, sizeof(path), "%s/a", g_tree_rel);
	assert_int_equal(ss_cgroups_resolve(c, path, &id, &level, err, sizeof(err)), 0);
	assert_true(id == a);
	assert_int_equal(level, 2);
	assert_int_equal(ss_cgroups_resolve(c, path + 1, &id, &level, err, sizeof(err)), 0);
	assert_true(id == a);
	snprintf(path, sizeof(path), "%s/a/deep.service/", g_tree_rel + 1);
	assert_int_equal(ss_cgroups_resolve(c, path, &id, &level, err, sizeof(err)), 0);
	assert_true(id == ino_of("a/deep.service"));
	assert_int_equal(level, 3);
	/* the root, both ways */
	assert_int_equal(ss_cgroups_resolve(c, "/", &id, &level, err, sizeof(err)), 0);
	assert_int_equal(level, 0);
	assert_string_equal(ss_cgroups_path(c, id), "/");
	assert_int_equal(ss_cgroups_resolve(c, g_mount, &id, &level, err, sizeof(err)), 0);
	assert_int_equal(level, 0);
	/* the path the module prints resolves back to the same id */
	snprintf(path, sizeof(path), "%s", ss_cgroups_path(c, a));
	assert_int_equal(ss_cgroups_resolve(c, path, &id, &level, err, sizeof(err)), 0);
	assert_true(id == a);

	/* bad ones: -1 and one line saying why, nothing written to id/level */
	struct {
		const char *path, *why;
	} bad[] = {
		{ "", "empty cgroup path" },
		{ "/no-such-cgroup-synscope", "No such file or directory" },
		{ "/tmp", "not a cgroup2 directory (cgroup2 is mounted at " },
		{ "/proc/self", "not a cgroup2 directory" },
		{ "../..", "outside the cgroup2 hierarchy" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		id = 42;
		level = 42;
		err[0] = '\0';
		assert_int_equal(ss_cgroups_resolve(c, bad[i].path, &id, &level, err, sizeof(err)), -1);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': '%s' does not say '%s'", bad[i].path, err, bad[i].why);
		assert_null(strchr(err, '\n'));
		assert_true(id == 42 && level == 42);
	}
	/* a file of a cgroup, and a path that climbs out of the mount */
	snprintf(path, sizeof(path), "%s/a/cgroup.procs", g_tree);
	assert_int_equal(ss_cgroups_resolve(c, path, &id, &level, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a cgroup2 directory"));
	snprintf(path, sizeof(path), "%s/a/../../..", g_tree);
	assert_int_equal(ss_cgroups_resolve(c, path, &id, &level, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "outside the cgroup2 hierarchy"));
	/* a short error buffer is cut, not overrun */
	memset(err, 'x', sizeof(err));
	assert_int_equal(ss_cgroups_resolve(c, "/no-such-cgroup-synscope", &id, &level, err, 8), -1);
	assert_int_equal(strlen(err), 7);
}

/* A process that joins a cgroup: the kernel's own name for it
 * (/proc/self/cgroup) is the module's path of its id. */
static void test_live_join(void **state)
{
	struct ss_cgroups *c = *state;
	char dir[PATH_MAX * 2], mine[PATH_MAX], want[PATH_MAX];
	uint64_t id;
	int level;

	LIVE_OR_SKIP(state);
	snprintf(dir, sizeof(dir), "%s/a", g_tree);
	assert_int_equal(move_to(dir), 0);
	g_joined = 1;
	read_own_cgroup(mine, sizeof(mine));
	assert_string_equal(mine, rel_path("a", want, sizeof(want)));
	assert_int_equal(ss_cgroups_resolve(c, mine, &id, &level, dir, sizeof(dir)), 0);
	assert_string_equal(ss_cgroups_path(c, id), mine);
	go_home();
	assert_int_equal(g_joined, 0);
	read_own_cgroup(mine, sizeof(mine));
	assert_string_equal(mine, g_home);
}

/* Drop one capability from the effective and permitted sets. */
static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* A mount namespace of its own (in a child) with the cgroup2 mount
 * detached, as under `ip netns exec`: the hierarchy is found through the
 * parent's /proc/PID/root, and paths print as before. Without
 * CAP_SYS_PTRACE the parent (more capable) is out of reach: an object all
 * the same, unknown paths, and resolve and unreachable say why. */
static void test_live_no_mount(void **state)
{
	pid_t pid;
	int status;

	LIVE_OR_SKIP(state);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ss_cgroups *c;
		char err[256];
		uint64_t id;
		int level;

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(10);
		/* every cgroup2 mount: there may be more than one */
		for (int i = 0; i < 16 && umount2(g_mount, MNT_DETACH) == 0; i++)
			;
		c = ss_cgroups_open();
		if (!c)
			_exit(11);
		/* through the parent */
		if (!ss_cgroups_mount(c) || ss_cgroups_unreachable(c))
			_exit(12);
		if (ss_cgroups_resolve(c, "/", &id, &level, err, sizeof(err)) || level != 0 ||
		    !ss_cgroups_path(c, id) || strcmp(ss_cgroups_path(c, id), "/"))
			_exit(13);
		ss_cgroups_close(c);

		if (drop_cap(CAP_SYS_PTRACE))
			_exit(14);
		c = ss_cgroups_open();
		if (!c)
			_exit(15);
		if (ss_cgroups_mount(c) || !ss_cgroups_unreachable(c) ||
		    !strstr(ss_cgroups_unreachable(c), "CAP_SYS_PTRACE"))
			_exit(16);
		if (ss_cgroups_path(c, 1) || ss_cgroups_unit(c, 1) || ss_cgroups_scans(c))
			_exit(17);
		if (ss_cgroups_resolve(c, "/a", &id, &level, err, sizeof(err)) != -1 ||
		    !strstr(err, "no cgroup2 file system") || !strstr(err, "CAP_SYS_PTRACE"))
			_exit(18);
		ss_cgroups_close(c);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unit_systemd),
		cmocka_unit_test(test_unit_containers),
		cmocka_unit_test(test_unit_none_and_near_misses),
		cmocka_unit_test(test_unit_truncation),
		cmocka_unit_test_setup_teardown(test_live_mount_and_ids, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_cache_hits, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_removed, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_rate_limit, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_resolve, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_join, live_setup, live_teardown),
		cmocka_unit_test_setup_teardown(test_live_no_mount, live_setup, live_teardown),
	};
	int failed;

	find_mount();
	read_own_cgroup(g_home, sizeof(g_home));
	snprintf(g_tree_rel, sizeof(g_tree_rel), "/synscope-test-%d", (int)getpid());
	if (!g_mount[0])
		g_skip_reason = "no cgroup2 file system is mounted (/proc/self/mountinfo)";
	else if (geteuid() != 0)
		g_skip_reason = "making test cgroups needs root";
	else if (!g_home[0])
		g_skip_reason = "this process's cgroup v2 is unknown (/proc/self/cgroup has no 0:: line)";
	else if (snprintf(g_tree, sizeof(g_tree), "%s%s", g_mount, g_tree_rel) >= (int)sizeof(g_tree))
		g_skip_reason = "the cgroup2 mount's path is too long";
	if (g_skip_reason) {
		g_tree[0] = '\0'; /* nothing of ours to remove */
		fprintf(stderr, "test_cgroup: live tests skipped: %s\n", g_skip_reason);
	} else {
		atexit(cleanup_all);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
		signal(SIGHUP, on_signal);
	}
	failed = cmocka_run_group_tests(tests, NULL, NULL);
	cleanup_all();
	return failed;
}
