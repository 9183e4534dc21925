// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * verdict_cost: what synscope's kernel-verdict programs (bpf/verdict.bpf.c)
 * cost per tracepoint call, on real traffic. BPF_PROG_TEST_RUN refuses
 * tp_btf programs, so the kernel times them: BPF run-time statistics
 * (BPF_ENABLE_STATS), run_time_ns / run_cnt of each program. Prints
 * markdown on stdout (a table, then `row NAME VALUE UNIT` lines for
 * scripts), progress on stderr. Measures and prints; asserts no timing.
 *
 *   verdict_cost [PACKETS [ROUNDS]]     (200000 and 5 when not given)
 *
 * A child process makes a network namespace of its own (lo up, nothing
 * else) and has synscope's library load the verdict programs for it
 * (ss_verdicts_open(), as a live session does), then takes their fds
 * (ss_verdicts_prog_fd()) and attaches them itself. For each kind of packet
 * below, each round, it sends PACKETS from a raw socket to 127.0.0.1, from
 * 198.18.0.1, with the bare programs (bench/tp_bare.bpf.c) attached, and
 * as many with the verdict programs in their place, in turns of CHUNK
 * packets: that source has no route back, so no answer (RST, ICMP) is
 * ever sent, and each packet makes exactly the calls its row names. A
 * second namespace, made the same way, gives the packets the verdict
 * programs filter out by namespace. The tracepoints are global: the
 * programs also run for the rest of the host, so turns with more calls
 * than packets are left out (measure()).
 *
 * Needs root (CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN, CAP_NET_RAW, CAP_SYS_ADMIN).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "synscope.h"
#include "live/verdict.h"
#include "tp_bare.skel.h"
#include "stats.h"

#define DEF_PACKETS 200000
#define DEF_ROUNDS 5
#define MAX_ROUNDS 15
#define MAX_PACKETS 1000000
/* The child's bound: ten times what a packet takes here (8 us, sent and
 * dropped), and a minute; past it SIGALRM ends the child, and the parent
 * says so. */
#define WATCHDOG_US_PER_PACKET 80
/* Packets between two drains of the verdict ring (1 MiB, 72 bytes a
 * verdict: 14563), at most two verdicts each: a quarter of the ring. */
#define DRAIN_EVERY 1024
/* Packets each program takes at a time, in turn with the other. */
#define CHUNK 5000
#define SRC_ADDR "198.18.0.1"   /* benchmark range, no route back */
#define DST_ADDR "127.0.0.1"
#define SRC_PORT 40000
#define DST_PORT 9              /* discard: nothing listens in a fresh namespace */

/* ---- the namespaces and the packets ---------------------------------------- */

/* A new network namespace for this process, its lo up, and a raw socket
 * in it (IPPROTO_RAW: send only, we write the IP header). */
