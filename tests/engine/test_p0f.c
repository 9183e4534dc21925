// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * p0f v3 fingerprints (user/p0f.c): raw_sig of crafted SYNs and SYN-ACKs,
 * quirk by quirk and option by option; p0f.fp loading and its errors with
 * line numbers; matching (exact, generic, fuzzy, tools, versions, window
 * forms) and the cache. The expected strings are p0f 3.09b's (the crafted
 * capture of tests/e2e_p0f.sh shows p0f printing the same ones).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "engine/p0f.h"

#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define URG 0x20
#define ECE 0x40
#define CWR 0x80
#define DF 0x4000
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DEBIAN_FP "/etc/p0f/p0f.fp"

static char tmpdir[64];

/* ---- packets ---------------------------------------------------------------- */

static struct ss_p0f_pkt pkt(uint8_t family, uint8_t flags, uint8_t ttl, uint16_t win,
			     const uint8_t *opts, size_t n)
{
	struct ss_p0f_pkt p;

	memset(&p, 0, sizeof(p));
	p.family = family;
	p.flags = flags;
	p.ttl = ttl;
	p.window = win;
	p.seq = 0x10000000;
	p.ack = flags & ACK ? 0x20000001 : 0;
	if (family == 4) {
		p.ip_id = 0x1234;
		p.ip_frag = DF;
	}
	assert_true(n <= 40);
	if (n)
		memcpy(p.opts, opts, n);
	p.opt_len = (uint8_t)n;
	p.doff_res = (uint8_t)((20 + n + 3) / 4 << 4);
	return p;
}

#define OPTS(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define MSS(v) 2, 4, (v) >> 8, (v) & 0xff
#define WS(s) 3, 3, (s)
#define SOK 4, 2
#define TS(a, b) 8, 10, (a) >> 24 & 0xff, (a) >> 16 & 0xff, (a) >> 8 & 0xff, (a) & 0xff, \
		 (b) >> 24 & 0xff, (b) >> 16 & 0xff, (b) >> 8 & 0xff, (b) & 0xff
#define NOP 1
#define EOL 0
#define LINUX_OPTS(mss) OPTS(MSS(mss), SOK, TS(1000, 0), NOP, WS(7))

static const char *sig_of(const struct ss_p0f_pkt *p)
{
	static char buf[SS_P0F_SIG_MAX];
	size_t n = ss_p0f_sig(p, buf, sizeof(buf));

	assert_int_equal(n, strlen(buf));
	return buf;
}

/* A v4 SYN with only an MSS option: "4:64+0:0:1460:1000,0:mss:df,id+:0". */
static struct ss_p0f_pkt plain4(void)
{
	return pkt(4, SYN, 64, 1000, OPTS(MSS(1460)));
}

/* ---- raw_sig ------------------------------------------------------------------ */

static void test_sig_systems(void **state)
{
	struct ss_p0f_pkt p;

	(void)state;
	p = pkt(4, SYN, 64, 64240, LINUX_OPTS(1460));
	assert_string_equal(sig_of(&p), "4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0");

	p = pkt(6, SYN, 64, 64800, LINUX_OPTS(1440));
	p.flow = 0x2a3b4;
	assert_string_equal(sig_of(&p), "6:64+0:0:1440:mss*45,7:mss,sok,ts,nop,ws:flow:0");

	/* Linux's SYN-ACK: IP ID 0 with DF, window 45 times 1448 (an MSS
	 * less the timestamps) */
	p = pkt(4, SYN | ACK, 64, 65160, OPTS(MSS(1460), SOK, TS(2000, 1000), NOP, WS(7)));
	p.ip_id = 0;
	assert_string_equal(sig_of(&p), "4:64+0:0:1460:mss*45,7:mss,sok,ts,nop,ws:df:0");

	p = pkt(4, SYN, 120, 8192, OPTS(MSS(1460), NOP, WS(2), NOP, NOP, SOK));
	assert_string_equal(sig_of(&p), "4:120+8:0:1460:8192,2:mss,nop,ws,nop,nop,sok:df,id+:0");

	p = pkt(4, SYN, 61, 65535, OPTS(MSS(1460), NOP, WS(6), NOP, NOP, TS(7, 0), SOK, EOL, EOL));
	assert_string_equal(sig_of(&p),
			    "4:61+3:0:1460:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1:df,id+:0");

	p = pkt(4, SYN, 255, 1024, NULL, 0);
	assert_string_equal(sig_of(&p), "4:255+0:0:0:1024,0::df,id+:0");
}

