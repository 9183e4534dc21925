// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * synscope -r: hand-made captures of every supported link type (written
 * with libpcap, pcapng block by block) are read by the built binary; its
 * JSON records, summary counters, error lines and exit codes are checked
 * against what the captures were made to contain. `top -r` is checked on
 * captures with known per-interval counts.
 *
 * Runs build/synscope (or $SYNSCOPE) from the repository root.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include <pcap/pcap.h>
#include "capture_build.h"
#include "synscope.h"

#define NOBODY 65534
#define PATHLEN 256

static char tmpdir[64];
static const char *bin;

/* ---- running synscope --------------------------------------------------------- */

struct result {
	int status;            /* exit code, or 128 + signal */
	char *out, *err;
};

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

/* synscope with argv (NULL-terminated, without argv[0]); stdin from
 * in_path (NULL: /dev/null); as uid (0: stay root). */
static void run_argv(struct result *r, const char *in_path, uid_t uid, const char **args)
{
	char out[PATHLEN], err[PATHLEN];
	const char *argv[40] = { bin };
	int i, st;
	pid_t pid;

	for (i = 0; args[i] && i < 38; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	snprintf(out, sizeof(out), "%s/stdout", tmpdir);
	snprintf(err, sizeof(err), "%s/stderr", tmpdir);

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fi = open(in_path ? in_path : "/dev/null", O_RDONLY);
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0666);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (fi < 0 || fo < 0 || fe < 0 || dup2(fi, 0) < 0 || dup2(fo, 1) < 0 ||
		    dup2(fe, 2) < 0)
			_exit(126);
		if (uid && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r->out = slurp(out);
	r->err = slurp(err);
}

#define RUN(r, ...) run_argv(r, NULL, 0, (const char *[]){ __VA_ARGS__, NULL })

/* ---- reading the output ------------------------------------------------------- */

/* The value of "key" in one JSON line: a string without its quotes, or the
 * literal (number, null, true). Returns 0 when the key is absent. */
static int jget(const char *line, const char *key, char *buf, size_t n)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	if (!p)
		return 0;
	p += strlen(pat);
	if (*p == '"')
		e = strchr(++p, '"');
	else
		e = p + strcspn(p, ",}\n");
	if (!e || (size_t)(e - p) >= n)
		return 0;
	memcpy(buf, p, e - p);
	buf[e - p] = '\0';
	return 1;
}

static void assert_field(const char *line, const char *key, const char *want)
{
	char got[128];

	if (!jget(line, key, got, sizeof(got)))
		fail_msg("no \"%s\" in %s", key, line);
	if (strcmp(got, want))
		fail_msg("\"%s\": got %s, want %s in %s", key, got, want, line);
}

static void assert_field_num(const char *line, const char *key, long long want)
{
	char s[32];

	if (want < 0)
		snprintf(s, sizeof(s), "null");
	else
		snprintf(s, sizeof(s), "%lld", want);
	assert_field(line, key, s);
}

/* Lines of out whose "type" is `type`, copied into lines[] (freed by caller). */
static int lines_of(const char *out, const char *type, char **lines, int max)
{
	char pat[64];
	const char *p = out, *nl;
	int n = 0;

	snprintf(pat, sizeof(pat), "{\"type\":\"%s\"", type);
	for (; *p; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		if (strncmp(p, pat, strlen(pat)) == 0 && n < max)
			lines[n++] = strndup(p, nl - p);
	}
	return n;
}

static void free_lines(char **lines, int n)
{
	while (n--)
		free(lines[n]);
}

/* A counter of the summary on stderr, by the words before it, e.g.
 * "(truncated " or "completing ack ". */
