// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Loader: skeleton open -> rodata from the options -> load -> attach.
 * Attachments are links wherever the kernel has them (XDP link, tcx), so a
 * killed synscope leaves nothing behind. Classic tc is the fallback for
 * kernels without tcx; there we remove exactly the filters we added.
 */
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "live/cgfilter.h"
#include "live/loader.h"
#include "live/ring.h"
#include "live/privs.h"
#include "live/tc_list.h"
#include "synscope.skel.h"

/* Attach types of tcx (Linux 6.6); libbpf 1.1's headers predate them. */
#define SS_BPF_TCX_INGRESS 46
#define SS_BPF_TCX_EGRESS 47
#define SS_BPF_F_BEFORE (1U << 3)
/*
 * Classic tc: our own priority, and a handle that carries a marker and our
 * pid, so we never replace another's filter, several synscopes can share an
 * interface, and a filter whose synscope is gone (kill -9) is recognised.
 */
#define SS_TC_PRIORITY 0x5c5c
#define SS_TC_HANDLE_MARK 0x5c000000u
#define SS_TC_HANDLE(pid) (SS_TC_HANDLE_MARK | ((uint32_t)(pid) & 0xffffffu))

#define fail ss_fail

static const char *load_error(int e)
{
	if ((e == EPERM || e == EACCES) && ss_privs_in_userns())
		return "permission denied: synscope runs in a user namespace (rootless container?), "
		       "and the kernel honours CAP_BPF only in the initial one";
	/* The capabilities were checked before: something else said no. */
	if ((e == EPERM || e == EACCES) && ss_privs_seccomp())
		return "permission denied although CAP_BPF and CAP_NET_ADMIN are held: a seccomp "
		       "filter blocks bpf() (container runtime profile? allow the bpf syscall)";
	if (e == EPERM || e == EACCES)
		return "permission denied although CAP_BPF and CAP_NET_ADMIN are held "
		       "(a security module, or kernel.unprivileged_bpf_disabled with an old kernel?)";
	return NULL;
}

/* SYNSCOPE_TEST_STOP=POINT stops the process there (SIGSTOP), so the
 * tests can kill -9 it at a known step of loading and attaching. */
static void test_stop(const char *point)
{
	const char *at = getenv("SYNSCOPE_TEST_STOP");

	if (at && strcmp(at, point) == 0)
		raise(SIGSTOP);
}

