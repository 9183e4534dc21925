// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/host/whowhy.c: the kernel's verdicts on a record, named by this
 * kernel's BTF, and the causes they give; a real listener's accept queue
 * seen full (user/host/listenq.c), the cause it gives and the outcomes it
 * never contradicts; SYN-cookie inference (a socket-less SYN-ACK on
 * egress while cookies were sent, with what its options say); the cgroup
 * lookups on this machine's cgroup2 mount; the exit summary line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "host/cgroup.h"
#include "host/reasons.h"
#include "synscope.h"
#include "host/whowhy.h"

#define MS 1000000ull

static struct ss_tcpstat stat_of(uint64_t overflows, uint64_t drops, uint64_t cookies_sent,
				 uint64_t do_cookies, uint64_t reqq_drop)
{
	struct ss_tcpstat s = { .have = (1u << SS_TS_MAX) - 1 };

	s.v[SS_TS_LISTEN_OVERFLOWS] = overflows;
	s.v[SS_TS_LISTEN_DROPS] = drops;
	s.v[SS_TS_SYNCOOKIES_SENT] = cookies_sent;
	s.v[SS_TS_REQQ_FULL_DO_COOKIES] = do_cookies;
	s.v[SS_TS_REQQ_FULL_DROP] = reqq_drop;
	return s;
}

static struct ss_whowhy *ww(int cgroups, const struct ss_reasons *reasons, int listeners)
{
	struct ss_whowhy_config c = { .cgroups = cgroups, .reasons = reasons,
				      .listeners = listeners, .timeout_ns = 10000 * MS };
	struct ss_whowhy *w = ss_whowhy_new(&c);

	assert_non_null(w);
	return w;
}

/* A record with outcome o: its SYN at syn_ms, decided at end_ms. */
static struct hs_record rec(int o, uint64_t syn_ms, uint64_t end_ms)
{
	struct hs_record r;

	memset(&r, 0, sizeof(r));
	r.outcome = (uint8_t)o;
	r.family = 4;
	r.have_syn = 1;
	r.syn_ts = syn_ms * MS;
	r.end_ts = end_ms * MS;
	r.syn_to_synack_us = r.synack_to_ack_us = -1;
	return r;
}

/* The value the kernel gives a reason's name (its enum, this kernel's). */
static uint32_t value_of(const struct ss_reasons *rs, int kind, const char *name)
{
	uint32_t v;

	for (v = 0; v < ss_reasons_count(rs, kind); v++)
		if (ss_reason_name(rs, kind, v) && !strcmp(ss_reason_name(rs, kind, v), name))
			return v;
	fail_msg("the kernel has no reason %s", name);
	return 0;
}

/* The kernel's verdicts joined to a record: its causes, named by this
 * kernel's BTF; a refused handshake's cause is its RST's reason, never a
 * queue; nothing without the verdicts. */
static void test_kernel_verdicts(void **state)
{
	char err[128];
	struct ss_reasons *rs = ss_reasons_load(err, sizeof(err));
	struct ss_whowhy *w, *off;
	struct hs_record r;
	struct ss_why why;

	(void)state;
	if (!rs)
		fail_msg("%s", err);  /* this kernel has them (BTF at /sys/kernel/btf) */
	w = ww(0, rs, 0);
	off = ww(0, NULL, 0);

	r = rec(HS_TIMEOUT, 0, 1000);
	r.drop_reason = value_of(rs, SS_VD_DROP, "NETFILTER_DROP") + 1;
	r.drop_packet = SS_EV_SYN;
	r.drop_dir = SS_DIR_IN;
	ss_whowhy_explain(w, &r, &why);
	assert_string_equal(why.cause, "NETFILTER_DROP");
	assert_string_equal(why.cause_from, "kernel");
	assert_string_equal(why.drop_reason, "NETFILTER_DROP");
	assert_string_equal(why.drop_packet, "syn");
	assert_string_equal(why.drop_dir, "in");
	assert_null(why.rst_reason);
	ss_whowhy_explain(off, &r, &why);
	assert_null(why.cause);
	assert_null(why.drop_reason);

	r = rec(HS_REFUSED, 0, 1);
	r.rst_reason = value_of(rs, SS_VD_RST, "NO_SOCKET") + 1;
	r.drop_reason = value_of(rs, SS_VD_DROP, "NO_SOCKET") + 1;
	r.drop_packet = SS_EV_SYN;
	ss_whowhy_explain(w, &r, &why);
	assert_string_equal(why.cause, "NO_SOCKET");
	assert_string_equal(why.rst_reason, "NO_SOCKET");

	/* A completing ACK the kernel dropped (a full accept queue). */
	r = rec(HS_ESTABLISHED, 0, 1);
	r.have_synack = r.have_ack = 1;
	r.drop_reason = value_of(rs, SS_VD_DROP, "TCP_LISTEN_OVERFLOW") + 1;
	r.drop_packet = SS_EV_ACK;
	ss_whowhy_explain(w, &r, &why);
	assert_string_equal(why.cause, "TCP_LISTEN_OVERFLOW");
	assert_string_equal(why.drop_packet, "ack");

	/* A value this kernel has no name for: its number. */
	r = rec(HS_TIMEOUT, 0, 1000);
	r.drop_reason = 100000;
	ss_whowhy_explain(w, &r, &why);
	assert_string_equal(why.cause, "99999");

	/* No verdict: no cause. */
	r = rec(HS_REFUSED, 0, 1);
	ss_whowhy_explain(w, &r, &why);
	assert_null(why.cause);
	ss_whowhy_free(w);
	ss_whowhy_free(off);
	ss_reasons_free(rs);
}

