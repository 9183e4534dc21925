// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The kernel's verdicts: load, attach, read (verdict.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "live/privs.h"
#include "live/verdict.h"
#include "verdict.skel.h"

struct ss_verdicts {
	struct verdict_bpf *skel;
	struct ring_buffer *rb;
	ss_verdict_fn fn;
	void *ctx;
	long n;                  /* verdicts of the consume in progress */
	int ncpus;
};

static int on_verdict(void *arg, void *data, size_t size)
{
	struct ss_verdicts *v = arg;

	if (size >= sizeof(struct ss_verdict)) {
		v->fn(v->ctx, data);
		v->n++;
	}
	return 0;
}

struct ss_verdicts *ss_verdicts_open(int verbose, char *err, size_t n)
{
	struct ss_verdicts *v;
	struct stat st;
	int e;

	(void)verbose;
	if (!ss_privs_perfmon()) {
		snprintf(err, n, "the kernel's drop and RST reasons need CAP_PERFMON");
		return NULL;
	}
	if (stat("/proc/self/ns/net", &st)) {
		snprintf(err, n, "cannot tell the network namespace: %s", strerror(errno));
		return NULL;
	}
	v = calloc(1, sizeof(*v));
	if (!v) {
		snprintf(err, n, "out of memory");
		return NULL;
	}
	v->ncpus = libbpf_num_possible_cpus();
	v->skel = verdict_bpf__open();
	if (!v->skel) {
		snprintf(err, n, "cannot open the verdict programs: %s", strerror(errno));
		goto fail;
	}
	v->skel->rodata->cfg_netns_ino = (__u32)st.st_ino;
	if (verdict_bpf__load(v->skel)) {
		e = errno;
		snprintf(err, n, "cannot load the verdict programs: %s", strerror(e));
		goto fail;
	}
	if (verdict_bpf__attach(v->skel)) {
		e = errno;
		snprintf(err, n, "cannot attach to skb:kfree_skb and tcp:tcp_send_reset: %s",
			 strerror(e));
		goto fail;
	}
	v->rb = ring_buffer__new(bpf_map__fd(v->skel->maps.verdicts), on_verdict, v, NULL);
	if (!v->rb) {
		snprintf(err, n, "verdicts: %s", strerror(errno));
		goto fail;
	}
	return v;
fail:
	ss_verdicts_close(v);
	return NULL;
}

int ss_verdicts_acks_fd(const struct ss_verdicts *v)
{
	return bpf_map__fd(v->skel->maps.ss_acks_seen);
}

long ss_verdicts_consume(struct ss_verdicts *v, ss_verdict_fn fn, void *ctx)
{
	v->fn = fn;
	v->ctx = ctx;
	v->n = 0;
	ring_buffer__consume(v->rb);
	return v->n;
}

int ss_verdicts_counters(const struct ss_verdicts *v, uint64_t out[SS_VD_C_MAX])
{
	uint64_t *pc = calloc((size_t)v->ncpus, sizeof(uint64_t));
	int fd = bpf_map__fd(v->skel->maps.vd_counters), cpu, ret = 0;
	__u32 i;

	memset(out, 0, sizeof(uint64_t) * SS_VD_C_MAX);
	if (!pc)
		return -ENOMEM;
	for (i = 0; i < SS_VD_C_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, pc)) {
			ret = -errno;
			break;
		}
		for (cpu = 0; cpu < v->ncpus; cpu++)
			out[i] += pc[cpu];
	}
	free(pc);
	return ret;
}

int ss_verdicts_prog_fd(const struct ss_verdicts *v, enum ss_vd_prog which)
{
	const struct bpf_program *p;
	int fd;

	if (!v || !v->skel)
		return -1;
	switch (which) {
	case SS_VD_PROG_KFREE_SKB:
		p = v->skel->progs.ss_vd_kfree_skb;
		break;
	case SS_VD_PROG_TCP_SEND_RESET:
		p = v->skel->progs.ss_vd_tcp_send_reset;
		break;
	default:
		return -1;
	}
	fd = bpf_program__fd(p);
	return fd < 0 ? -1 : fd;
}

void ss_verdicts_detach(struct ss_verdicts *v)
{
	if (v && v->skel)
		verdict_bpf__detach(v->skel);
}

void ss_verdicts_close(struct ss_verdicts *v)
{
	if (!v)
		return;
	ring_buffer__free(v->rb);
	verdict_bpf__destroy(v->skel);
	free(v);
}
