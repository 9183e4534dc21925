// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * Offline mode: read a pcap/pcapng capture and report its handshakes
 * exactly as live mode would have.
 *
 * Each record goes through the same steps as a packet in the kernel
 * program's handle(): the shared parser (bpf/parse.h, host build), the
 * same counters, the same --port/--host filter, and a copy of the kernel's
 * pending SYN-ACK table, so the events fed to the handshake engine are the
 * ones the kernel would have written to its ring buffer. Capture time
 * replaces the kernel clock: it stamps the events and drives the engine's
 * timeouts.
 *
 * "synscope top -r" replays the same way and also feeds what the kernel's
 * flood maps would have counted (each SYN past the filters, the capture
 * clock) to flood_offline.c, which prints one interval per --interval of
 * capture time instead of handshake records. Off, it costs a pointer test
 * per SYN and per record.
 *
 * With -w, the records that became events are written out as they were
 * read (user/pcap_write.c): the same link type, the same timestamps, cut
 * at the snap length.
 *
 * The per-packet path allocates nothing and makes no system call: libpcap
 * reads through a large stdio buffer, and output is fully buffered when it
 * is not a terminal.
 *
 * No <bpf/...> header here: libpcap and libbpf both define struct bpf_insn
 * and struct bpf_program.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "synscope.h"
#include "parse.h"
#include "capture.h"
#include "flood_offline.h"
#include "handshake.h"
#include "options.h"
#include "output.h"
#include "pcap_write.h"

/* ---- link layers ------------------------------------------------------- */

#define SS_SLL_HDR_LEN 16        /* Linux cooked v1 */
#define SS_SLL2_HDR_LEN 20       /* Linux cooked v2 */
#define SS_NULL_HDR_LEN 4        /* BSD loopback: the address family */
#define SS_PACKET_OUTGOING 4     /* cooked packet type: sent by this host */
#define SS_ETH_HDR_LEN 14

/* Largest record libpcap hands out (its MAXIMUM_SNAPLEN). */
#define SS_MAX_CAPLEN 262144

/*
 * Where a record's network layer starts. The kernel program only ever sees
 * Ethernet frames; any other link type is parsed as the Ethernet frame
 * with the same ethertype and payload would be.
 */
struct ss_frame {
	const uint8_t *data;     /* where the parser starts */
	const uint8_t *end;      /* end of the captured bytes */
	int eth;                 /* data is an Ethernet header */
	int cut;                 /* the link-layer header itself is cut */
	uint16_t proto;          /* !eth: ethertype of what is at data */
	uint8_t dir;             /* enum ss_dir */
	uint32_t ifindex;        /* SLL2 only; 0 otherwise */
};

static int link_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: case DLT_LINUX_SLL: case DLT_LINUX_SLL2:
	case DLT_RAW: case DLT_IPV4: case DLT_IPV6:
	case DLT_NULL: case DLT_LOOP:
		return 1;
	default:
		return 0;
	}
}

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* AF_INET6 differs between the systems that write loopback captures. */
static uint16_t af_ethertype(uint32_t af)
{
	switch (af) {
	case 2:                                   /* AF_INET everywhere */
		return SS_ETH_P_IP;
	case 10: case 24: case 28: case 30:       /* Linux, Net/OpenBSD, FreeBSD, macOS */
		return SS_ETH_P_IPV6;
	default:
		return 0;                         /* parsed as not IP */
	}
}

/* Raw IP: the version nibble says which. */
static uint16_t version_ethertype(const uint8_t *p, const uint8_t *end)
{
	if (p >= end)
		return 0;
	switch (p[0] >> 4) {
	case 4: return SS_ETH_P_IP;
	case 6: return SS_ETH_P_IPV6;
	default: return 0;
	}
}