int ss_loader_load(struct ss_loader *l, const struct ss_options *o, int acks_seen_fd, char *err,
		   size_t n)
{
	struct synscope_bpf *s;
	int i, e;

	memset(l, 0, sizeof(*l));
	l->link_watch_fd = -1;
	l->ncpus = libbpf_num_possible_cpus();
	if (l->ncpus <= 0)
		return fail(err, n, "cannot count CPUs: %s", strerror(-l->ncpus));
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return fail(err, n, "kernel has no BTF (/sys/kernel/btf/vmlinux missing): "
			    "synscope needs a kernel built with CONFIG_DEBUG_INFO_BTF");

	s = synscope_bpf__open();
	if (!s)
		return fail(err, n, "cannot open the BPF object: %s", strerror(errno));
	l->skel = s;

	for (i = 0; i < o->nports; i++)
		s->rodata->cfg_ports[i] = o->ports[i];
	s->rodata->cfg_nports = o->nports;
	for (i = 0; i < o->nhosts; i++) {
		if (o->hosts[i].family == 4)
			s->rodata->cfg_host_v4 = 1;
		else
			s->rodata->cfg_host_v6 = 1;
	}
	s->rodata->cfg_host_filter = o->nhosts > 0;
	/* Each CPU's event ring: --ringbuf-kib of 128-byte slots. */
	l->ev_slots_log2 = (unsigned int)__builtin_ctz(o->ringbuf_kib) + 3;
	if (l->ev_slots_log2 < SS_EV_SLOTS_LOG2_MIN || l->ev_slots_log2 > SS_EV_SLOTS_LOG2_MAX)
		return fail(err, n, "bad ring size %u KiB", o->ringbuf_kib);
	s->rodata->cfg_event_rate = o->event_rate;
	/* SYN and RST events are shed once half a ring waits to be read. */
	s->rodata->cfg_shed_slots = (1u << l->ev_slots_log2) / 2;
	s->rodata->cfg_flood = o->top;
	s->rodata->cfg_snaplen = o->write_file ? o->snaplen : 0;
	s->rodata->cfg_cgroup_id = o->cgroup_id;
	s->rodata->cfg_cgroup_level = (__u32)o->cgroup_level;
	/* The pending table's hash key: secret, so that spoofed flows cannot
	 * be aimed at one set (bpf/decide.h). */
	if (o->pend_key[0] || o->pend_key[1])
		memcpy(l->pend_key, o->pend_key, sizeof(l->pend_key));
	else if (getrandom(l->pend_key, sizeof(l->pend_key), 0) != sizeof(l->pend_key))
		return fail(err, n, "cannot read random bytes: %s", strerror(errno));
	s->rodata->cfg_pend_key0 = l->pend_key[0];
	s->rodata->cfg_pend_key1 = l->pend_key[1];
	s->rodata->cfg_pend_tshift = ss_pend_tshift(o->timeout_ns);
	s->rodata->cfg_pend_live_t = ss_pend_live_t(o->timeout_ns, s->rodata->cfg_pend_tshift);
	if (ss_loader_size_rings(s, l->ncpus, l->ev_slots_log2, o->write_file != NULL))
		return fail(err, n, "cannot size the event rings: %s", strerror(errno));
	/* The verdict programs' map of the completing ACKs seen, shared. */
	if (acks_seen_fd >= 0 && bpf_map__reuse_fd(s->maps.ss_acks_seen, acks_seen_fd))
		return fail(err, n, "cannot share the completing ACKs with the verdict programs: %s",
			    strerror(errno));
	s->rodata->cfg_verdicts = acks_seen_fd >= 0;

	/* SYNSCOPE_VERIFIER_STATS=1 (with -v): the verifier's statistics for
	 * each program, for make bench's headroom row: without CAP_PERFMON
	 * it stops at a million instructions processed. */
	if (getenv("SYNSCOPE_VERIFIER_STATS")) {
		bpf_program__set_log_level(s->progs.ss_xdp_ingress, 4);
		bpf_program__set_log_level(s->progs.ss_tc_ingress, 4);
		bpf_program__set_log_level(s->progs.ss_tc_egress, 4);
	}
	if (synscope_bpf__load(s)) {
		e = errno;
		if (load_error(e))
			return fail(err, n, "%s", load_error(e));
		return fail(err, n, "cannot load the BPF programs: %s (run with -v for the verifier log)",
			    strerror(e));
	}

	l->pend = mmap(NULL, (size_t)SS_PEND_SETS * sizeof(struct ss_pend_set),
		       PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(s->maps.pend), 0);
	if (l->pend == MAP_FAILED) {
		l->pend = NULL;
		return fail(err, n, "cannot map the pending table: %s", strerror(errno));
	}
	l->pend_occ = mmap(NULL, (size_t)SS_PEND_OCC * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			   MAP_SHARED, bpf_map__fd(s->maps.pend_occ), 0);
	if (l->pend_occ == MAP_FAILED) {
		l->pend_occ = NULL;
		return fail(err, n, "cannot map the pending table's counts: %s", strerror(errno));
	}
	for (i = 0; i < o->nhosts; i++) {
		const struct ss_prefix *p = &o->hosts[i];
		__u8 one = 1;

		if (p->family == 4) {
			struct ss_lpm_v4 k = { .prefixlen = p->len };

			memcpy(k.addr, p->addr, 4);
			e = bpf_map_update_elem(bpf_map__fd(s->maps.hosts_v4), &k, &one, BPF_ANY);
		} else {
			struct ss_lpm_v6 k = { .prefixlen = p->len };

			memcpy(k.addr, p->addr, 16);
			e = bpf_map_update_elem(bpf_map__fd(s->maps.hosts_v6), &k, &one, BPF_ANY);
		}
		if (e)
			return fail(err, n, "cannot set the host filter: %s", strerror(errno));
	}
	test_stop("loaded");
	return 0;
}

