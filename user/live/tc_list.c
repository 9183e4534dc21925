// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A tc filter dump over rtnetlink, kept to what the loader needs. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <linux/pkt_cls.h>
#include "live/tc_list.h"

#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS 0xFFF3U
#endif

static void attr_string(const struct rtattr *a, char *out, size_t n)
{
	size_t len = RTA_PAYLOAD(a);

	if (len >= n)
		len = n - 1;
	memcpy(out, RTA_DATA(a), len);
	out[len] = '\0';
}

/* One RTM_NEWTFILTER message into f. Returns 1 when it is a filter. */
static int parse_filter(struct nlmsghdr *h, struct ss_tc_filter *f)
{
	struct tcmsg *t = NLMSG_DATA(h);
	int len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*t));
	struct rtattr *a, *o;
	int olen;

	if (len < 0)
		return 0;
	/* The first message of each priority describes the classifier
	 * instance itself, with handle 0. */
	if (t->tcm_handle == 0)
		return 0;
	memset(f, 0, sizeof(*f));
	f->handle = t->tcm_handle;
	for (a = (struct rtattr *)((char *)t + NLMSG_ALIGN(sizeof(*t))); RTA_OK(a, len);
	     a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			attr_string(a, f->kind, sizeof(f->kind));
		if (a->rta_type != TCA_OPTIONS)
			continue;
		olen = RTA_PAYLOAD(a);
		for (o = RTA_DATA(a); RTA_OK(o, olen); o = RTA_NEXT(o, olen))
			if (o->rta_type == TCA_BPF_NAME)
				attr_string(o, f->name, sizeof(f->name));
	}
	return 1;
}

int ss_tc_list(int ifindex, int egress, uint16_t prio, struct ss_tc_filter *out, int max)
{
	struct {
		struct nlmsghdr n;
		struct tcmsg t;
	} req = {
		.n = {
			.nlmsg_len = NLMSG_LENGTH(sizeof(struct tcmsg)),
			.nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.t = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = TC_H_MAKE(TC_H_CLSACT, egress ? TC_H_MIN_EGRESS : TC_H_MIN_INGRESS),
			/* Only this priority; any protocol. */
			.tcm_info = TC_H_MAKE((uint32_t)prio << 16, 0),
		},
	};
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, count = 0, done = 0, ret = 0;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.n.nlmsg_len, 0) < 0) {
		ret = -errno;
		goto out;
	}
	while (!done) {
		struct nlmsghdr *h;

		len = recv(fd, buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (len == 0)
			break;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				/* No clsact qdisc (or no such hook): no filters. */
				if (e->error == -EINVAL || e->error == -ENOENT)
					ret = 0;
				else
					ret = e->error;
				done = 1;
				break;
			}
			if (h->nlmsg_type == RTM_NEWTFILTER && count < max &&
			    parse_filter(h, &out[count]))
				count++;
		}
	}
out:
	close(fd);
	return ret < 0 ? ret : count;
}
