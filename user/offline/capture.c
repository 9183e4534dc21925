// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The offline source: a pcap/pcapng capture read with libpcap, each record
 * through the kernel's per-packet path on the host (replay.h), its events
 * to the mode's sink (sink.h), exactly as a live session would. Capture
 * time replaces the kernel's clock: it stamps the events and drives the
 * sink's clock (the trace's timeouts, top's intervals).
 *
 * With -w, the records that became events are written out as they were
 * read (out/pcap_write.c): the same link type, the same timestamps, cut
 * at the snap length.
 *
 * The per-packet path allocates nothing and makes no system call: libpcap
 * reads through a large stdio buffer, and output is fully buffered when it
 * is not a terminal. A capture that arrives as it is made (a pipe from
 * `tcpdump -U -w -`, a socket) is read through a stream of our own that
 * has the sink write out what it holds whenever the input has nothing more
 * yet (sink->idle), so records come out as their packets arrive. Reading a
 * file, a terminal's stderr shows how far it got.
 *
 * No <bpf/...> header here: libpcap and libbpf both define struct bpf_insn
 * and struct bpf_program.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "synscope.h"
#include "offline/capture.h"
#include "offline/flood_maps.h"
#include "offline/link.h"
#include "offline/replay.h"
#include "out/fmt.h"
#include "out/pcap_write.h"

/* Input that may keep us waiting: a pipe, a socket, a terminal. */
struct stream_in {
	int fd;
	struct ss_sink *sink;
	volatile sig_atomic_t *stop;
};

struct capture {
	struct ss_source src;
	struct ss_replay *rp;
	uint64_t now;              /* the capture clock: the latest record */
	struct stream_in in;
	off_t size;                /* a regular file's size, for the progress */
	FILE *fp;
	int progress;              /* stderr is a terminal: show it */
	uint64_t progress_ns;      /* when it was last shown */
};

static int counters(struct ss_source *src, uint64_t out[SS_C_MAX])
{
	struct capture *c = src->impl;

	memcpy(out, ss_replay_counters(c->rp), sizeof(uint64_t) * SS_C_MAX);
	return 0;
}

/* top's half-open at now, as live top's: pending SYN-ACKs younger than
 * --timeout. */
static uint64_t half_open(struct ss_source *src, uint64_t now_ns)
{
	return ss_replay_sweep(((struct capture *)src->impl)->rp, now_ns);
}

static int flood(struct ss_source *src, struct flood_epoch *out)
{
	ss_flood_maps_read(ss_replay_flood(((struct capture *)src->impl)->rp), out);
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash && slash[1] ? slash + 1 : path;
}

/* The stream's read: when nothing is there yet, the sink writes out what
 * it holds before we wait. Ctrl-C while waiting ends the input. */
static ssize_t stream_read(void *cookie, char *buf, size_t n)
{
	struct stream_in *in = cookie;
	struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
	ssize_t r;

	if (poll(&pfd, 1, 0) == 0 && in->sink->idle)
		in->sink->idle(in->sink->ctx);
	for (;;) {
		r = read(in->fd, buf, n);
		if (r >= 0 || errno != EINTR)
			return r;
		if (*in->stop)
			return 0;
	}
}

static int stream_close(void *cookie)
{
	struct stream_in *in = cookie;

	return in->fd == STDIN_FILENO ? 0 : close(in->fd);
}

/* Open the capture; on failure write the reason to err and return NULL. */
static pcap_t *open_capture(struct capture *cap, const char *path, char *err, size_t n)
{
	static const cookie_io_functions_t stream_io = { .read = stream_read,
							 .close = stream_close };
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct stat st;
	pcap_t *p;
	int fd = STDIN_FILENO;
	FILE *fp;

	if (strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			snprintf(err, n, "%s", strerror(errno));
			return NULL;
		}
	}
	if (fstat(fd, &st)) {
		snprintf(err, n, "%s", strerror(errno));
		goto fail_fd;
	}
	/* Clearer than what libpcap makes of these. */
	if (S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) && st.st_size == 0 && fd != STDIN_FILENO)) {
		snprintf(err, n, "%s", S_ISDIR(st.st_mode) ? strerror(EISDIR)
			 : "empty file, not a capture");
		goto fail_fd;
	}
	if (S_ISREG(st.st_mode)) {
		cap->size = st.st_size;
		fp = fd == STDIN_FILENO ? stdin : fdopen(fd, "rb");
	} else {
		cap->in.fd = fd;
		fp = fopencookie(&cap->in, "rb", stream_io);
	}
	if (!fp) {
		snprintf(err, n, "%s", strerror(errno));
		goto fail_fd;
	}
	cap->fp = fp;
	/* libpcap reads record by record: a big stdio buffer turns that into
	 * few large reads (a stream's read returns what is there). */
	setvbuf(fp, NULL, _IOFBF, 1 << 20);
	p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (!p) {
		if (fp != stdin)
			fclose(fp);
		/* libpcap counts what it read after the magic number. */
		if (strcmp(pcap_err, "unknown file format") == 0)
			snprintf(err, n, "not a pcap or pcapng capture (unknown file format)");
		else if (strstr(pcap_err, "file header bytes, only got") && cap->size)
			snprintf(err, n, "truncated capture: %lld bytes, shorter than a pcap file "
				 "header (24)", (long long)cap->size);
		else if (strstr(pcap_err, "file header bytes, only got"))
			snprintf(err, n, "truncated capture: it ends inside its file header");
		else
			snprintf(err, n, "%s", pcap_err);
		return NULL;
	}
	if (!ss_link_supported(pcap_datalink(p))) {
		const char *name = pcap_datalink_val_to_name(pcap_datalink(p));

		snprintf(err, n, "unsupported link type %s (%d): synscope reads Ethernet, "
			 "Linux cooked (SLL, SLL2), raw IP and loopback captures",
			 name ? name : "?", pcap_datalink(p));
		pcap_close(p);
		return NULL;
	}
	return p;
