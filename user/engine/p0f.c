// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * p0f v3 TCP fingerprints: see p0f.h.
 *
 * A packet is first reduced to what p0f derives from it (struct obs: the
 * option layout, quirks, MSS, window scale...). ss_p0f_sig() prints that;
 * ss_p0f_match() looks it up in a cache keyed by exactly the fields that
 * decide p0f's answer, and only on a miss walks the signatures that share
 * its option layout, in file order, with p0f's rules for exact, generic
 * and fuzzy matches.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "engine/p0f.h"

/* p0f 3.09b's constants (its config.h and tcp.h). */
#define P0F_MAX_DIST    35    /* hops before a TTL match turns fuzzy */
#define P0F_MAX_OPT     24    /* options read from a packet or a signature */
#define P0F_SPECIAL_MSS 1331  /* p0f-sendsyn's MSS: a SYN-ACK echoing it prints '*' */
#define P0F_MIN_TCP4    40    /* IPv4 + TCP headers */
#define P0F_MIN_TCP6    60    /* IPv6 + TCP headers */
#define P0F_NAME_CHARS  " ./-_!?()"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80
#define TCP_NS  0x01          /* in the data offset byte */

#define IP4_MBZ 0x8000
#define IP4_DF  0x4000

enum opt_kind {
	OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WS = 3, OPT_SOK = 4,
	OPT_SACK = 5, OPT_TS = 8,
};

/* Quirk bits, in the order raw_sig lists them (quirk_toks). */
enum quirk {
	Q_DF, Q_NZ_ID, Q_ZERO_ID, Q_ECN, Q_NZ_MBZ, Q_FLOW,
	Q_ZERO_SEQ, Q_NZ_ACK, Q_ZERO_ACK, Q_NZ_URG, Q_URG, Q_PUSH,
	Q_TS1_ZERO, Q_TS2_NZ, Q_OPT_NZ, Q_EXWS, Q_BAD, Q_COUNT,
};
#define QB(q) (1u << (q))

/* A word of a raw_sig (and of p0f.fp): copied 8 bytes at a time. */
struct tok {
	char text[8];
	uint8_t len;
};

#define TOK(s) { s, sizeof(s) - 1 }

static const struct tok quirk_toks[Q_COUNT] = {
	TOK("df"), TOK("id+"), TOK("id-"), TOK("ecn"), TOK("0+"), TOK("flow"),
	TOK("seq-"), TOK("ack+"), TOK("ack-"), TOK("uptr+"), TOK("urgf+"), TOK("pushf+"),
	TOK("ts1-"), TOK("ts2+"), TOK("opt+"), TOK("exws"), TOK("bad"),
};

/* Window forms of a signature. */
enum win_type { WIN_FIXED, WIN_MOD, WIN_MSS, WIN_MTU, WIN_ANY };

#define ANY (-1)              /* '*' in a signature field */

/* ---- what p0f derives from a packet -------------------------------------- */

/*
 * Everything of a packet that p0f's answer depends on, and nothing else:
 * also the cache key, so every byte is set (layout zero past opt_cnt).
 * The window multiplier is not in it: it follows from win, mss, ts1_nz,
 * the header lengths (ver, olen, opt_len) and syn_mss, and is worked out
 * only when the cache misses.
 */
struct obs {
	uint8_t synack;       /* 0: SYN (tcp:request), 1: SYN-ACK (tcp:response) */
	uint8_t ver, ttl, olen;
	uint8_t opt_cnt, eol_pad, wscale, pay_class;
	uint8_t ts1_nz;       /* own timestamp present and non-zero */
	uint8_t opt_len;      /* option bytes read (for the header length) */
	uint8_t used;         /* 1: a cache slot's key is set */
	uint8_t special_mss;  /* SYN-ACK with p0f-sendsyn's MSS: raw_sig prints '*' */
	uint16_t mss, win, syn_mss, zero;
	uint32_t quirks;
	uint8_t layout[P0F_MAX_OPT];
};

static uint32_t be16(const uint8_t *b)
{
	return (uint32_t)b[0] << 8 | b[1];
}

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The values p0f's option walk reads. */
struct opt_walk {
	uint32_t cnt, eol_pad, mss, wscale, ts1_nz;
	uint64_t lay;         /* a running hash of the kinds */
};

/* p0f's option walk (process.c, parse_packet): returns the option quirks.
 * A malformed option ends the walk with "bad", as it does in p0f; so do
 * options left after the 24th. */
static uint32_t walk_options(const uint8_t *d, uint32_t len, int pure_syn, uint8_t *layout,
			     struct opt_walk *w)
{
	uint32_t q = 0, i = 0;

	while (i < len && w->cnt < P0F_MAX_OPT) {
		uint8_t kind = d[i++];

		layout[w->cnt++] = kind;
		w->lay = (w->lay << 7 | w->lay >> 57) ^ kind;
		switch (kind) {
		case OPT_EOL:
			/* The rest is padding; p0f stops at the first non-zero
			 * byte and flags it unless that byte is the last. */
			w->eol_pad = len - i;
			while (i < len)
				if (d[i++])
					break;
			return i != len ? q | QB(Q_OPT_NZ) : q;
		case OPT_NOP:
			break;
		case OPT_MSS:
			if (i + 3 > len)
				return q | QB(Q_BAD);
			if (d[i] != 4)
				q |= QB(Q_BAD);
			w->mss = be16(d + i + 1);
			i += 3;
			break;
		case OPT_WS:
			if (i + 2 > len)
				return q | QB(Q_BAD);
			if (d[i] != 3)
				q |= QB(Q_BAD);
			w->wscale = d[i + 1];
			if (w->wscale > 14)
				q |= QB(Q_EXWS);
			i += 2;
			break;
		case OPT_SOK:
			if (i + 1 > len)
				return q | QB(Q_BAD);
			if (d[i] != 2)
				q |= QB(Q_BAD);
			i++;
			break;
		case OPT_SACK:
			if (i == len || d[i] < 10 || d[i] > 34 || i - 1 + d[i] > len)
				return q | QB(Q_BAD);
			i += d[i] - 1u;
			break;
		case OPT_TS:
			if (i + 9 > len)
				return q | QB(Q_BAD);
			if (d[i] != 10)
				q |= QB(Q_BAD);
			if (be32(d + i + 1))
				w->ts1_nz = 1;
			else
				q |= QB(Q_TS1_ZERO);
			if (pure_syn && be32(d + i + 5))
				q |= QB(Q_TS2_NZ);
			i += 9;
			break;
		default:
			if (i == len || d[i] < 2 || d[i] > 40 || i - 1 + d[i] > len)
				return q | QB(Q_BAD);
			i += d[i] - 1u;
			break;
		}
	}
	return i != len ? q | QB(Q_BAD) : q;
}

/* p0f's quirks (process.c, parse_packet) and option walk into *o. Returns
 * a running hash of the option kinds, for obs_hash(). */
