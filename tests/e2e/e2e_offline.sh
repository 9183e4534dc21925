#!/usr/bin/env bash
# End-to-end, offline: tcpdump captures the traffic live synscope traces,
# at the same time on the same host, and `synscope -r` on each capture must
# give what the live run gave:
#   - the same handshake records: (family, client, client_port, server,
#     server_port, outcome, syn_retrans, synack_retrans, whether each
#     latency is known, SYN and SYN-ACK option summaries) as a set;
#   - the same latencies within LAT_TOL_US (see below), the same record
#     times within TS_TOL_S;
#   - the same SYN, SYN-ACK and RST counts as tshark's view of the file;
#   - `top -r`: per-interval SYN, SYN-ACK and RST sums equal to tshark's;
#   - `-r -` (stdin): the same records as `-r FILE`.
# Captures: Ethernet (tcpdump -i vs0), Linux cooked v2 and v1 (tcpdump -i
# any -y LINUX_SLL2 / LINUX_SLL in the server's namespace), IPv4 and IPv6
# traffic in each.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

TIMEOUT=2       # --timeout, live and offline
PORTS=(-p $OPEN -p $CLOSED -p $DROPPED)
# Latencies: live ones come from bpf_ktime_get_ns() in the XDP/tc hooks,
# offline ones from the capture's timestamps, taken when the packet passes
# the AF_PACKET tap, a few microseconds from the hook on the same path
# (measured on a 2-CPU VM: up to 15 us idle, up to 55 us with both CPUs
# busy, 1.1 ms once while a build ran beside the test). 20 ms leaves room
# for a loaded machine and is still far below what a mispaired packet
# would give (a retransmission is >= 1 s away) or a unit error (x1000).
LAT_TOL_US=${E2E_LAT_TOL_US:-20000}
# Record times: live is CLOCK_MONOTONIC plus an offset to CLOCK_REALTIME
# taken at start, the capture CLOCK_REALTIME: microseconds apart unless
# the clock is stepped during the run.
TS_TOL_S=0.5

setup_scenario

# tcpdump with extra options (a link type); wait until it listens.
start_capture() { # file dev [tcpdump options...]
	local file=$1 dev=$2
	shift 2
	# Not through in_srv: $! must be timeout itself, which passes SIGINT on
	# (a background subshell would ignore it). --immediate-mode: libpcap's
	# TPACKET_V3 ring hands packets over a block at a time, a block retires
	# up to a second late, and tcpdump stopped meanwhile never writes the
	# last packets (-U alone only flushes what it got).
	ip netns exec "$NS_SRV" timeout 60 tcpdump -i "$dev" "$@" --immediate-mode -U -n \
		-w "$file" tcp 2>"$file.err" &
	BG_PIDS+=($!)
	TD_PIDS+=($!)
	for _ in $(seq 100); do
		grep -q "listening" "$file.err" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

traffic() {
	local dst
	scenario_traffic
	# Offline, time is the capture's: the dropped attempts time out only
	# if a later packet carries the clock past their deadline (first SYN
	# + TIMEOUT). One more connection per family, after that.
	sleep $((TIMEOUT + 1))
	for dst in $SRV4 $SRV6; do
		in_cli ncat -w 2 --send-only "$dst" $OPEN <<<"last" || true
	done
}

# The comparable part of each record, one JSON array per line, sorted.
record_keys() {
	jq -c '[.family, .client, .client_port, .server, .server_port, .outcome,
		.syn_retrans, .synack_retrans, (.syn_to_synack_us == null),
		(.synack_to_ack_us == null), .syn, .synack]' "$1" | sort
}