static void test_sig_ttl(void **state)
{
	/* ttl+distance to the next usual initial TTL (32, 64, 128, 255);
	 * '?' past 35 hops */
	static const struct { uint8_t ttl; const char *prefix; } t[] = {
		{ 0, "4:0+32:" }, { 1, "4:1+31:" }, { 32, "4:32+0:" }, { 33, "4:33+31:" },
		{ 57, "4:57+7:" }, { 64, "4:64+0:" }, { 65, "4:65+?:" }, { 92, "4:92+?:" },
		{ 93, "4:93+35:" }, { 128, "4:128+0:" }, { 129, "4:129+?:" }, { 219, "4:219+?:" },
		{ 220, "4:220+35:" }, { 255, "4:255+0:" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(t); i++) {
		struct ss_p0f_pkt p = plain4();
		const char *s;

		p.ttl = t[i].ttl;
		s = sig_of(&p);
		if (strncmp(s, t[i].prefix, strlen(t[i].prefix)))
			fail_msg("TTL %u: %s, want %s...", t[i].ttl, s, t[i].prefix);
	}
}

/* The n-th ':'-separated field of a raw_sig (0 = version). */
static const char *sig_field(const char *sig, int n)
{
	static char out[SS_P0F_SIG_MAX];
	const char *b = sig, *e;

	while (n-- > 0) {
		b = strchr(b, ':');
		assert_non_null(b);
		b++;
	}
	e = strchr(b, ':');
	if (!e)
		e = b + strlen(b);
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = '\0';
	return out;
}

#define F_WIN 4
#define F_LAYOUT 5
#define F_QUIRKS 6

static void expect_field(const struct ss_p0f_pkt *p, int field, const char *want, const char *what)
{
	const char *s = sig_of(p), *got = sig_field(s, field);

	if (strcmp(got, want))
		fail_msg("%s: got '%s' in %s, want '%s'", what, got, s, want);
}

/* The window part of "wsize,scale". */
static void expect_window(const struct ss_p0f_pkt *p, const char *want, const char *what)
{
	const char *s = sig_of(p);
	char got[SS_P0F_SIG_MAX];

	strcpy(got, sig_field(s, F_WIN));
	*strchr(got, ',') = '\0';
	if (strcmp(got, want))
		fail_msg("%s: got '%s' in %s, want '%s'", what, got, s, want);
}

/* Each quirk alone, on plain4() unless said. */
static void test_sig_quirks(void **state)
{
	struct ss_p0f_pkt p;

	(void)state;
#define CASE(what, want, code) do { p = plain4(); code; expect_field(&p, F_QUIRKS, want, what); } while (0)
	CASE("DF and an IP ID", "df,id+", (void)0);
	CASE("no DF", "", p.ip_frag = 0);
	CASE("no DF, IP ID 0", "id-", p.ip_frag = 0; p.ip_id = 0);
	CASE("DF, IP ID 0", "df", p.ip_id = 0);
	CASE("ECN CE", "df,id+,ecn", p.tos = 0x01);
	CASE("ECN ECT(0)", "df,id+,ecn", p.tos = 0x02);
	CASE("DSCP only", "df,id+", p.tos = 0xb8);
	CASE("reserved IP flag", "df,id+,0+", p.ip_frag |= 0x8000);
	CASE("sequence 0", "df,id+,seq-", p.seq = 0);
	/* p0f tests bit 0 of the ACK field read in host order: bit 24 of
	 * the number on little-endian hosts, and nothing else */
	CASE("ACK field 0x01000000", "df,id+,ack+", p.ack = 0x01000000);
	CASE("ACK field 0xff000000", "df,id+,ack+", p.ack = 0xff000000);
	CASE("ACK field 0x00ffffff", "df,id+", p.ack = 0x00ffffff);
	CASE("ACK field 0xfe000000", "df,id+", p.ack = 0xfe000000);
	CASE("ACK field 0x01000000 with RST", "df,id+", p.ack = 0x01000000; p.flags |= RST);
	CASE("SYN-ACK, ACK 0", "df,id+,ack-", p.flags = SYN | ACK; p.ack = 0);
	CASE("urgent pointer, no URG", "df,id+,uptr+", p.urg = 5);
	CASE("URG", "df,id+,urgf+", p.flags |= URG; p.urg = 5);
	CASE("PSH", "df,id+,pushf+", p.flags |= PSH);
	CASE("ECE", "df,id+,ecn", p.flags |= ECE);
	CASE("CWR", "df,id+,ecn", p.flags |= CWR);
	CASE("NS bit", "df,id+,ecn", p.doff_res |= 0x01);
	CASE("other reserved bits", "df,id+", p.doff_res |= 0x0e);
	CASE("payload", "df,id+", p.payload_len = 3);
	CASE("IPv6 ignores the IPv4 fields", "", p.family = 6);
	CASE("IPv6 flow label", "flow", p.family = 6; p.flow = 1);
	CASE("IPv6 flow label is 20 bits", "", p.family = 6; p.flow = 0x100000);
	CASE("IPv6 ECN", "ecn", p.family = 6; p.tos = 0x03);
	CASE("IPv6 ECN and flow", "ecn,flow", p.family = 6; p.tos = 0x01; p.flow = 0xfffff);
#undef CASE

	/* Option quirks */
#define CASE(what, want, ...) do { \
		p = pkt(4, SYN, 64, 1000, OPTS(__VA_ARGS__)); \
		expect_field(&p, F_QUIRKS, want, what); \
	} while (0)
	CASE("own timestamp 0", "df,id+,ts1-", MSS(1460), TS(0, 0));
	CASE("peer timestamp on a SYN", "df,id+,ts2+", MSS(1460), TS(1, 2));
	CASE("window scale 15", "df,id+,exws", MSS(1460), WS(15));
	CASE("window scale 14", "df,id+", MSS(1460), WS(14));
	CASE("MSS of length 5", "df,id+,bad", 2, 5, 5, 0xb4);
#undef CASE
	p = pkt(4, SYN | ACK, 64, 1000, OPTS(MSS(1460), TS(1, 2)));
	expect_field(&p, F_QUIRKS, "df,id+", "peer timestamp on a SYN-ACK");
	p = pkt(4, SYN | PSH, 64, 1000, OPTS(MSS(1460), TS(1, 2)));
	expect_field(&p, F_QUIRKS, "df,id+,pushf+,ts2+", "SYN+PSH is still a SYN");

	/* Everything at once, in p0f's order */
	p = pkt(4, SYN | PSH, 64, 1000, OPTS(2, 5, 5, 0xb4, WS(15), TS(0, 5), NOP, EOL, 9, 0, 0, 0, 0));
	p.tos = 0x01;
	p.ip_frag |= 0x8000;
	p.seq = 0;
	p.ack = 0x01000000;
	p.urg = 1;
	assert_string_equal(sig_of(&p), "4:64+0:0:1460:1000,15:mss,ws,ts,nop,eol+5:"
			    "df,id+,ecn,0+,seq-,ack+,uptr+,pushf+,ts1-,ts2+,opt+,exws,bad:0");
}

