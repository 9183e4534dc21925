/* Helpers the benchmark tools share: the clock, pinning, "median [min,
 * max]", a quiet libbpf, whole-number arguments. Header-only: each tool is one file. */
#ifndef SS_BENCH_STATS_H
#define SS_BENCH_STATS_H

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/libbpf.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static inline void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median of n values (n may be large: sorts a copy), and the extremes. */
static inline double median(const double *v, int n, double *lo, double *hi)
{
	double *s = malloc(n * sizeof(*s)), m;

	if (!s || n <= 0) {
		free(s);
		return 0;
	}
	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	if (lo)
		*lo = s[0];
	if (hi)
		*hi = s[n - 1];
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* "median [min, max]" with a printf format for each number. */
static inline const char *fmt_mm(char *buf, size_t n, const char *f, const double *v, int cnt)
{
	double lo = 0, hi = 0, m = median(v, cnt, &lo, &hi);
	char fm[64];

	snprintf(fm, sizeof(fm), "%s [%s, %s]", f, f, f);
	snprintf(buf, n, fm, m, lo, hi);
	return buf;
}

static inline int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

/* A whole number in [lo, hi], or -1. */
static inline long num(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

#endif
