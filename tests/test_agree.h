/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The two-builds test, split where the headers clash: test_agree_host.c
 * reads captures with libpcap and replays each record through the offline
 * mode's own code (user/capture.c); test_agree.c runs the same record
 * through the kernel program with libbpf. This is what passes between them.
 */
#ifndef SS_TEST_AGREE_H
#define SS_TEST_AGREE_H

#include <stddef.h>
#include <stdint.h>
#include "synscope.h"
#include "options.h"

/* Frames longer than this are not in the hand-made captures (and
 * BPF_PROG_TEST_RUN takes at most about a page for XDP). */
#define AG_FRAME_MAX 2048
#define AG_ETH_HLEN 14

struct ag_packet {
	uint64_t n;                   /* record number, from 1 */
	uint32_t caplen;
	/* The record as the Ethernet frame the kernel would have seen: the
	 * link header replaced by a synthetic Ethernet header carrying the
	 * ethertype it implies. frame_len 0: the link header itself is cut. */
	uint8_t frame[AG_FRAME_MAX];
	uint32_t frame_len;
	/* What the host replay did with the record. */
	uint64_t delta[SS_C_MAX];
	int has_event;
	struct ss_event ev;
};

struct ag_reader;

/* Open a capture; o gives --port/--host. NULL with a reason in err. */
struct ag_reader *ag_open(const char *path, const struct ss_options *o, char *err, size_t n);
/* 1: *p holds the next record; 0: end of the file; -1: read error. */
int ag_next(struct ag_reader *r, struct ag_packet *p);
void ag_close(struct ag_reader *r);

#endif /* SS_TEST_AGREE_H */
