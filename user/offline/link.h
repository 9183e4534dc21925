/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The link layers a capture may have: Ethernet, Linux cooked (SLL, SLL2),
 * raw IP, BSD loopback. No libpcap type here (its headers clash with
 * libbpf's); link types are DLT_* numbers.
 */
#ifndef SS_LINK_H
#define SS_LINK_H

#include <stdint.h>

#define SS_ETH_HDR_LEN 14

/* Largest record libpcap hands out (its MAXIMUM_SNAPLEN). */
#define SS_MAX_CAPLEN 262144

/*
 * Where a record's network layer starts. The kernel program only ever sees
 * Ethernet frames; any other link type is parsed as the Ethernet frame
 * with the same ethertype and payload would be.
 */
struct ss_frame {
	const uint8_t *data;     /* where the parser starts */
	const uint8_t *end;      /* end of the captured bytes */
	int eth;                 /* data is an Ethernet header */
	int cut;                 /* the link-layer header itself is cut */
	uint16_t proto;          /* !eth: ethertype of what is at data */
	uint8_t dir;             /* enum ss_dir */
	uint32_t ifindex;        /* SLL2 only; 0 otherwise */
};

/* Is the link type (DLT_*) one synscope reads? */
int ss_link_supported(int dlt);
/* Split one record of link type dlt into link-layer facts and payload. */
void ss_link_decode(int dlt, const uint8_t *pkt, uint32_t caplen, struct ss_frame *f);

#endif /* SS_LINK_H */
