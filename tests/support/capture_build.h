/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Hand-made captures for the offline tests (test_capture, test_agree).
 *
 * Packets are built as Ethernet frames with tests/support/packets.h; a writer wraps
 * each one in the capture's link layer (keeping or replacing the Ethernet
 * header) and writes pcap through libpcap itself, or pcapng block by
 * block. Only libpcap's headers are used here, never libbpf's.
 */
#ifndef SS_TEST_CAPTURE_BUILD_H
#define SS_TEST_CAPTURE_BUILD_H

#include <stddef.h>
#include <stdint.h>
#include "packets.h"

/* Link types, as libpcap's DLT_* values (pcap/dlt.h on Linux). */
#define CB_DLT_NULL      0
#define CB_DLT_EN10MB    1
#define CB_DLT_RAW       12
#define CB_DLT_LOOP      108
#define CB_DLT_LINUX_SLL 113
#define CB_DLT_IPV4      228
#define CB_DLT_IPV6      229
#define CB_DLT_LINUX_SLL2 276
#define CB_DLT_IEEE802_11 105  /* a link type synscope does not read */

#define CB_SLL2_IFINDEX 7      /* the interface index cooked v2 records carry */

/* How one capture is made. */
struct cb_link {
	const char *name;     /* also the file name */
	int dlt;
	int family;           /* of the scenario's packets: 4 or 6 */
	uint8_t nvlan, qinq;  /* tags (Ethernet and cooked link types) */
	uint32_t af6;         /* NULL/LOOP: AF_INET6 of the writing system */
	int swap_af;          /* NULL: written by the other byte order */
	int pcapng;           /* pcapng blocks instead of pcap */
};

/* Every link type of the standard scenario. */
extern const struct cb_link cb_links[];
extern const size_t cb_nlinks;

/* ---- writing -------------------------------------------------------------- */

#define CB_WHOLE UINT32_MAX
#define CB_CUT_LINK (UINT32_MAX - 1) /* cut inside the link-layer header
					(raw IP: an empty record) */

struct cb_writer;

/* Returns NULL (after printing why) on failure. */
struct cb_writer *cb_open(const char *path, const struct cb_link *l);
/*
 * Add the Ethernet frame f, wrapped for the link type. keep_l3 cuts the
 * record (caplen) after that many bytes of the network layer (or
 * CB_WHOLE, CB_CUT_LINK); the original length stays. out: sent by the
 * capturing host (cooked packet type).
 */
void cb_add(struct cb_writer *w, uint64_t ts_ns, const struct tpkt *f, uint32_t keep_l3, int out);
/* Add bytes as they are: caplen of len. */
void cb_add_raw(struct cb_writer *w, uint64_t ts_ns, const uint8_t *b, uint32_t caplen,
		uint32_t len);
int cb_close(struct cb_writer *w);

/* ---- the standard scenario ------------------------------------------------ */

/*
 * Client and server as in packets.h (192.0.2.1 -> 198.51.100.2, or
 * 2001:db8::1 -> 2001:db8::2), all times from CB_BASE_NS:
 *   A  client port 40000 -> 80: SYN +999 ns, SYN-ACK +1.5 ms, ACK +1.75 ms
 *   B  40001 -> 81: SYN +2 ms, RST-ACK from the server +2.3 ms  (refused)
 *   C  40002 -> 82: SYN +3 ms, nothing else                       (timeout)
 *   D  40003 -> 80: SYN +3.1 ms cut 10 bytes into the TCP header  (truncated)
 *   E  40004 -> 80: SYN +3.2 ms cut inside the link-layer header  (truncated)
 *   a UDP datagram at +5 s: with --timeout CB_TIMEOUT_ARG, C times out on it
 * The latencies are in whole ns: read with microsecond precision they
 * would be 1500 us, not 1499.
 */
#define CB_BASE_NS        1700000000000000000ull   /* 2023-11-14T22:13:20Z */
#define CB_TIMEOUT_ARG    "2"
#define CB_SCENARIO_PKTS  9
#define CB_SCENARIO_TRUNC 2   /* packets counted as truncated */

struct cb_expect {
	const char *outcome;
	uint16_t client_port, server_port;
	int64_t syn_to_synack_us, synack_to_ack_us;   /* -1 = null */
	const char *ts;                               /* the record's time */
};

#define CB_SCENARIO_RECORDS 3
extern const struct cb_expect cb_scenario_expect[CB_SCENARIO_RECORDS];

/* Client and server addresses as text for a family. */
const char *cb_client(int family);
const char *cb_server(int family);

/* Write the scenario; its first `npkts` packets only (CB_SCENARIO_PKTS
 * for all). Returns 0 or -1. */
int cb_write_scenario(const char *path, const struct cb_link *l, int npkts);

/*
 * An Ethernet capture of odd packets for the two-builds test: fragments,
 * options, extension chains, bad headers, other protocols, and the
 * pending table's paths (retransmitted SYN-ACK, RST, data ACK, wrong ACK).
 */
int cb_write_zoo(const char *path);

/* Ethernet captures cut by the snapshot length inside each layer. */
int cb_write_snaplen(const char *path);

#endif /* SS_TEST_CAPTURE_BUILD_H */
