/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --metrics: /metrics in the Prometheus text exposition format (0.0.4),
 * served by libmicrohttpd on a thread of its own. The render callback runs
 * on that thread, once per scrape; it must only read what the tracing
 * thread published, never make the tracing thread wait.
 */
#ifndef SS_METRICS_H
#define SS_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* ---- the exposition writer ------------------------------------------------ */

/* The exposition text being written for one scrape: a buffer that grows up to a cap. */
struct ss_prom;
/* One metric family's header: # HELP and # TYPE (counter, gauge, histogram). */
void ss_prom_family(struct ss_prom *p, const char *name, const char *type, const char *help);
/* One sample: name{labels} value. labels: preformatted 'a="x",b="y"' (values already escaped) or NULL/"". */
void ss_prom_u64(struct ss_prom *p, const char *name, const char *labels, uint64_t v);
void ss_prom_double(struct ss_prom *p, const char *name, const char *labels, double v);
/* A histogram's samples: name_bucket{labels,le="..."} (cumulative, le="+Inf" last), name_sum, name_count.
 * counts[i]: observations in (bounds[i-1], bounds[i]] (not cumulative); inf: above the last bound. */
void ss_prom_histogram(struct ss_prom *p, const char *name, const char *labels, const double *bounds,
		       const uint64_t *counts, int nbounds, uint64_t inf, double sum);
/* Escape a label value (backslash, double quote, newline) into dst; returns its length.
 * Bytes that are not UTF-8 become U+FFFD (Prometheus refuses such a value).
 * Like snprintf: a length >= n means dst was cut, never inside an escape. */
size_t ss_prom_escape(char *dst, size_t n, const char *value);

/*
 * A bad name, type or label set, or text past the cap, fails the scrape
 * (500 and one line on stderr), never the process: after the first error
 * every call is a no-op and ss_prom_error() says what went wrong.
 */
#define SS_PROM_CAP_DEFAULT (16u << 20)
/* For tests and tools: a writer of its own. NULL when out of memory. */
struct ss_prom *ss_prom_new(size_t cap);
void ss_prom_free(struct ss_prom *p);
/* The text written so far (NUL-terminated), or NULL after an error. */
const char *ss_prom_text(const struct ss_prom *p, size_t *len);
/* The first error, or NULL. */
const char *ss_prom_error(const struct ss_prom *p);
/* Shortest text that reads back as v ("1e+06", "0.25", "+Inf", "NaN"), as Go's
 * strconv.FormatFloat(v, 'g', -1, 64) writes it. Returns its length; n >= 32 always suffices. */
int ss_prom_format_double(char *dst, size_t n, double v);

/* ---- the server ------------------------------------------------------------ */

typedef void (*ss_metrics_render_fn)(void *arg, struct ss_prom *out);
struct ss_metrics;
/* Parse spec ("PORT", ":PORT", "ADDR:PORT", "[IPV6]:PORT"; port 0 = any free port), bind, listen, start the
 * server thread. NULL with one line in err ("cannot listen on 127.0.0.1:9464: Address already in use",
 * "bad metrics address 'x' (PORT, ADDR:PORT or [ADDR6]:PORT)").
 * A port alone (or ":PORT") binds 127.0.0.1; all interfaces: "0.0.0.0:PORT" or "[::]:PORT".
 * ADDR is numeric ("localhost" means 127.0.0.1). */
struct ss_metrics *ss_metrics_start(const char *spec, ss_metrics_render_fn render, void *arg, char *err, size_t n);
/* ss_metrics_start in two steps: bind and listen (errors as above; nothing
 * served yet, connections wait in the backlog), then start the server
 * thread. A thread keeps the credentials it was created with (capset is
 * per thread): serve once the capabilities are dropped. */
struct ss_metrics *ss_metrics_bind(const char *spec, ss_metrics_render_fn render, void *arg, char *err, size_t n);
int ss_metrics_serve(struct ss_metrics *m, char *err, size_t n);
/* 0 when spec is an address ss_metrics_start can parse; else -1 with its one line in err
 * (for the option check: a bad address is a usage error, exit 2, caught before anything starts). */
int ss_metrics_check_spec(const char *spec, char *err, size_t n);
/* "127.0.0.1:9464" as bound (the real port when 0 was asked). */
const char *ss_metrics_address(const struct ss_metrics *m);
/* Stop serving and join the thread. Safe on NULL. */
void ss_metrics_stop(struct ss_metrics *m);
/* Scrapes answered so far (for tests and the exit summary). */
uint64_t ss_metrics_scrapes(const struct ss_metrics *m);

#endif /* SS_METRICS_H */
