// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Command-line parsing: strict numbers, one clear message per mistake. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "cli/options.h"

enum {
	OPT_MODE = 256, OPT_PACKETS, OPT_EXPLAIN, OPT_DURATION, OPT_HOST,
	OPT_TIMEOUT, OPT_MAX_FLOWS, OPT_EVENT_RATE, OPT_RINGBUF, OPT_TOP,
	OPT_INTERVAL, OPT_ALERT_SYN, OPT_ALERT_INC, OPT_TOP_N, OPT_P0F_DB,
	OPT_METRICS, OPT_CGROUP,
};

static const struct option long_opts[] = {
	{ "interface", required_argument, NULL, 'i' },
	{ "read", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "snaplen", required_argument, NULL, 's' },
	{ "line-buffered", no_argument, NULL, 'l' },
	{ "output", required_argument, NULL, 'o' },
	{ "count", required_argument, NULL, 'c' },
	{ "port", required_argument, NULL, 'p' },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "packets", no_argument, NULL, OPT_PACKETS },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "event-rate", required_argument, NULL, OPT_EVENT_RATE },
	{ "ringbuf-kib", required_argument, NULL, OPT_RINGBUF },
	{ "top", no_argument, NULL, OPT_TOP },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "alert-syn-rate", required_argument, NULL, OPT_ALERT_SYN },
	{ "alert-incomplete", required_argument, NULL, OPT_ALERT_INC },
	{ "top-n", required_argument, NULL, OPT_TOP_N },
	{ "p0f-db", required_argument, NULL, OPT_P0F_DB },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void ss_options_usage(FILE *f)
{
	fputs(
"usage: synscope [top] (-i IFACE [-i IFACE ...] | -i any | -r FILE) [options]\n"
"\n"
"Trace TCP handshakes: who connects, does the handshake complete, is it a SYN flood.\n"
"\n"
"  -i, --interface IFACE   trace this interface (repeatable); 'any': every interface\n"
"                          of the network namespace, and each new one as it appears\n"
"  -r, --read FILE         read a pcap/pcapng capture instead ('-' = stdin)\n"
"  -w, --write FILE        also write the handshake packets to FILE (pcap; '-' = stdout,\n"
"                          and the records go to stderr)\n"
"  -s, --snaplen N         bytes of each packet -w keeps (default 256, at most 256)\n"
"  top, --top              flood view: rates, half-open, top targets and sources\n"
"  -o, --output text|json  output format (default text)\n"
"  -l, --line-buffered     write each line at once (default: each batch, 50 ms at most)\n"
"      --packets           one line per handshake packet (SYN, SYN-ACK, ACK, RST)\n"
"      --explain           explain each flag and step (implies --packets)\n"
"  -c, --count N           stop after N handshakes\n"
"      --duration SEC      stop after SEC seconds\n"
"  -p, --port PORT         only segments from or to PORT (repeatable, up to 16)\n"
"      --host ADDR[/LEN]   only segments from or to this IPv4/IPv6 prefix (repeatable);\n"
"                          with -p, a segment must match both (port P and host H)\n"
"      --mode auto|xdp|tc  how to attach (default auto)\n"
"      --timeout SEC       report a handshake as timed out after SEC (default 10)\n"
"      --max-flows N       handshakes tracked at once (default 1000000)\n"
"      --event-rate N      at most N SYN and RST events per second per CPU (default 0:\n"
"                          no limit; they are shed only when the consumer falls behind)\n"
"      --interval SEC      top: refresh period (default 1)\n"
"      --alert-syn-rate N  top: alert while SYN/s is above N\n"
"      --alert-incomplete PCT  top: alert while incomplete handshakes are above PCT %\n"
"      --top-n N           top: rows of targets and sources (default 5)\n"
"      --ringbuf-kib N     each CPU's event ring in KiB, a power of two (default 1024)\n"
"      --p0f-db FILE       p0f fingerprint database for the os labels (default\n"
"                          /etc/p0f/p0f.fp when readable; \"none\": no labels)\n"
"      --metrics [ADDR:]PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
"                          (ADDR defaults to 127.0.0.1; [::]:PORT for every address)\n"
"      --cgroup PATH       only handshakes a local socket in this cgroup v2 subtree\n"
"                          takes part in (PATH under the cgroup2 mount, or from its root)\n"
"  -v, --verbose           show libbpf messages\n"
"  -V, --version           print the version\n"
"  -h, --help              this help\n", f);
}

int ss_fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Whole-string unsigned integer in [min, max]. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* Digits only: strtoull would skip blanks and negate " -1". */
	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/* Whole-string non-negative finite number in [min, max]. */
