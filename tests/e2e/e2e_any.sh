#!/usr/bin/env bash
# -i any, end to end, in the pair of namespaces of tests/lib.sh: synscope in
# the server namespace traces every interface it has (vs0 and lo), and one
# made while it runs (a second veth pair, vs1 <-> vc1, 198.19.0.0/24): each
# interface's handshakes are recorded under its name, as many as tshark
# counts on it, lo's once each; the new interface is announced on stderr,
# its removal too, and the trace goes on. Then top -i any counts the SYNs
# of every interface, and the attachments are all gone at exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

if [ "$(id -u)" != 0 ]; then
	echo "e2e_any: needs root (namespaces)" >&2
	exit 1
fi
for need in jq ncat tshark tcpdump; do
	command -v "$need" >/dev/null || { not_ok "missing $need"; finish; exit 1; }
done

setup_pair
PORT=8080 N=3
in_srv timeout 60 ncat -l -k $PORT >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done

start_tcpdump "$NS_SRV" any "$TMP/any.pcap" || { not_ok "tcpdump -i any starts"; finish; exit 1; }
OUT=$TMP/any.json ERR=$TMP/any.err
start_synscope "$NS_SRV" "$OUT" "$ERR" -i any -o json --timeout 1 ||
	{ not_ok "synscope -i any starts: $(cat "$ERR")"; finish; exit 1; }
grep -q "tracing.*vs0" "$ERR" && grep -q "tracing.*lo" "$ERR" &&
	ok "the start line names vs0 and lo" || not_ok "start line: $(grep tracing "$ERR")"

for _ in $(seq $N); do
	in_cli ncat -w 2 --send-only $SRV4 $PORT <<<hi || true
	in_srv ncat -w 2 --send-only 127.0.0.1 $PORT <<<hi || true
done

# A new interface while tracing.
ip -n "$NS_CLI" link add vc1 type veth peer name vs1 netns "$NS_SRV"
ip -n "$NS_CLI" addr add 198.19.0.1/24 dev vc1
ip -n "$NS_SRV" addr add 198.19.0.2/24 dev vs1
ip -n "$NS_CLI" link set vc1 up
ip -n "$NS_SRV" link set vs1 up
for _ in $(seq 50); do grep -q "tracing new interface vs1" "$ERR" && break; sleep 0.1; done
grep -q "tracing new interface vs1" "$ERR" && ok "vs1 announced" || not_ok "vs1 not announced: $(cat "$ERR")"
# Its link may need a moment to carry traffic.
for _ in $(seq 30); do in_cli ping -c1 -W1 198.19.0.2 >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq $N); do in_cli ncat -w 2 --send-only 198.19.0.2 $PORT <<<hi || true; done

ip -n "$NS_SRV" link del vs1
for _ in $(seq 50); do grep -q "is gone" "$ERR" && break; sleep 0.1; done
grep -q "interface vs1 is gone" "$ERR" && ok "vs1's removal announced by its name" || not_ok "removal: $(cat "$ERR")"
in_cli ncat -w 2 --send-only $SRV4 $PORT <<<after || true
sleep 0.5
kill -0 "$SS_PID" 2>/dev/null && ok "still tracing after vs1 went" || not_ok "synscope ended when vs1 went"
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "exit code" "$?" 0
sleep 0.3
kill -INT "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null

est() { jq -c "select(.type == \"handshake\" and .outcome == \"established\" and .iface == \"$1\")" "$OUT" | wc -l; }
check_eq "vs0: established records" "$(est vs0)" $((N + 1))
check_eq "lo: established records, once each" "$(est lo)" "$N"
check_eq "vs1 (made while tracing): established records" "$(est vs1)" "$N"
# tshark on the same traffic (libpcap's any skips lo's outgoing copies)
check_eq "all: records = tshark's SYN-ACKs" \
	"$(jq -c 'select(.type == "handshake" and .outcome == "established")' "$OUT" | wc -l)" \
	"$(tshark_count "$TMP/any.pcap" "tcp.flags.syn == 1 && tcp.flags.ack == 1")"
check_eq "nothing left attached to vs0" "$(nothing_left)" ""
check_eq "nothing left attached to lo" "$(attached_to "$NS_SRV" lo | tr '\n' ' ')" ""

# top -i any: SYNs of every interface.
OUT=$TMP/top.json ERR=$TMP/top.err
start_synscope "$NS_SRV" "$OUT" "$ERR" top -i any -o json --interval 1 ||
	{ not_ok "top -i any starts: $(cat "$ERR")"; finish; exit 1; }
for _ in $(seq $N); do
	in_cli ncat -w 2 --send-only $SRV4 $PORT <<<hi || true
	in_srv ncat -w 2 --send-only 127.0.0.1 $PORT <<<hi || true
done
sleep 1.2
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "top -i any: exit code" "$?" 0
check_eq "top -i any: SYNs of vs0 and lo" "$(jq -s '[.[] | select(.type == "interval") | .syn] | add' "$OUT")" $((2 * N))

# Errors: -i any with another -i.
msg=$(in_srv "$BIN" -i any -i lo 2>&1)
check_eq "-i any -i lo: exit code" "$?" 2
grep -q "already means every interface" <<<"$msg" && ok "-i any -i lo: says why" || not_ok "-i any -i lo: '$msg'"

finish
