/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Offline mode: handshakes reconstructed from a pcap/pcapng file. */
#ifndef SS_CAPTURE_H
#define SS_CAPTURE_H

#include <signal.h>
#include "options.h"

/* Read o->read_file ("-" = stdin) and print as the live mode would.
 * Returns the process exit code. */
int ss_capture_run(const struct ss_options *o, volatile sig_atomic_t *stop);

#endif /* SS_CAPTURE_H */
