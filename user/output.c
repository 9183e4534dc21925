// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Text for people, JSON lines for pipelines. */
#include <arpa/inet.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include "output.h"

uint64_t ss_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *ss_ifname(uint32_t ifindex, char *buf)
{
	/* Names are looked up once per index; interfaces are few. */
	static struct { uint32_t idx; char name[IF_NAMESIZE]; } cache[32];
	static int ncache;
	int i;

	for (i = 0; i < ncache; i++)
		if (cache[i].idx == ifindex)
			return strcpy(buf, cache[i].name);
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	else if (ncache < (int)(sizeof(cache) / sizeof(cache[0]))) {
		cache[ncache].idx = ifindex;
		strcpy(cache[ncache++].name, buf);
	}
	return buf;
}

static const char *iface(struct ss_out *o, uint32_t ifindex, char *buf)
{
	return o->fixed_ifname ? o->fixed_ifname : ss_ifname(ifindex, buf);
}

void ss_fmt_addr(uint8_t family, const uint32_t *addr, char *buf, size_t n)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, n))
		snprintf(buf, n, "?");
}

/* "addr:port", IPv6 as "[addr]:port". */
static void fmt_endpoint(uint8_t family, const uint32_t *addr, uint16_t port,
			 char *buf, size_t n)
{
	char a[INET6_ADDRSTRLEN];

	ss_fmt_addr(family, addr, a, sizeof(a));
	snprintf(buf, n, family == 6 ? "[%s]:%u" : "%s:%u", a, port);
}

void ss_fmt_utc(int64_t ns, char *buf, size_t n)
{
	time_t sec = ns / 1000000000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(ns % 1000000000 / 1000));
}

/* Time of day with microseconds, like tcpdump. */
static void fmt_clock(int64_t ns, char *buf, size_t n)
{
	time_t sec = ns / 1000000000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, n, "%02d:%02d:%02d.%06ld", tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(ns % 1000000000 / 1000));
}

void ss_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void fmt_latency(int64_t us, char *buf, size_t n)
{
	if (us < 0)
		snprintf(buf, n, "-");
	else if (us < 10000)
		snprintf(buf, n, "%ldus", (long)us);
	else if (us < 10000000)
		snprintf(buf, n, "%.1fms", us / 1000.0);
	else
		snprintf(buf, n, "%.2fs", us / 1e6);
}

/* Option kinds as "2-4-8-1-3", the p0f-style order string. */
static void fmt_kinds(const uint8_t *kinds, int n, char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "-" : "", kinds[i]);
}

static void json_side(FILE *f, const char *name, int have, const struct hs_side *s)
{
	char kinds[64];

	fprintf(f, ",\"%s\":", name);
	if (!have) {
		fputs("null", f);
		return;
	}
	fmt_kinds(s->kinds, s->nkinds, kinds, sizeof(kinds));
	fprintf(f, "{\"win\":%u,\"ttl\":%u,", s->win, s->ttl);
	if (s->present & SS_OPT_MSS)
		fprintf(f, "\"mss\":%u,", s->mss);
	else
		fputs("\"mss\":null,", f);
	if (s->present & SS_OPT_WSCALE)
		fprintf(f, "\"wscale\":%u,", s->wscale);
	else
		fputs("\"wscale\":null,", f);
	fprintf(f, "\"sack_ok\":%s,\"ts_ok\":%s,\"options\":\"%s\"}",
		s->present & SS_OPT_SACK_OK ? "true" : "false",
		s->present & SS_OPT_TS ? "true" : "false", kinds);
}

static void json_latency(FILE *f, const char *key, int64_t us)
{
	if (us < 0)
		fprintf(f, ",\"%s\":null", key);
	else
		fprintf(f, ",\"%s\":%ld", key, (long)us);
}

static uint64_t record_ts(const struct hs_record *r)
{
	if (r->have_syn)
		return r->syn_ts;
	if (r->have_synack)
		return r->synack_ts;
	return r->end_ts;
}