static long counter(const char *err, const char *label)
{
	const char *p = strstr(err, label);

	if (!p)
		fail_msg("no '%s' in the summary: %s", label, err);
	return strtol(p + strlen(label), NULL, 10);
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static const char *last_line(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (n < 2)
		return s;
	for (p = s + n - 2; p > s && p[-1] != '\n'; p--)
		;
	return p;
}

/* ---- files ---------------------------------------------------------------------- */

static void tmp_path(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", tmpdir, name);
}

/* The scenario of link l in tmpdir; returns its path in buf. */
static void scenario_file(const struct cb_link *l, char *buf, size_t n)
{
	char name[96];

	snprintf(name, sizeof(name), "%s.%s", l->name, l->pcapng ? "pcapng" : "pcap");
	tmp_path(buf, n, name);
	assert_int_equal(cb_write_scenario(buf, l, CB_SCENARIO_PKTS), 0);
}

static const struct cb_link *link_named(const char *name)
{
	size_t i;

	for (i = 0; i < cb_nlinks; i++)
		if (strcmp(cb_links[i].name, name) == 0)
			return &cb_links[i];
	fail_msg("no link %s", name);
	return NULL;
}

static void write_file(const char *path, const void *b, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* ---- the scenario's records ------------------------------------------------------ */

/* Expected records from..from+n of the scenario, in this order. */
static void check_records(const char *out, const char *iface, int family,
			  const struct cb_expect *exp, int n)
{
	char *rec[16], fam[4];
	int got, i;

	got = lines_of(out, "handshake", rec, 16);
	if (got != n)
		fail_msg("%d records, want %d:\n%s", got, n, out);
	snprintf(fam, sizeof(fam), "%d", family);
	for (i = 0; i < n; i++) {
		assert_field(rec[i], "outcome", exp[i].outcome);
		assert_field(rec[i], "iface", iface);
		assert_field(rec[i], "family", fam);
		assert_field(rec[i], "client", cb_client(family));
		assert_field(rec[i], "server", cb_server(family));
		assert_field_num(rec[i], "client_port", exp[i].client_port);
		assert_field_num(rec[i], "server_port", exp[i].server_port);
		assert_field_num(rec[i], "syn_to_synack_us", exp[i].syn_to_synack_us);
		assert_field_num(rec[i], "synack_to_ack_us", exp[i].synack_to_ack_us);
		assert_field(rec[i], "ts", exp[i].ts);
	}
	free_lines(rec, got);
}

/* Every link type, pcap and pcapng: the three attempts, the cut SYN. */
static void test_link_types(void **state)
{
	char path[PATHLEN], iface[96];
	struct result r;
	size_t i;

	(void)state;
	for (i = 0; i < cb_nlinks; i++) {
		const struct cb_link *l = &cb_links[i];

		print_message("  %s\n", l->name);
		scenario_file(l, path, sizeof(path));
		RUN(&r, "-r", path, "-o", "json", "--timeout", CB_TIMEOUT_ARG);
		if (r.status != 0)
			fail_msg("%s: exit %d: %s", l->name, r.status, r.err);
		snprintf(iface, sizeof(iface), "%s", strrchr(path, '/') + 1);
		check_records(r.out, iface, l->family, cb_scenario_expect, CB_SCENARIO_RECORDS);
		assert_int_equal(counter(r.err, "packets "), CB_SCENARIO_PKTS);
		assert_int_equal(counter(r.err, ": tcp "), 6);
		assert_int_equal(counter(r.err, "(syn "), 3);
		assert_int_equal(counter(r.err, "completing ack "), 1);
		assert_int_equal(counter(r.err, "rst "), 1);
		assert_int_equal(counter(r.err, "(truncated "), CB_SCENARIO_TRUNC);
		assert_int_equal(counter(r.err, "not tcp "), 1);
		assert_int_equal(counter(r.err, "events "), 6);
		result_free(&r);
	}
}

/* Text output: the same records, one line each. */
static void test_text_output(void **state)
{
	char path[PATHLEN];
	struct result r;

	(void)state;
	scenario_file(link_named("ethernet-ipv4"), path, sizeof(path));
	RUN(&r, "-r", path, "--timeout", CB_TIMEOUT_ARG);
	assert_int_equal(r.status, 0);
	assert_int_equal(count_lines(r.out), CB_SCENARIO_RECORDS);
	assert_non_null(strstr(r.out, "22:13:20.000000  ethernet-ipv4.pcap"));
	assert_non_null(strstr(r.out, "192.0.2.1:40000 -> 198.51.100.2:80"));
	assert_non_null(strstr(r.out, "syn>synack   1499us  synack>ack    250us"));
	assert_non_null(strstr(r.out, "refused"));
	assert_non_null(strstr(r.out, "timeout"));
	result_free(&r);
}

/* --packets: one line per event, in capture order, with the direction the
 * cooked header gave; null where the link header does not say. */
static void test_packet_lines(void **state)
{
	static const struct {
		const char *link;
		const char *dirs;      /* per event: i(n), o(ut) or -: not said */
	} cases[] = {
		{ "ethernet-ipv4", "------" },
		{ "sll-ipv4", "oiooio" },
		{ "sll2-ipv6", "oiooio" },
		{ "pcapng-sll2-ipv6", "oiooio" },
	};
	static const char *const kinds[] = { "SYN", "SYN-ACK", "ACK", "SYN", "RST", "SYN" };
	char path[PATHLEN], *pk[16];
	struct result r;
	size_t c;
	int i, n;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		scenario_file(link_named(cases[c].link), path, sizeof(path));
		RUN(&r, "-r", path, "-o", "json", "--packets", "--timeout", CB_TIMEOUT_ARG);
		assert_int_equal(r.status, 0);
		n = lines_of(r.out, "packet", pk, 16);
		assert_int_equal(n, 6);
		for (i = 0; i < n; i++) {
			assert_field(pk[i], "flags", kinds[i]);
			assert_field(pk[i], "dir", cases[c].dirs[i] == 'o' ? "out" :
						   cases[c].dirs[i] == 'i' ? "in" : "null");
		}
		/* The completing ACK's line comes before the record it completes. */
		assert_true(strstr(r.out, "\"flags\":\"ACK\"") <
			    strstr(r.out, "\"outcome\":\"established\""));
		free_lines(pk, n);
		result_free(&r);
	}
}

/* -c N: exactly N records, then stop; exit 0. */
static void test_count(void **state)
{
	static const char *const counts[] = { "1", "2", "3", "50" };
	char path[PATHLEN], *rec[8];
	struct result r;
	size_t i;
	int n, want;

	(void)state;
	scenario_file(link_named("ethernet-ipv6"), path, sizeof(path));
	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		RUN(&r, "-r", path, "-o", "json", "-c", counts[i], "--timeout", CB_TIMEOUT_ARG);
		assert_int_equal(r.status, 0);
		want = atoi(counts[i]) < CB_SCENARIO_RECORDS ? atoi(counts[i]) : CB_SCENARIO_RECORDS;
		n = lines_of(r.out, "handshake", rec, 8);
		assert_int_equal(n, want);
		free_lines(rec, n);
		check_records(r.out, "ethernet-ipv6.pcap", 6, cb_scenario_expect, want);
		result_free(&r);
	}
}

