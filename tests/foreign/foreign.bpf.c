// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Somebody else's programs, for the coexistence tests: they count what they
 * see and let it pass. The tcx ones return tcx_verdict: TCX_PASS (0) ends
 * the tcx chain, so synscope must go first to see anything; TCX_NEXT (-1)
 * lets the classic tc filters behind run. The classic filter passes on
 * (TC_ACT_UNSPEC) like a well-behaved monitor.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile int tcx_verdict = 0;

enum { HIT_XDP, HIT_TC_CLASSIC, HIT_TCX_IN, HIT_TCX_OUT, HIT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, HIT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} foreign_hits SEC(".maps");

static __always_inline void hit(__u32 what)
{
	__u64 *v = bpf_map_lookup_elem(&foreign_hits, &what);

	if (v)
		__sync_fetch_and_add(v, 1);
}

SEC("xdp")
int foreign_xdp(struct xdp_md *ctx)
{
	hit(HIT_XDP);
	return XDP_PASS;
}

SEC("tc")
int foreign_tc_classic(struct __sk_buff *skb)
{
	hit(HIT_TC_CLASSIC);
	return -1; /* TC_ACT_UNSPEC: the next filter runs */
}

SEC("tc")
int foreign_tcx_in(struct __sk_buff *skb)
{
	hit(HIT_TCX_IN);
	return tcx_verdict;
}

SEC("tc")
int foreign_tcx_out(struct __sk_buff *skb)
{
	hit(HIT_TCX_OUT);
	return tcx_verdict;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
