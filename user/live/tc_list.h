/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Listing classic tc filters (rtnetlink RTM_GETTFILTER dump). libbpf's
 * bpf_tc_query() answers for one known handle and gives no name; finding
 * the filters a killed synscope left behind needs the list and the names.
 */
#ifndef SS_TC_LIST_H
#define SS_TC_LIST_H

#include <stdint.h>

struct ss_tc_filter {
	uint32_t handle;
	char kind[16];    /* "bpf", "u32", ... */
	char name[64];    /* cls_bpf's name: libbpf sets "<prog name>:[<prog id>]" */
};

/*
 * The filters at priority prio of ifindex's clsact ingress (egress = 0) or
 * egress hook, at most max of them. Returns how many, 0 when there is no
 * clsact qdisc, or -errno.
 */
int ss_tc_list(int ifindex, int egress, uint16_t prio, struct ss_tc_filter *out, int max);

#endif /* SS_TC_LIST_H */
