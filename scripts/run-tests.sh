#!/usr/bin/env bash
# Run every test: cmocka units, kernel programs through BPF_PROG_TEST_RUN,
# offline captures, then the end-to-end tests in network namespaces.
# Prints each suite's output and a final "N passed, N failed" over all cases.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "run-tests: the kernel and end-to-end tests load BPF programs and create" >&2
	echo "run-tests: network namespaces: run as root (sudo make test)" >&2
	exit 1
fi

total_pass=0 total_fail=0 failed_suites=()
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

run_suite() { # name command...
	local name=$1 rc p f
	shift
	echo "=== $name"
	"$@" 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
	# cmocka: "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
	# (a binary may run several groups: add them up)
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG" | awk '{s+=$1} END {if (NR) print s}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$LOG" | awk '{s+=$1} END {if (NR) print s}')
	# shell suites: "N passed, N failed"
	if [ -z "$p" ]; then
		p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$LOG" | tail -1)
		f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$LOG" | tail -1)
	fi
	p=${p:-0} f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	[ "$rc" != 0 ] && failed_suites+=("$name")
	return 0
}

run_suite "parser (host build)" build/test_parse
run_suite "parser (AddressSanitizer + UBSan)" build/test_parse_asan
run_suite "options" build/test_options
run_suite "handshake engine" build/test_handshake
run_suite "flood view" build/test_flood
run_suite "writer formatting" build/test_wbuf
run_suite "p0f fingerprints" build/test_p0f
run_suite "p0f fingerprints (AddressSanitizer + UBSan)" build/test_p0f_asan
run_suite "cgroups" build/test_cgroup
run_suite "cgroups (AddressSanitizer + UBSan)" build/test_cgroup_asan
run_suite "TCP statistics" build/test_tcpstat
run_suite "TCP statistics (AddressSanitizer + UBSan)" build/test_tcpstat_asan
run_suite "who and why (cgroups, causes)" build/test_whowhy
run_suite "metrics server" build/test_metrics
run_suite "metrics families" build/test_exporter
run_suite "pcap writer (-w)" build/test_pcap_write
run_suite "pcap writer (-w, AddressSanitizer + UBSan)" build/test_pcap_write_asan
run_suite "kernel programs (BPF_PROG_TEST_RUN)" build/test_bpf
for t in build/test_capture build/test_agree build/test_malformed build/test_corpus; do
	[ -x "$t" ] && run_suite "$(basename "$t")" "$t"
done
for t in tests/e2e_*.sh; do
	run_suite "$(basename "$t")" "$t"
done

[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ] && [ ${#failed_suites[@]} -eq 0 ]