static uint64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

/*
 * A real listener with a backlog of 1 that never accepts, on 127.0.0.1:
 * three clients fill its accept queue past the backlog. A handshake that
 * got no answer while it was full: "accept queue full", from the
 * listener's queue; one refused, or one to another port: no cause.
 */
static void test_listener_queue(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	struct ss_whowhy *w = ww(0, NULL, 1);
	int l, c[3], i;
	uint64_t t0;
	struct hs_record r;
	struct ss_why why;

	(void)state;
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	assert_int_equal(bind(l, (void *)&a, sizeof(a)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(getsockname(l, (void *)&a, &alen), 0);
	t0 = mono_ms();
	for (i = 0; i < 3; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		assert_true(c[i] >= 0);
		connect(c[i], (void *)&a, sizeof(a));
	}
	usleep(200000);                          /* the handshakes (and retries) */
	ss_whowhy_sample(w, mono_ms() * MS, 1);

	r = rec(HS_TIMEOUT, t0, mono_ms());
	r.server[0] = htonl(INADDR_LOOPBACK);
	r.server_port = ntohs(a.sin_port);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.have_queue, 1);
	assert_int_equal(why.queue_backlog, 1);
	assert_true(why.queue_len >= 2);
	assert_string_equal(why.cause, "accept queue full");
	assert_string_equal(why.cause_from, "listener queue");

	r.outcome = HS_REFUSED;                  /* a RST: not the queue */
	ss_whowhy_explain(w, &r, &why);
	assert_null(why.cause);
	assert_int_equal(why.have_queue, 1);
	r.outcome = HS_TIMEOUT;
	r.server_port++;                         /* no listener there */
	ss_whowhy_explain(w, &r, &why);
	assert_null(why.cause);
	assert_int_equal(why.have_queue, 0);
	for (i = 0; i < 3; i++)
		close(c[i]);
	close(l);
	ss_whowhy_free(w);
}

/* The statistics' ring keeps the newest samples, in order, past its size:
 * the cookie inference finds the one that moved. */
static void test_ring_wraps(void **state)
{
	struct ss_whowhy_config c = { .tcp = NULL, .timeout_ns = 10000 * MS };
	struct ss_whowhy *w = ss_whowhy_new(&c);
	struct ss_tcpstat s;
	struct hs_record r;
	struct ss_why why;
	uint64_t i;

	(void)state;
	assert_non_null(w);
	for (i = 0; i < 3000; i++) {
		s = stat_of(0, 0, i / 1000, 0, 0);   /* cookies +1 at 1000 and at 2000 */
		ss_whowhy_add_sample(w, i * MS, &s);
	}
	memset(&r, 0, sizeof(r));
	r.outcome = HS_ESTABLISHED;
	r.have_syn = r.have_synack = 1;
	r.synack.dir = SS_DIR_OUT;
	r.synack_ts = 2500 * MS;
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 0);
	r.synack_ts = 2000 * MS - MS / 2;
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 1);
	ss_whowhy_free(w);
}

static struct hs_record cookie_candidate(int syn_ts_opt)
{
	struct hs_record r;