static uint64_t observe(const struct ss_p0f_pkt *p, struct obs *o)
{
	uint8_t type = p->flags & (TCP_SYN | TCP_ACK | TCP_FIN | TCP_RST);
	uint32_t q = 0, len = p->opt_len > 40 ? 40 : p->opt_len;
	struct opt_walk w = { 0 };

	memset(o, 0, sizeof(*o));
	if (p->family == 4) {
		if (p->tos & 3)
			q |= QB(Q_ECN);
		if (p->ip_frag & IP4_MBZ)
			q |= QB(Q_NZ_MBZ);
		if (p->ip_frag & IP4_DF) {
			q |= QB(Q_DF);
			if (p->ip_id)
				q |= QB(Q_NZ_ID);
		} else if (!p->ip_id) {
			q |= QB(Q_ZERO_ID);
		}
	} else {
		if (p->flow & 0xfffff)
			q |= QB(Q_FLOW);
		if (p->tos & 3)
			q |= QB(Q_ECN);
	}

	if ((p->flags & (TCP_ECE | TCP_CWR)) || (p->doff_res & TCP_NS))
		q |= QB(Q_ECN);
	if (!p->seq)
		q |= QB(Q_ZERO_SEQ);
	if (p->flags & TCP_ACK) {
		if (!p->ack)
			q |= QB(Q_ZERO_ACK);
	} else if (!(p->flags & TCP_RST) && ((p->ack >> 24) & 1)) {
		/* p0f writes `RD32(tcp->ack) & !(flags & TCP_RST)`: a bitwise
		 * AND with 1 of the field read in host order, which on the
		 * little-endian hosts p0f runs on is bit 24 of the number. */
		q |= QB(Q_NZ_ACK);
	}
	if (p->flags & TCP_URG)
		q |= QB(Q_URG);
	else if (p->urg)
		q |= QB(Q_NZ_URG);
	if (p->flags & TCP_PSH)
		q |= QB(Q_PUSH);
	q |= walk_options(p->opts, len, type == TCP_SYN, o->layout, &w);

	o->synack = (p->flags & TCP_ACK) != 0;
	o->ver = p->family;
	o->ttl = p->ttl;
	o->olen = p->family == 4 ? p->ip_opt_len : 0;
	o->opt_cnt = (uint8_t)w.cnt;
	o->eol_pad = (uint8_t)w.eol_pad;
	o->wscale = (uint8_t)w.wscale;
	o->pay_class = p->payload_len != 0;
	o->ts1_nz = (uint8_t)w.ts1_nz;
	o->opt_len = (uint8_t)len;
	o->used = 1;
	o->special_mss = w.mss == P0F_SPECIAL_MSS && type == (TCP_SYN | TCP_ACK);
	o->mss = (uint16_t)w.mss;
	o->win = p->window;
	o->syn_mss = o->synack ? p->syn_mss : 0;
	o->quirks = q;

	return w.lay;
}

/* The cache slot of an observation: three independent multiplies, then a
 * final mix. */
static uint32_t obs_hash(const struct obs *o, uint64_t lay)
{
	uint64_t h;

	h = ((uint64_t)o->synack | (uint64_t)o->ver << 8 | (uint64_t)o->ttl << 16 |
	     (uint64_t)o->olen << 24 | (uint64_t)o->opt_cnt << 32 | (uint64_t)o->eol_pad << 40 |
	     (uint64_t)o->wscale << 48 | (uint64_t)o->pay_class << 56) * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)o->mss | (uint64_t)o->win << 16 | (uint64_t)o->syn_mss << 32 |
	      (uint64_t)(o->ts1_nz | (uint32_t)o->opt_len << 1 | (uint32_t)o->special_mss << 7) << 48) *
	     0xc2b2ae3d27d4eb4full;
	h ^= ((uint64_t)o->quirks << 32 ^ lay) * 0x165667b19e3779f9ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return (uint32_t)(h ^ (h >> 32));
}

/* Keys are compared as six words. */
static int obs_equal(const struct obs *a, const struct obs *b)
{
	uint64_t x[6], y[6];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]) |
		 (x[4] ^ y[4]) | (x[5] ^ y[5]));
}

_Static_assert(sizeof(struct obs) == 48, "struct obs: six words, no padding");

/* p0f's guess of the hops from a TTL: up to the next usual initial TTL. */
static uint8_t guess_dist(uint8_t ttl)
{
	if (ttl <= 32)
		return 32 - ttl;
	if (ttl <= 64)
		return 64 - ttl;
	if (ttl <= 128)
		return 128 - ttl;
	return 255 - ttl;
}

/*
 * Whether the window is a multiple of the MSS, of a usual MSS, of an MTU
 * or (SYN-ACK) of the peer's MSS, tried in p0f's order (fp_tcp.c,
 * detect_win_multi). Returns the multiplier as p0f's s16 holds it, -1 for
 * none; *use_mtu says whether it counted an MTU. A divisor of 0 (a peer
 * MSS of 12, on which p0f divides by zero) is skipped, and so is one above
 * the window, which cannot divide it.
 */
static int16_t win_multiple(uint32_t win, int32_t mss, int ts1_nz, int v6, int32_t tot_hdr,
			    int32_t syn_mss, uint8_t *use_mtu)
{
	int32_t w = (int32_t)win;

	*use_mtu = 0;
	if (!win || mss < 100)
		return -1;
#define TRY(div, mtu) do { \
		int32_t d_ = (div); \
		if (d_ && (d_ < 0 || d_ <= w) && !(w % d_)) { \
			*use_mtu = (mtu); \
			return (int16_t)(w / d_); \
		} \
	} while (0)
	TRY(mss, 0);
	if (ts1_nz)
		TRY(mss - 12, 0);     /* some stacks take the timestamps off */
	TRY(1500 - P0F_MIN_TCP4, 0);
	TRY(1500 - P0F_MIN_TCP4 - 12, 0);
	if (v6) {
		TRY(1500 - P0F_MIN_TCP6, 0);
		TRY(1500 - P0F_MIN_TCP6 - 12, 0);
	}
	TRY(mss + P0F_MIN_TCP4, 1);
	TRY(mss + tot_hdr, 1);
	if (v6)
		TRY(mss + P0F_MIN_TCP6, 1);
	TRY(1500, 1);
	if (syn_mss) {
		TRY(syn_mss, 0);
		TRY(syn_mss - 12, 0);
	}
#undef TRY
	return -1;
}

static int16_t obs_win_multiple(const struct obs *o, uint8_t *use_mtu)
{
	int32_t tot_hdr = (o->ver == 6 ? 40 : 20 + o->olen) + 20 + o->opt_len;

	return win_multiple(o->win, o->mss, o->ts1_nz, o->ver == 6, tot_hdr, o->syn_mss, use_mtu);
}

/* ---- raw_sig --------------------------------------------------------------- */

static const char digit_pairs[200] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static char *put_2(char *b, uint32_t v)
{
	memcpy(b, digit_pairs + 2 * v, 2);
	return b + 2;
}

/* Decimal, into a buffer with room; returns the new end. Every number of
 * a raw_sig is under 100000. */
static char *put_u32(char *b, uint32_t v)
{
	if (v < 10) {
		*b = (char)('0' + v);
		return b + 1;
	}
	if (v < 100)
		return put_2(b, v);
	if (v < 1000) {
		*b = (char)('0' + v / 100);
		return put_2(b + 1, v % 100);
	}
	if (v < 10000)
		return put_2(put_2(b, v / 100), v % 100);
	if (v < 100000) {
		*b = (char)('0' + v / 10000);
		v %= 10000;
		return put_2(put_2(b + 1, v / 100), v % 100);
	}
	b = put_u32(b, v / 100000);
	v %= 100000;
	*b++ = (char)('0' + v / 10000);
	v %= 10000;
	return put_2(put_2(b, v / 100), v % 100);
}

