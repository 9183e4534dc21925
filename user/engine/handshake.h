/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Handshake engine: pure C, no kernel calls. Fed with struct ss_event (live
 * from the ring buffer or built from a capture file), it pairs SYN,
 * SYN-ACK and ACK by sequence numbers and emits one record per handshake
 * attempt through a callback.
 */
#ifndef SS_HANDSHAKE_H
#define SS_HANDSHAKE_H

#include <stdint.h>
#include "synscope.h"
#include "parse.h"

enum hs_outcome {
	HS_ESTABLISHED = 0, /* SYN, matching SYN-ACK, matching ACK */
	HS_REFUSED,         /* RST answering the SYN (no SYN-ACK seen) */
	HS_RESET,           /* RST after the SYN-ACK, before or at completion */
	HS_TIMEOUT,         /* no SYN-ACK, or no ACK, within the timeout */
	HS_OPEN,            /* still incomplete when the engine was flushed */
	HS_OUTCOME_MAX,
};

/* What the SYN or SYN-ACK said about its sender: the event's fields a
 * fingerprint needs, its options as on the wire (walked when printed). */
struct hs_side {
	uint64_t cgroup_id;               /* 0: not known (see ss_event_syn) */
	uint32_t seq, ack;
	uint32_t flow;
	uint16_t win;
	uint16_t ip_id, ip_frag, urg, payload_len;
	uint8_t ttl, tcp_flags;
	uint8_t tos, ip_opt_len, doff_res, opt_len;
	uint8_t opts[SS_OPT_RAW_SIZE];
	struct ss_opts walk;              /* the options walked (ss_walk_tcp_opts) */
	uint8_t dir;                      /* enum ss_dir: where the hook saw it */
	uint8_t pad[7];                   /* no hole: sides compare as bytes */
};

struct hs_record {
	uint32_t ifindex;
	uint8_t family;                   /* 4 or 6 */
	uint8_t outcome;                  /* enum hs_outcome */
	uint8_t have_syn, have_synack, have_ack;
	uint8_t rst_from_client;          /* for refused/reset: who sent the RST */
	uint32_t client[4], server[4];    /* network byte order, as in ss_event */
	uint16_t client_port, server_port;
	uint32_t syn_seq, synack_seq;
	uint64_t syn_ts, synack_ts, ack_ts, end_ts; /* ns; 0 when absent.
						     * end_ts: the event that
						     * decided the outcome, or
						     * the time it timed out;
						     * 0 for HS_OPEN */
	int64_t syn_to_synack_us;         /* -1 when absent; from the latest
					   * SYN sent before the SYN-ACK */
	int64_t synack_to_ack_us;         /* -1 when absent; from the latest
					   * SYN-ACK sent before the ACK */
	uint32_t syn_retrans, synack_retrans;
	/* The kernel's verdicts joined to it (hs_verdict()): 0 for none, else
	 * the reason's value + 1 (enum skb_drop_reason, enum sk_rst_reason);
	 * which packet was dropped (SS_EV_SYN, SS_EV_SYNACK, SS_EV_ACK) and
	 * in which direction (enum ss_dir). */
	uint32_t drop_reason, rst_reason;
	uint8_t drop_packet, drop_dir;
	struct hs_side syn, synack;       /* valid when have_syn / have_synack */
};

typedef void (*hs_emit_fn)(const struct hs_record *rec, void *arg);

struct hs_config {
	uint64_t timeout_ns;   /* default 10 s: from the attempt's first SYN */
	uint32_t max_flows;    /* default 1,000,000 */
	int hold;              /* every decided record waits until hs_advance()
				* passes its decision, whole or not: the
				* kernel's verdicts on it come by another way
				* and a little later */
};

struct hs_stats {
	uint64_t outcomes[HS_OUTCOME_MAX];
	uint64_t evicted;      /* flows dropped because the table was full */
	uint64_t ignored;      /* events that matched no handshake (a SYN-ACK
				* or ACK held for a SYN that never came is
				* counted when it is dropped) */
	uint64_t flows;        /* flows in the table now */
	uint64_t flows_peak;
	uint64_t bad_options;  /* SYN and SYN-ACK events whose TCP options
				* were malformed (their walk stopped at a bad
				* length) */
	/* Accounts: once the table is flushed, syn_events = syns_recorded +
	 * syns_evicted + syns_ignored, and ack_events = established records
	 * (outcomes[HS_ESTABLISHED]) + acks_ignored. */
	uint64_t syn_events;     /* SYN events fed */
	uint64_t syns_recorded;  /* SYNs in records (first and retransmitted) */
	uint64_t syns_evicted;   /* SYNs of flows evicted (table full) */
	uint64_t syns_ignored;   /* SYNs that found no room */
	uint64_t ack_events;     /* completing-ACK events fed */
	uint64_t acks_ignored;   /* ACK events that fit no handshake */
	uint64_t verdicts;       /* the kernel's verdicts fed */
	uint64_t verdicts_joined;/* ... joined to a handshake */
};

struct hs_engine;

struct hs_engine *hs_new(const struct hs_config *cfg, hs_emit_fn emit, void *arg);
/* Feed one event: a SYN or SYN-ACK must be the struct ss_event of a
 * struct ss_event_syn. Returns 1 when it belonged to a handshake, 0 when
 * it was ignored. May call the emit callback (which must not call back
 * into the engine). */
int hs_feed(struct hs_engine *e, const struct ss_event *ev);
/* One of the kernel's verdicts: joined to the handshake of its packet
 * (on the interface it names, else on one of alt[0..nalt)). 1 when
 * joined, 0 when no handshake in the table fits. */
int hs_verdict(struct hs_engine *e, const struct ss_verdict *v, const uint32_t *alt, int nalt);
/* Emit timeouts for every attempt whose deadline is <= now_ns. */
void hs_advance(struct hs_engine *e, uint64_t now_ns);
/* Emit every attempt still in the table as HS_OPEN, and empty it. (An
 * outcome decided without its whole record, waiting in case the rest was
 * only late, is emitted as decided; flows that never saw a SYN or a
 * decision are dropped.) */
void hs_flush(struct hs_engine *e);
void hs_get_stats(const struct hs_engine *e, struct hs_stats *st);
void hs_free(struct hs_engine *e);

const char *hs_outcome_name(int outcome);

#endif /* SS_HANDSHAKE_H */
