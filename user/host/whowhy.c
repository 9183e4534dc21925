// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Who and why (whowhy.h): cgroup lookups, the kernel's verdicts by name,
 * the listeners' queues, and the namespace's TCP statistics sampled into
 * a ring that reaches back past --timeout (for the SYN-cookie inference
 * and the summary). */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "host/cgroup.h"
#include "host/listenq.h"
#include "host/reasons.h"
#include "synscope.h"
#include "host/whowhy.h"
#include "out/fmt.h"

#define WW_SAMPLES 1024
/* Samples at least this far apart; further when --timeout needs it. */
#define WW_PERIOD_MIN_NS (50ull * 1000000)
/* The ring reaches this far behind a timeout: records are emitted a poll
 * period and a slack after their deadline. */
#define WW_REACH_SLACK_NS (2ull * 1000000000)

struct ww_sample {
	/* When the read began and when it ended: the counters hold all that
	 * came before ts0 and nothing that came after ts. */
	uint64_t ts0;
	uint64_t ts;
	struct ss_tcpstat s;
};

struct ss_whowhy {
	struct ss_cgroups *cg;             /* NULL: no cgroup lookups */
	struct ss_tcpstat_reader *tcp;     /* NULL: no statistics */
	const struct ss_reasons *reasons;  /* NULL: no kernel verdicts */
	struct ss_listenq *lq;             /* NULL: no listener queues */
	int causes;                        /* samples are kept */
	uint64_t period_ns;
	struct ww_sample *ring;
	uint32_t head, n;                  /* next slot, samples held */
	struct ww_sample first;            /* the run's first sample */
	int have_first;
	char cookie_basis[224];
	char reason_buf[2][32];            /* a reason the kernel has no name for */
};

struct ss_whowhy *ss_whowhy_new(const struct ss_whowhy_config *c)
{
	struct ss_whowhy *w = calloc(1, sizeof(*w));
	uint64_t reach = c->timeout_ns + WW_REACH_SLACK_NS;
	char err[128];

	if (!w)
		return NULL;
	if (c->cgroups && !(w->cg = ss_cgroups_open()))
		goto fail;
	w->tcp = c->tcp;
	w->causes = c->tcp != NULL;
	w->reasons = c->reasons;
	/* Without sock_diag, no queue is known: nothing said of one. */
	if (c->listeners)
		w->lq = ss_listenq_new(reach, err, sizeof(err));
	if (!(w->ring = calloc(WW_SAMPLES, sizeof(*w->ring))))
		goto fail;
	/* Half the ring covers the reach, so a window is never cut short. */
	w->period_ns = reach / (WW_SAMPLES / 2);
	if (w->period_ns < WW_PERIOD_MIN_NS)
		w->period_ns = WW_PERIOD_MIN_NS;
	return w;
fail:
	ss_whowhy_free(w);
	return NULL;
}

void ss_whowhy_free(struct ss_whowhy *w)
{
	if (!w)
		return;
	ss_cgroups_close(w->cg);
	ss_listenq_free(w->lq);
	free(w->ring);
	free(w);
}

static struct ww_sample *sample_at(const struct ss_whowhy *w, uint32_t i) /* 0: oldest */
{
	return &w->ring[(w->head + WW_SAMPLES - w->n + i) % WW_SAMPLES];
}

static void keep_sample(struct ss_whowhy *w, uint64_t t0, uint64_t t1, const struct ss_tcpstat *st)
{
	struct ww_sample *s = &w->ring[w->head];

	s->s = *st;
	s->ts0 = t0;
	s->ts = t1;
	w->head = (w->head + 1) % WW_SAMPLES;
	if (w->n < WW_SAMPLES)
		w->n++;
	if (!w->have_first) {
		w->first = *s;
		w->have_first = 1;
	}
}

static void take_sample(struct ss_whowhy *w, uint64_t now_ns)
{
	struct ss_tcpstat st;

	/* A failed read leaves the ring as it was. The read takes a while:
	 * a packet sent during it may or may not be in the counters, so the
	 * sample is stamped at both ends. */
	if (w->tcp && ss_tcpstat_read(w->tcp, &st) == 0)
		keep_sample(w, now_ns, ss_now_ns(CLOCK_MONOTONIC), &st);
}

void ss_whowhy_add_sample(struct ss_whowhy *w, uint64_t ts_ns, const struct ss_tcpstat *st)
{
	w->causes = 1;
	keep_sample(w, ts_ns, ts_ns, st);
}

