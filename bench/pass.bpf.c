// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Baselines for the kernel benchmark: programs that do nothing, one per
 * program type synscope has. Their BPF_PROG_TEST_RUN time is the harness's
 * own cost per packet, so each synscope program is reported as the
 * difference from the bare program of its own type, measured in the same
 * round. They return what synscope's programs return (XDP_PASS, and
 * TC_ACT_UNSPEC = TCX_NEXT), so the test-run paths after the program are
 * the same too.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

SEC("tc")
int bench_tc_pass(struct __sk_buff *skb)
{
	(void)skb;
	return -1; /* TC_ACT_UNSPEC, as ss_tc_ingress and ss_tc_egress */
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
