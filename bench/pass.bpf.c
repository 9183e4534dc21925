// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The baseline for the XDP benchmark: an XDP program that does nothing.
 * Its BPF_PROG_TEST_RUN time is the harness's own cost per packet, so
 * ss_xdp_ingress is reported next to it and as a ratio to it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bench_xdp_pass(struct xdp_md *ctx)
{
	(void)ctx;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