static int netns_new(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd, raw;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "verdict_cost: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr))) {
		fprintf(stderr, "verdict_cost: bringing lo up: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (raw < 0)
		fprintf(stderr, "verdict_cost: raw socket: %s\n", strerror(errno));
	return raw;
}

static uint32_t csum_add(uint32_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)b[i] << 8 | b[i + 1];
	if (len & 1)
		sum += (uint32_t)b[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

struct pkt {
	uint8_t b[40];
	size_t len;
};

/*
 * An IPv4 packet, SRC_ADDR:SRC_PORT to DST_ADDR:DST_PORT: a TCP segment
 * with the flags (valid checksum: TCP checks it before looking for a
 * socket), or a UDP datagram (flags < 0; no checksum, allowed on IPv4).
 */
static void pkt_build(struct pkt *p, int tcp_flags)
{
	uint8_t *ip = p->b, *l4 = p->b + 20;
	size_t l4len = tcp_flags >= 0 ? 20 : 8;
	uint32_t src, dst, sum;
	uint16_t c;

	inet_pton(AF_INET, SRC_ADDR, &src);
	inet_pton(AF_INET, DST_ADDR, &dst);
	memset(p->b, 0, sizeof(p->b));
	p->len = 20 + l4len;
	ip[0] = 0x45;
	ip[2] = p->len >> 8;
	ip[3] = p->len & 0xff;
	ip[6] = 0x40;                       /* DF */
	ip[8] = 64;
	ip[9] = tcp_flags >= 0 ? IPPROTO_TCP : IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	c = csum_fold(csum_add(0, ip, 20));
	ip[10] = c >> 8;
	ip[11] = c & 0xff;
	l4[0] = SRC_PORT >> 8;
	l4[1] = SRC_PORT & 0xff;
	l4[2] = DST_PORT >> 8;
	l4[3] = DST_PORT & 0xff;
	if (tcp_flags < 0) {
		l4[5] = 8;                  /* UDP length, checksum 0 */
		return;
	}
	l4[4] = 0x12;                       /* seq 0x12345678 */
	l4[5] = 0x34;
	l4[6] = 0x56;
	l4[7] = 0x78;
	l4[12] = 5 << 4;                    /* data offset: 20 bytes */
	l4[13] = (uint8_t)tcp_flags;
	l4[14] = 0xfa;                      /* window 64240 */
	l4[15] = 0xf0;
	/* The pseudo-header: addresses, protocol, TCP length. */
	sum = csum_add(0, ip + 12, 8) + IPPROTO_TCP + l4len;
	c = csum_fold(csum_add(sum, l4, l4len));
	l4[16] = c >> 8;
	l4[17] = c & 0xff;
}

/* ---- the measurement --------------------------------------------------------- */

/* The tracepoints, numbered as the library numbers their programs. */
enum {
	TP_KFREE = SS_VD_PROG_KFREE_SKB,
	TP_RESET = SS_VD_PROG_TCP_SEND_RESET,
	TP_N = SS_VD_PROG_MAX
};
enum { PR_BARE, PR_VERDICT, PR_N };             /* the programs on each */

static const char *const tp_name[TP_N] = { "kfree_skb", "tcp_send_reset" };

enum { K_SYN, K_RST, K_UDP, K_FOREIGN, K_N };

static const struct kind {
	const char *name;       /* in the rows */
	const char *desc;       /* in the table */
	int tcp_flags;          /* -1: UDP */
	int foreign;            /* sent in the other namespace */
} kinds[K_N] = {
	[K_SYN] = { "syn", "SYN to a closed port (freed NO_SOCKET; a RST for it, unroutable)",
		    SS_TCP_SYN, 0 },
	[K_RST] = { "rst", "RST to a closed port (freed NO_SOCKET): TCP, no handshake",
		    SS_TCP_RST, 0 },
	[K_UDP] = { "udp", "UDP to a closed port (freed NO_SOCKET): not TCP", -1, 0 },
	[K_FOREIGN] = { "other-netns", "UDP to a closed port, another namespace", -1, 1 },
};

/* One measured kind and round, per tracepoint and program. */
struct meas {
	double runs[TP_N][PR_N];        /* calls timed (in the turns used) */
	double ns[TP_N][PR_N];          /* ns per call */
	uint32_t turns, kept;           /* turns, and those used (see measure()) */
	uint32_t sent;                  /* packets of each program in those */
	uint64_t events;                /* verdicts written (the programs' count) */
	uint64_t lost;                  /* verdicts lost: ring full */
	uint64_t read[TP_N];            /* verdicts read from the ring, by tracepoint */
};

struct bench {
	struct ss_verdicts *vd;
	int fd[TP_N][PR_N];             /* the programs */
	int sock[2];                    /* raw sockets: traced namespace, other one */
	struct pkt pkt[K_N];
};

struct pstat {
	__u64 cnt, ns;
};

static int prog_stat(int fd, struct pstat *s)
{
	struct bpf_prog_info pi = {};
	__u32 len = sizeof(pi);

	if (bpf_obj_get_info_by_fd(fd, &pi, &len))
		return -errno;
	s->cnt = pi.run_cnt;
	s->ns = pi.run_time_ns;
	return 0;
}

/* Counts what was read by the tracepoint that wrote it. */
static void on_verdict(void *ctx, const struct ss_verdict *v)
{
	uint64_t *read = ctx;

	read[v->kind == SS_VD_RST ? TP_RESET : TP_KFREE]++;
}

/*
 * Attach program pr to both tracepoints (link fds in link[]), alone: the
 * first program on a tracepoint costs some ns more than the next ones,
 * so side by side the two would not be measured alike. A raw tracepoint
 * link, as libbpf makes for a tp_btf program.
 */
static int attach(const struct bench *b, int pr, int link[TP_N])
{
	int t;

	for (t = 0; t < TP_N; t++) {
		link[t] = bpf_raw_tracepoint_open(NULL, b->fd[t][pr]);
		if (link[t] < 0) {
			fprintf(stderr, "verdict_cost: cannot attach to %s: %s\n", tp_name[t],
				strerror(-link[t]));
			while (t--)
				close(link[t]);
			return -1;
		}
	}
	return 0;
}

/* The calls and time of program pr while it sends n packets of kind k,
 * alone on the tracepoints: added to run[] and ns[]. The verdict ring is
 * drained as it goes (into read[]). */
static int phase(struct bench *b, int k, int pr, uint32_t n, __u64 run[TP_N], __u64 ns[TP_N],
		 uint64_t read[TP_N])
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct pstat s0[TP_N], s1[TP_N];
	const struct pkt *p = &b->pkt[k];
	int fd = b->sock[kinds[k].foreign], link[TP_N], t, ret = -1;
	uint32_t i;

	inet_pton(AF_INET, DST_ADDR, &dst.sin_addr);
	for (t = 0; t < TP_N; t++)
		if (prog_stat(b->fd[t][pr], &s0[t]))
			return -1;
	if (attach(b, pr, link))
		return -1;
	for (i = 0; i < n; i++) {
		if (sendto(fd, p->b, p->len, 0, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			fprintf(stderr, "verdict_cost: sendto: %s\n", strerror(errno));
			goto out;
		}
		if (i % DRAIN_EVERY == DRAIN_EVERY - 1)
			ss_verdicts_consume(b->vd, on_verdict, read);
	}
	ret = 0;
out:
	/* Read after the detach: every call made while attached counts. */
	for (t = 0; t < TP_N; t++)
		close(link[t]);
	for (t = 0; t < TP_N && !ret; t++) {
		ret = prog_stat(b->fd[t][pr], &s1[t]);
		if (!ret) {
			run[t] += s1[t].cnt - s0[t].cnt;
			ns[t] += s1[t].ns - s0[t].ns;
		}
	}
	ss_verdicts_consume(b->vd, on_verdict, read);
	return ret;
}

/*
 * Kind k, the bare and the verdict programs in turn, CHUNK packets at a
 * time each (this machine's speed drifts within seconds: so both see the
 * same), which goes first alternating; packets of each in all. A turn in
 * which a program ran more than 2% more often than packets were sent
 * (the host's own calls: another namespace's flood, filtered out, cheap)
 * is left out, both programs' part; when none is left, all are used.
 */
static int measure(struct bench *b, int k, uint32_t packets, struct meas *m)
{
	uint64_t c0[SS_VD_C_MAX], c1[SS_VD_C_MAX], stale[TP_N] = {};
	__u64 run[2][PR_N][TP_N] = {}, ns[2][PR_N][TP_N] = {}; /* [0] clean turns, [1] all */
	uint32_t done, n, c;
	int t, pr, i, all;

	memset(m, 0, sizeof(*m));
	/* Whatever an earlier measurement left is not this one's. */
	ss_verdicts_consume(b->vd, on_verdict, stale);
	if (ss_verdicts_counters(b->vd, c0))
		return -1;
	for (done = 0, c = 0; done < packets; done += n, c++) {
		__u64 trun[PR_N][TP_N] = {}, tns[PR_N][TP_N] = {};
		int clean = 1;

		n = packets - done < CHUNK ? packets - done : CHUNK;
		for (i = 0; i < PR_N; i++) {
			pr = (i + c) % PR_N;
			if (phase(b, k, pr, n, trun[pr], tns[pr], m->read))
				return -1;
		}
		for (pr = 0; pr < PR_N; pr++)
			for (t = 0; t < TP_N; t++)
				clean &= trun[pr][t] <= n + n / 50;
		for (all = !clean; all < 2; all++)
			for (pr = 0; pr < PR_N; pr++)
				for (t = 0; t < TP_N; t++) {
					run[all][pr][t] += trun[pr][t];
					ns[all][pr][t] += tns[pr][t];
				}
		m->turns++;
		m->kept += clean;
		m->sent += clean ? n : 0;
	}
	if (ss_verdicts_counters(b->vd, c1))
		return -1;
	all = !m->kept;
	if (all)
		m->sent = packets;
	for (t = 0; t < TP_N; t++)
		for (pr = 0; pr < PR_N; pr++) {
			__u64 r = run[all][pr][t];

			m->runs[t][pr] = (double)r;
			m->ns[t][pr] = r ? (double)ns[all][pr][t] / r : 0;
		}
	m->events = c1[SS_VD_C_EVENTS] - c0[SS_VD_C_EVENTS];
	m->lost = c1[SS_VD_C_LOST] - c0[SS_VD_C_LOST];
	return 0;
}

/* One table row's figures, a value per round. */
struct fig {
	double bare[MAX_ROUNDS], vd[MAX_ROUNDS];        /* ns per run */
	double over[MAX_ROUNDS], ratio[MAX_ROUNDS];     /* verdict against bare */
	double rpp[MAX_ROUNDS];                         /* verdict runs per packet */
	double ev[MAX_ROUNDS];                          /* its verdicts per packet */
	double runs[MAX_ROUNDS];                        /* verdict runs timed */
	uint32_t turns, kept;                           /* over the rounds */
};

/* Tracepoint t's figures for one kind (m: its rounds); 0 when the
 * tracepoint ran less than once per two packets: a few calls from the
 * rest of the host are not a row. */
static int figures(const struct meas *m, int rounds, int t, uint32_t packets, struct fig *f)
{
	int r;

	memset(f, 0, sizeof(*f));
	for (r = 0; r < rounds; r++) {
		f->bare[r] = m[r].ns[t][PR_BARE];
		f->vd[r] = m[r].ns[t][PR_VERDICT];
		f->over[r] = f->vd[r] - f->bare[r];
		f->ratio[r] = f->bare[r] > 0 ? f->vd[r] / f->bare[r] : 0;
		f->runs[r] = m[r].runs[t][PR_VERDICT];
		f->rpp[r] = f->runs[r] / m[r].sent;
		f->ev[r] = (double)m[r].read[t] / packets;
		f->turns += m[r].turns;
		f->kept += m[r].kept;
	}
	return median(f->rpp, rounds, NULL, NULL) >= 0.5;
}

static void report(struct meas res[K_N][MAX_ROUNDS], int rounds, uint32_t packets)
{
	uint64_t events = 0, lost = 0, read = 0;
	char a[64], b[64], c[64], d[64], e[64];
	struct fig f;
	int k, t, r;

	printf("BTF tracepoint programs timed by the kernel (BPF_ENABLE_STATS with "
	       "BPF_STATS_RUN_TIME: run_time_ns / run_cnt of each program), %u packets of each "
	       "kind per round for each program, %d round%s, sent on CPU 0 from a raw socket in a "
	       "network namespace of this run, from %s (no route back: no answer is sent). "
	       "synscope's verdict programs (bpf/verdict.bpf.c, loaded by ss_verdicts_open() for "
	       "that namespace) and bare ones (bench/tp_bare.bpf.c) take turns, alone on the "
	       "tracepoints as in a session, %u packets at a time, which goes first alternating. "
	       "Figures: median [min, max] over the rounds; over bare and ratio are taken in each "
	       "round, then their median. Its verdicts per packet: those the tracepoint's verdict "
	       "program wrote, as read from the ring. The tracepoints are global: a turn in which "
	       "either program ran more than 2%% more often than packets were sent (the host's "
	       "own calls, which the verdict program filters out cheaply) is left out; turns "
	       "used, and runs per packet in them, show it.\n\n",
	       packets, rounds, rounds == 1 ? "" : "s", SRC_ADDR, CHUNK);
	printf("| tracepoint | packets | its verdicts per packet | turns used | runs per packet | "
	       "bare ns/run | verdict ns/run | over bare, ns | ratio |\n");
	printf("|---|---|--:|--:|--:|--:|--:|--:|--:|\n");
	for (k = 0; k < K_N; k++)
		for (t = 0; t < TP_N; t++) {
			if (!figures(res[k], rounds, t, packets, &f))
				continue;
			printf("| %s | %s | %.2f | %u / %u | %.3f | %s | %s | %s | %s |\n",
			       tp_name[t], kinds[k].desc, median(f.ev, rounds, NULL, NULL), f.kept,
			       f.turns, median(f.rpp, rounds, NULL, NULL),
			       fmt_mm(a, sizeof(a), "%.0f", f.bare, rounds),
			       fmt_mm(b, sizeof(b), "%.0f", f.vd, rounds),
			       fmt_mm(c, sizeof(c), "%.0f", f.over, rounds),
			       fmt_mm(d, sizeof(d), "%.2f", f.ratio, rounds));
		}
	for (k = 0; k < K_N; k++)
		for (r = 0; r < rounds; r++) {
			events += res[k][r].events;
			lost += res[k][r].lost;
			read += res[k][r].read[TP_KFREE] + res[k][r].read[TP_RESET];
		}
	printf("\nVerdicts written %lu, read %lu, lost (ring full) %lu; the ring (1 MiB) is "
	       "drained every %u packets.\n\n", (unsigned long)events, (unsigned long)read,
	       (unsigned long)lost, DRAIN_EVERY);

	/* The same figures (medians), a line each, for scripts: row NAME VALUE UNIT. */
	printf("```text\n");
	for (k = 0; k < K_N; k++)
		for (t = 0; t < TP_N; t++) {
			if (!figures(res[k], rounds, t, packets, &f))
				continue;
			snprintf(e, sizeof(e), "%s.%s", tp_name[t], kinds[k].name);
			printf("row %s.runs %.0f runs\n", e, median(f.runs, rounds, NULL, NULL));
			printf("row %s.turns_used %u turns\n", e, f.kept);
			printf("row %s.turns %u turns\n", e, f.turns);
			printf("row %s.bare %.1f ns\n", e, median(f.bare, rounds, NULL, NULL));
			printf("row %s.verdict %.1f ns\n", e, median(f.vd, rounds, NULL, NULL));
			printf("row %s.over_bare %.1f ns\n", e, median(f.over, rounds, NULL, NULL));
			printf("row %s.ratio %.2f x\n", e, median(f.ratio, rounds, NULL, NULL));
		}
	printf("row verdicts.written %lu events\n", (unsigned long)events);
	printf("row verdicts.lost %lu events\n", (unsigned long)lost);
	printf("```\n");
}

/* The child: namespaces, programs, traffic, report. */
static int run(uint32_t packets, int rounds)
{
	static struct meas res[K_N][MAX_ROUNDS];
	struct bench b = { .sock = { -1, -1 } };
	struct tp_bare *bare = NULL;
	struct meas warm;
	char err[256];
	int stats_fd = -1, ret = 1, k, r, t, p;
	uint64_t t0 = now_ns();

	for (t = 0; t < TP_N; t++)
		for (p = 0; p < PR_N; p++)
			b.fd[t][p] = -1;
	for (k = 0; k < K_N; k++)
		pkt_build(&b.pkt[k], kinds[k].tcp_flags);
	/* lo delivers on the sending CPU: every call on one, as bench_prog. */
	pin_to(0);

	/* The traced namespace, and synscope's programs for it. */
	b.sock[0] = netns_new();
	if (b.sock[0] < 0)
		goto out;
	b.vd = ss_verdicts_open(0, err, sizeof(err));
	if (!b.vd) {
		fprintf(stderr, "verdict_cost: %s\n", err);
		goto out;
	}
	/* The library's fds: closed by ss_verdicts_close(), not here. */
	for (t = 0; t < TP_N; t++) {
		b.fd[t][PR_VERDICT] = ss_verdicts_prog_fd(b.vd, t);
		if (b.fd[t][PR_VERDICT] < 0) {
			fprintf(stderr, "verdict_cost: no verdict program for %s\n", tp_name[t]);
			goto out;
		}
	}
	/* Loaded and configured as a session does; attached by phase(), in
	 * turn with the bare ones. The ring stays readable. */
	ss_verdicts_detach(b.vd);

	bare = tp_bare__open_and_load();
	if (!bare) {
		fprintf(stderr, "verdict_cost: cannot load tp_bare.bpf.o: %s\n", strerror(errno));
		goto out;
	}
	b.fd[TP_KFREE][PR_BARE] = bpf_program__fd(bare->progs.bench_tp_kfree_skb);
	b.fd[TP_RESET][PR_BARE] = bpf_program__fd(bare->progs.bench_tp_tcp_send_reset);

	/* The other namespace: the process moves there; its first socket
	 * stays in the traced one. */
	b.sock[1] = netns_new();
	if (b.sock[1] < 0)
		goto out;

	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0) {
		fprintf(stderr, "verdict_cost: cannot enable BPF run-time stats: %s\n",
			strerror(-stats_fd));
		goto out;
	}

	/* Warm-up: caches, the socket paths, the ring's pages. */
	for (k = 0; k < K_N; k++)
		if (measure(&b, k, packets / 10 ? packets / 10 : 1, &warm))
			goto out;
	for (r = 0; r < rounds; r++) {
		fprintf(stderr, "verdict_cost: round %d/%d (%.0f s so far)\n", r + 1, rounds,
			(now_ns() - t0) / 1e9);
		for (k = 0; k < K_N; k++)
			if (measure(&b, k, packets, &res[k][r]))
				goto out;
	}
	report(res, rounds, packets);
	fprintf(stderr, "verdict_cost: done in %.0f s\n", (now_ns() - t0) / 1e9);
	ret = 0;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	tp_bare__destroy(bare);
	ss_verdicts_close(b.vd);
	for (k = 0; k < 2; k++)
		if (b.sock[k] >= 0)
			close(b.sock[k]);
	return ret;
}

int main(int argc, char **argv)
{
	long packets = argc > 1 ? num(argv[1], 1, MAX_PACKETS) : DEF_PACKETS;
	long rounds = argc > 2 ? num(argv[2], 1, MAX_ROUNDS) : DEF_ROUNDS;
	pid_t pid;
	int st;

	if (argc > 3 || packets < 0 || rounds < 0) {
		fprintf(stderr, "usage: verdict_cost [PACKETS [ROUNDS]]   (1..%d, 1..%d)\n",
			MAX_PACKETS, MAX_ROUNDS);
		return 2;
	}
	libbpf_set_print(libbpf_quiet);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* The namespaces are the child's: whatever happens to it, they go with
	 * it, and this process stays where it was. */
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "verdict_cost: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		/* Every packet of every kind, for each program, each round and the warm-up. */
		alarm(60 + (unsigned)((uint64_t)packets * (rounds + 1) * K_N * PR_N *
				      WATCHDOG_US_PER_PACKET / 1000000));
		_exit(run((uint32_t)packets, (int)rounds));
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(st)) {
		fprintf(stderr, "verdict_cost: the measuring process died: %s%s\n",
			strsignal(WTERMSIG(st)),
			WTERMSIG(st) == SIGALRM ? " (watchdog: took too long)" : "");
		return 1;
	}
	return WEXITSTATUS(st);
}