/* --port and --host as the kernel applies them: either end matches. */
static void test_filters(void **state)
{
	static const struct {
		const char *args[6];
		int first, nrec;        /* expected records: scenario's [first, first + nrec) */
		int filtered;
	} cases[] = {
		{ { "-p", "80" }, 0, 1, 3 },
		{ { "-p", "81", "-p", "82" }, 1, 2, 3 },
		{ { "-p", "40001" }, 1, 1, 4 },
		{ { "--host", "198.51.100.2" }, 0, 3, 0 },
		{ { "--host", "192.0.2.0/24" }, 0, 3, 0 },
		{ { "--host", "198.51.100.0/24", "-p", "82" }, 2, 1, 5 },
		{ { "--host", "2001:db8::/32" }, 0, 0, 6 },
		{ { "--host", "10.0.0.0/8", "--host", "0.0.0.0/0" }, 0, 3, 0 },
		{ { "--host", "203.0.113.0/24", "-p", "80" }, 0, 0, 6 },
	};
	char path[PATHLEN];
	struct result r;
	size_t c;

	(void)state;
	scenario_file(link_named("ethernet-ipv4"), path, sizeof(path));
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		const char *args[16] = { "-r", path, "-o", "json", "--timeout", CB_TIMEOUT_ARG };
		int a = 6, i;

		for (i = 0; cases[c].args[i]; i++)
			args[a++] = cases[c].args[i];
		run_argv(&r, NULL, 0, args);
		assert_int_equal(r.status, 0);
		check_records(r.out, "ethernet-ipv4.pcap", 4, cb_scenario_expect + cases[c].first,
			      cases[c].nrec);
		assert_int_equal(counter(r.err, "filtered out "), cases[c].filtered);
		assert_int_equal(counter(r.err, ": tcp "), 6);
		result_free(&r);
	}
}

/* Records cut by the snapshot length in each layer: counted, never parsed
 * past the cut; a cut inside the payload still makes a whole segment. */
static void test_snaplen(void **state)
{
	char path[PATHLEN];
	struct result r;

	(void)state;
	tmp_path(path, sizeof(path), "snaplen.pcap");
	assert_int_equal(cb_write_snaplen(path), 0);
	RUN(&r, "-r", path, "-o", "json");
	assert_int_equal(r.status, 0);
	assert_int_equal(counter(r.err, "packets "), 11);
	assert_int_equal(counter(r.err, "(truncated "), 9);
	assert_int_equal(counter(r.err, "not parsed "), 9);
	assert_int_equal(counter(r.err, ": tcp "), 2);
	assert_int_equal(counter(r.err, "(syn "), 2);
	/* The two whole SYNs are still open at the end of the file. */
	assert_non_null(strstr(r.err, "2 open;"));
	result_free(&r);
}

/* A file cut inside a record: what came before is reported, then one line
 * names the file, libpcap's reason and where it stopped; exit 1. */
static void test_cut_file(void **state)
{
	static const struct {
		const char *link;
		long cut;               /* bytes removed from the end */
		const char *reason;
	} cases[] = {
		{ "ethernet-ipv4", 5, "truncated dump file" },      /* in the last packet */
		{ "ethernet-ipv4", 54 + 10, "truncated dump file" }, /* in its header */
		{ "sll2-ipv6", 1, "truncated dump file" },
		{ "pcapng-ethernet-ipv4", 5, "truncated" },
	};
	char path[PATHLEN], want[PATHLEN + 64];
	const struct cb_link *l;
	struct result r;
	struct stat st;
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		l = link_named(cases[c].link);
		scenario_file(l, path, sizeof(path));
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(truncate(path, st.st_size - cases[c].cut), 0);
		RUN(&r, "-r", path, "-o", "json", "--timeout", CB_TIMEOUT_ARG);
		assert_int_equal(r.status, 1);
		/* The last (UDP) packet is lost: C is open, not timed out. */
		{
			struct cb_expect exp[CB_SCENARIO_RECORDS];

			memcpy(exp, cb_scenario_expect, sizeof(exp));
			exp[2].outcome = "open";
			check_records(r.out, strrchr(path, '/') + 1, l->family, exp, 3);
		}
		assert_non_null(strstr(r.err, "synscope: 3 handshakes"));
		snprintf(want, sizeof(want), "synscope: %s: ", path);
		assert_true(strncmp(last_line(r.err), want, strlen(want)) == 0);
		assert_non_null(strstr(last_line(r.err), cases[c].reason));
		snprintf(want, sizeof(want), "(stopped after packet %d)\n", CB_SCENARIO_PKTS - 1);
		assert_string_equal(last_line(r.err) + strlen(last_line(r.err)) - strlen(want), want);
		result_free(&r);
	}
}

