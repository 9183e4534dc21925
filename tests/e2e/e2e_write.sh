#!/usr/bin/env bash
# End-to-end, -w FILE: synscope writes the packets it made events of, and
# the file holds what tcpdump saw of them on the same interface.
#   live, on the server's veth (auto: XDP in, tcx out) and on its lo (tcx
#   in), IPv4 and IPv6, established, refused and timed-out handshakes:
#     - tshark and tcpdump read the file: nanosecond pcap, Ethernet, 256;
#     - exactly the SYN, SYN-ACK, completing ACK and RST packets tcpdump
#       saw, per class and per flow, the same first 64 bytes, times within
#       TS_TOL_S of tcpdump's;
#     - synscope -r of the file prints the live run's records, byte for
#       byte but "iface" (offline, the file's name);
#   -s 60 (the client's veth, tc both ways): caplen 60, wire length kept;
#   offline, -r CAPTURE -w OUT: only the handshake packets of a capture
#   with established traffic, unchanged, with their times, in the
#   capture's link type (Ethernet, Linux cooked v2);
#   errors: -w into a directory, /proc, /dev/full, a disk filling up while
#   tracing; -w - into tcpdump -r -, and a reader of -w - that goes away.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

TIMEOUT=3       # --timeout: the dropped attempts' ncat gives up before it
PORTS=(-p $OPEN -p $CLOSED -p $DROPPED)
# Live times are CLOCK_MONOTONIC plus the offset to CLOCK_REALTIME taken at
# start, tcpdump's CLOCK_REALTIME at its tap: microseconds apart.
TS_TOL_S=0.5

setup_scenario

# lib.sh's listener lives 120 s; on a busy machine this test takes
# longer. A second one while the first listens fails to bind: harmless.
ensure_listener() {
	in_srv timeout 120 ncat -l -k $OPEN >/dev/null 2>&1 &
	BG_PIDS+=($!)
	for _ in $(seq 100); do
		in_srv ss -Hltn "sport = :$OPEN" | grep -q . && return 0
		sleep 0.05
	done
}

