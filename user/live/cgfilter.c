// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --cgroup's sock_diag half (cgfilter.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "live/cgfilter.h"
#include "host/cgroup.h"
#include "host/sockdiag.h"
#include "synscope.h"

/* TCP_TIME_WAIT and TCP_NEW_SYN_RECV: no cgroup (not full sockets). */
#define CGF_STATES (~((1u << 6) | (1u << 12)))

struct ss_cgfilter {
	int nl, map_fd;
	uint64_t root_id;
	char *root_path;             /* the subtree's path, NULL: id only */
	struct ss_cgroups *cg;
	uint64_t last_ns;
	size_t found, found_now;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int in_subtree(struct ss_cgfilter *f, uint64_t id)
{
	const char *p;
	size_t n;

	if (id == f->root_id)
		return 1;
	if (!f->root_path || !(p = ss_cgroups_path(f->cg, id)))
		return 0;
	n = strlen(f->root_path);
	if (n == 1)                  /* "/": every cgroup */
		return 1;
	return !strncmp(p, f->root_path, n) && p[n] == '/';
}

static void put(struct ss_cgfilter *f, uint8_t family, const uint32_t *addr, uint16_t port,
		uint64_t now)
{
	struct ss_owned_key k = { .family = family, .port = port };

	memcpy(k.addr, addr, family == 4 ? 4 : 16);
	bpf_map_update_elem(f->map_fd, &k, &now, BPF_ANY);
	f->found_now++;
}

static void one_socket(struct ss_cgfilter *f, const struct inet_diag_msg *m, size_t len, uint64_t now)
{
	static const uint32_t zero[4];
	const struct rtattr *a = (const void *)(m + 1);
	size_t rest = len - NLMSG_ALIGN(sizeof(*m));
	uint64_t id = 0;
	int have = 0;
	const uint32_t *src = m->id.idiag_src;
	uint16_t port = ntohs(m->id.idiag_sport);

	for (; RTA_OK(a, rest); a = RTA_NEXT(a, rest))
		if (a->rta_type == INET_DIAG_CGROUP_ID && RTA_PAYLOAD(a) >= sizeof(id)) {
			memcpy(&id, RTA_DATA(a), sizeof(id));
			have = 1;
		}
	if (!have || !in_subtree(f, id))
		return;
	if (m->idiag_family == AF_INET) {
		put(f, 4, src, port, now);
	} else if (src[0] == 0 && src[1] == 0 && src[2] == htonl(0xffff)) {
		put(f, 4, &src[3], port, now);       /* v4-mapped */
	} else {
		put(f, 6, src, port, now);
		/* [::] takes IPv4 too unless IPV6_V6ONLY: both, to be safe */
		if (!memcmp(src, zero, 16))
			put(f, 4, zero, port, now);
	}
}

struct one_ctx {
	struct ss_cgfilter *f;
	uint64_t now;
};

static void on_socket(void *arg, const struct inet_diag_msg *m, size_t len)
{
	struct one_ctx *c = arg;

	one_socket(c->f, m, len, c->now);
}

static int dump(struct ss_cgfilter *f, int family, uint64_t now)
{
	struct one_ctx c = { .f = f, .now = now };

	/* The cgroup id comes with every socket on this kernel's sock_diag. */
	return ss_sockdiag_dump(f->nl, family, CGF_STATES, 0, on_socket, &c);
}

/* Entries neither a dump nor the kernel renewed lately: sockets gone. */
static void age_out(struct ss_cgfilter *f, uint64_t now)
{
	struct ss_owned_key k, next, *prev = NULL;
	uint64_t seen;

	while (bpf_map_get_next_key(f->map_fd, prev, &next) == 0) {
		k = next;
		prev = &k;
		if (bpf_map_lookup_elem(f->map_fd, &k, &seen) == 0 && seen + SS_CGF_AGE_NS < now)
			bpf_map_delete_elem(f->map_fd, &k);
	}
}

static int refresh(struct ss_cgfilter *f, uint64_t now)
{
	int e;

	f->found_now = 0;
	e = dump(f, AF_INET, now);
	if (!e)
		e = dump(f, AF_INET6, now);
	if (e)
		return e;
	f->found = f->found_now;
	f->last_ns = now;
	age_out(f, now);
	return 0;
}

struct ss_cgfilter *ss_cgfilter_new(uint64_t id, int map_fd, char *err, size_t n)
{
	struct ss_cgfilter *f = calloc(1, sizeof(*f));
	const char *p;
	int e;

	if (!f || !(f->cg = ss_cgroups_open())) {
		snprintf(err, n, "--cgroup: out of memory");
		goto fail;
	}
	f->root_id = id;
	f->map_fd = map_fd;
	p = ss_cgroups_path(f->cg, id);
	if (p && !(f->root_path = strdup(p))) {
		snprintf(err, n, "--cgroup: out of memory");
		goto fail;
	}
	f->nl = ss_sockdiag_open();
	if (f->nl < 0) {
		snprintf(err, n, "--cgroup: sock_diag: %s", strerror(-f->nl));
		goto fail;
	}
	e = refresh(f, mono_ns());
	if (e) {
		snprintf(err, n, "--cgroup: listing sockets (sock_diag): %s", strerror(-e));
		goto fail;
	}
	return f;
fail:
	ss_cgfilter_free(f);
	return NULL;
}

void ss_cgfilter_refresh(struct ss_cgfilter *f, uint64_t now_ns)
{
	if (f && now_ns - f->last_ns >= SS_CGF_PERIOD_NS)
		refresh(f, now_ns);  /* a failed dump: the entries stay until the next */
}

size_t ss_cgfilter_endpoints(const struct ss_cgfilter *f)
{
	return f ? f->found : 0;
}

void ss_cgfilter_free(struct ss_cgfilter *f)
{
	if (!f)
		return;
	if (f->nl > 0)
		close(f->nl);
	ss_cgroups_close(f->cg);
	free(f->root_path);
	free(f);
}
