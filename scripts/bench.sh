#!/usr/bin/env bash
# synscope benchmarks (`make bench`, as root). They measure and report;
# they assert no timing. Timings on a shared machine are noisy, so each
# part compares against a baseline measured in the same run:
#   1. XDP cost per packet: BPF_PROG_TEST_RUN of ss_xdp_ingress against a
#      bare XDP_PASS program (build/bench_prog xdp)
#   2. SYN flood on a veth pair in two namespaces: packets seen by synscope
#      against packets sent, synscope's CPU, ring buffer events, memory
#   3. Capture reading: synscope -r against tcpdump and tshark on one
#      synthetic capture of millions of packets (build/bench_mkcap)
# The report goes to stdout and build/bench-report.txt.
#
# Knobs (environment):
#   BENCH_PARTS        which parts, default "xdp flood capture"
#   BENCH_REPEAT       test runs per XDP case, default 10000000
#   BENCH_ROUNDS       rounds over the XDP cases, default 3
#   BENCH_FLOOD_SECS   SYN flood length for top, default 8
#   BENCH_TRACE_SECS   SYN flood length for trace mode, default 15
#                      (beyond the 10 s handshake timeout: memory levels off)
#   BENCH_CAP_PACKETS  packets in the capture, default 4000000
#
# Network: only the veth pair of tests/lib.sh (198.18.0.0/15), in
# namespaces created here and removed on every exit path. Every load is
# bounded in count and in time.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "bench: run as root (BPF, namespaces)" >&2
	exit 1
fi

PARTS=${BENCH_PARTS:-xdp flood capture}
REPEAT=${BENCH_REPEAT:-10000000}
ROUNDS=${BENCH_ROUNDS:-3}
FLOOD_SECS=${BENCH_FLOOD_SECS:-8}
TRACE_SECS=${BENCH_TRACE_SECS:-15}
CAP_PACKETS=${BENCH_CAP_PACKETS:-4000000}
REPORT=build/bench-report.txt
BENCH_PROG=$PWD/build/bench_prog
MKCAP=$PWD/build/bench_mkcap

# Namespaces, $TMP, BG_PIDS and teardown() come from the test helpers.
# shellcheck source=tests/lib.sh
. tests/lib.sh
bench_teardown() {
	local g
	for g in "${GEN_GROUPS[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
	teardown
}
GEN_GROUPS=()
trap bench_teardown EXIT
trap 'exit 130' INT TERM HUP

# The tools. The guard in bench.mk makes this work whether or not the
# Makefile includes it.
${MAKE:-make} -s --no-print-directory -f Makefile -f bench/bench.mk all bench-tools

mkdir -p build
: >"$REPORT"
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
report() { tee -a "$REPORT"; }   # a command's output into the report
# The expression in parentheses: awk reads a bare ">" in printf as a redirection.
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }
ts_now() { echo "$EPOCHREALTIME"; }
wants() { [[ " $PARTS " == *" $1 "* ]]; }

say "synscope benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC')"
say "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), kernel $(uname -r)"
say "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine add noise)"
say "synscope commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- bpf user include 2>/dev/null || echo ' + uncommitted changes')"

# ---- 1. XDP cost per packet --------------------------------------------------
if wants xdp; then
	say ""
	say "== 1. XDP cost per packet =="
	say "\$ build/bench_prog xdp $REPEAT $ROUNDS"
	"$BENCH_PROG" xdp "$REPEAT" "$ROUNDS" 2>&1 | report
fi

# ---- 2. SYN flood ------------------------------------------------------------
CLK_TCK=$(getconf CLK_TCK)
proc_cpu() { # pid -> utime+stime in ticks (fields 14, 15; comm may hold spaces)
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
proc_kb() { # pid field -> kB (VmRSS, VmHWM)
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
link_stat() { # ns dev counter
	ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"
}
sys_cpu() { # "busy total" ticks over all CPUs, and softirq ticks
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i;
		print t - $5 - $6, t, $8 }' /proc/stat
}

# The flood's SYN, for trafgen: Ethernet to vs0, IPv4 from a random
# address in 198.19.0.0/16 (routed back to the client, which drops the
# answers), random port, sequence and timestamp, Linux's SYN options.
trafgen_conf() {
	local smac dmac
	smac=$(ip netns exec "$NS_CLI" cat /sys/class/net/vc0/address | sed 's/^/0x/; s/:/, 0x/g')
	dmac=$(ip netns exec "$NS_SRV" cat /sys/class/net/vs0/address | sed 's/^/0x/; s/:/, 0x/g')
	cat <<-EOF
	/* synscope bench: spoofed SYN to $SRV4:80 */
	{
	  $dmac, $smac, c16(0x0800),
	  0x45, 0x00, c16(60), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
	  198, 19, drnd(1), drnd(1),
	  $(echo "$SRV4" | tr . ,),
	  drnd(2), c16(80), drnd(4), c32(0), 0xa0, 0x02, c16(64240), csumtcp(14, 34), c16(0),
	  0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0), 0x01, 0x03, 0x03, 0x07
	}
	EOF
}

