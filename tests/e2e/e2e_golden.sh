#!/usr/bin/env bash
# The writers, byte for byte: synscope -r over the golden inputs must print
# exactly what tests/golden/expected.tar.xz holds (tests/golden/README).
set -uo pipefail
cd "$(dirname "$0")/../.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PASS=0 FAIL=0

build/gen_golden "$TMP/golden.pcap" || { echo "FAIL - gen_golden"; echo "0 passed, 1 failed"; exit 1; }
mkdir "$TMP/want" "$TMP/got"
tar xJf tests/golden/expected.tar.xz -C "$TMP/want"
tests/golden/outputs.sh "$PWD/build/synscope" "$TMP/golden.pcap" "$TMP/got"
for f in "$TMP"/want/*; do
	b=$(basename "$f")
	if cmp -s "$f" "$TMP/got/$b"; then
		PASS=$((PASS + 1))
		echo "ok   - $b ($(wc -l <"$f") lines identical)"
	else
		FAIL=$((FAIL + 1))
		echo "FAIL - $b differs:"
		diff -u "$f" "$TMP/got/$b" | head -20
	fi
done
extra=$(cd "$TMP/got" && for f in *; do [ -e "$TMP/want/$f" ] || echo "$f"; done)
if [ -z "$extra" ]; then PASS=$((PASS + 1)); echo "ok   - no output without a golden file"; else FAIL=$((FAIL + 1)); echo "FAIL - outputs without a golden file: $extra"; fi
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