/* ---- errors -------------------------------------------------------------------- */

static void make_missing(const char *path)
{
	unlink(path);
}

static void make_text(const char *path)
{
	static const char text[] = "this is not a capture, just some text\n";

	write_file(path, text, sizeof(text) - 1, 0644);
}

static void make_empty(const char *path)
{
	write_file(path, "", 0, 0644);
}

static void make_unreadable(const char *path)
{
	assert_int_equal(cb_write_scenario(path, link_named("ethernet-ipv4"), CB_SCENARIO_PKTS), 0);
	assert_int_equal(chmod(path, 0), 0);
}

static void make_short_header(const char *path)
{
	char full[PATHLEN];
	char *b;

	tmp_path(full, sizeof(full), "full.pcap");
	assert_int_equal(cb_write_scenario(full, link_named("ethernet-ipv4"), 1), 0);
	b = slurp(full);
	write_file(path, b, 10, 0644);
	free(b);
}

static void make_wifi(const char *path)
{
	static const struct cb_link wifi = { .name = "wifi", .dlt = CB_DLT_IEEE802_11, .family = 4 };
	static const uint8_t frame[24] = { 0x80 }; /* a beacon's frame control */
	struct cb_writer *w = cb_open(path, &wifi);

	assert_non_null(w);
	cb_add_raw(w, CB_BASE_NS, frame, sizeof(frame), sizeof(frame));
	assert_int_equal(cb_close(w), 0);
}

static void make_dir(const char *path)
{
	mkdir(path, 0755);
}

/* Each: one line "synscope: FILE: reason" on stderr, nothing on stdout,
 * exit 1. */
static void test_errors(void **state)
{
	static const struct {
		const char *name;
		void (*make)(const char *path);
		uid_t uid;
		const char *reason;
	} cases[] = {
		{ "missing.pcap", make_missing, 0, "No such file or directory" },
		{ "dir.pcap", make_dir, 0, "Is a directory" },
		{ "unreadable.pcap", make_unreadable, NOBODY, "Permission denied" },
		{ "text.pcap", make_text, 0, "not a pcap or pcapng capture" },
		{ "empty.pcap", make_empty, 0, "empty file" },
		{ "short.pcap", make_short_header, 0, "truncated capture: 10 bytes, shorter than a pcap file header" },
		{ "wifi.pcap", make_wifi, 0, "unsupported link type IEEE802_11 (105)" },
	};
	char path[PATHLEN], want[PATHLEN + 64];
	struct result r;
	size_t c;

	(void)state;
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		print_message("  %s\n", cases[c].name);
		tmp_path(path, sizeof(path), cases[c].name);
		cases[c].make(path);
		run_argv(&r, NULL, cases[c].uid, (const char *[]){ "-r", path, NULL });
		assert_int_equal(r.status, 1);
		assert_string_equal(r.out, "");
		assert_int_equal(count_lines(r.err), 1);
		snprintf(want, sizeof(want), "synscope: %s: ", path);
		if (strncmp(r.err, want, strlen(want)) || !strstr(r.err, cases[c].reason))
			fail_msg("%s: got %s", cases[c].name, r.err);
		result_free(&r);
	}
}

/* "-r -": the capture on stdin; records say "stdin"; errors too. */
static void test_stdin(void **state)
{
	char path[PATHLEN];
	struct result r;

	(void)state;
	scenario_file(link_named("pcapng-sll2-ipv6"), path, sizeof(path));
	run_argv(&r, path, 0, (const char *[]){ "-r", "-", "-o", "json", "--timeout",
						CB_TIMEOUT_ARG, NULL });
	assert_int_equal(r.status, 0);
	check_records(r.out, "stdin", 6, cb_scenario_expect, CB_SCENARIO_RECORDS);
	result_free(&r);

	tmp_path(path, sizeof(path), "text.pcap");
	make_text(path);
	run_argv(&r, path, 0, (const char *[]){ "-r", "-", NULL });
	assert_int_equal(r.status, 1);
	assert_int_equal(count_lines(r.err), 1);
	assert_true(strncmp(r.err, "synscope: stdin: not a pcap", 27) == 0);
	result_free(&r);
}

/* ---- the pending table's bound ------------------------------------------------- */

/*
 * n SYN-ACKs to distinct clients, 1 us apart, with distinct initial
 * sequence numbers (an entry is its flow's 20-bit tag and the ACK number
 * it waits for: two flows with the same ISN could share a tag), then the
 * ACKs completing each of them in the same order. The table
 * (bpf/decide.h, 16384 sets of 8) holds any n that spreads over its sets;
 * past what a set holds, the oldest entry of that set is evicted, and
 * counted.
 */