GEN=""         # trafgen or hping3, whichever sends faster
GEN_PPS=0      # its rate without synscope
GEN_SENT=0 GEN_SECS=0
# GEN_GROUPS: process groups of the generators (timeout makes one each)
# Send SYNs for at most $1 seconds (and at most 1.5 x $1 x the calibrated
# rate with trafgen). Sets GEN_SENT (vc0 tx delta) and GEN_SECS.
# trafgen runs one process: with more, a worker whose TX ring flush fails
# (EAGAIN, veth backpressure once XDP is on the peer) outlives its parent,
# so the generator's whole process group is killed afterwards.
generate() { # secs [generator]
	local secs=$1 gen=${2:-$GEN} tx0 tx1 t0 t1 n gpid
	tx0=$(link_stat "$NS_CLI" vc0 tx_packets)
	t0=$(ts_now)
	case $gen in
	trafgen)
		n=$(calc "%d" "$GEN_PPS > 0 ? $GEN_PPS * $secs * 1.5 : 5000000")
		ip netns exec "$NS_CLI" timeout -s INT -k 2 "$secs" trafgen -o vc0 \
			-i "$TMP/syn.cfg" -n "$n" -P 1 --no-sock-mem --notouch-irq \
			>"$TMP/gen.out" 2>&1 &
		;;
	hping3)
		ip netns exec "$NS_CLI" timeout -s INT -k 2 "$secs" hping3 -S -p 80 \
			-a 198.19.0.1 --flood -q "$SRV4" >"$TMP/gen.out" 2>&1 &
		;;
	esac
	gpid=$!
	GEN_GROUPS+=("$gpid")
	wait "$gpid" || true
	kill -KILL -- "-$gpid" 2>/dev/null || true
	t1=$(ts_now)
	tx1=$(link_stat "$NS_CLI" vc0 tx_packets)
	GEN_SENT=$((tx1 - tx0))
	GEN_SECS=$(calc "%.3f" "$t1 - $t0")
}

wait_tracing() { # errfile pid
	for _ in $(seq 200); do
		grep -q "tracing" "$1" 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: synscope did not start: $(cat "$1")" >&2
	return 1
}

