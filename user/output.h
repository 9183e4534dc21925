/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Printing: handshake records, handshake packets, the exit summary. */
#ifndef SS_OUTPUT_H
#define SS_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "handshake.h"
#include "synscope.h"

struct ss_out {
	FILE *f;
	int json;
	int explain;
	int64_t ts_offset_ns;  /* added to event times to get UTC ns */
	const char *fixed_ifname; /* offline: shown instead of ifindex names */
};

void ss_out_record(struct ss_out *o, const struct hs_record *r);
void ss_out_packet(struct ss_out *o, const struct ss_event *e);
/* Exit summary (text, to f). counters may be NULL (no kernel). */
void ss_out_summary(FILE *f, const struct hs_stats *st, const uint64_t *counters);
/* Kernel (or replayed) counters only. */
void ss_out_counters(FILE *f, const uint64_t *counters);

/* Helpers shared with the flood view. */
uint64_t ss_now_ns(clockid_t clk);
const char *ss_ifname(uint32_t ifindex, char *buf);
void ss_fmt_addr(uint8_t family, const uint32_t *addr, char *buf, size_t n);
void ss_fmt_utc(int64_t ns, char *buf, size_t n); /* RFC 3339, microseconds */
void ss_json_str(FILE *f, const char *s);
const char *ss_counter_name(int idx);

#endif /* SS_OUTPUT_H */
