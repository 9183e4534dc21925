// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Latency histograms for the terminal (latency_view.h). */
#include <inttypes.h>
#include "out/latency_view.h"

#define BAR 30

/* "250us", "2.5ms", "10s": a bound as people write it. */
static void fmt_bound(char *buf, size_t n, uint64_t us)
{
	if (us < 1000)
		snprintf(buf, n, "%" PRIu64 "us", us);
	else if (us < 1000000)
		snprintf(buf, n, us % 1000 ? "%.1fms" : "%.0fms", us / 1e3);
	else
		snprintf(buf, n, us % 1000000 ? "%.1fs" : "%.0fs", us / 1e6);
}

static void fmt_mean(char *buf, size_t n, const struct ss_lat_hist *h)
{
	if (!h->count)
		snprintf(buf, n, "-");
	else
		fmt_bound(buf, n, h->sum_us / h->count);
}

static uint64_t fullest(const struct ss_lat_hist *h)
{
	uint64_t m = 0;
	int i;

	for (i = 0; i <= SS_LAT_BUCKETS; i++)
		if (h->n[i] > m)
			m = h->n[i];
	return m;
}

/* One side of a row: the count and its bar; pad: to the side's width. */
static void side(FILE *f, uint64_t n, uint64_t max, int pad)
{
	int len = max ? (int)((n * BAR + max - 1) / max) : 0, i;

	fprintf(f, " %9" PRIu64 " ", n);
	for (i = 0; i < (pad ? BAR : len); i++)
		fputc(i < len ? '#' : ' ', f);
}

void ss_lat_print(FILE *f, const char *prefix, const struct ss_lat_hist *a,
		  const struct ss_lat_hist *b)
{
	uint64_t ma = fullest(a), mb = fullest(b);
	char bound[16], title[64], mean[16];
	int first = -1, last = -1, i;

	for (i = 0; i <= SS_LAT_BUCKETS; i++)
		if (a->n[i] || b->n[i]) {
			if (first < 0)
				first = i;
			last = i;
		}
	if (first < 0)
		return;
	fmt_mean(mean, sizeof(mean), a);
	snprintf(title, sizeof(title), "syn>synack: %" PRIu64 ", mean %s", a->count, mean);
	fprintf(f, "%s%-10s %-*s", prefix, "latency", 10 + BAR, title);
	fmt_mean(mean, sizeof(mean), b);
	fprintf(f, " synack>ack: %" PRIu64 ", mean %s\n", b->count, mean);
	for (i = first; i <= last; i++) {
		fmt_bound(bound, sizeof(bound), ss_lat_bounds_us[i < SS_LAT_BUCKETS ? i : SS_LAT_BUCKETS - 1]);
		fprintf(f, "%s  %s %-5s", prefix, i < SS_LAT_BUCKETS ? "<=" : "> ", bound);
		side(f, a->n[i], ma, 1);
		side(f, b->n[i], mb, 0);
		fputc('\n', f);
	}
}

void ss_lat_json(FILE *f, const struct ss_lat_hist *h)
{
	int i;

	fputc('[', f);
	for (i = 0; i <= SS_LAT_BUCKETS; i++)
		fprintf(f, "%s%" PRIu64, i ? "," : "", h->n[i]);
	fputc(']', f);
}