static void write_synack_flood(const char *path, uint32_t n)
{
	static const struct cb_link eth = { .name = "flood", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct cb_writer *w = cb_open(path, &eth);
	struct tp_flow syn = tp_flow_client(4, TP_SYN), sa, ack;
	uint64_t ts = CB_BASE_NS;
	struct tpkt p;
	uint32_t i;

	assert_non_null(w);
	for (i = 0; i < 2 * n; i++) {
		uint32_t c = i < n ? i : i - n;

		syn.sport = 1024 + c % 60000;
		syn.saddr[2] = (uint8_t)(c / 60000 >> 8);
		syn.saddr[3] = (uint8_t)(1 + c / 60000);
		sa = tp_flow_synack(&syn);
		sa.seq = c * 2654435761u + 0x5c5c;
		ack = tp_flow_ack(&sa);
		tp_build(&p, &(struct tp_shape){ 0 }, i < n ? &sa : &ack);
		cb_add(w, ts += 1000, &p, CB_WHOLE, 0);
	}
	assert_int_equal(cb_close(w), 0);
}

/* "...; N pending SYN-ACKs evicted" */
static long evicted(const char *err)
{
	const char *p = strstr(err, " pending SYN-ACKs evicted");

	if (!p)
		fail_msg("no pending evictions in the summary: %s", err);
	while (p > err && p[-1] >= '0' && p[-1] <= '9')
		p--;
	return strtol(p, NULL, 10);
}

/* No loss is silent: every ACK completes its SYN-ACK, or that SYN-ACK's
 * eviction was counted. A small table-full run evicts none; one past the
 * table's 131072 slots must evict. */
static void test_pending_bound(void **state)
{
	static const uint32_t cases[] = { 1000, 60000, 200000 };
	char path[PATHLEN];
	struct result r;
	long done, lost;
	size_t c;

	(void)state;
	tmp_path(path, sizeof(path), "flood.pcap");
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		write_synack_flood(path, cases[c]);
		RUN(&r, "-r", path, "-o", "json");
		assert_int_equal(r.status, 0);
		assert_int_equal(counter(r.err, "syn-ack "), (long)cases[c]);
		done = counter(r.err, "completing ack ");
		lost = evicted(r.err);
		print_message("  %u SYN-ACKs: %ld completed, %ld evicted\n", cases[c], done, lost);
		assert_int_equal(done + lost, (long)cases[c]);
		if (cases[c] == 1000)
			assert_int_equal(lost, 0);
		if (cases[c] > SS_PEND_SETS * SS_PEND_WAYS)
			assert_true(lost >= (long)(cases[c] - SS_PEND_SETS * SS_PEND_WAYS));
		result_free(&r);
	}
}

/* ---- top -r: the flood view over capture time ---------------------------------- */

#define SEC_NS 1000000000ull
#define TOP_HEAVY "10.9.9.9"       /* the heavy source */
#define TOP_TARGET "198.51.100.7"  /* the flooded target, port 80 */
#define TOP_RANDOM 5000            /* single-SYN sources in the first interval */
#define TOP_HEAVY_SYNS 200

static struct tp_flow top_syn(const uint8_t *saddr, const uint8_t *daddr, uint16_t sport,
			      uint16_t dport)
{
	struct tp_flow f = tp_flow_client(4, TP_SYN);

	memcpy(f.saddr, saddr, 4);
	memcpy(f.daddr, daddr, 4);
	f.sport = sport;
	f.dport = dport;
	return f;
}

static void top_add(struct cb_writer *w, uint64_t ts, const struct tp_flow *f)
{
	struct tpkt p;

	tp_build(&p, &(struct tp_shape){ 0 }, f);
	cb_add(w, ts, &p, CB_WHOLE, 0);
}

/*
 * Intervals of 1 s from T0 = CB_BASE_NS, the first record:
 *   0  [T0, T0+1)    a flood on TOP_TARGET:80: TOP_RANDOM sources one SYN
 *                    each, TOP_HEAVY_SYNS from TOP_HEAVY among them; the
 *                    client 192.0.2.1 makes 3 handshakes to 198.51.100.2:22
 *                    and one whose ACK never comes (half-open from T0+0.88);
 *                    the last SYN 1 ns before T0+1
 *   1  [T0+1, T0+2)  10 SYNs to port 22, each refused; the first at T0+1;
 *                    20 SYNs from TOP_HEAVY: too few to stand out
 *   2, 3             no record
 *   4  [T0+4, ...)   one SYN at T0+4.5, the last record: a partial interval
 */
