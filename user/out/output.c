// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Text for people, JSON lines for pipelines. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "engine/accounts.h"
#include "out/fmt.h"
#include "out/output.h"
#include "host/whowhy.h"
#include "engine/p0f.h"
#include "parse.h"

/* ---- the per-record writers (wbuf.h) ------------------------------------ */

/* A text column's width: the widest value seen so far. */
static size_t widen(size_t *col, size_t len)
{
	if (len > *col)
		*col = len;
	return *col;
}

void ss_out_init(struct ss_out *o, int fd, int json, int explain, int line_flush,
		 int64_t ts_offset_ns, const char *fixed_ifname)
{
	memset(o, 0, sizeof(*o));
	wb_init(&o->w, fd);
	o->json = json;
	o->explain = explain;
	o->line_flush = line_flush;
	o->ts_offset_ns = ts_offset_ns;
	o->col_iface = 10;
	o->col_flow = 46;
	o->col_pkt_iface = 8;
	o->col_pkt_flow = 40;
	tcache_init(&o->tc);
	o->p0f = ss_p0f_cache_new(NULL);
	if (fixed_ifname) {
		o->fixed.name = fixed_ifname;
		o->fixed.name_len = strlen(fixed_ifname);
		o->fixed.json = malloc(6 * o->fixed.name_len + 1);
		o->fixed.json_len = o->fixed.json ? fmt_json_body(o->fixed.json, fixed_ifname) : 0;
	}
}

int ss_out_load_p0f(struct ss_out *o, const char *path, char *err, size_t n)
{
	struct ss_p0f_cache *c;
	struct ss_p0f_db *db;

	if (path && !strcmp(path, "none"))
		return 0;
	if (!path && access(SS_P0F_DEFAULT, R_OK) != 0)
		return 0;           /* no p0f installed: signatures only */
	db = ss_p0f_db_load(path ? path : SS_P0F_DEFAULT, err, n);
	if (!db)
		return -1;
	c = ss_p0f_cache_new(db);
	if (!c) {
		ss_p0f_db_free(db);
		snprintf(err, n, "out of memory");
		return -1;
	}
	ss_p0f_cache_free(o->p0f);
	o->p0f = c;
	o->p0f_db = db;
	return 0;
}

void ss_out_free(struct ss_out *o)
{
	ss_p0f_cache_free(o->p0f);
	ss_p0f_db_free(o->p0f_db);
	o->p0f = NULL;
	o->p0f_db = NULL;
	if (o->fixed.json != o->fixed.json_buf)
		free(o->fixed.json);
	o->fixed.json = NULL;
}

int ss_out_flush(struct ss_out *o)
{
	return o->w.len ? wb_flush(&o->w) : -o->w.err;
}

/* The interface's name, as text and as a JSON string body, looked up once
 * per index: ss_ifname() (an index that is gone shows as "ifN", and is
 * asked again next time). Offline, the file's name for every record. */
static const struct ss_out_if *iface(struct ss_out *o, uint32_t ifindex)
{
	struct ss_out_if *f;
	char name[IF_NAMESIZE];
	int i;

	if (o->fixed.name)
		return &o->fixed;
	if (o->nif && o->ifs[o->last_if].ifindex == ifindex)
		return &o->ifs[o->last_if];
	for (i = 0; i < o->nif; i++)
		if (o->ifs[i].ifindex == ifindex) {
			o->last_if = i;
			return &o->ifs[i];
		}
	ss_ifname(ifindex, name);
	if (o->nif < SS_OUT_IFS && if_nametoindex(name) == ifindex) {
		o->last_if = o->nif++;
		f = &o->ifs[o->last_if];
	} else {
		f = &o->scratch;          /* not cached: gone, or too many */
	}
	f->ifindex = ifindex;
	snprintf(f->name_buf, sizeof(f->name_buf), "%s", name);
	f->name = f->name_buf;
	f->name_len = strlen(f->name);
	f->json = f->json_buf;
	f->json_len = fmt_json_body(f->json_buf, f->name);
	return f;
}

void ss_out_iface_seen(struct ss_out *o, uint32_t ifindex)
{
	iface(o, ifindex);
}

static void put_json_iface(struct ss_out *o, const struct ss_out_if *f)
{
	wb_char(&o->w, '"');
	wb_mem(&o->w, f->json, f->json_len);
	wb_char(&o->w, '"');
}

/* "addr:port", IPv6 as "[addr]:port". */
static size_t fmt_endpoint(char *p, uint8_t family, const uint32_t *addr, uint16_t port)
{
	size_t n = 0;

	if (family == 6)
		p[n++] = '[';
	n += fmt_addr(p + n, family, addr);
	if (family == 6)
		p[n++] = ']';
	p[n++] = ':';
	return n + fmt_u64(p + n, port);
}

/* What the stdio writer printed: "-", "%ldus", "%.1fms", "%.2fs". */
static size_t fmt_latency(char *p, int64_t us)
{
	size_t n;

	if (us < 0) {
		p[0] = '-';
		return 1;
	}
	if (us < 10000) {
		n = fmt_i64(p, us);
		memcpy(p + n, "us", 2);
		return n + 2;
	}
	if (us < 10000000) {
		n = fmt_fixed(p, us / 1000.0, 1);
		memcpy(p + n, "ms", 2);
		return n + 2;
	}
	n = fmt_fixed(p, us / 1e6, 2);
	p[n] = 's';
	return n + 1;
}