/* Eight bytes copied, the end moved by the token's length: the buffer
 * has room (a raw_sig is at most about 215 characters of its 256). */
static char *put_tok(char *b, const struct tok *t)
{
	memcpy(b, t->text, 8);
	return b + t->len;
}

/* Named options; kind 0 (EOL) is printed with its padding. */
static const struct tok opt_toks[9] = {
	[OPT_NOP] = TOK("nop"), [OPT_MSS] = TOK("mss"), [OPT_WS] = TOK("ws"),
	[OPT_SOK] = TOK("sok"), [OPT_SACK] = TOK("sack"), [OPT_TS] = TOK("ts"),
};

static const struct tok tok_eol = TOK("eol+"), tok_mss = TOK("mss*"), tok_mtu = TOK("mtu*");

/* The raw_sig of an observation into b (room for SS_P0F_SIG_MAX); its end. */
static char *sig_from_obs(const struct obs *o, char *b)
{
	uint8_t use_mtu, dist = guess_dist(o->ttl), i;
	int16_t multi;
	uint32_t q;

	b = put_u32(b, o->ver);
	*b++ = ':';
	b = put_u32(b, o->ttl);
	*b++ = '+';
	if (dist > P0F_MAX_DIST)
		*b++ = '?';
	else
		b = put_u32(b, dist);
	*b++ = ':';
	b = put_u32(b, o->olen);
	*b++ = ':';
	if (o->special_mss)
		*b++ = '*';
	else
		b = put_u32(b, o->mss);
	*b++ = ':';
	multi = obs_win_multiple(o, &use_mtu);
	if (multi > 0)
		b = put_u32(put_tok(b, use_mtu ? &tok_mtu : &tok_mss), (uint32_t)multi);
	else
		b = put_u32(b, o->win);
	*b++ = ',';
	b = put_u32(b, o->wscale);
	*b++ = ':';
	for (i = 0; i < o->opt_cnt; i++) {
		uint8_t kind = o->layout[i];

		if (i)
			*b++ = ',';
		if (kind == OPT_EOL) {
			b = put_u32(put_tok(b, &tok_eol), o->eol_pad);
		} else if (kind < 9 && opt_toks[kind].len) {
			b = put_tok(b, &opt_toks[kind]);
		} else {
			*b++ = '?';
			b = put_u32(b, kind);
		}
	}
	*b++ = ':';
	for (q = o->quirks; q; q &= q - 1) {
		b = put_tok(b, &quirk_toks[__builtin_ctz(q)]);
		if (q & (q - 1))
			*b++ = ',';
	}
	*b++ = ':';
	*b++ = o->pay_class ? '+' : '0';
	return b;
}

size_t ss_p0f_sig(const struct ss_p0f_pkt *p, char *buf, size_t n)
{
	char local[SS_P0F_SIG_MAX], *start = n >= SS_P0F_SIG_MAX ? buf : local;
	struct obs o;
	size_t len;

	if (!n)
		return 0;
	observe(p, &o);
	len = (size_t)(sig_from_obs(&o, start) - start);
	if (start == local) {
		if (len > n - 1)
			len = n - 1;
		memcpy(buf, local, len);
	}
	buf[len] = '\0';
	return len;
}

/* ---- the database ------------------------------------------------------------ */

struct sig {
	int8_t ver;           /* 4, 6, or ANY */
	uint8_t ttl;          /* initial TTL */
	uint8_t olen, opt_cnt, eol_pad;
	uint8_t win_type;     /* enum win_type */
	int8_t pay_class;     /* 0, 1 or ANY */
	uint8_t generic, bad_ttl;
	int16_t wscale;       /* or ANY */
	int32_t mss;          /* or ANY */
	int32_t win;          /* value, modulus or multiplier */
	uint32_t quirks;
	uint8_t layout[P0F_MAX_OPT];
	uint32_t label;       /* index in db->labels */
	uint32_t line;
	int32_t next;         /* the next signature with this option layout; -1 */
};

/* Signatures of one option layout, in file order. */
struct group {
	uint8_t opt_cnt;
	uint8_t layout[P0F_MAX_OPT];
	int32_t first, last;
};

struct direction {
	struct sig *sigs;
	uint32_t nsigs, cap;
	struct group *groups;
	uint32_t ngroups, gcap;
	int32_t *index;       /* hash of the layout -> group, open addressing */
	uint32_t index_mask;
};

struct label {
	char *text;           /* name, then ' ' and flavor when there is one */
	uint8_t app;
};

struct cache_slot {
	struct obs key;
	uint32_t hash;
	struct ss_p0f_result res;
};

#define CACHE_SLOTS 8192      /* 2^13, about 600 KiB */
#define CACHE_PROBES 4

struct ss_p0f_db {
	struct direction dir[2];   /* [0] tcp:request (SYN), [1] tcp:response */
	struct label *labels;
	uint32_t nlabels, lcap;
	char **names;              /* OS and tool names, as first spelled */
	uint32_t nnames, ncap;
	char **classes;
	uint32_t nclasses, ccap;
	struct cache_slot *cache;
	uint64_t hits, misses;
};

static uint32_t layout_hash(uint8_t cnt, const uint8_t *layout)
{
	uint32_t h = 2166136261u ^ cnt;
	uint8_t i;

	for (i = 0; i < cnt; i++)
		h = (h ^ layout[i]) * 16777619u;
	return h;
}

static const struct group *find_group(const struct direction *d, uint8_t cnt, const uint8_t *layout)
{
	uint32_t i;

	if (!d->index)
		return NULL;
	for (i = layout_hash(cnt, layout) & d->index_mask;; i = (i + 1) & d->index_mask) {
		const struct group *g;

		if (d->index[i] < 0)
			return NULL;
		g = &d->groups[d->index[i]];
		if (g->opt_cnt == cnt && !memcmp(g->layout, layout, cnt))
			return g;
	}
}

/* What the walk compares against a signature: a packet (win_type
 * WIN_FIXED, no wildcards) or, when p0f checks a new signature for
 * duplicates, another signature. */
struct probe {
	int8_t ver;
	uint8_t ttl, olen, eol_pad, opt_cnt, win_type, use_mtu;
	int8_t pay_class;
	int16_t wscale, win_multi;
	int32_t mss, win;
	uint32_t quirks;
	const uint8_t *layout;
};

struct found {
	const struct sig *sig;
	uint8_t fuzzy, dist;
};

/*
 * p0f's signature walk (fp_tcp.c, tcp_find_match): the first exact
 * specific signature wins; else the first exact generic one; else the
 * first fuzzy one (quirks: 'df' or 'id+' gone, 'id-' or 'ecn' new; or the
 * TTL above the signature's or more than MAX_DIST below it), unless that
 * is a tool's. With dupe set, only an exact specific match counts.
 */