/* The interface's counter slot, given at its first attachment. More
 * interfaces than slots, or an ifindex past the array: slot 0, "other". */
static void give_slot(struct ss_loader *l, int ifindex, const char *ifname)
{
	__u32 key = (__u32)ifindex, slot;
	int i;

	for (i = 1; i <= l->nslots; i++)
		if (l->slot_if[i] == ifindex)
			return;
	if (l->nslots + 1 >= SS_IF_SLOTS || ifindex <= 0 || ifindex >= SS_IF_INDEXES)
		return;
	slot = (__u32)++l->nslots;
	l->slot_if[slot] = ifindex;
	snprintf(l->slot_name[slot], IF_NAMESIZE, "%s", ifname);
	bpf_map_update_elem(bpf_map__fd(l->skel->maps.if_slot), &key, &slot, BPF_ANY);
}

static struct ss_attachment *new_att(struct ss_loader *l, enum ss_hook hook,
				     int ifindex, const char *ifname)
{
	struct ss_attachment *a = &l->att[l->natt++];

	memset(a, 0, sizeof(*a));
	a->hook = hook;
	a->ifindex = ifindex;
	a->link_fd = -1;
	snprintf(a->ifname, sizeof(a->ifname), "%s", ifname);
	return a;
}

/* XDP link. -EBUSY/-EEXIST: someone else's XDP program holds the device. */
static int attach_xdp(struct ss_loader *l, int ifindex, const char *ifname)
{
	struct bpf_link *link;

	link = bpf_program__attach_xdp(l->skel->progs.ss_xdp_ingress, ifindex);
	if (!link)
		return -errno;
	new_att(l, SS_HOOK_XDP, ifindex, ifname)->link = link;
	return 0;
}

static int attach_tcx(struct ss_loader *l, int ifindex, const char *ifname, int egress)
{
	struct bpf_program *prog = egress ? l->skel->progs.ss_tc_egress
					  : l->skel->progs.ss_tc_ingress;
	/* First in the chain, so a program that ends it (TCX_PASS) can't hide
	 * packets from us; we return TCX_NEXT, so the others all still run. */
	LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = SS_BPF_F_BEFORE);
	int fd;

	fd = bpf_link_create(bpf_program__fd(prog), ifindex,
			     egress ? SS_BPF_TCX_EGRESS : SS_BPF_TCX_INGRESS, &lo);
	if (fd < 0)
		return -errno;
	new_att(l, egress ? SS_HOOK_TCX_OUT : SS_HOOK_TCX_IN, ifindex, ifname)->link_fd = fd;
	return 0;
}

/*
 * A filter of ours (priority, handle mark, cls_bpf, program name) whose
 * synscope no longer exists was left by a kill -9: remove it, say so.
 * Filters of live synscopes, and everybody else's, are left alone.
 */
static void remove_stale(int ifindex, const char *ifname, int egress)
{
	struct ss_tc_filter f[16];
	int i, nf = ss_tc_list(ifindex, egress, SS_TC_PRIORITY, f, 16);
	pid_t pid;

	for (i = 0; i < nf; i++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = f[i].handle, .priority = SS_TC_PRIORITY);

		if ((f[i].handle & 0xff000000u) != SS_TC_HANDLE_MARK || strcmp(f[i].kind, "bpf") ||
		    strncmp(f[i].name, "ss_tc_", 6))
			continue;
		pid = f[i].handle & 0xffffffu;
		if (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		if (bpf_tc_detach(&hook, &opts) == 0)
			fprintf(stderr, "synscope: removed a stale tc filter of synscope from %s %s "
				"(handle 0x%x; pid %d is gone)\n", ifname, egress ? "egress" : "ingress",
				f[i].handle, (int)pid);
	}
}

