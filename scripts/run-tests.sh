#!/usr/bin/env bash
# Run every suite `make -s list-suites` names (tests/tests.mk): cmocka
# units, the kernel programs through BPF_PROG_TEST_RUN, then the
# end-to-end tests in network namespaces. Prints each suite's output and a
# final "N passed, N failed, N skipped" over all cases.
#
# A suite passes when it exits 0 with no failed case. A suite whose binary
# was not built fails. A skipped case (cmocka's skip(), lib.sh's skip) is
# reported and counted apart: never as a pass.
#   scripts/run-tests.sh [SUITE...]   only these (tests/e2e/e2e_runner.sh)
set -uo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ] && [ $# -eq 0 ]; then
	echo "run-tests: the kernel and end-to-end tests load BPF programs and create" >&2
	echo "run-tests: network namespaces: run as root (sudo make test)" >&2
	exit 1
fi

total_pass=0 total_fail=0 total_skip=0 failed_suites=() skipped_suites=()
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

sum() { awk '{s+=$1} END {if (NR) print s}'; }

run_suite() { # path
	local path=$1 name rc p f s
	case $path in
	build/tests/*) name=${path#build/tests/} ;;
	*) name=${path##*/} ;;
	esac
	echo "=== $name"
	if [ ! -x "$path" ]; then
		echo "FAIL - $path was not built"
		total_fail=$((total_fail + 1))
		failed_suites+=("$name")
		return
	fi
	"$path" 2>&1 | tee "$LOG"
	rc=${PIPESTATUS[0]}
	# cmocka: "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" /
	# "[  SKIPPED ] N test(s)" (a binary may run several groups)
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$LOG" | sum)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$LOG" | sum)
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test(s).*/\1/p' "$LOG" | sum)
	# shell suites: "N passed, N failed[, N skipped]"
	if [ -z "$p" ]; then
		p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\1/p' "$LOG" | tail -1)
		f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed.*/\2/p' "$LOG" | tail -1)
		s=$(sed -n 's/^[0-9]* passed, [0-9]* failed, \([0-9]*\) skipped$/\1/p' "$LOG" | tail -1)
	fi
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f)) total_skip=$((total_skip + s))
	[ "$rc" != 0 ] && failed_suites+=("$name")
	[ "$s" != 0 ] && skipped_suites+=("$name ($s)")
	return 0
}

if [ $# -gt 0 ]; then
	suites="$*"
else
	suites=$(make -s list-suites) || { echo "run-tests: make list-suites failed"; exit 1; }
fi
for t in $suites; do
	run_suite "$t"
done

[ ${#skipped_suites[@]} -gt 0 ] && echo "skipped cases in: ${skipped_suites[*]}"
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] && [ ${#failed_suites[@]} -eq 0 ]
