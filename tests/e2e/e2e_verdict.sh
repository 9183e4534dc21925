#!/usr/bin/env bash
# Why a handshake failed, from the kernel's own verdict (bpf/verdict.bpf.c)
# and from the listener's queue, each against an independent witness on
# the same traffic, in a pair of namespaces of our own (tests/lib.sh):
#  - an nftables rule drops the SYNs to one port: its counter = the SYNs
#    of the records marked NETFILTER_DROP (dropped SYN, coming in);
#  - a closed port: the SYN dropped NO_SOCKET and the RST's reason
#    NO_SOCKET, as many refused records as tcpdump's RSTs;
#  - a listener with backlog 1 that never accepts: the namespace's
#    ListenOverflows moved by the SYNs of the records marked "accept queue
#    full" (the kernel consumes such a SYN without a drop reason: the
#    queue, seen through sock_diag, is the verdict), each with its queue;
#  - SYN cookies: every handshake established, no cause;
#  - an nftables rule drops the pure ACKs to one port: the completing
#    ACK's drop is on its record (NETFILTER_DROP, the ACK coming in),
#    and ACKs that complete nothing (hping3) make no verdict at all;
# as root, as CAP_BPF + CAP_NET_ADMIN only (no verdicts, said once; the
# queue's cause stays) and with CAP_PERFMON added. Then the failed
# handshakes by cause in /metrics, and the cgroup paths under sh -c,
# timeout and setpriv inside ip netns exec.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

for need in jq ncat python3 tcpdump tshark nft setpriv curl nsenter; do
	command -v "$need" >/dev/null || { not_ok "missing $need"; finish; exit 1; }
done

DROP=9102 CLOSED=9101 ACKDROP=9103 FULL=9110 COOKIE=9200
K=${VERDICT_K:-3}   # connections per case
setup_pair
in_srv nft -f - <<NFT
table inet synscope_vd {
	counter dropped { }
	counter acks_dropped { }
	chain input {
		type filter hook input priority 0;
		tcp dport $DROP tcp flags & (syn | ack) == syn counter name "dropped" drop
		tcp dport $ACKDROP tcp flags & (fin | syn | rst | ack) == ack counter name "acks_dropped" drop
	}
}
NFT
netstat_val() { # name: the server namespace's TcpExt counter
	in_srv awk -v k="$1" '$1 == "TcpExt:" { if (!h) { split($0, n); h = 1 } else { for (i = 2; i <= NF; i++) if (n[i] == k) print $i; h = 0 } }' /proc/net/netstat
}
nft_dropped() { # [counter]
	in_srv nft -j list counter inet synscope_vd "${1:-dropped}" | jq '.nftables[] | select(.counter) | .counter.packets'
}

# The listener that never accepts (start_full_listener): a new one, on a
# port of its own, for every run, so each starts with an empty queue.

