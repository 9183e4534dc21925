// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The -w writer (user/out/pcap_write.c): what it writes, read back through
 * libpcap (nanosecond times, caplen cut at the snap length, wire length,
 * the link type, the bytes), -w - on a copy of fd 1, and every failure as
 * one line and an error code, never a crash: a directory, a missing
 * folder, /dev/full at the header, a file size limit reached mid-stream
 * (a full disk as the writer sees it), a pipe whose reader went away.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "out/pcap_write.h"

static char dir[] = "/tmp/test_pcap_write.XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static uint8_t pkt[300];

struct rec {
	uint64_t ts_ns;
	uint32_t caplen, wire_len;     /* as passed */
	uint32_t want_caplen, want_len; /* as read back */
};

/* Read path back; check the header and every record against recs. */
static void read_back(const char *path, int dlt, uint32_t snaplen, const struct rec *recs, int n)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint32_t magic;
	off_t size = 24;
	struct stat st;
	FILE *f;
	pcap_t *p;
	int i;

	/* The size too: libpcap's reader cuts a record longer than the snap
	 * length without a word. */
	for (i = 0; i < n; i++)
		size += 16 + recs[i].want_caplen;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, size);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(&magic, 4, 1, f), 1);
	fclose(f);
	assert_int_equal(magic, 0xa1b23c4d); /* nanosecond pcap */
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), dlt);
	assert_int_equal(pcap_snapshot(p), snaplen);
	for (i = 0; i < n; i++) {
		assert_int_equal(pcap_next_ex(p, &h, &data), 1);
		assert_int_equal((uint64_t)h->ts.tv_sec * 1000000000ull + (uint64_t)h->ts.tv_usec,
				 recs[i].ts_ns);
		assert_int_equal(h->caplen, recs[i].want_caplen);
		assert_int_equal(h->len, recs[i].want_len);
		assert_memory_equal(data, pkt, h->caplen);
	}
	assert_int_equal(pcap_next_ex(p, &h, &data), PCAP_ERROR_BREAK);
	pcap_close(p);
}

static void write_recs(struct ss_pcap_writer *w, const struct rec *recs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		assert_int_equal(ss_pw_write(w, recs[i].ts_ns, recs[i].caplen, recs[i].wire_len, pkt), 0);
}

