/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The accounts: what the kernel counted against what reached the user, so
 * that a trace says whether it is complete. Two identities, exact once the
 * session has ended (the ring drained, the engine flushed):
 *
 *   handshakes the kernel saw complete (its completing ACKs)
 *     = established records printed + left unprinted at -c
 *       + completing-ACK events lost (ring full) + unmatched
 *   SYNs the kernel saw
 *     = SYNs in records (first and retransmitted) + in flows evicted
 *       (table full) + shed + lost (ring full) + unmatched
 *
 * A completing ACK is never shed, and a decided handshake never evicted
 * (engine/handshake.c), so neither appears in the first. While tracing,
 * what is still in the ring or in an open flow is the remainder, "unread".
 */
#ifndef SS_ACCOUNTS_H
#define SS_ACCOUNTS_H

#include <stdint.h>
#include "engine/handshake.h"
#include "synscope.h"

struct ss_accounts {
	uint64_t completed;          /* the kernel's completing ACKs */
	uint64_t established;        /* established records printed */
	uint64_t left_at_count;      /* established records made after -c */
	uint64_t ack_lost;           /* completing-ACK events lost: ring full */
	uint64_t ack_unmatched;      /* ACK events that fit no handshake */
	uint64_t ack_unread;         /* the rest: not read yet, or not decided */
	uint64_t syns;               /* the kernel's SYNs */
	uint64_t syn_in_records;
	uint64_t syn_evicted;
	uint64_t syn_shed;
	uint64_t syn_lost;
	uint64_t syn_unmatched;
	uint64_t syn_unread;         /* the rest: not read yet, or in open flows */
};

/* From the kernel's counters (c: SS_C_*), the engine's figures and the
 * established records not printed because -c was reached. */
void ss_accounts_make(struct ss_accounts *a, const uint64_t *c, const struct hs_stats *st,
		      uint64_t established_unprinted);

#endif /* SS_ACCOUNTS_H */