# One run: the three failing cases at once, then the records against
# the witnesses. label, wrapper (setpriv ... or nothing), verdicts on (1/0).
run_case() { # label verdicts wrap...
	local label=$1 verdicts=$2 o0 o1 d0 d1 recs n
	shift 2
	FULL=$((FULL + 1))
	start_full_listener "$FULL"
	SS_WRAP=("$@")
	in_srv sysctl -qw net.ipv4.tcp_syncookies=0
	o0=$(netstat_val ListenOverflows) d0=$(nft_dropped)
	start_tcpdump "$NS_SRV" vs0 "$TMP/$label.pcap" || { not_ok "$label: tcpdump did not start"; return; }
	start_synscope "$NS_SRV" "$TMP/$label.json" "$TMP/$label.err" -i vs0 -o json --timeout 2.5 ||
		{ not_ok "$label: synscope did not start: $(cat "$TMP/$label.err")"; SS_WRAP=(); return; }
	SS_WRAP=()
	# The queue fills with the first two (backlog 1: two wait), then each
	# SYN is consumed unanswered; every client gives up after one
	# retransmission (1.5 s).
	for i in 1 2; do in_cli timeout 1.5 ncat -w 1 --send-only $SRV4 $FULL </dev/null >/dev/null 2>&1; done
	for p in $DROP $CLOSED $FULL; do
		for i in $(seq "$K"); do
			in_cli timeout 1.5 ncat -w 1 --send-only $SRV4 $p </dev/null >/dev/null 2>&1 &
			BG_PIDS+=($!)
		done
	done
	sleep 4.5   # the timeouts (2.5 s after each first SYN) are out
	kill -INT "$SS_PID"; wait "$SS_PID"
	check_eq "$label: synscope exit code" "$?" 0
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null
	o1=$(netstat_val ListenOverflows) d1=$(nft_dropped)
	recs=$TMP/$label.json
	rec() { jq -c "select(.type == \"handshake\" and .server_port == $1)" "$recs"; }

	# The fallback, said once at the start.
	n=$(grep -c 'no kernel verdicts' "$TMP/$label.err")
	check_eq "$label: the line saying the verdicts are off" "$n" "$((1 - verdicts))"
	[ "$verdicts" = 0 ] && { grep -q "need CAP_PERFMON" "$TMP/$label.err" && ok "$label: it names CAP_PERFMON" || not_ok "$label: $(head -3 "$TMP/$label.err")"; }

	# The firewall's drops.
	check_eq "$label: dropped: $K records, timed out" "$(rec $DROP | jq -r .outcome | sort | uniq -c | awk '{print $1, $2}')" "$K timeout"
	if [ "$verdicts" = 1 ]; then
		check_eq "$label: dropped: each NETFILTER_DROP from the kernel, the SYN coming in" \
			"$(rec $DROP | jq -r '"\(.cause) \(.cause_from) \(.drop_reason) \(.drop_packet) \(.drop_dir)"' | sort -u)" \
			"NETFILTER_DROP kernel NETFILTER_DROP syn in"
		check_eq "$label: dropped: their SYNs = the nft rule's counter" \
			"$(rec $DROP | jq -s 'map(1 + .syn_retrans) | add')" "$((d1 - d0))"
	else
		check_eq "$label: dropped: no cause without the verdicts" "$(rec $DROP | jq -r '.cause // "none"' | sort -u)" none
	fi

	# The closed port.
	check_eq "$label: closed: $K records, refused" "$(rec $CLOSED | jq -r .outcome | sort | uniq -c | awk '{print $1, $2}')" "$K refused"
	check_eq "$label: closed: as many as tcpdump's RSTs" "$(rec $CLOSED | wc -l)" \
		"$(tshark_count "$TMP/$label.pcap" "tcp.srcport == $CLOSED && tcp.flags.reset == 1")"
	if [ "$verdicts" = 1 ]; then
		check_eq "$label: closed: the SYN dropped NO_SOCKET, the RST's reason NO_SOCKET" \
			"$(rec $CLOSED | jq -r '"\(.drop_reason) \(.drop_packet) \(.rst_reason) \(.cause_from)"' | sort -u)" \
			"NO_SOCKET syn NO_SOCKET kernel"
	else
		check_eq "$label: closed: no cause, and never the queue" "$(rec $CLOSED | jq -r '.cause // "none"' | sort -u)" none
	fi

	# The full accept queue: the same with or without the verdicts.
	full=$(rec $FULL | jq -c 'select(.outcome == "timeout")')
	check_eq "$label: full queue: $K unanswered SYNs" "$(grep -c . <<<"$full")" "$K"
	check_eq "$label: full queue: each marked accept queue full, from the listener's queue" \
		"$(jq -r '"\(.cause) \(.cause_from)"' <<<"$full" | sort -u)" "accept queue full listener queue"
	check_eq "$label: full queue: each with a queue longer than its backlog" \
		"$(jq -r '.accept_queue | split("/") | map(tonumber) | .[0] > .[1]' <<<"$full" | sort -u)" true
	check_eq "$label: full queue: their SYNs = the namespace's ListenOverflows" \
		"$(jq -s 'map(1 + .syn_retrans) | add' <<<"$full")" "$((o1 - o0))"
	check_eq "$label: full queue: the two that got in, established, no cause" \
		"$(rec $FULL | jq -r 'select(.outcome == "established") | .cause // "none"' | sort | uniq -c | awk '{print $1, $2}')" "2 none"
	kill "$FULL_PID" 2>/dev/null
}