void ss_out_record(struct ss_out *o, const struct hs_record *r)
{
	char ts[40], ifn[IF_NAMESIZE], c[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN];
	int64_t t = (int64_t)record_ts(r) + o->ts_offset_ns;
	FILE *f = o->f;

	if (o->json) {
		ss_fmt_utc(t, ts, sizeof(ts));
		ss_fmt_addr(r->family, r->client, c, sizeof(c));
		ss_fmt_addr(r->family, r->server, s, sizeof(s));
		fprintf(f, "{\"type\":\"handshake\",\"ts\":\"%s\",\"iface\":", ts);
		ss_json_str(f, iface(o, r->ifindex, ifn));
		fprintf(f, ",\"family\":%u,\"client\":\"%s\",\"client_port\":%u,"
			"\"server\":\"%s\",\"server_port\":%u,\"outcome\":\"%s\"",
			r->family, c, r->client_port, s, r->server_port,
			hs_outcome_name(r->outcome));
		json_latency(f, "syn_to_synack_us", r->syn_to_synack_us);
		json_latency(f, "synack_to_ack_us", r->synack_to_ack_us);
		fprintf(f, ",\"syn_retrans\":%u,\"synack_retrans\":%u",
			r->syn_retrans, r->synack_retrans);
		json_side(f, "syn", r->have_syn, &r->syn);
		json_side(f, "synack", r->have_synack, &r->synack);
		fputs("}\n", f);
		return;
	}

	{
		char cl[INET6_ADDRSTRLEN + 8], sv[INET6_ADDRSTRLEN + 8], flow[128];
		char l1[24], l2[24];

		fmt_clock(t, ts, sizeof(ts));
		fmt_endpoint(r->family, r->client, r->client_port, cl, sizeof(cl));
		fmt_endpoint(r->family, r->server, r->server_port, sv, sizeof(sv));
		snprintf(flow, sizeof(flow), "%s -> %s", cl, sv);
		fmt_latency(r->syn_to_synack_us, l1, sizeof(l1));
		fmt_latency(r->synack_to_ack_us, l2, sizeof(l2));
		fprintf(f, "%s  %-10s %-46s %-11s  syn>synack %8s  synack>ack %8s  retrans %u/%u\n",
			ts, iface(o, r->ifindex, ifn), flow, hs_outcome_name(r->outcome),
			l1, l2, r->syn_retrans, r->synack_retrans);
	}
}

static const char *kind_name(uint8_t kind)
{
	switch (kind) {
	case SS_EV_SYN: return "SYN";
	case SS_EV_SYNACK: return "SYN-ACK";
	case SS_EV_ACK: return "ACK";
	case SS_EV_RST: return "RST";
	case SS_EV_FIN: return "FIN";
	default: return "?";
	}
}

/* tcpdump-like option list: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7". */
static void fmt_options(const struct ss_opts *op, char *buf, size_t n)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < op->nkinds && used < n; i++) {
		const char *sep = i ? "," : "";

		switch (op->kinds[i]) {
		case 0: used += snprintf(buf + used, n - used, "%seol", sep); break;
		case 1: used += snprintf(buf + used, n - used, "%snop", sep); break;
		case 2: used += snprintf(buf + used, n - used, "%smss %u", sep, op->mss); break;
		case 3: used += snprintf(buf + used, n - used, "%swscale %u", sep, op->wscale); break;
		case 4: used += snprintf(buf + used, n - used, "%ssackOK", sep); break;
		case 8: used += snprintf(buf + used, n - used, "%sTS val %u ecr %u", sep,
					 op->ts_val, op->ts_ecr); break;
		default: used += snprintf(buf + used, n - used, "%sopt-%u", sep, op->kinds[i]); break;
		}
	}
	if (op->present & SS_OPT_MALFORMED && used < n)
		snprintf(buf + used, n - used, "%smalformed", used ? "," : "");
}