# Handshakes from RUN (in_cli or in_srv) to each address: N established,
# M refused, K timed out (nftables drops their SYNs; ncat gives up 2.5 s
# after its first SYN, after one retransmission, before --timeout and the
# next at 3 s; its own timer, as an outer `timeout` can expire before a
# busy machine has ncat running). Then, after --timeout, one more connection per
# address: offline, time is the file's, and the dropped attempts time out
# only once a later packet carries the clock past their deadline.
hs_traffic() { # run addr...
	local run=$1 dst i pids=()
	shift
	ensure_listener
	for dst in "$@"; do
		for i in $(seq "$N"); do $run ncat -w 2 --send-only "$dst" $OPEN <<<"hello $i" || true; done
		for i in $(seq "$M"); do $run ncat -w 2 "$dst" $CLOSED </dev/null >/dev/null 2>&1 || true; done
	done
	for dst in "$@"; do
		for i in $(seq "$K"); do
			$run timeout 10 ncat -w 2500ms "$dst" $DROPPED </dev/null >/dev/null 2>&1 &
			pids+=($!)
		done
	done
	[ ${#pids[@]} -eq 0 ] || wait "${pids[@]}"
	sleep $((TIMEOUT + 1))
	for dst in "$@"; do $run ncat -w 2 --send-only "$dst" $OPEN <<<"last" || true; done
}

# One line per packet of a capture: class, flow, wire length, captured
# length, time (s), bytes (hex). Class: syn, synack, rst, ack (the ACK
# that completes a handshake: bare, relative seq 1 and ack 1), other.
pkt_table() { # file
	paste -d ' ' \
		<(tshark -n -r "$1" -T fields -E separator=, -e tcp.flags.syn -e tcp.flags.ack \
			-e tcp.flags.reset -e tcp.flags.fin -e tcp.flags.push -e tcp.seq -e tcp.ack \
			-e tcp.len -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst -e ipv6.dst \
			-e tcp.dstport -e frame.len -e frame.cap_len -e frame.time_epoch 2>/dev/null |
		  awk -F, '{
			c = "other"
			if ($1 == 1) c = $2 == 1 ? "synack" : "syn"
			else if ($3 == 1) c = "rst"
			else if ($2 == 1 && $4 == 0 && $5 == 0 && $6 == 1 && $7 == 1 && $8 == 0) c = "ack"
			print c, $9 $10 "." $11 ">" $12 $13 "." $14, $15, $16, $17 }') \
		<(tshark -n -r "$1" -T json -x 2>/dev/null | jq -r '.[]._source.layers.frame_raw[0]')
}

classes() { # table
	awk '{ c[$1]++ } END { printf "syn %d synack %d ack %d rst %d", c["syn"], c["synack"], c["ack"], c["rst"] }' "$1"
}
count_class() { awk -v c="$2" '$1 == c { n++ } END { print n + 0 }' "$1"; }
handshake_pkts() { awk '$1 != "other"' "$1"; }

# Magic, snap length, link type of a pcap file.
pcap_header() {
	echo "$(od -An -tx4 -N4 "$1" | tr -d ' ') $(od -An -tu4 -j16 -N4 "$1" | tr -d ' ') $(od -An -tu4 -j20 -N4 "$1" | tr -d ' ')"
}

# Like check_eq for multi-line values: the difference on failure.
check_same() { # name got want
	if [ "$2" == "$3" ]; then
		ok "$1 ($(printf '%s\n' "$2" | grep -c .) lines)"
	else
		not_ok "$1:"
		diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") | head -20 | cut -c1-200 | sed 's/^/    /'
	fi
}

# Records without "iface" (live the interface, offline the file's name)
# and the who and why of live traces (cgroups, causes: a file has no
# sockets and no namespace statistics), sorted: live reports a timeout
# when its clock passes the deadline, offline when the next packet does,
# so the order may differ.
records() {
	jq -c 'del(.iface, .client_cgroup_id, .client_cgroup, .client_unit, .server_cgroup_id,
		   .server_cgroup, .server_unit, .cause, .cause_from, .drop_reason, .drop_packet, .drop_dir, .rst_reason, .accept_queue, .synack_cookie, .cookie_basis)' "$1" | sort
}

one_line_error() { # name rc-file-or-rc errfile want-rc pattern
	local name=$1 rc=$2 err=$3 want=$4 pat=$5
	if [ "$rc" = "$want" ] && [ "$(wc -l <"$err")" = 1 ] && grep -q -- "$pat" "$err"; then
		ok "$name ($(cat "$err"))"
	else
		not_ok "$name: exit $rc, stderr: $(cat "$err")"
	fi
}

# start_synscope, with more patience: on a busy machine (a build, other
# tests) loading can take longer than the 5 s it waits.
start_ss() { # as start_synscope
	local err=$3
	start_synscope "$@" 2>/dev/null && return 0
	for _ in $(seq 250); do
		grep -q tracing "$err" 2>/dev/null && return 0
		kill -0 "$SS_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -INT "$SS_PID" 2>/dev/null
	wait "$SS_PID" 2>/dev/null
	echo "synscope did not start: $(cat "$err")" >&2
	return 1
}

# A live run with -w: tcpdump on the same interface, synscope, traffic.
# usage: live_run NAME NS DEV RUN ADDR4 ADDR6 [synscope options...]
live_run() {
	local name=$1 ns=$2 dev=$3 run=$4 a4=$5 a6=$6 f
	shift 6
	start_tcpdump "$ns" "$dev" "$TMP/$name.td.pcap" || { not_ok "$name: tcpdump did not start"; return 1; }
	if ! start_ss "$ns" "$TMP/$name.json" "$TMP/$name.err" -i "$dev" -o json \
		--timeout $TIMEOUT "${PORTS[@]}" -w "$TMP/$name.pcap" "$@"; then
		not_ok "$name: synscope did not start"
		kill -INT "$TD_PID" 2>/dev/null
		wait "$TD_PID" 2>/dev/null
		return 1
	fi
	hs_traffic "$run" "$a4" "$a6"
	sleep 0.5
	kill -INT "$SS_PID" 2>/dev/null
	wait "$SS_PID"
	check_eq "$name: exit code" "$?" 0
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	for f in 4 6; do
		check_eq "$name v$f: established, refused, timeout" \
			"$(jq -r "select(.family==$f) | .outcome" "$TMP/$name.json" | sort | uniq -c | tr -s ' \n' ' ')" \
			" $((N + 1)) established $M refused $K timeout "
	done
	pkt_table "$TMP/$name.pcap" >"$TMP/$name.tab"
	pkt_table "$TMP/$name.td.pcap" >"$TMP/$name.td.tab"
}

# (a) The file against tcpdump's capture of the same interface, and (b)
# synscope -r of it against the live records.
check_live() { # name
	local name=$1 f=$TMP/$1.pcap tab=$TMP/$1.tab td=$TMP/$1.td.tab rc
	tshark -n -r "$f" >/dev/null 2>"$TMP/$name.tshark.err"
	rc=$?
	check_eq "$name: tshark reads the file" "$rc $(grep -vc 'Running as user' "$TMP/$name.tshark.err")" "0 0"
	tcpdump -n -r "$f" >"$TMP/$name.tcpdump.txt" 2>"$TMP/$name.tcpdump.err"
	rc=$?
	check_eq "$name: tcpdump reads the file" "$rc $(grep -vc '^reading from file' "$TMP/$name.tcpdump.err")" "0 0"
	check_eq "$name: nanosecond pcap, snap length 256, Ethernet" "$(pcap_header "$f")" "a1b23c4d 256 1"
	check_eq "$name: tcpdump and tshark count the same packets" "$(wc -l <"$TMP/$name.tcpdump.txt")" "$(wc -l <"$tab")"
	check_eq "$name: per class, as tcpdump saw them" "$(classes "$tab")" "$(classes "$td")"
	check_eq "$name: no other packet in the file" "$(count_class "$tab" other)" 0
	check_same "$name: per flow and class, as tcpdump saw them" \
		"$(handshake_pkts "$tab" | awk '{ print $1, $2 }' | sort | uniq -c)" \
		"$(handshake_pkts "$td" | awk '{ print $1, $2 }' | sort | uniq -c)"
	check_same "$name: first 64 bytes of each packet = tcpdump's" \
		"$(handshake_pkts "$tab" | awk '{ print substr($6, 1, 128) }' | sort)" \
		"$(handshake_pkts "$td" | awk '{ print substr($6, 1, 128) }' | sort)"
	check_eq "$name: wire lengths = tcpdump's" \
		"$(handshake_pkts "$tab" | awk '{ print $3 }' | sort | md5sum)" \
		"$(handshake_pkts "$td" | awk '{ print $3 }' | sort | md5sum)"
	# Each packet's time against tcpdump's for the same bytes.
	local joined
	joined=$(join <(awk '{ print substr($6, 1, 128), $5 }' "$tab" | sort) \
		      <(handshake_pkts "$td" | awk '{ print substr($6, 1, 128), $5 }' | sort))
	check_eq "$name: every packet matched in tcpdump's capture" \
		"$(printf '%s\n' "$joined" | grep -c .)" "$(wc -l <"$tab")"
	check_eq "$name: times within ${TS_TOL_S} s of tcpdump's" \
		"$(printf '%s\n' "$joined" | awk -v tol=$TS_TOL_S '{ d = $2 - $3; if (d < 0) d = -d; if (d > m) m = d }
			END { printf "%s", m <= tol ? "yes" : "no: " m }')" yes

	"$BIN" -r "$f" -o json --timeout $TIMEOUT "${PORTS[@]}" >"$TMP/$name.re.json" 2>"$TMP/$name.re.err"
	check_eq "$name: synscope -r of the file: exit code" "$?" 0
	check_same "$name: synscope -r of the file: the live records" \
		"$(records "$TMP/$name.re.json")" "$(records "$TMP/$name.json")"
	check_eq "$name: synscope -r of the file: iface is the file's name" \
		"$(jq -r .iface "$TMP/$name.re.json" | sort -u)" "$name.pcap"
	check_eq "$name: synscope -r of the file: the live run's events" \
		"$(grep -o 'events [0-9]* written' "$TMP/$name.re.err")" "$(grep -o 'events [0-9]* written' "$TMP/$name.err")"
}

# ---- the kernel programs load with a snap length ---------------------------
# Everything live below needs them; one failure instead of one per check.
LIVE= VETH_OK=
if in_srv timeout 20 "$BIN" -i vs0 -w "$TMP/probe.pcap" --duration 0.2 >/dev/null 2>"$TMP/probe.err"; then
	ok "live -w: the kernel programs load and attach with a snap length"
	LIVE=1
else
	not_ok "live -w: synscope -w cannot trace: $(head -1 "$TMP/probe.err")"
fi
# As root with CAP_BPF and CAP_NET_ADMIN alone (no CAP_PERFMON: the
# verifier's stricter rules), XDP and tc.
for mode in xdp tc; do
	in_srv setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin timeout 20 "$BIN" -i vs0 \
		--mode $mode -w "$TMP/probe.pcap" --duration 0.2 >/dev/null 2>"$TMP/probe.err"
	rc=$?
	check_eq "live -w, --mode $mode, CAP_BPF + CAP_NET_ADMIN alone: exit code ($(head -1 "$TMP/probe.err"))" "$rc" 0
done

# ---- (a), (b): the server's veth and lo --------------------------------------
if [ -n "$LIVE" ]; then
	# A Linux cooked v2 capture of the same traffic, for the offline part.
	ip netns exec "$NS_SRV" timeout 60 tcpdump -i any -y LINUX_SLL2 --immediate-mode -U -n \
		-w "$TMP/sll2.pcap" tcp 2>"$TMP/sll2.err" &
	SLL2_PID=$!
	BG_PIDS+=($SLL2_PID)
	for _ in $(seq 100); do grep -q listening "$TMP/sll2.err" 2>/dev/null && break; sleep 0.05; done
	if live_run veth "$NS_SRV" vs0 in_cli $SRV4 $SRV6; then
		VETH_OK=1
		check_live veth
	fi
	kill -INT "$SLL2_PID" 2>/dev/null
	wait "$SLL2_PID" 2>/dev/null
	live_run lo "$NS_SRV" lo in_srv 127.0.0.1 ::1 && check_live lo
	check_eq "lo: tcx on egress only (where packets have their socket)" \
		"$(grep -o 'lo: [a-z][^(]*' "$TMP/lo.err")" "lo: tcx out "

	# ---- (c) -s 60, tc both ways on the client's veth --------------------
	if live_run snap "$NS_CLI" vc0 in_cli $SRV4 $SRV6 -s 60 --mode tc; then
		check_eq "snap: tc both ways" "$(grep -o 'vc0: [^(]*' "$TMP/snap.err")" "vc0: tcx in, tcx out "
		check_eq "snap: snap length 60 in the header" "$(pcap_header "$TMP/snap.pcap")" "a1b23c4d 60 1"
		check_eq "snap: every packet cut at 60 bytes (frame.cap_len = min(60, frame.len))" \
			"$(awk '$4 != ($3 < 60 ? $3 : 60)' "$TMP/snap.tab" | wc -l)" 0
		check_same "snap: wire lengths and first bytes = tcpdump's" \
			"$(awk '{ print $3, $6 }' "$TMP/snap.tab" | sort)" \
			"$(handshake_pkts "$TMP/snap.td.tab" | awk '{ n = $3 < 60 ? $3 : 60; print $3, substr($6, 1, 2 * n) }' | sort)"
		check_eq "snap: packets cut (wire length > 60), packets whole" \
			"$(awk '$3 > 60 { c++ } $3 <= 60 { w++ } END { print (c > 0) " " (w > 0) }' "$TMP/snap.tab")" "1 1"
	fi
fi

# ---- (d) offline: -r CAPTURE -w OUT ------------------------------------------
# CAPTURE: tcpdump's of the veth run (or, without a live run, a capture
# of the same traffic made now), data and FINs included.
if [ -z "$VETH_OK" ]; then
	start_tcpdump "$NS_SRV" vs0 "$TMP/veth.td.pcap" || not_ok "tcpdump did not start"
	hs_traffic in_cli $SRV4 $SRV6
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	pkt_table "$TMP/veth.td.pcap" >"$TMP/veth.td.tab"
fi
offline_case() { # name capture link-type
	local name=$1 in=$2 lt=$3 out=$TMP/$1.out.pcap
	"$BIN" -r "$in" -w "$out" -o json --timeout $TIMEOUT "${PORTS[@]}" >"$TMP/$name.off.json" 2>"$TMP/$name.off.err"
	check_eq "offline $name: exit code" "$?" 0
	"$BIN" -r "$in" -o json --timeout $TIMEOUT "${PORTS[@]}" >"$TMP/$name.in.json" 2>/dev/null
	check_eq "offline $name: -w changes nothing in the records" \
		"$(md5sum <"$TMP/$name.off.json")" "$(md5sum <"$TMP/$name.in.json")"
	check_eq "offline $name: the capture's link type, snap length 256" "$(pcap_header "$out")" "a1b23c4d 256 $lt"
	pkt_table "$in" >"$TMP/$name.in.tab"
	pkt_table "$out" >"$TMP/$name.out.tab"
	check_eq "offline $name: the capture has established traffic" \
		"$(count_class "$TMP/$name.in.tab" other | sed 's/^[1-9][0-9]*$/yes/')" yes
	check_eq "offline $name: packets written = handshake packets of the capture (tshark)" \
		"$(wc -l <"$TMP/$name.out.tab")" "$(handshake_pkts "$TMP/$name.in.tab" | wc -l)"
	check_eq "offline $name: per class, as in the capture" \
		"$(classes "$TMP/$name.out.tab")" "$(classes "$TMP/$name.in.tab")"
	check_eq "offline $name: no data, FIN or other ACK written" "$(count_class "$TMP/$name.out.tab" other)" 0
	check_eq "offline $name: frame.len = frame.cap_len (nothing cut)" \
		"$(awk '$3 != $4' "$TMP/$name.out.tab" | wc -l)" 0
	check_eq "offline $name: each packet unchanged, with its own time" \
		"$(comm -23 <(awk '{ print $5, $6 }' "$TMP/$name.out.tab" | sort) \
			    <(awk '{ print $5, $6 }' "$TMP/$name.in.tab" | sort) | wc -l)" 0
	"$BIN" -r "$out" -o json --timeout $TIMEOUT "${PORTS[@]}" >"$TMP/$name.re.json" 2>/dev/null
	check_eq "offline $name: synscope -r OUT: exit code" "$?" 0
	check_same "offline $name: synscope -r OUT = synscope -r CAPTURE" \
		"$(records "$TMP/$name.re.json")" "$(records "$TMP/$name.in.json")"
}
offline_case ethernet "$TMP/veth.td.pcap" 1
if [ -s "$TMP/sll2.pcap" ]; then
	offline_case sll2 "$TMP/sll2.pcap" 276
fi

# -w - offline: the packets to stdout, the records to stderr.
"$BIN" -r "$TMP/veth.td.pcap" -w - -o json --timeout $TIMEOUT "${PORTS[@]}" 2>"$TMP/off-stdout.err" |
	tcpdump -n -r - >"$TMP/off-stdout.txt" 2>/dev/null
check_eq "offline -w -: exit codes (synscope, tcpdump -r -)" "${PIPESTATUS[*]}" "0 0"
check_eq "offline -w -: tcpdump -r - reads the handshake packets" \
	"$(wc -l <"$TMP/off-stdout.txt")" "$(handshake_pkts "$TMP/veth.td.tab" | wc -l)"
check_eq "offline -w -: the records go to stderr" \
	"$(grep '^{"type":"handshake"' "$TMP/off-stdout.err" | md5sum)" "$(md5sum <"$TMP/ethernet.in.json")"

# ---- (e) errors ----------------------------------------------------------------
# Unwritable -w: one line, exit 1, before anything is attached.
for target in "$TMP" /proc/synscope-test /dev/full; do
	in_srv timeout 20 "$BIN" -i vs0 -w "$target" --duration 5 >/dev/null 2>"$TMP/e.err"
	rc=$?
	case $target in
	"$TMP") pat="cannot create $TMP: Is a directory" ;;
	/proc/*) pat="cannot create $target" ;;
	*) pat="writing /dev/full: No space left on device" ;;
	esac
	one_line_error "live -w $target" "$rc" "$TMP/e.err" 1 "$pat"
	check_eq "live -w $target: nothing left attached" "$(nothing_left)" ""
done
"$BIN" -r "$TMP/veth.td.pcap" -w "$TMP" >/dev/null 2>"$TMP/e.err"
one_line_error "offline -w into a directory" "$?" "$TMP/e.err" 1 "cannot create $TMP: Is a directory"
sum=$(md5sum <"$TMP/veth.td.pcap")
"$BIN" -r "$TMP/veth.td.pcap" -w "$TMP/./veth.td.pcap" >/dev/null 2>"$TMP/e.err"
one_line_error "offline -w onto the capture under another name" "$?" "$TMP/e.err" 1 \
	"-w would overwrite the file -r reads"
check_eq "offline -w onto the capture: the capture is intact" "$(md5sum <"$TMP/veth.td.pcap")" "$sum"

if [ -n "$LIVE" ]; then
	# A disk that fills up while tracing: a one-page tmpfs, mounted in a
	# mount namespace of its own (gone with its last process).
	mkdir -p "$TMP/small"
	unshare -m --propagation private bash -c "
		mount -t tmpfs -o size=4k synscope-test '$TMP/small' || exit 1
		ip netns exec '$NS_SRV' '$BIN' -i vs0 -o json --timeout $TIMEOUT ${PORTS[*]} --duration 60 \
			-w '$TMP/small/f.pcap' >'$TMP/full.out' 2>'$TMP/full.err'
		echo \$? >'$TMP/full.rc'
		stat -c %s '$TMP/small/f.pcap' >'$TMP/full.size'
		tcpdump -n -r '$TMP/small/f.pcap' 2>/dev/null | wc -l >'$TMP/full.read'" &
	FULL_PID=$!
	BG_PIDS+=($FULL_PID)
	for _ in $(seq 300); do
		grep -q tracing "$TMP/full.err" 2>/dev/null && break
		kill -0 "$FULL_PID" 2>/dev/null || break
		sleep 0.1
	done
	# About 250 bytes a connection: the page is full after some 16.
	ensure_listener
	for i in $(seq 60); do
		kill -0 "$FULL_PID" 2>/dev/null || break
		in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"fill $i" || true
	done
	for _ in $(seq 50); do kill -0 "$FULL_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$FULL_PID"
	check_eq "full disk: synscope stopped by itself" "$(cat "$TMP/full.rc" 2>/dev/null || echo "still running")" 1
	check_eq "full disk: one error line" \
		"$(grep -c '^synscope: writing .*/small/f.pcap: No space left on device$' "$TMP/full.err")" 1
	check_eq "full disk: the trace's summary before it" "$(grep -c '^synscope: events' "$TMP/full.err")" 1
	check_eq "full disk: the file fills the page and no more" \
		"$(awk '{ print ($1 > 24 && $1 <= 4096) ? "yes" : "no: " $1 }' "$TMP/full.size" 2>/dev/null)" yes
	check_eq "full disk: what was written reads back" \
		"$(awk '{ print ($1 > 0) ? "yes" : "no: " $1 }' "$TMP/full.read" 2>/dev/null)" yes
	check_eq "full disk: nothing left attached" "$(nothing_left)" ""

	# -w - into tcpdump -r -: the packets on stdout, the records on stderr.
	mkfifo "$TMP/pipe"
	tcpdump -n -r "$TMP/pipe" >"$TMP/pipe.txt" 2>"$TMP/pipe.rd.err" &
	RD_PID=$!
	BG_PIDS+=($RD_PID)
	start_tcpdump "$NS_SRV" vs0 "$TMP/pipe.td.pcap" || not_ok "-w -: tcpdump did not start"
	if start_ss "$NS_SRV" "$TMP/pipe" "$TMP/pipe.err" -i vs0 -o json --timeout $TIMEOUT \
		"${PORTS[@]}" -w -; then
		hs_traffic in_cli $SRV4 $SRV6
		sleep 0.5
		kill -INT "$SS_PID" 2>/dev/null
		wait "$SS_PID"
		check_eq "-w -: exit code" "$?" 0
	else
		not_ok "-w -: synscope did not start"
		kill "$RD_PID" 2>/dev/null
	fi
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	wait "$RD_PID"
	check_eq "-w -: tcpdump -r - exit code" "$?" 0
	pkt_table "$TMP/pipe.td.pcap" >"$TMP/pipe.td.tab"
	check_eq "-w -: tcpdump -r - reads every handshake packet tcpdump saw" \
		"$(wc -l <"$TMP/pipe.txt")" "$(handshake_pkts "$TMP/pipe.td.tab" | wc -l)"
	check_eq "-w -: the records on stderr" \
		"$(grep -c '^{"type":"handshake"' "$TMP/pipe.err")" "$(( (N + 1 + M + K) * 2 ))"
	check_eq "-w -: no record on stdout" "$(grep -c '"type":"handshake"' "$TMP/pipe.txt")" 0

	# A reader of -w - that goes away (tcpdump -c 3) ends the trace
	# quietly, as | head does for the records.
	mkfifo "$TMP/pipe2"
	tcpdump -n -c 3 -r "$TMP/pipe2" >"$TMP/pipe2.txt" 2>/dev/null &
	BG_PIDS+=($!)
	if start_ss "$NS_SRV" "$TMP/pipe2" "$TMP/pipe2.err" -i vs0 -o json -w -; then
		ensure_listener
		for i in $(seq 20); do
			kill -0 "$SS_PID" 2>/dev/null || break
			in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"epipe $i" || true
			sleep 0.1
		done
		for _ in $(seq 20); do kill -0 "$SS_PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$SS_PID" 2>/dev/null; then
			not_ok "-w - reader gone: synscope still runs"
			kill -INT "$SS_PID"
		else
			ok "-w - reader gone: synscope stopped by itself"
		fi
		wait "$SS_PID"
		check_eq "-w - reader gone: exit code" "$?" 0
		check_eq "-w - reader gone: no error line" "$(grep -c '^synscope: writing' "$TMP/pipe2.err")" 0
		check_eq "-w - reader gone: tcpdump -c 3 read 3" "$(wc -l <"$TMP/pipe2.txt")" 3
		check_eq "-w - reader gone: nothing left attached" "$(nothing_left)" ""
	else
		not_ok "-w - reader gone: synscope did not start"
	fi
fi
# Keep the files for a look: E2E_KEEP=DIR.
if [ -n "${E2E_KEEP:-}" ]; then cp "$TMP"/*.pcap "$TMP"/*.json "$TMP"/*.err "$E2E_KEEP"/ 2>/dev/null; fi
finish