run_case root 1
run_case bpf 0 setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin
run_case perfmon 1 setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin,+perfmon

# SYN cookies: every handshake answered with a cookie completes, no cause.
in_srv sysctl -qw net.ipv4.tcp_syncookies=2
in_srv timeout 30 ncat -l -k $SRV4 $COOKIE >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":$COOKIE " && break; sleep 0.1; done
start_synscope "$NS_SRV" "$TMP/c.json" "$TMP/c.err" -i vs0 -o json --timeout 2 || not_ok "cookies: synscope starts"
for _ in $(seq "$K"); do in_cli timeout 5 ncat -z $SRV4 $COOKIE; done
sleep 0.5
kill -INT "$SS_PID"; wait "$SS_PID"
recs=$(jq -c "select(.type == \"handshake\" and .server_port == $COOKIE)" "$TMP/c.json")
check_eq "cookies: $K established, no cause, a cookie each" \
	"$(jq -r '"\(.outcome) \(.cause // "none") \(.synack_cookie // false)"' <<<"$recs" | sort | uniq -c | awk '{print $1, $2, $3, $4}')" \
	"$K established none true"
in_srv sysctl -qw net.ipv4.tcp_syncookies=0

# The completing ACK dropped by the firewall: the handshake completed on
# the wire (synscope saw the ACK come in), then the kernel dropped the ACK.
in_srv timeout 30 ncat -l -k $SRV4 $ACKDROP >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":$ACKDROP " && break; sleep 0.1; done
start_synscope "$NS_SRV" "$TMP/a.json" "$TMP/a.err" -i vs0 -o json --timeout 2 || not_ok "ack drop: synscope starts"
a0=$(nft_dropped acks_dropped)
in_cli timeout 3 python3 -c 'import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
time.sleep(1)' $SRV4 $ACKDROP
sleep 0.5
kill -INT "$SS_PID"; wait "$SS_PID"
a1=$(nft_dropped acks_dropped)
[ "$((a1 - a0))" -ge 1 ] && ok "ack drop: the rule dropped the client's ACKs ($((a1 - a0)))" ||
	not_ok "ack drop: the rule dropped nothing"
check_eq "ack drop: the record has the ACK's drop, coming in, from the kernel" \
	"$(jq -r "select(.type == \"handshake\" and .server_port == $ACKDROP) | \"\(.drop_reason) \(.drop_packet) \(.drop_dir)\"" "$TMP/a.json" | sort -u)" \
	"NETFILTER_DROP ack in"
# ACKs that complete no handshake synscope saw: dropped by the same rule,
# never a verdict (a firewall that drops an ACK flood costs no events).
start_synscope "$NS_SRV" "$TMP/s.json" "$TMP/s.err" -i vs0 -o json || not_ok "stray acks: synscope starts"
a0=$(nft_dropped acks_dropped)
in_cli timeout 10 hping3 -q -A -p $ACKDROP -c 100 -i u2000 $SRV4 >/dev/null 2>&1
sleep 0.3
kill -INT "$SS_PID"; wait "$SS_PID"
a1=$(nft_dropped acks_dropped)
# (one more may be the last client's ACK, retransmitted late)
[ "$((a1 - a0))" -ge 100 ] && ok "stray acks: the rule dropped hping3's 100 ($((a1 - a0)))" ||
	not_ok "stray acks: the rule dropped $((a1 - a0)), hping3 sent 100"
check_eq "stray acks: no kernel verdict" \
	"$(sed -n 's/^synscope: kernel verdicts: \([0-9]*\) on handshake packets.*/\1/p' "$TMP/s.err")" 0

# /metrics: failed handshakes by cause, the kernel's reasons among them.
P=9464
start_synscope "$NS_SRV" "$TMP/m.json" "$TMP/m.err" -i vs0 -o json --timeout 1.2 --metrics $P ||
	not_ok "metrics: synscope starts"
for i in $(seq "$K"); do in_cli timeout 1.5 ncat -w 1 $SRV4 $DROP </dev/null >/dev/null 2>&1 & done
in_cli timeout 1.5 ncat -w 1 $SRV4 $CLOSED </dev/null >/dev/null 2>&1
sleep 3
in_srv curl -sS -m 5 "http://127.0.0.1:$P/metrics" >"$TMP/m.txt"
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "metrics: NETFILTER_DROP from the kernel" \
	"$(sed -n 's/^synscope_failed_handshakes_total{cause="NETFILTER_DROP",from="kernel"} //p' "$TMP/m.txt")" "$K"
check_eq "metrics: NO_SOCKET from the kernel" \
	"$(sed -n 's/^synscope_failed_handshakes_total{cause="NO_SOCKET",from="kernel"} //p' "$TMP/m.txt")" 1
check_eq "metrics: = the records marked so" \
	"$(jq -c 'select(.cause_from == "kernel")' "$TMP/m.json" | wc -l)" "$((K + 1))"

# cgroups under wrappers inside ip netns exec (which mounts a /sys of its
# own, without the cgroup2 mount): the client's cgroup is a path, found
# through the nearest ancestor that has the mount.
need_cgroup2
CG=$CG_MOUNT/synscope-vd-$$
mkdir -p "$CG"
trap 'cg_remove "$CG"; teardown' EXIT
in_srv timeout 30 ncat -l -k 127.0.0.1 9300 >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":9300 " && break; sleep 0.1; done
for wrap in "sh -c" timeout setpriv setpriv-caps; do
	out=$TMP/cg-${wrap// /}.json
	case $wrap in
	"sh -c") ip netns exec "$NS_SRV" sh -c "exec $BIN -i lo -o json -c 1 --duration 10" >"$out" 2>"$out.err" & ;;
	timeout) ip netns exec "$NS_SRV" timeout 10 "$BIN" -i lo -o json -c 1 >"$out" 2>"$out.err" & ;;
	setpriv) ip netns exec "$NS_SRV" setpriv --no-new-privs --inh-caps=-all \
			"$BIN" -i lo -o json -c 1 --duration 10 >"$out" 2>"$out.err" & ;;
	# Without CAP_SYS_PTRACE the shell's (more capable) /proc/PID/root is
	# out of reach: said once, and the ids still print.
	setpriv-caps) ip netns exec "$NS_SRV" setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin \
			"$BIN" -i lo -o json -c 1 --duration 10 >"$out" 2>"$out.err" & ;;
	esac
	pid=$!
	for _ in $(seq 100); do grep -q tracing "$out.err" 2>/dev/null && break; sleep 0.05; done
	in_cgroup "$CG" "$NS_SRV" timeout 5 ncat -z 127.0.0.1 9300
	wait "$pid"
	if [ "$wrap" = setpriv-caps ]; then
		check_eq "cgroup under setpriv without CAP_SYS_PTRACE: said once, naming it" \
			"$(grep -c 'no cgroup paths (.*needs CAP_SYS_PTRACE' "$out.err")" 1
		check_eq "cgroup under setpriv without CAP_SYS_PTRACE: the client's cgroup id, no path" \
			"$(jq -r 'select(.type == "handshake") | "\(.client_cgroup_id) \(.client_cgroup)"' "$out")" \
			"$(stat -c %i "$CG") null"
	else
		check_eq "cgroup under '$wrap': the client's cgroup path" \
			"$(jq -r 'select(.type == "handshake") | .client_cgroup' "$out")" "/synscope-vd-$$"
		check_eq "cgroup under '$wrap': nothing said of cgroups" "$(grep -c 'no cgroup paths' "$out.err")" 0
	fi
done
# make demo's script: synscope under `ip netns exec ... timeout`, its
# client and server in the shell's cgroup; the refused one's verdict.
SYNSCOPE=$BIN bash scripts/demo.sh >"$TMP/demo.txt" 2>&1
check_eq "demo: exit code" "$?" 0
check_eq "demo: both ends' cgroups are paths" \
	"$(grep -c "client-cgroup $(awk -F: '$1 == 0 { print $3 }' /proc/self/cgroup) " "$TMP/demo.txt")" 2
check_eq "demo: the refused one's kernel verdict" \
	"$(grep -c 'refused .* cause NO_SOCKET (kernel: syn in)  rst-reason NO_SOCKET' "$TMP/demo.txt")" 1
finish