static void write_top_capture(const char *path)
{
	static const struct cb_link eth = { .name = "top", .dlt = CB_DLT_EN10MB, .family = 4 };
	static const uint8_t heavy[4] = { 10, 9, 9, 9 }, target[4] = { 198, 51, 100, 7 };
	static const uint8_t cli[4] = { 192, 0, 2, 1 }, srv[4] = { 198, 51, 100, 2 };
	struct cb_writer *w = cb_open(path, &eth);
	const uint64_t t0 = CB_BASE_NS;
	struct tp_flow f, sa, ack;
	uint32_t i, h = 0, n = TOP_RANDOM + TOP_HEAVY_SYNS;
	uint8_t src[4];

	assert_non_null(w);
	for (i = 0; i < n; i++) {
		uint64_t ts = t0 + (uint64_t)i * (800000000ull / n);

		/* Every 26th SYN is the heavy source's. */
		if (i % 26 == 0 && h < TOP_HEAVY_SYNS) {
			f = top_syn(heavy, target, (uint16_t)(10000 + h++), 80);
		} else {
			/* Distinct sources: a bijection of i in 100.64.0.0/10. */
			uint32_t x = (i * 2654435761u) & 0x3fffff;

			src[0] = 100;
			src[1] = (uint8_t)(64 + (x >> 16));
			src[2] = (uint8_t)(x >> 8);
			src[3] = (uint8_t)x;
			f = top_syn(src, target, (uint16_t)(1024 + i % 60000), 80);
		}
		top_add(w, ts, &f);
	}
	assert_int_equal(h, TOP_HEAVY_SYNS);
	for (i = 0; i < 4; i++) {
		uint64_t ts = t0 + 850000000ull + i * 10000000ull;

		f = top_syn(cli, srv, (uint16_t)(40000 + i), 22);
		sa = tp_flow_synack(&f);
		ack = tp_flow_ack(&sa);
		top_add(w, ts, &f);
		top_add(w, ts + 1000000, &sa);
		if (i < 3)
			top_add(w, ts + 2000000, &ack);
	}
	/* The last SYN of interval 0, and the first record of interval 1. */
	f = top_syn(cli, target, 39999, 80);
	top_add(w, t0 + SEC_NS - 1, &f);
	for (i = 0; i < 10; i++) {
		uint64_t ts = t0 + SEC_NS + i * 50000000ull;

		f = top_syn(cli, srv, (uint16_t)(41000 + i), 22);
		top_add(w, ts, &f);
		f = tp_flow_reverse(&f, TP_RST | TP_ACK, 0, f.seq + 1);
		top_add(w, ts + 100000, &f);
	}
	for (i = 0; i < 20; i++) {
		f = top_syn(heavy, target, (uint16_t)(20000 + i), 80);
		top_add(w, t0 + SEC_NS + 600000000ull + i * 10000000ull, &f);
	}
	f = top_syn(cli, srv, 42000, 22);
	top_add(w, t0 + 4 * SEC_NS + SEC_NS / 2, &f);
	assert_int_equal(cb_close(w), 0);
}

/* The number after `key` in a JSON line (key including its quotes and
 * colon, or any text ending where a number starts); -1 when absent. */
