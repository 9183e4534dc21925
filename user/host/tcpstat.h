/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The network namespace's TCP statistics (/proc/net/netstat TcpExt:,
 * /proc/net/snmp Tcp:), to say why handshakes fail: an accept queue that
 * overflowed, a request queue that fell back to SYN cookies. The TCP MIBs
 * are per namespace and shared by IPv4 and IPv6. */
#ifndef SS_TCPSTAT_H
#define SS_TCPSTAT_H

#include <stddef.h>
#include <stdint.h>

enum ss_tcpstat_id {
	/* TcpExt: (/proc/net/netstat) */
	SS_TS_LISTEN_OVERFLOWS,		/* ListenOverflows: accept queue full (SYN or ACK dropped) */
	SS_TS_LISTEN_DROPS,		/* ListenDrops: every drop at a listener, overflows included */
	SS_TS_SYNCOOKIES_SENT,		/* SyncookiesSent */
	SS_TS_SYNCOOKIES_RECV,		/* SyncookiesRecv: valid cookie ACKs */
	SS_TS_SYNCOOKIES_FAILED,	/* SyncookiesFailed: ACKs that were not a valid cookie */
	SS_TS_REQQ_FULL_DROP,		/* TCPReqQFullDrop: request queue full, no cookies */
	SS_TS_REQQ_FULL_DO_COOKIES,	/* TCPReqQFullDoCookies: request queue full, cookie sent */
	SS_TS_SYN_RETRANS,		/* TCPSynRetrans: SYN and SYN-ACK retransmissions */
	SS_TS_EMBRYONIC_RSTS,		/* EmbryonicRsts: RST or bad segment in SYN_RECV */
	/* Tcp: (/proc/net/snmp) */
	SS_TS_ACTIVE_OPENS,		/* ActiveOpens: connect() calls */
	SS_TS_PASSIVE_OPENS,		/* PassiveOpens: SYNs that made a request socket */
	SS_TS_ATTEMPT_FAILS,		/* AttemptFails */
	SS_TS_ESTAB_RESETS,		/* EstabResets */
	SS_TS_RETRANS_SEGS,		/* RetransSegs */
	SS_TS_IN_ERRS,			/* InErrs */
	SS_TS_OUT_RSTS,			/* OutRsts */
	SS_TS_MAX
};

struct ss_tcpstat {
	uint64_t v[SS_TS_MAX];
	uint32_t have; /* bit i: counter i was found */
};

/* The kernel's name, "ListenOverflows"; NULL out of range. */
const char *ss_tcpstat_name(int id);

/* Pure, for tests: either text may be NULL (not read). 0, or -EINVAL on
 * a malformed text: a header without its value line, a count mismatch, a
 * value that is not a number, a file missing its TcpExt:/Tcp: section.
 * *s is always left initialised (have = what was read before the error). */
int ss_tcpstat_parse(const char *netstat, const char *snmp, struct ss_tcpstat *s);

/* The two files, kept open: each read is a pread from 0 of the namespace
 * the process was in at ss_tcpstat_open (the open files stay bound to it). */
struct ss_tcpstat_reader;
struct ss_tcpstat_reader *ss_tcpstat_open(char *err, size_t n);
/* 0, or a negative errno (-EINVAL: a file did not parse). */
int ss_tcpstat_read(struct ss_tcpstat_reader *r, struct ss_tcpstat *s);
void ss_tcpstat_close(struct ss_tcpstat_reader *r);

#endif /* SS_TCPSTAT_H */