void ss_whowhy_sample(struct ss_whowhy *w, uint64_t now_ns, int force)
{
	if (!w)
		return;
	ss_listenq_sample(w->lq, now_ns, force);
	if (!w->causes)
		return;
	if (!force && w->n && now_ns - sample_at(w, w->n - 1)->ts < w->period_ns)
		return;
	take_sample(w, now_ns);
}

/* The latest sample read by t, whose counters cannot hold what came at t
 * (the oldest when none is). */
static const struct ww_sample *sample_before(const struct ss_whowhy *w, uint64_t t)
{
	uint32_t lo = 0, hi = w->n; /* first index with ts > t */

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (sample_at(w, mid)->ts <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return sample_at(w, lo ? lo - 1 : 0);
}

/* The earliest sample whose read began at or after t, so that its
 * counters hold what came at t; taking one now when there is none. */
static const struct ww_sample *sample_after(struct ss_whowhy *w, uint64_t t)
{
	uint32_t lo = 0, hi = w->n; /* first index with ts0 >= t */

	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;

		if (sample_at(w, mid)->ts0 < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n)
		return sample_at(w, lo);
	take_sample(w, ss_now_ns(CLOCK_MONOTONIC));
	return sample_at(w, w->n - 1);
}

static uint64_t moved(const struct ss_tcpstat *a, const struct ss_tcpstat *b, int id)
{
	if (!(a->have & b->have & (1u << id)) || b->v[id] < a->v[id])
		return 0;
	return b->v[id] - a->v[id];
}

/* Append "Name +N" for each counter that moved; returns how many did. */
static int basis(const struct ss_tcpstat *a, const struct ss_tcpstat *b, const int *ids, int nids,
		 char *buf, size_t n)
{
	size_t len = strlen(buf);
	int i, k = 0;

	for (i = 0; i < nids; i++) {
		uint64_t d = moved(a, b, ids[i]);

		if (!d)
			continue;
		k++;
		if (len < n)
			len += (size_t)snprintf(buf + len, n - len, "%s%s +%llu", k > 1 ? ", " : "",
						ss_tcpstat_name(ids[i]), (unsigned long long)d);
	}
	return k;
}

/* What the options say about a cookie: Linux keeps SACK and window scale
 * in a cookie only inside the timestamp, so a SYN without timestamps gets
 * a SYN-ACK with MSS alone. */
static void cookie_options(const struct hs_record *r, char *buf, size_t n)
{
	const struct ss_opts *syn = &r->syn.walk, *sa = &r->synack.walk;
	size_t len = strlen(buf);

	if (!r->have_syn || len >= n)
		return;
	if (syn->present & SS_OPT_TS)
		snprintf(buf + len, n - len, "; options: timestamps echoed (where a cookie keeps SACK "
			 "and window scale)");
	else if ((syn->present & (SS_OPT_SACK_OK | SS_OPT_WSCALE)) &&
		 !(sa->present & (SS_OPT_SACK_OK | SS_OPT_WSCALE)))
		snprintf(buf + len, n - len, "; options: MSS only, though the SYN offered SACK or "
			 "window scale");
}

/* A reason's name, or its number when the kernel's BTF has none. */
static const char *reason(struct ss_whowhy *w, int kind, uint32_t plus1)
{
	const char *s = ss_reason_name(w->reasons, kind, plus1 - 1);
	char *b = w->reason_buf[kind == SS_VD_RST];

	if (s)
		return s;
	snprintf(b, sizeof(w->reason_buf[0]), "%u", plus1 - 1);
	return b;
}

/* The kernel's verdicts on the record's packets: the drop, the RST. The
 * cause is the drop's reason, else the RST's for a handshake refused or
 * reset: a verdict, from the kernel itself. */
static void why_verdict(struct ss_whowhy *w, const struct hs_record *r, struct ss_why *out)
{
	static const char *const packets[] = {
		[SS_EV_SYN] = "syn", [SS_EV_SYNACK] = "syn-ack", [SS_EV_ACK] = "ack",
	};

	if (!w->reasons)
		return;
	if (r->drop_reason) {
		out->drop_reason = reason(w, SS_VD_DROP, r->drop_reason);
		out->drop_packet = r->drop_packet <= SS_EV_ACK && packets[r->drop_packet] ?
				   packets[r->drop_packet] : "?";
		out->drop_dir = r->drop_dir == SS_DIR_OUT ? "out" : "in";
		out->cause = out->drop_reason;
		out->cause_from = "kernel";
	}
	if (r->rst_reason) {
		out->rst_reason = reason(w, SS_VD_RST, r->rst_reason);
		if (!out->cause && (r->outcome == HS_REFUSED || r->outcome == HS_RESET)) {
			out->cause = out->rst_reason;
			out->cause_from = "kernel";
		}
	}
}

/* The server's listener, for a handshake that failed (or whose completing
 * ACK the kernel dropped): its accept queue at its longest while the
 * handshake waited. Full (more waiting than the backlog: the kernel's own
 * test) and no answer to the SYN, no other verdict: that is the cause. */
static void why_queue(struct ss_whowhy *w, const struct hs_record *r, struct ss_why *out)
{
	uint64_t from = r->have_syn ? r->syn_ts : r->have_synack ? r->synack_ts : r->end_ts;
	uint64_t to = r->end_ts ? r->end_ts : ss_now_ns(CLOCK_MONOTONIC);

	if (!w->lq || (r->outcome == HS_ESTABLISHED && !r->drop_reason))
		return;
	if (ss_listenq_at(w->lq, r->family, r->server, r->server_port, from, to, &out->queue_len,
			  &out->queue_backlog))
		return;
	out->have_queue = 1;
	if (!out->cause && !r->have_synack && (r->outcome == HS_TIMEOUT || r->outcome == HS_OPEN) &&
	    out->queue_len > out->queue_backlog) {
		out->cause = "accept queue full";
		out->cause_from = "listener queue";
	}
}

void ss_whowhy_explain(struct ss_whowhy *w, const struct hs_record *r, struct ss_why *out)
{
	memset(out, 0, sizeof(*out));
	if (!w)
		return;
	out->client_cgroup_id = r->have_syn ? r->syn.cgroup_id : 0;
	out->server_cgroup_id = r->have_synack ? r->synack.cgroup_id : 0;
	if (w->cg) {
		if (out->client_cgroup_id) {
			out->client_cgroup = ss_cgroups_path(w->cg, out->client_cgroup_id);
			out->client_unit = ss_cgroups_unit(w->cg, out->client_cgroup_id);
		}
		if (out->server_cgroup_id) {
			out->server_cgroup = ss_cgroups_path(w->cg, out->server_cgroup_id);
			out->server_unit = ss_cgroups_unit(w->cg, out->server_cgroup_id);
		}
	}
	why_verdict(w, r, out);
	why_queue(w, r, out);
	if (!w->causes || !w->n)
		return;
	if (r->have_synack && r->synack.dir == SS_DIR_OUT && !r->synack.cgroup_id) {
		static const int sent[] = { SS_TS_SYNCOOKIES_SENT };
		const struct ww_sample *a = sample_before(w, r->synack_ts);
		const struct ww_sample *b = sample_after(w, r->synack_ts);

		strcpy(w->cookie_basis, "sent without a socket; ");
		if (basis(&a->s, &b->s, sent, 1, w->cookie_basis, sizeof(w->cookie_basis))) {
			strncat(w->cookie_basis, " while it was sent",
				sizeof(w->cookie_basis) - strlen(w->cookie_basis) - 1);
			cookie_options(r, w->cookie_basis, sizeof(w->cookie_basis));
			out->synack_cookie = 1;
			out->cookie_basis = w->cookie_basis;
		}
	}
}

int ss_whowhy_totals(const struct ss_whowhy *w, struct ss_tcpstat *first, struct ss_tcpstat *last)
{
	if (!w || !w->have_first || !w->n)
		return -1;
	*first = w->first.s;
	*last = sample_at(w, w->n - 1)->s;
	return 0;
}

const char *ss_whowhy_cgroups_off(const struct ss_whowhy *w)
{
	return w->cg ? ss_cgroups_unreachable(w->cg) : NULL;
}

void ss_whowhy_summary(const struct ss_whowhy *w, FILE *f)
{
	static const int shown[] = {
		SS_TS_LISTEN_OVERFLOWS, SS_TS_LISTEN_DROPS, SS_TS_SYNCOOKIES_SENT,
		SS_TS_SYNCOOKIES_RECV, SS_TS_SYNCOOKIES_FAILED, SS_TS_REQQ_FULL_DROP,
		SS_TS_REQQ_FULL_DO_COOKIES, SS_TS_SYN_RETRANS,
	};
	struct ss_tcpstat a, b;
	char line[512] = "";
	size_t len = 0;
	unsigned int i;

	if (ss_whowhy_totals(w, &a, &b))
		return;
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++) {
		if (!(a.have & b.have & (1u << shown[i])))
			continue;
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s +%llu", len ? ", " : "",
					ss_tcpstat_name(shown[i]),
					(unsigned long long)moved(&a, &b, shown[i]));
		if (len >= sizeof(line))
			break;
	}
	fprintf(f, "synscope: TCP statistics of the namespace while tracing: %s\n", line);
}
