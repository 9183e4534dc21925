// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * --metrics' families (see exporter.h). The tracing thread adds each record
 * to its own aggregate (no lock), and copies that aggregate and the
 * counters it read into the published snapshot under a trylock; the
 * metrics thread renders the snapshot under the same lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine/accounts.h"
#include "engine/latency.h"
#include "fleet/exporter.h"

/* A scrape waits this long for a fresh snapshot, then renders the last. */
#define FRESH_WAIT_NS (250ull * 1000000)
/* Published at least this often without a scrape asking. */
#define PUBLISH_PERIOD_NS 1000000000ull

/* One interface and family: its latencies, retransmissions and its
 * handshakes by server port (slot 0: "other", slot i: ports[i - 1]). */
struct exp_series {
	int ifindex;             /* 0: interfaces past SS_EXP_IFACES */
	uint8_t family;
	char name[IF_NAMESIZE];
	struct ss_lat_hist syn_synack, synack_ack;
	uint64_t syn_retrans, synack_retrans;
	uint8_t port_used[SS_EXP_PORTS + 1];
	uint64_t outcomes[SS_EXP_PORTS + 1][HS_OUTCOME_MAX];
};

#define MAX_SERIES (2 * (SS_EXP_IFACES + 1))

/* Failed handshakes by cause: the kernel's reasons, or the listener's
 * queue, or none; a bounded set, the rest under "other". */
#define EXP_CAUSES 64

struct exp_cause {
	char cause[40];
	char from[16];                  /* "kernel", "listener queue", "none" */
	uint64_t n;
};

struct exp_agg {
	int ncauses;
	struct exp_cause causes[EXP_CAUSES + 1];
	uint64_t cookies;               /* SYN-ACKs inferred to carry a cookie */
	int nports;
	uint16_t ports[SS_EXP_PORTS];
	int nseries;
	struct exp_series series[MAX_SERIES];
};

/* The published snapshot: the aggregate and the inputs, copied. */
struct exp_snapshot {
	uint64_t seq;
	int have_hs, have_tcp;
	uint64_t established_unprinted;
	struct hs_stats hs;
	struct ss_tcpstat tcp;
	uint64_t events_read, pending;
	int nifaces;
	struct ss_iface_counters ifaces[SS_EXP_IFACES + 1];
	struct exp_agg agg;
};

struct ss_exporter {
	/* the tracing thread's own */
	struct exp_agg agg;
	uint8_t port_slot[65536];   /* server port -> slot (0: none yet) */
	int last_series;            /* the series the last record went to */
	uint64_t last_publish_ns;
	/* shared */
	atomic_int want;            /* a scrape asks for a fresh snapshot */
	pthread_mutex_t lock;
	pthread_cond_t published;
	struct exp_snapshot pub;    /* under lock */
	double start_time;          /* CLOCK_REALTIME seconds */
};

