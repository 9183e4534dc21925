/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The ring buffer consumer: the BPF ring buffer mapped and read here, not
 * through libbpf's ring_buffer__consume(), which publishes the consumer
 * position after every record. Each publish is a store to a cache line
 * that the kernel's producer reads for every event it writes (to see how
 * much room is left), so per record it bounces between the CPUs. Here it
 * is published once per SS_RING_PUBLISH bytes and at the end of a batch.
 *
 * The layout is the kernel's (kernel/bpf/ringbuf.c): the consumer position
 * in the first page (writable), the producer position in the second, then
 * the data, mapped twice in a row so that a record that wraps is
 * contiguous. Each record: a 32-bit length (with a busy and a discard
 * bit), 32 bits for the kernel, the sample, padded to 8 bytes.
 */
#ifndef SS_RING_H
#define SS_RING_H

#include <stddef.h>
#include <stdint.h>

#define SS_RING_PUBLISH (64 * 1024)

/* Called for each record; a negative return stops the batch (it is
 * returned by ss_ring_consume(), the record counted as consumed). */
typedef int (*ss_ring_fn)(void *ctx, const void *sample, uint32_t size);

struct ss_ring {
	int map_fd, epfd;
	size_t page, data_size;
	void *cons_map, *prod_map;
	uint64_t *consumer_pos;
	const uint64_t *producer_pos;
	const uint8_t *data;
	uint64_t mask;
};

/* Map the ring buffer map_fd; -errno with a reason in err. */
int ss_ring_open(struct ss_ring *r, int map_fd, char *err, size_t n);
/* Wait at most timeout_ms for a wakeup: 0 (woken or timed out) or -errno
 * (-EINTR on a signal). */
int ss_ring_wait(struct ss_ring *r, int timeout_ms);
/* Consume every record there is (including those written meanwhile):
 * their number, or the callback's negative return. */
long ss_ring_consume(struct ss_ring *r, ss_ring_fn fn, void *ctx);
void ss_ring_close(struct ss_ring *r);

#endif /* SS_RING_H */
