#!/usr/bin/env bash
# The benchmark harness, run with tiny sizes so it does not rot: every part
# of scripts/bench.sh runs, and the report must be complete (every table,
# every row, every figure a number). No timing is checked: the sizes are
# far too small to mean anything. The report goes to a temporary file, not
# build/bench.md.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib.sh
. tests/lib.sh

if [ "$(id -u)" != 0 ]; then
	echo "e2e_bench_smoke: needs root (BPF, namespaces)" >&2
	exit 1
fi

OUT=$TMP/bench.md
VD_N=2000 VD_ROUNDS=1
t0=$EPOCHREALTIME
env BENCH_PARTS="kernel variants veth flood ring offline busy verifier verdicts" BENCH_OUT="$OUT" \
	BENCH_REPEAT=2000 BENCH_ROUNDS=2 BENCH_PAIRS=200 \
	BENCH_VAR_REPEAT=2000 BENCH_VAR_ROUNDS=2 BENCH_VARIANTS="as built,no clock" \
	BENCH_VETH_ROUNDS=2 BENCH_VETH_SECS=1 \
	BENCH_GEN_SECS=1 BENCH_FLOOD_ROUNDS=2 BENCH_FLOOD_SECS=1 BENCH_CAP_FLOWS=2000 BENCH_CAP_SECS=1 \
	BENCH_RING_FLOWS=500 BENCH_RING_ROUNDS=2 \
	BENCH_CAP_PACKETS=3000 BENCH_OFFLINE_ROUNDS=2 \
	BENCH_BUSY_N=300 BENCH_BUSY_ROUNDS=2 \
	BENCH_VERDICT_N=$VD_N BENCH_VERDICT_ROUNDS=$VD_ROUNDS \
	scripts/bench.sh >"$TMP/stdout" 2>"$TMP/stderr" &
bench_pid=$!
# On any exit, bench.sh gets SIGTERM (never SIGKILL): it removes its own
# namespaces on the way out.
smoke_teardown() {
	kill -TERM "$bench_pid" 2>/dev/null && wait "$bench_pid" 2>/dev/null
	teardown
}
trap smoke_teardown EXIT
trap 'exit 130' INT TERM HUP
# Bounded: SIGTERM after 150 s (bench.sh cleans up on it). The watchdog
# holds no output open (the test runner reads ours through a pipe) and
# takes its sleep with it when stopped.
(
	trap 'kill "$s" 2>/dev/null; exit 0' TERM
	sleep 150 &
	s=$!
	wait "$s" && kill -TERM "$bench_pid" 2>/dev/null
) >/dev/null 2>&1 &
watchdog=$!
BG_PIDS+=("$watchdog")
wait "$bench_pid"
st=$?
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
secs=$(awk "BEGIN { printf \"%.0f\", $EPOCHREALTIME - $t0 }")
check_eq "scripts/bench.sh exit status (${secs} s)" "$st" 0
[ "$st" = 0 ] || tail -5 "$TMP/stderr"
check_eq "stdout is the report" "$(cmp -s "$TMP/stdout" "$OUT" && echo same)" same

# "median [min, max]": numbers, maybe signed, maybe with a unit after each.
NUM='[-+]?[0-9]+(\.[0-9]+)?%?'
MM="^ *$NUM \[$NUM, $NUM\] *$"

