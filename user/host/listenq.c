// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The listeners' accept queues (listenq.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <netinet/in.h>
#include "host/listenq.h"
#include "host/sockdiag.h"

#define LQ_LISTENERS 1024       /* listeners followed; more are not */
#define LQ_SAMPLES 1024         /* per listener, a ring */
#define TCP_LISTEN_STATE 10     /* TCP_LISTEN */

struct lq_sample {
	uint64_t ts;
	uint32_t len;
};

struct lq_listener {
	uint8_t family;
	uint16_t port;
	uint32_t addr[4];            /* network order; zeros: any address */
	uint32_t backlog;
	uint32_t head, n;            /* the ring: next slot, samples held */
	struct lq_sample *ring;
};

struct ss_listenq {
	int nl;
	uint64_t period_ns, last_ns, now;
	struct lq_listener l[LQ_LISTENERS];
	int nl_count;
};

struct ss_listenq *ss_listenq_new(uint64_t reach_ns, char *err, size_t n)
{
	struct ss_listenq *q = calloc(1, sizeof(*q));

	if (!q) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	q->nl = ss_sockdiag_open();
	if (q->nl < 0) {
		snprintf(err, n, "sock_diag: %s", strerror(-q->nl));
		free(q);
		return NULL;
	}
	/* Half a ring covers the reach. */
	q->period_ns = reach_ns / (LQ_SAMPLES / 2);
	if (q->period_ns < SS_LQ_PERIOD_NS)
		q->period_ns = SS_LQ_PERIOD_NS;
	return q;
}

void ss_listenq_free(struct ss_listenq *q)
{
	int i;

	if (!q)
		return;
	for (i = 0; i < q->nl_count; i++)
		free(q->l[i].ring);
	if (q->nl >= 0)
		close(q->nl);
	free(q);
}

static struct lq_listener *find(struct ss_listenq *q, uint8_t family, const uint32_t *addr,
				uint16_t port)
{
	int i;

	for (i = 0; i < q->nl_count; i++) {
		struct lq_listener *l = &q->l[i];

		if (l->family == family && l->port == port && !memcmp(l->addr, addr, 16))
			return l;
	}
	return NULL;
}

static void on_listener(void *arg, const struct inet_diag_msg *m, size_t len)
{
	struct ss_listenq *q = arg;
	uint32_t addr[4] = { 0 };
	uint8_t family;
	struct lq_listener *l;

	(void)len;
	if (m->idiag_family == AF_INET) {
		family = 4;
		addr[0] = m->id.idiag_src[0];
	} else if (m->id.idiag_src[0] == 0 && m->id.idiag_src[1] == 0 &&
		   m->id.idiag_src[2] == htonl(0xffff)) {
		family = 4;                                    /* v4-mapped */
		addr[0] = m->id.idiag_src[3];
	} else {
		family = 6;
		memcpy(addr, m->id.idiag_src, 16);
	}
	l = find(q, family, addr, ntohs(m->id.idiag_sport));
	if (!l) {
		if (q->nl_count == LQ_LISTENERS)
			return;
		l = &q->l[q->nl_count];
		memset(l, 0, sizeof(*l));
		l->ring = calloc(LQ_SAMPLES, sizeof(*l->ring));
		if (!l->ring)
			return;
		q->nl_count++;
		l->family = family;
		l->port = ntohs(m->id.idiag_sport);
		memcpy(l->addr, addr, 16);
	}
	/* For a listener: rqueue, the connections waiting to be accepted;
	 * wqueue, the backlog. */
	l->backlog = m->idiag_wqueue;
	/* SO_REUSEPORT: several sockets, one listener: one sample a dump,
	 * the fullest queue, so the ring still spans its reach. */
	if (l->n) {
		struct lq_sample *last = &l->ring[(l->head + LQ_SAMPLES - 1) % LQ_SAMPLES];

		if (last->ts == q->now) {
			if (m->idiag_rqueue > last->len)
				last->len = m->idiag_rqueue;
			return;
		}
	}
	l->ring[l->head] = (struct lq_sample){ .ts = q->now, .len = m->idiag_rqueue };
	l->head = (l->head + 1) % LQ_SAMPLES;
	if (l->n < LQ_SAMPLES)
		l->n++;
}

void ss_listenq_sample(struct ss_listenq *q, uint64_t now_ns, int force)
{
	if (!q || (!force && now_ns - q->last_ns < q->period_ns))
		return;
	q->last_ns = q->now = now_ns;
	/* A failed dump leaves the samples as they were. */
	ss_sockdiag_dump(q->nl, AF_INET, 1u << TCP_LISTEN_STATE, 0, on_listener, q);
	ss_sockdiag_dump(q->nl, AF_INET6, 1u << TCP_LISTEN_STATE, 0, on_listener, q);
}

int ss_listenq_at(const struct ss_listenq *q, uint8_t family, const uint32_t *addr, uint16_t port,
		  uint64_t from, uint64_t to, uint32_t *len, uint32_t *backlog)
{
	static const uint32_t any[4];
	const uint32_t *try[2] = { addr, any };
	const struct lq_listener *l = NULL;
	uint32_t i, best = 0;
	int t, seen = 0;

	if (!q)
		return -1;
	for (t = 0; t < 2 && !l; t++)
		l = find((struct ss_listenq *)q, family, try[t], port);
	/* [::] takes IPv4 too. */
	if (!l && family == 4)
		l = find((struct ss_listenq *)q, 6, any, port);
	if (!l)
		return -1;
	from = from > q->period_ns ? from - q->period_ns : 0;
	to += q->period_ns;
	for (i = 0; i < l->n; i++) {
		const struct lq_sample *s = &l->ring[(l->head + LQ_SAMPLES - 1 - i) % LQ_SAMPLES];

		if (s->ts < from)
			break;
		if (s->ts > to)
			continue;
		if (!seen || s->len > best)
			best = s->len;
		seen = 1;
	}
	if (!seen)
		return -1;
	*len = best;
	*backlog = l->backlog;
	return 0;
}
