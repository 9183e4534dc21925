// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The namespace's TCP counters from procfs. Both files are header/value
 * line pairs ("TcpExt: A B\nTcpExt: 1 2\n"), one pair per section. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "host/tcpstat.h"

#define TS_NETSTAT_PATH "/proc/net/netstat"
#define TS_SNMP_PATH	"/proc/net/snmp"
/* netstat is about 4 KiB on 6.x; the buffers grow when a kernel adds
 * counters, up to a bound that no procfs file of these comes near. */
#define TS_BUF_INITIAL	(16u * 1024)
#define TS_BUF_MAX	(1u * 1024 * 1024)

struct ts_counter {
	const char *section; /* the line prefix without its colon */
	const char *name;
};

static const struct ts_counter ts_counters[SS_TS_MAX] = {
	[SS_TS_LISTEN_OVERFLOWS]	= { "TcpExt", "ListenOverflows" },
	[SS_TS_LISTEN_DROPS]		= { "TcpExt", "ListenDrops" },
	[SS_TS_SYNCOOKIES_SENT]		= { "TcpExt", "SyncookiesSent" },
	[SS_TS_SYNCOOKIES_RECV]		= { "TcpExt", "SyncookiesRecv" },
	[SS_TS_SYNCOOKIES_FAILED]	= { "TcpExt", "SyncookiesFailed" },
	[SS_TS_REQQ_FULL_DROP]		= { "TcpExt", "TCPReqQFullDrop" },
	[SS_TS_REQQ_FULL_DO_COOKIES]	= { "TcpExt", "TCPReqQFullDoCookies" },
	[SS_TS_SYN_RETRANS]		= { "TcpExt", "TCPSynRetrans" },
	[SS_TS_EMBRYONIC_RSTS]		= { "TcpExt", "EmbryonicRsts" },
	[SS_TS_ACTIVE_OPENS]		= { "Tcp", "ActiveOpens" },
	[SS_TS_PASSIVE_OPENS]		= { "Tcp", "PassiveOpens" },
	[SS_TS_ATTEMPT_FAILS]		= { "Tcp", "AttemptFails" },
	[SS_TS_ESTAB_RESETS]		= { "Tcp", "EstabResets" },
	[SS_TS_RETRANS_SEGS]		= { "Tcp", "RetransSegs" },
	[SS_TS_IN_ERRS]			= { "Tcp", "InErrs" },
	[SS_TS_OUT_RSTS]		= { "Tcp", "OutRsts" },
};
_Static_assert(SS_TS_MAX <= 32, "struct ss_tcpstat.have has a bit per counter");

const char *ss_tcpstat_name(int id)
{
	if (id < 0 || id >= SS_TS_MAX)
		return NULL;
	return ts_counters[id].name;
}

static int ts_lookup(const char *section, size_t section_len, const char *name, size_t name_len)
{
	for (int i = 0; i < SS_TS_MAX; i++) {
		const struct ts_counter *c = &ts_counters[i];

		if (strlen(c->section) == section_len && !memcmp(c->section, section, section_len) &&
		    strlen(c->name) == name_len && !memcmp(c->name, name, name_len))
			return i;
	}
	return -1;
}

/* The next space-separated token in [*p, end); 0 when none is left. */
static size_t ts_token(const char **p, const char *end, const char **tok)
{
	const char *s = *p, *e;

	while (s < end && *s == ' ')
		s++;
	for (e = s; e < end && *e != ' '; e++)
		;
	*tok = s;
	*p = e;
	return (size_t)(e - s);
}

/* A decimal integer filling exactly [p, p + n). Negative values exist
 * (Tcp: MaxConn is -1): *neg tells, *v is the magnitude. */