	memset(&r, 0, sizeof(r));
	r.outcome = HS_ESTABLISHED;
	r.have_syn = r.have_synack = r.have_ack = 1;
	r.syn_ts = 100 * MS;
	r.synack_ts = 120 * MS;
	r.ack_ts = r.end_ts = 121 * MS;
	r.syn.walk.present = SS_OPT_MSS | SS_OPT_SACK_OK | SS_OPT_WSCALE | (syn_ts_opt ? SS_OPT_TS : 0);
	r.synack.walk.present = SS_OPT_MSS | (syn_ts_opt ? SS_OPT_TS | SS_OPT_SACK_OK | SS_OPT_WSCALE : 0);
	r.synack.dir = SS_DIR_OUT;
	r.synack.cgroup_id = 0;
	return r;
}

static void test_cookie(void **state)
{
	struct ss_whowhy *w = ww(0, NULL, 0);
	struct ss_tcpstat a = stat_of(0, 0, 7, 7, 0), b = stat_of(0, 0, 8, 8, 0);
	struct hs_record r;
	struct ss_why why;

	(void)state;
	ss_whowhy_add_sample(w, 50 * MS, &a);
	ss_whowhy_add_sample(w, 150 * MS, &b);

	r = cookie_candidate(0);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 1);
	assert_string_equal(why.cookie_basis,
			    "sent without a socket; SyncookiesSent +1 while it was sent; options: MSS "
			    "only, though the SYN offered SACK or window scale");
	r = cookie_candidate(1);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 1);
	assert_non_null(strstr(why.cookie_basis, "timestamps echoed"));

	/* A socket behind it, or seen on ingress: not ours to call a cookie. */
	r = cookie_candidate(0);
	r.synack.cgroup_id = 42;
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 0);
	assert_null(why.cookie_basis);
	r = cookie_candidate(0);
	r.synack.dir = SS_DIR_IN;
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 0);

	/* No cookie sent while it left: a socket-less SYN-ACK, forwarded. */
	r = cookie_candidate(0);
	r.synack_ts = 160 * MS;
	ss_whowhy_add_sample(w, 200 * MS, &b);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.synack_cookie, 0);
	ss_whowhy_free(w);
}

static void test_cgroups(void **state)
{
	struct ss_cgroups *cg = ss_cgroups_open();
	struct ss_whowhy *w = ww(1, NULL, 0);
	const char *mount;
	struct hs_record r;
	struct ss_why why;
	struct stat st;

	(void)state;
	assert_non_null(cg);
	mount = ss_cgroups_mount(cg);
	if (!mount || stat(mount, &st)) {
		ss_cgroups_close(cg);
		ss_whowhy_free(w);
		skip(); /* no cgroup2 mount on this machine: nothing to look up */
	}
	memset(&r, 0, sizeof(r));
	r.have_syn = r.have_synack = 1;
	r.syn.cgroup_id = st.st_ino;               /* the root */
	r.synack.cgroup_id = 0x7fffffffffffull;    /* no such cgroup */
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.client_cgroup_id, st.st_ino);
	assert_non_null(why.client_cgroup);
	assert_string_equal(why.client_cgroup, "/");
	assert_null(why.client_unit);
	assert_int_equal(why.server_cgroup_id, 0x7fffffffffffull);
	assert_null(why.server_cgroup);
	/* A side not seen names nobody, whatever its stale bytes say. */
	r.have_synack = 0;
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.server_cgroup_id, 0);
	ss_cgroups_close(cg);
	ss_whowhy_free(w);
}

static void test_summary(void **state)
{
	struct ss_whowhy *w = ww(0, NULL, 0);
	struct ss_tcpstat a = stat_of(1, 2, 3, 4, 5), b = stat_of(2, 4, 6, 8, 10);
	char line[512] = "";
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	ss_whowhy_summary(w, f);                 /* no samples: no line */
	assert_int_equal(ftell(f), 0);
	ss_whowhy_add_sample(w, 0, &a);
	ss_whowhy_add_sample(w, MS, &b);
	ss_whowhy_summary(w, f);
	rewind(f);
	assert_non_null(fgets(line, sizeof(line), f));
	assert_string_equal(line, "synscope: TCP statistics of the namespace while tracing: "
			    "ListenOverflows +1, ListenDrops +2, SyncookiesSent +3, SyncookiesRecv +0, "
			    "SyncookiesFailed +0, TCPReqQFullDrop +5, TCPReqQFullDoCookies +4, "
			    "TCPSynRetrans +0\n");
	fclose(f);
	ss_whowhy_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_verdicts),
		cmocka_unit_test(test_listener_queue),
		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_cgroups),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
