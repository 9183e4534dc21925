/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * p0f v3 TCP fingerprints of SYNs and SYN-ACKs: the raw signature p0f
 * prints (raw_sig = ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass)
 * and the label p0f.fp gives it, as Debian's p0f 3.09b computes both.
 * Pure C, libc only; only ss_p0f_db_load() does I/O.
 *
 * Where p0f's rules are odd they are kept, because the point is to agree
 * with it: the "ack+" quirk tests one bit of the ACK field (see p0f.c),
 * an "ittl-" signature skips the character after "-:", and a signature for
 * IPv4 ('4:') can match an IPv6 packet (p0f never compares the version).
 */
#ifndef SS_P0F_H
#define SS_P0F_H

#include <stddef.h>
#include <stdint.h>

/* What a SYN or SYN-ACK says, as synscope's event carries it. Host byte
 * order for numbers. */
struct ss_p0f_pkt {
	uint8_t family;       /* 4 or 6 */
	uint8_t ttl;          /* TTL or hop limit as seen */
	uint8_t tos;          /* IPv4 TOS byte / IPv6 traffic class (ECN: low 2 bits) */
	uint8_t ip_opt_len;   /* IPv4 header length minus 20; 0 for IPv6 */
	uint16_t ip_id;       /* IPv4 identification */
	uint16_t ip_frag;     /* IPv4 flags + fragment offset field: 0x8000 reserved, 0x4000 DF, 0x2000 MF */
	uint32_t flow;        /* IPv6 flow label (20 bits) */
	uint32_t seq, ack;
	uint16_t window;
	uint16_t urg;         /* urgent pointer */
	uint8_t flags;        /* TCP header byte 13 */
	uint8_t doff_res;     /* TCP header byte 12 (data offset << 4 | reserved bits, NS = 0x01) */
	uint8_t opt_len;      /* TCP option bytes, 0..40 */
	uint8_t opts[40];     /* the option bytes as on the wire */
	uint32_t payload_len; /* TCP payload bytes, from the IP lengths */
	/* SYN-ACK only: the MSS option of the SYN it answers (0 = none or not
	 * known). p0f keeps it per connection and also tries the window as a
	 * multiple of it ("mss*N" in a SYN-ACK's raw_sig). Ignored for SYNs. */
	uint16_t syn_mss;
};

/* A buffer this long holds any raw_sig (the longest a packet can give is
 * about 215 characters: 24 options, most quirks). */
#define SS_P0F_SIG_MAX 256

/* p0f's raw_sig for a SYN or SYN-ACK (p->flags tells which: ACK set means
 * SYN-ACK); returns the length written (NUL-terminated, truncated to n).
 * No snprintf, no allocation. p0f itself drops fragments, SYN+FIN,
 * SYN+RST and IPv6 packets with extension headers before it gets here;
 * that choice is the caller's. */
size_t ss_p0f_sig(const struct ss_p0f_pkt *p, char *buf, size_t n);

struct ss_p0f_db;
/* Load a p0f.fp; NULL with a one-line reason ("p0f.fp:123: ...") in err.
 * Refuses what p0f refuses in the file's structure and its TCP and MTU
 * signatures, at the same line (duplicate signatures too); the values of
 * HTTP signatures and ua_os are not checked (nothing here uses them), and
 * CRLF line ends are accepted (p0f refuses them). */
struct ss_p0f_db *ss_p0f_db_load(const char *path, char *err, size_t n);

/* How a packet matched, with what p0f prints besides os=. */
struct ss_p0f_result {
	const char *label;    /* "Linux 3.11 and newer"; NULL = no match ("???");
			       * the db owns it */
	uint8_t fuzzy;        /* quirks or TTL differ from the signature */
	uint8_t generic;      /* a 'g:' (last-resort) signature */
	uint8_t app;          /* class '!' (a tool such as NMap): p0f prints app=, not os= */
	uint8_t random_ttl;   /* an "ittl-" signature: dist is an upper bound ("<= N") */
	uint8_t dist;         /* p0f's dist= (hops) */
	uint32_t line;        /* p0f.fp line of the signature; 0 = none */
};

/* The label p0f would print as os= ("Linux 3.11 and newer"), NULL when none.
 * *fuzzy / *generic (may be NULL) say how it matched. Results are cached in
 * the db by the fields that decide the match: a repeated signature costs a
 * hash lookup. Not thread-safe (one thread uses it). Labels of tools (class
 * '!', which p0f prints as app=) are returned too: see ss_p0f_match_result. */
const char *ss_p0f_match(struct ss_p0f_db *db, const struct ss_p0f_pkt *p, int *fuzzy, int *generic);
/* The same, filling *r with everything about the match; returns r->label. */
const char *ss_p0f_match_result(struct ss_p0f_db *db, const struct ss_p0f_pkt *p,
				struct ss_p0f_result *r);
void ss_p0f_db_free(struct ss_p0f_db *db);

/*
 * Both at once, for the per-record path: the raw_sig into sig (room for
 * SS_P0F_SIG_MAX; returns its length, NUL-terminated) and, when the cache
 * was made with a db, the match in *r (all zero without one). The packet
 * is reduced once, and both answers are remembered by what they depend on
 * (timestamps and ISNs do not count, only whether they are zero): a
 * fingerprint seen before costs that reduction, a hash lookup and a copy.
 * Not thread-safe; the db must outlive the cache.
 */
struct ss_p0f_cache;
struct ss_p0f_cache *ss_p0f_cache_new(struct ss_p0f_db *db);
size_t ss_p0f_describe(struct ss_p0f_cache *c, const struct ss_p0f_pkt *p, char *sig,
		       struct ss_p0f_result *r);
void ss_p0f_describe_stats(const struct ss_p0f_cache *c, uint64_t *hits, uint64_t *misses);
void ss_p0f_cache_free(struct ss_p0f_cache *c);

/* Signatures loaded per direction (SYN = 0, SYN-ACK = 1), and the cache's
 * hits and misses since the load (for tests and benchmarks). */
uint32_t ss_p0f_db_count(const struct ss_p0f_db *db, int synack);
void ss_p0f_cache_stats(const struct ss_p0f_db *db, uint64_t *hits, uint64_t *misses);

#endif /* SS_P0F_H */