static void test_sig_options(void **state)
{
	static const struct { const char *what; uint8_t n, b[40]; const char *layout, *quirks; } t[] = {
		{ "none", 0, { 0 }, "", "df,id+" },
		{ "EOL first", 4, { 0, 0, 0, 0 }, "eol+3", "df,id+" },
		{ "EOL, last pad byte set", 4, { 1, 0, 0, 7 }, "nop,eol+2", "df,id+" },
		{ "EOL, pad byte set", 4, { 1, 0, 7, 0 }, "nop,eol+2", "df,id+,opt+" },
		{ "EOL at the end", 5, { 2, 4, 5, 0xb4, 0 }, "mss,eol+0", "df,id+" },
		{ "MSS cut", 4, { 1, 2, 4, 5 }, "nop,mss", "df,id+,bad" },
		{ "WS cut", 4, { 1, 1, 3, 3 }, "nop,nop,ws", "df,id+,bad" },
		{ "SOK without length", 4, { 1, 1, 1, 4 }, "nop,nop,nop,sok", "df,id+,bad" },
		{ "SOK of length 3", 4, { 4, 3, 1, 1 }, "sok,nop,nop", "df,id+,bad" },
		{ "SACK of 10", 12, { 5, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 }, "sack,nop,nop", "df,id+" },
		{ "SACK of 9", 12, { 5, 9, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 }, "sack", "df,id+,bad" },
		{ "SACK of 35", 40, { 5, 35 }, "sack", "df,id+,bad" },
		{ "SACK past the end", 12, { 1, 1, 5, 12, 1, 2, 3, 4, 5, 6, 7, 8 }, "nop,nop,sack", "df,id+,bad" },
		{ "TS cut", 8, { 8, 10, 0, 0, 0, 1, 0, 0 }, "ts", "df,id+,bad" },
		{ "TS of length 8", 12, { 8, 8, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1 }, "ts,nop,nop", "df,id+,bad" },
		{ "unknown, length 2", 4, { 30, 2, 1, 1 }, "?30,nop,nop", "df,id+" },
		{ "unknown, length 1", 4, { 30, 1, 1, 1 }, "?30", "df,id+,bad" },
		{ "unknown, length 41", 40, { 30, 41 }, "?30", "df,id+,bad" },
		{ "unknown, past the end", 4, { 30, 6, 1, 1 }, "?30", "df,id+,bad" },
		{ "unknown kind in the last byte", 4, { 1, 1, 1, 254 }, "nop,nop,nop,?254", "df,id+,bad" },
		{ "kinds 6, 7, 255", 6, { 6, 2, 7, 2, 255, 2 }, "?6,?7,?255", "df,id+" },
		{ "two MSS", 8, { 2, 4, 0, 100, 2, 4, 5, 0xb4 }, "mss,mss", "df,id+" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(t); i++) {
		struct ss_p0f_pkt p = pkt(4, SYN, 64, 1000, t[i].b, t[i].n);

		expect_field(&p, F_LAYOUT, t[i].layout, t[i].what);
		expect_field(&p, F_QUIRKS, t[i].quirks, t[i].what);
	}

	/* The second MSS is the one kept (1460: "mss*10" of 14600). */
	{
		struct ss_p0f_pkt p = pkt(4, SYN, 64, 14600, OPTS(2, 4, 0, 100, 2, 4, 5, 0xb4));

		assert_string_equal(sig_of(&p), "4:64+0:0:1460:mss*10,0:mss,mss:df,id+:0");
	}
	/* 24 options are read, a 25th makes it "bad" */
	{
		uint8_t nops[40];
		struct ss_p0f_pkt p;
		char want[200] = "";
		int k;

		memset(nops, NOP, sizeof(nops));
		for (k = 0; k < 24; k++)
			strcat(want, k ? ",nop" : "nop");
		p = pkt(4, SYN, 64, 1000, nops, 24);
		expect_field(&p, F_LAYOUT, want, "24 NOPs");
		expect_field(&p, F_QUIRKS, "df,id+", "24 NOPs");
		p = pkt(4, SYN, 64, 1000, nops, 25);
		expect_field(&p, F_LAYOUT, want, "25 NOPs");
		expect_field(&p, F_QUIRKS, "df,id+,bad", "25 NOPs");
		nops[24] = EOL;
		p = pkt(4, SYN, 64, 1000, nops, 28);
		expect_field(&p, F_QUIRKS, "df,id+,bad", "EOL as the 25th option");
	}
	/* Option bytes past 40 are not read. */
	{
		struct ss_p0f_pkt p = pkt(4, SYN, 64, 1000, OPTS(MSS(1460)));

		p.opt_len = 200;
		expect_field(&p, F_QUIRKS, "df,id+", "opt_len 200 (the rest zero: EOL padding)");
		expect_field(&p, F_LAYOUT, "mss,eol+35", "opt_len 200");
	}
}

static void test_sig_window(void **state)
{
	struct ss_p0f_pkt p;

	(void)state;
#define WIN(want, what) expect_window(&p, want, what)
	p = pkt(4, SYN, 64, 14600, OPTS(MSS(1460)));
	WIN("mss*10", "14600, MSS 1460");
	/* The MSS less the timestamps, only with a non-zero own timestamp */
	p = pkt(4, SYN, 64, 13880, OPTS(MSS(1400), TS(5, 0)));
	WIN("mss*10", "13880, MSS 1400 - 12");
	p = pkt(4, SYN, 64, 13880, OPTS(MSS(1400), TS(0, 0)));
	WIN("13880", "13880, MSS 1400, timestamp 0");
	/* 1460 and 1448 (1500 less IPv4 headers, less timestamps) */
	p = pkt(4, SYN, 64, 2920, OPTS(MSS(1300)));
	WIN("mss*2", "2 x 1460");
	p = pkt(4, SYN, 64, 2896, OPTS(MSS(1300)));
	WIN("mss*2", "2 x 1448");
	/* 1440 and 1428 for IPv6 only */
	p = pkt(6, SYN, 64, 4320, OPTS(MSS(1300)));
	WIN("mss*3", "3 x 1440, IPv6");
	p.family = 4;
	WIN("4320", "3 x 1440, IPv4");
	p = pkt(6, SYN, 64, 2856, OPTS(MSS(1300)));
	WIN("mss*2", "2 x 1428, IPv6");
	/* MTU forms: MSS + 40, MSS + these headers, MSS + 60 (IPv6), 1500 */
	p = pkt(4, SYN, 64, 4020, OPTS(MSS(1300)));
	WIN("mtu*3", "3 x (1300 + 40)");
	p = pkt(4, SYN, 64, 4056, OPTS(MSS(1300)));
	p.ip_opt_len = 8;
	WIN("mtu*3", "3 x (1300 + 28 + 24)");
	assert_string_equal(sig_field(sig_of(&p), 2), "8");
	p.ip_opt_len = 0;
	WIN("4056", "3 x 1352 without the IP options");
	p = pkt(6, SYN, 64, 4080, OPTS(MSS(1300)));
	WIN("mtu*3", "3 x (1300 + 60), IPv6");
	p = pkt(4, SYN, 64, 4500, OPTS(MSS(1300)));
	WIN("mtu*3", "3 x 1500");
	/* No multiple: a window of 0, an MSS under 100, no MSS */
	p = pkt(4, SYN, 64, 0, OPTS(MSS(1460)));
	WIN("0", "window 0");
	p = pkt(4, SYN, 64, 990, OPTS(MSS(99)));
	WIN("990", "MSS 99");
	p = pkt(4, SYN, 64, 1000, OPTS(MSS(100)));
	WIN("mss*10", "MSS 100");
	p = pkt(4, SYN, 64, 1500, NULL, 0);
	WIN("1500", "no MSS");

	/* A SYN-ACK also tries the SYN's MSS, then that less 12 */
	p = pkt(4, SYN | ACK, 64, 4000, OPTS(MSS(1460)));
	WIN("4000", "SYN-ACK, SYN's MSS unknown");
	p.syn_mss = 1000;
	WIN("mss*4", "SYN-ACK, 4 x the SYN's MSS");
	p.syn_mss = 1012;
	WIN("mss*4", "SYN-ACK, 4 x (the SYN's MSS - 12)");
	p.flags = SYN;
	WIN("4000", "a SYN ignores syn_mss");
	/* p0f's integer arithmetic on a tiny peer MSS: 12 would divide by
	 * zero (skipped), 5 divides, 7 - 12 gives a negative multiplier
	 * (none), and the multiplier is an int16_t */
	p.flags = SYN | ACK;
	p.syn_mss = 12;
	WIN("4000", "SYN's MSS 12");
	p.syn_mss = 5;
	WIN("mss*800", "SYN's MSS 5");
	p.syn_mss = 7;
	WIN("4000", "SYN's MSS 7");
	p.syn_mss = 1;
	p.window = 30001;
	WIN("mss*30001", "SYN's MSS 1, window 30001");
	p.window = 40001;
	WIN("40001", "SYN's MSS 1, window 40001 (wraps negative)");
#undef WIN

	/* p0f-sendsyn's MSS echoed in a SYN-ACK prints '*' */
	p = pkt(4, SYN | ACK, 64, 13310, OPTS(MSS(1331)));
	assert_string_equal(sig_of(&p), "4:64+0:0:*:mss*10,0:mss:df,id+:0");
	p.flags = SYN;
	assert_string_equal(sig_of(&p), "4:64+0:0:1331:mss*10,0:mss:df,id+:0");
	/* payload class */
	p.payload_len = 1;
	assert_string_equal(sig_field(sig_of(&p), 7), "+");
}

/* The longest raw_sig a packet can give stays well inside SS_P0F_SIG_MAX
 * (ss_p0f_sig copies its words 8 bytes at a time). */
static void test_sig_longest(void **state)
{
	uint8_t o[40];
	struct ss_p0f_pkt p;
	size_t len, i;

	(void)state;
	/* 16 unknown options, 7 NOPs and an EOL: 24, as many characters as
	 * 40 bytes give; a bad MSS length first makes "bad" too */
	o[0] = 2, o[1] = 5, o[2] = 0xff, o[3] = 0xff;
	for (i = 0; i < 15; i++)
		o[4 + 2 * i] = (uint8_t)(200 + i), o[5 + 2 * i] = 2;
	memset(o + 34, NOP, 5);
	o[39] = EOL;
	p = pkt(4, SYN | PSH, 220, 65534, o, 40);
	p.tos = 0xff;
	p.ip_frag |= 0x8000;
	p.ip_opt_len = 255;
	p.seq = 0;
	p.ack = 0xffffffff;
	p.urg = 1;
	p.payload_len = 1;
	len = strlen(sig_of(&p));
	assert_string_equal(sig_of(&p), "4:220+35:255:65535:65534,0:mss,?200,?201,?202,?203,?204,?205,"
			    "?206,?207,?208,?209,?210,?211,?212,?213,?214,nop,nop,nop,nop,nop,eol+0:"
			    "df,id+,ecn,0+,seq-,ack+,uptr+,pushf+,bad:+");
	assert_true(len + 8 < SS_P0F_SIG_MAX);
}

static void test_sig_truncation(void **state)
{
	struct ss_p0f_pkt p = pkt(4, SYN, 64, 64240, LINUX_OPTS(1460));
	const char *full = "4:64+0:0:1460:mss*44,7:mss,sok,ts,nop,ws:df,id+:0";
	size_t len = strlen(full), n;
	char buf[SS_P0F_SIG_MAX + 8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(ss_p0f_sig(&p, buf, 0), 0);
	assert_int_equal(buf[0], 'X');
	for (n = 1; n <= len + 2; n++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(ss_p0f_sig(&p, buf, n), n - 1 < len ? n - 1 : len);
		assert_int_equal(buf[n - 1 < len ? n - 1 : len], '\0');
		assert_memory_equal(buf, full, n - 1 < len ? n - 1 : len);
		assert_int_equal(buf[n], 'X');
	}
}

/* ---- p0f.fp --------------------------------------------------------------------- */

static const char *write_fp(const char *name, const char *text, size_t len)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static struct ss_p0f_db *load_text(const char *text)
{
	char err[256];
	struct ss_p0f_db *db = ss_p0f_db_load(write_fp("t.fp", text, strlen(text)), err, sizeof(err));

	if (!db)
		fail_msg("load failed: %s", err);
	return db;
}

#define HEAD "classes = win,unix,other\n[tcp:request]\n"

static void test_db_errors(void **state)
{
	/* (p0f.fp text, the line the error names, a word of the reason) */
	static const struct { const char *text; unsigned line; const char *why; } t[] = {
		{ "classes = win,,unix x\n", 1, "class list" },
		{ "classes = win\n[tcp:request]\nclasses = unix\n", 3, "'classes'" },
		{ "[tcp:sideways]\n", 1, "direction" },
		{ "; c\n[udp:request]\n", 2, "module 'udp'" },
		{ "[tcp]\n", 1, "section header" },
		{ "[mtu]\nsig = 1500\n", 2, "misplaced 'sig'" },
		{ "[mtu]\nlabel = \nsig = 1500\n", 2, "empty MTU label" },
		{ "[mtu]\nlabel = E\nsig = 15x0\n", 3, "MTU" },
		{ "[mtu]\nlabel = E\nsig = 0\n", 3, "MTU" },
		{ "[mtu]\nlabel = E\nsig = 65536\n", 3, "MTU" },
		{ "label = s:unix:Linux:3\n", 1, "misplaced 'label'" },
		{ "hello\n", 1, "name = value" },
		{ HEAD "foo = bar\n", 3, "unknown field 'foo'" },
		{ HEAD "sig = *:64:0:*:*,*:mss::0\n", 3, "misplaced 'sig'" },
		{ HEAD "label = x:unix:Linux:3\n", 3, "'s:'" },
		{ HEAD "label = s:bsd:Linux:3\n", 3, "unknown class 'bsd'" },
		{ HEAD "label = s:unix:Li{nux:3\n", 3, "label name" },
		{ HEAD "label = s:unix:Linux\n", 3, "label name" },
		{ HEAD "label = s:!:Tool:1\nsig = *:64:0:*:*,*:mss::0\n", 4, "'sys'" },
		{ HEAD "label = s:!:Tool:1\nsys = @bsd\n", 4, "unknown class 'bsd'" },
		{ HEAD "label = s:unix:L:1\nsys = Linux\n", 4, "misplaced 'sys'" },
		{ HEAD "label = s:unix:L:1\nsig = 5:64:0:*:*,*:mss::0\n", 4, "IP version" },
		{ HEAD "label = s:unix:L:1\nsig = 4-64:0:*:*,*:mss::0\n", 4, "after the IP version" },
		{ HEAD "label = s:unix:L:1\nsig = *:0:0:*:*,*:mss::0\n", 4, "initial TTL" },
		{ HEAD "label = s:unix:L:1\nsig = *:256:0:*:*,*:mss::0\n", 4, "initial TTL" },
		{ HEAD "label = s:unix:L:1\nsig = *:64+200:0:*:*,*:mss::0\n", 4, "plus distance" },
		{ HEAD "label = s:unix:L:1\nsig = *:64x:0:*:*,*:mss::0\n", 4, "initial TTL" },
		{ HEAD "label = s:unix:L:1\nsig = *:64-:\n", 4, "truncated" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:256:*:*,*:mss::0\n", 4, "option length" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:65536:*,*:mss::0\n", 4, "MSS" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:%1,*:mss::0\n", 4, "modulus" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:mss*0,*:mss::0\n", 4, "multiplier" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:mtu*1001,*:mss::0\n", 4, "multiplier" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:65536,*:mss::0\n", 4, "window size" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:8192:*:mss::0\n", 4, "window size" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,256:mss::0\n", 4, "window scale" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss,foo::0\n", 4, "unknown TCP option" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss;ws::0\n", 4, "layout" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:eol+1,mss::0\n", 4, "last option" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:eol:0\n", 4, "eol+N" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss,eol+1\n", 4, "truncated" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:?256::0\n", 4, "'?N'" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:?3x::0\n", 4, "'?N'" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss:df,foo:0\n", 4, "unknown quirk" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss:df;id+:0\n", 4, "malformed quirks" },
		{ HEAD "label = s:unix:L:1\nsig = 6:64:0:*:*,*:mss:df:0\n", 4, "'df' is not valid for IPv6" },
		{ HEAD "label = s:unix:L:1\nsig = 6:64:0:*:*,*:mss:0+:0\n", 4, "'0+' is not valid for IPv6" },
		{ HEAD "label = s:unix:L:1\nsig = 4:64:0:*:*,*:mss:flow:0\n", 4, "'flow' is not valid for IPv4" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss::x\n", 4, "payload class" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss::0 \n", 4, "payload class" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss:\n", 4, "unknown quirk" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,"
		  "nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop::0\n", 4, "more than 24" },
		/* p0f refuses what an earlier specific signature already covers */
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:mss*12,0:mss::0\n\nlabel = s:unix:M:2\n"
		  "sig = *:64:0:*:mss*12,0:mss::0\n", 7, "already covered by line 4" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss::*\nsig = 4:60:0:1460:8192,5:mss::0\n",
		  5, "already covered by line 4" },
		{ HEAD "label = s:unix:L:1\nsig = *:64:0:*:mss*20,10:mss:df,id+:0\n"
		  "sig = 4:64:0:1460:mss*20,10:mss:df,id+:0\n", 5, "already covered by line 4" },
		{ "classes = win\n[tcp:response]\nlabel = s:win:W:1\nsig = *:128:0:*:%8192,*:mss::0\n"
		  "sig = *:128:0:*:%8192,*:mss::0\n", 5, "already covered by line 4" },
		{ "; only comments\n\n   \n", 0, "no TCP signatures" },
		{ "", 0, "no TCP signatures" },
	};
	char err[256], want[160];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(t); i++) {
		const char *path = write_fp("bad.fp", t[i].text, strlen(t[i].text));
		struct ss_p0f_db *db = ss_p0f_db_load(path, err, sizeof(err));

		if (db) {
			ss_p0f_db_free(db);
			fail_msg("case %zu loaded: %s", i, t[i].text);
		}
		if (t[i].line)
			snprintf(want, sizeof(want), "%s:%u: ", path, t[i].line);
		else
			snprintf(want, sizeof(want), "%s: ", path);
		if (strncmp(err, want, strlen(want)) || !strstr(err, t[i].why) || strchr(err, '\n'))
			fail_msg("case %zu: '%s', want '%s...%s...'", i, err, want, t[i].why);
	}
}

static void test_db_files(void **state)
{
	static const char good[] = HEAD "label = s:unix:L:1\nsig = *:64:0:*:*,*:mss::0\n";
	char err[256], path[160], *text;
	struct ss_p0f_db *db;

	(void)state;
	/* A file that is not there */
	snprintf(path, sizeof(path), "%s/missing.fp", tmpdir);
	assert_null(ss_p0f_db_load(path, err, sizeof(err)));
	assert_true(strstr(err, "missing.fp: No such file or directory") != NULL);
	/* A directory */
	assert_null(ss_p0f_db_load(tmpdir, err, sizeof(err)));
	assert_true(strncmp(err, tmpdir, strlen(tmpdir)) == 0);
	/* A NUL byte */
	assert_null(ss_p0f_db_load(write_fp("nul.fp", HEAD "label = s:unix:L:1\0x\n", sizeof(HEAD) + 19),
				   err, sizeof(err)));
	assert_true(strstr(err, "nul.fp:3: NUL byte") != NULL);
	/* CRLF lines, blanks before names */
	text = "classes = unix\r\n[tcp:request]\r\n  label = s:unix:L:1\r\n\tsig = *:64:0:*:*,*:mss::0\r\n";
	db = ss_p0f_db_load(write_fp("crlf.fp", text, strlen(text)), err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(ss_p0f_db_count(db, 0), 1);
	assert_int_equal(ss_p0f_db_count(db, 1), 0);
	ss_p0f_db_free(db);
	/* A short error buffer is cut and terminated; none at all is fine */
	memset(err, 'X', sizeof(err));
	assert_null(ss_p0f_db_load(write_fp("e.fp", "x\n", 2), err, 8));
	assert_int_equal(strlen(err), 7);
	assert_null(ss_p0f_db_load(write_fp("e.fp", "x\n", 2), NULL, 0));
	/* The last line without a newline */
	db = ss_p0f_db_load(write_fp("g.fp", good, sizeof(good) - 2), err, sizeof(err));
	assert_non_null(db);
	ss_p0f_db_free(db);
	ss_p0f_db_free(NULL);
}

/* Debian's p0f.fp loads, with as many signatures per direction as its
 * [tcp:request] and [tcp:response] sections have sig lines. */
static void test_db_debian(void **state)
{
	unsigned count[2] = { 0, 0 };
	char line[1024], err[256];
	struct ss_p0f_db *db;
	int section = -1;
	FILE *f;

	(void)state;
	f = fopen(DEBIAN_FP, "r");
	if (!f) {
		fprintf(stderr, "test_p0f: %s is not here (apt-get install p0f): skipped\n", DEBIAN_FP);
		skip();
	}
	while (fgets(line, sizeof(line), f)) {
		const char *s = line + strspn(line, " \t");

		if (*s == '[')
			section = !strncmp(s, "[tcp:request]", 13) ? 0 : !strncmp(s, "[tcp:response]", 14) ? 1 : -1;
		else if (section >= 0 && !strncmp(s, "sig", 3) && strchr(" \t=", s[3]))
			count[section]++;
	}
	fclose(f);
	db = ss_p0f_db_load(DEBIAN_FP, err, sizeof(err));
	if (!db)
		fail_msg("%s", err);
	assert_true(count[0] > 50 && count[1] > 50);
	assert_int_equal(ss_p0f_db_count(db, 0), count[0]);
	assert_int_equal(ss_p0f_db_count(db, 1), count[1]);

	/* What p0f 3.09b says of these (tests/e2e_p0f.sh shows it) */
	{
		struct ss_p0f_result r;
		struct ss_p0f_pkt p = pkt(4, SYN, 64, 64240, LINUX_OPTS(1460));

		assert_string_equal(ss_p0f_match_result(db, &p, &r), "Linux 2.2.x-3.x");
		assert_true(r.generic && !r.fuzzy && !r.app && r.dist == 0);
		p = pkt(4, SYN, 120, 8192, OPTS(MSS(1460), NOP, WS(2), NOP, NOP, SOK));
		assert_string_equal(ss_p0f_match_result(db, &p, &r), "Windows 7 or 8");
		assert_true(!r.generic && !r.fuzzy && r.dist == 8);
		p = pkt(4, SYN | ACK, 64, 14600, OPTS(MSS(1460), SOK, TS(2000, 1000), NOP, WS(7)));
		p.ip_id = 0;
		assert_string_equal(ss_p0f_match_result(db, &p, &r), "Linux 3.x");
		p = pkt(4, SYN, 47, 1024, OPTS(MSS(1460)));
		p.ip_frag = 0;
		assert_string_equal(ss_p0f_match_result(db, &p, &r), "NMap SYN scan");
		assert_true(r.app && r.random_ttl && r.dist == 17);
		p = pkt(6, SYN, 64, 64800, LINUX_OPTS(1440));
		p.flow = 0x2a3b4;
		assert_null(ss_p0f_match_result(db, &p, &r));
		assert_int_equal(r.dist, 0);
	}
	ss_p0f_db_free(db);
}

/* ---- matching --------------------------------------------------------------------- */

static void expect_match(struct ss_p0f_db *db, const struct ss_p0f_pkt *p, const char *label,
			 int fuzzy, int generic, int dist, const char *what)
{
	struct ss_p0f_result r;
	const char *got = ss_p0f_match_result(db, p, &r);

	if ((got == NULL) != (label == NULL) || (got && strcmp(got, label)))
		fail_msg("%s: label '%s', want '%s' (%s)", what, got ? got : "(none)",
			 label ? label : "(none)", sig_of(p));
	if (r.fuzzy != fuzzy || r.generic != generic || (dist >= 0 && r.dist != dist))
		fail_msg("%s: fuzzy %u generic %u dist %u, want %d %d %d", what, r.fuzzy, r.generic,
			 r.dist, fuzzy, generic, dist);
}

static void test_match_order(void **state)
{
	struct ss_p0f_db *db = load_text(HEAD
		"label = g:unix:Gen:eric\n"
		"sig = *:64:0:*:*,*:mss:df,id+:0\n"
		"label = s:unix:Spec:ific\n"
		"sig = *:64:0:1460:*,0:mss:df,id+:0\n"
		"label = s:unix:Spec:later\n"
		"sig = *:64:0:1460:*,*:mss:df,id+:0\n"
		"label = s:unix:Other:layout\n"
		"sig = *:64:0:*:*,*:nop,mss:df,id+:0\n");
	struct ss_p0f_pkt p = plain4();
	int fuzzy = -1, generic = -1;

	(void)state;
	/* The first specific exact match, even after a generic one */
	expect_match(db, &p, "Spec ific", 0, 0, 0, "specific after generic");
	p = pkt(4, SYN, 64, 1000, OPTS(MSS(1460), WS(3), NOP));
	expect_field(&p, F_LAYOUT, "mss,ws,nop", "layout");
	expect_match(db, &p, NULL, 0, 0, 0, "another layout");
	p = pkt(4, SYN, 64, 1000, OPTS(MSS(1400)));
	expect_match(db, &p, "Gen eric", 0, 1, 0, "generic when nothing specific");
	p = pkt(4, SYN, 64, 1000, OPTS(NOP, MSS(1400), NOP, NOP, NOP));
	expect_match(db, &p, NULL, 0, 0, 0, "NOPs after the MSS: another layout");
	p = pkt(4, SYN, 64, 1000, OPTS(NOP, MSS(1400)));
	p.opt_len = 5;
	expect_match(db, &p, "Other layout", 0, 0, 0, "nop,mss");
	/* The plain API */
	p = plain4();
	assert_string_equal(ss_p0f_match(db, &p, &fuzzy, &generic), "Spec ific");
	assert_int_equal(fuzzy, 0);
	assert_int_equal(generic, 0);
	p = pkt(4, SYN, 64, 1000, OPTS(MSS(1400)));
	assert_string_equal(ss_p0f_match(db, &p, NULL, NULL), "Gen eric");
	assert_string_equal(ss_p0f_match(db, &p, &fuzzy, &generic), "Gen eric");
	assert_int_equal(generic, 1);
	/* A SYN-ACK looks in tcp:response only */
	p = plain4();
	p.flags = SYN | ACK;
	expect_match(db, &p, NULL, 0, 0, 0, "SYN-ACK against request signatures");
	ss_p0f_db_free(db);
}

static void test_match_fuzzy(void **state)
{
	struct ss_p0f_db *db = load_text(HEAD
		"label = s:win:Win:dows\n"
		"sig = *:128:0:*:8192,*:mss:df,id+:0\n"
		"label = s:unix:First:fuzzy\n"
		"sig = *:64:0:1380:*,*:mss:df,id+:0\n"
		"label = s:unix:Second:exact\n"
		"sig = 4:64:0:1380:*,*:mss:df:0\n"
		"label = s:unix:Exact:later\n"
		"sig = 4:64:0:1380:*,*:mss:id-:0\n");
	struct ss_p0f_pkt p;

	(void)state;
#define W(code, label, fuzzy, dist, what) do { \
		p = pkt(4, SYN, 120, 8192, OPTS(MSS(1460))); code; \
		expect_match(db, &p, label, fuzzy, 0, dist, what); \
	} while (0)
	W((void)0, "Win dows", 0, 8, "exact");
	W(p.ip_frag = 0, "Win dows", 1, 8, "'df' and 'id+' gone");
	W(p.ip_id = 0, "Win dows", 1, 8, "'id+' gone");
	W(p.ip_frag = 0; p.ip_id = 0, "Win dows", 1, 8, "'id-' new");
	W(p.tos = 1, "Win dows", 1, 8, "'ecn' new");
	W(p.flags |= PSH, NULL, 0, 8, "'pushf+' new: no match");
	W(p.seq = 0, NULL, 0, 8, "'seq-' new: no match");
	/* TTL: more than 35 hops under, or above the initial TTL */
	W(p.ttl = 93, "Win dows", 0, 35, "35 hops");
	W(p.ttl = 92, "Win dows", 1, 36, "36 hops: fuzzy, dist guessed");
	W(p.ttl = 60, "Win dows", 1, 4, "64 - 60: the guess");
	W(p.ttl = 129, "Win dows", 1, 126, "above the initial TTL");
	W(p.ttl = 60; p.ip_frag = 0, "Win dows", 1, 4, "TTL and quirks");
#undef W
	/* The first fuzzy match is kept, and any exact one later wins */
	p = pkt(4, SYN, 64, 1000, OPTS(MSS(1380)));
	p.ip_frag = 0;
	expect_match(db, &p, "First fuzzy", 1, 0, 0, "no quirk: first fuzzy");
	p.ip_frag = DF;
	p.ip_id = 0;
	expect_match(db, &p, "Second exact", 0, 0, 0, "df alone: exact after a fuzzy one");
	p.ip_frag = 0;
	expect_match(db, &p, "Exact later", 0, 0, 0, "id-: exact after two fuzzy ones");
	p.ip_frag = DF;
	p.ip_id = 5;
	p.ttl = 20;
	expect_match(db, &p, "First fuzzy", 1, 0, 12, "far TTL");
	ss_p0f_db_free(db);
}

static void test_match_generic_and_tools(void **state)
{
	struct ss_p0f_db *db = load_text(HEAD
		"label = s:unix:Fuzzy:specific\n"
		"sig = *:64:0:1000:*,*:mss:df,id+:0\n"
		"label = g:unix:Exact:generic\n"
		"sig = 4:64:0:1000:*,*:mss::0\n"
		"label = s:!:Tool:scan\n"
		"sys = @unix,Windows\n"
		"sig = *:64-:0:1460:1024,0:mss::0\n"
		"sig = *:64-:0:1460:2048,0:mss:df,id+:0\n"
		"[tcp:response]\n"
		"label = s:!:WINDOWS:answer\n"
		"sys = windows\n"
		"sig = *:128-:0:*:*,*:mss::0\n");
	struct ss_p0f_result r;
	struct ss_p0f_pkt p;

	(void)state;
	/* An exact generic match beats a fuzzy specific one */
	p = pkt(4, SYN, 64, 1000, OPTS(MSS(1000)));
	p.ip_frag = 0;
	expect_match(db, &p, "Exact generic", 0, 1, 0, "generic over fuzzy");
	/* A tool: random TTL, so no TTL is too far, and none above */
	p = pkt(4, SYN, 40, 1024, OPTS(MSS(1460)));
	p.ip_frag = 0;
	assert_string_equal(ss_p0f_match_result(db, &p, &r), "Tool scan");
	assert_true(r.app && r.random_ttl && !r.fuzzy && !r.generic && r.dist == 24);
	p.ttl = 2;
	assert_string_equal(ss_p0f_match_result(db, &p, &r), "Tool scan");
	assert_int_equal(r.dist, 62);
	p.ttl = 65;
	assert_null(ss_p0f_match_result(db, &p, &r));
	/* Only fuzzy for a tool: no match, and p0f leaves dist at 0 */
	p = pkt(4, SYN, 40, 2048, OPTS(MSS(1460)));
	p.ip_frag = 0;
	assert_null(ss_p0f_match_result(db, &p, &r));
	assert_int_equal(r.dist, 0);
	p.ip_frag = DF;
	assert_string_equal(ss_p0f_match_result(db, &p, &r), "Tool scan");
	/* SYN-ACK section; the name spelled as the sys line first had it */
	p = pkt(4, SYN | ACK, 100, 5000, OPTS(MSS(1460)));
	p.ip_frag = 0;
	assert_string_equal(ss_p0f_match_result(db, &p, &r), "Windows answer");
	assert_true(r.app && r.dist == 28);
	ss_p0f_db_free(db);
}

static void test_match_fields(void **state)
{
	struct ss_p0f_db *db = load_text(HEAD
		"label = s:unix:Four:only\n"
		"sig = 4:64:0:1024:mss*4,0:mss::0\n"
		"label = s:unix:Both:df\n"
		"sig = *:64:0:1200:*,0:mss:df,id+:0\n"
		"label = s:unix:Six:flow\n"
		"sig = 6:64:0:1300:*,0:mss:flow:0\n"
		"label = s:unix:Mod:8192\n"
		"sig = *:64:0:1400:%8192,*:mss::0\n"
		"label = s:unix:Mss:times4\n"
		"sig = *:64:0:1410:mss*4,*:mss::0\n"
		"label = s:unix:Mtu:times4\n"
		"sig = *:64:0:1410:mtu*4,*:mss::0\n"
		"label = s:unix:Scale:7\n"
		"sig = *:64:0:1420:*,7:mss,ws::0\n"
		"label = s:unix:Payload:yes\n"
		"sig = *:64:0:1430:*,*:mss::+\n"
		"label = s:unix:Payload:any\n"
		"sig = *:64:0:1440:*,*:mss::*\n"
		"label = s:unix:Ip:options\n"
		"sig = *:64:4:1450:*,*:mss::0\n"
		"label = s:unix:Eol:two\n"
		"sig = *:64:0:*:*,*:mss,eol+2::0\n"
		"label = s:unix:Olen:skipped\n"
		"sig = *:64-:X:1460:999,0:mss::0\n");
	struct ss_p0f_pkt p;

	(void)state;
#define M(mss, code, label, fuzzy, what) do { \
		p = pkt(4, SYN, 64, 4096, OPTS(MSS(mss))); p.ip_frag = 0; code; \
		expect_match(db, &p, label, fuzzy, 0, -1, what); \
	} while (0)
	M(1024, (void)0, "Four only", 0, "IPv4");
	/* p0f never compares the version: a '4:' signature takes IPv6 */
	M(1024, p.family = 6, "Four only", 0, "IPv6 against a '4:' signature");
	M(1024, p.family = 6; p.flow = 1, NULL, 0, "...unless a quirk differs");
	/* '*' drops the quirks of the other version */
	M(1200, p.ip_frag = DF, "Both df", 0, "IPv4 with DF");
	M(1200, (void)0, "Both df", 1, "IPv4 without DF: fuzzy");
	M(1200, p.family = 6, "Both df", 0, "IPv6: df and id+ do not apply");
	M(1300, p.family = 6; p.flow = 7, "Six flow", 0, "flow label");
	M(1300, (void)0, NULL, 0, "IPv4 against '6:' with 'flow'");
	/* window forms */
	M(1400, p.window = 16384, "Mod 8192", 0, "%8192 of 16384");
	M(1400, p.window = 12288, NULL, 0, "%8192 of 12288");
	M(1410, p.window = 4 * 1410, "Mss times4", 0, "mss*4");
	M(1410, p.window = 4 * 1450, "Mtu times4", 0, "mtu*4");
	M(1410, p.window = 5 * 1410, NULL, 0, "mss*5");
	/* scale, payload, IP options, EOL padding */
	p = pkt(4, SYN, 64, 4096, OPTS(MSS(1420), WS(7)));
	p.ip_frag = 0;
	expect_match(db, &p, "Scale 7", 0, 0, 0, "scale 7");
	p.opts[6] = 6;
	expect_match(db, &p, NULL, 0, 0, 0, "scale 6");
	M(1430, p.payload_len = 5, "Payload yes", 0, "payload");
	M(1430, (void)0, NULL, 0, "no payload");
	M(1440, (void)0, "Payload any", 0, "pclass *, none");
	M(1440, p.payload_len = 1, "Payload any", 0, "pclass *, some");
	M(1450, p.ip_opt_len = 4, "Ip options", 0, "4 option bytes");
	M(1450, p.ip_opt_len = 8, NULL, 0, "8 option bytes");
	p = pkt(4, SYN, 64, 4096, OPTS(MSS(1000), EOL, 0, 0));
	p.ip_frag = 0;
	expect_match(db, &p, "Eol two", 0, 0, 0, "eol+2");
	p.opt_len = 6;
	expect_match(db, &p, NULL, 0, 0, 0, "eol+1");
	/* p0f reads "64-:X:" as 64, random, no option bytes */
	M(1460, p.ttl = 50; p.window = 999, "Olen skipped", 0, "the character after '-:'");
#undef M
	ss_p0f_db_free(db);
}

