// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The link layers of a capture (link.h). */
#include <string.h>
#include <pcap/pcap.h>
#include "synscope.h"
#include "parse.h"
#include "offline/link.h"

#define SS_SLL_HDR_LEN 16        /* Linux cooked v1 */
#define SS_SLL2_HDR_LEN 20       /* Linux cooked v2 */
#define SS_NULL_HDR_LEN 4        /* BSD loopback: the address family */
#define SS_PACKET_OUTGOING 4     /* cooked packet type: sent by this host */

int ss_link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
	case DLT_NULL: case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* AF_INET6 differs between the systems that write loopback captures. */
static uint16_t af_ethertype(uint32_t af)
{
	switch (af) {
	case 2:                                   /* AF_INET everywhere */
		return SS_ETH_P_IP;
	case 10: case 24: case 28: case 30:       /* Linux, Net/OpenBSD, FreeBSD, macOS */
		return SS_ETH_P_IPV6;
	default:
		return 0;                         /* parsed as not IP */
	}
}

/* Raw IP: the version nibble says which. */
static uint16_t version_ethertype(const uint8_t *p, const uint8_t *end)
{
	if (p >= end)
		return 0;
	switch (p[0] >> 4) {
	case 4: return SS_ETH_P_IP;
	case 6: return SS_ETH_P_IPV6;
	default: return 0;
	}
}

/* Split one record of link type dlt into link-layer facts and payload. */
void ss_link_decode(int dlt, const uint8_t *pkt, uint32_t caplen, struct ss_frame *f)
{
	const uint8_t *end = pkt + caplen;
	uint32_t hdr = 0, af;

	memset(f, 0, sizeof(*f));
	f->end = end;
	/* Only Linux cooked captures say which way a packet went. */
	f->dir = SS_DIR_UNKNOWN;
	switch (dlt) {
	case DLT_EN10MB:
		f->eth = 1;
		break;
	case DLT_LINUX_SLL:
		hdr = SS_SLL_HDR_LEN;
		if (caplen < hdr)
			break;
		f->proto = get_be16(pkt + 14);
		f->dir = get_be16(pkt) == SS_PACKET_OUTGOING ? SS_DIR_OUT : SS_DIR_IN;
		break;
	case DLT_LINUX_SLL2:
		hdr = SS_SLL2_HDR_LEN;
		if (caplen < hdr)
			break;
		f->proto = get_be16(pkt);
		f->ifindex = get_be32(pkt + 4);
		f->dir = pkt[10] == SS_PACKET_OUTGOING ? SS_DIR_OUT : SS_DIR_IN;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		hdr = SS_NULL_HDR_LEN;
		if (caplen < hdr)
			break;
		if (dlt == DLT_LOOP) {
			af = get_be32(pkt);
		} else {
			/* Host order of the machine that wrote the file: a
			 * family never needs the upper 16 bits. */
			memcpy(&af, pkt, 4);
			if (af & 0xffff0000u)
				af = __builtin_bswap32(af);
		}
		f->proto = af_ethertype(af);
		break;
	case DLT_IPV4:
		f->proto = SS_ETH_P_IP;
		break;
	case DLT_IPV6:
		f->proto = SS_ETH_P_IPV6;
		break;
	default: /* DLT_RAW */
		f->proto = version_ethertype(pkt, end);
		/* An empty raw record is cut as an empty Ethernet frame is. */
		f->cut = caplen == 0;
		break;
	}
	if (caplen < hdr)
		f->cut = 1;
	f->data = f->cut ? end : pkt + hdr;
}
