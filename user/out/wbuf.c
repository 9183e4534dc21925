// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The buffered writer and its formatting (see wbuf.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include "out/wbuf.h"

void wb_init(struct ss_wbuf *w, int fd)
{
	w->fd = fd;
	w->err = 0;
	w->len = 0;
	w->written = 0;
}

int wb_flush(struct ss_wbuf *w)
{
	size_t off = 0;
	ssize_t n;

	if (w->err) {
		w->len = 0;
		return -w->err;
	}
	while (off < w->len) {
		n = write(w->fd, w->buf + off, w->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
		w->written += (uint64_t)n;
	}
	w->len = 0;
	return -w->err;
}

void wb_printf(struct ss_wbuf *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (int pass = 0; pass < 2; pass++) {
		va_start(ap, fmt);
		n = vsnprintf(wb_tail(w), SS_WBUF_SIZE - w->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < SS_WBUF_SIZE - w->len) {
			w->len += (size_t)n;
			return;
		}
		/* Did not fit: flush and try once more (a line is far shorter
		 * than the buffer). */
		wb_flush(w);
	}
}

/* ---- numbers ------------------------------------------------------------ */

const char ss_digits2[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

size_t fmt_u64_slow(char *p, uint64_t v)
{
	size_t n = 1, i;
	uint64_t t;

	for (t = v; t >= 10; t /= 10)
		n++;
	i = n;
	while (v >= 100) {
		uint64_t q = v / 100;
		unsigned r = (unsigned)(v - q * 100);

		p[--i] = ss_digits2[2 * r + 1];
		p[--i] = ss_digits2[2 * r];
		v = q;
	}
	if (v >= 10) {
		p[--i] = ss_digits2[2 * v + 1];
		p[--i] = ss_digits2[2 * v];
	} else {
		p[--i] = (char)('0' + v);
	}
	return n;
}

size_t fmt_i64(char *p, int64_t v)
{
	if (v >= 0)
		return fmt_u64(p, (uint64_t)v);
	p[0] = '-';
	return 1 + fmt_u64(p + 1, (uint64_t)0 - (uint64_t)v);
}

size_t fmt_u64_pad(char *p, uint64_t v, int digits)
{
	int i = digits;

	while (i >= 2) {
		i -= 2;
		memcpy(p + i, ss_digits2 + 2 * (v % 100), 2);
		v /= 100;
	}
	if (i)
		p[0] = (char)('0' + v % 10);
	return (size_t)digits;
}

/*
 * d = m * 2^e exactly (m < 2^53). d * 10^k rounded to an integer, ties to
 * even, is then exact in 128-bit arithmetic: that is what printf rounds.
 */
size_t fmt_fixed(char *p, double d, int decimals)
{
	static const uint64_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	unsigned __int128 scaled, n, rem, half;
	uint64_t m, ip, fp;
	int e;
	size_t len;

	if (!(d >= 0) || d >= 9007199254740992.0 || decimals < 0 || decimals > 6) {
		char tmp[64];
		int k = snprintf(tmp, sizeof(tmp), "%.*f", decimals, d);

		memcpy(p, tmp, (size_t)k);
		return (size_t)k;
	}
	if (d == 0) {
		n = 0;
	} else {
		m = (uint64_t)ldexp(frexp(d, &e), 53);
		e -= 53;
		scaled = (unsigned __int128)m * pow10[decimals];
		if (e >= 0) {
			n = scaled << e;
		} else if (e <= -127) {
			n = 0;          /* far below the last digit's half */
		} else {
			n = scaled >> -e;
			rem = scaled - (n << -e);
			half = (unsigned __int128)1 << (-e - 1);
			if (rem > half || (rem == half && (n & 1)))
				n++;
		}
	}
	ip = (uint64_t)(n / pow10[decimals]);
	fp = (uint64_t)(n % pow10[decimals]);
	len = fmt_u64(p, ip);
	if (decimals) {
		p[len++] = '.';
		len += fmt_u64_pad(p + len, fp, decimals);
	}
	return len;
}

/* ---- addresses ---------------------------------------------------------- */

/* "d", "dd" or "ddd" of each byte value, and its length. */
static struct { char s[3]; uint8_t n; } dec8[256];

static void dec8_init(void)
{
	for (int v = 0; v < 256; v++)
		dec8[v].n = (uint8_t)fmt_u64(dec8[v].s, (uint64_t)v);
}

size_t fmt_ipv4(char *p, const uint8_t *a)
{
	size_t n;

	if (!dec8[0].n)
		dec8_init();
	/* Each byte's three characters copied whole, the next written over
	 * what is past its length. */
	memcpy(p, dec8[a[0]].s, 3);
	n = dec8[a[0]].n;
	p[n++] = '.';
	memcpy(p + n, dec8[a[1]].s, 3);
	n += dec8[a[1]].n;
	p[n++] = '.';
	memcpy(p + n, dec8[a[2]].s, 3);
	n += dec8[a[2]].n;
	p[n++] = '.';
	memcpy(p + n, dec8[a[3]].s, 3);
	return n + dec8[a[3]].n;
}

static size_t fmt_hex16(char *p, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;
	int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		p[n++] = hex[(v >> shift) & 0xf];
	return n;
}

/*
 * RFC 5952 text as glibc's inet_ntop prints it: the first longest run of
 * two or more zero groups is "::", hex in lower case without leading
 * zeros, and an address whose first 96 bits are zero (but for ::1-like
 * ones whose run covers the seventh group) or ::ffff:0:0/96 ends in
 * dotted IPv4.
 */
size_t fmt_ipv6(char *p, const uint8_t *a)
{
	unsigned w[8];
	int i, best = -1, best_len = 0, cur = -1, cur_len = 0;
	size_t n = 0;

	for (i = 0; i < 8; i++)
		w[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (i = 0; i < 8; i++) {
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			cur_len++;
		}
		if ((w[i] != 0 || i == 7) && cur >= 0) {
			if (best < 0 || cur_len > best_len)
				best = cur, best_len = cur_len;
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				p[n++] = ':';
			continue;
		}
		if (i)
			p[n++] = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return n + fmt_ipv4(p + n, a + 12);
		n += fmt_hex16(p + n, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		p[n++] = ':';
	return n;
}

size_t fmt_addr(char *p, uint8_t family, const uint32_t *addr)
{
	return family == 6 ? fmt_ipv6(p, (const uint8_t *)addr) : fmt_ipv4(p, (const uint8_t *)addr);
}

size_t fmt_json_body(char *p, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			p[n++] = '\\';
			p[n++] = (char)c;
		} else if (c < 0x20) {
			memcpy(p + n, "\\u00", 4);
			p[n + 4] = hex[c >> 4];
			p[n + 5] = hex[c & 0xf];
			n += 6;
		} else {
			p[n++] = (char)c;
		}
	}
	return n;
}

/* ---- time --------------------------------------------------------------- */

void tcache_init(struct ss_tcache *c)
{
	c->sec = INT64_MIN;
	c->local_sec = INT64_MIN;
	c->date_len = 0;
}

/* The civil date of a day count since 1970-01-01 (proleptic Gregorian):
 * days to eras of 400 years, then years, months. */
static void civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;

	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void tcache_set(struct ss_tcache *c, int64_t sec)
{
	int64_t days = sec / 86400, rem = sec % 86400, y;
	unsigned mo, d;
	char *p = c->date;
	size_t n;

	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil(days, &y, &mo, &d);
	/* "%04d" of the year: at least four digits. */
	if (y >= 0 && y <= 9999)
		n = fmt_u64_pad(p, (uint64_t)y, 4);
	else if (y >= 0)
		n = fmt_u64(p, (uint64_t)y);
	else
		n = (size_t)snprintf(p, 16, "%04d", (int)y);
	p[n++] = '-';
	n += fmt_u64_pad(p + n, mo, 2);
	p[n++] = '-';
	n += fmt_u64_pad(p + n, d, 2);
	p[n++] = 'T';
	n += fmt_u64_pad(p + n, (uint64_t)(rem / 3600), 2);
	p[n++] = ':';
	n += fmt_u64_pad(p + n, (uint64_t)(rem / 60 % 60), 2);
	p[n++] = ':';
	n += fmt_u64_pad(p + n, (uint64_t)(rem % 60), 2);
	c->date_len = n;
	c->sec = sec;
}

/* What the stdio writer printed for the fraction: "%06ld" of
 * ns % 10^9 / 1000, which is negative for a negative ns. */
static size_t fmt_usec(char *p, int64_t ns)
{
	int64_t us = ns % 1000000000 / 1000;

	if (us >= 0)
		return fmt_u64_pad(p, (uint64_t)us, 6);
	return (size_t)snprintf(p, 16, "%06ld", (long)us);
}

size_t fmt_utc(struct ss_tcache *c, char *p, int64_t ns)
{
	int64_t sec = ns / 1000000000;   /* toward zero, as the stdio writer */
	size_t n;

	if (sec != c->sec)
		tcache_set(c, sec);
	memcpy(p, c->date, c->date_len);
	n = c->date_len;
	p[n++] = '.';
	n += fmt_usec(p + n, ns);
	p[n++] = 'Z';
	return n;
}

size_t fmt_clock(struct ss_tcache *c, char *p, int64_t ns)
{
	int64_t sec = ns / 1000000000;
	size_t n = 8;

	/* Once per second of records: the zone's rules (DST) apply to each. */
	if (sec != c->local_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		if (!localtime_r(&t, &tm))
			gmtime_r(&t, &tm);
		fmt_u64_pad(c->local, (uint64_t)tm.tm_hour, 2);
		c->local[2] = ':';
		fmt_u64_pad(c->local + 3, (uint64_t)tm.tm_min, 2);
		c->local[5] = ':';
		fmt_u64_pad(c->local + 6, (uint64_t)tm.tm_sec, 2);
		c->local_sec = sec;
	}
	memcpy(p, c->local, n);
	p[n++] = '.';
	n += fmt_usec(p + n, ns);
	return n;
}