static void walk(const struct ss_p0f_db *db, const struct direction *d, const struct group *g,
		 const struct probe *t, int dupe, struct found *out)
{
	const struct sig *fmatch = NULL, *gmatch = NULL;
	int32_t i;

	out->sig = NULL;
	out->fuzzy = 0;
	out->dist = 0;
	for (i = g ? g->first : -1; i >= 0; i = d->sigs[i].next) {
		const struct sig *r = &d->sigs[i];
		uint32_t rq = r->quirks;
		int fuzzy = 0;

		/* A signature for both versions ignores the other version's
		 * quirks. */
		if (r->ver == ANY)
			rq &= t->ver == 4 ? ~QB(Q_FLOW) : ~(QB(Q_DF) | QB(Q_NZ_ID) | QB(Q_ZERO_ID));
		if (rq != t->quirks) {
			uint32_t deleted = (rq ^ t->quirks) & rq, added = (rq ^ t->quirks) & t->quirks;

			if (fmatch || (deleted & ~(QB(Q_DF) | QB(Q_NZ_ID))) ||
			    (added & ~(QB(Q_ZERO_ID) | QB(Q_ECN))))
				continue;
			fuzzy = 1;
		}
		if (r->eol_pad != t->eol_pad || r->olen != t->olen)
			continue;
		if (r->bad_ttl) {
			if (r->ttl < t->ttl)
				continue;
		} else if (r->ttl < t->ttl || r->ttl - t->ttl > P0F_MAX_DIST) {
			fuzzy = 1;
		}
		if (r->mss != ANY && r->mss != t->mss)
			continue;
		if (r->wscale != ANY && r->wscale != t->wscale)
			continue;
		if (r->pay_class != ANY && r->pay_class != t->pay_class)
			continue;
		if (t->win_type != WIN_FIXED) {
			if (r->win_type != t->win_type || r->win != t->win)
				continue;
		} else {
			switch (r->win_type) {
			case WIN_FIXED:
				if (r->win != t->win)
					continue;
				break;
			case WIN_MOD:
				if (t->win % r->win)
					continue;
				break;
			case WIN_MSS:
				if (t->use_mtu || r->win != t->win_multi)
					continue;
				break;
			case WIN_MTU:
				if (!t->use_mtu || r->win != t->win_multi)
					continue;
				break;
			default:
				break;
			}
		}
		if (!fuzzy) {
			if (!r->generic) {
				out->sig = r;
				out->dist = (uint8_t)(r->ttl - t->ttl);
				return;
			}
			if (!gmatch)
				gmatch = r;
		} else if (!fmatch) {
			fmatch = r;
		}
	}
	if (dupe)
		return;
	if (gmatch) {
		out->sig = gmatch;
		out->dist = (uint8_t)(gmatch->ttl - t->ttl);
		return;
	}
	/* No fuzzy matches for tools; p0f leaves dist at 0 then. */
	if (fmatch && db->labels[fmatch->label].app)
		return;
	if (!fmatch || fmatch->ttl < t->ttl ||
	    (!fmatch->bad_ttl && fmatch->ttl - t->ttl > P0F_MAX_DIST))
		out->dist = guess_dist(t->ttl);
	else
		out->dist = (uint8_t)(fmatch->ttl - t->ttl);
	out->sig = fmatch;
	out->fuzzy = fmatch != NULL;
}

static void fill_result(const struct ss_p0f_db *db, const struct found *f, struct ss_p0f_result *r)
{
	memset(r, 0, sizeof(*r));
	r->dist = f->dist;
	if (!f->sig)
		return;
	r->label = db->labels[f->sig->label].text;
	r->app = db->labels[f->sig->label].app;
	r->fuzzy = f->fuzzy;
	r->generic = f->sig->generic;
	r->random_ttl = f->sig->bad_ttl;
	r->line = f->sig->line;
}

/* The database's answer for an observation, walked (no cache). */
static void match_obs(struct ss_p0f_db *db, const struct obs *o, struct ss_p0f_result *r)
{
	struct probe t;
	struct found f;

	t = (struct probe){
		.ver = (int8_t)o->ver, .ttl = o->ttl, .olen = o->olen, .eol_pad = o->eol_pad,
		.opt_cnt = o->opt_cnt, .win_type = WIN_FIXED, .pay_class = (int8_t)o->pay_class,
		.wscale = o->wscale, .mss = o->mss, .win = o->win, .quirks = o->quirks,
		.layout = o->layout,
	};
	t.win_multi = obs_win_multiple(o, &t.use_mtu);
	walk(db, &db->dir[o->synack], find_group(&db->dir[o->synack], o->opt_cnt, o->layout), &t, 0,
	     &f);
	fill_result(db, &f, r);
}

const char *ss_p0f_match_result(struct ss_p0f_db *db, const struct ss_p0f_pkt *p,
				struct ss_p0f_result *r)
{
	struct cache_slot *s = NULL;
	struct obs o;
	uint32_t h = obs_hash(&o, observe(p, &o)), i;

	for (i = 0; i < CACHE_PROBES; i++) {
		struct cache_slot *c = &db->cache[(h + i) & (CACHE_SLOTS - 1)];

		if (c->hash == h && obs_equal(&c->key, &o)) {
			db->hits++;
			*r = c->res;
			return r->label;
		}
		if (!s && !c->key.used)
			s = c;
	}
	/* Full: the home slot gives way. */
	if (!s)
		s = &db->cache[h & (CACHE_SLOTS - 1)];
	db->misses++;
	match_obs(db, &o, r);
	s->key = o;
	s->hash = h;
	s->res = *r;
	return r->label;
}

/* ---- both at once, remembered -------------------------------------------------- */

/* A raw_sig this long or shorter is kept in its slot (nearly all are);
 * a longer one is printed again at each use. */
#define DESCR_SIG_INLINE 120

/*
 * The describe cache's key: the packet's fields as observe() reads them,
 * without observe()'s option walk (a third of its time). Numbers p0f only
 * tests for zero are kept as that test; so are the timestamp values, whose
 * bytes are rewritten in the key's copy of the options (00000000 or
 * 00000001) when the walk below steps through the options as p0f's does:
 * p0f reads MSS, window scale, SACK-permitted and timestamps at their
 * standard lengths whatever their length byte says, so with any other
 * length byte on the way the bytes are keyed as they are.
 */
struct dkey {
	uint8_t family, ttl, tos_ecn, ip_opt_len;
	uint8_t flags, ns, opt_len, zeros;          /* zeros: seq, ack, id, urg, flow, pay */
	uint16_t frag_bits, window, syn_mss, ack_b24;
	uint8_t opts[40];
	uint8_t pad[4];
};

_Static_assert(sizeof(struct dkey) == 60, "dkey: no hole");

/* The first len option bytes, zero after, without a copy of a variable
 * length (a library call): the 40 bytes, then the tail cleared. */
static inline void copy_opts(struct dkey *k, const struct ss_p0f_pkt *p, uint32_t len)
{
	uint32_t i;

	memcpy(k->opts, p->opts, sizeof(k->opts));
	for (i = len; i < sizeof(k->opts) && (i & 7); i++)
		k->opts[i] = 0;
	for (; i < sizeof(k->opts); i += 8)
		memset(k->opts + i, 0, 8);
}