static int ts_number(const char *p, size_t n, uint64_t *v, int *neg)
{
	uint64_t x = 0;
	size_t i = 0;

	*neg = n > 0 && p[0] == '-';
	i = (size_t)*neg;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		uint64_t d = (uint64_t)(p[i] - '0');

		if (p[i] < '0' || p[i] > '9' || x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

/* One section's pair: names after the prefix of hdr, values after the
 * prefix of val. Every value is checked, collected or not, so a broken
 * line is an error whichever counter it breaks. */
static int ts_parse_pair(const char *section, size_t section_len, const char *hdr, const char *hdr_end,
			 const char *val, const char *val_end, struct ss_tcpstat *s)
{
	for (;;) {
		const char *name, *num;
		size_t name_len = ts_token(&hdr, hdr_end, &name);
		size_t num_len = ts_token(&val, val_end, &num);
		uint64_t v;
		int neg, id;

		if (!name_len && !num_len)
			return 0;
		if (!name_len || !num_len)
			return -1; /* count mismatch */
		if (ts_number(num, num_len, &v, &neg))
			return -1;
		id = ts_lookup(section, section_len, name, name_len);
		if (id < 0)
			continue;
		if (neg)
			return -1; /* a counter never goes below 0 */
		s->v[id] = v;
		s->have |= 1u << id;
	}
}

/* A whole file: header/value pairs, each line "Section: ...". Only the
 * section `want` is collected; it must be there. */
static int ts_parse_file(const char *text, const char *want, struct ss_tcpstat *s)
{
	size_t len = strlen(text), want_len = strlen(want);
	const char *hdr = text;
	int found = 0;

	/* The kernel ends every line: a text that does not was cut short. */
	if (len == 0 || text[len - 1] != '\n')
		return -1;
	while (*hdr) {
		const char *hdr_end = strchr(hdr, '\n'), *val = hdr_end + 1, *val_end, *colon;
		size_t prefix_len;

		if (!*val)
			return -1; /* a header whose values were cut off */
		val_end = strchr(val, '\n');
		colon = memchr(hdr, ':', (size_t)(hdr_end - hdr));
		if (!colon || colon == hdr)
			return -1;
		prefix_len = (size_t)(colon - hdr) + 1;
		if ((size_t)(val_end - val) < prefix_len || memcmp(hdr, val, prefix_len))
			return -1; /* the value line is another section's */
		if (prefix_len - 1 == want_len && !memcmp(hdr, want, want_len)) {
			if (ts_parse_pair(hdr, want_len, hdr + prefix_len, hdr_end, val + prefix_len,
					  val_end, s))
				return -1;
			found = 1;
		}
		hdr = val_end + 1;
	}
	return found ? 0 : -1;
}

int ss_tcpstat_parse(const char *netstat, const char *snmp, struct ss_tcpstat *s)
{
	memset(s, 0, sizeof(*s));
	if (netstat && ts_parse_file(netstat, "TcpExt", s))
		return -EINVAL;
	if (snmp && ts_parse_file(snmp, "Tcp", s))
		return -EINVAL;
	return 0;
}

struct ts_file {
	int fd;
	char *buf;
	size_t cap;
};

struct ss_tcpstat_reader {
	struct ts_file netstat, snmp;
};

/* The whole file from offset 0 into f->buf, NUL-terminated. procfs
 * regenerates the text on a read from 0, so one open file serves every
 * interval; later reads continue the same generation. */
static int ts_read_file(struct ts_file *f)
{
	size_t len = 0;

	for (;;) {
		ssize_t got;

		if (len + 1 >= f->cap) {
			size_t cap = f->cap * 2;
			char *buf;

			if (cap > TS_BUF_MAX)
				return -EFBIG;
			buf = realloc(f->buf, cap);
			if (!buf)
				return -ENOMEM;
			f->buf = buf;
			f->cap = cap;
		}
		got = pread(f->fd, f->buf + len, f->cap - len - 1, (off_t)len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return -errno;
		if (got == 0)
			break;
		len += (size_t)got;
	}
	f->buf[len] = '\0';
	return 0;
}

static int ts_open_file(struct ts_file *f, const char *path, char *err, size_t n)
{
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		snprintf(err, n, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	f->buf = malloc(TS_BUF_INITIAL);
	if (!f->buf) {
		snprintf(err, n, "out of memory");
		return -1;
	}
	f->cap = TS_BUF_INITIAL;
	return 0;
}

struct ss_tcpstat_reader *ss_tcpstat_open(char *err, size_t n)
{
	struct ss_tcpstat_reader *r = calloc(1, sizeof(*r));

	if (!r) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	r->netstat.fd = r->snmp.fd = -1;
	if (ts_open_file(&r->netstat, TS_NETSTAT_PATH, err, n) ||
	    ts_open_file(&r->snmp, TS_SNMP_PATH, err, n))
		goto fail;
	return r;
fail:
	ss_tcpstat_close(r);
	return NULL;
}

int ss_tcpstat_read(struct ss_tcpstat_reader *r, struct ss_tcpstat *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = ts_read_file(&r->netstat);
	if (!err)
		err = ts_read_file(&r->snmp);
	if (!err)
		err = ss_tcpstat_parse(r->netstat.buf, r->snmp.buf, s);
	return err;
}

static void ts_close_file(struct ts_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->buf);
}

void ss_tcpstat_close(struct ss_tcpstat_reader *r)
{
	if (!r)
		return;
	ts_close_file(&r->netstat);
	ts_close_file(&r->snmp);
	free(r);
}
