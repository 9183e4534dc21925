// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Prints what user/host/tcpstat.c reads in the namespace it runs in, one
 * "Name value" line per counter found, for tests/e2e/e2e_tcpstat.sh.
 *   tcpstat_dump          one reading
 *   tcpstat_dump --wait   a reading, a "--" line, then a second reading
 *                         through the same open files once SIGUSR1 comes
 *                         (so the test checks that a kept-open reader sees
 *                         what happened in between) */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include "host/tcpstat.h"

static int dump(struct ss_tcpstat_reader *r)
{
	struct ss_tcpstat s;
	int err = ss_tcpstat_read(r, &s);

	if (err) {
		fprintf(stderr, "tcpstat_dump: read: %s\n", strerror(-err));
		return -1;
	}
	for (int i = 0; i < SS_TS_MAX; i++)
		if (s.have & (1u << i))
			printf("%s %llu\n", ss_tcpstat_name(i), (unsigned long long)s.v[i]);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	int wait_signal = argc > 1 && !strcmp(argv[1], "--wait");
	struct ss_tcpstat_reader *r;
	char err[256];
	sigset_t set;
	int sig, rc = 1;

	/* Blocked before the first reading, so a SIGUSR1 sent as soon as it
	 * is printed is not lost. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r = ss_tcpstat_open(err, sizeof(err));
	if (!r) {
		fprintf(stderr, "tcpstat_dump: %s\n", err);
		return 1;
	}
	if (dump(r))
		goto out;
	if (wait_signal) {
		printf("--\n");
		fflush(stdout);
		if (sigwait(&set, &sig) || dump(r))
			goto out;
	}
	rc = 0;
out:
	ss_tcpstat_close(r);
	return rc;
}