/* The spelling p0f prints: a name as first met, the flavor after a space. */
static void test_match_labels(void **state)
{
	struct ss_p0f_db *db = load_text("classes = unix\n[tcp:request]\n"
		"label = s:unix:Linux:3.x and newer\n"
		"sig = *:64:0:1000:*,*:mss::0\n"
		"label = s:UNIX:LINUX:\n"
		"sig = *:64:0:1001:*,*:mss::0\n"
		"label = g:unix:linux:with: colons\n"
		"sig = *:64:0:1002:*,*:mss::0\n");
	struct ss_p0f_pkt p = pkt(4, SYN, 64, 4096, OPTS(MSS(1000)));

	(void)state;
	p.ip_frag = 0;
	expect_match(db, &p, "Linux 3.x and newer", 0, 0, 0, "name and flavor");
	p.opts[3] = 1001 & 0xff;
	expect_match(db, &p, "Linux", 0, 0, 0, "no flavor, first spelling");
	p.opts[3] = 1002 & 0xff;
	expect_match(db, &p, "Linux with: colons", 0, 1, 0, "flavor with colons");
	ss_p0f_db_free(db);
}

static void test_cache(void **state)
{
	struct ss_p0f_db *db = load_text(HEAD
		"label = s:unix:L:1\n"
		"sig = *:64:0:*:*,*:mss:df,id+:0\n");
	struct ss_p0f_db *db2;
	struct ss_p0f_pkt p = plain4();
	struct ss_p0f_result r;
	uint64_t hits, misses;
	static const char *first[40000];
	uint32_t k;

	(void)state;
	ss_p0f_cache_stats(db, &hits, &misses);
	assert_true(hits == 0 && misses == 0);
	expect_match(db, &p, "L 1", 0, 0, 0, "first");
	expect_match(db, &p, "L 1", 0, 0, 0, "again");
	p.ip_id = 0x4321;          /* still "id+": the same key */
	p.seq = 0x55555555;
	p.ack = 0x00abcdef;
	expect_match(db, &p, "L 1", 0, 0, 0, "other IP ID and sequence");
	ss_p0f_cache_stats(db, &hits, &misses);
	assert_true(hits == 2 && misses == 1);
	p.ttl = 63;                /* another distance: another key */
	expect_match(db, &p, "L 1", 0, 0, 1, "TTL 63");
	expect_match(db, &p, "L 1", 0, 0, 1, "TTL 63 from the cache");
	p.ip_id = 0;               /* "df" alone: fuzzy */
	expect_match(db, &p, "L 1", 1, 0, 1, "id+ gone");
	ss_p0f_cache_stats(db, &hits, &misses);
	assert_true(hits == 3 && misses == 3);
	/* A SYN-ACK's peer MSS is part of the key */
	p = pkt(4, SYN | ACK, 64, 4000, OPTS(MSS(1460)));
	ss_p0f_match_result(db, &p, &r);
	p.syn_mss = 1000;
	ss_p0f_match_result(db, &p, &r);
	ss_p0f_cache_stats(db, &hits, &misses);
	assert_true(misses == 5);
	ss_p0f_db_free(db);

	/* Far more keys than slots: what comes back is what the walk said. */
	db = load_text(HEAD
		"label = s:unix:Seven:mod\nsig = *:64:0:*:%7,*:mss:df,id+:0\n"
		"label = s:unix:Two:mss\nsig = *:64:0:*:mss*2,*:mss:df,id+:0\n"
		"label = g:unix:Any:window\nsig = *:64:0:*:*,*:mss:df,id+:0\n");
	for (k = 0; k < 40000; k++) {
		p = pkt(4, SYN, 64, (uint16_t)k, OPTS(MSS(1000 + k % 7)));
		first[k] = ss_p0f_match(db, &p, NULL, NULL);
		assert_non_null(first[k]);
	}
	ss_p0f_cache_stats(db, &hits, &misses);
	assert_true(misses == 40000 && hits == 0);
	db2 = load_text(HEAD "label = s:unix:X:y\nsig = *:64:0:*:*,*:mss:df,id+:0\n");
	for (k = 0; k < 40000; k++) {
		const char *again;

		p = pkt(4, SYN, 64, (uint16_t)k, OPTS(MSS(1000 + k % 7)));
		again = ss_p0f_match(db, &p, NULL, NULL);
		if (again != first[k])
			fail_msg("window %u: '%s' then '%s'", k, first[k], again);
	}
	ss_p0f_cache_stats(db, &hits, &misses);
	assert_true(hits > 0 && misses > 40000);
	p = pkt(4, SYN, 64, 7 * 1000, OPTS(MSS(1000)));
	assert_string_equal(ss_p0f_match(db, &p, NULL, NULL), "Seven mod");
	p.window = 2006;
	p.opts[3] = 1003 & 0xff;
	assert_string_equal(ss_p0f_match(db, &p, NULL, NULL), "Two mss");
	p.window = 2003;
	assert_string_equal(ss_p0f_match(db, &p, NULL, NULL), "Any window");
	/* Two databases, two caches */
	assert_string_equal(ss_p0f_match(db2, &p, NULL, NULL), "X y");
	ss_p0f_db_free(db);
	ss_p0f_db_free(db2);
}

