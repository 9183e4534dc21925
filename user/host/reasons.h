/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel's names for why it dropped a packet (enum skb_drop_reason)
 * and why it sent a RST (enum sk_rst_reason), read from the running
 * kernel's BTF: the values differ between kernels (a program built
 * against one vmlinux.h cannot name them), the names are the kernel's own
 * without their prefix ("NETFILTER_DROP", "NO_SOCKET").
 */
#ifndef SS_REASONS_H
#define SS_REASONS_H

#include <stddef.h>
#include <stdint.h>
#include "synscope.h"

struct ss_reasons;

/* NULL with a reason in err when the kernel's BTF has neither enum. */
struct ss_reasons *ss_reasons_load(char *err, size_t n);
void ss_reasons_free(struct ss_reasons *r);
/* The name of a value of enum skb_drop_reason (kind SS_VD_DROP) or
 * sk_rst_reason (SS_VD_RST); NULL when the kernel has none by that value. */
const char *ss_reason_name(const struct ss_reasons *r, int kind, uint32_t value);
/* How many values each enum has: a bound on the label sets. */
uint32_t ss_reasons_count(const struct ss_reasons *r, int kind);

#endif /* SS_REASONS_H */
