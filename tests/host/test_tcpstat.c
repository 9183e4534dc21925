// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* user/host/tcpstat.c: real texts parse to the right counters; broken ones
 * (every truncated prefix, count mismatches, non-numbers, negative or too
 * large values, missing sections) fail with -EINVAL and never read past
 * their end (each is copied into a buffer of exactly its length: the _asan
 * build catches an overrun); the reader on this machine's files, on files
 * that change between reads, grow past its buffer, fail to parse or are
 * missing (procfs replaced by a tmpfs in a mount namespace of a child). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "host/tcpstat.h"

#define ALL_BITS ((uint32_t)((1ull << SS_TS_MAX) - 1))

/* This machine's /proc/net/netstat (kernel 6.18) with the TcpExt values
 * made 1000 + their index, ListenOverflows UINT64_MAX; and its /proc/net/snmp. */
static const char netstat_text[] =
	"TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled RcvPruned OfoPruned OutOfWindowIcmps LockDroppedIcmps ArpFilter TW TWRecycled TWKilled PAWSActive PAWSEstab BeyondWindow TSEcrRejected PAWSOldAck PAWSTimewait DelayedACKs DelayedACKLocked DelayedACKLost ListenOverflows ListenDrops TCPHPHits TCPPureAcks TCPHPAcks TCPRenoRecovery TCPSackRecovery TCPSACKReneging TCPSACKReorder TCPRenoReorder TCPTSReorder TCPFullUndo TCPPartialUndo TCPDSACKUndo TCPLossUndo TCPLostRetransmit TCPRenoFailures TCPSackFailures TCPLossFailures TCPFastRetrans TCPSlowStartRetrans TCPTimeouts TCPLossProbes TCPLossProbeRecovery TCPRenoRecoveryFail TCPSackRecoveryFail TCPRcvCollapsed TCPBacklogCoalesce TCPDSACKOldSent TCPDSACKOfoSent TCPDSACKRecv TCPDSACKOfoRecv TCPAbortOnData TCPAbortOnClose TCPAbortOnMemory TCPAbortOnTimeout TCPAbortOnLinger TCPAbortFailed TCPMemoryPressures TCPMemoryPressuresChrono TCPSACKDiscard TCPDSACKIgnoredOld TCPDSACKIgnoredNoUndo TCPSpuriousRTOs TCPMD5NotFound TCPMD5Unexpected TCPMD5Failure TCPSackShifted TCPSackMerged TCPSackShiftFallback TCPBacklogDrop PFMemallocDrop TCPMinTTLDrop TCPDeferAcceptDrop IPReversePathFilter TCPTimeWaitOverflow TCPReqQFullDoCookies TCPReqQFullDrop TCPRetransFail TCPRcvCoalesce TCPOFOQueue TCPOFODrop TCPOFOMerge TCPChallengeACK TCPSYNChallenge TCPFastOpenActive TCPFastOpenActiveFail TCPFastOpenPassive TCPFastOpenPassiveFail TCPFastOpenListenOverflow TCPFastOpenCookieReqd TCPFastOpenBlackhole TCPSpuriousRtxHostQueues BusyPollRxPackets TCPAutoCorking TCPFromZeroWindowAdv TCPToZeroWindowAdv TCPWantZeroWindowAdv TCPSynRetrans TCPOrigDataSent TCPHystartTrainDetect TCPHystartTrainCwnd TCPHystartDelayDetect TCPHystartDelayCwnd TCPACKSkippedSynRecv TCPACKSkippedPAWS TCPACKSkippedSeq TCPACKSkippedFinWait2 TCPACKSkippedTimeWait TCPACKSkippedChallenge TCPWinProbe TCPKeepAlive TCPMTUPFail TCPMTUPSuccess TCPDelivered TCPDeliveredCE TCPAckCompressed TCPZeroWindowDrop TCPRcvQDrop TCPWqueueTooBig TCPFastOpenPassiveAltKey TcpTimeoutRehash TcpDuplicateDataRehash TCPDSACKRecvSegs TCPDSACKIgnoredDubious TCPMigrateReqSuccess TCPMigrateReqFailure TCPPLBRehash TCPAORequired TCPAOBad TCPAOKeyNotFound TCPAOGood TCPAODroppedIcmps\n"
	"TcpExt: 1000 1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 1011 1012 1013 1014 1015 1016 1017 1018 1019 1020 1021 18446744073709551615 1023 1024 1025 1026 1027 1028 1029 1030 1031 1032 1033 1034 1035 1036 1037 1038 1039 1040 1041 1042 1043 1044 1045 1046 1047 1048 1049 1050 1051 1052 1053 1054 1055 1056 1057 1058 1059 1060 1061 1062 1063 1064 1065 1066 1067 1068 1069 1070 1071 1072 1073 1074 1075 1076 1077 1078 1079 1080 1081 1082 1083 1084 1085 1086 1087 1088 1089 1090 1091 1092 1093 1094 1095 1096 1097 1098 1099 1100 1101 1102 1103 1104 1105 1106 1107 1108 1109 1110 1111 1112 1113 1114 1115 1116 1117 1118 1119 1120 1121 1122 1123 1124 1125 1126 1127 1128 1129 1130 1131 1132 1133 1134\n"
	"IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets OutMcastOctets InBcastOctets OutBcastOctets InCsumErrors InNoECTPkts InECT1Pkts InECT0Pkts InCEPkts ReasmOverlaps\n"
	"IpExt: 0 0 0 0 0 0 90396263 19106356 0 0 0 0 0 53078 0 0 0 0\n"
	"MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPCapableSYNACKRX MPCapableACKRX MPCapableFallbackACK MPCapableFallbackSYNACK MPCapableSYNTXDrop MPCapableSYNTXDisabled MPCapableEndpAttempt MPFallbackTokenInit MPTCPRetrans MPJoinNoTokenFound MPJoinSynRx MPJoinSynBackupRx MPJoinSynAckRx MPJoinSynAckBackupRx MPJoinSynAckHMacFailure MPJoinAckRx MPJoinAckHMacFailure MPJoinRejected MPJoinSynTx MPJoinSynTxCreatSkErr MPJoinSynTxBindErr MPJoinSynTxConnectErr DSSNotMatching DSSCorruptionFallback DSSCorruptionReset InfiniteMapTx InfiniteMapRx DSSNoMatchTCP DataCsumErr OFOQueueTail OFOQueue OFOMerge NoDSSInWindow DuplicateData AddAddr AddAddrTx AddAddrTxDrop EchoAdd EchoAddTx EchoAddTxDrop PortAdd AddAddrDrop MPJoinPortSynRx MPJoinPortSynAckRx MPJoinPortAckRx MismatchPortSynRx MismatchPortAckRx RmAddr RmAddrDrop RmAddrTx RmAddrTxDrop RmSubflow MPPrioTx MPPrioRx MPFailTx MPFailRx MPFastcloseTx MPFastcloseRx MPRstTx MPRstRx SubflowStale SubflowRecover SndWndShared RcvWndShared RcvWndConflictUpdate RcvWndConflict MPCurrEstab Blackhole MPCapableDataFallback MD5SigFallback DssFallback SimultConnectFallback FallbackFailed WinProbe\n"
	"MPTcpExt: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