/* ---- random packets: the raw_sig read back as a signature matches ------------- */

static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Random option bytes: good and broken options, up to 40 bytes. */
static uint8_t random_options(uint32_t *s, uint8_t *o)
{
	uint8_t n = 0, want = (uint8_t)(rnd(s) % 41);

	while (n < want) {
		uint8_t room = (uint8_t)(40 - n);
		uint32_t v = rnd(s);

		switch (rnd(s) % 10) {
		case 1:             /* MSS, sometimes of a wrong length */
			if (room < 4)
				break;
			o[n++] = 2;
			o[n++] = rnd(s) % 8 ? 4 : 5;
			o[n++] = v >> 8 & 0xff;
			o[n++] = v & 0xff;
			break;
		case 2:             /* window scale up to 19 */
			if (room < 3)
				break;
			o[n++] = 3;
			o[n++] = 3;
			o[n++] = (uint8_t)(v % 20);
			break;
		case 3:
			if (room < 2)
				break;
			o[n++] = 4;
			o[n++] = 2;
			break;
		case 4:             /* timestamps, each maybe zero */
			if (room < 10)
				break;
			o[n++] = 8;
			o[n++] = 10;
			memset(o + n, 0, 8);
			if (v & 1)
				o[n + 3] = (uint8_t)(v >> 8);
			if (v & 2)
				o[n + 7] = 1;
			n += 8;
			break;
		case 5:             /* SACK */
			if (room < 10)
				break;
			o[n++] = 5;
			o[n++] = 10;
			memset(o + n, 7, 8);
			n += 8;
			break;
		case 6:             /* an unknown kind */
			if (room < 4)
				break;
			o[n++] = (uint8_t)(9 + v % 240);
			o[n++] = 4;
			o[n++] = 0;
			o[n++] = 0;
			break;
		case 7:             /* any byte */
			o[n++] = (uint8_t)v;
			break;
		case 8:             /* EOL, padding sometimes not zero */
			o[n++] = 0;
			while (n < want) {
				v = rnd(s);
				o[n++] = v % 5 ? 0 : (uint8_t)(v >> 8);
			}
			break;
		default:
			o[n++] = 1;
			break;
		}
	}
	return n;
}

