// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Small formatting helpers every writer shares (fmt.h). */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "out/fmt.h"

uint64_t ss_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

const char *ss_ifname(uint32_t ifindex, char *buf)
{
	/* Names are looked up once per index; interfaces are few. */
	static struct { uint32_t idx; char name[IF_NAMESIZE]; } cache[32];
	static int ncache;
	int i;

	for (i = 0; i < ncache; i++)
		if (cache[i].idx == ifindex)
			return strcpy(buf, cache[i].name);
	if (!if_indextoname(ifindex, buf))
		snprintf(buf, IF_NAMESIZE, "if%u", ifindex);
	else if (ncache < (int)(sizeof(cache) / sizeof(cache[0]))) {
		cache[ncache].idx = ifindex;
		strcpy(cache[ncache++].name, buf);
	}
	return buf;
}

void ss_fmt_addr(uint8_t family, const uint32_t *addr, char *buf, size_t n)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, buf, n))
		snprintf(buf, n, "?");
}

void ss_fmt_utc(int64_t ns, char *buf, size_t n)
{
	time_t sec = ns / 1000000000;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(ns % 1000000000 / 1000));
}

void ss_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