# Cells of the table rows whose first cell is $1 (exact), one row a line,
# cells separated by tabs. $2: only rows after a line matching this regex
# (and before the next "## " heading).
rows() { # first-cell [section-regex]
	awk -v want="$1" -v sec="${2:-}" '
		sec != "" && $0 ~ sec { on = 1; next }
		sec != "" && on && /^## / { on = 0 }
		(sec == "" || on) && /^\| / {
			n = split($0, c, "|"); line = ""
			for (i = 2; i < n; i++) { gsub(/^ +| +$/, "", c[i]); line = line (i > 2 ? "\t" : "") c[i] }
			split(line, f, "\t"); if (f[1] == want) print line }' "$OUT"
}
# Every cell of the given columns (1-based) of those rows is a "median [min, max]".
check_rows() { # name want-count columns first-cell [section-regex]
	local name=$1 want=$2 cols=$3 got bad
	got=$(rows "$4" "${5:-}" | wc -l)
	check_eq "$name: rows" "$got" "$want"
	bad=$(rows "$4" "${5:-}" | awk -F'\t' -v cols="$cols" -v re="$MM" '
		{ n = split(cols, k, ","); for (i = 1; i <= n; i++) if ($k[i] !~ re) print "column " k[i] " = \"" $k[i] "\"" }')
	check_eq "$name: figures parse" "${bad:-ok}" ok
}

for h in "^# synscope benchmarks" "^- machine: .*cores.*kernel " "^- synscope commit: [0-9a-f]" \
	 "^## 1\. Kernel cost per packet" "^### Where the kernel time goes" "^## 2\. Throughput" \
	 "^## 3\. SYN flood" "^## 4\. Event ring consumer" "^## 5\. Offline" "^## 7\. A busy host" \
	 "^## 8\. Verifier headroom" "^## 9\. Kernel verdicts: the tracepoint programs" \
	 "^## Targets the project tracks" \
	 "^## Where figures are far from the limit" "^Whole run: [0-9]+ s"; do
	if grep -Eq "$h" "$OUT"; then ok "report has /$h/"; else not_ok "report lacks /$h/"; fi
done

# 1. Three programs, the bare program and nine classes each; XDP also the
# other paths of the SYN. Columns: class, packet, path, ns/pkt, over bare,
# share, target.
check_eq "kernel: program tables" "$(grep -c '^#### ' "$OUT")" 3
check_rows "kernel: bare pass program" 3 4 "bare pass program" "^## 1\."
for c in "established ACK" "SYN" "SYN-ACK" "completing ACK (paired, repeat 1) ‡" \
	 "RST" "IPv6 SYN, extension headers" "VLAN SYN" "non-TCP" "filtered-out port"; do
	check_rows "kernel: $c" 3 4,5 "$c" "^## 1\."
done
for c in "SYN, --event-rate 20000 (shed)" "SYN, consumer behind (shed)" "SYN, top (flood maps), --event-rate 20000"; do
	check_rows "kernel: $c" 1 4,5 "$c" "^## 1\."
done
paths=$(awk '/^## 1\./ { on = 1 } /^## 2\./ { on = 0 } on && /^\| / && !/class \|/ && !/---/' "$OUT" |
	awk -F'|' 'NF > 6 && $4 ~ /^ *(\?)? *$/' | wc -l)
check_eq "kernel: every row says which path it took" "$paths" 0
for c in "established ACK" "SYN" "SYN-ACK" "RST"; do
	w=$(rows "$c" "^## 1\." | awk -F'\t' '{ print $3 }' | sort -u | tr '\n' ';')
	case $c in
	"established ACK") [[ $w == "ACK, no pending SYN-ACK"* ]] && ok "kernel: $c path ($w)" || not_ok "kernel: $c path: $w" ;;
	*) [[ $w == "event written 100.0%;" ]] && ok "kernel: $c path ($w)" || not_ok "kernel: $c path: $w" ;;
	esac
done
w=$(rows "SYN, consumer behind (shed)" "^## 1\." | awk -F'\t' '{ print $3 }')
[[ $w == *"shed 100.0%"* ]] && ok "kernel: consumer behind: every SYN shed ($w)" || not_ok "kernel: consumer behind: $w"
# The targets, beside their classes: "≤ N: met" or "≤ N: not met (+D)".
for c in "established ACK" "SYN" "SYN-ACK" "RST" "IPv6 SYN, extension headers" "completing ACK (paired, repeat 1) ‡"; do
	bad=$(rows "$c" "^## 1\." | awk -F'\t' '$7 !~ /^≤ [0-9]+: (met|not met \(\+[0-9]+\))$/ { print $7 }')
	check_eq "kernel: $c has its target" "${bad:-ok}" ok
