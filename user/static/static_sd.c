// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Linked into the static build only (make static). libpcap.a pulls in
 * libdbus-1.a for its D-Bus capture source, and libdbus asks libsystemd
 * whether it was socket-activated; Debian ships no libsystemd.a. These two
 * calls follow systemd's documented contract (sd_listen_fds(3),
 * sd_is_socket(3)), so libdbus gets true answers, although synscope never
 * opens a D-Bus capture.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define SD_LISTEN_FDS_START 3

int sd_listen_fds(int unset_environment);
int sd_is_socket(int fd, int family, int type, int listening);

int sd_listen_fds(int unset_environment)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	long n = 0;

	/* File descriptors are passed only to the process named in LISTEN_PID. */
	if (pid && fds && strtol(pid, NULL, 10) == (long)getpid())
		n = strtol(fds, NULL, 10);
	if (unset_environment) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
	}
	return n > 0 && n < 4096 ? (int)n : 0;
}

int sd_is_socket(int fd, int family, int type, int listening)
{
	struct stat st;
	int v;
	socklen_t l = sizeof(v);

	if (fd < 0)
		return -EBADF;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return 0;
	if (type != 0 && (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) < 0 || v != type))
		return 0;
	l = sizeof(v);
	if (family != 0 && (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) < 0 || v != family))
		return 0;
	l = sizeof(v);
	if (listening >= 0 && (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &l) < 0 || !v != !listening))
		return 0;
	return 1;
}
