// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The flood view's pure part: ranking, alerts, and the three printouts. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/accounts.h"
#include "out/flood_view.h"
#include "out/latency_view.h"
#include "out/fmt.h"

double flood_incomplete_pct(const struct flood_interval *iv)
{
	if (iv->syn == 0)
		return 0;
	if (iv->established >= iv->syn)
		return 0;
	return 100.0 * (double)(iv->syn - iv->established) / (double)iv->syn;
}

void flood_alerts_update(struct flood_alerts *a, const struct flood_interval *iv)
{
	int now[FLOOD_ALERT_MAX] = { 0 }, i;
	double rate = iv->interval_s > 0 ? iv->syn / iv->interval_s : 0;

	if (a->syn_rate)
		now[FLOOD_ALERT_SYN_RATE] = rate > (double)a->syn_rate;
	/* With no new SYN the share is not defined: an alert on holds while
	 * handshakes are still half-open (the flood's leftovers), and ends
	 * once none is. */
	if (a->incomplete_pct >= 0)
		now[FLOOD_ALERT_INCOMPLETE] = iv->syn > 0 ?
			flood_incomplete_pct(iv) > a->incomplete_pct :
			a->active[FLOOD_ALERT_INCOMPLETE] && iv->half_open > 0;
	for (i = 0; i < FLOOD_ALERT_MAX; i++) {
		a->changed[i] = now[i] == a->active[i] ? 0 : (now[i] ? 1 : -1);
		a->active[i] = now[i];
	}
}

/* Most SYNs first; ties in address order (then port), so equal counts
 * keep their order from one interval to the next and the cut at n is the
 * same whatever order the maps were read in. */
static int cmp_addr(uint8_t fa, const uint32_t *a, uint8_t fb, const uint32_t *b)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a, b, 4 * sizeof(*a)); /* network order: numeric order */
}

static int cmp_target(const void *x, const void *y)
{
	const struct flood_target *a = x, *b = y;
	int c;

	if (a->syn != b->syn)
		return a->syn < b->syn ? 1 : -1;
	c = cmp_addr(a->family, a->addr, b->family, b->addr);
	if (c)
		return c;
	return a->port < b->port ? -1 : a->port > b->port ? 1 : 0;
}

static int cmp_source(const void *x, const void *y)
{
	const struct flood_source *a = x, *b = y;

	if (a->syn != b->syn)
		return a->syn < b->syn ? 1 : -1;
	return cmp_addr(a->family, a->addr, b->family, b->addr);
}

int flood_top_targets(struct flood_target *t, int count, int n)
{
	qsort(t, count, sizeof(*t), cmp_target);
	while (count > 0 && t[count - 1].syn == 0)
		count--;
	return count < n ? count : n;
}

int flood_top_sources(struct flood_source *s, int count, int n)
{
	qsort(s, count, sizeof(*s), cmp_source);
	while (count > 0 && s[count - 1].syn == 0)
		count--;
	return count < n ? count : n;
}

static const char *alert_key[FLOOD_ALERT_MAX] = { "syn_rate", "incomplete" };

static void fmt_target(const struct flood_target *t, char *buf, size_t n)
{
	char a[48];

	ss_fmt_addr(t->family, t->addr, a, sizeof(a));
	snprintf(buf, n, t->family == 6 ? "[%s]:%u" : "%s:%u", a, t->port);
}

/* The counters that say why handshakes fail (whowhy.h), in interval lines. */
static const int tcp_shown[] = {
	SS_TS_LISTEN_OVERFLOWS, SS_TS_LISTEN_DROPS, SS_TS_SYNCOOKIES_SENT, SS_TS_SYNCOOKIES_RECV,
	SS_TS_SYNCOOKIES_FAILED, SS_TS_REQQ_FULL_DROP, SS_TS_REQQ_FULL_DO_COOKIES, SS_TS_SYN_RETRANS,
};
#define NTCP_SHOWN (int)(sizeof(tcp_shown) / sizeof(tcp_shown[0]))

static void print_tcp(FILE *f, const struct flood_interval *iv, const char *sep, int json)
{
	int i, first = 1;

	for (i = 0; i < NTCP_SHOWN; i++) {
		int id = tcp_shown[i];

		if (!(iv->tcp.have & (1u << id)))
			continue;
		fprintf(f, json ? "%s\"%s\":%lu" : "%s%s +%lu", first ? "" : sep, ss_tcpstat_name(id),
			(unsigned long)iv->tcp.v[id]);
		first = 0;
	}
}