static void describe_key(const struct ss_p0f_pkt *p, struct dkey *k)
{
	uint32_t len = p->opt_len > 40 ? 40 : p->opt_len, i = 0, olen, std;
	uint8_t kind;

	memset(k, 0, sizeof(*k));
	k->family = p->family;
	k->ttl = p->ttl;
	k->tos_ecn = p->tos & 3;
	k->ip_opt_len = p->family == 4 ? p->ip_opt_len : 0;
	k->flags = p->flags;
	k->ns = p->doff_res & TCP_NS;
	k->opt_len = (uint8_t)len;
	k->zeros = (uint8_t)((!p->seq) | (!p->ack) << 1 | (!p->ip_id) << 2 | (!p->urg) << 3 |
			     (!(p->flow & 0xfffff)) << 4 | (!p->payload_len) << 5);
	k->frag_bits = p->family == 4 ? (p->ip_frag & (IP4_MBZ | IP4_DF)) : 0;
	k->window = p->window;
	k->syn_mss = (p->flags & TCP_ACK) ? p->syn_mss : 0;
	k->ack_b24 = (uint16_t)((p->ack >> 24) & 1);
	copy_opts(k, p, len);
	while (i < len) {
		kind = p->opts[i];
		if (kind == OPT_EOL)
			return;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return;
		olen = p->opts[i + 1];
		std = kind == OPT_MSS ? 4 : kind == OPT_WS ? 3 : kind == OPT_SOK ? 2 :
		      kind == OPT_TS ? 10 : 0;
		if ((std && olen != std) || olen < 2 || i + olen > len) {
			copy_opts(k, p, len);            /* undo: keyed as they are */
			return;
		}
		if (kind == OPT_TS) {
			uint8_t z1 = !be32(p->opts + i + 2), z2 = !be32(p->opts + i + 6);

			memset(k->opts + i + 2, 0, 8);
			k->opts[i + 5] = !z1;
			k->opts[i + 9] = !z2;
		}
		i += olen;
	}
}

static uint32_t dkey_hash(const struct dkey *k)
{
	uint64_t w[8] = { 0 }, h = 0x9e3779b97f4a7c15ull;
	int i;

	memcpy(w, k, sizeof(*k));
	for (i = 0; i < 8; i++)
		h = (h ^ w[i]) * 0xff51afd7ed558ccdull;
	h ^= h >> 32;
	return (uint32_t)h;
}

static inline int dkey_equal(const struct dkey *a, const struct dkey *b)
{
	uint64_t x[8] = { 0 }, y[8] = { 0 }, d = 0;
	int i;

	memcpy(x, a, sizeof(*a));
	memcpy(y, b, sizeof(*b));
	for (i = 0; i < 8; i++)
		d |= x[i] ^ y[i];
	return !d;
}

struct descr_slot {
	struct dkey key;
	uint8_t used;
	uint8_t sig_len;             /* 0: not kept (longer than DESCR_SIG_INLINE) */
	uint32_t hash;
	struct ss_p0f_result res;
	char sig[DESCR_SIG_INLINE];
};

#define DESCR_SLOTS 4096
#define DESCR_PROBES 4

struct ss_p0f_cache {
	struct ss_p0f_db *db;        /* NULL: signatures only */
	struct descr_slot *slots;
	uint64_t hits, misses;
};

struct ss_p0f_cache *ss_p0f_cache_new(struct ss_p0f_db *db)
{
	struct ss_p0f_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->db = db;
	c->slots = calloc(DESCR_SLOTS, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	return c;
}

void ss_p0f_cache_free(struct ss_p0f_cache *c)
{
	if (!c)
		return;
	free(c->slots);
	free(c);
}

size_t ss_p0f_describe(struct ss_p0f_cache *c, const struct ss_p0f_pkt *p, char *sig,
		       struct ss_p0f_result *r)
{
	struct descr_slot *s = NULL;
	struct dkey k;
	struct obs o;
	uint32_t h, i;
	size_t len;