static const struct {
	const char *family, *label, *help;
} counter_names[SS_C_MAX] = {
	[SS_C_PACKETS] = { "synscope_packets_total", NULL,
			   "Packets the kernel programs saw." },
	[SS_C_NOT_IP] = { "synscope_not_ip_packets_total", NULL,
			  "Packets that are neither IPv4 nor IPv6." },
	[SS_C_NOT_TCP] = { "synscope_not_tcp_packets_total", NULL,
			   "IP packets of another protocol than TCP." },
	[SS_C_FRAGMENT] = { "synscope_fragments_total", NULL,
			    "IP fragments without a whole TCP header." },
	[SS_C_BAD_TRUNCATED] = { "synscope_unparsed_packets_total", "reason=\"truncated\"",
				 "Packets not parsed, by reason (a header past the packet's end, "
				 "bad IPv4 or IPv6 header, bad TCP data offset)." },
	[SS_C_BAD_IPV4] = { "synscope_unparsed_packets_total", "reason=\"bad_ipv4\"", NULL },
	[SS_C_BAD_IPV6] = { "synscope_unparsed_packets_total", "reason=\"bad_ipv6\"", NULL },
	[SS_C_BAD_TCP] = { "synscope_unparsed_packets_total", "reason=\"bad_tcp\"", NULL },
	[SS_C_FILTERED] = { "synscope_filtered_segments_total", NULL,
			    "TCP segments excluded by --port or --host, and SYNs, SYN-ACKs and RSTs by --cgroup." },
	[SS_C_SYN] = { "synscope_segments_total", "kind=\"syn\"",
		       "TCP segments by kind: SYN, SYN-ACK, the ACK that completes a "
		       "handshake, RST, FIN." },
	[SS_C_SYNACK] = { "synscope_segments_total", "kind=\"syn_ack\"", NULL },
	[SS_C_ACK_COMPLETE] = { "synscope_segments_total", "kind=\"completing_ack\"", NULL },
	[SS_C_RST] = { "synscope_segments_total", "kind=\"rst\"", NULL },
	[SS_C_FIN] = { "synscope_segments_total", "kind=\"fin\"", NULL },
	[SS_C_PEND_EVICTED] = { "synscope_pending_evicted_total", NULL,
				"Pending SYN-ACKs younger than --timeout overwritten by another "
				"flow's (their set of the table full)." },
	[SS_C_EVENTS] = { "synscope_events_total", NULL,
			  "Events written to the ring buffer." },
	/* SS_C_LOST and SS_C_SHED, the totals, are the sums of these. */
	[SS_C_LOST_SYN] = { "synscope_events_lost_total", "kind=\"syn\"",
			    "Events dropped because the ring buffer was full, by kind." },
	[SS_C_LOST_SYNACK] = { "synscope_events_lost_total", "kind=\"syn_ack\"", NULL },
	[SS_C_LOST_ACK] = { "synscope_events_lost_total", "kind=\"completing_ack\"", NULL },
	[SS_C_LOST_RST] = { "synscope_events_lost_total", "kind=\"rst\"", NULL },
	[SS_C_SHED_SYN] = { "synscope_events_shed_total", "kind=\"syn\"",
			    "SYN and RST events shed because the consumer fell behind (the ring "
			    "half full) or past --event-rate; SYN-ACKs and completing ACKs are "
			    "never shed." },
	[SS_C_SHED_RST] = { "synscope_events_shed_total", "kind=\"rst\"", NULL },
};

const char *ss_exporter_counter_family(int counter, const char **label)
{
	if (counter < 0 || counter >= SS_C_MAX)
		return NULL;
	if (label)
		*label = counter_names[counter].label;
	return counter_names[counter].family;
}

struct ss_exporter *ss_exporter_new(void)
{
	struct ss_exporter *x = calloc(1, sizeof(*x));
	pthread_condattr_t ca;
	struct timespec now;

	if (!x)
		return NULL;
	x->last_series = -1;
	pthread_mutex_init(&x->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&x->published, &ca);
	pthread_condattr_destroy(&ca);
	clock_gettime(CLOCK_REALTIME, &now);
	x->start_time = (double)now.tv_sec + now.tv_nsec / 1e9;
	return x;
}