/* Option kinds as "2-4-8-1-3", the p0f-style order string. */
static size_t fmt_kinds(char *p, const struct ss_opts *op)
{
	size_t n = 0;

	for (int i = 0; i < op->nkinds; i++) {
		if (i)
			p[n++] = '-';
		n += fmt_u64(p + n, op->kinds[i]);
	}
	return n;
}

/* What p0f reads of a side. syn_mss: for a SYN-ACK, the MSS of the SYN
 * it answers (0: none known). */
static void p0f_pkt(const struct hs_side *s, uint8_t family, uint16_t syn_mss,
		    struct ss_p0f_pkt *p)
{
	p->family = family;
	p->ttl = s->ttl;
	p->tos = s->tos;
	p->ip_opt_len = s->ip_opt_len;
	p->ip_id = s->ip_id;
	p->ip_frag = s->ip_frag;
	p->flow = s->flow;
	p->seq = s->seq;
	p->ack = s->ack;
	p->window = s->win;
	p->urg = s->urg;
	p->flags = s->tcp_flags;
	p->doff_res = s->doff_res;
	p->opt_len = s->opt_len;
	memcpy(p->opts, s->opts, sizeof(p->opts));
	p->payload_len = s->payload_len;
	p->syn_mss = syn_mss;
}

/* ,"sig":"...","os":"..." (os null when nothing matched). */
static void put_fingerprint(struct ss_out *o, const struct ss_p0f_pkt *pk, int with_os)
{
	struct ss_wbuf *w = &o->w;
	struct ss_p0f_result res;
	char sig[SS_P0F_SIG_MAX];
	size_t n;

	if (!o->p0f)
		return;
	n = ss_p0f_describe(o->p0f, pk, sig, &res);
	wb_lit(w, ",\"sig\":\"");
	wb_mem(w, sig, n);
	wb_char(w, '"');
	if (!with_os)
		return;
	if (res.label) {
		char esc[6 * 128 + 1];
		size_t len = strlen(res.label);

		wb_lit(w, ",\"os\":\"");
		if (len < 128)
			wb_mem(w, esc, fmt_json_body(esc, res.label));
		wb_char(w, '"');
	} else {
		wb_lit(w, ",\"os\":null");
	}
}

static void json_side(struct ss_out *o, const char *name, size_t name_len, int have,
		      const struct hs_side *s, uint8_t family, uint16_t syn_mss)
{
	struct ss_wbuf *w = &o->w;
	const struct ss_opts *opw = &s->walk;
	char *p;

	wb_room(w, 256);
	p = wb_tail(w);
	*p++ = ',';
	*p++ = '"';
	memcpy(p, name, name_len);
	p += name_len;
	memcpy(p, "\":", 2);
	p += 2;
	if (!have) {
		memcpy(p, "null", 4);
		w->len = (size_t)(p + 4 - w->buf);
		return;
	}
	memcpy(p, "{\"win\":", 7);
	p += 7;
	p += fmt_u64(p, s->win);
	memcpy(p, ",\"ttl\":", 7);
	p += 7;
	p += fmt_u64(p, s->ttl);
	memcpy(p, ",\"mss\":", 7);
	p += 7;
	if (opw->present & SS_OPT_MSS) {
		p += fmt_u64(p, opw->mss);
	} else {
		memcpy(p, "null", 4);
		p += 4;
	}
	memcpy(p, ",\"wscale\":", 10);
	p += 10;
	if (opw->present & SS_OPT_WSCALE) {
		p += fmt_u64(p, opw->wscale);
	} else {
		memcpy(p, "null", 4);
		p += 4;
	}
	if (opw->present & SS_OPT_SACK_OK) {
		memcpy(p, ",\"sack_ok\":true", 15);
		p += 15;
	} else {
		memcpy(p, ",\"sack_ok\":false", 16);
		p += 16;
	}
	if (opw->present & SS_OPT_TS) {
		memcpy(p, ",\"ts_ok\":true", 13);
		p += 13;
	} else {
		memcpy(p, ",\"ts_ok\":false", 14);
		p += 14;
	}
	memcpy(p, ",\"options\":\"", 12);
	p += 12;
	p += fmt_kinds(p, opw);
	*p++ = '"';
	w->len = (size_t)(p - w->buf);
	{
		struct ss_p0f_pkt pk;

		p0f_pkt(s, family, syn_mss, &pk);
		put_fingerprint(o, &pk, o->p0f_db != NULL);
	}
	wb_char(w, '}');
}

static void json_latency(char **pp, const char *key, size_t key_len, int64_t us)
{
	char *p = *pp;

	memcpy(p, key, key_len);
	p += key_len;
	if (us < 0) {
		memcpy(p, "null", 4);
		p += 4;
	} else {
		p += fmt_i64(p, us);
	}
	*pp = p;
}

#define PUT_LIT(p, s) (memcpy(p, s, sizeof(s) - 1), (p) += sizeof(s) - 1)

/* ,"key":"escaped s" — s is a path or a basis, at most PATH_MAX. */
static void json_kv(struct ss_wbuf *w, const char *key, const char *s)
{
	size_t n = strlen(s), k = strlen(key);
	char tmp[4097], *p;

	/* Longer than any path (PATH_MAX): cut, so the room asked for fits. */
	if (n > 4096) {
		memcpy(tmp, s, 4096);
		tmp[4096] = '\0';
		s = tmp;
		n = 4096;
	}
	wb_room(w, k + 6 * n + 8);
	p = wb_tail(w);
	PUT_LIT(p, ",\"");
	memcpy(p, key, k);
	p += k;
	PUT_LIT(p, "\":\"");
	p += fmt_json_body(p, s);
	*p++ = '"';
	w->len = (size_t)(p - w->buf);
}

