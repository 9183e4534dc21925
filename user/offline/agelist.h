/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * An age-ordered list threaded through an array of nodes by index: O(1)
 * unlink and push-to-newest, for the bounded tables that evict their
 * oldest entry (the offline pending SYN-ACK table, the offline target
 * table). Each node embeds a struct ss_age; macros keep it type-generic.
 */
#ifndef SS_AGELIST_H
#define SS_AGELIST_H

#include <stdint.h>

#define SS_AGE_NIL UINT32_MAX

struct ss_age {
	uint32_t older, newer;
};

struct ss_age_list {
	uint32_t oldest, newest;
};

#define ss_age_list_init(l) ((l)->oldest = (l)->newest = SS_AGE_NIL)

/* Take node i (nodes[i].field is its struct ss_age) out of list l. */
#define ss_age_unlink(l, nodes, i, field) do {                                  \
	struct ss_age *a_ = &(nodes)[i].field;                                  \
	if (a_->older != SS_AGE_NIL)                                            \
		(nodes)[a_->older].field.newer = a_->newer;                     \
	else                                                                    \
		(l)->oldest = a_->newer;                                        \
	if (a_->newer != SS_AGE_NIL)                                            \
		(nodes)[a_->newer].field.older = a_->older;                     \
	else                                                                    \
		(l)->newest = a_->older;                                        \
} while (0)

/* Append node i as the newest of list l. */
#define ss_age_push(l, nodes, i, field) do {                                    \
	uint32_t i_ = (i);                                                      \
	(nodes)[i_].field.older = (l)->newest;                                  \
	(nodes)[i_].field.newer = SS_AGE_NIL;                                   \
	if ((l)->newest != SS_AGE_NIL)                                          \
		(nodes)[(l)->newest].field.newer = i_;                          \
	else                                                                    \
		(l)->oldest = i_;                                               \
	(l)->newest = i_;                                                       \
} while (0)

#endif /* SS_AGELIST_H */