static int attach_tc_classic(struct ss_loader *l, int ifindex, const char *ifname, int egress)
{
	struct bpf_program *prog = egress ? l->skel->progs.ss_tc_egress
					  : l->skel->progs.ss_tc_ingress;
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = SS_TC_HANDLE(getpid()),
		    .priority = SS_TC_PRIORITY, .prog_fd = bpf_program__fd(prog));
	struct ss_attachment *a;
	int created, e;

	remove_stale(ifindex, ifname, egress);
	e = bpf_tc_hook_create(&hook);
	if (e && e != -EEXIST)
		return e;
	created = e == 0;
	/* No BPF_TC_F_REPLACE: fails rather than replace a filter at our slot. */
	e = bpf_tc_attach(&hook, &opts);
	if (e)
		return e;
	a = new_att(l, egress ? SS_HOOK_TC_OUT : SS_HOOK_TC_IN, ifindex, ifname);
	a->hook_created = created;
	a->tc_handle = opts.handle;
	a->tc_priority = opts.priority;
	return 0;
}

/* tcx where the kernel has it (6.6+), classic clsact otherwise.
 * SYNSCOPE_NO_TCX=1 takes the classic path on any kernel: the tests use it
 * to cover the fallback on machines that have tcx. */
static int attach_tc(struct ss_loader *l, int ifindex, const char *ifname, int egress)
{
	const char *no_tcx = getenv("SYNSCOPE_NO_TCX");
	int e = no_tcx && *no_tcx == '1' ? -EOPNOTSUPP : attach_tcx(l, ifindex, ifname, egress);

	if (e == -EINVAL || e == -EOPNOTSUPP)
		e = attach_tc_classic(l, ifindex, ifname, egress);
	return e;
}

int ss_loader_attach(struct ss_loader *l, const char *ifname, enum ss_mode mode,
		     char *err, size_t n)
{
	int ifindex, e, is_lo, lo_egress, xdp_ok = 0;

	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return fail(err, n, "no such interface '%s'", ifname);
	if (l->natt + 2 > SS_MAX_ATTACH)
		return fail(err, n, "too many attachments");
	/* before the attach: its first packet is counted as its own */
	give_slot(l, ifindex, ifname);
	/* On lo every packet is sent and received: hook it once. tc egress,
	 * where a packet still has its socket (the cgroups of whowhy.h);
	 * XDP ingress only when asked for. */
	is_lo = strcmp(ifname, "lo") == 0;
	lo_egress = is_lo && mode != SS_MODE_XDP;

	if (mode == SS_MODE_XDP || (mode == SS_MODE_AUTO && !is_lo)) {
		e = attach_xdp(l, ifindex, ifname);
		if (e == -EPERM || e == -EACCES)
			return fail(err, n, "permission denied attaching to %s: needs CAP_NET_ADMIN", ifname);
		if ((e == -EBUSY || e == -EEXIST) && mode == SS_MODE_XDP)
			return fail(err, n, "another XDP program is attached to %s; "
				    "not replacing it (try --mode tc)", ifname);
		if (e && mode == SS_MODE_XDP)
			return fail(err, n, "cannot attach XDP to %s: %s", ifname, strerror(-e));
		/* auto: where XDP is not possible, tc takes ingress too. */
		xdp_ok = !e;
	}
	if (!xdp_ok && !lo_egress) {
		e = attach_tc(l, ifindex, ifname, 0);
		if (e == -EPERM || e == -EACCES)
			return fail(err, n, "permission denied attaching to %s: needs CAP_NET_ADMIN", ifname);
		if (e)
			return fail(err, n, "cannot attach tc ingress to %s: %s", ifname, strerror(-e));
	}
	test_stop("attaching");
	if (is_lo && !lo_egress)
		return 0;
	e = attach_tc(l, ifindex, ifname, 1);
	if (e == -EPERM || e == -EACCES)
		return fail(err, n, "permission denied attaching to %s: needs CAP_NET_ADMIN", ifname);
	if (e)
		return fail(err, n, "cannot attach tc egress to %s: %s", ifname, strerror(-e));
	return 0;
}