void ss_exporter_free(struct ss_exporter *x)
{
	if (!x)
		return;
	pthread_cond_destroy(&x->published);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

/* The series of an interface and family; past the cap, the "other"
 * interface's (one per family, made when first needed). */
static struct exp_series *series_of(struct ss_exporter *x, int ifindex, uint8_t family)
{
	struct exp_agg *a = &x->agg;
	struct exp_series *s;
	int i, nreal = 0;

	if (x->last_series >= 0) {
		s = &a->series[x->last_series];
		if (s->ifindex == ifindex && s->family == family)
			return s;
	}
	for (i = 0; i < a->nseries; i++) {
		s = &a->series[i];
		if (s->family == family && s->ifindex == ifindex)
			goto found;
		nreal += s->ifindex != 0;
	}
	/* Two series per interface at most: past the cap the interface is "other". */
	if (nreal >= 2 * SS_EXP_IFACES && ifindex != 0)
		return series_of(x, 0, family);
	if (a->nseries == MAX_SERIES)
		return NULL; /* cannot happen: the cap leaves room for "other" */
	s = &a->series[a->nseries];
	i = a->nseries++;
	memset(s, 0, sizeof(*s));
	s->ifindex = ifindex;
	s->family = family;
	if (!ifindex || !if_indextoname((unsigned int)ifindex, s->name))
		snprintf(s->name, sizeof(s->name), ifindex ? "if%d" : "other", ifindex);
found:
	x->last_series = i;
	return s;
}

static int port_slot(struct ss_exporter *x, uint16_t port)
{
	struct exp_agg *a = &x->agg;

	if (x->port_slot[port])
		return x->port_slot[port];
	if (a->nports == SS_EXP_PORTS)
		return 0;
	a->ports[a->nports++] = port;
	x->port_slot[port] = (uint8_t)a->nports;
	return a->nports;
}

static void count_cause(struct exp_agg *a, const char *cause, const char *from)
{
	int i;

	for (i = 0; i < a->ncauses; i++)
		if (!strcmp(a->causes[i].cause, cause) && !strcmp(a->causes[i].from, from)) {
			a->causes[i].n++;
			return;
		}
	if (a->ncauses == EXP_CAUSES) {
		/* Past the bound: "other", the last row. */
		i = EXP_CAUSES;
		snprintf(a->causes[i].cause, sizeof(a->causes[i].cause), "other");
		snprintf(a->causes[i].from, sizeof(a->causes[i].from), "other");
		a->causes[i].n++;
		return;
	}
	i = a->ncauses++;
	snprintf(a->causes[i].cause, sizeof(a->causes[i].cause), "%s", cause);
	snprintf(a->causes[i].from, sizeof(a->causes[i].from), "%s", from);
	a->causes[i].n = 1;
}

void ss_exporter_record(struct ss_exporter *x, const struct hs_record *r, const struct ss_why *why)
{
	struct exp_series *s = series_of(x, (int)r->ifindex, r->family);
	int slot;

	if (!s || r->outcome >= HS_OUTCOME_MAX)
		return;
	slot = port_slot(x, r->server_port);
	s->port_used[slot] = 1;
	s->outcomes[slot][r->outcome]++;
	ss_lat_add(&s->syn_synack, r->syn_to_synack_us);
	ss_lat_add(&s->synack_ack, r->synack_to_ack_us);
	s->syn_retrans += r->syn_retrans;
	s->synack_retrans += r->synack_retrans;
	if (why && r->outcome != HS_ESTABLISHED)
		count_cause(&x->agg, why->cause ? why->cause : "none",
			    why->cause ? why->cause_from : "none");
	if (why && why->synack_cookie)
		x->agg.cookies++;
}

int ss_exporter_due(struct ss_exporter *x, uint64_t now_ns)
{
	return atomic_load_explicit(&x->want, memory_order_relaxed) ||
	       now_ns - x->last_publish_ns >= PUBLISH_PERIOD_NS;
}

int ss_exporter_publish(struct ss_exporter *x, const struct ss_exp_inputs *in, uint64_t now_ns,
			int wait)
{
	struct exp_snapshot *p = &x->pub;
	int n;

	if (wait)
		pthread_mutex_lock(&x->lock);
	else if (pthread_mutex_trylock(&x->lock))
		return 0;
	p->seq++;
	p->have_hs = in->hs != NULL;
	if (in->hs)
		p->hs = *in->hs;
	p->established_unprinted = in->established_unprinted;
	p->have_tcp = in->tcp != NULL;
	if (in->tcp)
		p->tcp = *in->tcp;
	p->events_read = in->events_read;
	p->pending = in->pending;
	n = in->nifaces < SS_EXP_IFACES + 1 ? in->nifaces : SS_EXP_IFACES + 1;
	memcpy(p->ifaces, in->ifaces, (size_t)n * sizeof(*in->ifaces));
	p->nifaces = n;
	/* Only the series in use: the table is mostly empty. */
	p->agg.ncauses = x->agg.ncauses;
	memcpy(p->agg.causes, x->agg.causes, sizeof(p->agg.causes));
	p->agg.cookies = x->agg.cookies;
	p->agg.nports = x->agg.nports;
	memcpy(p->agg.ports, x->agg.ports, sizeof(p->agg.ports));
	p->agg.nseries = x->agg.nseries;
	memcpy(p->agg.series, x->agg.series, (size_t)x->agg.nseries * sizeof(x->agg.series[0]));
	atomic_store_explicit(&x->want, 0, memory_order_relaxed);
	pthread_cond_broadcast(&x->published);
	pthread_mutex_unlock(&x->lock);
	x->last_publish_ns = now_ns;
	return 1;
}

/* ---- rendering (the metrics thread) --------------------------------------- */

static const char *family_name(uint8_t family)
{
	return family == 6 ? "ipv6" : "ipv4";
}

static void iface_label(char *buf, size_t n, const char *name, const char *extra)
{
	char esc[4 * IF_NAMESIZE + 8];

	ss_prom_escape(esc, sizeof(esc), name);
	snprintf(buf, n, "iface=\"%s\"%s%s", esc, extra ? "," : "", extra ? extra : "");
}

static void render_counters(const struct exp_snapshot *p, struct ss_prom *out)
{
	char labels[192];
	int i, j, k;

	for (i = 0; i < SS_C_MAX; i++) {
		const char *fam = counter_names[i].family;

		/* A family's first counter brings its header and every member. */
		if (!fam || !counter_names[i].help)
			continue;
		ss_prom_family(out, fam, "counter", counter_names[i].help);
		for (j = i; j < SS_C_MAX; j++) {
			if (!counter_names[j].family || strcmp(counter_names[j].family, fam))
				continue;
			for (k = 0; k < p->nifaces; k++) {
				iface_label(labels, sizeof(labels), p->ifaces[k].name, counter_names[j].label);
				ss_prom_u64(out, fam, labels, p->ifaces[k].c[j]);
			}
		}
	}
	ss_prom_family(out, "synscope_tcp_segments_total", "counter",
		       "TCP segments that passed the parser (the packets not counted as anything else).");
	for (k = 0; k < p->nifaces; k++) {
		iface_label(labels, sizeof(labels), p->ifaces[k].name, NULL);
		ss_prom_u64(out, "synscope_tcp_segments_total", labels, ss_counters_tcp(p->ifaces[k].c));
	}
}

static void render_hist(struct ss_prom *out, const char *name, const char *labels,
			const struct ss_lat_hist *h)
{
	double bounds_s[SS_LAT_BUCKETS];
	int i;

	for (i = 0; i < SS_LAT_BUCKETS; i++)
		bounds_s[i] = ss_lat_bounds_us[i] / 1e6;
	ss_prom_histogram(out, name, labels, bounds_s, h->n, SS_LAT_BUCKETS, h->n[SS_LAT_BUCKETS],
			  h->sum_us / 1e6);
}

static void render_handshakes(const struct exp_snapshot *p, struct ss_prom *out)
{
	const struct exp_agg *a = &p->agg;
	char labels[256], extra[128];
	int i, s, o;

	ss_prom_family(out, "synscope_handshakes_total", "counter",
		       "Handshakes reconstructed, by interface, family, server port (the first "
		       "64 seen; the rest are \"other\") and outcome.");
	for (i = 0; i < a->nseries; i++) {
		const struct exp_series *se = &a->series[i];

		for (s = 0; s <= SS_EXP_PORTS; s++) {
			char port[8];

			if (!se->port_used[s])
				continue;
			if (s)
				snprintf(port, sizeof(port), "%u", a->ports[s - 1]);
			else
				snprintf(port, sizeof(port), "other");
			for (o = 0; o < HS_OUTCOME_MAX; o++) {
				snprintf(extra, sizeof(extra), "family=\"%s\",server_port=\"%s\",outcome=\"%s\"",
					 family_name(se->family), port, hs_outcome_name(o));
				iface_label(labels, sizeof(labels), se->name, extra);
				ss_prom_u64(out, "synscope_handshakes_total", labels, se->outcomes[s][o]);
			}
		}
	}
	ss_prom_family(out, "synscope_syn_to_synack_seconds", "histogram",
		       "From the last SYN sent before the SYN-ACK to the SYN-ACK.");
	for (i = 0; i < a->nseries; i++) {
		snprintf(extra, sizeof(extra), "family=\"%s\"", family_name(a->series[i].family));
		iface_label(labels, sizeof(labels), a->series[i].name, extra);
		render_hist(out, "synscope_syn_to_synack_seconds", labels, &a->series[i].syn_synack);
	}
	ss_prom_family(out, "synscope_synack_to_ack_seconds", "histogram",
		       "From the last SYN-ACK sent before the completing ACK to that ACK.");
	for (i = 0; i < a->nseries; i++) {
		snprintf(extra, sizeof(extra), "family=\"%s\"", family_name(a->series[i].family));
		iface_label(labels, sizeof(labels), a->series[i].name, extra);
		render_hist(out, "synscope_synack_to_ack_seconds", labels, &a->series[i].synack_ack);
	}
	ss_prom_family(out, "synscope_retransmissions_total", "counter",
		       "SYN and SYN-ACK retransmissions in the handshakes reconstructed.");
	for (i = 0; i < a->nseries; i++) {
		snprintf(extra, sizeof(extra), "family=\"%s\",packet=\"syn\"", family_name(a->series[i].family));
		iface_label(labels, sizeof(labels), a->series[i].name, extra);
		ss_prom_u64(out, "synscope_retransmissions_total", labels, a->series[i].syn_retrans);
		snprintf(extra, sizeof(extra), "family=\"%s\",packet=\"syn_ack\"", family_name(a->series[i].family));
		iface_label(labels, sizeof(labels), a->series[i].name, extra);
		ss_prom_u64(out, "synscope_retransmissions_total", labels, a->series[i].synack_retrans);
	}
}

static void render_engine(const struct exp_snapshot *p, struct ss_prom *out)
{
	char labels[192];
	int c;

	ss_prom_family(out, "synscope_failed_handshakes_total", "counter",
		       "Handshakes that did not complete, by cause: the kernel's drop or RST reason "
		       "(from=\"kernel\", with CAP_PERFMON), the listener's accept queue seen full "
		       "(from=\"listener queue\"), or none known.");
	for (c = 0; c <= EXP_CAUSES; c++) {
		const struct exp_cause *k = &p->agg.causes[c];
		char cause[96], from[48];

		if (c == EXP_CAUSES ? !k->n : c >= p->agg.ncauses)
			continue;
		ss_prom_escape(cause, sizeof(cause), k->cause);
		ss_prom_escape(from, sizeof(from), k->from);
		snprintf(labels, sizeof(labels), "cause=\"%s\",from=\"%s\"", cause, from);
		ss_prom_u64(out, "synscope_failed_handshakes_total", labels, k->n);
	}
	ss_prom_family(out, "synscope_synack_cookies_total", "counter",
		       "SYN-ACKs inferred to carry a SYN cookie (sent without a socket while the "
		       "namespace sent cookies).");
	ss_prom_u64(out, "synscope_synack_cookies_total", NULL, p->agg.cookies);
	ss_prom_family(out, "synscope_flows_tracked", "gauge", "Handshakes the engine tracks now.");
	ss_prom_u64(out, "synscope_flows_tracked", NULL, p->hs.flows);
	ss_prom_family(out, "synscope_flows_tracked_peak", "gauge", "The most handshakes tracked at once.");
	ss_prom_u64(out, "synscope_flows_tracked_peak", NULL, p->hs.flows_peak);
	ss_prom_family(out, "synscope_flows_evicted_total", "counter",
		       "Handshakes dropped from the engine because --max-flows was reached.");
	ss_prom_u64(out, "synscope_flows_evicted_total", NULL, p->hs.evicted);
	ss_prom_family(out, "synscope_events_ignored_total", "counter",
		       "Events that matched no handshake.");
	ss_prom_u64(out, "synscope_events_ignored_total", NULL, p->hs.ignored);
	ss_prom_family(out, "synscope_malformed_options_total", "counter",
		       "SYN and SYN-ACK events whose TCP options were malformed.");
	ss_prom_u64(out, "synscope_malformed_options_total", NULL, p->hs.bad_options);
}

/* The accounts (engine/accounts.h) over every interface: each family's
 * fates add up to the kernel's count. */
static void render_accounts(const struct exp_snapshot *p, struct ss_prom *out)
{
	uint64_t c[SS_C_MAX] = { 0 };
	struct ss_accounts a;
	int i, k;

	for (k = 0; k < p->nifaces; k++)
		for (i = 0; i < SS_C_MAX; i++)
			c[i] += p->ifaces[k].c[i];
	ss_accounts_make(&a, c, &p->hs, p->established_unprinted);
	ss_prom_family(out, "synscope_completions_total", "counter",
		       "Handshakes the kernel saw complete (its completing ACKs), by what became of "
		       "each: recorded (an established record printed), left_at_count (made after "
		       "-c, not printed), lost (the ring full), unmatched (fit no handshake), unread "
		       "(not read yet, or not decided; 0 at exit).");
	ss_prom_u64(out, "synscope_completions_total", "fate=\"recorded\"", a.established);
	ss_prom_u64(out, "synscope_completions_total", "fate=\"left_at_count\"", a.left_at_count);
	ss_prom_u64(out, "synscope_completions_total", "fate=\"lost\"", a.ack_lost);
	ss_prom_u64(out, "synscope_completions_total", "fate=\"unmatched\"", a.ack_unmatched);
	ss_prom_u64(out, "synscope_completions_total", "fate=\"unread\"", a.ack_unread);
	ss_prom_family(out, "synscope_syns_total", "counter",
		       "SYNs the kernel saw, by what became of each: recorded (in a handshake "
		       "record), evicted (in a flow evicted, the table full), shed (the consumer "
		       "behind, or --event-rate), lost (the ring full), unmatched, unread (not read "
		       "yet, or in a flow still open; 0 at exit).");
	ss_prom_u64(out, "synscope_syns_total", "fate=\"recorded\"", a.syn_in_records);
	ss_prom_u64(out, "synscope_syns_total", "fate=\"evicted\"", a.syn_evicted);
	ss_prom_u64(out, "synscope_syns_total", "fate=\"shed\"", a.syn_shed);
	ss_prom_u64(out, "synscope_syns_total", "fate=\"lost\"", a.syn_lost);
	ss_prom_u64(out, "synscope_syns_total", "fate=\"unmatched\"", a.syn_unmatched);
	ss_prom_u64(out, "synscope_syns_total", "fate=\"unread\"", a.syn_unread);
}

static void render_tcpstat(const struct exp_snapshot *p, struct ss_prom *out)
{
	char labels[96];
	int i;

	ss_prom_family(out, "synscope_netns_tcp_total", "counter",
		       "The network namespace's TCP statistics (/proc/net/netstat TcpExt, "
		       "/proc/net/snmp Tcp), by the kernel's name.");
	for (i = 0; i < SS_TS_MAX; i++) {
		if (!(p->tcp.have & (1u << i)))
			continue;
		snprintf(labels, sizeof(labels), "counter=\"%s\"", ss_tcpstat_name(i));
		ss_prom_u64(out, "synscope_netns_tcp_total", labels, p->tcp.v[i]);
	}
}

void ss_exporter_render(void *arg, struct ss_prom *out)
{
	struct ss_exporter *x = arg;
	struct exp_snapshot *p = &x->pub;
	struct timespec until;
	uint64_t seq;
	char labels[96];

	/* Ask the tracing thread for fresh figures; wait a little for them. */
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += FRESH_WAIT_NS;
	until.tv_sec += until.tv_nsec / 1000000000;
	until.tv_nsec %= 1000000000;
	pthread_mutex_lock(&x->lock);
	seq = p->seq;
	atomic_store_explicit(&x->want, 1, memory_order_relaxed);
	while (p->seq == seq)
		if (pthread_cond_timedwait(&x->published, &x->lock, &until) == ETIMEDOUT)
			break;

	snprintf(labels, sizeof(labels), "version=\"%s\"", SS_VERSION);
	ss_prom_family(out, "synscope_build_info", "gauge", "Always 1; the version is a label.");
	ss_prom_u64(out, "synscope_build_info", labels, 1);
	ss_prom_family(out, "synscope_start_time_seconds", "gauge", "When synscope started (Unix time).");
	ss_prom_double(out, "synscope_start_time_seconds", NULL, x->start_time);
	render_counters(p, out);
	ss_prom_family(out, "synscope_events_read_total", "counter",
		       "Events userspace read from the rings (at exit, the events written).");
	ss_prom_u64(out, "synscope_events_read_total", NULL, p->events_read);
	ss_prom_family(out, "synscope_pending_synacks", "gauge",
		       "SYN-ACKs in the kernel's pending table waiting for their ACK (at the last sweep).");
	ss_prom_u64(out, "synscope_pending_synacks", NULL, p->pending);
	if (p->have_hs) {
		render_handshakes(p, out);
		render_engine(p, out);
		render_accounts(p, out);
	}
	if (p->have_tcp)
		render_tcpstat(p, out);
	pthread_mutex_unlock(&x->lock);
}
