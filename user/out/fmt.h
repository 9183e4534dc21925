/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Small formatting helpers every writer shares: clocks, addresses, UTC
 * times, JSON strings, interface names. */
#ifndef SS_FMT_H
#define SS_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

uint64_t ss_now_ns(clockid_t clk);
/* An interface's name (cached by index), or "ifN". buf: IF_NAMESIZE. */
const char *ss_ifname(uint32_t ifindex, char *buf);
void ss_fmt_addr(uint8_t family, const uint32_t *addr, char *buf, size_t n);
void ss_fmt_utc(int64_t ns, char *buf, size_t n); /* RFC 3339, microseconds */
void ss_json_str(FILE *f, const char *s);

#endif /* SS_FMT_H */
