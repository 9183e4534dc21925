/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Offline mode: handshakes reconstructed from a pcap/pcapng file. */
#ifndef SS_CAPTURE_H
#define SS_CAPTURE_H

#include <signal.h>
#include "options.h"

/* The pending table's hash key offline, unless o->pend_key says: any key
 * will do, a fixed one makes runs repeatable. */
#define SS_REPLAY_KEY0 0x5c5c0fee1e5ca1edull
#define SS_REPLAY_KEY1 0x0dd5e7de7ec7ab1eull

/* Read o->read_file ("-" = stdin) and print as the live mode would.
 * Returns the process exit code. */
/* Called once the capture is open, before the first record is read
 * (synscope drops its capabilities there). */
void ss_capture_on_open(void (*fn)(void));
int ss_capture_run(const struct ss_options *o, volatile sig_atomic_t *stop);

#endif /* SS_CAPTURE_H */