/* The teacher's note for each step of the handshake. */
static void explain(FILE *f, const struct ss_event *e, const char *src, const char *dst)
{
	const struct ss_opts *op = &e->opts;

	switch (e->kind) {
	case SS_EV_SYN:
		fprintf(f, "    -> step 1/3, SYN (synchronize): %s asks %s to open a connection.\n"
			"       It picks its initial sequence number %u and announces",
			src, dst, e->seq);
		if (op->present & SS_OPT_MSS)
			fprintf(f, " the largest segment it accepts (MSS %u)", op->mss);
		if (op->present & SS_OPT_WSCALE)
			fprintf(f, ", window scaling (x%u)", 1u << (op->wscale > 14 ? 14 : op->wscale));
		if (op->present & SS_OPT_SACK_OK)
			fprintf(f, ", selective ACKs");
		if (op->present & SS_OPT_TS)
			fprintf(f, ", timestamps");
		fprintf(f, "%s.\n", op->present & (SS_OPT_MSS | SS_OPT_WSCALE | SS_OPT_SACK_OK | SS_OPT_TS)
			? "" : " no options");
		break;
	case SS_EV_SYNACK:
		fprintf(f, "    -> step 2/3, SYN-ACK: %s accepts. ACK %u = the client's sequence number + 1\n"
			"       (\"I got your SYN\"); SYN with its own initial sequence number %u.\n",
			src, e->ack, e->seq);
		break;
	case SS_EV_ACK:
		fprintf(f, "    -> step 3/3, ACK: %s acknowledges the server's SYN (ack %u = its sequence\n"
			"       number + 1). The handshake is complete: the connection is established.\n",
			src, e->ack);
		break;
	case SS_EV_RST:
		fprintf(f, "    -> RST (reset): %s aborts or refuses the connection with %s. In answer to a\n"
			"       SYN it means nothing listens there: \"connection refused\".\n", src, dst);
		break;
	default:
		break;
	}
}

void ss_out_packet(struct ss_out *o, const struct ss_event *e)
{
	char ts[40], ifn[IF_NAMESIZE], src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8];
	int64_t t = (int64_t)e->ts_ns + o->ts_offset_ns;
	FILE *f = o->f;

	if (o->json) {
		char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

		ss_fmt_utc(t, ts, sizeof(ts));
		ss_fmt_addr(e->family, e->saddr, a, sizeof(a));
		ss_fmt_addr(e->family, e->daddr, b, sizeof(b));
		fprintf(f, "{\"type\":\"packet\",\"ts\":\"%s\",\"iface\":", ts);
		ss_json_str(f, iface(o, e->ifindex, ifn));
		fprintf(f, ",\"dir\":\"%s\",\"family\":%u,\"src\":\"%s\",\"sport\":%u,"
			"\"dst\":\"%s\",\"dport\":%u,\"flags\":\"%s\",\"seq\":%u,\"ack\":%u,"
			"\"win\":%u,\"ttl\":%u}\n",
			e->dir == SS_DIR_OUT ? "out" : "in", e->family, a, e->sport, b,
			e->dport, kind_name(e->kind), e->seq, e->ack, e->window, e->ttl);
		return;
	}
	fmt_clock(t, ts, sizeof(ts));
	fmt_endpoint(e->family, e->saddr, e->sport, src, sizeof(src));
	fmt_endpoint(e->family, e->daddr, e->dport, dst, sizeof(dst));
	fprintf(f, "%s %-8s %-3s %s > %s  %-7s seq %u", ts, iface(o, e->ifindex, ifn),
		e->dir == SS_DIR_OUT ? "out" : "in", src, dst, kind_name(e->kind), e->seq);
	if (e->tcp_flags & SS_TCP_ACK)
		fprintf(f, " ack %u", e->ack);
	fprintf(f, " win %u ttl %u", e->window, e->ttl);
	if (e->kind == SS_EV_SYN || e->kind == SS_EV_SYNACK) {
		char opts[256];

		fmt_options(&e->opts, opts, sizeof(opts));
		fprintf(f, " [%s]", opts);
	}
	fputc('\n', f);
	if (o->explain)
		explain(f, e, src, dst);
}

