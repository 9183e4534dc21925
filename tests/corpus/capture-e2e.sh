#!/usr/bin/env bash
# The captured seeds of the capture fuzzer (tests/corpus/pcap/e2e-*): real
# handshakes between two network namespaces (tests/lib.sh: a veth pair,
# 198.18.0.0/15 and fd00:5c::/64, removed on every exit), captured by
# tcpdump, each file cut to a few packets and at most MAX bytes (the
# fuzzer's -max_len, tests/tests.mk). Established, refused and dropped
# handshakes over IPv4 and IPv6, on Ethernet, Linux cooked v2 (-i any),
# with a short snapshot length, and one pcapng.
#
# Run as root from anywhere: tests/corpus/capture-e2e.sh
set -euo pipefail
cd "$(dirname "$0")/../.."

[ "$(id -u)" = 0 ] || { echo "capture-e2e: run as root (network namespaces)" >&2; exit 1; }

# One connection of each kind per family (lib.sh's scenario).
export E2E_N=1 E2E_M=1 E2E_K=1
# shellcheck source=tests/lib.sh
source tests/lib.sh

OUT=tests/corpus/pcap
MAX=2048

# capture NS DEV FILE [tcpdump options...]: start tcpdump, wait until it listens.
capture() {
	local ns=$1 dev=$2 file=$3
	shift 3
	ip netns exec "$ns" timeout 60 tcpdump -i "$dev" -U -n "$@" -w "$file" 2>"$file.err" &
	BG_PIDS+=($!)
	for _ in $(seq 100); do
		grep -q "listening" "$file.err" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "capture-e2e: tcpdump on $dev did not start" >&2
	return 1
}

# cut IN OUT COUNT FILTER: the first COUNT packets matching FILTER, fewer
# while the file is larger than MAX.
cut_capture() {
	local in=$1 out=$2 count=$3 filter=$4
	while [ "$count" -gt 0 ]; do
		tcpdump -r "$in" -w "$out" -c "$count" "$filter" 2>/dev/null
		[ "$(stat -c %s "$out")" -le "$MAX" ] && break
		count=$((count - 1))
	done
	if [ "$count" -eq 0 ] || [ "$(tcpdump -r "$out" 2>/dev/null | wc -l)" -eq 0 ]; then
		echo "capture-e2e: nothing for $out" >&2
		exit 1
	fi
	echo "$out: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets, $(stat -c %s "$out") bytes"
}

setup_scenario
capture "$NS_SRV" vs0 "$TMP/eth.pcap"
capture "$NS_CLI" any "$TMP/any.pcap"
capture "$NS_SRV" vs0 "$TMP/snap.pcap" -s 66
scenario_traffic || true   # the dropped connections time out
sleep 0.5
for p in "${BG_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
sleep 0.5

rm -f "$OUT"/e2e-*
cut_capture "$TMP/eth.pcap" "$OUT/e2e-ipv4-established.pcap" 12 "ip and tcp port $OPEN"
cut_capture "$TMP/eth.pcap" "$OUT/e2e-ipv6-established.pcap" 12 "ip6 and tcp port $OPEN"
cut_capture "$TMP/eth.pcap" "$OUT/e2e-refused.pcap" 4 "tcp port $CLOSED"
cut_capture "$TMP/eth.pcap" "$OUT/e2e-dropped.pcap" 6 "tcp port $DROPPED"
cut_capture "$TMP/eth.pcap" "$OUT/e2e-icmpv6-ndp.pcap" 4 "icmp6"
cut_capture "$TMP/any.pcap" "$OUT/e2e-any-sll2.pcap" 12 "tcp"
cut_capture "$TMP/snap.pcap" "$OUT/e2e-snaplen66.pcap" 12 "tcp"
editcap -F pcapng "$OUT/e2e-refused.pcap" "$OUT/e2e-refused.pcapng"
echo "$OUT/e2e-refused.pcapng: $(stat -c %s "$OUT/e2e-refused.pcapng") bytes"
chown --reference=tests/corpus "$OUT"/e2e-*   # tcpdump writes as its own user