static long long num_after(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static void assert_interval(const char *line, const char *ts, const char *interval_s,
			    long syn, long synack, long established, long rst, long half_open)
{
	assert_field(line, "ts", ts);
	assert_field(line, "interval_s", interval_s);
	assert_field_num(line, "syn", syn);
	assert_field_num(line, "synack", synack);
	assert_field_num(line, "established", established);
	assert_field_num(line, "rst", rst);
	assert_field_num(line, "half_open", half_open);
	assert_field_num(line, "events", syn + synack + established + rst);
	assert_field_num(line, "shed", 0);
	assert_field_num(line, "lost", 0);
}

static void test_top_intervals(void **state)
{
	char path[PATHLEN], *iv[16];
	const char *p;
	long long heavy;
	struct result r;
	int n;

	(void)state;
	tmp_path(path, sizeof(path), "top.pcap");
	write_top_capture(path);
	RUN(&r, "top", "-r", path, "-o", "json", "--timeout", "2", "--alert-syn-rate", "1000",
	    "--alert-incomplete", "50", "--top-n", "3");
	if (r.status != 0)
		fail_msg("exit %d: %s", r.status, r.err);
	n = lines_of(r.out, "interval", iv, 16);
	if (n != 5)
		fail_msg("%d intervals, want 5:\n%s", n, r.out);
	/* Only intervals and the summary last: no handshake records, no
	 * packet lines. */
	assert_int_equal(count_lines(r.out), 5 + 1);
	assert_int_equal(lines_of(r.out, "summary", iv + 5, 1), 1);
	free_lines(iv + 5, 1);

	/* 0: the flood. 5201 SYNs to the target, 4 from the client to :22. */
	assert_interval(iv[0], "2023-11-14T22:13:21.000000Z", "1.000",
			TOP_RANDOM + TOP_HEAVY_SYNS + 1 + 4, 4, 3, 0, 1);
	assert_non_null(strstr(iv[0], "\"top_targets\":[{\"addr\":\"" TOP_TARGET
			       "\",\"port\":80,\"syn\":5201},{\"addr\":\"198.51.100.2\",\"port\":22,"
			       "\"syn\":4}]"));
	/* The heavy source alone, counted at least exactly (a count-min
	 * sketch never undercounts) and with little noise from 5000 others. */
	p = strstr(iv[0], "\"top_sources\":[{\"addr\":\"" TOP_HEAVY "\",\"syn\":");
	if (!p)
		fail_msg("heavy source not first: %s", iv[0]);
	heavy = num_after(p, "\"syn\":");
	assert_true(heavy >= TOP_HEAVY_SYNS && heavy <= TOP_HEAVY_SYNS + 8);
	assert_non_null(strstr(p, "}],\"syn_to_synack_hist\""));     /* and nobody else */
	assert_non_null(strstr(iv[0], "\"alerts\":[\"syn_rate\",\"incomplete\"]"));
	assert_non_null(strstr(iv[0], "\"alert_changes\":[{\"alert\":\"syn_rate\",\"state\":\"start\"},"
			       "{\"alert\":\"incomplete\",\"state\":\"start\"}]"));

	/* 1: starts with the record at exactly T0+1. Refused SYNs: 100%
	 * incomplete, below the SYN rate. The SYN-ACK of T0+0.88 still
	 * half-open (1.12 s old). The heavy source's 20 SYNs do not stand
	 * out: as live, a candidate of an earlier interval is not shown. */
	assert_interval(iv[1], "2023-11-14T22:13:22.000000Z", "1.000", 30, 0, 0, 10, 1);
	assert_non_null(strstr(iv[1], "\"top_targets\":[{\"addr\":\"" TOP_TARGET "\",\"port\":80,"
			       "\"syn\":20},{\"addr\":\"198.51.100.2\",\"port\":22,\"syn\":10}]"));
	assert_non_null(strstr(iv[1], "\"top_sources\":[]"));
	assert_non_null(strstr(iv[1], "\"alerts\":[\"incomplete\"]"));
	assert_non_null(strstr(iv[1], "\"alert_changes\":[{\"alert\":\"syn_rate\",\"state\":\"end\"}]"));

	/* 2, 3: no record. The half-open SYN-ACK is older than --timeout at
	 * T0+3: gone. No SYN: the incomplete alert ends. */
	assert_interval(iv[2], "2023-11-14T22:13:23.000000Z", "1.000", 0, 0, 0, 0, 0);
	assert_non_null(strstr(iv[2], "\"top_targets\":[],\"top_sources\":[],"
			       "\"syn_to_synack_hist\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
			       "\"synack_to_ack_hist\":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"
			       "\"alerts\":[],\"alert_changes\":[{\"alert\":\"incomplete\",\"state\":\"end\"}]"));
	assert_interval(iv[3], "2023-11-14T22:13:24.000000Z", "1.000", 0, 0, 0, 0, 0);
	assert_non_null(strstr(iv[3], "\"alerts\":[],\"alert_changes\":[]"));

	/* 4: partial, up to the last record. */
	assert_interval(iv[4], "2023-11-14T22:13:24.500000Z", "0.500", 1, 0, 0, 0, 0);
	free_lines(iv, n);

	/* The summary as in trace mode. */
	assert_int_equal(counter(r.err, "(syn "), TOP_RANDOM + TOP_HEAVY_SYNS + 1 + 4 + 30 + 1);
	assert_int_equal(counter(r.err, "completing ack "), 3);
	assert_int_equal(counter(r.err, "rst "), 10);
	if (!strstr(r.err, "synscope: 5236 handshakes: 3 established, 10 refused, 0 reset, 5222 timeout, 1 open"))
		fail_msg("summary: %s", r.err);
	result_free(&r);

	/* --top-n 1, -p 22: the filter applies to the flood view too. */
	RUN(&r, "top", "-r", path, "-o", "json", "--top-n", "1", "-p", "22");
	assert_int_equal(r.status, 0);
	n = lines_of(r.out, "interval", iv, 16);
	assert_int_equal(n, 5);
	assert_field_num(iv[0], "syn", 4);
	assert_non_null(strstr(iv[0], "\"top_targets\":[{\"addr\":\"198.51.100.2\",\"port\":22,\"syn\":4}]"));
	assert_non_null(strstr(iv[0], "\"top_sources\":[]"));   /* 4 SYNs: no candidate */
	free_lines(iv, n);
	result_free(&r);

	/* Text: one line per interval, the alert changes on lines of their own. */
	RUN(&r, "top", "-r", path, "--alert-syn-rate", "1000", "--timeout", "2");
	assert_int_equal(r.status, 0);
	assert_int_equal(count_lines(r.out), 7);
	assert_non_null(strstr(r.out, "ALERT START: SYN rate 5205/s, threshold 1000/s\n"
			       "2023-11-14T22:13:21.000000Z syn/s 5205 synack/s 4 established/s 3"));
	assert_non_null(strstr(r.out, "top-target " TOP_TARGET ":80 5201/s top-source " TOP_HEAVY " "));
	assert_non_null(strstr(r.out, "ALERT END: SYN rate 30/s"));
	assert_non_null(strstr(r.out, "2023-11-14T22:13:24.500000Z syn/s 2 "));
	assert_null(strstr(r.out, "\033["));   /* never the screen style */
	result_free(&r);

	/* The same from stdin. */
	run_argv(&r, path, 0, (const char *[]){ "top", "-r", "-", "-o", "json", NULL });
	assert_int_equal(r.status, 0);
	n = lines_of(r.out, "interval", iv, 16);
	assert_int_equal(n, 5);
	assert_field_num(iv[0], "syn", TOP_RANDOM + TOP_HEAVY_SYNS + 1 + 4);
	free_lines(iv, n);
	result_free(&r);
}

/* More targets than the table holds (4096, as the kernel's map): the
 * busy one is never the least recently updated, and keeps its exact count. */
static void test_top_target_bound(void **state)
{
	static const struct cb_link eth = { .name = "targets", .dlt = CB_DLT_EN10MB, .family = 4 };
	static const uint8_t cli[4] = { 192, 0, 2, 1 }, busy[4] = { 198, 51, 100, 9 };
	char path[PATHLEN], *iv[2];
	struct cb_writer *w;
	struct tp_flow f;
	struct result r;
	uint32_t i;
	int n;

	(void)state;
	tmp_path(path, sizeof(path), "targets.pcap");
	w = cb_open(path, &eth);
	assert_non_null(w);
	for (i = 0; i < 10000; i++) {
		uint8_t dst[4] = { 203, 0, (uint8_t)(i >> 8), (uint8_t)i };

		f = i % 50 == 0 ? top_syn(cli, busy, (uint16_t)(1024 + i), 443)
				: top_syn(cli, dst, (uint16_t)(1024 + i), 80);
		top_add(w, CB_BASE_NS + i * 10000ull, &f);
	}
	assert_int_equal(cb_close(w), 0);
	RUN(&r, "top", "-r", path, "-o", "json", "--top-n", "2");
	assert_int_equal(r.status, 0);
	n = lines_of(r.out, "interval", iv, 2);
	assert_int_equal(n, 1);
	assert_field_num(iv[0], "syn", 10000);
	assert_non_null(strstr(iv[0], "\"top_targets\":[{\"addr\":\"198.51.100.9\",\"port\":443,"
			       "\"syn\":200},{\"addr\":\"203.0."));
	free_lines(iv, n);
	result_free(&r);
}

/* Two SYNs `gap` apart with --interval 1: the empty intervals between are
 * printed while fewer than 3600, else the first one and a note. */
static void write_two_syns(const char *path, uint64_t gap)
{
	static const struct cb_link eth = { .name = "gap", .dlt = CB_DLT_EN10MB, .family = 4 };
	struct cb_writer *w = cb_open(path, &eth);
	struct tp_flow f = tp_flow_client(4, TP_SYN);

	assert_non_null(w);
	top_add(w, CB_BASE_NS, &f);
	f.sport++;
	top_add(w, CB_BASE_NS + gap, &f);
	assert_int_equal(cb_close(w), 0);
}

static void test_top_gaps(void **state)
{
	static const struct {
		uint64_t gap;
		int intervals;          /* printed */
		long skipped;           /* in the note; 0: no note */
		const char *last_ts;
	} cases[] = {
		/* 3599 empty intervals between [T0, T0+1) and [T0+3600, ...) */
		{ 3600 * SEC_NS + SEC_NS / 4, 3601, 0, "2023-11-14T23:13:20.250000Z" },
		/* 3600: the first printed, 3599 in the note */
		{ 3601 * SEC_NS + SEC_NS / 4, 3, 3599, "2023-11-14T23:13:21.250000Z" },
		/* a day */
		{ 86400 * SEC_NS, 3, 86398, "2023-11-15T22:13:20.000000Z" },
	};
	char path[PATHLEN], *iv[4];
	struct result r;
	size_t c;
	int n;

	(void)state;
	tmp_path(path, sizeof(path), "gap.pcap");
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		write_two_syns(path, cases[c].gap);
		RUN(&r, "top", "-r", path, "-o", "json");
		assert_int_equal(r.status, 0);
		n = lines_of(r.out, "interval", iv, 4);
		free_lines(iv, n);
		/* The intervals, the gap note, the summary. */
		assert_int_equal(count_lines(r.out), cases[c].intervals + (cases[c].skipped > 0) + 1);
		if (cases[c].skipped) {
			char *gap[2];

			assert_int_equal(lines_of(r.out, "gap", gap, 2), 1);
			assert_field(gap[0], "from", "2023-11-14T22:13:22.000000Z");
			assert_field_num(gap[0], "intervals", cases[c].skipped);
			free_lines(gap, 1);
			/* first interval, first empty one, note, last */
			assert_int_equal(n, 3);
		}
		/* The SYNs are in the first and the last interval; the summary
		 * after it counts both. */
		assert_int_equal(num_after(r.out, "\"syn\":"), 1);
		{
			char *all = strdup(r.out), *sum;

			assert_non_null(all);
			sum = (char *)last_line(all);
			*sum = '\0';   /* the intervals and the note, without the summary */
			assert_int_equal(num_after(last_line(all), "\"syn\":"), 1);
			assert_field(last_line(all), "ts", cases[c].last_ts);
			free(all);
		}
		assert_true(strncmp(last_line(r.out), "{\"type\":\"summary\",", 18) == 0);
		assert_non_null(strstr(last_line(r.out), "\"syns\":{\"kernel\":2,\"recorded\":2,"));
		result_free(&r);
	}
}

static int setup(void **state)
{
	(void)state;
	bin = getenv("SYNSCOPE") ? getenv("SYNSCOPE") : "build/synscope";
	if (access(bin, X_OK)) {
		fprintf(stderr, "test_capture: %s not built (run from the repository root)\n", bin);
		return -1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ss-capture-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* The unreadable-file case runs as nobody, who must reach the dir. */
	chmod(tmpdir, 0755);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_text_output),
		cmocka_unit_test(test_packet_lines),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_snaplen),
		cmocka_unit_test(test_cut_file),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_pending_bound),
		cmocka_unit_test(test_top_intervals),
		cmocka_unit_test(test_top_target_bound),
		cmocka_unit_test(test_top_gaps),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