static const char snmp_text[] =
	"Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits\n"
	"Ip: 2 64 52955 0 0 0 0 0 52955 52119 0 0 0 0 0 0 0 0 0 52119\n"
	"Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n"
	"Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
	"IcmpMsg: InType3\n"
	"IcmpMsg: 1\n"
	"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n"
	"Tcp: 1 200 120000 -1 8572 6432 2125 74 3 52943 52008 224 5 2275 0\n"
	"Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
	"Udp: 41 0 0 42 0 0 0 0 0\n"
	"UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n"
	"UdpLite: 0 0 0 0 0 0 0 0 0\n";

/* The parse of copies of exactly len bytes (+ NUL) of each text. */
static int parse_n(const char *netstat, size_t netstat_len, const char *snmp, size_t snmp_len,
		   struct ss_tcpstat *s)
{
	char *a = NULL, *b = NULL;
	int rc;

	if (netstat) {
		a = malloc(netstat_len + 1);
		assert_non_null(a);
		memcpy(a, netstat, netstat_len);
		a[netstat_len] = '\0';
	}
	if (snmp) {
		b = malloc(snmp_len + 1);
		assert_non_null(b);
		memcpy(b, snmp, snmp_len);
		b[snmp_len] = '\0';
	}
	rc = ss_tcpstat_parse(a, b, s);
	free(a);
	free(b);
	return rc;
}

