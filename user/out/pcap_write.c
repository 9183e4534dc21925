// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * -w FILE through libpcap: pcap_open_dead() for the link type and the snap
 * length, pcap_dump_fopen() on a stdio stream of our own, so that every
 * failure is seen: pcap_dump() returns nothing, but its fwrite() marks the
 * stream, which is checked after each record (the errno of a failed
 * write(2) is still the one it set). libpcap 1.10 writes pcapng only as a
 * savefile format it reads, not one it writes: the file is pcap, with the
 * nanosecond magic (0xa1b23c4d), which tcpdump, tshark and Wireshark read.
 *
 * No <bpf/...> header here (see pcap_write.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pcap/pcap.h>
#include "out/pcap_write.h"

_Static_assert(SS_DLT_EN10MB == DLT_EN10MB, "the Ethernet link type");

struct ss_pcap_writer {
	pcap_t *dead;            /* the link type and snap length */
	pcap_dumper_t *d;
	FILE *fp;                /* what d writes to */
	uint32_t snaplen;
	int err;                 /* errno of the first failure */
	char name[256];          /* for messages: the path, or "stdout" */
};

/* The stream failed: keep the first reason. */
static int failed(struct ss_pcap_writer *w)
{
	if (!w->err)
		w->err = errno ? errno : EIO;
	return -w->err;
}

struct ss_pcap_writer *ss_pw_open(const char *path, int dlt, uint32_t snaplen, char *err,
				  size_t n)
{
	int to_stdout = strcmp(path, "-") == 0, fd;
	struct ss_pcap_writer *w;

	w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	snprintf(w->name, sizeof(w->name), "%s", to_stdout ? "stdout" : path);
	w->snaplen = snaplen;
	if (to_stdout) {
		/* A stream of its own on a copy of fd 1: fully buffered
		 * whatever main() made of stdout, and stdout stays open. */
		fd = dup(STDOUT_FILENO);
		w->fp = fd < 0 ? NULL : fdopen(fd, "wb");
		if (!w->fp) {
			snprintf(err, n, "cannot write to stdout: %s", strerror(errno));
			if (fd >= 0)
				close(fd);
			free(w);
			return NULL;
		}
	} else {
		w->fp = fopen(path, "wbe");
		if (!w->fp) {
			snprintf(err, n, "cannot create %s: %s", path, strerror(errno));
			free(w);
			return NULL;
		}
	}
	setvbuf(w->fp, NULL, _IOFBF, 1 << 16);
	w->dead = pcap_open_dead_with_tstamp_precision(dlt, (int)snaplen,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (!w->dead) {
		snprintf(err, n, "%s: libpcap cannot write link type %d", w->name, dlt);
		goto fail;
	}
	/* It fails only on a link type pcap files have no number for (the
	 * stream is then still open): the 24-byte header goes into the
	 * empty buffer, so its fwrite() cannot fail (libpcap would close the
	 * stream if it did). */
	w->d = pcap_dump_fopen(w->dead, w->fp);
	if (!w->d) {
		snprintf(err, n, "writing %s: %s", w->name, pcap_geterr(w->dead));
		goto fail;
	}
	/* The header now: a full disk or /dev/full fails before the trace. */
	if (ss_pw_flush(w)) {
		snprintf(err, n, "writing %s: %s", w->name, strerror(w->err));
		pcap_dump_close(w->d);
		pcap_close(w->dead);
		free(w);
		return NULL;
	}
	return w;
fail:
	if (w->dead)
		pcap_close(w->dead);
	fclose(w->fp);
	free(w);
	return NULL;
}

int ss_pw_write(struct ss_pcap_writer *w, uint64_t ts_ns, uint32_t caplen, uint32_t wire_len,
		const void *data)
{
	struct pcap_pkthdr h;

	if (w->err)
		return -w->err;
	if (caplen > w->snaplen)
		caplen = w->snaplen;
	/* A nanosecond file: tv_usec holds the nanoseconds. */
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ull);
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ull);
	h.caplen = caplen;
	h.len = wire_len > caplen ? wire_len : caplen;
	errno = 0;
	pcap_dump((u_char *)w->d, &h, data);
	if (ferror(w->fp))
		return failed(w);
	return 0;
}

int ss_pw_flush(struct ss_pcap_writer *w)
{
	if (w->err)
		return -w->err;
	errno = 0;
	if (pcap_dump_flush(w->d) || ferror(w->fp))
		return failed(w);
	return 0;
}

int ss_pw_close(struct ss_pcap_writer *w, char *err, size_t n)
{
	int e;

	if (!w)
		return 0;
	e = ss_pw_flush(w);
	/* Buffered bytes are out; what close(2) could still report (NFS) is
	 * seen by closing the stream ourselves: pcap_dump_close() is that
	 * fclose(), its result dropped. */
	errno = 0;
	if (fclose(pcap_dump_file(w->d)) && !e)
		e = failed(w);
	pcap_close(w->dead);
	if (e)
		snprintf(err, n, "writing %s: %s", w->name, strerror(-e));
	free(w);
	return e;
}
