/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The two-builds test, split where the headers clash: tests/support/agree_host.c
 * reads captures with libpcap and replays each record through the offline
 * mode's own code (user/offline/replay.c); tests/support/agree_kernel.c runs the same
 * record through the kernel programs with libbpf and compares. This is
 * what passes between them. test_agree, test_corpus and test_malformed
 * use both halves; the packet fuzzer uses the host half only.
 */
#ifndef SS_TEST_AGREE_H
#define SS_TEST_AGREE_H

#include <stddef.h>
#include <stdint.h>
#include "synscope.h"
#include "parse.h"
#include "cli/options.h"
#include "packets.h"

/* Frames longer than this are not in the hand-made captures or the
 * corpora (and BPF_PROG_TEST_RUN takes at most about a page for XDP). */
#define AG_FRAME_MAX 2048
#define AG_ETH_HLEN 14

/* What one build did with one frame. */
struct ag_result {
	uint64_t delta[SS_C_MAX];     /* counter deltas */
	int nev;                      /* events written */
	struct ss_event_syn ev;       /* the first of them (ev.e; the rest only
				       * for a SYN or SYN-ACK) */
	struct ss_opts opts;          /* a SYN's or SYN-ACK's options, walked
				       * (ss_walk_tcp_opts(): userspace's) */
};

struct ag_packet {
	uint64_t n;                   /* record number, from 1 */
	uint32_t caplen;
	/* The record as the Ethernet frame the kernel would have seen: the
	 * link header replaced by a synthetic Ethernet header carrying the
	 * ethertype it implies. frame_len 0: the link header itself is cut,
	 * or (too_long) the frame is longer than AG_FRAME_MAX. */
	uint8_t frame[AG_FRAME_MAX];
	uint32_t frame_len;
	int too_long;
	/* What the host replay did with the record. */
	struct ag_result host;
};

/* ---- host side (tests/support/agree_host.c: user/offline/replay.c, libpcap) ---------------- */

/* The options of synscope -r - followed by extra (NULL-terminated, or
 * NULL for none): ss_options_parse()'s result, its reason in err. */
int ag_options(const char *const *extra, struct ss_options *o, char *err, size_t n);

/* The first field the parser decides (ss_fill_event()'s and, for a SYN
 * or SYN-ACK, ss_fill_event_syn()'s and the option bytes) in which a and b
 * differ, by name; NULL when none does. Not the kind, not the cgroup. */
const char *ag_event_diff(const struct ss_event_syn *a, const struct ss_event_syn *b);

struct ag_reader;

/* Open a capture; o gives --port/--host. NULL with a reason in err. */
struct ag_reader *ag_open(const char *path, const struct ss_options *o, char *err, size_t n);
/* 1: *p holds the next record; 0: end of the file; -1: read error. */
int ag_next(struct ag_reader *r, struct ag_packet *p);
void ag_close(struct ag_reader *r);

/* The host replay without a capture: Ethernet frames one by one, with the
 * pending SYN-ACK table kept between them. NULL when out of memory. */
struct ag_host;

struct ag_host *ag_host_new(const struct ss_options *o);
void ag_host_frame(struct ag_host *h, const uint8_t *frame, uint32_t len, struct ag_result *r);
/* Forget every pending SYN-ACK, as a fresh synscope -r would. */
void ag_host_clear_pending(struct ag_host *h);
void ag_host_free(struct ag_host *h);

/*
 * The primers: SYN-ACKs (tp_build_primers()) replayed before an input,
 * from an empty pending table, so that the input may complete one.
 * r[0..nprimers-1] get the primers' results, r[nprimers] the frame's.
 */
#define AG_NPRIMERS TP_NPRIMERS

void ag_host_primed(struct ag_host *h, const struct tpkt *primers, const uint8_t *frame,
		    uint32_t len, struct ag_result r[AG_NPRIMERS + 1]);

/* ---- kernel side (tests/support/agree_kernel.c: libbpf; cmocka asserts) -------------- */

enum ag_prog { AG_XDP, AG_TC_IN, AG_TC_OUT, AG_NPROGS };

struct ag_kernel;

/* The live loader's object, loaded with o (the rate limit off). */
struct ag_kernel *ag_kernel_open(const struct ss_options *o);
void ag_kernel_close(struct ag_kernel *k);
void ag_kernel_clear_pending(struct ag_kernel *k);
const char *ag_prog_name(enum ag_prog p);
/*
 * One frame through a program with BPF_PROG_TEST_RUN. 0: it ran, the
 * verdict was pass and the bytes came back unchanged (both asserted), *r
 * holds the counter deltas and events. Otherwise the test run's error:
 * the kernel refused the input (too short or too long), and nothing moved
 * (asserted).
 */
int ag_kernel_run(struct ag_kernel *k, enum ag_prog p, const uint8_t *frame, uint32_t len,
		  struct ag_result *r);
/* The same after the primers (which must run); returns the frame's run. */
int ag_kernel_primed(struct ag_kernel *k, enum ag_prog p, const struct tpkt *primers,
		     const uint8_t *frame, uint32_t len, struct ag_result r[AG_NPRIMERS + 1]);

/* Both builds did the same: counters, number of events, every field of
 * the event the packet decides. Fails the test, naming `where`. */
void ag_same(const struct ag_result *host, const struct ag_result *kern, const char *where);

struct ag_tally {
	uint64_t packets, events, counters[SS_C_MAX];
};

/* Count one input and what it did (a host result) into t. */
void ag_tally_add(struct ag_tally *t, const struct ag_result *r);

/* Agreeing proves little unless the inputs reach every class: without a
 * filter, every counter but filtered, lost, sampled out and pending
 * evicted moved (and those did not); with one, some filtering and some
 * events. */
void ag_check_coverage(const struct ag_tally *t, int filtering, const char *what);

#define AG_NOT_A_CAPTURE (-2)

/*
 * A capture through both builds, record by record (the kernel side through
 * ss_xdp_ingress, pending SYN-ACKs cleared first on both sides). Returns
 * how the reading ended (0: end of file, -1: read error), or
 * AG_NOT_A_CAPTURE when it does not open (libpcap's reason in err).
 */
int ag_agree_capture(struct ag_kernel *k, const char *path, const struct ss_options *o,
		     struct ag_tally *t, char *err, size_t n);

#endif /* SS_TEST_AGREE_H */
