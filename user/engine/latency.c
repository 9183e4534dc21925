// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Latency histograms (latency.h). */
#include "engine/latency.h"

const uint64_t ss_lat_bounds_us[SS_LAT_BUCKETS] = {
	10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
};

void ss_lat_add(struct ss_lat_hist *h, int64_t us)
{
	int i = 0;

	if (us < 0)
		return;
	while (i < SS_LAT_BUCKETS && (uint64_t)us > ss_lat_bounds_us[i])
		i++;
	h->n[i]++;
	h->count++;
	h->sum_us += (uint64_t)us;
}

void ss_lat_sub(struct ss_lat_hist *out, const struct ss_lat_hist *a, const struct ss_lat_hist *b)
{
	int i;

	for (i = 0; i <= SS_LAT_BUCKETS; i++)
		out->n[i] = a->n[i] - b->n[i];
	out->count = a->count - b->count;
	out->sum_us = a->sum_us - b->sum_us;
}