static void print_json(FILE *f, const struct flood_interval *iv,
		       const struct flood_alerts *a, int top_n)
{
	char ts[40], addr[48];
	int i, first;

	ss_fmt_utc(iv->ts_ns, ts, sizeof(ts));
	fprintf(f, "{\"type\":\"interval\",\"ts\":\"%s\",\"interval_s\":%.3f,\"syn\":%lu,"
		"\"synack\":%lu,\"established\":%lu,\"rst\":%lu,\"half_open\":%lu,"
		"\"incomplete_pct\":%.1f,\"events\":%lu,\"shed\":%lu,\"lost\":%lu,"
		"\"top_targets\":[", ts, iv->interval_s, (unsigned long)iv->syn,
		(unsigned long)iv->synack, (unsigned long)iv->established,
		(unsigned long)iv->rst, (unsigned long)iv->half_open,
		flood_incomplete_pct(iv), (unsigned long)iv->events,
		(unsigned long)iv->shed, (unsigned long)iv->lost);
	for (i = 0; i < iv->ntargets && i < top_n; i++) {
		ss_fmt_addr(iv->targets[i].family, iv->targets[i].addr, addr, sizeof(addr));
		fprintf(f, "%s{\"addr\":\"%s\",\"port\":%u,\"syn\":%lu}", i ? "," : "", addr,
			iv->targets[i].port, (unsigned long)iv->targets[i].syn);
	}
	fputs("],\"top_sources\":[", f);
	for (i = 0; i < iv->nsources && i < top_n; i++) {
		ss_fmt_addr(iv->sources[i].family, iv->sources[i].addr, addr, sizeof(addr));
		fprintf(f, "%s{\"addr\":\"%s\",\"syn\":%lu}", i ? "," : "", addr,
			(unsigned long)iv->sources[i].syn);
	}
	fputs("],", f);
	if (iv->have_tcp) {
		fputs("\"netns_tcp\":{", f);
		print_tcp(f, iv, ",", 1);
		fputs("},", f);
	}
	fputs("\"syn_to_synack_hist\":", f);
	ss_lat_json(f, &iv->lat[0]);
	fputs(",\"synack_to_ack_hist\":", f);
	ss_lat_json(f, &iv->lat[1]);
	fputs(",\"alerts\":[", f);
	for (i = 0, first = 1; i < FLOOD_ALERT_MAX; i++)
		if (a->active[i]) {
			fprintf(f, "%s\"%s\"", first ? "" : ",", alert_key[i]);
			first = 0;
		}
	fputs("],\"alert_changes\":[", f);
	for (i = 0, first = 1; i < FLOOD_ALERT_MAX; i++)
		if (a->changed[i]) {
			fprintf(f, "%s{\"alert\":\"%s\",\"state\":\"%s\"}", first ? "" : ",",
				alert_key[i], a->changed[i] > 0 ? "start" : "end");
			first = 0;
		}
	fputs("]}\n", f);
}

static void print_alert_changes(FILE *f, const struct flood_interval *iv,
				const struct flood_alerts *a, const char *prefix)
{
	double rate = iv->interval_s > 0 ? iv->syn / iv->interval_s : 0;

	if (a->changed[FLOOD_ALERT_SYN_RATE])
		fprintf(f, "%sALERT %s: SYN rate %.0f/s, threshold %lu/s\n", prefix,
			a->changed[FLOOD_ALERT_SYN_RATE] > 0 ? "START" : "END", rate,
			(unsigned long)a->syn_rate);
	if (a->changed[FLOOD_ALERT_INCOMPLETE])
		fprintf(f, "%sALERT %s: incomplete handshakes %.1f%%, threshold %.1f%%\n", prefix,
			a->changed[FLOOD_ALERT_INCOMPLETE] > 0 ? "START" : "END",
			flood_incomplete_pct(iv), a->incomplete_pct);
}

static void print_line(FILE *f, const struct flood_interval *iv,
		       const struct flood_alerts *a)
{
	double d = iv->interval_s > 0 ? iv->interval_s : 1;
	char ts[40], tgt[64] = "-", src[48] = "-";

	ss_fmt_utc(iv->ts_ns, ts, sizeof(ts));
	if (iv->ntargets)
		fmt_target(&iv->targets[0], tgt, sizeof(tgt));
	if (iv->nsources)
		ss_fmt_addr(iv->sources[0].family, iv->sources[0].addr, src, sizeof(src));
	print_alert_changes(f, iv, a, "");
	fprintf(f, "%s syn/s %.0f synack/s %.0f established/s %.0f rst/s %.0f half-open %lu "
		"incomplete %.1f%% shed/s %.0f lost/s %.0f top-target %s %.0f/s "
		"top-source %s %.0f/s", ts, iv->syn / d, iv->synack / d,
		iv->established / d, iv->rst / d, (unsigned long)iv->half_open,
		flood_incomplete_pct(iv), iv->shed / d, iv->lost / d, tgt,
		iv->ntargets ? iv->targets[0].syn / d : 0.0, src,
		iv->nsources ? iv->sources[0].syn / d : 0.0);
	if (iv->have_tcp) {
		fputs(" tcp ", f);
		print_tcp(f, iv, " ", 0);
	}
	fprintf(f, "%s%s\n", a->active[FLOOD_ALERT_SYN_RATE] ? " [ALERT syn-rate]" : "",
		a->active[FLOOD_ALERT_INCOMPLETE] ? " [ALERT incomplete]" : "");
}

