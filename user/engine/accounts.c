// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The accounts (accounts.h). */
#include <string.h>
#include "engine/accounts.h"

/* whole minus the parts, never below 0: the remainder not accounted yet. */
static uint64_t rest(uint64_t whole, uint64_t parts)
{
	return whole > parts ? whole - parts : 0;
}

void ss_accounts_make(struct ss_accounts *a, const uint64_t *c, const struct hs_stats *st,
		      uint64_t established_unprinted)
{
	uint64_t made = st->outcomes[HS_ESTABLISHED];

	memset(a, 0, sizeof(*a));
	a->completed = c[SS_C_ACK_COMPLETE];
	a->left_at_count = established_unprinted < made ? established_unprinted : made;
	a->established = made - a->left_at_count;
	a->ack_lost = c[SS_C_LOST_ACK];
	a->ack_unmatched = st->acks_ignored;
	a->ack_unread = rest(a->completed, made + a->ack_lost + a->ack_unmatched);
	a->syns = c[SS_C_SYN];
	a->syn_in_records = st->syns_recorded;
	a->syn_evicted = st->syns_evicted;
	a->syn_shed = c[SS_C_SHED_SYN];
	a->syn_lost = c[SS_C_LOST_SYN];
	a->syn_unmatched = st->syns_ignored;
	a->syn_unread = rest(a->syns, a->syn_in_records + a->syn_evicted + a->syn_shed +
				      a->syn_lost + a->syn_unmatched);
}
