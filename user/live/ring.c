// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The event rings' consumer (ring.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "live/ring.h"

static size_t page_round(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + page - 1) & ~(page - 1);
}

/* A mapping of an array map's values, or NULL with errno set. */
static void *map_values(int fd, size_t len, int writable)
{
	void *p = mmap(NULL, len, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

int ss_ring_open(struct ss_ring *r, const struct ss_ring_maps *m, char *err, size_t n)
{
	size_t slots = (size_t)m->ncpus << m->slots_log2;
	int e;

	memset(r, 0, sizeof(*r));
	r->m = *m;
	r->slots_len = page_round(slots * sizeof(struct ss_event_syn));
	r->head_len = r->tail_len = page_round((size_t)m->ncpus * sizeof(struct ss_ev_pos));
	r->slots = map_values(m->ring_fd, r->slots_len, 0);
	r->head = r->slots ? map_values(m->head_fd, r->head_len, 0) : NULL;
	r->tail = r->head ? map_values(m->tail_fd, r->tail_len, 1) : NULL;
	if (r->tail && m->raw_fd >= 0) {
		r->raw_len = page_round(slots * sizeof(struct ss_event_raw));
		r->raw = map_values(m->raw_fd, r->raw_len, 0);
	}
	if (!r->tail || (m->raw_fd >= 0 && !r->raw)) {
		e = -errno;
		snprintf(err, n, "cannot map the event rings: %s", strerror(errno));
		ss_ring_close(r);
		return e;
	}
	return 0;
}

/* Up to max events of one CPU's ring; how many. */
static long consume_cpu(struct ss_ring *r, int cpu, long max, ss_ring_fn fn, void *ctx)
{
	uint64_t head = __atomic_load_n(&r->head[cpu].pos, __ATOMIC_ACQUIRE);
	uint64_t tail = r->tail[cpu].pos, mask = (1ull << r->m.slots_log2) - 1;
	size_t base = (size_t)cpu << r->m.slots_log2, i;
	long k = 0;

	while (tail < head && k < max) {
		i = base + (tail & mask);
		/* The slots a few events on, while this one is worked on. */
		__builtin_prefetch(&r->slots[base + ((tail + 4) & mask)]);
		fn(ctx, &r->slots[i].e, r->raw ? &r->raw[i] : NULL);
		tail++;
		k++;
	}
	if (k)
		__atomic_store_n(&r->tail[cpu].pos, tail, __ATOMIC_RELEASE);
	return k;
}

long ss_ring_consume(struct ss_ring *r, ss_ring_fn fn, void *ctx)
{
	long total = 0, pass;
	int cpu;

	do {
		pass = 0;
		for (cpu = 0; cpu < r->m.ncpus; cpu++)
			pass += consume_cpu(r, cpu, SS_RING_CHUNK, fn, ctx);
		total += pass;
	} while (pass);
	r->read += (uint64_t)total;
	return total;
}

void ss_ring_close(struct ss_ring *r)
{
	if (r->slots)
		munmap((void *)r->slots, r->slots_len);
	if (r->raw)
		munmap((void *)r->raw, r->raw_len);
	if (r->head)
		munmap((void *)r->head, r->head_len);
	if (r->tail)
		munmap(r->tail, r->tail_len);
	memset(r, 0, sizeof(*r));
}
