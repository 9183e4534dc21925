/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Heavy SYN sources under spoofing: a count-min sketch per CPU, two epochs
 * (userspace flips ss_epoch each interval, reads and clears the other),
 * and a small candidate table that only sources standing out of the
 * sketch's noise ever enter. An LRU keyed by source would thrash under
 * random spoofed sources; the sketch has a fixed size whatever they do.
 *
 * The hash is here so the kernel and userspace compute the same columns.
 */
#ifndef SS_SKETCH_H
#define SS_SKETCH_H

#define SS_SKETCH_ROWS 4
#define SS_SKETCH_WIDTH 4096           /* power of two */
#define SS_SKETCH_EPOCH_SLOTS (SS_SKETCH_ROWS * SS_SKETCH_WIDTH)
/* Array layout: [epoch][row][column], then one total per epoch. */
#define SS_SKETCH_TOTAL_SLOT(epoch) (2 * SS_SKETCH_EPOCH_SLOTS + (epoch))
#define SS_SKETCH_ENTRIES (2 * SS_SKETCH_EPOCH_SLOTS + 2)

/* A source becomes a candidate when its estimate is at least this many
 * SYNs in the epoch on one CPU, and at least SS_HH_NOISE_FACTOR times the
 * average counter (total / width), which spoofed sources never reach. */
#define SS_HH_MIN_COUNT 32
#define SS_HH_NOISE_FACTOR 8

/* The flood maps' sizes, the same in the kernel (targets, heavy_sources)
 * and in the host build (offline/flood_maps.c): SYNs per target, and the
 * heavy-source candidates. */
#define SS_FLOOD_TARGETS 4096
#define SS_FLOOD_CANDIDATES 1024

struct ss_target_key {
	__u32 addr[4];   /* destination, network order */
	__u16 port;      /* destination port, host order */
	__u8 family;
	__u8 pad;
};

/* SYNs to a target by the sketch's epoch: the kernel counts into the
 * running one, so the closed one is read whole, in the same window as the
 * sketch and its total. Cumulative: a target's share of an epoch is the
 * difference from the last time that epoch closed. */
struct ss_target_count {
	__u64 syn[2];
};

struct ss_source_key {
	__u32 addr[4];
	__u8 family;
	__u8 pad[3];
};

/* Column of addr in one row: a multiply-xorshift mix with a per-row seed. */
static __always_inline __u32 ss_sketch_col(const __u32 *addr, __u32 row)
{
	__u64 h = 0x9e3779b97f4a7c15ull * (row + 1);
	int i;

	for (i = 0; i < 4; i++) {
		h ^= addr[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 33;
	}
	return (__u32)h & (SS_SKETCH_WIDTH - 1);
}

static __always_inline __u32 ss_sketch_slot(__u32 epoch, __u32 row, __u32 col)
{
	return (epoch & 1) * SS_SKETCH_EPOCH_SLOTS + row * SS_SKETCH_WIDTH + col;
}

#endif /* SS_SKETCH_H */
