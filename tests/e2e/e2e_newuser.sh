#!/usr/bin/env bash
# What a new user tripped on (README, --help and the man page in hand),
# each against what it should do, and the pictures: --explain's ladder
# and the latency histograms against /metrics. In a pair of namespaces of
# our own (tests/lib.sh).
#  1. tcpdump -U -w - | synscope -r -: a record as soon as its packets
#     arrive, while tcpdump still runs; Ctrl-C while the pipe is quiet
#  3. -i X -i X: said to be given twice
#  7. text times are local time (TZ applies), JSON's UTC
#  9. "os": in every SYN object with the p0f database (null: no match),
#     in none without it
# 11. every live-only option with -r: one rule, exit 2, by name
# 12. a long capture name and IPv6 flows: the columns stay in line
# 13. a 20-byte file: its size said, exit 1
# 14. -p and --host: both must match
# the ladder in make demo; -r's progress on a terminal only; latency
# histograms (the exit summary, top's intervals) = /metrics' buckets.
# (4 is in e2e_any.sh, 5 in tests/out/test_flood.c, 6 in e2e_flood.sh,
# 8 in tests/offline/test_capture.c, 16 in e2e_cgroup_filter.sh.)
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

for need in jq ncat python3 tcpdump script curl; do
	command -v "$need" >/dev/null || { not_ok "missing $need"; finish; exit 1; }
done
setup_pair
OPEN=8080 OTHER=8081
in_srv timeout 120 ncat -l -k $OPEN >/dev/null 2>&1 &
BG_PIDS+=($!)
in_srv timeout 120 ncat -l -k $OTHER >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":$OTHER " && break; sleep 0.1; done

one_line() { # label want-rc pattern cmd...: exit code, one line, the words
	local label=$1 want=$2 pat=$3 rc
	shift 3
	"$@" >/dev/null 2>"$TMP/ol.err"
	rc=$?
	if [ "$rc" = "$want" ] && [ "$(grep -c . "$TMP/ol.err")" = 1 ] && grep -q -- "$pat" "$TMP/ol.err"; then
		ok "$label ($(cat "$TMP/ol.err"))"
	else
		not_ok "$label: exit $rc, '$(cat "$TMP/ol.err")'"
	fi
}

# ---- 1. a pipe from tcpdump ---------------------------------------------------
mkfifo "$TMP/pipe"
in_srv timeout 20 tcpdump -U -i vs0 -w - tcp 2>/dev/null >"$TMP/pipe" &
TDP=$!
BG_PIDS+=($TDP)
"$BIN" -r - -o json <"$TMP/pipe" >"$TMP/pipe.json" 2>"$TMP/pipe.err" &
RP=$!
BG_PIDS+=($RP)
sleep 1
in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<hi
for _ in $(seq 60); do [ -s "$TMP/pipe.json" ] && break; sleep 0.05; done
check_eq "1: the record is out while tcpdump still runs" \
	"$(kill -0 $TDP 2>/dev/null && jq -r 'select(.type == "handshake") | .outcome' "$TMP/pipe.json")" established
# Ctrl-C while the pipe has nothing to say: a clean end, the summary.
kill -INT $RP
for _ in $(seq 40); do kill -0 $RP 2>/dev/null || break; sleep 0.05; done
kill -0 $RP 2>/dev/null && not_ok "1: Ctrl-C: still running" || ok "1: Ctrl-C on a quiet pipe ends it"
wait $RP
check_eq "1: ... exit 0" "$?" 0
grep -q "^synscope: 1 handshake: 1 established" "$TMP/pipe.err" && ok "1: ... with its summary" ||
	not_ok "1: summary: $(cat "$TMP/pipe.err")"
kill $TDP 2>/dev/null

# ---- 3, 11, 13: wrong input ---------------------------------------------------
one_line "3: -i given twice" 2 "-i vs0 given twice" in_srv "$BIN" -i vs0 -i lo -i vs0
for opt in "--mode xdp" "--event-rate 1" "--ringbuf-kib 64" "--metrics 9464" "--cgroup /" "--duration 1"; do
	# shellcheck disable=SC2086
	one_line "11: -r with $opt" 2 "${opt%% *} applies to live tracing, not to -r" \
		"$BIN" -r tests/corpus/pcap/scenario-ipv6.pcap $opt
done
head -c 20 tests/corpus/pcap/e2e-dropped.pcap >"$TMP/short.pcap"
one_line "13: a 20-byte file" 1 "truncated capture: 20 bytes, shorter than a pcap file header (24)" \
	"$BIN" -r "$TMP/short.pcap"