static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int ss_prefix_parse(const char *s, struct ss_prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash;
	uint64_t len;
	int bits, i;

	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	memset(p, 0, sizeof(*p));
	slash = strchr(s, '/');
	if (slash)
		buf[slash - s] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = 4;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = 6;
		bits = 128;
	} else {
		return -1;
	}
	if (slash) {
		if (parse_u64(slash + 1, 0, bits, &len))
			return -1;
	} else {
		len = bits;
	}
	p->len = len;
	/* Clear host bits so equal prefixes compare equal. */
	for (i = 0; i < 4; i++) {
		int lo = i * 32, keep = (int)p->len - lo;
		uint32_t mask;

		if (keep >= 32)
			continue;
		mask = keep <= 0 ? 0 : htonl(~0u << (32 - keep));
		p->addr[i] &= mask;
	}
	return 0;
}

int ss_prefix_match(const struct ss_prefix *p, uint8_t family, const uint32_t *addr)
{
	int i;

	if (p->family != family)
		return 0;
	for (i = 0; i < 4; i++) {
		int keep = (int)p->len - i * 32;
		uint32_t mask;

		if (keep <= 0)
			break;
		mask = keep >= 32 ? ~0u : htonl(~0u << (32 - keep));
		if ((addr[i] & mask) != p->addr[i])
			return 0;
	}
	return 1;
}

static void defaults(struct ss_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ns = 10ull * 1000000000ull;
	o->max_flows = 1000000;
	o->event_rate = 0;
	o->ringbuf_kib = 1024;
	o->interval = 1.0;
	o->alert_incomplete = -1;
	o->top_n = 5;
	o->snaplen = SS_SNAP_MAX;
}