fail_fd:
	if (fd != STDIN_FILENO)
		close(fd);
	return NULL;
}

/* How far the file has been read, on a terminal's stderr, four times a
 * second (checked every 4096 packets); done: the line is cleared. */
static void show_progress(struct capture *cap, const char *shown, uint64_t npkts, int done)
{
	uint64_t now;
	long pos;

	if (!cap->progress)
		return;
	if (done) {
		if (cap->progress_ns)
			fprintf(stderr, "\r\033[K");
		return;
	}
	if (npkts & 4095)
		return;
	now = ss_now_ns(CLOCK_MONOTONIC);
	if (now - cap->progress_ns < 250000000ull)
		return;
	cap->progress_ns = now;
	pos = ftell(cap->fp);
	fprintf(stderr, "\rsynscope: %s: %3d%% read, %lu packets\033[K", shown,
		pos > 0 ? (int)((double)pos * 100 / (double)cap->size) : 0, (unsigned long)npkts);
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

int ss_capture_run(const struct ss_options *o, struct ss_sink *sink, volatile sig_atomic_t *stop)
{
	const char *path = o->read_file;
	const char *shown = strcmp(path, "-") == 0 ? "stdin" : path;
	struct capture cap = { .now = 0 };
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct ss_frame fr;
	struct ss_event_syn ev;
	struct ss_pcap_writer *pw = NULL;
	uint64_t npkts = 0, ts;
	char err[PCAP_ERRBUF_SIZE + 128];
	int dlt, r = 0, ret = 1, pw_err = 0, started = 0;
	pcap_t *p;

	cap.in = (struct stream_in){ .fd = -1, .sink = sink, .stop = stop };
	p = open_capture(&cap, path, err, sizeof(err));
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
	cap.rp = ss_replay_new(o, o->top);
	if (!cap.rp) {
		fprintf(stderr, "synscope: out of memory\n");
		goto out;
	}
	/* Capture time is already UTC. */
	cap.src = (struct ss_source){
		.o = o, .live = 0, .utc_offset = 0, .late_ns = 0, .title = "",
		.fixed_ifname = strcmp(path, "-") == 0 ? "stdin" : base_name(path),
		.counters = counters, .half_open = half_open, .flood = flood,
		.impl = &cap,
	};
	if (sink->start(sink->ctx, &cap.src))
		goto out;
	started = 1;
	/* Only a file has a size to show progress against; not over records
	 * written to the same terminal. */
	cap.progress = cap.size > 0 && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO);
	while (!*stop) {
		r = pcap_next_ex(p, &hdr, &data);
		if (r != 1)
			break;
		npkts++;
		show_progress(&cap, shown, npkts, 0);
		/* Nanosecond precision was asked for: tv_usec holds ns. */
		ts = (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec;
		/* Time only moves forward, even in a merged capture. */
		if (ts > cap.now)
			cap.now = ts;
		cap.src.clock = cap.now;
		if (sink->tick(sink->ctx, &cap.src, cap.now))
			break;
		ss_link_decode(dlt, data, hdr->caplen, &fr);
		if (!ss_replay_frame(cap.rp, &fr, cap.now, ts, &ev))
			continue;
		/* As read: its link header, its own timestamp, its length. */
		if (pw && ss_pw_write(pw, ts, hdr->caplen, hdr->len, data) < 0)
			break;
		sink->event(sink->ctx, &ev.e);
	}
	show_progress(&cap, shown, npkts, 1);
	cap.src.clock = cap.now;
	ret = sink->end(sink->ctx, &cap.src);
	pw_err = ss_pw_close(pw, err, sizeof(err));
	pw = NULL;
	if (r == PCAP_ERROR) {
		fprintf(stderr, "synscope: %s: %s (stopped after packet %lu)\n", shown,
			pcap_geterr(p), (unsigned long)npkts);
		ret = 1;
	} else if (pw_err && pw_err != -EPIPE) {
		/* A reader of -w - gone is no news. */
		fprintf(stderr, "synscope: %s\n", err);
		ret = 1;
	}
out:
	if (!started)
		ret = 1;
	ss_pw_close(pw, err, sizeof(err));
	ss_replay_free(cap.rp);
	pcap_close(p);
	return ret;
}