/* Split one record of link type dlt into link-layer facts and payload. */
static void link_decode(int dlt, const uint8_t *pkt, uint32_t caplen, struct ss_frame *f)
{
	const uint8_t *end = pkt + caplen;
	uint32_t hdr = 0, af;

	memset(f, 0, sizeof(*f));
	f->end = end;
	f->dir = SS_DIR_IN;
	switch (dlt) {
	case DLT_EN10MB:
		f->eth = 1;
		break;
	case DLT_LINUX_SLL:
		hdr = SS_SLL_HDR_LEN;
		if (caplen < hdr)
			break;
		f->proto = get_be16(pkt + 14);
		if (get_be16(pkt) == SS_PACKET_OUTGOING)
			f->dir = SS_DIR_OUT;
		break;
	case DLT_LINUX_SLL2:
		hdr = SS_SLL2_HDR_LEN;
		if (caplen < hdr)
			break;
		f->proto = get_be16(pkt);
		f->ifindex = get_be32(pkt + 4);
		if (pkt[10] == SS_PACKET_OUTGOING)
			f->dir = SS_DIR_OUT;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		hdr = SS_NULL_HDR_LEN;
		if (caplen < hdr)
			break;
		if (dlt == DLT_LOOP) {
			af = get_be32(pkt);
		} else {
			/* Host order of the machine that wrote the file: a
			 * family never needs the upper 16 bits. */
			memcpy(&af, pkt, 4);
			if (af & 0xffff0000u)
				af = __builtin_bswap32(af);
		}
		f->proto = af_ethertype(af);
		break;
	case DLT_IPV4:
		f->proto = SS_ETH_P_IP;
		break;
	case DLT_IPV6:
		f->proto = SS_ETH_P_IPV6;
		break;
	default: /* DLT_RAW */
		f->proto = version_ethertype(pkt, end);
		/* An empty raw record is cut as an empty Ethernet frame is. */
		f->cut = caplen == 0;
		break;
	}
	if (caplen < hdr)
		f->cut = 1;
	f->data = f->cut ? end : pkt + hdr;
}

/* ---- one packet, as the kernel's handle() ------------------------------ */

struct ss_replay {
	const struct ss_options *o;        /* --port, --host */
	uint64_t counters[SS_C_MAX];
	struct ss_pend_set *pend;          /* the kernel's pending table, SS_PEND_SETS */
	__u64 *occ;                        /* and its groups' counts, SS_PEND_OCC */
	uint8_t tshift;                    /* its time unit and --timeout in it */
	uint32_t live_t;
	uint64_t swept;                    /* capture clock of the last sweep */
	uint8_t *scratch;                  /* a synthetic Ethernet frame */
	uint64_t now;                      /* the capture clock (never decreasing) */
	struct flood_offline *flood;       /* top: the flood maps; NULL otherwise */
};

static int host_listed(const struct ss_options *o, uint8_t family, const uint32_t *addr)
{
	int i;

	for (i = 0; i < o->nhosts; i++)
		if (ss_prefix_match(&o->hosts[i], family, addr))
			return 1;
	return 0;
}

/* What bpf/decide.h asks of this build (the kernel's are in
 * bpf/synscope.bpf.c): the same filter, the flood maps of top -r, the
 * capture clock, the table in memory. */
struct ss_decider {
	uint64_t *c;
	uint64_t key0, key1;
	uint8_t tshift;
	uint32_t live_t;
	struct ss_replay *r;
};

/* The kernel's filter: a segment matches when either end is listed. */
static inline int ss_d_match(struct ss_decider *x, const struct ss_pkt *pkt)
{
	const struct ss_options *o = x->r->o;

	if (o->nports && !ss_port_listed(o->ports, o->nports, pkt->sport) &&
	    !ss_port_listed(o->ports, o->nports, pkt->dport))
		return 0;
	if (o->nhosts && !host_listed(o, pkt->family, pkt->saddr) &&
	    !host_listed(o, pkt->family, pkt->daddr))
		return 0;
	return 1;
}

/* --cgroup is live only: a capture has no sockets. */
static inline int ss_d_owner(struct ss_decider *x, const struct ss_pkt *pkt)
{
	(void)x, (void)pkt;
	return 1;
}

static inline void ss_d_on_syn(struct ss_decider *x, const struct ss_pkt *pkt)
{
	if (x->r->flood)
		flood_off_syn(x->r->flood, pkt->family, pkt->saddr, pkt->daddr, pkt->dport);
}

static inline uint64_t ss_d_clock(struct ss_decider *x)
{
	return x->r->now;
}

static inline struct ss_pend_set *ss_d_pend_set(struct ss_decider *x, uint32_t index)
{
	return &x->r->pend[index];
}

static inline __u64 *ss_d_pend_occ(struct ss_decider *x, uint32_t group)
{
	return &x->r->occ[group];
}

#include "decide.h"

static int replay_init(struct ss_replay *r, const struct ss_options *o)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->tshift = ss_pend_tshift(o->timeout_ns);
	r->live_t = ss_pend_live_t(o->timeout_ns, r->tshift);
	r->scratch = malloc(SS_ETH_HDR_LEN + SS_MAX_CAPLEN);
	r->pend = aligned_alloc(64, (size_t)SS_PEND_SETS * sizeof(*r->pend));
	r->occ = calloc(SS_PEND_OCC, sizeof(*r->occ));
	if (!r->scratch || !r->pend || !r->occ) {
		free(r->scratch);
		free(r->pend);
		free(r->occ);
		return -1;
	}
	memset(r->pend, 0, (size_t)SS_PEND_SETS * sizeof(*r->pend));
	return 0;
}