/* ,"SIDE_cgroup_id":N,"SIDE_cgroup":"...","SIDE_unit":"...", each when
 * known; side is "client" or "server" (the keys are literals per side, no
 * formatting per record). */
static void json_cgroup(struct ss_wbuf *w, int server, uint64_t id, const char *path,
			const char *unit)
{
	if (id) {
		if (server)
			wb_lit(w, ",\"server_cgroup_id\":");
		else
			wb_lit(w, ",\"client_cgroup_id\":");
		wb_u64(w, id);
	}
	if (path)
		json_kv(w, server ? "server_cgroup" : "client_cgroup", path);
	if (unit)
		json_kv(w, server ? "server_unit" : "client_unit", unit);
}

/* Who and why (whowhy.h), only the fields that are known: live traces
 * have them, offline records none, so -r output is unchanged. */
static void json_why(struct ss_wbuf *w, const struct ss_why *y)
{
	char q[32];

	json_cgroup(w, 0, y->client_cgroup_id, y->client_cgroup, y->client_unit);
	json_cgroup(w, 1, y->server_cgroup_id, y->server_cgroup, y->server_unit);
	if (y->cause) {
		json_kv(w, "cause", y->cause);
		json_kv(w, "cause_from", y->cause_from);
	}
	if (y->drop_reason) {
		json_kv(w, "drop_reason", y->drop_reason);
		json_kv(w, "drop_packet", y->drop_packet);
		json_kv(w, "drop_dir", y->drop_dir);
	}
	if (y->rst_reason)
		json_kv(w, "rst_reason", y->rst_reason);
	if (y->have_queue) {
		snprintf(q, sizeof(q), "%u/%u", y->queue_len, y->queue_backlog);
		json_kv(w, "accept_queue", q);
	}
	if (y->synack_cookie) {
		wb_lit(w, ",\"synack_cookie\":true");
		if (y->cookie_basis)
			json_kv(w, "cookie_basis", y->cookie_basis);
	}
}

/* "  client-cgroup PATH (UNIT)": a cgroup that is gone by its id. */
static void text_cgroup(struct ss_wbuf *w, const char *label, uint64_t id, const char *path,
			const char *unit)
{
	if (!id)
		return;
	wb_lit(w, "  ");
	wb_str(w, label);
	wb_char(w, ' ');
	if (path) {
		wb_mem(w, path, strnlen(path, 4096));
	} else {
		wb_lit(w, "id:");
		wb_u64(w, id);
	}
	if (unit) {
		wb_lit(w, " (");
		wb_mem(w, unit, strnlen(unit, 4096));
		wb_char(w, ')');
	}
}

static void text_why(struct ss_wbuf *w, const struct ss_why *y)
{
	int queue_cause = y->cause && y->cause_from && !strcmp(y->cause_from, "listener queue");

	text_cgroup(w, "client-cgroup", y->client_cgroup_id, y->client_cgroup, y->client_unit);
	text_cgroup(w, "server-cgroup", y->server_cgroup_id, y->server_cgroup, y->server_unit);
	/* "cause NETFILTER_DROP (kernel: syn in)", "cause NO_SOCKET (kernel:
	 * rst)", "cause accept queue full (listener queue 2/1)" */
	if (y->cause) {
		wb_lit(w, "  cause ");
		wb_str(w, y->cause);
		wb_lit(w, " (");
		wb_str(w, y->cause_from);
		if (y->cause == y->drop_reason) {
			wb_lit(w, ": ");
			wb_str(w, y->drop_packet);
			wb_char(w, ' ');
			wb_str(w, y->drop_dir);
		} else if (y->cause == y->rst_reason) {
			wb_lit(w, ": rst");
		} else if (queue_cause) {
			wb_char(w, ' ');
			wb_u64(w, y->queue_len);
			wb_char(w, '/');
			wb_u64(w, y->queue_backlog);
		}
		wb_char(w, ')');
	}
	if (y->rst_reason && y->cause != y->rst_reason) {
		wb_lit(w, "  rst-reason ");
		wb_str(w, y->rst_reason);
	}
	if (y->have_queue && !queue_cause) {
		wb_lit(w, "  accept-queue ");
		wb_u64(w, y->queue_len);
		wb_char(w, '/');
		wb_u64(w, y->queue_backlog);
	}
	if (y->synack_cookie)
		wb_lit(w, "  syn-cookie (inferred)");
}

/* What a record lacks of what its outcome implies it had: its SYN (shed,
 * lost, or sent before the trace), and for an established one its
 * SYN-ACK. "syn", "synack", "syn+synack", or NULL: nothing. */
static const char *missing(const struct hs_record *r)
{
	int synack = r->outcome == HS_ESTABLISHED && !r->have_synack;

	if (!r->have_syn)
		return synack ? "syn+synack" : "syn";
	return synack ? "synack" : NULL;
}

static uint64_t record_ts(const struct hs_record *r)
{
	if (r->have_syn)
		return r->syn_ts;
	if (r->have_synack)
		return r->synack_ts;
	return r->end_ts;
}