int ss_loader_attach_all(struct ss_loader *l, const struct ss_options *o, char *err, size_t n)
{
	int i;

	enum ss_mode mode = o->mode;

	/* --cgroup: the subtree's sockets known before the first packet. */
	if (o->cgroup_id && !l->cgf &&
	    !(l->cgf = ss_cgfilter_new(o->cgroup_id, bpf_map__fd(l->skel->maps.owned_ends), err, n)))
		return -1;

	if (o->any_iface)
		return ss_loader_attach_any(l, mode, err, n);
	for (i = 0; i < o->nifaces; i++)
		if (ss_loader_attach(l, o->ifaces[i], mode, err, n))
			return -1;
	return 0;
}

/* ---- -i any: every interface, present and future ------------------------- */

static int attached(const struct ss_loader *l, int ifindex)
{
	int i;

	for (i = 0; i < l->natt; i++)
		if (l->att[i].ifindex == ifindex)
			return 1;
	return 0;
}

/* An interface that went: its links are gone with it; close ours, and
 * say so by the name it was announced by. */
static void forget(struct ss_loader *l, int ifindex)
{
	int i, j = 0, said = 0;

	for (i = 0; i < l->natt; i++) {
		struct ss_attachment *a = &l->att[i];

		if (a->ifindex != ifindex) {
			l->att[j++] = *a;
			continue;
		}
		if (!said++)
			fprintf(stderr, "synscope: -i any: interface %s is gone\n", a->ifname);
		if (a->link)
			bpf_link__destroy(a->link);
		if (a->link_fd >= 0)
			close(a->link_fd);
	}
	l->natt = j;
}

/* Attach one interface found by -i any. At start a failure ends the run,
 * as with -i; later it is a line on stderr and the trace goes on. */
static int attach_found(struct ss_loader *l, int ifindex, const char *name, int later,
			char *err, size_t n)
{
	char why[256];

	if (attached(l, ifindex))
		return 0;
	if (ss_loader_attach(l, name, l->any_mode, why, sizeof(why))) {
		/* it may have gone again already */
		if ((int)if_nametoindex(name) != ifindex)
			return 0;
		l->any_skipped++;
		if (!later)
			return fail(err, n, "-i any: %s", why);
		fprintf(stderr, "synscope: -i any: not tracing new interface %s: %s\n", name, why);
		return 0;
	}
	if (later)
		fprintf(stderr, "synscope: -i any: tracing new interface %s\n", name);
	return 1;
}

int ss_loader_attach_any(struct ss_loader *l, enum ss_mode mode, char *err, size_t n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct if_nameindex *ifs, *i;
	int fd;

	l->any_mode = mode;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return fail(err, n, "-i any: cannot watch for new interfaces (rtnetlink): %s",
			    strerror(errno));
	}
	l->link_watch_fd = fd;
	ifs = if_nameindex();
	if (!ifs)
		return fail(err, n, "-i any: cannot list interfaces: %s", strerror(errno));
	for (i = ifs; i->if_index; i++)
		if (attach_found(l, (int)i->if_index, i->if_name, 0, err, n) < 0) {
			if_freenameindex(ifs);
			return -1;
		}
	if_freenameindex(ifs);
	if (!l->natt)
		return fail(err, n, "-i any: no interface to trace");
	return 0;
}

