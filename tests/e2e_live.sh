#!/usr/bin/env bash
# End-to-end: real connections between two namespaces, traced by synscope
# on the server side and on the client side, in each attach mode, checked
# against tcpdump/tshark on the same interface at the same time.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/lib.sh

setup_scenario

run_case() { # side(srv|cli) dev mode
	local side=$1 dev=$2 mode=$3 ns out err pcap total
	ns=$([ "$side" = srv ] && echo "$NS_SRV" || echo "$NS_CLI")
	out=$TMP/$side-$mode.json err=$TMP/$side-$mode.err pcap=$TMP/$side-$mode.pcap
	total=$(( (N + M + K) * 2 ))
	start_tcpdump "$ns" "$dev" "$pcap" || { not_ok "$side/$mode: tcpdump did not start"; return; }
	start_synscope "$ns" "$out" "$err" -i "$dev" --mode "$mode" -o json -c "$total" \
		--timeout 2 -p $OPEN -p $CLOSED -p $DROPPED || { not_ok "$side/$mode: synscope did not start"; return; }
	scenario_traffic
	# Timeouts are reported --timeout after the SYN; -c stops synscope.
	for _ in $(seq 100); do kill -0 "$SS_PID" 2>/dev/null || break; sleep 0.1; done
	kill -INT "$SS_PID" 2>/dev/null
	wait "$SS_PID"
	check_eq "$side/$mode: synscope exit code" "$?" 0
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null

	local f
	for f in 4 6; do
		check_eq "$side/$mode v$f established" \
			"$(jq -c "select(.family==$f and .outcome==\"established\" and .server_port==$OPEN)" "$out" | wc -l)" "$N"
		check_eq "$side/$mode v$f refused" \
			"$(jq -c "select(.family==$f and .outcome==\"refused\" and .server_port==$CLOSED)" "$out" | wc -l)" "$M"
		check_eq "$side/$mode v$f timeout" \
			"$(jq -c "select(.family==$f and .outcome==\"timeout\" and .server_port==$DROPPED)" "$out" | wc -l)" "$K"
	done
	check_eq "$side/$mode: established records have both latencies" \
		"$(jq -c 'select(.outcome=="established" and .syn_to_synack_us != null and .synack_to_ack_us != null and .syn.mss != null)' "$out" | wc -l)" "$((N * 2))"
	check_eq "$side/$mode: refused records have no SYN-ACK latency" \
		"$(jq -c 'select(.outcome=="refused" and .syn_to_synack_us == null)' "$out" | wc -l)" "$((M * 2))"

	# tcpdump saw the same packets: compare synscope's kernel counters.
	check_eq "$side/$mode: SYN count = tshark" "$(summary_count "$err" syn)" \
		"$(tshark_count "$pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
	check_eq "$side/$mode: SYN-ACK count = tshark" "$(summary_count "$err" syn-ack)" \
		"$(tshark_count "$pcap" 'tcp.flags.syn==1 && tcp.flags.ack==1')"
	check_eq "$side/$mode: RST count = tshark" "$(summary_count "$err" rst)" \
		"$(tshark_count "$pcap" 'tcp.flags.reset==1')"
	# Every SYN is either a first SYN of a record or a counted retransmission.
	check_eq "$side/$mode: SYNs = records + retransmissions" \
		"$(jq -s 'map(1 + .syn_retrans) | add' "$out")" \
		"$(tshark_count "$pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
	cp "$out" "$TMP/last-$side-$mode.json"
}

for mode in auto xdp tc; do
	run_case srv vs0 "$mode"
	run_case cli vc0 "$mode"
done
# Keep one live run and its capture for the offline comparison test.
if [ -n "${E2E_KEEP:-}" ]; then cp "$TMP"/srv-auto.* "$E2E_KEEP"/ 2>/dev/null; fi
finish
