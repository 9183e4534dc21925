/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Command line of synscope: parsed into one struct, checked, no side effects. */
#ifndef SS_OPTIONS_H
#define SS_OPTIONS_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "synscope.h"

#define SS_MAX_IFACES 16
#define SS_MAX_HOSTS 64

enum ss_mode { SS_MODE_AUTO = 0, SS_MODE_XDP, SS_MODE_TC };

struct ss_prefix {
	uint8_t family;     /* 4 or 6 */
	uint8_t len;        /* prefix length in bits */
	uint32_t addr[4];   /* network byte order, host bits cleared */
};

struct ss_options {
	int top;                         /* "synscope top": the flood view */
	const char *ifaces[SS_MAX_IFACES];
	int nifaces;
	const char *read_file;           /* -r FILE, "-" for stdin */
	const char *write_file;          /* -w FILE: the handshake packets, pcap */
	uint32_t snaplen;                /* -s, --snaplen: bytes of each packet for -w */
	enum ss_mode mode;
	int json;                        /* -o json */
	int packets;                     /* --packets */
	int explain;                     /* --explain (implies --packets) */
	uint64_t count;                  /* -c N handshakes, 0 = no limit */
	double duration;                 /* --duration SEC, 0 = no limit */
	uint16_t ports[SS_MAX_PORTS];
	int nports;
	struct ss_prefix hosts[SS_MAX_HOSTS];
	int nhosts;
	uint64_t timeout_ns;             /* --timeout SEC */
	uint32_t max_flows;              /* --max-flows N */
	uint32_t event_rate;             /* --event-rate N SYN events/s per CPU */
	double interval;                 /* top: --interval SEC */
	uint64_t alert_syn_rate;         /* top: --alert-syn-rate N SYN/s, 0 = off */
	double alert_incomplete;         /* top: --alert-incomplete PCT, <0 = off */
	int top_n;                       /* top: --top-n rows */
	uint32_t ringbuf_kib;            /* --ringbuf-kib N */
	int verbose;                     /* -v: libbpf messages */
	int line_buffered;               /* -l, --line-buffered: flush each line */
	const char *p0f_db;              /* --p0f-db FILE; NULL: the default if
					  * readable; "none": no labels */
	int any_iface;                   /* -i any: every interface of the
					  * namespace, present and future */
	const char *metrics_addr;        /* --metrics [ADDR:]PORT */
	const char *cgroup_path;         /* --cgroup PATH: only handshakes a
					  * socket in this subtree takes part in */
	uint64_t cgroup_id;              /* its id and level, resolved by main()
					  * before the load (0: no filter) */
	int cgroup_level;
	uint64_t pend_key[2];            /* tests only: the pending table's hash
					  * key (0, 0: random live, fixed -r) */
};

/*
 * Parse argv. Returns 0 when options are good, 1 when help was asked
 * (usage printed to stdout), -1 on a bad option with a one-line message in
 * err (no "synscope:" prefix).
 */
int ss_options_parse(int argc, char **argv, struct ss_options *o, char *err, size_t errlen);
void ss_options_usage(FILE *f);
/* Write a one-line message into err; returns -1. */
int ss_fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Parse "ADDR[/LEN]" (IPv4 or IPv6). Returns 0 or -1. */
int ss_prefix_parse(const char *s, struct ss_prefix *p);
/* Does addr (network order words, family 4 or 6) fall in the prefix? */
int ss_prefix_match(const struct ss_prefix *p, uint8_t family, const uint32_t *addr);

#endif /* SS_OPTIONS_H */
