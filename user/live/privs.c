// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Capabilities through the raw capget/capset/prctl calls (no libcap, so the
 * static binary carries nothing more).
 *
 * What the kernel asks of synscope:
 *   load the programs, create maps   CAP_BPF (CAP_SYS_ADMIN before 5.8)
 *   XDP and tc attachment            CAP_NET_ADMIN
 *   reading maps, the ring buffer    nothing since 6.5; before, CAP_BPF
 *                                    when kernel.unprivileged_bpf_disabled
 *   closing links (detach)           nothing
 *   removing classic tc filters      CAP_NET_ADMIN
 *   the kernel's verdicts            CAP_PERFMON (tracepoint programs),
 *                                    optional: without it, none
 * The packet programs never need CAP_PERFMON: they are written for the
 * verifier's unprivileged rules (see bpf/parse.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include "cli/options.h"
#include "live/privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

struct caps {
	uint64_t eff, prm, inh;
};

#define BIT(c) (1ull << (c))

static int caps_get(struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return -1;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static int caps_set(const struct caps *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)c->eff, (uint32_t)c->prm, (uint32_t)c->inh },
		{ (uint32_t)(c->eff >> 32), (uint32_t)(c->prm >> 32), (uint32_t)(c->inh >> 32) },
	};

	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

/* The program's own path, for the setcap hint. */
static const char *self_path(char *buf, size_t n)
{
	ssize_t r = readlink("/proc/self/exe", buf, n - 1);

	if (r <= 0)
		return "synscope";
	buf[r] = '\0';
	return buf;
}

int ss_privs_in_userns(void)
{
	unsigned long inside, outside, count;
	FILE *f = fopen("/proc/self/uid_map", "r");
	int n;

	if (!f)
		return 0;
	/* The initial namespace maps every uid onto itself: "0 0 4294967295". */
	n = fscanf(f, "%lu %lu %lu", &inside, &outside, &count);
	fclose(f);
	return n == 3 && !(inside == 0 && outside == 0 && count == 4294967295ul);
}

int ss_privs_seccomp(void)
{
	char line[128];
	int mode = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &mode) == 1)
			break;
	fclose(f);
	return mode == 2; /* SECCOMP_MODE_FILTER */
}

int ss_privs_check(char *err, size_t n)
{
	struct caps c;
	uint64_t want;
	int no_bpf, no_net;
	char path[256];

	if (caps_get(&c))
		return ss_fail(err, n, "cannot read capabilities: %s", strerror(errno));
	/* Permitted but not effective (file capabilities "+p"): raise them. */
	want = c.prm & (BIT(CAP_BPF) | BIT(CAP_SYS_ADMIN) | BIT(CAP_NET_ADMIN));
	if ((c.eff & want) != want) {
		c.eff |= want;
		caps_set(&c);
		caps_get(&c);
	}
	no_bpf = !(c.eff & (BIT(CAP_BPF) | BIT(CAP_SYS_ADMIN)));
	no_net = !(c.eff & BIT(CAP_NET_ADMIN));
	if (!no_bpf && !no_net)
		return 0;
	return ss_fail(err, n, "missing %s%s%s: run as root, or grant %s "
		       "(container: --cap-add BPF --cap-add NET_ADMIN; binary: setcap cap_bpf,cap_net_admin+ep %s)",
		       no_bpf ? "CAP_BPF" : "", no_bpf && no_net ? " and " : "",
		       no_net ? "CAP_NET_ADMIN" : "", no_bpf && no_net ? "them" : "it",
		       self_path(path, sizeof(path)));
}

int ss_privs_perfmon(void)
{
	struct caps c;

	if (caps_get(&c))
		return 0;
	/* Permitted but not effective: raise it. */
	if ((c.prm & BIT(CAP_PERFMON)) && !(c.eff & BIT(CAP_PERFMON))) {
		c.eff |= BIT(CAP_PERFMON);
		caps_set(&c);
		caps_get(&c);
	}
	return (c.eff & (BIT(CAP_PERFMON) | BIT(CAP_SYS_ADMIN))) != 0;
}

/* Ambient and bounding sets, then no_new_privs: nothing can come back,
 * not even through execve. */
static int seal(const struct caps *now, uint64_t keep)
{
	int cap;

	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* The bounding set shrinks only with CAP_SETPCAP (root has it). */
	if (now->eff & BIT(CAP_SETPCAP))
		for (cap = 0; cap < 64; cap++)
			if (!(keep & BIT(cap)) && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
				prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static void describe(uint64_t keep, char *kept, size_t n)
{
	snprintf(kept, n, "%s%s%s%s", keep ? "" : "none",
		 keep & BIT(CAP_BPF) ? "CAP_BPF" : keep & BIT(CAP_SYS_ADMIN) ? "CAP_SYS_ADMIN" : "",
		 keep & BIT(CAP_NET_ADMIN) && keep & (BIT(CAP_BPF) | BIT(CAP_SYS_ADMIN)) ? ", " : "",
		 keep & BIT(CAP_NET_ADMIN) ? "CAP_NET_ADMIN" : "");
}

int ss_privs_drop(int keep_net_admin, int (*map_op)(void *), void *arg, char *kept, size_t n)
{
	struct caps now, c = { 0 };
	uint64_t keep = keep_net_admin ? BIT(CAP_NET_ADMIN) : 0;
	uint64_t bpf_cap;

	if (caps_get(&now))
		return -1;
	/* What lets us use bpf(): CAP_BPF, or CAP_SYS_ADMIN before 5.8. */
	bpf_cap = now.prm & BIT(CAP_BPF) ? BIT(CAP_BPF) : now.prm & BIT(CAP_SYS_ADMIN);
	/* Keep CAP_SETPCAP effective until the bounding set is cut. */
	if (seal(&now, keep | bpf_cap))
		return -1;
	/* Try the maps with the BPF capability permitted but not effective:
	 * if they still work, it goes for good. */
	c.prm = (keep | bpf_cap) & now.prm;
	c.eff = keep & now.prm;
	if (caps_set(&c))
		return -1;
	if (bpf_cap && map_op(arg) == -EPERM)
		keep |= bpf_cap;
	c.prm = c.eff = keep & now.prm;
	if (caps_set(&c))
		return -1;
	describe(c.eff, kept, n);
	return 0;
}

int ss_privs_drop_all(void)
{
	struct caps now, none = { 0 };

	if (caps_get(&now) || seal(&now, 0))
		return -1;
	return caps_set(&none);
}