int ss_options_parse(int argc, char **argv, struct ss_options *o, char *err, size_t errlen)
{
	const char *live_only = NULL; /* the last option only a live trace has */
	uint64_t v;
	double d;
	int c, i;

	defaults(o);
	optind = 1;
	opterr = 0;
	/* "synscope top ..." is the flood view; the rest are the same options. */
	if (argc > 1 && strcmp(argv[1], "top") == 0) {
		o->top = 1;
		argv++;
		argc--;
	}
	while ((c = getopt_long(argc, argv, ":i:r:w:s:lo:c:p:vVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (strcmp(optarg, "any") == 0) {
				if (o->any_iface)
					return ss_fail(err, errlen, "-i any given twice");
				o->any_iface = 1;
				break;
			}
			if (o->nifaces == SS_MAX_IFACES)
				return ss_fail(err, errlen, "too many interfaces (at most %d)", SS_MAX_IFACES);
			if (!*optarg || strlen(optarg) >= 16)
				return ss_fail(err, errlen, "bad interface name '%s'", optarg);
			for (i = 0; i < o->nifaces; i++)
				if (strcmp(o->ifaces[i], optarg) == 0)
					return ss_fail(err, errlen, "-i %s given twice", optarg);
			o->ifaces[o->nifaces++] = optarg;
			break;
		case 'r':
			o->read_file = optarg;
			break;
		case 'w':
			if (!*optarg)
				return ss_fail(err, errlen, "bad file name '' for -w");
			o->write_file = optarg;
			break;
		case 's':
			if (parse_u64(optarg, 1, SS_SNAP_MAX, &v))
				return ss_fail(err, errlen, "bad snaplen '%s' (1-%d)", optarg, SS_SNAP_MAX);
			o->snaplen = v;
			break;
		case 'l':
			o->line_buffered = 1;
			break;
		case 'o':
			if (strcmp(optarg, "json") == 0)
				o->json = 1;
			else if (strcmp(optarg, "text") == 0)
				o->json = 0;
			else
				return ss_fail(err, errlen, "bad output format '%s' (text or json)", optarg);
			break;
		case 'c':
			if (parse_u64(optarg, 1, UINT64_MAX, &v))
				return ss_fail(err, errlen, "bad count '%s' (a whole number >= 1)", optarg);
			o->count = v;
			break;
		case 'p':
			if (o->nports == SS_MAX_PORTS)
				return ss_fail(err, errlen, "too many ports (at most %d)", SS_MAX_PORTS);
			if (parse_u64(optarg, 1, 65535, &v))
				return ss_fail(err, errlen, "bad port '%s' (1-65535)", optarg);
			o->ports[o->nports++] = v;
			break;
		case OPT_HOST:
			if (o->nhosts == SS_MAX_HOSTS)
				return ss_fail(err, errlen, "too many hosts (at most %d)", SS_MAX_HOSTS);
			if (ss_prefix_parse(optarg, &o->hosts[o->nhosts]))
				return ss_fail(err, errlen, "bad host '%s' (ADDR or ADDR/LEN, IPv4 or IPv6)", optarg);
			o->nhosts++;
			break;
		case OPT_MODE:
			live_only = "--mode";
			if (strcmp(optarg, "auto") == 0)
				o->mode = SS_MODE_AUTO;
			else if (strcmp(optarg, "xdp") == 0)
				o->mode = SS_MODE_XDP;
			else if (strcmp(optarg, "tc") == 0)
				o->mode = SS_MODE_TC;
			else
				return ss_fail(err, errlen, "bad mode '%s' (auto, xdp or tc)", optarg);
			break;
		case OPT_PACKETS:
			o->packets = 1;
			break;
		case OPT_EXPLAIN:
			o->explain = o->packets = 1;
			break;
		case OPT_DURATION:
			live_only = "--duration";
			if (parse_double(optarg, 0.001, 1e9, &d))
				return ss_fail(err, errlen, "bad duration '%s' (seconds > 0)", optarg);
			o->duration = d;
			break;
		case OPT_TIMEOUT:
			if (parse_double(optarg, 0.001, 1e6, &d))
				return ss_fail(err, errlen, "bad timeout '%s' (seconds > 0)", optarg);
			o->timeout_ns = (uint64_t)(d * 1e9);
			break;
		case OPT_MAX_FLOWS:
			if (parse_u64(optarg, 1, 100000000, &v))
				return ss_fail(err, errlen, "bad max-flows '%s' (1-100000000)", optarg);
			o->max_flows = v;
			break;
		case OPT_EVENT_RATE:
			live_only = "--event-rate";
			if (parse_u64(optarg, 0, 100000000, &v))
				return ss_fail(err, errlen, "bad event-rate '%s' (0-100000000)", optarg);
			o->event_rate = v;
			break;
		case OPT_RINGBUF:
			live_only = "--ringbuf-kib";
			/* 64 to 2^20 slots of 128 bytes per CPU. */
			if (parse_u64(optarg, 8, 1 << 17, &v) || (v & (v - 1)))
				return ss_fail(err, errlen, "bad ringbuf-kib '%s' (a power of two, 8-131072)", optarg);
			o->ringbuf_kib = v;
			break;
		case OPT_TOP:
			o->top = 1;
			break;
		case OPT_INTERVAL:
			if (parse_double(optarg, 0.01, 3600, &d))
				return ss_fail(err, errlen, "bad interval '%s' (seconds, 0.01-3600)", optarg);
			o->interval = d;
			break;
		case OPT_ALERT_SYN:
			if (parse_u64(optarg, 1, UINT64_MAX, &v))
				return ss_fail(err, errlen, "bad alert-syn-rate '%s' (SYN/s >= 1)", optarg);
			o->alert_syn_rate = v;
			break;
		case OPT_ALERT_INC:
			if (parse_double(optarg, 0, 100, &d))
				return ss_fail(err, errlen, "bad alert-incomplete '%s' (percent 0-100)", optarg);
			o->alert_incomplete = d;
			break;
		case OPT_P0F_DB:
			if (!*optarg)
				return ss_fail(err, errlen, "bad p0f database '' (a file, or none)");
			o->p0f_db = optarg;
			break;
		case OPT_TOP_N:
			if (parse_u64(optarg, 1, 100, &v))
				return ss_fail(err, errlen, "bad top-n '%s' (1-100)", optarg);
			o->top_n = v;
			break;
		case OPT_METRICS:
			live_only = "--metrics";
			if (!*optarg)
				return ss_fail(err, errlen, "bad metrics address '' (PORT, ADDR:PORT or [ADDR6]:PORT)");
			o->metrics_addr = optarg;
			break;
		case OPT_CGROUP:
			live_only = "--cgroup";
			if (!*optarg)
				return ss_fail(err, errlen, "bad cgroup '' (a cgroup v2 directory)");
			o->cgroup_path = optarg;
			break;
		case 'V':
			printf("synscope %s\n", SS_VERSION);
			return 1;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			ss_options_usage(stdout);
			return 1;
		case ':':
			return ss_fail(err, errlen, "option '%s' needs a value", argv[optind - 1]);
		default:
			return ss_fail(err, errlen, "unknown option '%s' (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ss_fail(err, errlen, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!o->read_file && o->nifaces == 0 && !o->any_iface)
		return ss_fail(err, errlen, "no interface given: use -i IFACE (or -r FILE)");
	if (o->read_file && (o->nifaces || o->any_iface))
		return ss_fail(err, errlen, "-i and -r cannot be combined");
	if (o->any_iface && o->nifaces)
		return ss_fail(err, errlen, "-i any already means every interface: drop the other -i");
	/* One rule: what only a live trace has is a wrong option with -r. */
	if (o->read_file && live_only)
		return ss_fail(err, errlen, "%s applies to live tracing, not to -r", live_only);
	if (o->top && (o->packets || o->count))
		return ss_fail(err, errlen, "top cannot be combined with --packets, --explain or -c");
	if (o->top && o->write_file)
		return ss_fail(err, errlen, "top cannot be combined with -w");
	if (o->write_file && o->read_file && strcmp(o->write_file, o->read_file) == 0 &&
	    strcmp(o->write_file, "-") != 0)
		return ss_fail(err, errlen, "-w would overwrite the file -r reads");
	return 0;
}