static void replay_free(struct ss_replay *r)
{
	free(r->scratch);
	free(r->pend);
	free(r->occ);
	r->scratch = NULL;
	r->pend = NULL;
	r->occ = NULL;
}

/*
 * Parse the frame; *start is where the cursor began (what the option copy
 * is relative to). A tag after a non-Ethernet link header is walked by
 * ss_parse_eth on a copy with a synthetic Ethernet header: rare, and
 * exactly what the kernel does with the tagged frame.
 */
static int frame_parse(struct ss_replay *r, const struct ss_frame *f, struct ss_pkt *pkt,
		       const uint8_t **start, const uint8_t **end)
{
	struct ss_cursor c = { .pos = (void *)f->data, .end = (void *)f->end };
	size_t len;

	*start = f->data;
	*end = f->end;
	if (f->cut)
		return SS_PARSE_TRUNCATED;
	if (f->eth)
		return ss_parse_eth(&c, pkt);
	if (f->proto != SS_ETH_P_8021Q && f->proto != SS_ETH_P_8021AD)
		return ss_parse_l3(&c, f->proto, pkt);

	len = (size_t)(f->end - f->data);
	if (len > SS_MAX_CAPLEN)
		len = SS_MAX_CAPLEN;
	memset(r->scratch, 0, 12);
	r->scratch[12] = f->proto >> 8;
	r->scratch[13] = f->proto & 0xff;
	memcpy(r->scratch + SS_ETH_HDR_LEN, f->data, len);
	*start = r->scratch;
	*end = r->scratch + SS_ETH_HDR_LEN + len;
	c.pos = r->scratch;
	c.end = (void *)*end;
	return ss_parse_eth(&c, pkt);
}

/* The kernel's emit(), minus the ring buffer and its rate limit. ev is an
 * ss_event_syn, whatever the kind. */
static void make_event(struct ss_replay *r, const struct ss_frame *f,
		       const struct ss_pkt *pkt, const uint8_t *start, const uint8_t *end,
		       uint64_t ts_ns, uint8_t kind, struct ss_event_syn *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->e.ts_ns = ts_ns;
	ev->e.ifindex = f->ifindex;
	ev->e.dir = f->dir;
	ev->e.kind = kind;
	ss_fill_event(&ev->e, pkt);
	if (kind == SS_EV_SYN || kind == SS_EV_SYNACK) {
		struct ss_cursor c = { .pos = start, .end = end, .off = 0 };

		ss_fill_event_syn(ev, pkt);
		ev->opt_len = ss_copy_tcp_opts(&c, pkt, ev->opts);
	}
	r->counters[SS_C_EVENTS]++;
}

/*
 * One record through the kernel program's handle(): the same parse, the
 * same decision (decide.h), so the same counters and pending table.
 * Returns 1 when the kernel would have written an event (then in *ev), 0
 * otherwise.
 */
static int replay_packet(struct ss_replay *r, const struct ss_frame *f, uint64_t ts_ns,
			 struct ss_event_syn *ev)
{
	int keyed = r->o->pend_key[0] || r->o->pend_key[1];
	struct ss_decider x = { .c = r->counters,
				.key0 = keyed ? r->o->pend_key[0] : SS_REPLAY_KEY0,
				.key1 = keyed ? r->o->pend_key[1] : SS_REPLAY_KEY1,
				.tshift = r->tshift, .live_t = r->live_t, .r = r };
	struct ss_pkt pkt = { 0 };
	const uint8_t *start, *end;
	__u64 now = 0;
	int res, kind;

	r->counters[SS_C_PACKETS]++;
	res = frame_parse(r, f, &pkt, &start, &end);
	if (res != SS_PARSE_TCP) {
		r->counters[SS_C_NOT_IP + res - SS_PARSE_NOT_IP]++;
		return 0;
	}
	kind = ss_decide(&x, &pkt, &now);
	if (!kind)
		return 0;
	make_event(r, f, &pkt, start, end, ts_ns, (uint8_t)kind, ev);
	return 1;
}

/* What live userspace does to the kernel's table now and then (and top
 * each interval): clear the stale slots, count the live ones. */
static uint64_t replay_sweep(struct ss_replay *r, uint64_t now_ns)
{
	r->swept = now_ns;
	return ss_pend_sweep(r->pend, r->occ, SS_PEND_SETS, now_ns, r->tshift, r->live_t);
}

