#!/usr/bin/env bash
# Why handshakes fail, as user/host/tcpstat.c reads it (build/tcpstat_dump), in
# namespaces of our own (tests/lib.sh):
#  - a listener with backlog 1 that never accepts, 20 connections at once:
#    ListenOverflows moves, read through one reader kept open across the
#    burst, and every SYN tcpdump saw unanswered is a counted drop;
#  - tcp_syncookies=2 in the server namespace: one connection is one cookie
#    sent and one received; a stray ACK after it, one cookie failed;
#  - the module's reading equals an independent awk read of the files.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

DUMP=$PWD/build/tcpstat_dump
if [ "$(id -u)" != 0 ]; then
	echo "e2e_tcpstat: needs root (namespaces)" >&2
	exit 1
fi
for need in "$DUMP" python3 hping3 ncat tshark; do
	if ! command -v "$need" >/dev/null; then
		not_ok "missing $need (build/tcpstat_dump: make build/tcpstat_dump)"
		finish
		exit 1
	fi
done

PORT=9100 COOKIE_PORT=9101 BURST=20
setup_pair
in_srv sysctl -qw net.ipv4.tcp_syncookies=0

# "Name value" lines, from awk over the header/value line pairs
awk_counters() { # ns
	ip netns exec "$1" awk '
		!($1 in hdr) { hdr[$1] = $0; next }
		{ n = split(hdr[$1], names); for (i = 2; i <= n; i++) print names[i], $i; delete hdr[$1] }
	' /proc/net/netstat /proc/net/snmp
}
# A counter from a "Name value" file
counter() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
delta() { echo $(($(counter "$2" "$1") - $(counter "$3" "$1"))); } # name after before
ge() { # label got min
	if [ "$2" -ge "$3" ]; then ok "$1 ($2 >= $3)"; else not_ok "$1: $2 < $3"; fi
}

# ---- backlog 1, never accepting, a burst ----------------------------------
start_tcpdump "$NS_SRV" vs0 "$TMP/burst.pcap" || not_ok "tcpdump did not start"
in_srv timeout 30 python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)          # accept queue: 2 connections (backlog + 1)
time.sleep(30)       # never accepts
' "$SRV4" $PORT &
BG_PIDS+=($!)
for _ in $(seq 100); do
	in_srv ss -Hltn "sport = :$PORT" | grep -q LISTEN && break
	sleep 0.05
done

# One reader for both readings: the second is the same open files read again.
# ip netns exec execs it: $! is the dump itself, for the signal.
ip netns exec "$NS_SRV" "$DUMP" --wait >"$TMP/dump" 2>"$TMP/dump.err" &
dump_pid=$!
BG_PIDS+=("$dump_pid")
for _ in $(seq 100); do grep -q '^--$' "$TMP/dump" && break; sleep 0.05; done

# BURST connects at once; 2 s for them (one SYN retransmission), then RST.
in_cli timeout 10 python3 -c '
import select, socket, struct, sys, time
socks = []
for i in range(int(sys.argv[3])):
    c = socket.socket(); c.setblocking(False)
    c.connect_ex((sys.argv[1], int(sys.argv[2]))); socks.append(c)
time.sleep(2)
_, w, _ = select.select([], socks, [], 0)
ok = sum(1 for c in w if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0)
print("client: %d of %d connected" % (ok, len(socks)))
for c in socks:
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
' "$SRV4" $PORT $BURST >"$TMP/burst.out" 2>&1
echo "# $(cat "$TMP/burst.out")"
sleep 0.3
kill -USR1 "$dump_pid" 2>/dev/null
wait "$dump_pid"
check_eq "tcpstat_dump --wait exit status" "$?" 0
sed -n '1,/^--$/p' "$TMP/dump" | grep -v '^--$' >"$TMP/before"
sed -n '/^--$/,$p' "$TMP/dump" | grep -v '^--$' >"$TMP/after"
check_eq "first reading: every counter" "$(wc -l <"$TMP/before")" 16
check_eq "second reading: every counter" "$(wc -l <"$TMP/after")" 16

overflows=$(delta ListenOverflows "$TMP/after" "$TMP/before")
drops=$(delta ListenDrops "$TMP/after" "$TMP/before")
ge "ListenOverflows moved: SYNs past the 2 queued connections" "$overflows" $((BURST - 2))
ge "ListenDrops counts the overflows" "$drops" "$overflows"
check_eq "PassiveOpens: the accept queue took 2" "$(delta PassiveOpens "$TMP/after" "$TMP/before")" 2
echo "# deltas: $(join "$TMP/before" "$TMP/after" | awk '$3 != $2 { printf "%s %+d, ", $1, $3 - $2 }')"

# The wire: each SYN that got no SYN-ACK was dropped, and counted.
sleep 0.3
kill -INT "$TD_PID" 2>/dev/null
wait "$TD_PID" 2>/dev/null
syns=$(tshark_count "$TMP/burst.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')
synacks=$(tshark_count "$TMP/burst.pcap" 'tcp.flags.syn==1 && tcp.flags.ack==1')
echo "# tcpdump: $syns SYNs, $synacks SYN-ACKs"
ge "tcpdump: a SYN for each connection" "$syns" $BURST
ge "unanswered SYNs on the wire are counted drops" "$drops" $((syns - synacks))

# ---- SYN cookies ------------------------------------------------------------
in_srv sysctl -qw net.ipv4.tcp_syncookies=2
in_srv timeout 30 ncat -l -k "$SRV4" $COOKIE_PORT >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 100); do
	in_srv ss -Hltn "sport = :$COOKIE_PORT" | grep -q LISTEN && break
	sleep 0.05
done
in_srv "$DUMP" >"$TMP/c0"
in_cli ncat -w 2 --send-only "$SRV4" $COOKIE_PORT <<<"cookie" || not_ok "connection with cookies"
sleep 0.3
in_srv "$DUMP" >"$TMP/c1"
check_eq "SyncookiesSent: one cookie" "$(delta SyncookiesSent "$TMP/c1" "$TMP/c0")" 1
check_eq "SyncookiesRecv: its ACK" "$(delta SyncookiesRecv "$TMP/c1" "$TMP/c0")" 1
check_eq "PassiveOpens: one connection" "$(delta PassiveOpens "$TMP/c1" "$TMP/c0")" 1
# An ACK that no cookie explains, while cookies are in use.
in_cli timeout 5 hping3 -q -A -p $COOKIE_PORT -s 40022 -c 1 "$SRV4" >/dev/null 2>&1
sleep 0.3
in_srv "$DUMP" >"$TMP/c2"
check_eq "SyncookiesFailed: a stray ACK" "$(delta SyncookiesFailed "$TMP/c2" "$TMP/c1")" 1

# ---- the same numbers as an independent read ---------------------------------
for p in "${BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
sleep 0.3
in_srv "$DUMP" | sort >"$TMP/module"
awk_counters "$NS_SRV" | sort | join - "$TMP/module" | awk '{ print $1, $2 }' >"$TMP/awk"
check_eq "module reading = awk's reading of /proc/net/{netstat,snmp}" \
	"$(diff "$TMP/module" "$TMP/awk" >/dev/null && echo same || diff "$TMP/module" "$TMP/awk" | tr '\n' ' ')" same
check_eq "awk found every counter too" "$(wc -l <"$TMP/awk")" 16

finish
