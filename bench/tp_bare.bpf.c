// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Baselines for bench/verdict_cost.c: BTF tracepoint programs that do
 * nothing, on the two tracepoints bpf/verdict.bpf.c uses. With BPF run-time
 * statistics on, a program's run_time_ns includes the kernel's own cost of
 * running it (the clock reads of the statistics, the call), which these
 * measure alone: each verdict program is reported as the difference from
 * the bare program of its tracepoint, for the same calls.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tp_btf/kfree_skb")
int bench_tp_kfree_skb(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

SEC("tp_btf/tcp_send_reset")
int bench_tp_tcp_send_reset(__u64 *ctx)
{
	(void)ctx;
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