	describe_key(p, &k);
	h = dkey_hash(&k);
	for (i = 0; i < DESCR_PROBES; i++) {
		struct descr_slot *d = &c->slots[(h + i) & (DESCR_SLOTS - 1)];

		if (d->used && d->hash == h && dkey_equal(&d->key, &k)) {
			c->hits++;
			*r = d->res;
			if (d->sig_len) {
				memcpy(sig, d->sig, d->sig_len);
				sig[d->sig_len] = '\0';
				return d->sig_len;
			}
			observe(p, &o);
			len = (size_t)(sig_from_obs(&o, sig) - sig);
			sig[len] = '\0';
			return len;
		}
		if (!s && !d->used)
			s = d;
	}
	if (!s)
		s = &c->slots[h & (DESCR_SLOTS - 1)];
	c->misses++;
	observe(p, &o);
	len = (size_t)(sig_from_obs(&o, sig) - sig);
	sig[len] = '\0';
	if (c->db)
		match_obs(c->db, &o, r);
	else
		memset(r, 0, sizeof(*r));
	s->key = k;
	s->used = 1;
	s->hash = h;
	s->res = *r;
	s->sig_len = len <= DESCR_SIG_INLINE ? (uint8_t)len : 0;
	if (s->sig_len)
		memcpy(s->sig, sig, len);
	return len;
}

void ss_p0f_describe_stats(const struct ss_p0f_cache *c, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = c->hits;
	if (misses)
		*misses = c->misses;
}

const char *ss_p0f_match(struct ss_p0f_db *db, const struct ss_p0f_pkt *p, int *fuzzy, int *generic)
{
	struct ss_p0f_result r;

	ss_p0f_match_result(db, p, &r);
	if (fuzzy)
		*fuzzy = r.fuzzy;
	if (generic)
		*generic = r.generic;
	return r.label;
}

uint32_t ss_p0f_db_count(const struct ss_p0f_db *db, int synack)
{
	return db->dir[synack ? 1 : 0].nsigs;
}

void ss_p0f_cache_stats(const struct ss_p0f_db *db, uint64_t *hits, uint64_t *misses)
{
	if (hits)
		*hits = db->hits;
	if (misses)
		*misses = db->misses;
}

void ss_p0f_db_free(struct ss_p0f_db *db)
{
	uint32_t i;

	if (!db)
		return;
	for (i = 0; i < 2; i++) {
		free(db->dir[i].sigs);
		free(db->dir[i].groups);
		free(db->dir[i].index);
	}
	for (i = 0; i < db->nlabels; i++)
		free(db->labels[i].text);
	for (i = 0; i < db->nnames; i++)
		free(db->names[i]);
	for (i = 0; i < db->nclasses; i++)
		free(db->classes[i]);
	free(db->labels);
	free(db->names);
	free(db->classes);
	free(db->cache);
	free(db);
}

/* ---- loading p0f.fp ------------------------------------------------------------ */

/* p0f's reader (readfp.c): a line is a [module:direction] header or
 * name = value; label, sys and sig lines come in that order. */
enum fp_state { NEED_SECT, NEED_LABEL, NEED_SYS, NEED_SIG };
enum fp_module { MOD_NONE, MOD_MTU, MOD_TCP, MOD_HTTP };

#define FP_MAX_BYTES (64u << 20)   /* a p0f.fp is ~36 KiB; refuse silly files */
#define FP_MAX_SIGS  (1u << 20)

struct loader {
	struct ss_p0f_db *db;
	const char *path;
	uint32_t line;
	char *err;
	size_t errn;
	enum fp_state state;
	enum fp_module mod;
	uint8_t synack;            /* tcp:response */
	uint8_t generic;           /* of the current label */
	int32_t label;             /* current TCP label, -1 = none */
	uint32_t nsigs;
};

__attribute__((format(printf, 2, 3)))
static int fail(struct loader *l, const char *fmt, ...)
{
	size_t used = 0;
	va_list ap;
	int k;

	if (!l->errn)
		return -1;
	k = l->line ? snprintf(l->err, l->errn, "%s:%u: ", l->path, l->line) :
		      snprintf(l->err, l->errn, "%s: ", l->path);
	if (k > 0)
		used = (size_t)k < l->errn ? (size_t)k : l->errn - 1;
	va_start(ap, fmt);
	vsnprintf(l->err + used, l->errn - used, fmt, ap);
	va_end(ap);
	return -1;
}

static int grow(void **v, uint32_t *cap, uint32_t need, size_t size)
{
	void *n;
	uint32_t c;

	if (need <= *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	while (c < need)
		c *= 2;
	n = realloc(*v, (size_t)c * size);
	if (!n)
		return -1;
	*v = n;
	*cap = c;
	return 0;
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int is_name_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr(P0F_NAME_CHARS, c));
}

/* Digits (possibly none, which p0f's atol reads as 0), capped so that no
 * run of them overflows. */
static const char *digits(const char *s, int64_t *v)
{
	*v = 0;
	while (isdigit((unsigned char)*s)) {
		if (*v < 100000000)
			*v = *v * 10 + (*s - '0');
		s++;
	}
	return s;
}

/* The name's index, interned case-insensitively: p0f prints the spelling
 * it met first, in a label or a sys line. */
static int intern_name(struct loader *l, const char *s, size_t n, uint32_t *id)
{
	struct ss_p0f_db *db = l->db;
	uint32_t i;

	for (i = 0; i < db->nnames; i++)
		if (strlen(db->names[i]) == n && !strncasecmp(db->names[i], s, n)) {
			*id = i;
			return 0;
		}
	if (grow((void **)&db->names, &db->ncap, db->nnames + 1, sizeof(char *)) ||
	    !(db->names[db->nnames] = dup_n(s, n)))
		return fail(l, "out of memory");
	*id = db->nnames++;
	return 0;
}

static int find_class(const struct ss_p0f_db *db, const char *s, size_t n)
{
	uint32_t i;

	for (i = 0; i < db->nclasses; i++)
		if (strlen(db->classes[i]) == n && !strncasecmp(db->classes[i], s, n))
			return (int)i;
	return -1;
}

static int parse_classes(struct loader *l, const char *v)
{
	struct ss_p0f_db *db = l->db;

	while (*v) {
		const char *e;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		for (e = v; isalnum((unsigned char)*e); e++)
			;
		if (e == v || (*e && *e != ','))
			return fail(l, "malformed class list (names of letters and digits, comma-separated)");
		if (grow((void **)&db->classes, &db->ccap, db->nclasses + 1, sizeof(char *)) ||
		    !(db->classes[db->nclasses] = dup_n(v, (size_t)(e - v))))
			return fail(l, "out of memory");
		db->nclasses++;
		v = e;
	}
	return 0;
}

/* label = type:class:name:flavor (mtu: label = text) */
static int parse_label(struct loader *l, const char *v)
{
	struct ss_p0f_db *db = l->db;
	const char *cls, *name, *e;
	uint32_t name_id;
	int app = 0;

	if (l->mod == MOD_MTU) {
		if (!*v)
			return fail(l, "empty MTU label");
		return 0;
	}
	if ((*v != 'g' && *v != 's') || v[1] != ':')
		return fail(l, "label must start with 's:' (specific) or 'g:' (generic)");
	l->generic = *v == 'g';
	cls = v + 2;
	for (e = cls; isalnum((unsigned char)*e) || *e == '!'; e++)
		;
	if (e == cls || *e != ':')
		return fail(l, "malformed label class");
	if (cls[0] == '!' && cls[1] == ':')
		app = 1;
	else if (find_class(db, cls, (size_t)(e - cls)) < 0)
		return fail(l, "unknown class '%.*s' (not in 'classes')", (int)(e - cls), cls);
	name = e + 1;
	for (e = name; is_name_char(*e); e++)
		;
	if (e == name || *e != ':')
		return fail(l, "malformed label name (letters, digits and \"%s\", then ':')",
			    P0F_NAME_CHARS);
	if (intern_name(l, name, (size_t)(e - name), &name_id))
		return -1;
	e++;                          /* the flavor: the rest, maybe empty */

	l->state = app ? NEED_SYS : NEED_SIG;
	l->label = -1;
	if (l->mod != MOD_TCP)
		return 0;
	if (grow((void **)&db->labels, &db->lcap, db->nlabels + 1, sizeof(struct label)))
		return fail(l, "out of memory");
	{
		size_t nl = strlen(db->names[name_id]), fl = strlen(e);
		char *t = malloc(nl + 1 + fl + 1);

		if (!t)
			return fail(l, "out of memory");
		memcpy(t, db->names[name_id], nl);
		if (fl) {
			t[nl] = ' ';
			memcpy(t + nl + 1, e, fl + 1);
		} else {
			t[nl] = '\0';
		}
		db->labels[db->nlabels].text = t;
		db->labels[db->nlabels].app = (uint8_t)app;
	}
	l->label = (int32_t)db->nlabels++;
	return 0;
}

/* sys = name,@class,... (after a tool's label) */
static int parse_sys(struct loader *l, const char *v)
{
	while (*v) {
		const char *e;
		int is_class = 0;
		uint32_t id;

		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (*v == '@') {
			is_class = 1;
			v++;
		}
		for (e = v; is_name_char(*e); e++)
			;
		if (e == v || (*e && *e != ','))
			return fail(l, "malformed sys entry");
		if (is_class) {
			if (find_class(l->db, v, (size_t)(e - v)) < 0)
				return fail(l, "unknown class '%.*s' in sys", (int)(e - v), v);
		} else if (intern_name(l, v, (size_t)(e - v), &id)) {
			return -1;
		}
		v = e;
	}
	return 0;
}

static int parse_mtu_sig(struct loader *l, const char *v)
{
	int64_t mtu;
	const char *e = digits(v, &mtu);

	if (e == v || *e || mtu < 1 || mtu > 65535)
		return fail(l, "MTU signature must be a number from 1 to 65535");
	return 0;
}

static int starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* sig = ver:ittl:olen:mss:wsize,scale:olayout:quirks:pclass */
static int parse_tcp_sig(struct loader *l, const char *v, struct sig *s)
{
	const char *e;
	int64_t n;

	memset(s, 0, sizeof(*s));
	s->next = -1;
	s->line = l->line;
	s->generic = l->generic;

	switch (*v) {
	case '4': s->ver = 4; break;
	case '6': s->ver = 6; break;
	case '*': s->ver = ANY; break;
	default: return fail(l, "IP version must be 4, 6 or *");
	}
	if (v[1] != ':')
		return fail(l, "malformed signature: ':' expected after the IP version");
	v += 2;

	/* ittl, ittl+dist, or ittl- (a tool that randomizes its TTL) */
	e = digits(v, &n);
	if (*e != ':' && *e != '+' && *e != '-')
		return fail(l, "malformed initial TTL");
	if (n < 1 || n > 255)
		return fail(l, "initial TTL must be 1..255");
	v = e + 1;
	if (*e == '-' && e[1] == ':') {
		s->bad_ttl = 1;
		/* p0f steps over "-:" and one more character: the option
		 * length field is read from its second character on. */
		if (!e[2])
			return fail(l, "truncated signature after the initial TTL");
		v = e + 3;
	} else if (*e == '+') {
		int64_t add;

		e = digits(v, &add);
		if (*e != ':')
			return fail(l, "malformed initial TTL distance");
		if (n + add > 255)
			return fail(l, "initial TTL plus distance must be at most 255");
		n += add;
		v = e + 1;
	}
	s->ttl = (uint8_t)n;

	e = digits(v, &n);
	if (*e != ':')
		return fail(l, "malformed IP option length");
	if (n > 255)
		return fail(l, "IP option length must be 0..255");
	s->olen = (uint8_t)n;
	v = e + 1;

	if (v[0] == '*' && v[1] == ':') {
		s->mss = ANY;
		v += 2;
	} else {
		e = digits(v, &n);
		if (*e != ':')
			return fail(l, "malformed MSS");
		if (n > 65535)
			return fail(l, "MSS must be 0..65535");
		s->mss = (int32_t)n;
		v = e + 1;
	}

	if (v[0] == '*' && v[1] == ',') {
		s->win_type = WIN_ANY;
		v += 2;
	} else {
		int64_t lo = 0, hi = 65535;
		const char *what = "window size must be 0..65535";

		if (*v == '%') {
			s->win_type = WIN_MOD;
			lo = 2;
			what = "window modulus ('%N') must be 2..65535";
			v++;
		} else if (starts(v, "mss*") || starts(v, "mtu*")) {
			s->win_type = v[1] == 's' ? WIN_MSS : WIN_MTU;
			lo = 1;
			hi = 1000;
			what = "window multiplier must be 1..1000";
			v += 4;
		}
		e = digits(v, &n);
		if (*e != ',')
			return fail(l, "malformed window size");
		if (n < lo || n > hi)
			return fail(l, "%s", what);
		s->win = (int32_t)n;
		v = e + 1;
	}

	if (v[0] == '*' && v[1] == ':') {
		s->wscale = ANY;
		v += 2;
	} else {
		e = digits(v, &n);
		if (*e != ':')
			return fail(l, "malformed window scale");
		if (n > 255)
			return fail(l, "window scale must be 0..255");
		s->wscale = (int16_t)n;
		v = e + 1;
	}

	while (*v != ':') {
		static const struct { const char *name; uint8_t kind; } opts[] = {
			{ "nop", OPT_NOP }, { "mss", OPT_MSS }, { "ws", OPT_WS },
			{ "sok", OPT_SOK }, { "sack", OPT_SACK }, { "ts", OPT_TS },
		};
		size_t k;

		if (s->opt_cnt >= P0F_MAX_OPT)
			return fail(l, "more than %d TCP options", P0F_MAX_OPT);
		if (starts(v, "eol")) {
			s->layout[s->opt_cnt++] = OPT_EOL;
			if (v[3] != '+')
				return fail(l, "malformed EOL option (eol+N expected)");
			e = digits(v + 4, &n);
			if (!*e)
				return fail(l, "truncated options");
			if (*e != ':')
				return fail(l, "EOL must be the last option");
			if (n > 255)
				return fail(l, "EOL padding must be 0..255");
			s->eol_pad = (uint8_t)n;
			v = e;
		} else if (*v == '?') {
			e = digits(v + 1, &n);
			if (*e != ':' && *e != ',')
				return fail(l, "malformed '?N' option");
			if (n > 255)
				return fail(l, "option kind '?N' must be 0..255");
			s->layout[s->opt_cnt++] = (uint8_t)n;
			v = e;
		} else {
			for (k = 0; k < sizeof(opts) / sizeof(opts[0]); k++)
				if (starts(v, opts[k].name))
					break;
			if (k == sizeof(opts) / sizeof(opts[0]))
				return fail(l, "unknown TCP option in the layout");
			s->layout[s->opt_cnt++] = opts[k].kind;
			v += strlen(opts[k].name);
		}
		if (*v == ':')
			break;
		if (*v != ',')
			return fail(l, "malformed TCP option layout");
		v++;
	}
	v++;

	while (*v != ':') {
		int k;

		for (k = 0; k < Q_COUNT; k++)
			if (!strncmp(v, quirk_toks[k].text, quirk_toks[k].len))
				break;
		if (k == Q_COUNT)
			return fail(l, "unknown quirk");
		if (s->ver == 6 && (k == Q_DF || k == Q_NZ_ID || k == Q_ZERO_ID || k == Q_NZ_MBZ))
			return fail(l, "quirk '%s' is not valid for IPv6", quirk_toks[k].text);
		if (s->ver == 4 && k == Q_FLOW)
			return fail(l, "quirk 'flow' is not valid for IPv4");
		s->quirks |= QB(k);
		v += quirk_toks[k].len;
		if (*v == ':')
			break;
		if (*v != ',')
			return fail(l, "malformed quirks");
		v++;
	}
	v++;

	if (!strcmp(v, "*"))
		s->pay_class = ANY;
	else if (!strcmp(v, "0"))
		s->pay_class = 0;
	else if (!strcmp(v, "+"))
		s->pay_class = 1;
	else
		return fail(l, "payload class must be 0, + or *");
	return 0;
}

/* While loading: the group of the signature's layout, or NULL. */
static struct group *group_of(struct direction *d, const struct sig *s)
{
	uint32_t i;