# Run synscope on vs0 under a flood of $1 seconds; the rest is its command
# line. Leaves its stdout, stderr and measurements in $TMP/run.*.
flood_run() { # secs synscope-args...
	local secs=$1 pid stats_pid sampler_pid cpu0 cpu1 t0 t1 rx0 rx1 drop0 drop1 s0 s1 i
	shift
	ip netns exec "$NS_SRV" "$BIN" "$@" --duration $((secs + 60)) \
		>"$TMP/run.out" 2>"$TMP/run.err" &
	pid=$!
	BG_PIDS+=("$pid")
	wait_tracing "$TMP/run.err" "$pid"
	# BPF run-time statistics while the flood lasts (global; off again
	# when bench_prog exits).
	"$BENCH_PROG" stats $((secs + 30)) >"$TMP/run.stats" 2>&1 &
	stats_pid=$!
	BG_PIDS+=("$stats_pid")
	# Memory of the synscope process, once a second.
	( while kill -0 "$pid" 2>/dev/null; do
		proc_kb "$pid" VmRSS 2>/dev/null || true
		sleep 1
	  done ) >"$TMP/run.rss" &
	sampler_pid=$!
	BG_PIDS+=("$sampler_pid")
	sleep 0.2
	cpu0=$(proc_cpu "$pid")
	s0=$(sys_cpu)
	rx0=$(link_stat "$NS_SRV" vs0 rx_packets)
	drop0=$(( $(link_stat "$NS_CLI" vc0 tx_dropped) + $(link_stat "$NS_SRV" vs0 rx_dropped) ))
	t0=$(ts_now)
	generate "$secs"
	sleep 1.5   # the last interval and the ring drain
	t1=$(ts_now)
	cpu1=$(proc_cpu "$pid")
	s1=$(sys_cpu)
	rx1=$(link_stat "$NS_SRV" vs0 rx_packets)
	drop1=$(( $(link_stat "$NS_CLI" vc0 tx_dropped) + $(link_stat "$NS_SRV" vs0 rx_dropped) ))
	RUN_HWM=$(proc_kb "$pid" VmHWM)
	RUN_RSS=$(proc_kb "$pid" VmRSS)
	# synscope's programs: the prog_id of its BPF file descriptors.
	awk '$1 == "prog_id:" { print $2 }' /proc/"$pid"/fdinfo/* 2>/dev/null | sort -un |
	while read -r i; do
		bpftool prog show id "$i" -j 2>/dev/null |
			jq -r 'select((.run_cnt // 0) > 0) | "\(.name) \(.run_cnt) \(.run_time_ns)"' || true
	done >"$TMP/run.progs" || true
	kill "$stats_pid" "$sampler_pid" 2>/dev/null || true
	kill -INT "$pid" 2>/dev/null || true
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" 2>/dev/null || true
	RUN_WALL=$(calc "%.2f" "$t1 - $t0")
	RUN_CPU=$(calc "%.2f" "($cpu1 - $cpu0) / $CLK_TCK")
	RUN_RX=$((rx1 - rx0))
	RUN_DROP=$((drop1 - drop0))
	read -r b0 tt0 si0 <<<"$s0"
	read -r b1 tt1 si1 <<<"$s1"
	RUN_SYS_BUSY=$(calc "%.0f" "100 * ($b1 - $b0) / ($tt1 - $tt0)")
	RUN_SYS_SOFTIRQ=$(calc "%.0f" "100 * ($si1 - $si0) / ($tt1 - $tt0)")
}

# "syn 12," from the exit summary -> 12
summary_n() { grep -o "[(, ]$1 [0-9]*" "$2" | head -1 | grep -o '[0-9]*$' || echo 0; }

flood_common_report() { # label
	local syn progs
	syn=$(summary_n syn "$TMP/run.err")
	say "  sent (vc0 tx):            $GEN_SENT SYNs in $GEN_SECS s = $(calc "%.0f" "$GEN_SENT / $GEN_SECS") pps"
	say "  received (vs0 rx):        $RUN_RX packets, dropped on the veth $RUN_DROP"
	say "  seen by synscope (exit):  syn $syn = $(calc "%.1f" "100 * $syn / ($GEN_SENT ? $GEN_SENT : 1)")% of sent, $(calc "%.0f" "$syn / $GEN_SECS") SYN/s over the flood"
	say "  $(grep '^synscope: events' "$TMP/run.err" | sed 's/^synscope: //')"
	say "  synscope process CPU:     $RUN_CPU s in $RUN_WALL s = $(calc "%.1f" "100 * $RUN_CPU / $RUN_WALL")% of one CPU"
	say "  whole machine meanwhile:  ${RUN_SYS_BUSY}% busy, ${RUN_SYS_SOFTIRQ}% softirq (all $(nproc) CPUs; the BPF programs run in softirq)"
	if [ -s "$TMP/run.progs" ]; then
		while read -r name cnt ns; do
			say "  $(printf '%-16s' "$name") $(printf '%10d' "$cnt") runs, $(calc "%.0f" "$ns / $cnt") ns/run (BPF run-time stats, live)"
		done <"$TMP/run.progs"
	fi
	progs=$(grep -o 'tracing [^(]*([a-z]*)[^(]*' "$TMP/run.err" | head -1)
	progs=${progs#tracing }
	say "  attached: ${progs% }"
}

if wants flood; then
	say ""
	say "== 2. SYN flood on a veth pair =="
	setup_pair
	# Answers to the spoofed sources go to the client, which drops them.
	ip -n "$NS_SRV" route add 198.19.0.0/16 via "$CLI4" dev vs0
	trafgen_conf >"$TMP/syn.cfg"
	listen_secs=$((2 * 10 + FLOOD_SECS + TRACE_SECS + 120))
	ip netns exec "$NS_SRV" "$BENCH_PROG" listen "$SRV4" 80 "$listen_secs" >"$TMP/listen.out" 2>&1 &
	BG_PIDS+=("$!")
	for _ in $(seq 50); do grep -q listening "$TMP/listen.out" 2>/dev/null && break; sleep 0.05; done

	# Which generator sends faster here, without synscope?
	generate 3 trafgen
	tg_pps=$(calc "%.0f" "$GEN_SENT / $GEN_SECS")
	generate 3 hping3
	hp_pps=$(calc "%.0f" "$GEN_SENT / $GEN_SECS")
	if [ "$tg_pps" -ge "$hp_pps" ]; then GEN=trafgen GEN_PPS=$tg_pps; else GEN=hping3 GEN_PPS=$hp_pps; fi
	say "generators, 3 s each, no synscope: trafgen -P 1 $tg_pps pps, hping3 --flood $hp_pps pps -> $GEN"
	say "  trafgen -o vc0 -i syn.cfg -n N -P 1 --no-sock-mem --notouch-irq (under timeout SECS):"
	say "    spoofed sources 198.19.0.0/16, random ports, Linux SYN options (60-byte IP)"
	say "  hping3 -S -p 80 -a 198.19.0.1 --flood -q $SRV4 (under timeout SECS)"
	say "  (trafgen -P $(nproc) is faster without XDP, but once XDP is on vs0 its TX ring flush"
	say "   fails with EAGAIN (veth backpressure) and it exits at once, leaving a worker behind)"
	say "  server: listener on $SRV4:80 (syncookies answer), answers routed back to the client"

	say ""
	say "-- top: synscope top -i vs0 -o json (flood $FLOOD_SECS s) --"
	flood_run "$FLOOD_SECS" top -i vs0 -o json
	flood_common_report
	jq -s -r '[.[] | select(.type == "interval")] as $iv
		| ($iv | map(.syn) | add // 0) as $syn
		| ($iv | map(.interval_s) | add // 0) as $t
		| ($iv | map(.syn / (if .interval_s > 0 then .interval_s else 1 end)) | max // 0) as $peak
		| "  top intervals:            \($iv | length), syn \($syn) over \($t * 100 | round / 100) s, peak \($peak | round) SYN/s, events \($iv | map(.events) | add // 0), sampled out \($iv | map(.sampled_out) | add // 0), lost \($iv | map(.lost) | add // 0)"' \
		"$TMP/run.out" 2>/dev/null | report || say "  (no interval lines: $(head -c 200 "$TMP/run.out"))"
	consumed=$(grep -o '[0-9]* ring buffer events consumed' "$TMP/run.err" | grep -o '^[0-9]*' || echo 0)
	say "  ring buffer events consumed: $consumed = $(calc "%.0f" "$consumed / $GEN_SECS")/s over the flood"
	say "  memory: VmRSS $RUN_RSS kB, VmHWM $RUN_HWM kB"

	say ""
	say "-- trace: synscope -i vs0 -o json > /dev/null (flood $TRACE_SECS s) --"
	flood_run "$TRACE_SECS" -i vs0 -o json
	flood_common_report
	events=$(grep -o 'events [0-9]* written' "$TMP/run.err" | grep -o '[0-9]*' || echo 0)
	say "  ring buffer events: $events written = $(calc "%.0f" "$events / $GEN_SECS")/s over the flood"
	say "  $(grep 'handshakes:' "$TMP/run.err" | sed 's/^synscope: //')"
	say "  memory: VmRSS every second (kB): $(tr '\n' ' ' <"$TMP/run.rss")"
	say "  memory at the end: VmRSS $RUN_RSS kB, VmHWM $RUN_HWM kB"
	say "  records written: $(wc -l <"$TMP/run.out") JSON lines"

	say ""
	say "-- trace without the rate limit: synscope -i vs0 -o json --event-rate 0 > /dev/null (flood $FLOOD_SECS s) --"
	flood_run "$FLOOD_SECS" -i vs0 -o json --event-rate 0
	flood_common_report
	events=$(grep -o 'events [0-9]* written' "$TMP/run.err" | grep -o '[0-9]*' || echo 0)
	say "  ring buffer events: $events written = $(calc "%.0f" "$events / $GEN_SECS")/s over the flood"
	say "  $(grep 'handshakes:' "$TMP/run.err" | sed 's/^synscope: //')"
	say "  memory at the end: VmRSS $RUN_RSS kB, VmHWM $RUN_HWM kB"
	say ""
	say "note: trafgen and the softirq work share the same $(nproc) CPUs as synscope;"
	say "the live ns/run figures include the cost of BPF run-time statistics themselves."
fi

# ---- 3. Capture reading -------------------------------------------------------
# Wall time, CPU and peak memory of one command; stdout to $2.
timed() { # label outfile cmd...
	local label=$1 out=$2 t0 t1 st
	shift 2
	t0=$(ts_now)
	st=0
	if [ -x /usr/bin/time ]; then
		/usr/bin/time -f "%U %S %M" -o "$TMP/time.txt" timeout 600 "$@" >"$out" 2>"$TMP/$label.err" || st=$?
	else
		echo "? ? ?" >"$TMP/time.txt"
		timeout 600 "$@" >"$out" 2>"$TMP/$label.err" || st=$?
	fi
	t1=$(ts_now)
	T_WALL=$(calc "%.2f" "$t1 - $t0")
	read -r T_USER T_SYS T_KB <"$TMP/time.txt" || true
	T_STATUS=$st
}

if wants capture; then
	say ""
	say "== 3. Capture reading =="
	cap=$TMP/bench.pcap
	say "\$ build/bench_mkcap CAPTURE $CAP_PACKETS"
	"$MKCAP" "$cap" "$CAP_PACKETS" | sed 's/^/  /' | report
	cat "$cap" >/dev/null   # every reader starts from the page cache
	flt4='tcp[tcpflags] & (tcp-syn|tcp-rst) != 0'
	flt6='ip6 and ip6[6] = 6 and ip6[53] & 0x06 != 0'

	declare -A wall cpu kb matched
	timed synscope /dev/null "$BIN" -r "$cap" -o json
	wall[synscope]=$T_WALL cpu[synscope]=$(calc "%.2f" "$T_USER + $T_SYS") kb[synscope]=$T_KB
	matched[synscope]="$(summary_n syn "$TMP/synscope.err") syn, $(summary_n syn-ack "$TMP/synscope.err") syn-ack, $(summary_n rst "$TMP/synscope.err") rst"
	timed tcpdump "$TMP/tcpdump.out" tcpdump -r "$cap" -n "($flt4) or ($flt6)"
	wall[tcpdump]=$T_WALL cpu[tcpdump]=$(calc "%.2f" "$T_USER + $T_SYS") kb[tcpdump]=$T_KB
	matched[tcpdump]="$(wc -l <"$TMP/tcpdump.out") packets"
	timed tshark "$TMP/tshark.out" tshark -n -r "$cap" -Y 'tcp.flags.syn==1 || tcp.flags.reset==1'
	wall[tshark]=$T_WALL cpu[tshark]=$(calc "%.2f" "$T_USER + $T_SYS") kb[tshark]=$T_KB
	matched[tshark]="$(wc -l <"$TMP/tshark.out") packets"
	[ "$T_STATUS" = 124 ] && matched[tshark]="TIMED OUT after 600 s"

	say "commands (one run each, file in the page cache):"
	say "  synscope: build/synscope -r CAPTURE -o json > /dev/null"
	say "  tcpdump:  tcpdump -r CAPTURE -n '($flt4) or ($flt6)'"
	say "            (the IPv4 filter of the brief, plus the same test on IPv6 without extension headers: the capture is 10% IPv6)"
	say "  tshark:   tshark -n -r CAPTURE -Y 'tcp.flags.syn==1 || tcp.flags.reset==1'"
	say "  (tcpdump's and tshark's lines are kept to count them: about 3% of the packets match)"
	say ""
	say "$(printf '  %-9s %8s %8s %11s %11s %11s  %s' tool 'wall s' 'cpu s' 'max RSS MB' 'x synscope' 'packets/s' 'matched')"
	for t in synscope tcpdump tshark; do
		say "$(printf '  %-9s %8s %8s %11s %11s %11s  %s' "$t" "${wall[$t]}" "${cpu[$t]}" \
			"$(calc "%.0f" "${kb[$t]:-0} / 1024")" \
			"$(calc "%.1fx" "${wall[$t]} / ${wall[synscope]}")" \
			"$(calc "%.0f" "$CAP_PACKETS / ${wall[$t]}")" "${matched[$t]}")"
	done
	say "  synscope: $(grep 'handshakes:' "$TMP/synscope.err" | sed 's/^synscope: //')"
fi

say ""
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "report written to $REPORT"