# Largest |live - offline| over the latencies of matching records (us),
# and over their times (s); "missing" if a record has no match.
compare_numbers() { # live offline
	jq -rn --slurpfile a "$1" --slurpfile b "$2" '
		def k: "\(.family) \(.client) \(.client_port) \(.server) \(.server_port)";
		def secs: .ts | capture("(?<s>.*)\\.(?<f>[0-9]+)Z$") |
			(.s + "Z" | fromdate) + ("0." + .f | tonumber);
		($a | map({key: k, value: .}) | from_entries) as $live |
		if any($b[]; $live[k] == null) then "missing" else
		([$b[] | . as $o | $live[$o | k] as $l |
		  ([$o.syn_to_synack_us, $l.syn_to_synack_us], [$o.synack_to_ack_us, $l.synack_to_ack_us]) |
		  select(.[0] != null and .[1] != null) | .[0] - .[1] | fabs] | max // 0) as $lat |
		([$b[] | . as $o | $live[$o | k] as $l | ($o | secs) - ($l | secs) | fabs] | max // 0) as $ts |
		"\($lat) \($ts)" end'
}

check_capture() { # name file
	local name=$1 file=$2 out=$TMP/$1.json err=$TMP/$1.err f lat ts
	"$BIN" -r "$file" -o json --timeout $TIMEOUT "${PORTS[@]}" >"$out" 2>"$err"
	check_eq "$name: exit code" "$?" 0
	for f in 4 6; do
		check_eq "$name v$f: established" \
			"$(jq -c "select(.family==$f and .outcome==\"established\" and .server_port==$OPEN)" "$out" | wc -l)" "$((N + 1))"
		check_eq "$name v$f: refused" \
			"$(jq -c "select(.family==$f and .outcome==\"refused\" and .server_port==$CLOSED)" "$out" | wc -l)" "$M"
		# (Whether a dropped SYN was retransmitted before ncat gave up
		# depends on the machine's load; "same records as live" compares
		# the retransmission counts.)
		check_eq "$name v$f: timeout" \
			"$(jq -c "select(.family==$f and .outcome==\"timeout\" and .server_port==$DROPPED)" "$out" | wc -l)" "$K"
	done
	if [ "$(record_keys "$out")" == "$(record_keys "$LIVE")" ]; then
		ok "$name: same records as live ($(wc -l <"$out"))"
	else
		not_ok "$name: records differ from live:"
		diff <(record_keys "$LIVE") <(record_keys "$out") | sed 's/^/    /'
	fi
	read -r lat ts <<<"$(compare_numbers "$LIVE" "$out")"
	if [ "$lat" == missing ]; then
		not_ok "$name: a record has no live counterpart"
	else
		echo "     $name: largest latency difference ${lat} us, time difference ${ts} s"
		check_eq "$name: latencies within ${LAT_TOL_US} us of live" \
			"$(jq -n "$lat <= $LAT_TOL_US")" true
		check_eq "$name: record times within ${TS_TOL_S} s of live" "$(jq -n "$ts <= $TS_TOL_S")" true
	fi

	# The replayed counters against tshark's reading of the same file.
	local syn synack rst
	syn=$(tshark_count "$file" 'tcp.flags.syn==1 && tcp.flags.ack==0')
	synack=$(tshark_count "$file" 'tcp.flags.syn==1 && tcp.flags.ack==1')
	rst=$(tshark_count "$file" 'tcp.flags.reset==1')
	check_eq "$name: SYN count = tshark" "$(summary_count "$err" syn)" "$syn"
	check_eq "$name: SYN-ACK count = tshark" "$(summary_count "$err" syn-ack)" "$synack"
	check_eq "$name: RST count = tshark" "$(summary_count "$err" rst)" "$rst"
	check_eq "$name: SYN count = live" "$(summary_count "$err" syn)" "$(summary_count "$LIVE_ERR" syn)"
	check_eq "$name: completing ACKs = live" \
		"$(summary_count "$err" 'completing ack')" "$(summary_count "$LIVE_ERR" 'completing ack')"

	# top -r: intervals over capture time add up to the same counts.
	"$BIN" top -r "$file" -o json --interval 0.5 --timeout $TIMEOUT "${PORTS[@]}" \
		>"$TMP/$name.top" 2>"$TMP/$name.top.err"
	check_eq "$name: top exit code" "$?" 0
	check_eq "$name: top prints intervals, and the summary last" \
		"$(jq -r .type "$TMP/$name.top" | sort -u | tr '\n' ' ')/$(tail -1 "$TMP/$name.top" | jq -r .type)" "interval summary /summary"
	sed -i '$d' "$TMP/$name.top"
	check_eq "$name: top SYN sum = tshark" "$(jq -s 'map(.syn) | add' "$TMP/$name.top")" "$syn"
	check_eq "$name: top SYN-ACK sum = tshark" "$(jq -s 'map(.synack) | add' "$TMP/$name.top")" "$synack"
	check_eq "$name: top RST sum = tshark" "$(jq -s 'map(.rst) | add' "$TMP/$name.top")" "$rst"
	check_eq "$name: top established sum = completing ACKs" \
		"$(jq -s 'map(.established) | add' "$TMP/$name.top")" "$(summary_count "$err" 'completing ack')"
	# Every interval but the last is 0.5 s; they cover the capture.
	check_eq "$name: top intervals of 0.5 s but the last" \
		"$(jq -s '.[:-1] | map(select(.interval_s != 0.5)) | length' "$TMP/$name.top")" 0
	check_eq "$name: top interval count covers the capture" \
		"$(jq -s 'length' "$TMP/$name.top")" \
		"$(tshark -n -r "$file" -T fields -e frame.time_relative 2>/dev/null | tail -1 |
		   awk '{ print int($1 / 0.5) + 1 }')"
	check_eq "$name: top summary = trace summary" \
		"$(grep 'packets' "$TMP/$name.top.err")" "$(grep 'packets' "$err")"

	# stdin: the same records, from "stdin".
	"$BIN" -r - -o json --timeout $TIMEOUT "${PORTS[@]}" <"$file" >"$TMP/$name.stdin" 2>/dev/null
	check_eq "$name: -r - exit code" "$?" 0
	check_eq "$name: -r - gives the same records" \
		"$(jq -c 'del(.iface)' "$TMP/$name.stdin" | md5sum)" "$(jq -c 'del(.iface)' "$out" | md5sum)"
	check_eq "$name: -r - records say stdin" "$(jq -r .iface "$TMP/$name.stdin" | sort -u)" stdin
}

# pcap link type, from the file header.
linktype() { od -An -tu4 -j20 -N4 "$1" | tr -d ' '; }

TD_PIDS=()
start_capture "$TMP/eth.pcap" vs0 || not_ok "tcpdump -i vs0 did not start"
start_capture "$TMP/sll2.pcap" any -y LINUX_SLL2 || not_ok "tcpdump -i any (SLL2) did not start"
start_capture "$TMP/sll.pcap" any -y LINUX_SLL || not_ok "tcpdump -i any (SLL) did not start"
LIVE=$TMP/live.json LIVE_ERR=$TMP/live.err
start_synscope "$NS_SRV" "$LIVE" "$LIVE_ERR" -i vs0 -o json --timeout $TIMEOUT "${PORTS[@]}" ||
	not_ok "live synscope did not start"
traffic
sleep 0.5
kill -INT "$SS_PID" 2>/dev/null
wait "$SS_PID"
check_eq "live: exit code" "$?" 0
sleep 0.3
kill -INT "${TD_PIDS[@]}" 2>/dev/null
wait "${TD_PIDS[@]}" 2>/dev/null

for f in 4 6; do
	check_eq "live v$f: established" \
		"$(jq -c "select(.family==$f and .outcome==\"established\")" "$LIVE" | wc -l)" "$((N + 1))"
	check_eq "live v$f: refused" "$(jq -c "select(.family==$f and .outcome==\"refused\")" "$LIVE" | wc -l)" "$M"
	check_eq "live v$f: timeout" "$(jq -c "select(.family==$f and .outcome==\"timeout\")" "$LIVE" | wc -l)" "$K"
done
check_eq "live: SYN count = tshark (Ethernet capture)" "$(summary_count "$LIVE_ERR" syn)" \
	"$(tshark_count "$TMP/eth.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
check_eq "link types: Ethernet, cooked v2, cooked v1" \
	"$(linktype "$TMP/eth.pcap") $(linktype "$TMP/sll2.pcap") $(linktype "$TMP/sll.pcap")" "1 276 113"

check_capture ethernet "$TMP/eth.pcap"
check_capture sll2 "$TMP/sll2.pcap"
check_capture sll "$TMP/sll.pcap"

# Keep the captures and the live run for a look: E2E_KEEP=DIR.
if [ -n "${E2E_KEEP:-}" ]; then cp "$TMP"/*.pcap "$TMP"/live.* "$E2E_KEEP"/ 2>/dev/null; fi
finish