done
for p in "XDP ingress" "tc ingress" "tc egress"; do
	check_rows "kernel, completing-ACK method: $p" 1 2,3,4,5,6,7 "$p" "^## 1\."
done
done_pairs=$(rows "XDP ingress" "^## 1\." | awk -F'\t' '{ split($8, a, " / "); print (a[1] == a[2] && a[1] > 0) ? "all" : $8 }')
check_eq "kernel: every pair completed a handshake" "$done_pairs" all

# Variants (two of them measured here); every variant's substitution still
# finds what it cuts in the current source.
check_rows "variants: as built" 1 2,3,4,5,6,7,8,9 "**as built**: nothing" "^### Where"
check_eq "variants: no clock measured" \
	"$(grep -c '^| \*\*no clock\*\*: .*[-+][0-9]* ([-+][0-9]*% \[' "$OUT")" 1
bench/variants.sh --check >"$TMP/variants-check" 2>&1
check_eq "variants: every substitution matches bpf/synscope.bpf.c" "$? $(grep -c ': matches$' "$TMP/variants-check")" "0 9"
grep -v ': matches$' "$TMP/variants-check"

# 2-5.
check_rows "veth: nothing attached" 1 2 "nothing attached" "^## 2\."
check_rows "veth: bare XDP" 1 2,3 "bare XDP program" "^## 2\."
check_rows "veth: synscope" 1 2,3 "synscope" "^## 2\."
flood=$(awk -F'|' '/^## 3\./ { on = 1 } /^## 4\./ { on = 0 } on && /^\| (defaults|flow table at its cap)/' "$OUT")
check_eq "flood: rows" "$(printf '%s\n' "$flood" | grep -c .)" 2
bad=$(printf '%s\n' "$flood" | awk -F'|' -v re="$MM" '{ for (i = 3; i <= 8; i++) { x = $i; if (x !~ re) print i ": " x } }')
check_eq "flood: figures parse" "${bad:-ok}" ok
check_rows "ring: synscope json" 1 2,3,4 "synscope -o json > /dev/null: engine + JSON output" "^## 4\."
check_rows "ring: synscope text" 1 2,3,4 "synscope -o text > /dev/null: engine + text output" "^## 4\."
check_rows "ring: minimal" 1 2,3 "minimal: ss_ring_consume, callback counts" "^## 4\."
t=$(rows "synscope -o json > /dev/null: engine + JSON output" "^## 4\." | awk -F'\t' '{ print $5 }')
[[ $t =~ ^"≥ 7,000,000: "(met|not met)$ ]] && ok "ring: JSON consumer has its target ($t)" || not_ok "ring: JSON target: $t"
if grep -q "or any lost or shed: 0;" "$OUT"; then ok "ring: every fill wrote 3 events per flow, none lost or shed"; else not_ok "ring: fills"; fi
want_hs=$((500 * 2 + 50))
check_eq "ring: synscope made one record per handshake" \
	"$(grep -o 'json: [0-9]* handshakes: [0-9]* established' "$OUT" | awk '{ print $2 "/" $4 }')" "$want_hs/$want_hs"
for t in synscope tcpdump tshark; do
	check_rows "offline: $t" 1 2,3,4,5,6 "$t" "^## 5\."
done
m_td=$(rows tcpdump "^## 5\." | awk -F'\t' '{ print $7 + 0 }')
m_ts=$(rows tshark "^## 5\." | awk -F'\t' '{ print $7 + 0 }')
check_eq "offline: tcpdump and tshark find the same packets" "$m_td" "$m_ts"

# 7. The busy host: ab with nothing attached, and with synscope stopped two
# ways; every figure a number (no value is checked: e2e_busy.sh does).
check_rows "busy: nothing attached" 1 2 "nothing attached" "^## 7\."
check_rows "busy: synscope, plain stop" 1 2,3,4,5,6,7 "synscope, plain stop" "^## 7\."
check_rows "busy: synscope, Ctrl-C" 1 2,3,4,5,6,7 "synscope, Ctrl-C 0.1–0.3 s after the load" "^## 7\."
check_eq "busy: ab completed every connection" "$(grep -c '^Arms in which ab did not complete every connection: 0\.' "$OUT")" 1