static void line_end(struct ss_out *o)
{
	if (o->line_flush)
		wb_flush(&o->w);
}

void ss_out_record(struct ss_out *o, const struct hs_record *r, const struct ss_why *why)
{
	int64_t t = (int64_t)record_ts(r) + o->ts_offset_ns;
	const struct ss_out_if *ifc = iface(o, r->ifindex);
	struct ss_wbuf *w = &o->w;
	const char *outcome = hs_outcome_name(r->outcome), *lacks = missing(r);
	char *p;

	if (o->json) {
		wb_room(w, 256);
		p = wb_tail(w);
		PUT_LIT(p, "{\"type\":\"handshake\",\"ts\":\"");
		p += fmt_utc(&o->tc, p, t);
		PUT_LIT(p, "\",\"iface\":");
		w->len = (size_t)(p - w->buf);
		put_json_iface(o, ifc);
		wb_room(w, 512);
		p = wb_tail(w);
		PUT_LIT(p, ",\"family\":");
		p += fmt_u64(p, r->family);
		PUT_LIT(p, ",\"client\":\"");
		p += fmt_addr(p, r->family, r->client);
		PUT_LIT(p, "\",\"client_port\":");
		p += fmt_u64(p, r->client_port);
		PUT_LIT(p, ",\"server\":\"");
		p += fmt_addr(p, r->family, r->server);
		PUT_LIT(p, "\",\"server_port\":");
		p += fmt_u64(p, r->server_port);
		PUT_LIT(p, ",\"outcome\":\"");
		memcpy(p, outcome, strlen(outcome));
		p += strlen(outcome);
		*p++ = '"';
		json_latency(&p, ",\"syn_to_synack_us\":", 20, r->syn_to_synack_us);
		json_latency(&p, ",\"synack_to_ack_us\":", 20, r->synack_to_ack_us);
		PUT_LIT(p, ",\"syn_retrans\":");
		p += fmt_u64(p, r->syn_retrans);
		PUT_LIT(p, ",\"synack_retrans\":");
		p += fmt_u64(p, r->synack_retrans);
		if (lacks) {
			PUT_LIT(p, ",\"missing\":\"");
			memcpy(p, lacks, strlen(lacks));
			p += strlen(lacks);
			*p++ = '"';
		}
		w->len = (size_t)(p - w->buf);
		if (why)
			json_why(w, why);
		json_side(o, "syn", 3, r->have_syn, &r->syn, r->family, 0);
		json_side(o, "synack", 6, r->have_synack, &r->synack, r->family,
			  r->have_syn && (r->syn.walk.present & SS_OPT_MSS) ? r->syn.walk.mss : 0);
		wb_lit(w, "}\n");
		line_end(o);
		return;
	}

	{
		char flow[128], l1[32], l2[32], ts[40];
		size_t nf, n1, n2, nt;

		nt = fmt_clock(&o->tc, ts, t);
		nf = fmt_endpoint(flow, r->family, r->client, r->client_port);
		memcpy(flow + nf, " -> ", 4);
		nf += 4;
		nf += fmt_endpoint(flow + nf, r->family, r->server, r->server_port);
		n1 = fmt_latency(l1, r->syn_to_synack_us);
		n2 = fmt_latency(l2, r->synack_to_ack_us);
		wb_mem(w, ts, nt);
		wb_lit(w, "  ");
		wb_left(w, ifc->name, ifc->name_len, widen(&o->col_iface, ifc->name_len));
		wb_char(w, ' ');
		wb_left(w, flow, nf, widen(&o->col_flow, nf));
		wb_char(w, ' ');
		wb_left(w, outcome, strlen(outcome), 11);
		wb_lit(w, "  syn>synack ");
		wb_right(w, l1, n1, 8);
		wb_lit(w, "  synack>ack ");
		wb_right(w, l2, n2, 8);
		wb_lit(w, "  retrans ");
		wb_u64(w, r->syn_retrans);
		wb_char(w, '/');
		wb_u64(w, r->synack_retrans);
		if (lacks) {
			wb_lit(w, "  missing ");
			wb_mem(w, lacks, strlen(lacks));
		}
		if (why)
			text_why(w, why);
		wb_char(w, '\n');
		line_end(o);
	}
}

/* ---- --explain's ladder ---------------------------------------------------- */

#define LADDER_MIN 44   /* the arrows' width between the two ends */

struct rung {
	int to_server;           /* the arrow's way */
	char label[64];
	int64_t after_us;        /* since the packet before; -1: not shown */
};

/* One arrow of width w: "---- label ---->" or "<--- label -----". */
static void ladder_arrow(struct ss_wbuf *w, const struct rung *g, size_t width)
{
	size_t len = strlen(g->label), body = len + 2, dl = (width - 1 - body) / 2;
	size_t dr = width - 1 - body - dl, i;
	char t[32];

	wb_lit(w, "       |");
	if (!g->to_server)
		wb_char(w, '<');
	for (i = 0; i < dl; i++)
		wb_char(w, '-');
	wb_char(w, ' ');
	wb_mem(w, g->label, len);
	wb_char(w, ' ');
	for (i = 0; i < dr; i++)
		wb_char(w, '-');
	if (g->to_server)
		wb_char(w, '>');
	wb_char(w, '|');
	if (g->after_us >= 0) {
		wb_lit(w, "  +");
		wb_mem(w, t, fmt_latency(t, g->after_us));
	}
	wb_char(w, '\n');
}