# ---- 7. local time ---------------------------------------------------------------
CAP=tests/corpus/pcap/scenario-ipv6.pcap
utc=$("$BIN" -r $CAP -o json 2>/dev/null | jq -r 'select(.type == "handshake") | .ts' | head -1)
want=$(TZ=XST-05:30 date -d "$utc" +%H:%M:%S.%6N)
check_eq "7: text time = JSON's UTC in the local zone (TZ=XST-05:30)" \
	"$(TZ=XST-05:30 "$BIN" -r $CAP 2>/dev/null | head -1 | cut -d' ' -f1)" "$want"

# ---- 9. os ------------------------------------------------------------------------
if [ -r /etc/p0f/p0f.fp ]; then
	check_eq "9: every SYN object has os (null or a label)" \
		"$("$BIN" -r $CAP -o json 2>/dev/null | jq -c 'select(.type == "handshake") | .syn | has("os")' | sort -u)" true
else
	skip "9: no /etc/p0f/p0f.fp here (package p0f)"
fi
check_eq "9: --p0f-db none: no os at all" \
	"$("$BIN" -r $CAP -o json --p0f-db none 2>/dev/null | jq -c 'select(.type == "handshake") | .syn | has("os")' | sort -u)" false

# ---- 12. columns ------------------------------------------------------------------
LONG="$TMP/a-capture-file-with-a-rather-long-name-$$.pcap"
{ cat tests/corpus/pcap/e2e-ipv4-established.pcap; } >"$LONG"
# IPv4 then IPv6 flows, under a long name: each line's outcome starts in
# the same column from the first line that widened it.
python3 - "$LONG" tests/corpus/pcap/e2e-ipv6-established.pcap <<'PY'
import sys
a = open(sys.argv[1], 'rb').read()
b = open(sys.argv[2], 'rb').read()
open(sys.argv[1], 'wb').write(a + b[24:])   # same link type: one file
PY
cols=$("$BIN" -r "$LONG" 2>/dev/null | awk '{ match($0, / (established|refused|reset|timeout|open) /); print RSTART }' | sort -u)
check_eq "12: long name, IPv4 then IPv6: the outcome column is one" "$(wc -l <<<"$cols")" 1

# ---- 14. -p and --host together: both must match ------------------------------------
start_synscope "$NS_SRV" "$TMP/f.json" "$TMP/f.err" -i vs0 -o json -p $OPEN --host $SRV4 ||
	not_ok "14: synscope starts"
in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<a
in_cli ncat -w 2 --send-only $SRV6 $OPEN <<<b
in_cli ncat -w 2 --send-only $SRV4 $OTHER <<<c
sleep 0.5
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "14: -p $OPEN --host $SRV4: only that port of that host" \
	"$(jq -r 'select(.type == "handshake") | "\(.server) \(.server_port)"' "$TMP/f.json")" "$SRV4 $OPEN"

# ---- the ladder in make demo -----------------------------------------------------------
SYNSCOPE=$BIN bash scripts/demo.sh >"$TMP/demo.txt" 2>&1
check_eq "demo: exit code" "$?" 0
check_eq "demo: two ladders, one per handshake" "$(grep -c '^       client  *server$' "$TMP/demo.txt")" 2
grep -q -E '^       \|-+ SYN seq [0-9]+ -+>\|$' "$TMP/demo.txt" &&
	grep -q -E '^       \|<-+ SYN-ACK seq [0-9]+ ack [0-9]+ -+\|  \+[0-9.]+(us|ms)$' "$TMP/demo.txt" &&
	grep -q -E '^       \|-+ ACK ack [0-9]+ -+>\|  \+[0-9.]+(us|ms)$' "$TMP/demo.txt" &&
	grep -q -E '^       \|<-+ RST -+\|  \+[0-9.]+(us|ms)$' "$TMP/demo.txt" &&
	grep -q "established: the connection is open" "$TMP/demo.txt" &&
	grep -q "refused: the SYN was answered with a RST (port 2223 closed, or a firewall's reject)" "$TMP/demo.txt" &&
	ok "demo: SYN, SYN-ACK and ACK as arrows, the refused one's RST" ||
	not_ok "demo: no ladder: $(grep -A6 '^       client' "$TMP/demo.txt" | head -20)"