# 8. The verifier: each program loaded without CAP_PERFMON, with and
# without -w: instructions processed and % of the limit.
for p in "xdp (ss_xdp_ingress)" "tc ingress (ss_tc_ingress)" "tc egress (ss_tc_egress)"; do
	bad=$(rows "$p" "^## 8\." | awk -F'\t' '$2 !~ /^[0-9]+$/ || $3 !~ /^[0-9.]+%$/ || $4 !~ /^[0-9]+$/ || $5 !~ /^[0-9.]+%$/ { print }')
	check_eq "verifier: $p: rows" "$(rows "$p" "^## 8\." | wc -l)" 1
	check_eq "verifier: $p: figures" "${bad:-ok}" ok
done

# 9. The verdict programs: the per-packet table (ns over bare), the
# per-call table (kfree_skb for every kind, tcp_send_reset for the SYN)
# and its rows for scripts. Not timed: what is checked is that the
# programs ran through the library's fds and wrote a verdict for each
# SYN on each tracepoint, for nothing else, and lost none.
for p in "SYN to a closed port: a handshake packet, a verdict on each call" \
	 "RST to a closed port: TCP, not a handshake" "UDP to a closed port: not TCP" \
	 "UDP in another namespace: filtered by namespace"; do
	bad=$(rows "$p" "^## 9\." | awk -F'\t' '$3 !~ /^([-0-9]+ \+ [-0-9]+ = )?-?[0-9]+$/ { print $3 }')
	check_eq "verdicts: $p: rows" "$(rows "$p" "^## 9\." | wc -l)" 1
	check_eq "verdicts: $p: figure" "${bad:-ok}" ok
done
check_rows "verdicts: kfree_skb per call" 4 6,7,8,9 "kfree_skb" "^## 9\."
check_rows "verdicts: tcp_send_reset per call" 1 6,7,8,9 "tcp_send_reset" "^## 9\."
check_eq "verdicts: verdicts per packet, by tracepoint and kind" \
	"$(rows kfree_skb "^## 9\." | awk -F'\t' '{ printf "%s ", $3 }')$(rows tcp_send_reset "^## 9\." | awk -F'\t' '{ print $3 }')" \
	"1.00 0.00 0.00 0.00 1.00"
vd_rows=$(awk '/^## 9\./ { on = 1; next } /^## / { on = 0 } on && $1 == "row"' "$OUT")
missing=""
for k in kfree_skb.syn tcp_send_reset.syn kfree_skb.rst kfree_skb.udp kfree_skb.other-netns; do
	for m in bare verdict over_bare ratio; do
		printf '%s\n' "$vd_rows" | grep -Eq "^row $k\.$m -?[0-9.]+ (ns|x)$" || missing+=" $k.$m"
	done
done
check_eq "verdicts: rows for scripts, each tracepoint and kind" "${missing:-none missing}" "none missing"
check_eq "verdicts: written and lost" \
	"$(printf '%s\n' "$vd_rows" | awk '$2 == "verdicts.written" { w = $3 } $2 == "verdicts.lost" { l = $3 } END { print w "/" l }')" \
	"$((2 * VD_N * VD_ROUNDS))/0"

# The targets, summed up: each a figure, its target and met or not.
tg=$(awk '/^## Targets/ { on = 1; next } /^## / { on = 0 } on && /^\| / && !/^\| what/ && !/---/' "$OUT")
check_eq "targets: rows" "$(printf '%s\n' "$tg" | grep -c .)" 8
bad=$(printf '%s\n' "$tg" | awk -F'|' '$5 !~ /^ (met|not met) $/')
check_eq "targets: each met or not" "${bad:-ok}" ok

# Namespaces: bench.sh removes its own (tests/lib.sh names them by its pid).
left=$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -c -x -e "sscli-$bench_pid" -e "sssrv-$bench_pid")
check_eq "bench.sh left no namespace behind" "$left" 0

finish