/* Every interface again: after the watch lost messages (ENOBUFS). */
static int rescan(struct ss_loader *l)
{
	struct if_nameindex *ifs, *i;
	int added = 0, k;
	char name[IF_NAMESIZE];

	for (k = l->natt - 1; k >= 0; k--)
		if (k < l->natt && !if_indextoname((unsigned)l->att[k].ifindex, name))
			forget(l, l->att[k].ifindex);
	ifs = if_nameindex();
	if (!ifs)
		return 0;
	for (i = ifs; i->if_index; i++)
		added += attach_found(l, (int)i->if_index, i->if_name, 1, NULL, 0) > 0;
	if_freenameindex(ifs);
	return added;
}

int ss_loader_watch(struct ss_loader *l, uint64_t now_ns)
{
	char buf[16384] __attribute__((aligned(4)));
	int added = 0;
	ssize_t len;

	ss_cgfilter_refresh(l->cgf, now_ns);
	if (l->link_watch_fd < 0)
		return 0;
	while ((len = recv(l->link_watch_fd, buf, sizeof(buf), 0)) != 0) {
		struct nlmsghdr *h;

		if (len < 0) {
			if (errno == ENOBUFS)
				added += rescan(l);
			else if (errno != EINTR)
				break;             /* EAGAIN: nothing more */
			continue;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			struct ifinfomsg *ifi = NLMSG_DATA(h);
			char name[IF_NAMESIZE];

			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
				continue;
			if (h->nlmsg_type == RTM_DELLINK) {
				if (attached(l, ifi->ifi_index)) {
					if (if_indextoname((unsigned)ifi->ifi_index, name))
						continue; /* a change, not a removal */
					forget(l, ifi->ifi_index);
				}
			} else if (h->nlmsg_type == RTM_NEWLINK && !attached(l, ifi->ifi_index) &&
				   if_indextoname((unsigned)ifi->ifi_index, name)) {
				added += attach_found(l, ifi->ifi_index, name, 1, NULL, 0) > 0;
			}
		}
	}
	return added;
}

static const char *xdp_mode_name(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return "?";
	switch (q.attach_mode) {
	case XDP_ATTACHED_DRV: return "native";
	case XDP_ATTACHED_SKB: return "generic";
	case XDP_ATTACHED_HW: return "offload";
	case XDP_ATTACHED_MULTI: return "multi";
	default: return "?";
	}
}

void ss_loader_describe(const struct ss_loader *l, char *buf, size_t n)
{
	static const char *names[] = {
		[SS_HOOK_XDP] = "xdp in", [SS_HOOK_TCX_IN] = "tcx in",
		[SS_HOOK_TCX_OUT] = "tcx out", [SS_HOOK_TC_IN] = "tc in",
		[SS_HOOK_TC_OUT] = "tc out",
	};
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < l->natt && used < n; i++) {
		const struct ss_attachment *a = &l->att[i];
		int first = i == 0 || strcmp(a->ifname, l->att[i - 1].ifname) != 0;

		used += snprintf(buf + used, n - used, "%s%s%s", i ? (first ? "; " : ", ") : "",
				 first ? a->ifname : "", first ? ": " : "");
		if (used >= n)
			break;
		if (a->hook == SS_HOOK_XDP)
			used += snprintf(buf + used, n - used, "xdp(%s) in", xdp_mode_name(a->ifindex));
		else
			used += snprintf(buf + used, n - used, "%s", names[a->hook]);
	}
}

const char *ss_loader_lost_iface(const struct ss_loader *l)
{
	int i;

	if (l->link_watch_fd >= 0)
		return NULL;

	for (i = 0; i < l->natt; i++)
		if ((int)if_nametoindex(l->att[i].ifname) != l->att[i].ifindex)
			return l->att[i].ifname;
	return NULL;
}