/* Two ends on a line: a from the left post, b ending at the right one. */
static void ladder_ends(struct ss_wbuf *w, const char *a, size_t na, const char *b, size_t nb,
			size_t width)
{
	size_t i;

	wb_lit(w, "       ");
	wb_mem(w, a, na);
	for (i = na + nb; i < width + 2; i++)
		wb_char(w, ' ');
	wb_mem(w, b, nb);
	wb_char(w, '\n');
}

static int64_t us_between(uint64_t a, uint64_t b)
{
	return a && b && b >= a ? (int64_t)((b - a) / 1000) : -1;
}

/* What the ladder shows ended how. */
static void ladder_end(char *buf, size_t n, const struct hs_record *r)
{
	char t[32];
	size_t k;

	switch (r->outcome) {
	case HS_ESTABLISHED:
		k = fmt_latency(t, us_between(r->syn_ts, r->ack_ts));
		t[k] = '\0';
		snprintf(buf, n, "established: the connection is open%s%s%s",
			 r->have_syn && r->have_ack ? ", " : "", r->have_syn && r->have_ack ? t : "",
			 r->have_syn && r->have_ack ? " after the first SYN" : "");
		break;
	case HS_REFUSED:
		snprintf(buf, n, "refused: the SYN was answered with a RST (port %u closed, or a "
			 "firewall's reject)", r->server_port);
		break;
	case HS_RESET:
		snprintf(buf, n, "reset by the %s before the handshake completed",
			 r->rst_from_client ? "client" : "server");
		break;
	case HS_TIMEOUT:
		snprintf(buf, n, r->have_synack ? "timed out: the SYN-ACK got no ACK" :
			 "timed out: the SYN got no answer");
		break;
	default:
		snprintf(buf, n, "still open when the trace ended");
	}
}

/* --explain, after a record: its handshake as a ladder, client on the
 * left, server on the right, each packet an arrow with its numbers and
 * the time since the packet before. */
