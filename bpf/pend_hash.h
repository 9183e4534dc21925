/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a flow's entry lives in the pending SYN-ACK table (decide.h):
 * its set and its tag, from a keyed, symmetric flow hash. Apart from
 * decide.h so that the tests can find a flow's set without a decider.
 */
#ifndef SS_PEND_HASH_H
#define SS_PEND_HASH_H

/* Where a flow's pending entry lives. */
struct ss_pend_where {
	__u32 index;        /* its set */
	__u32 tag;          /* 20 bits; bit 0: the direction of the completing
			     * ACK; bit 1 always set, so a used slot is never 0 */
};

static __always_inline __u64 ss_pend_fold6(const __u32 *a, __u16 port)
{
	return ((((__u64)a[0] << 32) | a[1]) * 0x9e3779b97f4a7c15ull) ^
	       ((((__u64)a[2] << 32) | a[3]) * 0xc2b2ae3d27d4eb4full) ^ ((__u64)port << 1 | 1);
}

/*
 * The set and tag of the flow src -> dst. Symmetric: s + d and s ^ d do
 * not depend on the order of the ends, and together they determine the
 * unordered pair. Keyed with a secret (the loader's random key), so that
 * spoofed flows cannot be aimed at one set.
 */
static __always_inline void ss_pend_locate(__u64 key0, __u64 key1, const __u32 *src,
					   const __u32 *dst, __u16 sport, __u16 dport,
					   __u8 family, struct ss_pend_where *w)
{
	__u64 s, d, h;

	if (family == 4) {
		s = (__u64)src[0] << 16 | sport;
		d = (__u64)dst[0] << 16 | dport;
	} else {
		s = ss_pend_fold6(src, sport);
		d = ss_pend_fold6(dst, dport);
	}
	h = ((s + d) ^ key0) * 0xff51afd7ed558ccdull;
	h ^= ((s ^ d) ^ key1) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	w->index = (__u32)h & (SS_PEND_SETS - 1);
	/* 20 bits, from the top. */
	w->tag = ((__u32)(h >> SS_PEND_TAG_SHIFT) & ~3u) | 2u | (s < d ? 1u : 0u);
}

#endif /* SS_PEND_HASH_H */