int ss_loader_size_rings(struct synscope_bpf *s, int ncpus, unsigned int slots_log2, int with_raw)
{
	__u32 slots = (__u32)ncpus << slots_log2;

	s->rodata->cfg_ev_slots_log2 = slots_log2;
	/* x86 keeps stores in program order (TSO): the event's publish needs
	 * no barrier there (bpf/synscope.bpf.c). */
#if defined(__x86_64__) || defined(__i386__)
	s->rodata->cfg_stores_ordered = 1;
#endif
	return bpf_map__set_max_entries(s->maps.ev_ring, slots) ||
	       bpf_map__set_max_entries(s->maps.ev_raw, with_raw ? slots : 1) ||
	       bpf_map__set_max_entries(s->maps.ev_head, (__u32)ncpus) ||
	       bpf_map__set_max_entries(s->maps.ev_tail, (__u32)ncpus) ? -1 : 0;
}

void ss_loader_skel_rings(const struct synscope_bpf *s, int ncpus, int with_raw,
			  struct ss_ring_maps *m)
{
	m->ring_fd = bpf_map__fd(s->maps.ev_ring);
	m->raw_fd = with_raw ? bpf_map__fd(s->maps.ev_raw) : -1;
	m->head_fd = bpf_map__fd(s->maps.ev_head);
	m->tail_fd = bpf_map__fd(s->maps.ev_tail);
	m->ncpus = ncpus;
	m->slots_log2 = s->rodata->cfg_ev_slots_log2;
}

void ss_loader_ring_maps(const struct ss_loader *l, int with_raw, struct ss_ring_maps *m)
{
	ss_loader_skel_rings(l->skel, l->ncpus, with_raw, m);
}

/* One slot's counters, summed over the CPUs. */
static int slot_counters(const struct ss_loader *l, __u32 slot, struct ss_percpu *pc, uint64_t *nt,
			 uint64_t out[SS_C_MAX])
{
	int pc_fd = bpf_map__fd(l->skel->maps.percpu), nt_fd = bpf_map__fd(l->skel->maps.not_tcp);
	__u32 r, k;

	if (bpf_map_lookup_elem(pc_fd, &slot, pc))
		return -errno;
	memset(nt, 0, (size_t)l->ncpus * (SS_PARSE_BAD_TCP + 1) * sizeof(uint64_t));
	for (r = SS_PARSE_NOT_IP; r <= SS_PARSE_BAD_TCP; r++) {
		k = slot * (SS_PARSE_BAD_TCP + 1) + r;
		if (bpf_map_lookup_elem(nt_fd, &k, nt + (size_t)r * l->ncpus))
			return -errno;
	}
	ss_counters_sum(pc, nt, l->ncpus, out);
	return 0;
}

int ss_loader_counters_by_iface(const struct ss_loader *l, struct ss_iface_counters *rows, int max)
{
	struct ss_percpu *pc = calloc(l->ncpus, sizeof(*pc));
	uint64_t *nt = calloc((size_t)l->ncpus * (SS_PARSE_BAD_TCP + 1), sizeof(uint64_t));
	uint64_t other[SS_C_MAX], c[SS_C_MAX];
	int n = 0, i, k, any = 0;

	if (!pc || !nt) {
		n = -ENOMEM;
		goto out;
	}
	if ((n = slot_counters(l, 0, pc, nt, other)) < 0)
		goto out;
	for (i = 1; i <= l->nslots; i++) {
		if ((k = slot_counters(l, (__u32)i, pc, nt, c)) < 0) {
			n = k;
			goto out;
		}
		if (n < max - 1) {
			rows[n].ifindex = l->slot_if[i];
			snprintf(rows[n].name, sizeof(rows[n].name), "%s", l->slot_name[i]);
			memcpy(rows[n].c, c, sizeof(c));
			n++;
		} else {
			for (k = 0; k < SS_C_MAX; k++)
				other[k] += c[k];
		}
	}
	for (k = 0; k < SS_C_MAX; k++)
		any |= other[k] != 0;
	if (any && n < max) {
		rows[n].ifindex = 0;
		snprintf(rows[n].name, sizeof(rows[n].name), "other");
		memcpy(rows[n].c, other, sizeof(other));
		n++;
	}
out:
	free(pc);
	free(nt);
	return n;
}

