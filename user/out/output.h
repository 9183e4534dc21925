/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Printing: handshake records, handshake packets, the exit summary. */
#ifndef SS_OUTPUT_H
#define SS_OUTPUT_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "engine/handshake.h"
#include "synscope.h"
#include "out/fmt.h"
#include "out/wbuf.h"

struct ss_p0f_db;
struct ss_p0f_cache;
struct ss_why;

/* An interface's name, ready to print. */
struct ss_out_if {
	uint32_t ifindex;
	const char *name;
	size_t name_len;
	char *json;                  /* its JSON string body */
	size_t json_len;
	char name_buf[16];           /* IF_NAMESIZE */
	char json_buf[6 * 16 + 1];
};

#define SS_OUT_IFS 64

struct ss_out {
	struct ss_wbuf w;            /* stdout */
	int json;
	int explain;
	int line_flush;              /* flush after each line (--line-buffered) */
	int64_t ts_offset_ns;        /* added to event times to get UTC ns */
	struct ss_tcache tc;
	struct ss_out_if fixed;      /* offline: the file's name, for every record */
	struct ss_out_if ifs[SS_OUT_IFS], scratch;
	int nif, last_if;
	/* Text columns: at least their first width, widened to the widest
	 * value seen (a long capture name, an IPv6 flow), never narrowed,
	 * so that the lines from there on stay aligned. */
	size_t col_iface, col_flow, col_pkt_iface, col_pkt_flow;
	struct ss_p0f_cache *p0f;    /* signatures (and labels with a db) */
	struct ss_p0f_db *p0f_db;
};

/* fd: where the lines go; fixed_ifname: offline, shown instead of the
 * interface (NULL live). */
void ss_out_init(struct ss_out *o, int fd, int json, int explain, int line_flush,
		 int64_t ts_offset_ns, const char *fixed_ifname);
void ss_out_free(struct ss_out *o);
/* --p0f-db: label SYNs and SYN-ACKs with the p0f database's os. path:
 * the option's value; NULL: the default (SS_P0F_DEFAULT) when it is
 * readable; "none": no labels (signatures only). -1 with a one-line
 * reason in err when the file given does not load. */
#define SS_P0F_DEFAULT "/etc/p0f/p0f.fp"
int ss_out_load_p0f(struct ss_out *o, const char *path, char *err, size_t n);
/* Write out what is buffered: 0, or -errno of the first failed write. */
int ss_out_flush(struct ss_out *o);
/* why: the record's cgroups and cause (whowhy.h), NULL: none (offline). */
void ss_out_record(struct ss_out *o, const struct hs_record *r, const struct ss_why *why);
/* An event came in on ifindex: its name is looked up now, while the
 * interface is there (a record may be printed after it is gone: -i any). */
void ss_out_iface_seen(struct ss_out *o, uint32_t ifindex);
/* --explain (text): the record's handshake as a ladder diagram. */
void ss_out_ladder(struct ss_out *o, const struct hs_record *r);
/* A SYN or SYN-ACK must be the struct ss_event of a struct ss_event_syn. */
void ss_out_packet(struct ss_out *o, const struct ss_event *e);
struct ss_accounts;

/* Exit summary (text, to f): the handshakes, with -c (count, 0: none) the
 * ones made after it was reached and not printed (unprinted: by outcome,
 * or NULL), the kernel's counters (NULL: none) and the accounts. */
void ss_out_summary(FILE *f, const struct hs_stats *st, const uint64_t *counters,
		    const uint64_t *unprinted, uint64_t count);
/* The two lines of the accounts (engine/accounts.h). */
void ss_out_accounts(FILE *f, const struct ss_accounts *a);
/* Kernel (or replayed) counters only. */
void ss_out_counters(FILE *f, const uint64_t *counters);

const char *ss_counter_name(int idx);

#endif /* SS_OUTPUT_H */