/* top's half-open at end_ns, as live top's: pending SYN-ACKs younger than
 * --timeout. */
static uint64_t replay_half_open(void *arg, uint64_t end_ns)
{
	return replay_sweep(arg, end_ns);
}

/* ---- the run ------------------------------------------------------------ */

struct offline {
	const struct ss_options *o;
	struct ss_out out;
	struct hs_engine *eng;
	uint64_t records;
	int done;                 /* -c reached, or stdout failed */
	int write_errno;          /* why stdout failed */
};

/* Stop at the first failed write: nobody reads what follows. Records go
 * through the writer, top's intervals through stdio. */
static void check_output(struct offline *ol)
{
	if (!ol->write_errno && (ol->out.w.err || ferror(stdout))) {
		ol->write_errno = ol->out.w.err ? ol->out.w.err : errno ? errno : EIO;
		ol->done = 1;
	}
}

static void on_record(const struct hs_record *rec, void *arg)
{
	struct offline *ol = arg;

	/* One batch (a timeout sweep) can hold more than -c asks for.
	 * top prints intervals, not records. */
	if (ol->done || ol->o->top)
		return;
	ss_out_record(&ol->out, rec, NULL);
	if (ol->o->count && ++ol->records >= ol->o->count)
		ol->done = 1;
	check_output(ol);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* Open the capture; on failure write the reason to err and return NULL. */
static pcap_t *open_capture(const char *path, char *err, size_t n)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct stat st;
	pcap_t *p;
	FILE *fp;

	if (strcmp(path, "-") == 0) {
		fp = stdin;
	} else {
		fp = fopen(path, "rb");
		if (!fp) {
			snprintf(err, n, "%s", strerror(errno));
			return NULL;
		}
		/* Clearer than what libpcap makes of these. */
		if (fstat(fileno(fp), &st) == 0 &&
		    (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0))) {
			snprintf(err, n, "%s", S_ISDIR(st.st_mode) ? strerror(EISDIR)
				 : "empty file, not a capture");
			fclose(fp);
			return NULL;
		}
	}
	/* libpcap reads record by record: a big stdio buffer turns that into
	 * few large reads. */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (!p) {
		if (fp != stdin)
			fclose(fp);
		if (strcmp(pcap_err, "unknown file format") == 0)
			snprintf(err, n, "not a pcap or pcapng capture (unknown file format)");
		else
			snprintf(err, n, "%s", pcap_err);
		return NULL;
	}
	if (!link_supported(pcap_datalink(p))) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		snprintf(err, n, "unsupported link type %s (%d): synscope reads Ethernet, "
			 "Linux cooked (SLL, SLL2), raw IP and loopback captures",
			 name ? name : "?", pcap_datalink(p));
		pcap_close(p);
		return NULL;
	}
	return p;
}

/* Would -w write over the capture being read (another name for it, or
 * stdout redirected to it)? */
static int same_file(pcap_t *p, const char *out)
{
	struct stat in_st, out_st;

	if (fstat(fileno(pcap_file(p)), &in_st) || !S_ISREG(in_st.st_mode))
		return 0;
	if (strcmp(out, "-") == 0 ? fstat(STDOUT_FILENO, &out_st) : stat(out, &out_st))
		return 0;
	return in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino;
}

static void (*capture_opened)(void);

void ss_capture_on_open(void (*fn)(void))
{
	capture_opened = fn;
}

