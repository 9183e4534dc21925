// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/host/whowhy.c: which counters point to which cause; a record's window
 * over the samples (the sample before its SYN, the one after its end);
 * SYN-cookie inference (a socket-less SYN-ACK on egress while cookies
 * were sent, with what its options say); the cgroup lookups on this
 * machine's cgroup2 mount; the exit summary line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "host/cgroup.h"
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

static void test_cause_of(void **state)
{
	struct ss_tcpstat a = stat_of(10, 10, 5, 5, 1), b;
	char basis[128];

	(void)state;
	b = a;
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_NONE);
	assert_string_equal(basis, "");

	b = stat_of(12, 12, 5, 5, 1);
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_ACCEPT_QUEUE);
	assert_string_equal(basis, "ListenOverflows +2, ListenDrops +2");
	assert_string_equal(ss_cause_name(SS_CAUSE_ACCEPT_QUEUE), "accept queue full");

	/* Drops that were not overflows (a listener in another state). */
	b = stat_of(10, 11, 5, 5, 1);
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_ACCEPT_QUEUE);
	assert_string_equal(basis, "ListenDrops +1");

	/* The accept queue outranks cookies sent at the same time. */
	b = stat_of(11, 11, 9, 9, 1);
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_ACCEPT_QUEUE);

	b = stat_of(10, 10, 9, 9, 1);
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_SYN_COOKIES);
	assert_string_equal(basis, "SyncookiesSent +4, TCPReqQFullDoCookies +4");
	assert_string_equal(ss_cause_name(SS_CAUSE_SYN_COOKIES), "syn cookies");

	b = stat_of(10, 10, 5, 5, 4);
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_SYN_QUEUE);
	assert_string_equal(basis, "TCPReqQFullDrop +3");

	/* A counter one side lacks, or one that went back, says nothing. */
	b = stat_of(12, 12, 5, 5, 1);
	b.have &= ~((1u << SS_TS_LISTEN_OVERFLOWS) | (1u << SS_TS_LISTEN_DROPS));
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_NONE);
	b = stat_of(0, 0, 0, 0, 0);
	assert_int_equal(ss_cause_of(&a, &b, basis, sizeof(basis)), SS_CAUSE_NONE);
	assert_null(ss_cause_name(SS_CAUSE_NONE));
}

/* A SYN that got no answer, from syn_ms to end_ms. */
static struct hs_record unanswered(uint64_t syn_ms, uint64_t end_ms)
{
	struct hs_record r;

	memset(&r, 0, sizeof(r));
	r.outcome = HS_TIMEOUT;
	r.have_syn = 1;
	r.syn_ts = syn_ms * MS;
	r.end_ts = end_ms * MS;
	r.syn_to_synack_us = r.synack_to_ack_us = -1;
	return r;
}

static void test_window(void **state)
{
	struct ss_whowhy *w = ss_whowhy_new(0, NULL, 10000 * MS);
	struct ss_tcpstat z = stat_of(0, 0, 0, 0, 0), o = stat_of(3, 3, 0, 0, 0);
	struct hs_record r;
	struct ss_why why;

	(void)state;
	assert_non_null(w);
	/* No samples: no cause, whatever moved. */
	r = unanswered(50, 150);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_NONE);

	ss_whowhy_add_sample(w, 0, &z);
	ss_whowhy_add_sample(w, 100 * MS, &o);   /* the overflows happened in (0, 100] ms */
	ss_whowhy_add_sample(w, 200 * MS, &o);

	r = unanswered(50, 150);                 /* waited across them */
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_ACCEPT_QUEUE);
	assert_string_equal(why.cause_basis, "ListenOverflows +3, ListenDrops +3");

	r = unanswered(0, 100);                  /* the samples at its ends exactly */
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_ACCEPT_QUEUE);

	r = unanswered(100, 190);                /* began after them */
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_NONE);
	assert_null(why.cause_basis);

	r = unanswered(150, 400);                /* ends past the last sample: the last */
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_NONE);

	/* Answered: no cause, whatever moved. */
	r = unanswered(50, 150);
	r.have_synack = 1;
	r.synack_ts = 60 * MS;
	r.synack.dir = SS_DIR_IN;
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_NONE);
	assert_int_equal(why.synack_cookie, 0);
	ss_whowhy_free(w);
}

/* The ring keeps the newest samples, in order, past its size. */
static void test_ring_wraps(void **state)
{
	struct ss_whowhy *w = ss_whowhy_new(0, NULL, 10000 * MS);
	struct ss_tcpstat s;
	struct hs_record r;
	struct ss_why why;
	uint64_t i;

	(void)state;
	for (i = 0; i < 3000; i++) {
		s = stat_of(i / 1000, i / 1000, 0, 0, 0);   /* +1 at 1000 and at 2000 */
		ss_whowhy_add_sample(w, i * MS, &s);
	}
	r = unanswered(2500, 2900);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_NONE);
	r = unanswered(1990, 2010);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_ACCEPT_QUEUE);
	assert_string_equal(why.cause_basis, "ListenOverflows +1, ListenDrops +1");
	/* Before the oldest sample kept: from the oldest. */
	r = unanswered(1000, 1999);
	ss_whowhy_explain(w, &r, &why);
	assert_int_equal(why.cause, SS_CAUSE_NONE);
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
	struct ss_whowhy *w = ss_whowhy_new(0, NULL, 10000 * MS);
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
	struct ss_whowhy *w = ss_whowhy_new(1, NULL, 10000 * MS);
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
	struct ss_whowhy *w = ss_whowhy_new(0, NULL, 10000 * MS);
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
		cmocka_unit_test(test_cause_of),
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_ring_wraps),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_cgroups),
		cmocka_unit_test(test_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
