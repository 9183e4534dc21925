/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hostile input: a table of malformed (and a few well-formed control)
 * Ethernet frames, each named after what it is, with what synscope must
 * make of it. test_malformed runs every case through the kernel programs
 * and through the capture reader; gen_corpus writes each one into the
 * fuzzers' seed corpora (tests/corpus/).
 *
 * Every case is replayed after the primers (tp_build_primer(): a SYN-ACK
 * of each family), so a packet that would complete a handshake if it were
 * parsed the wrong way gets the chance to.
 */
#ifndef SS_TEST_MALFORMED_H
#define SS_TEST_MALFORMED_H

#include <stddef.h>
#include <stdint.h>
#include "synscope.h"
#include "parse.h"
#include "packets.h"

struct mcase {
	const char *name;
	void (*build)(struct tpkt *p);
	/* Counters that move by one besides SS_C_PACKETS (0-padded: the
	 * zeros are SS_C_PACKETS and ignored). Every other stays still. */
	int counters[4];
	uint8_t kind;                 /* the event written, 0 = none */
	uint8_t opts;                 /* SYN/SYN-ACK event: the present bits
					 (SS_OPT_*) of its options' walk, exactly */
	/* More about the event (ev: an ss_event_syn for a SYN or SYN-ACK;
	 * opts: their options as userspace walks them); returns what is
	 * wrong, NULL if nothing. */
	const char *(*check)(const struct ss_event_syn *ev, const struct ss_opts *opts);
};

extern const struct mcase mcases[];
extern const size_t n_mcases;

#endif /* SS_TEST_MALFORMED_H */