	for (i = 0; i < d->ngroups; i++)
		if (d->groups[i].opt_cnt == s->opt_cnt &&
		    !memcmp(d->groups[i].layout, s->layout, s->opt_cnt))
			return &d->groups[i];
	return NULL;
}

static struct group *new_group(struct direction *d, const struct sig *s)
{
	if (grow((void **)&d->groups, &d->gcap, d->ngroups + 1, sizeof(struct group)))
		return NULL;
	memset(&d->groups[d->ngroups], 0, sizeof(struct group));
	d->groups[d->ngroups].opt_cnt = s->opt_cnt;
	memcpy(d->groups[d->ngroups].layout, s->layout, s->opt_cnt);
	d->groups[d->ngroups].first = d->groups[d->ngroups].last = -1;
	return &d->groups[d->ngroups++];
}

static int build_index(struct direction *d)
{
	uint32_t size = 16, i;

	while (size < 2 * d->ngroups)
		size *= 2;
	free(d->index);
	d->index = malloc(size * sizeof(int32_t));
	if (!d->index)
		return -1;
	memset(d->index, 0xff, size * sizeof(int32_t));
	d->index_mask = size - 1;
	for (i = 0; i < d->ngroups; i++) {
		uint32_t j = layout_hash(d->groups[i].opt_cnt, d->groups[i].layout) & d->index_mask;

		while (d->index[j] >= 0)
			j = (j + 1) & d->index_mask;
		d->index[j] = (int32_t)i;
	}
	return 0;
}

static int add_tcp_sig(struct loader *l, const char *v)
{
	struct direction *d = &l->db->dir[l->synack];
	struct ss_p0f_db *db = l->db;
	struct group *g;
	struct found f;
	struct probe t;
	struct sig s;

	if (parse_tcp_sig(l, v, &s))
		return -1;
	s.label = (uint32_t)l->label;

	/* p0f refuses a signature that an earlier specific one already
	 * matches exactly, comparing the two as it compares packets. */
	t = (struct probe){
		.ver = s.ver, .ttl = s.ttl, .olen = s.olen, .eol_pad = s.eol_pad,
		.opt_cnt = s.opt_cnt, .win_type = s.win_type, .pay_class = s.pay_class,
		.wscale = s.wscale, .mss = s.mss, .win = s.win, .quirks = s.quirks,
		.layout = s.layout, .win_multi = -1,
	};
	if (s.win_type == WIN_FIXED)
		t.win_multi = win_multiple((uint32_t)s.win, s.mss, 0, s.ver == 6, 0, 0, &t.use_mtu);
	g = group_of(d, &s);
	walk(db, d, g, &t, 1, &f);
	if (f.sig)
		return fail(l, "signature already covered by line %u", f.sig->line);

	if (d->nsigs >= FP_MAX_SIGS)
		return fail(l, "more than %u signatures", FP_MAX_SIGS);
	if (!g)
		g = new_group(d, &s);
	if (!g || grow((void **)&d->sigs, &d->cap, d->nsigs + 1, sizeof(struct sig)))
		return fail(l, "out of memory");
	d->sigs[d->nsigs] = s;
	if (g->last >= 0)
		d->sigs[g->last].next = (int32_t)d->nsigs;
	else
		g->first = (int32_t)d->nsigs;
	g->last = (int32_t)d->nsigs;
	d->nsigs++;
	return 0;
}

static int parse_section(struct loader *l, const char *line)
{
	const char *colon;
	size_t n;

	if (!strcmp(line, "[mtu]")) {
		l->mod = MOD_MTU;
		l->state = NEED_LABEL;
		return 0;
	}
	colon = strchr(line, ':');
	if (!colon)
		return fail(l, "malformed section header (expected [module:direction] or [mtu])");
	n = (size_t)(colon - line - 1);
	if (n == 3 && !strncmp(line + 1, "tcp", 3))
		l->mod = MOD_TCP;
	else if (n == 4 && !strncmp(line + 1, "http", 4))
		l->mod = MOD_HTTP;
	else
		return fail(l, "unknown module '%.*s' (tcp, http or mtu)", (int)n, line + 1);
	if (!strcmp(colon + 1, "request]"))
		l->synack = 0;
	else if (!strcmp(colon + 1, "response]"))
		l->synack = 1;
	else
		return fail(l, "unknown traffic direction '%s' (request] or response])", colon + 1);
	l->state = NEED_LABEL;
	return 0;
}

static int parse_line(struct loader *l, const char *line)
{
	const char *v = line, *eon;
	size_t n;

	if (*line == '[')
		return parse_section(l, line);

	while (isalpha((unsigned char)*v) || *v == '_')
		v++;
	eon = v;
	while (*v == ' ' || *v == '\t')
		v++;
	if (v == line || *v != '=')
		return fail(l, "expected 'name = value' or a [section]");
	v++;
	while (*v == ' ' || *v == '\t')
		v++;
	n = (size_t)(eon - line);

#define IS(word) (n == sizeof(word) - 1 && !strncmp(line, word, n))
	if (IS("classes")) {
		if (l->state != NEED_SECT)
			return fail(l, "'classes' after the first section");
		return parse_classes(l, v);
	}
	if (IS("ua_os")) {
		/* Only HTTP uses it; its content is not checked here. */
		if (l->state != NEED_LABEL || l->mod != MOD_HTTP || l->synack)
			return fail(l, "'ua_os' outside [http:request] before its labels");
		return 0;
	}
	if (IS("label")) {
		if (l->state != NEED_LABEL && l->state != NEED_SIG)
			return fail(l, "misplaced 'label'%s", l->state == NEED_SYS ?
				    " (a tool's label needs a 'sys' line first)" : " (no section yet)");
		if (parse_label(l, v))
			return -1;
		if (l->mod == MOD_MTU)
			l->state = NEED_SIG;
		return 0;
	}
	if (IS("sys")) {
		if (l->state != NEED_SYS)
			return fail(l, "misplaced 'sys' (only after a tool's label, class '!')");
		l->state = NEED_SIG;
		return parse_sys(l, v);
	}
	if (IS("sig")) {
		if (l->state != NEED_SIG)
			return fail(l, "misplaced 'sig'%s", l->state == NEED_SYS ?
				    " (a tool's label needs a 'sys' line first)" : " (no label yet)");
		l->nsigs++;
		if (l->mod == MOD_TCP)
			return add_tcp_sig(l, v);
		if (l->mod == MOD_MTU)
			return parse_mtu_sig(l, v);
		return 0;             /* HTTP signatures are not used here */
	}
#undef IS
	return fail(l, "unknown field '%.*s'", (int)n, line);
}

static char *read_all(struct loader *l, size_t *len)
{
	FILE *f = fopen(l->path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, got;

	if (!f) {
		fail(l, "%s", strerror(errno));
		return NULL;
	}
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > FP_MAX_BYTES + 1) {
				fail(l, "larger than %u bytes", FP_MAX_BYTES);
				goto fail;
			}
			nb = realloc(buf, cap);
			if (!nb) {
				fail(l, "out of memory");
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	if (ferror(f)) {
		fail(l, "read error: %s", strerror(errno));
		goto fail;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	fclose(f);
	free(buf);
	return NULL;
}

struct ss_p0f_db *ss_p0f_db_load(const char *path, char *err, size_t n)
{
	struct loader l = { .path = path, .err = err, .errn = n, .label = -1 };
	char *data = NULL, *cur, *end;
	size_t len = 0;
	int i;

	if (err && n)
		err[0] = '\0';
	l.db = calloc(1, sizeof(*l.db));
	if (!l.db) {
		fail(&l, "out of memory");
		return NULL;
	}
	l.db->cache = calloc(CACHE_SLOTS, sizeof(struct cache_slot));
	if (!l.db->cache) {
		fail(&l, "out of memory");
		goto fail;
	}
	data = read_all(&l, &len);
	if (!data)
		goto fail;

	for (cur = data, end = data + len; cur < end; cur++) {
		char *eol = memchr(cur, '\n', (size_t)(end - cur));

		l.line++;
		if (!eol)
			eol = end;
		*eol = '\0';
		if (memchr(cur, '\0', (size_t)(eol - cur))) {
			fail(&l, "NUL byte in the line");
			goto fail;
		}
		/* A CRLF file: the CR is not part of the value. */
		if (eol > cur && eol[-1] == '\r')
			eol[-1] = '\0';
		while (*cur == ' ' || *cur == '\t')
			cur++;
		if (*cur && *cur != ';' && parse_line(&l, cur))
			goto fail;
		cur = eol;
	}
	l.line = 0;
	if (!l.db->dir[0].nsigs && !l.db->dir[1].nsigs) {
		fail(&l, "no TCP signatures");
		goto fail;
	}
	for (i = 0; i < 2; i++)
		if (build_index(&l.db->dir[i])) {
			fail(&l, "out of memory");
			goto fail;
		}
	free(data);
	return l.db;
fail:
	free(data);
	ss_p0f_db_free(l.db);
	return NULL;
}