void ss_out_ladder(struct ss_out *o, const struct hs_record *r)
{
	struct ss_wbuf *w = &o->w;
	struct rung g[4];
	char cli[SS_ADDR_MAX + 8], srv[SS_ADDR_MAX + 8], end[160];
	size_t ncli, nsrv, width = LADDER_MIN, i, n = 0;
	uint64_t prev = 0;

	if (o->json)
		return;
	if (r->have_syn) {
		g[n] = (struct rung){ .to_server = 1, .after_us = -1 };
		snprintf(g[n].label, sizeof(g[n].label), r->syn_retrans ? "SYN seq %u (sent %u times)" :
			 "SYN seq %u", r->syn_seq, r->syn_retrans + 1);
		prev = r->syn_ts;
		n++;
	}
	if (r->have_synack) {
		g[n] = (struct rung){ .to_server = 0, .after_us = us_between(prev, r->synack_ts) };
		if (r->synack_retrans)
			snprintf(g[n].label, sizeof(g[n].label), "SYN-ACK seq %u ack %u (sent %u times)",
				 r->synack_seq, r->synack.ack, r->synack_retrans + 1);
		else
			snprintf(g[n].label, sizeof(g[n].label), "SYN-ACK seq %u ack %u",
				 r->synack_seq, r->synack.ack);
		if (r->syn_to_synack_us >= 0)
			g[n].after_us = r->syn_to_synack_us;
		prev = r->synack_ts;
		n++;
	}
	if (r->have_ack) {
		g[n] = (struct rung){ .to_server = 1, .after_us = r->synack_to_ack_us };
		snprintf(g[n].label, sizeof(g[n].label), "ACK ack %u", r->synack_seq + 1);
		if (!r->have_synack)
			snprintf(g[n].label, sizeof(g[n].label), "ACK");
		prev = r->ack_ts;
		n++;
	}
	if (r->outcome == HS_REFUSED || r->outcome == HS_RESET) {
		g[n] = (struct rung){ .to_server = r->rst_from_client,
				      .after_us = us_between(prev, r->end_ts) };
		snprintf(g[n].label, sizeof(g[n].label), "RST");
		n++;
	}
	for (i = 0; i < n; i++)
		if (strlen(g[i].label) + 8 > width)
			width = strlen(g[i].label) + 8;
	ncli = fmt_endpoint(cli, r->family, r->client, r->client_port);
	nsrv = fmt_endpoint(srv, r->family, r->server, r->server_port);
	/* The ends over their posts: the client's from the left one, the
	 * server's ending at the right one. */
	if (ncli + nsrv + 2 > width + 2)
		width = ncli + nsrv + 2;
	ladder_ends(w, "client", 6, "server", 6, width);
	ladder_ends(w, cli, ncli, srv, nsrv, width);
	if (!r->have_syn) {
		wb_lit(w, "       |  (its SYN was not seen)");
		wb_char(w, '\n');
	}
	for (i = 0; i < n; i++)
		ladder_arrow(w, &g[i], width);
	if (r->outcome == HS_TIMEOUT) {
		wb_lit(w, "       |  ... nothing more");
		wb_char(w, '\n');
	}
	ladder_end(end, sizeof(end), r);
	wb_lit(w, "       ");
	wb_mem(w, end, strlen(end));
	wb_lit(w, "\n\n");
	line_end(o);
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

/* tcpdump-like option list: "mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7",
 * cut at 255 bytes as the stdio writer's buffer was. */
static size_t fmt_options(char *buf, const struct ss_opts *op)
{
	char item[64];
	size_t used = 0, n;
	int i;

	for (i = 0; i < op->nkinds; i++) {
		n = 0;
		if (i)
			item[n++] = ',';
		switch (op->kinds[i]) {
		case 0: memcpy(item + n, "eol", 3); n += 3; break;
		case 1: memcpy(item + n, "nop", 3); n += 3; break;
		case 2:
			memcpy(item + n, "mss ", 4);
			n += 4;
			n += fmt_u64(item + n, op->mss);
			break;
		case 3:
			memcpy(item + n, "wscale ", 7);
			n += 7;
			n += fmt_u64(item + n, op->wscale);
			break;
		case 4: memcpy(item + n, "sackOK", 6); n += 6; break;
		case 8:
			memcpy(item + n, "TS val ", 7);
			n += 7;
			n += fmt_u64(item + n, op->ts_val);
			memcpy(item + n, " ecr ", 5);
			n += 5;
			n += fmt_u64(item + n, op->ts_ecr);
			break;
		default:
			memcpy(item + n, "opt-", 4);
			n += 4;
			n += fmt_u64(item + n, op->kinds[i]);
			break;
		}
		if (used + n > 255)
			n = 255 - used;
		memcpy(buf + used, item, n);
		used += n;
		if (used >= 255)
			return used;
	}
	if (op->present & SS_OPT_MALFORMED) {
		const char *m = used ? ",malformed" : "malformed";

		n = strlen(m);
		if (used + n > 255)
			n = 255 - used;
		memcpy(buf + used, m, n);
		used += n;
	}
	return used;
}

/* The teacher's note for each step of the handshake. */
static void explain(struct ss_wbuf *w, const struct ss_event *e, const struct ss_opts *op,
		    const char *src, const char *dst)
{
	switch (e->kind) {
	case SS_EV_SYN:
		wb_printf(w, "    -> step 1/3, SYN (synchronize): %s asks %s to open a connection.\n"
			  "       It picks its initial sequence number %u and announces",
			  src, dst, e->seq);
		if (op->present & SS_OPT_MSS)
			wb_printf(w, " the largest segment it accepts (MSS %u)", op->mss);
		if (op->present & SS_OPT_WSCALE)
			wb_printf(w, ", window scaling (x%u)", 1u << (op->wscale > 14 ? 14 : op->wscale));
		if (op->present & SS_OPT_SACK_OK)
			wb_printf(w, ", selective ACKs");
		if (op->present & SS_OPT_TS)
			wb_printf(w, ", timestamps");
		wb_printf(w, "%s.\n", op->present & (SS_OPT_MSS | SS_OPT_WSCALE | SS_OPT_SACK_OK | SS_OPT_TS)
			  ? "" : " no options");
		break;
	case SS_EV_SYNACK:
		wb_printf(w, "    -> step 2/3, SYN-ACK: %s accepts. ACK %u = the client's sequence number + 1\n"
			  "       (\"I got your SYN\"); SYN with its own initial sequence number %u.\n",
			  src, e->ack, e->seq);
		break;
	case SS_EV_ACK:
		wb_printf(w, "    -> step 3/3, ACK: %s acknowledges the server's SYN (ack %u = its sequence\n"
			  "       number + 1). The handshake is complete: the connection is established.\n",
			  src, e->ack);
		break;
	case SS_EV_RST:
		wb_printf(w, "    -> RST (reset): %s aborts or refuses the connection with %s. In answer to a\n"
			  "       SYN it means nothing listens there: \"connection refused\".\n", src, dst);
		break;
	default:
		break;
	}
}

/* What p0f reads of a SYN or SYN-ACK event (a SYN-ACK's line knows no
 * SYN: its signature tries no multiple of the SYN's MSS). */
static void p0f_pkt_event(const struct ss_event_syn *s, struct ss_p0f_pkt *p)
{
	p->family = s->e.family;
	p->ttl = s->e.ttl;
	p->tos = s->tos;
	p->ip_opt_len = s->ip_opt_len;
	p->ip_id = s->ip_id;
	p->ip_frag = s->ip_frag;
	p->flow = s->flow;
	p->seq = s->e.seq;
	p->ack = s->e.ack;
	p->window = s->e.window;
	p->urg = s->urg;
	p->flags = s->e.tcp_flags;
	p->doff_res = s->doff_res;
	p->opt_len = s->opt_len <= SS_OPT_RAW_SIZE ? s->opt_len : SS_OPT_RAW_SIZE;
	memcpy(p->opts, s->opts, sizeof(p->opts));
	p->payload_len = s->payload_len;
	p->syn_mss = 0;
}

void ss_out_packet(struct ss_out *o, const struct ss_event *e)
{
	int64_t t = (int64_t)e->ts_ns + o->ts_offset_ns;
	const struct ss_out_if *ifc = iface(o, e->ifindex);
	int syn = e->kind == SS_EV_SYN || e->kind == SS_EV_SYNACK;
	const char *kn = kind_name(e->kind);
	const char *dir = e->dir == SS_DIR_OUT ? "out" : e->dir == SS_DIR_IN ? "in" : "-";
	struct ss_wbuf *w = &o->w;
	struct ss_opts op;
	char *p;

	if (syn) {
		const struct ss_event_syn *s = (const struct ss_event_syn *)e;

		ss_walk_tcp_opts(s->opts, s->opt_len, &op);
	}
	if (o->json) {
		wb_room(w, 256);
		p = wb_tail(w);
		PUT_LIT(p, "{\"type\":\"packet\",\"ts\":\"");
		p += fmt_utc(&o->tc, p, t);
		PUT_LIT(p, "\",\"iface\":");
		w->len = (size_t)(p - w->buf);
		put_json_iface(o, ifc);
		wb_room(w, 384);
		p = wb_tail(w);
		/* A capture that does not say which way: null. */
		if (e->dir == SS_DIR_UNKNOWN) {
			PUT_LIT(p, ",\"dir\":null,\"family\":");
		} else {
			PUT_LIT(p, ",\"dir\":\"");
			memcpy(p, dir, strlen(dir));
			p += strlen(dir);
			PUT_LIT(p, "\",\"family\":");
		}
		p += fmt_u64(p, e->family);
		PUT_LIT(p, ",\"src\":\"");
		p += fmt_addr(p, e->family, e->saddr);
		PUT_LIT(p, "\",\"sport\":");
		p += fmt_u64(p, e->sport);
		PUT_LIT(p, ",\"dst\":\"");
		p += fmt_addr(p, e->family, e->daddr);
		PUT_LIT(p, "\",\"dport\":");
		p += fmt_u64(p, e->dport);
		PUT_LIT(p, ",\"flags\":\"");
		memcpy(p, kn, strlen(kn));
		p += strlen(kn);
		PUT_LIT(p, "\",\"seq\":");
		p += fmt_u64(p, e->seq);
		PUT_LIT(p, ",\"ack\":");
		p += fmt_u64(p, e->ack);
		PUT_LIT(p, ",\"win\":");
		p += fmt_u64(p, e->window);
		PUT_LIT(p, ",\"ttl\":");
		p += fmt_u64(p, e->ttl);
		w->len = (size_t)(p - w->buf);
		if (syn) {
			struct ss_p0f_pkt pk;

			p0f_pkt_event((const struct ss_event_syn *)e, &pk);
			put_fingerprint(o, &pk, 0);
		}
		wb_lit(w, "}\n");
		line_end(o);
		return;
	}
	{
		char ts[40], src[SS_ADDR_MAX + 8], dst[SS_ADDR_MAX + 8], flow[2 * sizeof(src) + 4];
		size_t nt = fmt_clock(&o->tc, ts, t);
		size_t ns = fmt_endpoint(src, e->family, e->saddr, e->sport);
		size_t nd = fmt_endpoint(dst, e->family, e->daddr, e->dport);
		size_t nf = ns + 3 + nd;

		src[ns] = dst[nd] = '\0';
		memcpy(flow, src, ns);
		memcpy(flow + ns, " > ", 3);
		memcpy(flow + ns + 3, dst, nd);
		wb_mem(w, ts, nt);
		wb_char(w, ' ');
		wb_left(w, ifc->name, ifc->name_len, widen(&o->col_pkt_iface, ifc->name_len));
		wb_char(w, ' ');
		wb_left(w, dir, strlen(dir), 3);
		wb_char(w, ' ');
		wb_left(w, flow, nf, widen(&o->col_pkt_flow, nf));
		wb_lit(w, "  ");
		wb_left(w, kn, strlen(kn), 7);
		wb_lit(w, " seq ");
		wb_u64(w, e->seq);
		if (e->tcp_flags & SS_TCP_ACK) {
			wb_lit(w, " ack ");
			wb_u64(w, e->ack);
		}
		wb_lit(w, " win ");
		wb_u64(w, e->window);
		wb_lit(w, " ttl ");
		wb_u64(w, e->ttl);
		if (syn) {
			struct ss_p0f_result res;
			char opts[256], sig[SS_P0F_SIG_MAX];
			struct ss_p0f_pkt pk;
			size_t n = fmt_options(opts, &op);

			wb_lit(w, " [");
			wb_mem(w, opts, n);
			wb_char(w, ']');
			if (o->p0f) {
				p0f_pkt_event((const struct ss_event_syn *)e, &pk);
				n = ss_p0f_describe(o->p0f, &pk, sig, &res);
				wb_lit(w, " sig ");
				wb_mem(w, sig, n);
			}
		}
		wb_char(w, '\n');
		if (o->explain)
			explain(w, e, &op, src, dst);
		line_end(o);
	}
}

const char *ss_counter_name(int idx)
{
	static const char *names[SS_C_MAX] = {
		[SS_C_PACKETS] = "packets", [SS_C_NOT_IP] = "not_ip",
		[SS_C_NOT_TCP] = "not_tcp", [SS_C_FRAGMENT] = "fragments",
		[SS_C_BAD_TRUNCATED] = "bad_truncated", [SS_C_BAD_IPV4] = "bad_ipv4",
		[SS_C_BAD_IPV6] = "bad_ipv6", [SS_C_BAD_TCP] = "bad_tcp",
		[SS_C_FILTERED] = "filtered", [SS_C_SYN] = "syn",
		[SS_C_SYNACK] = "synack", [SS_C_ACK_COMPLETE] = "ack_complete",
		[SS_C_RST] = "rst", [SS_C_FIN] = "fin", [SS_C_PEND_EVICTED] = "pending_evicted",
		[SS_C_EVENTS] = "events", [SS_C_LOST] = "lost", [SS_C_SHED] = "shed",
		[SS_C_LOST_SYN] = "lost_syn", [SS_C_LOST_SYNACK] = "lost_synack",
		[SS_C_LOST_ACK] = "lost_ack", [SS_C_LOST_RST] = "lost_rst",
		[SS_C_SHED_SYN] = "shed_syn", [SS_C_SHED_RST] = "shed_rst",
	};

	return idx >= 0 && idx < SS_C_MAX && names[idx] ? names[idx] : "?";
}

void ss_out_summary(FILE *f, const struct hs_stats *st, const uint64_t *c,
		    const uint64_t *unprinted, uint64_t count)
{
	uint64_t total = 0, left = 0;
	struct ss_accounts a;
	int i;

	for (i = 0; i < HS_OUTCOME_MAX; i++) {
		total += st->outcomes[i];
		left += unprinted ? unprinted[i] : 0;
	}
	fprintf(f, "synscope: %lu handshake%s: %lu established, %lu refused, %lu reset, "
		"%lu timeout, %lu open; %lu flows evicted (table full); %lu SYN/SYN-ACK with "
		"malformed options\n",
		(unsigned long)total, total == 1 ? "" : "s",
		(unsigned long)st->outcomes[HS_ESTABLISHED],
		(unsigned long)st->outcomes[HS_REFUSED], (unsigned long)st->outcomes[HS_RESET],
		(unsigned long)st->outcomes[HS_TIMEOUT], (unsigned long)st->outcomes[HS_OPEN],
		(unsigned long)st->evicted, (unsigned long)st->bad_options);
	if (count && left)
		fprintf(f, "synscope: -c %lu reached: %lu more handshake%s made and not printed "
			"(%lu established, %lu refused, %lu reset, %lu timeout, %lu open)\n",
			(unsigned long)count, (unsigned long)left, left == 1 ? " was" : "s were",
			(unsigned long)unprinted[HS_ESTABLISHED], (unsigned long)unprinted[HS_REFUSED],
			(unsigned long)unprinted[HS_RESET], (unsigned long)unprinted[HS_TIMEOUT],
			(unsigned long)unprinted[HS_OPEN]);
	if (!c)
		return;
	ss_out_counters(f, c);
	ss_accounts_make(&a, c, st, unprinted ? unprinted[HS_ESTABLISHED] : 0);
	ss_out_accounts(f, &a);
}

void ss_out_accounts(FILE *f, const struct ss_accounts *a)
{
	fprintf(f, "synscope: accounts: %lu handshake%s completed (kernel) = %lu established "
		"record%s + %lu left unprinted at -c + %lu lost (ring full) + %lu unmatched",
		(unsigned long)a->completed, a->completed == 1 ? "" : "s",
		(unsigned long)a->established, a->established == 1 ? "" : "s",
		(unsigned long)a->left_at_count, (unsigned long)a->ack_lost,
		(unsigned long)a->ack_unmatched);
	if (a->ack_unread)
		fprintf(f, " + %lu not read", (unsigned long)a->ack_unread);
	fprintf(f, "\nsynscope: accounts: %lu SYN%s (kernel) = %lu in records + %lu in flows evicted "
		"+ %lu shed + %lu lost (ring full) + %lu unmatched",
		(unsigned long)a->syns, a->syns == 1 ? "" : "s", (unsigned long)a->syn_in_records,
		(unsigned long)a->syn_evicted, (unsigned long)a->syn_shed,
		(unsigned long)a->syn_lost, (unsigned long)a->syn_unmatched);
	if (a->syn_unread)
		fprintf(f, " + %lu not read", (unsigned long)a->syn_unread);
	fputc('\n', f);
}

void ss_out_counters(FILE *f, const uint64_t *c)
{
	fprintf(f, "synscope: packets %lu: tcp %lu (syn %lu, syn-ack %lu, completing ack %lu, "
		"rst %lu, fin %lu, filtered out %lu), not ip %lu, not tcp %lu, fragments %lu, "
		"not parsed %lu (truncated %lu, bad ipv4 %lu, bad ipv6 %lu, bad tcp %lu)\n",
		(unsigned long)c[SS_C_PACKETS], (unsigned long)ss_counters_tcp(c),
		(unsigned long)c[SS_C_SYN], (unsigned long)c[SS_C_SYNACK],
		(unsigned long)c[SS_C_ACK_COMPLETE], (unsigned long)c[SS_C_RST],
		(unsigned long)c[SS_C_FIN], (unsigned long)c[SS_C_FILTERED],
		(unsigned long)c[SS_C_NOT_IP], (unsigned long)c[SS_C_NOT_TCP],
		(unsigned long)c[SS_C_FRAGMENT],
		(unsigned long)(c[SS_C_BAD_TRUNCATED] + c[SS_C_BAD_IPV4] + c[SS_C_BAD_IPV6] +
				c[SS_C_BAD_TCP]),
		(unsigned long)c[SS_C_BAD_TRUNCATED], (unsigned long)c[SS_C_BAD_IPV4],
		(unsigned long)c[SS_C_BAD_IPV6], (unsigned long)c[SS_C_BAD_TCP]);
	fprintf(f, "synscope: events %lu written, %lu lost (ring full), %lu shed "
		"(consumer behind or --event-rate); %lu pending SYN-ACKs evicted (their set full)\n",
		(unsigned long)c[SS_C_EVENTS], (unsigned long)c[SS_C_LOST],
		(unsigned long)c[SS_C_SHED], (unsigned long)c[SS_C_PEND_EVICTED]);
}
