// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The namespace's TCP sockets through sock_diag (sockdiag.h). */
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include "host/sockdiag.h"

int ss_sockdiag_open(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

int ss_sockdiag_dump(int nl, int family, uint32_t states, uint8_t ext, ss_sockdiag_fn fn, void *ctx)
{
	struct {
		struct nlmsghdr h;
		struct inet_diag_req_v2 r;
	} req = {
		.h = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.r = { .sdiag_family = (uint8_t)family, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_states = states, .idiag_ext = ext },
	};
	char buf[32768] __attribute__((aligned(4)));
	ssize_t len;

	if (send(nl, &req, sizeof(req), 0) < 0)
		return -errno;
	for (;;) {
		struct nlmsghdr *h;

		len = recv(nl, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (len == 0)
			return -EIO;
		for (h = (void *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				return e->error ? e->error : -EIO;
			}
			if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				fn(ctx, NLMSG_DATA(h), h->nlmsg_len - NLMSG_HDRLEN);
		}
	}
}
