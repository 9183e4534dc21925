#!/usr/bin/env bash
# The test runner itself (scripts/run-tests.sh): a skipped case is
# reported and never counted as a pass, a suite that was not built
# fails, a failed case fails its suite, and the totals add up. On suites
# made up here, in a temporary directory.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

D=$TMP/suites
mkdir -p "$D"
# A shell suite with two passes and a skip, and one with a failure.
printf '#!/bin/sh\necho "ok   - a"; echo "ok   - b"; echo "skip - c: not here"\necho "2 passed, 0 failed, 1 skipped"\n' >"$D/e2e_skips.sh"
printf '#!/bin/sh\necho "FAIL - x"\necho "3 passed, 1 failed, 0 skipped"\nexit 1\n' >"$D/e2e_fails.sh"
# A cmocka-like suite with a skipped test.
printf '#!/bin/sh\necho "[  PASSED  ] 4 test(s)."\necho "[  SKIPPED ] 1 test(s), listed below:"\n' >"$D/test_cm"
chmod +x "$D"/*

run() { scripts/run-tests.sh "$@" >"$TMP/out" 2>&1; echo $?; }

check_eq "a suite with a skip passes" "$(run "$D/e2e_skips.sh")" 0
check_eq "... its skip is counted apart" "$(tail -1 "$TMP/out")" "2 passed, 0 failed, 1 skipped"
grep -q 'skipped cases in: e2e_skips.sh (1)' "$TMP/out" && ok "... and named" || not_ok "skips not named: $(cat "$TMP/out")"
check_eq "cmocka's skipped tests are counted apart" "$(run "$D/test_cm"; tail -1 "$TMP/out")" "0
4 passed, 0 failed, 1 skipped"
check_eq "a suite that was not built fails the run" "$(run "$D/test_missing")" 1
check_eq "... and counts as a failure" "$(tail -1 "$TMP/out")" "0 passed, 1 failed, 0 skipped"
grep -q 'was not built' "$TMP/out" && ok "... saying it was not built" || not_ok "no 'not built' line: $(cat "$TMP/out")"
check_eq "a failed case fails the run" "$(run "$D/e2e_skips.sh" "$D/e2e_fails.sh" "$D/test_cm")" 1
check_eq "... the totals add up" "$(tail -1 "$TMP/out")" "9 passed, 1 failed, 2 skipped"
grep -q 'failed suites: e2e_fails.sh' "$TMP/out" && ok "... naming the failed suite" || not_ok "failed suite not named: $(cat "$TMP/out")"
# The list the real run takes comes from the Makefile: every C suite
# declared there and every end-to-end script, this one included.
list=$(make -s list-suites)
check_eq "make list-suites names this suite" "$(grep -c 'tests/e2e/e2e_runner.sh' <<<"$list")" 1
check_eq "make list-suites names every tests/*/test_*.c under a suite folder" \
	"$(for f in tests/{cli,modes,engine,out,offline,fleet,host,bpf}/test_*.c; do [ -e "$f" ] || continue; b=build/${f%.c}; grep -qx "$b" <<<"$list" || echo "$f"; done)" ""
finish