static int parse(const char *netstat, const char *snmp, struct ss_tcpstat *s)
{
	return parse_n(netstat, netstat ? strlen(netstat) : 0, snmp, snmp ? strlen(snmp) : 0, s);
}

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < SS_TS_MAX; i++) {
		const char *name = ss_tcpstat_name(i);

		assert_non_null(name);
		/* each a name the kernel prints, in one of the two texts */
		if (!strstr(netstat_text, name) && !strstr(snmp_text, name))
			fail_msg("%s is in neither text", name);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name, ss_tcpstat_name(j));
	}
	assert_string_equal(ss_tcpstat_name(SS_TS_LISTEN_OVERFLOWS), "ListenOverflows");
	assert_string_equal(ss_tcpstat_name(SS_TS_SYN_RETRANS), "TCPSynRetrans");
	assert_null(ss_tcpstat_name(-1));
	assert_null(ss_tcpstat_name(SS_TS_MAX));
}

static void test_parse_real(void **state)
{
	struct ss_tcpstat s;

	(void)state;
	assert_int_equal(parse(netstat_text, snmp_text, &s), 0);
	assert_int_equal(s.have, ALL_BITS);
	assert_true(s.v[SS_TS_LISTEN_OVERFLOWS] == UINT64_MAX);
	assert_int_equal(s.v[SS_TS_LISTEN_DROPS], 1023);
	assert_int_equal(s.v[SS_TS_SYNCOOKIES_SENT], 1000);
	assert_int_equal(s.v[SS_TS_SYNCOOKIES_RECV], 1001);
	assert_int_equal(s.v[SS_TS_SYNCOOKIES_FAILED], 1002);
	assert_int_equal(s.v[SS_TS_EMBRYONIC_RSTS], 1003);
	assert_int_equal(s.v[SS_TS_REQQ_FULL_DO_COOKIES], 1078);
	assert_int_equal(s.v[SS_TS_REQQ_FULL_DROP], 1079);
	assert_int_equal(s.v[SS_TS_SYN_RETRANS], 1100);
	/* Tcp: after Ip:, Icmp:, IcmpMsg:, and MaxConn -1 before them */
	assert_int_equal(s.v[SS_TS_ACTIVE_OPENS], 8572);
	assert_int_equal(s.v[SS_TS_PASSIVE_OPENS], 6432);
	assert_int_equal(s.v[SS_TS_ATTEMPT_FAILS], 2125);
	assert_int_equal(s.v[SS_TS_ESTAB_RESETS], 74);
	assert_int_equal(s.v[SS_TS_RETRANS_SEGS], 224);
	assert_int_equal(s.v[SS_TS_IN_ERRS], 5);
	assert_int_equal(s.v[SS_TS_OUT_RSTS], 2275);
}

static void test_parse_partial(void **state)
{
	struct ss_tcpstat s;

	(void)state;
	/* an older kernel with fewer counters: the missing ones are not had */
	assert_int_equal(parse("TcpExt: ListenOverflows Other\nTcpExt: 5 6\n", "Tcp: OutRsts\nTcp: 7\n", &s), 0);
	assert_int_equal(s.have, (1u << SS_TS_LISTEN_OVERFLOWS) | (1u << SS_TS_OUT_RSTS));
	assert_int_equal(s.v[SS_TS_LISTEN_OVERFLOWS], 5);
	assert_int_equal(s.v[SS_TS_OUT_RSTS], 7);
	assert_int_equal(s.v[SS_TS_LISTEN_DROPS], 0);
	/* one text only */
	assert_int_equal(parse(NULL, snmp_text, &s), 0);
	assert_int_equal(s.v[SS_TS_OUT_RSTS], 2275);
	assert_false(s.have & (1u << SS_TS_LISTEN_DROPS));
	assert_int_equal(parse(netstat_text, NULL, &s), 0);
	assert_false(s.have & (1u << SS_TS_OUT_RSTS));
	assert_true(s.have & (1u << SS_TS_LISTEN_DROPS));
	assert_int_equal(parse(NULL, NULL, &s), 0);
	assert_int_equal(s.have, 0);
	/* names the module does not know, even odd bytes, are skipped */
	assert_int_equal(parse("TcpExt: \x01\x7f ListenDrops\nTcpExt: 1 2\n", NULL, &s), 0);
	assert_int_equal(s.v[SS_TS_LISTEN_DROPS], 2);
	/* a name in the other section does not count */
	assert_int_equal(parse("TcpExt: OutRsts\nTcpExt: 9\n", "Tcp: ListenDrops\nTcp: 9\n", &s), 0);
	assert_int_equal(s.have, 0);
}