int ss_loader_counters(const struct ss_loader *l, uint64_t out[SS_C_MAX])
{
	struct ss_percpu *pc = calloc(l->ncpus, sizeof(*pc));
	uint64_t *nt = calloc((size_t)l->ncpus * (SS_PARSE_BAD_TCP + 1), sizeof(uint64_t));
	uint64_t c[SS_C_MAX];
	int ret = 0, i, k;

	memset(out, 0, sizeof(uint64_t) * SS_C_MAX);
	if (!pc || !nt) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i <= l->nslots; i++) {
		if ((ret = slot_counters(l, (__u32)i, pc, nt, c)) < 0)
			goto out;
		for (k = 0; k < SS_C_MAX; k++)
			out[k] += c[k];
	}
out:
	free(pc);
	free(nt);
	return ret;
}

uint64_t ss_loader_sweep(struct ss_loader *l, uint64_t now_ns, uint64_t timeout_ns)
{
	uint8_t tshift = ss_pend_tshift(timeout_ns);

	if (!l->pend)
		return 0;
	return ss_pend_sweep(l->pend, l->pend_occ, SS_PEND_SETS, now_ns, tshift,
			     ss_pend_live_t(timeout_ns, tshift));
}

/* A map read, to learn whether it still works with fewer capabilities. */
static int probe_maps(void *loader)
{
	const struct ss_loader *l = loader;
	uint64_t c[SS_C_MAX];

	return ss_loader_counters(l, c);
}

/* Classic tc filters are removed by netlink, which needs CAP_NET_ADMIN;
 * so does attaching the interfaces -i any finds later. */
static int uses_netlink(const struct ss_loader *l)
{
	int i;

	if (l->link_watch_fd >= 0)
		return 1;

	for (i = 0; i < l->natt; i++)
		if (l->att[i].hook == SS_HOOK_TC_IN || l->att[i].hook == SS_HOOK_TC_OUT)
			return 1;
	return 0;
}

int ss_loader_drop_privs(struct ss_loader *l, int verbose)
{
	char kept[64];

	if (ss_privs_drop(uses_netlink(l), probe_maps, l, kept, sizeof(kept))) {
		fprintf(stderr, "synscope: cannot drop capabilities: %s\n", strerror(errno));
		return -1;
	}
	if (verbose)
		fprintf(stderr, "synscope: capabilities dropped, no_new_privs set; kept: %s\n", kept);
	return 0;
}

static void detach(struct ss_attachment *a)
{
	if (a->link)
		bpf_link__destroy(a->link);
	if (a->link_fd >= 0)
		close(a->link_fd);
	if (a->hook == SS_HOOK_TC_IN || a->hook == SS_HOOK_TC_OUT) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = a->ifindex,
			    .attach_point = a->hook == SS_HOOK_TC_OUT ? BPF_TC_EGRESS : BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = a->tc_handle, .priority = a->tc_priority);

		/* Only our filter. A clsact qdisc we created stays: it may
		 * hold filters others added since, and empty it does nothing. */
		bpf_tc_detach(&hook, &opts);
	}
	a->link = NULL;
	a->link_fd = -1;
}

void ss_loader_detach(struct ss_loader *l)
{
	int i;

	for (i = l->natt - 1; i >= 0; i--)
		detach(&l->att[i]);
	l->natt = 0;
	if (l->link_watch_fd > 0)
		close(l->link_watch_fd);
	l->link_watch_fd = -1;
}

void ss_loader_close(struct ss_loader *l)
{
	ss_loader_detach(l);
	ss_cgfilter_free(l->cgf);
	l->cgf = NULL;
	if (l->pend)
		munmap(l->pend, (size_t)SS_PEND_SETS * sizeof(struct ss_pend_set));
	l->pend = NULL;
	if (l->pend_occ)
		munmap(l->pend_occ, (size_t)SS_PEND_OCC * sizeof(uint64_t));
	l->pend_occ = NULL;
	synscope_bpf__destroy(l->skel);
	l->skel = NULL;
}
