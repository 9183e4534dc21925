// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The ring buffer consumer (see ring.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "live/ring.h"

#define RB_BUSY (1u << 31)
#define RB_DISCARD (1u << 30)
#define RB_HDR 8
#define SS_RING_AHEAD 1024

int ss_ring_open(struct ss_ring *r, int map_fd, char *err, size_t n)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	struct epoll_event ev = { .events = EPOLLIN };
	int e;

	memset(r, 0, sizeof(*r));
	r->map_fd = map_fd;
	r->epfd = -1;
	r->cons_map = r->prod_map = MAP_FAILED;
	r->page = (size_t)sysconf(_SC_PAGESIZE);
	if (bpf_obj_get_info_by_fd(map_fd, &info, &len)) {
		e = -errno;
		snprintf(err, n, "ring buffer: %s", strerror(errno));
		return e;
	}
	r->data_size = info.max_entries;
	r->mask = info.max_entries - 1;
	r->cons_map = mmap(NULL, r->page, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->cons_map != MAP_FAILED)
		r->prod_map = mmap(NULL, r->page + 2 * r->data_size, PROT_READ, MAP_SHARED, map_fd,
				   (off_t)r->page);
	if (r->cons_map == MAP_FAILED || r->prod_map == MAP_FAILED) {
		e = -errno;
		snprintf(err, n, "cannot map the ring buffer: %s", strerror(errno));
		ss_ring_close(r);
		return e;
	}
	r->consumer_pos = r->cons_map;
	r->producer_pos = r->prod_map;
	r->data = (const uint8_t *)r->prod_map + r->page;
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->epfd < 0 || epoll_ctl(r->epfd, EPOLL_CTL_ADD, map_fd, &ev)) {
		e = -errno;
		snprintf(err, n, "ring buffer: epoll: %s", strerror(errno));
		ss_ring_close(r);
		return e;
	}
	return 0;
}

int ss_ring_wait(struct ss_ring *r, int timeout_ms)
{
	struct epoll_event ev;

	if (epoll_wait(r->epfd, &ev, 1, timeout_ms) < 0)
		return -errno;
	return 0;
}

long ss_ring_consume(struct ss_ring *r, ss_ring_fn fn, void *ctx)
{
	uint64_t cons = __atomic_load_n(r->consumer_pos, __ATOMIC_RELAXED), prod, published = cons;
	long count = 0;
	int again = 1, ret;

	while (again) {
		again = 0;
		prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);
		while (cons < prod) {
			const uint32_t *hdr = (const uint32_t *)(r->data + (cons & r->mask));
			uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);

			if (len & RB_BUSY)
				break;           /* reserved, not yet submitted */
			/* The records were written on another CPU: ask for what
			 * comes a few records on while this one is worked on (the
			 * CPU's own prefetch stops at each 4 KiB page). */
			__builtin_prefetch(r->data + ((cons + SS_RING_AHEAD) & r->mask));
			__builtin_prefetch(r->data + ((cons + SS_RING_AHEAD + 64) & r->mask));
			again = 1;
			cons += (RB_HDR + (len & ~(RB_BUSY | RB_DISCARD)) + 7) & ~7ull;
			if (!(len & RB_DISCARD)) {
				count++;
				ret = fn(ctx, (const uint8_t *)hdr + RB_HDR, len & ~(RB_BUSY | RB_DISCARD));
				if (ret < 0) {
					__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
					return ret;
				}
			}
			if (cons - published >= SS_RING_PUBLISH) {
				__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
				published = cons;
			}
		}
	}
	if (cons != published)
		__atomic_store_n(r->consumer_pos, cons, __ATOMIC_RELEASE);
	return count;
}

void ss_ring_close(struct ss_ring *r)
{
	if (r->prod_map && r->prod_map != MAP_FAILED)
		munmap(r->prod_map, r->page + 2 * r->data_size);
	if (r->cons_map && r->cons_map != MAP_FAILED)
		munmap(r->cons_map, r->page);
	if (r->epfd >= 0)
		close(r->epfd);
	r->prod_map = r->cons_map = MAP_FAILED;
	r->epfd = -1;
}