static void test_parse_broken(void **state)
{
	static const struct {
		const char *netstat, *snmp, *why;
	} bad[] = {
		{ "", NULL, "empty" },
		{ "TcpExt: ListenOverflows\n", NULL, "header without values" },
		{ "TcpExt: ListenOverflows\nTcpExt: 5", NULL, "last line cut" },
		{ "TcpExt: ListenOverflows ListenDrops\nTcpExt: 1\n", NULL, "fewer values" },
		{ "TcpExt: ListenOverflows\nTcpExt: 1 2\n", NULL, "more values" },
		{ "TcpExt: ListenOverflows\nTcpExt:\n", NULL, "no values" },
		{ "TcpExt: ListenOverflows\n\n", NULL, "empty value line" },
		{ "TcpExt: ListenOverflows\nTcpExt: 12a\n", NULL, "not a number" },
		{ "TcpExt: Other ListenOverflows\nTcpExt: x 1\n", NULL, "not a number, uncollected" },
		{ "TcpExt: ListenOverflows\nTcpExt: -\n", NULL, "a sign alone" },
		{ "TcpExt: ListenOverflows\nTcpExt: +5\n", NULL, "a plus sign" },
		{ "TcpExt: ListenOverflows\nTcpExt: -1\n", NULL, "a negative counter" },
		{ "TcpExt: ListenOverflows\nTcpExt: 18446744073709551616\n", NULL, "past UINT64_MAX" },
		{ "TcpExt: ListenOverflows\nTcpExt: 99999999999999999999999\n", NULL, "far past UINT64_MAX" },
		{ "TcpExt: ListenOverflows\nIpExt: 5\n", NULL, "another section's values" },
		{ "TcpExt: ListenOverflows\nTcpExt: 5\nIpExt: A\n", NULL, "a later header cut" },
		{ "IpExt: A\nIpExt: 1\n", NULL, "no TcpExt section" },
		{ "TcpExt ListenOverflows\nTcpExt 5\n", NULL, "no colon" },
		{ ": ListenOverflows\n: 5\n", NULL, "no section name" },
		{ "TcpExt: ListenOverflows\nTcpExt: 5\n\n", NULL, "a stray empty line" },
		{ NULL, "", "empty snmp" },
		{ NULL, "Udp: A\nUdp: 1\n", "no Tcp section" },
		{ NULL, "Tcp: MaxConn\nTcp: --1\n", "two signs" },
		{ NULL, "Tcp: OutRsts\nTcp: 1 2\n", "snmp count mismatch" },
		{ netstat_text, "Tcp: OutRsts\n", "good netstat, cut snmp" },
	};
	struct ss_tcpstat s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i].netstat, bad[i].snmp, &s) != -EINVAL)
			fail_msg("%s: not an error", bad[i].why);
	/* the real text with one value broken */
	{
		char *t = strdup(netstat_text), *v = strstr(t, " 1023 ");

		assert_non_null(v);
		v[3] = 'x';
		assert_int_equal(parse(t, snmp_text, &s), -EINVAL);
		free(t);
	}
}

/* Where a text may end: only right after a value line, once the wanted
 * section is complete. Every other prefix is an error. */
static void check_prefixes(const char *text, int first_ok_pair, int is_netstat)
{
	size_t len = strlen(text);
	struct ss_tcpstat s;
	int newlines = 0;

	for (size_t n = 0; n <= len; n++) {
		int ok = n > 0 && text[n - 1] == '\n' && newlines % 2 == 0 && newlines / 2 >= first_ok_pair;
		int rc = is_netstat ? parse_n(text, n, NULL, 0, &s) : parse_n(NULL, 0, text, n, &s);

		if (rc != (ok ? 0 : -EINVAL))
			fail_msg("%s prefix of %zu bytes: %d, want %d", is_netstat ? "netstat" : "snmp", n, rc,
				 ok ? 0 : -EINVAL);
		if (n < len && text[n] == '\n')
			newlines++;
	}
}

static void test_parse_truncated(void **state)
{
	(void)state;
	check_prefixes(netstat_text, 1, 1); /* TcpExt: is the first pair */
	check_prefixes(snmp_text, 4, 0);    /* Ip:, Icmp:, IcmpMsg:, then Tcp: */
}

static void test_live_read(void **state)
{
	struct ss_tcpstat a, b;
	struct ss_tcpstat_reader *r;
	char err[256];

	(void)state;
	r = ss_tcpstat_open(err, sizeof(err));
	if (!r)
		fail_msg("%s", err);
	assert_int_equal(ss_tcpstat_read(r, &a), 0);
	/* a 6.x kernel has every counter */
	assert_int_equal(a.have, ALL_BITS);
	assert_int_equal(ss_tcpstat_read(r, &b), 0);
	assert_int_equal(b.have, ALL_BITS);
	for (int i = 0; i < SS_TS_MAX; i++)
		if (b.v[i] < a.v[i])
			fail_msg("%s went back: %llu then %llu", ss_tcpstat_name(i), (unsigned long long)a.v[i],
				 (unsigned long long)b.v[i]);
	ss_tcpstat_close(r);
	ss_tcpstat_close(NULL);
}

