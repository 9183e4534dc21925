#!/usr/bin/env bash
# Write what a synscope binary prints for the golden inputs, one file per
# run, into OUTDIR (stdout only: the writers' bytes).
#   tests/golden/outputs.sh SYNSCOPE GOLDEN.pcap OUTDIR
# GOLDEN.pcap is build/gen_golden's capture; the seed corpus's captures
# (tests/corpus/pcap) are read too. tests/e2e/e2e_golden.sh compares the
# result with tests/golden/expected/, which this script wrote from the
# commit named in tests/golden/README.
set -euo pipefail
# Text records print local time: the same everywhere.
export TZ=UTC
bin=$1 cap=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
run() { # name args...
	local name=$1
	shift
	# No p0f database: its labels are the distribution's (e2e_p0f.sh).
	"$bin" "$@" --p0f-db none >"$out/$name" 2>/dev/null || echo "exit $?" >>"$out/$name"
}
for fmt in json text; do
	run "golden.$fmt" -r "$cap" --timeout 60 -o "$fmt"
	run "golden.packets.$fmt" -r "$cap" --timeout 60 --packets -o "$fmt"
	run "golden.top.$fmt" top -r "$cap" --timeout 60 -o "$fmt"
done
run golden.explain.text -r "$cap" --timeout 60 --explain
# A file name JSON must escape, and stdin.
weird=$(mktemp -d)
cp "$cap" "$weird/we\"ird\\na	me.pcap"
run golden.weird.json -r "$weird/we\"ird\\na	me.pcap" --timeout 60 -o json -c 20
rm -rf "$weird"
run golden.stdin.json -r - --timeout 60 -o json -c 20 <"$cap"
for f in "$here"/../corpus/pcap/*; do
	b=$(basename "$f")
	run "corpus.$b.json" -r "$f" --packets -o json
	run "corpus.$b.text" -r "$f" --explain
done