int ss_capture_run(const struct ss_options *o, volatile sig_atomic_t *stop)
{
	const char *path = o->read_file;
	const char *shown = strcmp(path, "-") == 0 ? "stdin" : path;
	struct hs_config cfg = { .timeout_ns = o->timeout_ns, .max_flows = o->max_flows };
	struct offline ol = { .o = o };
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct ss_replay rp;
	struct ss_frame fr;
	struct ss_event_syn ev;
	struct hs_stats st;
	struct flood_offline *fo = NULL;
	struct ss_pcap_writer *pw = NULL;
	uint64_t npkts = 0, ts, now = 0;
	char err[PCAP_ERRBUF_SIZE + 128];
	int dlt, r = 0, ret = 1, pw_err = 0;
	pcap_t *p;

	p = open_capture(path, err, sizeof(err));
	if (!p) {
		fprintf(stderr, "synscope: %s: %s\n", shown, err);
		return 1;
	}
	dlt = pcap_datalink(p);
	/* -w: the input's link type; created with the privileges the input
	 * was opened with (dropped just after). */
	if (o->write_file) {
		if (same_file(p, o->write_file)) {
			fprintf(stderr, "synscope: -w would overwrite the file -r reads\n");
			pcap_close(p);
			return 1;
		}
		pw = ss_pw_open(o->write_file, dlt, o->snaplen, err, sizeof(err));
		if (!pw) {
			fprintf(stderr, "synscope: %s\n", err);
			pcap_close(p);
			return 1;
		}
	}
	if (capture_opened)
		capture_opened();
	if (replay_init(&rp, o)) {
		fprintf(stderr, "synscope: out of memory\n");
		ss_pw_close(pw, err, sizeof(err));
		pcap_close(p);
		return 1;
	}
	/* Capture time is already UTC. A file is read faster than anyone reads
	 * along: into a pipe or a file, whole buffers; to a terminal, lines.
	 * -w - writes the packets to stdout, the records to stderr. */
	ss_out_init(&ol.out, ss_pw_records_fd(o->write_file), o->json, o->explain,
		    o->line_buffered || isatty(ss_pw_records_fd(o->write_file)), 0,
		    strcmp(path, "-") == 0 ? "stdin" : base_name(path));
	if (!o->top && ss_out_load_p0f(&ol.out, o->p0f_db, err, sizeof(err))) {
		fprintf(stderr, "synscope: p0f database: %s\n", err);
		goto out;
	}
	ol.eng = hs_new(&cfg, on_record, &ol);
	if (o->top) {
		struct flood_off_config fc = { .o = o, .out = stdout, .counters = rp.counters,
					       .half_open = replay_half_open, .arg = &rp };

		fo = rp.flood = flood_off_new(&fc);
	}
	if (!ol.eng || (o->top && !fo)) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	/* top's intervals (stdio): main asked for line buffering, right live. */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 16);

	while (!ol.done && !*stop) {
		r = pcap_next_ex(p, &hdr, &data);
		if (r != 1)
			break;
		npkts++;
		/* Nanosecond precision was asked for: tv_usec holds ns. */
		ts = (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;
		/* Time only moves forward, even in a merged capture. */
		if (ts > now) {
			now = ts;
			hs_advance(ol.eng, now);
			if (ol.done)
				break;
		}
		rp.now = now;
		if (fo && flood_off_clock(fo, now)) {
			check_output(&ol);
			if (ol.done)
				break;
		}
		/* The sweep live userspace makes (main.c), on capture time. */
		if (now - rp.swept >= (uint64_t)SS_PEND_SWEEP_UNITS << rp.tshift)
			replay_sweep(&rp, now);
		link_decode(dlt, data, hdr->caplen, &fr);
		if (!replay_packet(&rp, &fr, ts, &ev))
			continue;
		/* As read: its link header, its own timestamp, its length. */
		if (pw && ss_pw_write(pw, ts, hdr->caplen, hdr->len, data) < 0)
			break;
		if (o->packets) {
			ss_out_packet(&ol.out, &ev.e);
			check_output(&ol);
		}
		hs_feed(ol.eng, &ev.e);
	}
	/* top: the interval in progress, [its start, the last record]. */
	if (fo && !ol.done)
		flood_off_finish(fo, now);
	/* As live: once -c is reached, what is still open is not reported. */
	if (!(o->count && ol.records >= o->count))
		hs_flush(ol.eng);
	ss_out_flush(&ol.out);
	if (fflush(stdout) == EOF)
		errno = errno ? errno : EIO;
	check_output(&ol);
	hs_get_stats(ol.eng, &st);
	ss_out_summary(stderr, &st, rp.counters);
	pw_err = ss_pw_close(pw, err, sizeof(err));
	pw = NULL;
	if (r == PCAP_ERROR)
		fprintf(stderr, "synscope: %s: %s (stopped after packet %lu)\n", shown,
			pcap_geterr(p), (unsigned long)npkts);
	else if (ol.write_errno == EPIPE)
		; /* the reader went away (| head): no news to tell */
	else if (ol.write_errno)
		fprintf(stderr, "synscope: stdout: %s\n", strerror(ol.write_errno));
	else if (pw_err == -EPIPE)
		; /* the reader of -w - went away */
	else if (pw_err)
		fprintf(stderr, "synscope: %s\n", err);
	else
		ret = 0;
out:
	ss_pw_close(pw, err, sizeof(err));
	ss_out_free(&ol.out);
	flood_off_free(fo);
	hs_free(ol.eng);
	replay_free(&rp);
	pcap_close(p);
	return ret;
}
