#!/usr/bin/env bash
# make fuzz: a bounded libFuzzer run of each harness, FUZZ_SECS seconds
# each (default 120), then the differential check (build/tests/bpf/test_corpus,
# root) over everything the corpora hold: the committed seeds
# (tests/corpus/) and what the fuzzers added (build/fuzz/corpus/, kept
# between runs, so each run starts where the last one stopped).
#
# A crash, sanitizer report, leak or broken invariant stops the run with
# the input in build/fuzz/artifacts/; replay it with
#   build/fuzz/fuzz_packet FILE      or      build/fuzz/fuzz_capture FILE
# Prints, per harness: executions per second, total executions, seconds,
# and the corpus size before and after.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

SECS=${FUZZ_SECS:-120}
B=build/fuzz
mkdir -p "$B/corpus/packets" "$B/corpus/pcap" "$B/artifacts"

files() { find "$@" -maxdepth 1 -type f | wc -l; }

# fuzz NAME SEEDS WORK MAX_LEN [libFuzzer options...]
fuzz() {
	local name=$1 seeds=$2 work=$3 max_len=$4 before after rc log=$B/$1.log
	shift 4
	before=$(files "$work")
	echo "=== $name: $SECS s, -max_len=$max_len, seeds $seeds ($(files "$seeds") files), corpus $work ($before files)"
	# The first directory receives what the run finds; the seeds are only read.
	"$B/$name" -max_total_time="$SECS" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$B/artifacts/$name-" "$@" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	after=$(files "$work")
	grep -E '^(stat::|Done )' "$log"
	echo "$name: corpus $before -> $after files (+ $(files "$seeds") seeds); log $log"
	if [ "$rc" != 0 ]; then
		grep -E 'ERROR|SUMMARY|fuzz_(packet|capture):|Test unit written' "$log" | head -20
		echo "$name: FOUND SOMETHING (exit $rc); see $log and $B/artifacts/" >&2
		return 1
	fi
}

status=0
fuzz fuzz_packet tests/corpus/packets "$B/corpus/packets" 1600 || status=1
fuzz fuzz_capture tests/corpus/pcap "$B/corpus/pcap" 2048 -close_fd_mask=3 || status=1

if [ "$(id -u)" != 0 ]; then
	echo "fuzz: the differential check loads BPF programs: run as root" >&2
	exit 1
fi
echo "=== differential check over the corpora (kernel programs vs host build)"
build/tests/bpf/test_corpus --packets tests/corpus/packets --packets "$B/corpus/packets" \
	--pcap tests/corpus/pcap --fuzzed-pcap "$B/corpus/pcap" || status=1
exit $status
