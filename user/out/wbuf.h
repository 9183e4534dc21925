/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A buffered writer with its own number, address and time formatting, for
 * the per-record output paths: stdio would parse a format string and take
 * a lock per field, and line buffering would cost a write() per record.
 *
 * Everything here prints the same bytes printf("%u"), inet_ntop() and the
 * "%.Nf" conversions would (tests/test_wbuf.c compares them over many
 * values; tests/e2e/e2e_golden.sh compares whole outputs with the stdio
 * writers'). The buffer is flushed when full and when the caller says
 * (after each poll batch, or each record with --line-buffered).
 */
#ifndef SS_WBUF_H
#define SS_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SS_WBUF_SIZE (64 * 1024)
/* Room any one field needs: put_* never writes more than this without
 * asking for it (wb_room()). */
#define SS_WBUF_FIELD 128

struct ss_wbuf {
	int fd;
	int err;                 /* errno of the first failed write; then
				  * everything is dropped */
	size_t len;
	uint64_t written;        /* bytes handed to write() */
	char buf[SS_WBUF_SIZE];
};

void wb_init(struct ss_wbuf *w, int fd);
/* Write out what is buffered; 0, or -errno (also kept in w->err). */
int wb_flush(struct ss_wbuf *w);
/* printf into the buffer: for the rare lines (--explain), not per field. */
void wb_printf(struct ss_wbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Make room for n bytes (n <= SS_WBUF_SIZE). */
static inline void wb_room(struct ss_wbuf *w, size_t n)
{
	if (SS_WBUF_SIZE - w->len < n)
		wb_flush(w);
}

static inline char *wb_tail(struct ss_wbuf *w)
{
	return w->buf + w->len;
}

static inline void wb_mem(struct ss_wbuf *w, const void *s, size_t n)
{
	if (n > SS_WBUF_SIZE - w->len) {
		wb_flush(w);
		if (n > SS_WBUF_SIZE)
			n = SS_WBUF_SIZE; /* no field is that long */
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* A string literal: its length is known at compile time. */
#define wb_lit(w, s) wb_mem(w, s, sizeof(s) - 1)

static inline void wb_str(struct ss_wbuf *w, const char *s)
{
	wb_mem(w, s, strlen(s));
}

static inline void wb_char(struct ss_wbuf *w, char c)
{
	wb_room(w, 1);
	w->buf[w->len++] = c;
}

/* ---- into a char buffer: each returns the bytes written, no NUL -------- */

/* printf("%lu"): the numbers of a record are mostly below 10^5 (ports,
 * windows, TTLs, microseconds), written here without a loop. */
extern const char ss_digits2[201];
size_t fmt_u64_slow(char *p, uint64_t v);

static inline size_t fmt_u64(char *p, uint64_t v)
{
	if (v < 10) {
		p[0] = (char)('0' + v);
		return 1;
	}
	if (v < 100) {
		memcpy(p, ss_digits2 + 2 * v, 2);
		return 2;
	}
	if (v < 1000) {
		p[0] = (char)('0' + v / 100);
		memcpy(p + 1, ss_digits2 + 2 * (v % 100), 2);
		return 3;
	}
	if (v < 10000) {
		memcpy(p, ss_digits2 + 2 * (v / 100), 2);
		memcpy(p + 2, ss_digits2 + 2 * (v % 100), 2);
		return 4;
	}
	if (v < 100000) {
		p[0] = (char)('0' + v / 10000);
		memcpy(p + 1, ss_digits2 + 2 * (v / 100 % 100), 2);
		memcpy(p + 3, ss_digits2 + 2 * (v % 100), 2);
		return 5;
	}
	return fmt_u64_slow(p, v);
}
/* printf("%ld") */
size_t fmt_i64(char *p, int64_t v);
/* v with exactly `digits` digits, zero-padded (v < 10^digits) */
size_t fmt_u64_pad(char *p, uint64_t v, int digits);
/* printf("%.<decimals>f", d) for finite d >= 0 below 2^53, decimals 0..6:
 * rounded from d's exact binary value, ties to even, as glibc does. */
size_t fmt_fixed(char *p, double d, int decimals);
/* inet_ntop(AF_INET) / inet_ntop(AF_INET6) of network-order bytes */
size_t fmt_ipv4(char *p, const uint8_t *a);
size_t fmt_ipv6(char *p, const uint8_t *a);
#define SS_ADDR_MAX 46           /* INET6_ADDRSTRLEN */
/* The address of an event (family 4 or 6, network-order words). */
size_t fmt_addr(char *p, uint8_t family, const uint32_t *addr);
/* A JSON string body (no quotes) of s, escaped as the stdio writer did:
 * \" \\ and \u00XX for control bytes; n is the room in p (6 x strlen). */
size_t fmt_json_body(char *p, const char *s);

/*
 * Civil time of UTC seconds: "YYYY-MM-DDTHH:MM:SS" and "HH:MM:SS",
 * remembered for the last second asked (records come in time order, so
 * most share it).
 */
struct ss_tcache {
	int64_t sec;             /* INT64_MIN: none yet */
	char date[32];           /* "YYYY-MM-DDTHH:MM:SS" */
	size_t date_len;
	int64_t local_sec;       /* INT64_MIN: none yet */
	char local[9];           /* "HH:MM:SS", local time */
};

void tcache_init(struct ss_tcache *c);
/* RFC 3339 with microseconds, "2026-12-02T12:00:00.123456Z" */
size_t fmt_utc(struct ss_tcache *c, char *p, int64_t ns);
/* Local time of day with microseconds, "12:00:00.123456", as tcpdump
 * prints it (TZ applies) */
size_t fmt_clock(struct ss_tcache *c, char *p, int64_t ns);

static inline void wb_u64(struct ss_wbuf *w, uint64_t v)
{
	wb_room(w, 20);
	w->len += fmt_u64(wb_tail(w), v);
}

static inline void wb_i64(struct ss_wbuf *w, int64_t v)
{
	wb_room(w, 20);
	w->len += fmt_i64(wb_tail(w), v);
}

/* s, then spaces up to width (printf "%-*s"). */
static inline void wb_left(struct ss_wbuf *w, const char *s, size_t n, size_t width)
{
	wb_mem(w, s, n);
	if (n < width) {
		wb_room(w, width - n);
		memset(wb_tail(w), ' ', width - n);
		w->len += width - n;
	}
}

/* Spaces up to width, then s (printf "%*s"). */
static inline void wb_right(struct ss_wbuf *w, const char *s, size_t n, size_t width)
{
	if (n < width) {
		wb_room(w, width - n);
		memset(wb_tail(w), ' ', width - n);
		w->len += width - n;
	}
	wb_mem(w, s, n);
}

#endif /* SS_WBUF_H */