static void test_sig_roundtrip(void **state)
{
	uint32_t seed = 0x5eed1234, i, tried = 0;
	char text[512], err[256], sig[SS_P0F_SIG_MAX];

	(void)state;
	for (i = 0; i < 4000; i++) {
		struct ss_p0f_pkt p;
		struct ss_p0f_result r;
		struct ss_p0f_db *db;
		const char *m;
		size_t len;

		memset(&p, 0, sizeof(p));
		p.family = rnd(&seed) % 2 ? 4 : 6;
		p.flags = (uint8_t)(SYN | (rnd(&seed) % 2 ? ACK : 0) | (rnd(&seed) & (PSH | URG | ECE | CWR)));
		p.ttl = (uint8_t)(1 + rnd(&seed) % 255);
		p.tos = (uint8_t)rnd(&seed);
		if (p.family == 4) {
			static const uint16_t frag[4] = { 0, DF, DF | 0x8000, 0x8000 };

			p.ip_id = rnd(&seed) % 3 ? (uint16_t)rnd(&seed) : 0;
			p.ip_frag = frag[rnd(&seed) % 4];
			p.ip_opt_len = (uint8_t)(rnd(&seed) % 3 * 4);
		} else {
			p.flow = rnd(&seed) % 2 ? rnd(&seed) & 0xfffff : 0;
		}
		p.seq = rnd(&seed) % 4 ? rnd(&seed) : 0;
		p.ack = rnd(&seed) % 4 ? rnd(&seed) : 0;
		p.urg = rnd(&seed) % 4 ? 0 : (uint16_t)rnd(&seed);
		p.doff_res = (uint8_t)(rnd(&seed) & 0x0f);
		p.payload_len = rnd(&seed) % 4 ? 0 : rnd(&seed) % 1000;
		p.opt_len = random_options(&seed, p.opts);
		p.doff_res |= (uint8_t)((20 + p.opt_len + 3) / 4 << 4);
		p.syn_mss = rnd(&seed) % 2 ? (uint16_t)(100 + rnd(&seed) % 1400) : 0;
		p.window = (uint16_t)rnd(&seed);
		if (rnd(&seed) % 2 && p.opt_len >= 4 && p.opts[0] == 2)
			p.window = (uint16_t)((p.opts[2] << 8 | p.opts[3]) * (1 + rnd(&seed) % 40));

		len = ss_p0f_sig(&p, sig, sizeof(sig));
		assert_true(len == strlen(sig) && len < SS_P0F_SIG_MAX - 1);
		/* What p0f.fp cannot say: an unknown distance, '*' for the MSS */
		if (strstr(sig, "+?") || !strcmp(sig_field(sig, 3), "*"))
			continue;
		{
			const char *w = sig_field(sig, 4);

			if ((!strncmp(w, "mss*", 4) || !strncmp(w, "mtu*", 4)) && atoi(w + 4) > 1000)
				continue;
		}
		snprintf(text, sizeof(text), "classes = unix\n[tcp:%s]\nlabel = s:unix:Round:trip\nsig = %s\n",
			 p.flags & ACK ? "response" : "request", sig);
		db = ss_p0f_db_load(write_fp("rt.fp", text, strlen(text)), err, sizeof(err));
		if (!db)
			fail_msg("%s does not load: %s", sig, err);
		m = ss_p0f_match_result(db, &p, &r);
		if (!m || strcmp(m, "Round trip") || r.fuzzy || r.generic)
			fail_msg("%s does not match itself: %s fuzzy %u", sig, m ? m : "(none)", r.fuzzy);
		assert_int_equal(r.dist, atoi(strchr(sig_field(sig, 1), '+') + 1));
		ss_p0f_db_free(db);
		tried++;
	}
	assert_true(tried > 2000);
}

/* ---- main ------------------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_p0f.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *names[] = { "t.fp", "bad.fp", "nul.fp", "crlf.fp", "e.fp", "g.fp", "rt.fp" };
	char path[128];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sig_systems),
		cmocka_unit_test(test_sig_ttl),
		cmocka_unit_test(test_sig_quirks),
		cmocka_unit_test(test_sig_options),
		cmocka_unit_test(test_sig_window),
		cmocka_unit_test(test_sig_longest),
		cmocka_unit_test(test_sig_truncation),
		cmocka_unit_test(test_db_errors),
		cmocka_unit_test(test_db_files),
		cmocka_unit_test(test_db_debian),
		cmocka_unit_test(test_match_order),
		cmocka_unit_test(test_match_fuzzy),
		cmocka_unit_test(test_match_generic_and_tools),
		cmocka_unit_test(test_match_fields),
		cmocka_unit_test(test_match_labels),
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_sig_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