/* ---- the reader on files of our own: /proc replaced in a child ---------- */

static int write_file(const char *path, const char *a, const char *b)
{
	FILE *f = fopen(path, "we");
	int rc;

	if (!f)
		return -1;
	rc = fputs(a, f) < 0 || (b && fputs(b, f) < 0);
	return fclose(f) || rc ? -1 : 0;
}

/* A TcpExt text longer than the reader's first buffer: 3000 extra names. */
static char *long_netstat(uint64_t overflows, size_t extra)
{
	size_t cap = extra * 24 + 256, off = 0;
	char *t = malloc(cap);

	if (!t)
		return NULL;
	off += (size_t)snprintf(t + off, cap - off, "TcpExt: ListenOverflows");
	for (size_t i = 0; i < extra; i++)
		off += (size_t)snprintf(t + off, cap - off, " Padding%zu", i);
	off += (size_t)snprintf(t + off, cap - off, "\nTcpExt: %llu", (unsigned long long)overflows);
	for (size_t i = 0; i < extra; i++)
		off += (size_t)snprintf(t + off, cap - off, " 0");
	snprintf(t + off, cap - off, "\n");
	return t;
}

/* Exit codes say which step failed. */
static int child_reader(void)
{
	struct ss_tcpstat_reader *r;
	struct ss_tcpstat s;
	char err[256], *big;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", "/proc", "tmpfs", 0, "size=8m"))
		return 10;
	/* missing files: one line saying which */
	if (ss_tcpstat_open(err, sizeof(err)) || !strstr(err, "cannot open /proc/net/netstat: No such file"))
		return 11;
	if (mkdir("/proc/net", 0755) || write_file("/proc/net/netstat", netstat_text, NULL) ||
	    ss_tcpstat_open(err, sizeof(err)) || !strstr(err, "cannot open /proc/net/snmp"))
		return 12;
	if (write_file("/proc/net/snmp", snmp_text, NULL))
		return 13;
	r = ss_tcpstat_open(err, sizeof(err));
	if (!r)
		return 14;
	if (ss_tcpstat_read(r, &s) || s.have != ALL_BITS || s.v[SS_TS_LISTEN_DROPS] != 1023)
		return 15;
	/* the open file is read again from 0: a new text, longer than the
	 * first buffer (16 KiB) */
	big = long_netstat(77, 3000);
	if (!big || strlen(big) < 32 * 1024 || write_file("/proc/net/netstat", big, NULL))
		return 16;
	if (ss_tcpstat_read(r, &s) || s.v[SS_TS_LISTEN_OVERFLOWS] != 77 ||
	    s.have != ((1u << SS_TS_LISTEN_OVERFLOWS) | ((0xffffffffu << SS_TS_ACTIVE_OPENS) & ALL_BITS)))
		return 17;
	free(big);
	/* shorter again: nothing of the long text is left over */
	if (write_file("/proc/net/netstat", "TcpExt: ListenDrops\nTcpExt: 3\n", NULL) ||
	    ss_tcpstat_read(r, &s) || s.v[SS_TS_LISTEN_DROPS] != 3 || (s.have & (1u << SS_TS_LISTEN_OVERFLOWS)))
		return 18;
	/* a text that does not parse */
	if (write_file("/proc/net/netstat", "TcpExt: ListenDrops\nTcpExt: 3 4\n", NULL) ||
	    ss_tcpstat_read(r, &s) != -EINVAL)
		return 19;
	/* past the reader's bound (1 MiB): refused, not read forever */
	big = long_netstat(1, 100000);
	if (!big || write_file("/proc/net/netstat", big, big) || ss_tcpstat_read(r, &s) != -EFBIG)
		return 20;
	free(big);
	ss_tcpstat_close(r);
	return 0;
}

static void test_reader_files(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: a mount namespace needs root\n");
		skip();
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_reader());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status))
		fail_msg("child_reader: step %d failed", WEXITSTATUS(status));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_parse_real),
		cmocka_unit_test(test_parse_partial),
		cmocka_unit_test(test_parse_broken),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_live_read),
		cmocka_unit_test(test_reader_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