static void test_round_trip(void **state)
{
	static const struct rec recs[] = {
		{ 1796220912740877932ull, 74, 74, 74, 74 },
		{ 1000000000ull + 999999999ull, 60, 60, 60, 60 },  /* ns just below a second */
		{ 2000000000ull, 150, 1514, 100, 1514 },           /* cut at the snap length */
		{ 2000000001ull, 40, 20, 40, 40 },                 /* wire < caplen: caplen */
		{ 0, 0, 54, 0, 54 },
	};
	char err[256] = "";
	struct ss_pcap_writer *w;

	(void)state;
	w = ss_pw_open(tmp_path("a.pcap"), SS_DLT_EN10MB, 100, err, sizeof(err));
	assert_non_null(w);
	write_recs(w, recs, 5);
	assert_int_equal(ss_pw_flush(w), 0);
	assert_int_equal(ss_pw_close(w, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	read_back(tmp_path("a.pcap"), DLT_EN10MB, 100, recs, 5);
}

/* Offline, the input's link type: cooked v2 here. */
static void test_link_type(void **state)
{
	static const struct rec recs[] = { { 5, 80, 80, 80, 80 } };
	char err[256];
	struct ss_pcap_writer *w;

	(void)state;
	w = ss_pw_open(tmp_path("sll2.pcap"), DLT_LINUX_SLL2, 256, err, sizeof(err));
	assert_non_null(w);
	write_recs(w, recs, 1);
	assert_int_equal(ss_pw_close(w, err, sizeof(err)), 0);
	read_back(tmp_path("sll2.pcap"), DLT_LINUX_SLL2, 256, recs, 1);
}

/* An existing file is replaced; only the header when nothing came. */
static void test_empty_and_truncate(void **state)
{
	char err[256];
	struct ss_pcap_writer *w;
	struct stat st;
	FILE *f;

	(void)state;
	f = fopen(tmp_path("old.pcap"), "w");
	assert_non_null(f);
	fputs("an older file, longer than a pcap header", f);
	fclose(f);
	w = ss_pw_open(tmp_path("old.pcap"), SS_DLT_EN10MB, 256, err, sizeof(err));
	assert_non_null(w);
	/* The header is out at open, before any packet. */
	assert_int_equal(stat(tmp_path("old.pcap"), &st), 0);
	assert_int_equal(st.st_size, 24);
	assert_int_equal(ss_pw_close(w, err, sizeof(err)), 0);
	read_back(tmp_path("old.pcap"), DLT_EN10MB, 256, NULL, 0);
	assert_int_equal(ss_pw_close(NULL, err, sizeof(err)), 0);
}

static void test_cannot_create(void **state)
{
	char err[256], want[300];

	(void)state;
	assert_null(ss_pw_open(dir, SS_DLT_EN10MB, 256, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot create %s: Is a directory", dir);
	assert_string_equal(err, want);
	assert_null(ss_pw_open(tmp_path("no/such/dir.pcap"), SS_DLT_EN10MB, 256, err, sizeof(err)));
	snprintf(want, sizeof(want), "cannot create %s: No such file or directory",
		 tmp_path("no/such/dir.pcap"));
	assert_string_equal(err, want);
	assert_null(strchr(err, '\n'));
}

static void test_dev_full(void **state)
{
	char err[256];

	(void)state;
	assert_null(ss_pw_open("/dev/full", SS_DLT_EN10MB, 256, err, sizeof(err)));
	assert_string_equal(err, "writing /dev/full: No space left on device");
}

/* The disk fills up while tracing: a file size limit fails the write(2)
 * as a full disk does (EFBIG instead of ENOSPC). The failure stays: every
 * later call says it, nothing more is written, close reports it once. */
static void test_fills_up(void **state)
{
	struct rlimit old, lim;
	char err[256], want[300];
	struct ss_pcap_writer *w;
	struct stat st;
	int i, e = 0;

	(void)state;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	w = ss_pw_open(tmp_path("full.pcap"), SS_DLT_EN10MB, 256, err, sizeof(err));
	assert_non_null(w);
	lim = old;
	lim.rlim_cur = 4096;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 1000 && !e; i++) {
		e = ss_pw_write(w, (uint64_t)i, 200, 200, pkt);
		if (!e && i % 10 == 9)
			e = ss_pw_flush(w);   /* once a batch, as live */
	}
	assert_int_equal(e, -EFBIG);
	assert_int_equal(ss_pw_write(w, 1, 60, 60, pkt), -EFBIG);
	assert_int_equal(ss_pw_flush(w), -EFBIG);
	assert_int_equal(ss_pw_close(w, err, sizeof(err)), -EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	snprintf(want, sizeof(want), "writing %s: File too large", tmp_path("full.pcap"));
	assert_string_equal(err, want);
	assert_int_equal(stat(tmp_path("full.pcap"), &st), 0);
	assert_true(st.st_size <= 4096);
}

/* -w -: a copy of fd 1, fully buffered, and fd 1 stays open after. */
static void test_stdout(void **state)
{
	static const struct rec recs[] = { { 7, 66, 66, 66, 66 }, { 8, 54, 54, 54, 54 } };
	char err[256];
	struct ss_pcap_writer *w;
	int saved, fd;

	(void)state;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	fd = open(tmp_path("stdout.pcap"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	close(fd);
	w = ss_pw_open("-", SS_DLT_EN10MB, 256, err, sizeof(err));
	assert_non_null(w);
	write_recs(w, recs, 2);
	assert_int_equal(ss_pw_close(w, err, sizeof(err)), 0);
	assert_int_equal(write(STDOUT_FILENO, "", 0), 0);   /* still open */
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	read_back(tmp_path("stdout.pcap"), DLT_EN10MB, 256, recs, 2);
	assert_int_equal(ss_pw_records_fd("-"), STDERR_FILENO);
	assert_int_equal(ss_pw_records_fd("f.pcap"), STDOUT_FILENO);
	assert_int_equal(ss_pw_records_fd(NULL), STDOUT_FILENO);
}

/* -w - | tcpdump -r - -c 3: the reader goes, the writer says EPIPE (main
 * then stops quietly). And with no reader at all, open fails. */
static void test_reader_gone(void **state)
{
	char err[256], hdr[24];
	struct ss_pcap_writer *w;
	int saved, p[2];

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	close(p[1]);
	w = ss_pw_open("-", SS_DLT_EN10MB, 256, err, sizeof(err));
	assert_non_null(w);
	assert_int_equal(read(p[0], hdr, sizeof(hdr)), sizeof(hdr));
	close(p[0]);
	assert_int_equal(ss_pw_write(w, 1, 60, 60, pkt), 0);   /* buffered */
	assert_int_equal(ss_pw_flush(w), -EPIPE);
	assert_int_equal(ss_pw_close(w, err, sizeof(err)), -EPIPE);
	assert_string_equal(err, "writing stdout: Broken pipe");

	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[1], STDOUT_FILENO), STDOUT_FILENO);
	close(p[1]);
	close(p[0]);
	assert_null(ss_pw_open("-", SS_DLT_EN10MB, 256, err, sizeof(err)));
	assert_string_equal(err, "writing stdout: Broken pipe");
	assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	signal(SIGPIPE, SIG_DFL);
}

static int setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i * 7 + 1);
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_link_type),
		cmocka_unit_test(test_empty_and_truncate),
		cmocka_unit_test(test_cannot_create),
		cmocka_unit_test(test_dev_full),
		cmocka_unit_test(test_fills_up),
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_reader_gone),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