# ---- -r's progress: on a terminal, and only there ------------------------------------
python3 - "$TMP/big.pcap" <<'PY'
import struct, sys
# 20000 SYNs (Ethernet, IPv4, TCP with no options) to 198.18.0.2:80.
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
for i in range(20000):
    tcp = struct.pack('!HHIIBBHHH', 10000 + i % 50000, 80, i, 0, 5 << 4, 0x02, 64240, 0, 0)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), i & 0xffff, 0x4000, 64, 6, 0,
                     bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2]))
    eth = b'\x02\x00\x00\x00\x00\x02' + b'\x02\x00\x00\x00\x00\x01' + b'\x08\x00'
    pkt = eth + ip + tcp
    out.write(struct.pack('<IIII', 1700000000 + i // 1000, (i % 1000) * 1000, len(pkt), len(pkt)))
    out.write(pkt)
PY
script -qec "$BIN -r $TMP/big.pcap -o json >/dev/null" /dev/null >"$TMP/tty.out" 2>&1
grep -q -E "synscope: $TMP/big.pcap: +[0-9]+% read, [0-9]+ packets" "$TMP/tty.out" &&
	ok "-r on a terminal: its progress" || not_ok "-r on a terminal: no progress: $(head -c 300 "$TMP/tty.out")"
"$BIN" -r "$TMP/big.pcap" -o json >/dev/null 2>"$TMP/notty.err"
check_eq "-r into a file: no progress" "$(grep -c '% read' "$TMP/notty.err")" 0

# ---- latency histograms = /metrics --------------------------------------------------
# metrics_buckets FILE NAME: the per-bucket counts (not cumulative) of a
# histogram family, summed over its series, then +Inf's.
metrics_buckets() {
	awk -v n="$2_bucket" '
		index($0, n "{") == 1 { match($0, /le="[^"]*"/); le = substr($0, RSTART + 4, RLENGTH - 5)
			s = $0; sub(/.*} /, "", s); key = $0; sub(/,?le="[^"]*"/, "", key); sub(/ .*/, "", key)
			if (!(le in seen)) { seen[le] = 1; order[++k] = le }
			cum[key, le] = s; keys[key] = 1 }
		END { for (key in keys) { prev = 0; for (i = 1; i <= k; i++) { c = cum[key, order[i]]; tot[i] += c - prev; prev = c } }
			for (i = 1; i <= k; i++) printf "%s%d", (i > 1 ? "," : ""), tot[i]; print "" }' "$1"
}
# summary_buckets FILE COLUMN(1|2): the exit summary's rows, all buckets.
summary_buckets() {
	python3 - "$1" "$2" <<'PY'
import re, sys
bounds = ['10us', '25us', '50us', '100us', '250us', '500us', '1ms', '2.5ms', '5ms', '10ms', '25ms',
          '50ms', '100ms', '250ms', '500ms', '1s', '2.5s', '5s', '10s']
counts = {}
for line in open(sys.argv[1]):
    m = re.match(r'synscope:   (<=|> ) (\S+) +(\d+) [# ]*?\s*(\d+)', line)
    if m:
        key = m.group(2) if m.group(1) == '<=' else 'inf'
        counts[key] = m.group(3) if sys.argv[2] == '1' else m.group(4)
print(','.join(counts.get(b, '0') for b in bounds + ['inf']))
PY
}
P=9471
start_synscope "$NS_SRV" "$TMP/h.json" "$TMP/h.err" -i vs0 -o json --metrics $P ||
	not_ok "histograms: synscope starts"
for i in $(seq 8); do in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"$i"; done
for i in $(seq 4); do in_cli ncat -w 2 --send-only $SRV6 $OTHER <<<"$i"; done
sleep 1.5
in_srv curl -sS -m 5 "http://127.0.0.1:$P/metrics" >"$TMP/h.metrics"
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "histograms: the exit summary's syn>synack = /metrics' buckets" \
	"$(summary_buckets "$TMP/h.err" 1)" "$(metrics_buckets "$TMP/h.metrics" synscope_syn_to_synack_seconds)"
check_eq "histograms: the exit summary's synack>ack = /metrics' buckets" \
	"$(summary_buckets "$TMP/h.err" 2)" "$(metrics_buckets "$TMP/h.metrics" synscope_synack_to_ack_seconds)"
check_eq "histograms: 12 handshakes in each" \
	"$(summary_buckets "$TMP/h.err" 1 | tr ',' '\n' | awk '{ s += $1 } END { print s }')" 12
# top: its intervals' histograms add up to /metrics' at the end.
start_synscope "$NS_SRV" "$TMP/t.json" "$TMP/t.err" top -i vs0 -o json --interval 0.5 --metrics $((P + 1)) ||
	not_ok "histograms: top starts"
for i in $(seq 6); do in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"$i"; done
sleep 1.5
in_srv curl -sS -m 5 "http://127.0.0.1:$((P + 1))/metrics" >"$TMP/t.metrics"
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "histograms: top's intervals, summed = /metrics' syn>synack" \
	"$(jq -s -r '[.[] | select(.type == "interval") | .syn_to_synack_hist] | transpose | map(add) | map(tostring) | join(",")' "$TMP/t.json")" \
	"$(metrics_buckets "$TMP/t.metrics" synscope_syn_to_synack_seconds)"
check_eq "histograms: top's intervals, summed = /metrics' synack>ack" \
	"$(jq -s -r '[.[] | select(.type == "interval") | .synack_to_ack_hist] | transpose | map(add) | map(tostring) | join(",")' "$TMP/t.json")" \
	"$(metrics_buckets "$TMP/t.metrics" synscope_synack_to_ack_seconds)"
finish