const char *ss_counter_name(int idx)
{
	static const char *names[SS_C_MAX] = {
		[SS_C_PACKETS] = "packets", [SS_C_NOT_IP] = "not_ip",
		[SS_C_NOT_TCP] = "not_tcp", [SS_C_FRAGMENT] = "fragments",
		[SS_C_BAD_TRUNCATED] = "bad_truncated", [SS_C_BAD_IPV4] = "bad_ipv4",
		[SS_C_BAD_IPV6] = "bad_ipv6", [SS_C_BAD_TCP] = "bad_tcp",
		[SS_C_TCP] = "tcp", [SS_C_FILTERED] = "filtered", [SS_C_SYN] = "syn",
		[SS_C_SYNACK] = "synack", [SS_C_ACK_COMPLETE] = "ack_complete",
		[SS_C_RST] = "rst", [SS_C_FIN] = "fin", [SS_C_BAD_TCP_OPT] = "bad_tcp_options",
		[SS_C_EVENTS] = "events", [SS_C_LOST] = "lost", [SS_C_SAMPLED_OUT] = "sampled_out",
	};

	return idx >= 0 && idx < SS_C_MAX && names[idx] ? names[idx] : "?";
}

void ss_out_summary(FILE *f, const struct hs_stats *st, const uint64_t *c)
{
	uint64_t total = 0;
	int i;

	for (i = 0; i < HS_OUTCOME_MAX; i++)
		total += st->outcomes[i];
	fprintf(f, "synscope: %lu handshakes: %lu established, %lu refused, %lu reset, "
		"%lu timeout, %lu open; %lu flows evicted (table full)\n",
		(unsigned long)total, (unsigned long)st->outcomes[HS_ESTABLISHED],
		(unsigned long)st->outcomes[HS_REFUSED], (unsigned long)st->outcomes[HS_RESET],
		(unsigned long)st->outcomes[HS_TIMEOUT], (unsigned long)st->outcomes[HS_OPEN],
		(unsigned long)st->evicted);
	if (c)
		ss_out_counters(f, c);
}

void ss_out_counters(FILE *f, const uint64_t *c)
{
	fprintf(f, "synscope: packets %lu: tcp %lu (syn %lu, syn-ack %lu, completing ack %lu, "
		"rst %lu, fin %lu, filtered out %lu), not ip %lu, not tcp %lu, fragments %lu, "
		"not parsed %lu (truncated %lu, bad ipv4 %lu, bad ipv6 %lu, bad tcp %lu)\n",
		(unsigned long)c[SS_C_PACKETS], (unsigned long)c[SS_C_TCP],
		(unsigned long)c[SS_C_SYN], (unsigned long)c[SS_C_SYNACK],
		(unsigned long)c[SS_C_ACK_COMPLETE], (unsigned long)c[SS_C_RST],
		(unsigned long)c[SS_C_FIN], (unsigned long)c[SS_C_FILTERED],
		(unsigned long)c[SS_C_NOT_IP], (unsigned long)c[SS_C_NOT_TCP],
		(unsigned long)c[SS_C_FRAGMENT],
		(unsigned long)(c[SS_C_BAD_TRUNCATED] + c[SS_C_BAD_IPV4] + c[SS_C_BAD_IPV6] +
				c[SS_C_BAD_TCP]),
		(unsigned long)c[SS_C_BAD_TRUNCATED], (unsigned long)c[SS_C_BAD_IPV4],
		(unsigned long)c[SS_C_BAD_IPV6], (unsigned long)c[SS_C_BAD_TCP]);
	fprintf(f, "synscope: events %lu written, %lu lost (ring buffer full), %lu sampled out "
		"(rate limit)\n", (unsigned long)c[SS_C_EVENTS], (unsigned long)c[SS_C_LOST],
		(unsigned long)c[SS_C_SAMPLED_OUT]);
}
