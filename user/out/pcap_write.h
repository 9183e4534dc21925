/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * -w FILE: the handshake packets, written to a pcap file through libpcap
 * (nanosecond timestamps). No libpcap type appears here: main.c includes
 * libbpf, whose headers clash with libpcap's (struct bpf_insn,
 * struct bpf_program).
 */
#ifndef SS_PCAP_WRITE_H
#define SS_PCAP_WRITE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

/* DLT_EN10MB: what the kernel programs see, on every interface (lo too). */
#define SS_DLT_EN10MB 1

struct ss_pcap_writer;

/* Where records and --packets lines go: stdout, or stderr when -w -
 * writes the packets there. */
static inline int ss_pw_records_fd(const char *write_file)
{
	return write_file && strcmp(write_file, "-") == 0 ? STDERR_FILENO : STDOUT_FILENO;
}

/*
 * Create path ("-": standard output) for records of link type dlt (a DLT_*
 * value) cut at snaplen bytes, and write the file header out at once, so
 * that a file that cannot be written fails here, before anything is
 * attached. NULL with a one-line reason in err.
 */
struct ss_pcap_writer *ss_pw_open(const char *path, int dlt, uint32_t snaplen, char *err,
				  size_t n);
/*
 * One packet: ts_ns in CLOCK_REALTIME ns, caplen bytes of data (cut to the
 * snap length), wire_len its length on the wire. Buffered: 0, or -errno of
 * the first failure (then nothing more is written; flush and close return
 * it too).
 */
int ss_pw_write(struct ss_pcap_writer *w, uint64_t ts_ns, uint32_t caplen, uint32_t wire_len,
		const void *data);
/* Hand what is buffered to the file: 0 or -errno (the first failure). */
int ss_pw_flush(struct ss_pcap_writer *w);
/*
 * Flush, close, free (NULL is fine). 0, or -errno of the first failure
 * with "writing FILE: reason" in err. -EPIPE: the reader of -w - went away.
 */
int ss_pw_close(struct ss_pcap_writer *w, char *err, size_t n);

#endif /* SS_PCAP_WRITE_H */