static void print_screen(FILE *f, const char *title, const struct flood_interval *iv,
			 const struct flood_alerts *a, int top_n)
{
	double d = iv->interval_s > 0 ? iv->interval_s : 1;
	char ts[40], left[64], right[48];
	int i, rows;

	ss_fmt_utc(iv->ts_ns, ts, sizeof(ts));
	fputs("\033[H\033[2J", f); /* home, clear */
	fprintf(f, "synscope top - %s - %s - every %.1fs\n\n", title, ts, iv->interval_s);
	fprintf(f, "  SYN/s %-10.0f SYN-ACK/s %-10.0f established/s %-10.0f RST/s %.0f\n",
		iv->syn / d, iv->synack / d, iv->established / d, iv->rst / d);
	fprintf(f, "  half-open %-8lu incomplete %5.1f%%   events/s %.0f  shed/s %.0f"
		"  lost/s %.0f\n", (unsigned long)iv->half_open, flood_incomplete_pct(iv),
		iv->events / d, iv->shed / d, iv->lost / d);
	if (iv->have_tcp) {
		fputs("  TCP (namespace): ", f);
		print_tcp(f, iv, "  ", 0);
		fputc('\n', f);
	}
	if (a->active[FLOOD_ALERT_SYN_RATE])
		fprintf(f, "  ALERT: SYN rate above %lu/s\n", (unsigned long)a->syn_rate);
	if (a->active[FLOOD_ALERT_INCOMPLETE])
		fprintf(f, "  ALERT: incomplete handshakes above %.1f%%\n", a->incomplete_pct);
	fprintf(f, "\n  %-40s %10s    %-40s %10s\n", "TOP TARGETS", "SYN/s", "TOP SOURCES", "SYN/s");
	rows = iv->ntargets > iv->nsources ? iv->ntargets : iv->nsources;
	for (i = 0; i < rows && i < top_n; i++) {
		char lr[16] = "", rr[16] = "";

		left[0] = right[0] = '\0';
		if (i < iv->ntargets) {
			fmt_target(&iv->targets[i], left, sizeof(left));
			snprintf(lr, sizeof(lr), "%.0f", iv->targets[i].syn / d);
		}
		if (i < iv->nsources) {
			ss_fmt_addr(iv->sources[i].family, iv->sources[i].addr, right, sizeof(right));
			snprintf(rr, sizeof(rr), "%.0f", iv->sources[i].syn / d);
		}
		fprintf(f, "  %-40s %10s    %-40s %10s\n", left, lr, right, rr);
	}
	if (iv->lat[0].count || iv->lat[1].count) {
		fputc('\n', f);
		ss_lat_print(f, "  ", &iv->lat[0], &iv->lat[1]);
	}
	fflush(f);
}

void flood_print(FILE *f, enum flood_style style, const char *title,
		 const struct flood_interval *iv, const struct flood_alerts *a, int top_n)
{
	switch (style) {
	case FLOOD_JSON:
		print_json(f, iv, a, top_n);
		break;
	case FLOOD_LINE:
		print_line(f, iv, a);
		break;
	case FLOOD_SCREEN:
		print_screen(f, title, iv, a, top_n);
		break;
	}
}

void flood_print_summary(FILE *f, const struct hs_stats *st, const struct ss_accounts *a,
			 const uint64_t *c)
{
	fprintf(f, "{\"type\":\"summary\",\"handshakes\":{\"established\":%lu,\"refused\":%lu,"
		"\"reset\":%lu,\"timeout\":%lu,\"open\":%lu,\"evicted\":%lu},"
		"\"events\":{\"written\":%lu,\"lost\":%lu,\"shed\":%lu},",
		(unsigned long)st->outcomes[HS_ESTABLISHED], (unsigned long)st->outcomes[HS_REFUSED],
		(unsigned long)st->outcomes[HS_RESET], (unsigned long)st->outcomes[HS_TIMEOUT],
		(unsigned long)st->outcomes[HS_OPEN], (unsigned long)st->evicted,
		(unsigned long)c[SS_C_EVENTS], (unsigned long)c[SS_C_LOST], (unsigned long)c[SS_C_SHED]);
	fprintf(f, "\"completions\":{\"kernel\":%lu,\"recorded\":%lu,\"lost\":%lu,"
		"\"unmatched\":%lu,\"unread\":%lu},"
		"\"syns\":{\"kernel\":%lu,\"recorded\":%lu,\"evicted\":%lu,\"shed\":%lu,"
		"\"lost\":%lu,\"unmatched\":%lu,\"unread\":%lu}}\n",
		(unsigned long)a->completed, (unsigned long)(a->established + a->left_at_count),
		(unsigned long)a->ack_lost, (unsigned long)a->ack_unmatched,
		(unsigned long)a->ack_unread, (unsigned long)a->syns,
		(unsigned long)a->syn_in_records, (unsigned long)a->syn_evicted,
		(unsigned long)a->syn_shed, (unsigned long)a->syn_lost,
		(unsigned long)a->syn_unmatched, (unsigned long)a->syn_unread);
}
