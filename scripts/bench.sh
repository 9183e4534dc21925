#!/usr/bin/env bash
# synscope benchmarks (`make bench`, as root). They measure and report;
# they assert no timing. A shared machine is noisy, so every figure is the
# median [min, max] of several rounds, and every ratio compares two things
# measured side by side in the same round. Absolute figures hold for the
# machine named at the top of the report only.
#   kernel   cost per packet of the XDP, tc ingress and tc egress programs
#            for nine packet classes, next to a bare program of the same
#            type (BPF_PROG_TEST_RUN; build/bench_prog kernel)
#   variants where that time goes: the XDP program rebuilt with one part
#            cut out at a time (bench/variants.sh)
#   veth     a stream of small packets on a veth pair in two namespaces:
#            packets per second delivered without anything attached, with a
#            bare XDP program, with synscope; alternating, ratio per round
#   flood    the fastest SYN flood this machine makes (trafgen or hping3)
#            with synscope tracing: counted/sent, CPU, events per second,
#            peak memory for a fixed duration and with the flow table full
#   ring     event ring consumers: synscope itself (engine + JSON or text
#            output to /dev/null) next to a consumer that only counts, all
#            fed by BPF_PROG_TEST_RUN into every CPU's ring in turn
#            (build/bench_prog ring)
#   offline  synscope -r against tcpdump -r and tshark -r on one capture
#   busy     a busy host: nginx in the server's namespace, ab -c 64 from the
#            client's; ab's connections/s with nothing attached and with
#            synscope, alternating, and synscope's records against a
#            tcpdump witness (plain stop, and Ctrl-C right after the load)
#   verifier the verifier's instructions processed per program, without
#            CAP_PERFMON (uid 65534 with CAP_BPF + CAP_NET_ADMIN), with and
#            without -w: the headroom under its limit of 1,000,000
#   verdicts the kernel-verdict tracepoint programs (bpf/verdict.bpf.c) on
#            kfree_skb and tcp_send_reset: ns per packet over a bare program
#            on the same tracepoint, for a SYN to a closed port (a verdict
#            on each), a RST (not a handshake), UDP, and a packet of another
#            namespace; BPF run-time stats on real packets
#            (build/bench/verdict_cost)
# The report, markdown, goes to stdout and to $BENCH_OUT (build/bench.md).
# The targets the project tracks are reported beside the figures (and
# summed up at the end); none is asserted.
#
# Knobs (environment), the defaults keep the whole run under 12 minutes
# on a 2-CPU machine:
#   BENCH_PARTS          default "kernel variants veth flood ring offline
#                        busy verifier verdicts" (variants, the cut-one-part
#                        builds, take about 2 minutes; verdicts about 1.5)
#   BENCH_OUT            default build/bench.md
#   BENCH_REPEAT         kernel: test runs per measurement, 10000000
#   BENCH_ROUNDS         kernel: rounds, 3
#   BENCH_PAIRS          kernel: SYN-ACK/ACK pairs per round, 100000
#   BENCH_VAR_REPEAT     variants: test runs per measurement, 100000
#   BENCH_VAR_ROUNDS     variants: rounds, 3
#   BENCH_VETH_ROUNDS    veth: rounds, 4
#   BENCH_VETH_SECS      veth: seconds per arm, 2
#   BENCH_GEN_SECS       flood: seconds of each generator's trial, 3
#   BENCH_FLOOD_ROUNDS   flood: rounds of each run, 3
#   BENCH_FLOOD_SECS     flood: fixed duration, 11 (past the 10 s
#                        handshake timeout: memory levels off)
#   BENCH_CAP_FLOWS      flood: --max-flows of the flow-table-full run,
#                        1000000 (synscope's default)
#   BENCH_CAP_SECS       flood: its duration, 0 = from the rate of the first
#                        round with synscope (1.4 x CAP_FLOWS / rate, at
#                        most 20 s)
#   BENCH_RING_FLOWS     ring: handshakes (3 events each) per round, 100000
#   BENCH_RING_ROUNDS    ring: rounds, 5
#   BENCH_CAP_PACKETS    offline: packets in the capture, 500000
#   BENCH_OFFLINE_ROUNDS offline: rounds, 3
#   BENCH_BUSY_N         busy: ab's connections per arm, 20000
#   BENCH_BUSY_ROUNDS    busy: rounds (three arms each), 3
#   BENCH_VERDICT_N      verdicts: packets of each kind per round and
#                        program, 200000
#   BENCH_VERDICT_ROUNDS verdicts: rounds, 5
#
# Network: only the veth pair of tests/lib.sh (198.18.0.0/15,
# fd00:5c::/64), in namespaces created here and removed on every exit
# path; every program is attached to its interfaces only. Except
# verdicts: verdict_cost sends on lo of two namespaces its child process
# unshares (gone with it), and its tracepoint programs, like a session's,
# run for the whole host while attached (they filter by namespace). Every
# load is bounded in count and in time.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "bench: run as root (BPF, namespaces)" >&2
	exit 1
fi

PARTS=${BENCH_PARTS:-kernel variants veth flood ring offline busy verifier verdicts}
OUT=${BENCH_OUT:-build/bench.md}
REPEAT=${BENCH_REPEAT:-10000000}
ROUNDS=${BENCH_ROUNDS:-3}
PAIRS=${BENCH_PAIRS:-100000}
VAR_REPEAT=${BENCH_VAR_REPEAT:-100000}
VAR_ROUNDS=${BENCH_VAR_ROUNDS:-3}
VETH_ROUNDS=${BENCH_VETH_ROUNDS:-4}
VETH_SECS=${BENCH_VETH_SECS:-2}
FLOOD_ROUNDS=${BENCH_FLOOD_ROUNDS:-3}
FLOOD_SECS=${BENCH_FLOOD_SECS:-11}
GEN_CAL_SECS=${BENCH_GEN_SECS:-3}
CAP_FLOWS=${BENCH_CAP_FLOWS:-1000000}
CAP_SECS=${BENCH_CAP_SECS:-0}
RING_FLOWS=${BENCH_RING_FLOWS:-100000}
RING_ROUNDS=${BENCH_RING_ROUNDS:-5}
CAP_PACKETS=${BENCH_CAP_PACKETS:-500000}
OFFLINE_ROUNDS=${BENCH_OFFLINE_ROUNDS:-3}
BUSY_N=${BENCH_BUSY_N:-20000}
BUSY_ROUNDS=${BENCH_BUSY_ROUNDS:-3}
VERDICT_N=${BENCH_VERDICT_N:-200000}
VERDICT_ROUNDS=${BENCH_VERDICT_ROUNDS:-5}
BENCH_PROG=$PWD/build/bench_prog
MKCAP=$PWD/build/bench_mkcap
VERDICT_COST=$PWD/build/bench/verdict_cost
T_START=$EPOCHREALTIME

# Namespaces, $TMP, BG_PIDS and teardown() come from the test helpers.
# shellcheck source=tests/lib.sh
. tests/lib.sh
GEN_GROUPS=()
bench_teardown() {
	local g p
	for g in "${GEN_GROUPS[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
	# Reap our background processes here, quietly (no "Killed" lines).
	for p in "${BG_PIDS[@]}"; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null || true; done
	teardown
}
trap bench_teardown EXIT
trap 'exit 130' INT TERM HUP

# Build whatever is current (someone may be changing bpf/ while this runs).
# The guard in bench.mk makes this work whether or not the Makefile
# includes it. A snapshot of the kernel sources taken before the build,
# and found unchanged after it, is what the variants are built from, and
# what the end of the run compares with.
SNAP=$PWD/build/bench-src
snapshot() {
	rm -rf "$SNAP"
	mkdir -p "$SNAP"
	cp bpf/*.c bpf/*.h include/*.h "$SNAP/"
}
src_changed() { # -> status 0 when bpf/ or include/ differ from the snapshot
	local f
	for f in bpf/*.c bpf/*.h include/*.h; do
		cmp -s "$f" "$SNAP/$(basename "$f")" || return 0
	done
	return 1
}
mkdir -p build
for _ in 1 2 3; do
	snapshot
	${MAKE:-make} -s --no-print-directory -f Makefile -f bench/bench.mk all bench-tools
	src_changed || break
done
SRC_SUM=$(cat "$SNAP"/* | sha256sum | cut -c1-12)

mkdir -p "$(dirname "$OUT")"
: >"$OUT"
md() { printf '%s\n' "$*" | tee -a "$OUT"; }
mdcat() { tee -a "$OUT"; }
# awk reads a bare ">" in printf as a redirection: the expression goes in
# parentheses.
calc() { awk "BEGIN { printf \"$1\", ($2) }"; }
ts_now() { echo "$EPOCHREALTIME"; }
wants() { [[ " $PARTS " == *" $1 "* ]]; }
progress() { echo "bench: $* ($(calc "%.0f" "$(ts_now) - $T_START") s)" >&2; }
# "median [min, max]" of the values, each printed with the format.
mm() { # fmt values...
	local f=$1
	shift
	printf '%s\n' "$@" | sort -g | awk -v f="$f" '{ v[NR] = $1 }
		END { if (!NR) { print "n/a"; exit }
		      m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		      printf f " [" f ", " f "]\n", m, v[1], v[NR] }'
}
met() { # awk condition -> "met" or "not met" (a target, reported, never asserted)
	if awk "BEGIN { exit !($1) }"; then echo met; else echo "not met"; fi
}
med() { # values... -> the median
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { if (!NR) { print 0; exit }
		      print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
git diff --quiet HEAD -- bpf user include bench 2>/dev/null ||
	commit="$commit + uncommitted changes in $(git diff --name-only HEAD -- bpf user include bench 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
os=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME" || echo '?')
hyp=$(lscpu 2>/dev/null | awk -F: '/^Hypervisor vendor/ { gsub(/^ +/, "", $2); print $2 }')
cpu_id=$(lscpu 2>/dev/null | awk -F: '/^CPU family/ { gsub(/ /, "", $2); f = $2 } /^Model:/ { gsub(/ /, "", $2); m = $2 }
	END { if (f != "") printf "family %s model %s", f, m }')

md "# synscope benchmarks"
md ""
md "- machine: $cpu_model${cpu_id:+ ($cpu_id)}, $(nproc) cores${hyp:+, a $hyp virtual machine}, $(awk '$1 == "MemTotal:" { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), $os"
md "- synscope commit: $commit; kernel sources measured: sha256 $SRC_SUM of bpf/*.{c,h} include/*.h (build/bench-src)"
md "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other jobs on this machine add noise)"
md "- every figure: median [min, max] over the rounds; ratios are taken per round, between things measured side by side in that round"

# ---- shared by the network parts -----------------------------------------------
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
summary_n() { # label errfile -> the count in synscope's exit summary, 0 if none
	summary_count "$2" "$1" || echo 0
}
stop_pid() { # pid: SIGINT, then wait up to 10 s
	local i
	kill -CONT "$1" 2>/dev/null || true
	kill -INT "$1" 2>/dev/null || true
	for i in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	wait "$1" 2>/dev/null || true
}

# start_synscope (tests/lib.sh) waits for "tracing" in its error file; a
# file left by the previous run says so at once, before the new synscope
# has attached (the load would start unseen). Each start gets a new one.
ss_start() { # ns outfile errfile args...
	rm -f "$3"
	start_synscope "$@"
}

PAIR_UP=0
pair_up() {
	[ "$PAIR_UP" = 1 ] && return 0
	setup_pair
	PAIR_UP=1
}
mac_bytes() { # ns dev -> "0x02, 0x.., ..."
	ip netns exec "$1" cat "/sys/class/net/$2/address" | sed 's/^/0x/; s/:/, 0x/g'
}

# The flood's SYN, for trafgen: Ethernet to vs0, IPv4 from a random
# address in 198.19.0.0/16 (routed back to the client, which drops the
# answers), random port, sequence and timestamp, Linux's SYN options.
syn_conf() {
	cat <<-EOF
	/* synscope bench: spoofed SYN to $SRV4:80 */
	{
	  $(mac_bytes "$NS_SRV" vs0), $(mac_bytes "$NS_CLI" vc0), c16(0x0800),
	  0x45, 0x00, c16(60), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
	  198, 19, drnd(1), drnd(1),
	  $(echo "$SRV4" | tr . ,),
	  drnd(2), c16(80), drnd(4), c32(0), 0xa0, 0x02, c16(64240), csumtcp(14, 34), c16(0),
	  0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, drnd(4), c32(0), 0x01, 0x03, 0x03, 0x07
	}
	EOF
}

# The small-packet stream: 60-byte frames (64 on the wire), TCP ACKs of
# established-looking connections from the client to $SRV4:9, random
# source port and numbers. The server's nftables drops them at prerouting
# after counting them, so nothing answers.
ack_conf() {
	cat <<-EOF
	/* synscope bench: small TCP ACKs to $SRV4:9 */
	{
	  $(mac_bytes "$NS_SRV" vs0), $(mac_bytes "$NS_CLI" vc0), c16(0x0800),
	  0x45, 0x00, c16(40), drnd(2), c16(0x4000), 64, 6, csumip(14, 33),
	  $(echo "$CLI4" | tr . ,),
	  $(echo "$SRV4" | tr . ,),
	  drnd(2), c16(9), drnd(4), drnd(4), 0x50, 0x10, c16(502), csumtcp(14, 34), c16(0),
	  0, 0, 0, 0, 0, 0
	}
	EOF
}

# Send packets for at most $1 seconds: trafgen with config $3 (at most
# $4 packets), or hping3 SYNs. Sets GEN_SENT (vc0 tx delta) and GEN_SECS.
# trafgen runs one process: with more, a worker whose TX ring flush fails
# (EAGAIN, veth backpressure once XDP is on the peer) outlives its parent,
# so the generator's whole process group is killed afterwards.
GEN_SENT=0 GEN_SECS=0
generate() { # secs trafgen|hping3 [config [max-packets]]
	local secs=$1 gen=$2 cfg=${3:-} n=${4:-50000000} tx0 tx1 t0 t1 gpid
	tx0=$(link_stat "$NS_CLI" vc0 tx_packets)
	t0=$(ts_now)
	case $gen in
	trafgen)
		ip netns exec "$NS_CLI" timeout -s INT -k 2 "$secs" trafgen -o vc0 \
			-i "$cfg" -n "$n" -P 1 --no-sock-mem --notouch-irq \
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

# ---- 1. kernel cost per packet ------------------------------------------------------
if wants kernel; then
	progress "kernel: bench_prog kernel $REPEAT $ROUNDS $PAIRS"
	md ""
	md "## 1. Kernel cost per packet"
	md ""
	BENCH_TSV=$TMP/kernel.tsv "$BENCH_PROG" kernel "$REPEAT" "$ROUNDS" "$PAIRS" >"$TMP/kernel.md"
	mdcat <"$TMP/kernel.md"
fi
if wants variants; then
	progress "variants: bench/variants.sh $VAR_REPEAT $VAR_ROUNDS"
	md ""
	md "### Where the kernel time goes: variants"
	md ""
	md "The XDP program rebuilt from the sources this run measured (build/bench-src) with one part cut out at a time (bench/variants.sh; for measuring only, some variants report wrongly), measured like the table above but with repeat $VAR_REPEAT, $VAR_ROUNDS rounds; in each round every variant runs right after a run of the program as built. First row: ns over the bare program as built (all its runs); other rows: the change against the as-built run just before, in ns and in % of it (negative = what the part costs). This machine's speed drifts by up to ~1.5x within seconds, which moves the ns but hardly the %: the note below applies the % to the main table. A variant should only move the classes whose path it cuts; what it shows in the others (code layout, or the speed changing within one measurement) is the noise of this method."
	md ""
	BENCH_SRC=$SNAP VARIANTS_TSV=$TMP/variants.tsv bench/variants.sh "$VAR_REPEAT" "$VAR_ROUNDS" >"$TMP/variants.md"
	mdcat <"$TMP/variants.md"
fi

# ---- 2. throughput on a veth pair ----------------------------------------------------
nft_delivered() {
	ip netns exec "$NS_SRV" nft -j list counter inet ssbench delivered |
		jq '[.nftables[] | select(.counter) | .counter.packets] | first // 0'
}

if wants veth; then
	progress "veth"
	pair_up
	ip netns exec "$NS_SRV" nft -f - <<-NFT
	table inet ssbench {
		counter delivered {}
		chain pre { type filter hook prerouting priority -300; ip daddr $SRV4 tcp dport 9 counter name delivered drop; }
	}
	NFT
	ack_conf >"$TMP/ack.cfg"
	declare -a v_none v_bare v_ss v_np v_rbare v_rss v_rnp v_rssb v_rnpb v_sent_none v_seen
	arm() { # none|bare|synscope|noperf -> appends delivered pps
		local a=$1 pid="" d0 d1 pps
		case $a in
		bare)
			ip netns exec "$NS_SRV" "$BENCH_PROG" xdp-pass vs0 $((VETH_SECS + 30)) \
				>"$TMP/pass.out" 2>&1 &
			pid=$!
			BG_PIDS+=("$pid")
			for _ in $(seq 100); do grep -q attached "$TMP/pass.out" 2>/dev/null && break; sleep 0.05; done
			grep -q attached "$TMP/pass.out" || { echo "bench: xdp-pass: $(cat "$TMP/pass.out")" >&2; return 1; }
			;;
		synscope)
			ss_start "$NS_SRV" /dev/null "$TMP/veth.err" -i vs0 -o json \
				--duration $((VETH_SECS + 60))
			pid=$SS_PID
			;;
		noperf)
			# Without CAP_PERFMON: no verdict programs, whose
			# kfree_skb tracepoint runs for every packet this
			# arm's nft rule drops.
			SS_WRAP=(setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin)
			ss_start "$NS_SRV" /dev/null "$TMP/veth-np.err" -i vs0 -o json \
				--duration $((VETH_SECS + 60))
			SS_WRAP=()
			pid=$SS_PID
			;;
		esac
		sleep 0.2
		d0=$(nft_delivered)
		generate "$VETH_SECS" trafgen "$TMP/ack.cfg" 100000000
		d1=$(nft_delivered)
		pps=$(calc "%.0f" "($d1 - $d0) / $GEN_SECS")
		if [ -n "$pid" ]; then stop_pid "$pid"; fi
		case $a in
		none) v_none+=("$pps"); v_sent_none+=("$(calc "%.0f" "$GEN_SENT / $GEN_SECS")") ;;
		bare) v_bare+=("$pps") ;;
		noperf) v_np+=("$pps") ;;
		synscope)
			v_ss+=("$pps")
			v_seen+=("$(calc "%.4f" "$(summary_n packets "$TMP/veth.err") / ($d1 - $d0 > 0 ? $d1 - $d0 : 1)")")
			VETH_ATTACHED=$(grep -o 'tracing [^(]*([a-z]*)[^(]*' "$TMP/veth.err" | head -1 | sed 's/^tracing //; s/ *$//')
			;;
		esac
	}
	VETH_ATTACHED="?"
	generate 1 trafgen "$TMP/ack.cfg" 100000000   # warm-up
	for r in $(seq "$VETH_ROUNDS"); do
		progress "veth: round $r/$VETH_ROUNDS"
		# Alternate the order of the arms from round to round.
		if [ $((r % 2)) = 1 ]; then order="none bare synscope noperf"; else order="noperf synscope bare none"; fi
		for a in $order; do arm "$a"; done
		v_rbare+=("$(calc "%.4f" "${v_bare[-1]} / ${v_none[-1]}")")
		v_rss+=("$(calc "%.4f" "${v_ss[-1]} / ${v_none[-1]}")")
		v_rnp+=("$(calc "%.4f" "${v_np[-1]} / ${v_none[-1]}")")
		v_rssb+=("$(calc "%.4f" "${v_ss[-1]} / ${v_bare[-1]}")")
		v_rnpb+=("$(calc "%.4f" "${v_np[-1]} / ${v_bare[-1]}")")
	done
	VETH_SS_BARE=$(med "${v_rssb[@]}")
	md ""
	md "## 2. Throughput on a veth pair"
	md ""
	md "trafgen -P 1 on the client's vc0 sends 60-byte frames (64 on the wire): TCP ACKs to $SRV4:9 from random ports, the commonest packet synscope sees. The server's nftables counts them at prerouting and drops them (nothing answers). Delivered = that counter over the $VETH_SECS s of each arm; the arms alternate within each of $VETH_ROUNDS rounds (order reversed every other round). On a veth pair, sender and receiver share one CPU: the figure is how many packets one CPU moves through both ends; the ratio is what attaching costs. Attached: synscope -i vs0 -o json (defaults: $VETH_ATTACHED); bare XDP = build/bench_prog xdp-pass vs0 (bench/pass.bpf.c): any XDP program moves veth to its NAPI receive path."
	md ""
	md "| arm | delivered packets/s | ÷ nothing attached, same round |"
	md "|---|--:|--:|"
	md "| nothing attached | $(mm "%.0f" "${v_none[@]}") | 1 |"
	md "| bare XDP program | $(mm "%.0f" "${v_bare[@]}") | $(mm "%.3f" "${v_rbare[@]}") |"
	md "| synscope | $(mm "%.0f" "${v_ss[@]}") | $(mm "%.3f" "${v_rss[@]}") |"
	md "| synscope without CAP_PERFMON (no verdict programs) | $(mm "%.0f" "${v_np[@]}") | $(mm "%.3f" "${v_rnp[@]}") |"
	md ""
	md "synscope ÷ bare XDP program, same round: $(mm "%.3f" "${v_rssb[@]}") (target ≥ 0.97: $(met "$VETH_SS_BARE >= 0.97")); without CAP_PERFMON: $(mm "%.3f" "${v_rnpb[@]}"). Every packet of this stream is dropped by nft, so with CAP_PERFMON the verdict programs' kfree_skb tracepoint runs for each one: it reads the IP and TCP headers and finds a pure ACK that completed no SYN-ACK synscope saw, so no verdict (bench part 'verdicts' has its cost per call)."
	md ""
	md "Sent with nothing attached: $(mm "%.0f" "${v_sent_none[@]}") packets/s. Packets synscope counted ÷ delivered: $(mm "%.4f" "${v_seen[@]}") (its counters include the few packets the kernel sends on its own)."
	ip netns exec "$NS_SRV" nft delete table inet ssbench 2>/dev/null || true
fi

# ---- 3 and 6. SYN flood, memory -------------------------------------------------------
# Run synscope on vs0 under a flood of $1 seconds; the rest is its command
# line. Leaves its stdout, stderr and measurements in $TMP/run.* and RUN_*.
flood_run() { # secs synscope-args...
	local secs=$1 pid stats_pid cpu0 cpu1 t0 t1 i
	shift
	ss_start "$NS_SRV" /dev/null "$TMP/run.err" "$@" --duration $((secs + 60))
	pid=$SS_PID
	# BPF run-time statistics while the flood lasts (global; off again
	# when bench_prog exits).
	"$BENCH_PROG" stats $((secs + 30)) >"$TMP/run.stats" 2>&1 &
	stats_pid=$!
	BG_PIDS+=("$stats_pid")
	sleep 0.2
	cpu0=$(proc_cpu "$pid")
	t0=$(ts_now)
	generate "$secs" "$GEN" "$TMP/syn.cfg" "$(calc "%d" "$GEN_PPS * $secs * 1.5 + 1000")"
	sleep 1.5   # the ring drains
	t1=$(ts_now)
	cpu1=$(proc_cpu "$pid")
	RUN_HWM=$(proc_kb "$pid" VmHWM)
	# synscope's programs: the prog_id of its BPF file descriptors.
	awk '$1 == "prog_id:" { print $2 }' /proc/"$pid"/fdinfo/* 2>/dev/null | sort -un |
	while read -r i; do
		bpftool prog show id "$i" -j 2>/dev/null |
			jq -r 'select((.run_cnt // 0) > 0) | "\(.name) \(.run_cnt) \(.run_time_ns)"' || true
	done >"$TMP/run.progs" || true
	kill "$stats_pid" 2>/dev/null || true
	stop_pid "$pid"
	RUN_WALL=$(calc "%.3f" "$t1 - $t0")
	RUN_CPU=$(calc "%.3f" "($cpu1 - $cpu0) / $CLK_TCK")
	RUN_BPF_NS=$(awk '{ s += $3 } END { print s + 0 }' "$TMP/run.progs")
}

if wants flood; then
	progress "flood"
	pair_up
	# Answers to the spoofed sources go to the client, which drops them.
	ip -n "$NS_SRV" route add 198.19.0.0/16 via "$CLI4" dev vs0
	syn_conf >"$TMP/syn.cfg"
	listen_secs=$(( (FLOOD_SECS + 25) * FLOOD_ROUNDS * 2 + 60 ))
	ip netns exec "$NS_SRV" "$BENCH_PROG" listen "$SRV4" 80 "$listen_secs" >"$TMP/listen.out" 2>&1 &
	listen_pid=$!
	BG_PIDS+=("$listen_pid")
	for _ in $(seq 50); do grep -q listening "$TMP/listen.out" 2>/dev/null && break; sleep 0.05; done

	# The fastest generator here, without synscope.
	generate "$GEN_CAL_SECS" trafgen "$TMP/syn.cfg" 5000000
	tg_pps=$(calc "%.0f" "$GEN_SENT / $GEN_SECS")
	generate "$GEN_CAL_SECS" hping3
	hp_pps=$(calc "%.0f" "$GEN_SENT / $GEN_SECS")
	if [ "$tg_pps" -ge "$hp_pps" ]; then GEN=trafgen GEN_PPS=$tg_pps; else GEN=hping3 GEN_PPS=$hp_pps; fi

	declare -a f_rate f_ratio f_cpu f_bpf f_ev f_hwm c_rate c_ratio c_cpu c_bpf c_ev c_hwm c_evict
	# Append the last flood_run's figures to the arrays named PREFIX_*.
	flood_sample() { # prefix (f: defaults, c: flow table at its cap)
		local -n rate=$1_rate ratio=$1_ratio cpu=$1_cpu bpf=$1_bpf ev=$1_ev hwm=$1_hwm
		local syn
		syn=$(summary_n syn "$TMP/run.err")
		rate+=("$(calc "%.0f" "$GEN_SENT / $GEN_SECS")")
		ratio+=("$(calc "%.4f" "$syn / ($GEN_SENT > 0 ? $GEN_SENT : 1)")")
		cpu+=("$(calc "%.1f" "100 * $RUN_CPU / $RUN_WALL")")
		bpf+=("$(calc "%.1f" "100 * $RUN_BPF_NS / 1e9 / $GEN_SECS")")
		ev+=("$(calc "%.0f" "$(summary_n events "$TMP/run.err") / $GEN_SECS")")
		hwm+=("$(calc "%.1f" "$RUN_HWM / 1024")")
	}
	for r in $(seq "$FLOOD_ROUNDS"); do
		progress "flood: round $r/$FLOOD_ROUNDS, default settings, $FLOOD_SECS s"
		flood_run "$FLOOD_SECS" -i vs0 -o json
		flood_sample f
		f_summary=$(grep 'events .* written' "$TMP/run.err" | sed 's/^synscope: //')
		# Long enough to fill the flow table at the rate the flood reached
		# with synscope attached (two flows' worth of events per SYN: the
		# SYN and the syncookie SYN-ACK of one handshake), bounded.
		if [ "$CAP_SECS" = 0 ]; then
			CAP_SECS=$(calc "%d" "1.4 * $CAP_FLOWS / (${f_rate[0]} > 0 ? ${f_rate[0]} : 1) + 1")
			[ "$CAP_SECS" -gt 20 ] && CAP_SECS=20
		fi

		# --timeout past the run: flows of the whole run stay tracked (with
		# the default 10 s, a flood slower than CAP_FLOWS / 10 s per second
		# never fills the table).
		progress "flood: round $r/$FLOOD_ROUNDS, --max-flows $CAP_FLOWS --timeout $((CAP_SECS + 10)), $CAP_SECS s"
		flood_run "$CAP_SECS" -i vs0 -o json --max-flows "$CAP_FLOWS" --timeout $((CAP_SECS + 10))
		flood_sample c
		c_evict+=("$(grep -o '[0-9]* flows evicted' "$TMP/run.err" | grep -o '^[0-9]*' || echo 0)")
		c_summary=$(grep 'events .* written' "$TMP/run.err" | sed 's/^synscope: //')
	done
	FLOOD_RATIO_MIN=$(printf '%s\n' "${f_ratio[@]}" "${c_ratio[@]}" | sort -g | head -1)
	# The listener's half-open connections (those before syncookies took
	# over) retransmit SYN-ACKs for a minute: close it, so the next parts
	# see no traffic of the flood.
	{ kill "$listen_pid" && wait "$listen_pid"; } 2>/dev/null || true

	md ""
	md "## 3. SYN flood on a veth pair, and 6. memory"
	md ""
	md "Generators, $GEN_CAL_SECS s each, nothing attached: trafgen -P 1 $tg_pps SYN/s, hping3 --flood $hp_pps SYN/s: the flood uses $GEN (spoofed sources in 198.19.0.0/16, random ports, Linux's SYN options, to a listener on $SRV4:80 that answers with syncookies). synscope -i vs0 -o json > /dev/null; $FLOOD_ROUNDS rounds of each run, alternating. Counted = synscope's SYN counter at exit; sent = vc0's tx counter. synscope CPU = its process (user + system) over the flood and the 1.5 s drain after it, in % of one core; BPF CPU = its programs' run time in softirq over the flood (BPF run-time statistics, on during the flood; they add two clock reads per run), in % of one core. Events per second = events written over the flood (the consumer drains them all before its exit summary). Peak RSS = VmHWM of the synscope process."
	md ""
	md "| run | SYN sent/s | counted / sent | synscope CPU | BPF CPU | events/s | peak RSS MB | flows evicted |"
	md "|---|--:|--:|--:|--:|--:|--:|--:|"
	md "| defaults, $FLOOD_SECS s | $(mm "%.0f" "${f_rate[@]}") | $(mm "%.4f" "${f_ratio[@]}") | $(mm "%.1f%%" "${f_cpu[@]}") | $(mm "%.1f%%" "${f_bpf[@]}") | $(mm "%.0f" "${f_ev[@]}") | $(mm "%.1f" "${f_hwm[@]}") | 0 |"
	md "| flow table at its cap (--max-flows $CAP_FLOWS --timeout $((CAP_SECS + 10))), $CAP_SECS s | $(mm "%.0f" "${c_rate[@]}") | $(mm "%.4f" "${c_ratio[@]}") | $(mm "%.1f%%" "${c_cpu[@]}") | $(mm "%.1f%%" "${c_bpf[@]}") | $(mm "%.0f" "${c_ev[@]}") | $(mm "%.1f" "${c_hwm[@]}") | $(mm "%.0f" "${c_evict[@]}") |"
	md ""
	md "Last round's kernel summary, defaults: $f_summary; flow table at its cap: $c_summary. The table is at its cap when flows were evicted. (--event-rate is off by default: SYN events are shed only when the consumer falls behind, a CPU's ring past half full.)"
	CAP_MISSED=$(printf '%s\n' "${c_evict[@]}" | awk '$1 == 0' | wc -l)
	if [ "$CAP_MISSED" -gt 0 ]; then
		md ""
		md "**The flow table did not reach its cap in $CAP_MISSED of $FLOOD_ROUNDS rounds** (no flow evicted): the flood was slower than the $CAP_SECS s were computed for; that row's memory is below the cap's."
	fi
fi

# ---- 4. event ring consumer -----------------------------------------------------------
if wants ring; then
	progress "ring"
	pair_up
	# Each CPU's ring holds its share of a round (3 events a flow) below
	# 45% of its slots (past half, SYNs would be shed): the smallest power
	# of two that does, in KiB of 128-byte slots (--ringbuf-kib).
	ncpu=$(nproc)
	slots=8192
	while [ "$slots" -lt $((1 << 20)) ] && [ $((slots * 45 / 100 / 3 * ncpu)) -lt "$RING_FLOWS" ]; do
		slots=$((slots * 2))
	done
	ring_kib=$((slots / 8))
	ring_secs=$((RING_ROUNDS * 30 + 60))
	# Both synscopes on CPU 1; bench_prog fills from each CPU in turn and
	# watches from CPU 0.
	SS_WRAP=(taskset -c 1)
	ss_start "$NS_SRV" /dev/null "$TMP/ring-json.err" -i vs0 -o json \
		--ringbuf-kib "$ring_kib" --duration "$ring_secs"
	json_pid=$SS_PID
	ss_start "$NS_SRV" /dev/null "$TMP/ring-text.err" -i vs0 -o text \
		--ringbuf-kib "$ring_kib" --duration "$ring_secs"
	text_pid=$SS_PID
	SS_WRAP=()
	ring_st=0
	timeout $((ring_secs + 30)) "$BENCH_PROG" ring "$RING_FLOWS" "$RING_ROUNDS" \
		"synscope -o json > /dev/null: engine + JSON output=$json_pid" \
		"synscope -o text > /dev/null: engine + text output=$text_pid" >"$TMP/ring.md" || ring_st=$?
	[ "$ring_st" = 0 ] || echo "**bench_prog ring failed (status $ring_st): the figures above, if any, are not to be trusted.**" >>"$TMP/ring.md"
	stop_pid "$json_pid"
	stop_pid "$text_pid"
	RING_JSON=$(awk -F'|' '$2 ~ /engine \+ JSON output/ { split($3, a, " "); print a[1] }' "$TMP/ring.md")
	md ""
	md "## 4. Event ring consumer"
	md ""
	mdcat <"$TMP/ring.md"
	md "Handshake records synscope made of them (exit summary): -o json: $(grep -o '[0-9]* handshakes: [0-9]* established' "$TMP/ring-json.err" || echo '?'); -o text: $(grep -o '[0-9]* handshakes: [0-9]* established' "$TMP/ring-text.err" || echo '?'). Their kernel summaries: -o json: $(grep -o 'events .* shed' "$TMP/ring-json.err" || echo '?'); -o text: $(grep -o 'events .* shed' "$TMP/ring-text.err" || echo '?')."
fi

# ---- 5. offline ---------------------------------------------------------------------
# Wall time, CPU and peak memory of one command; stdout to $2.
timed() { # label outfile cmd...
	local label=$1 out=$2 t0 t1
	shift 2
	t0=$(ts_now)
	/usr/bin/time -f "%U %S %M" -o "$TMP/time.txt" timeout 300 "$@" >"$out" 2>"$TMP/$label.err" || true
	t1=$(ts_now)
	T_WALL=$(calc "%.3f" "$t1 - $t0")
	read -r T_USER T_SYS T_KB <"$TMP/time.txt" || true
}

if wants offline; then
	progress "offline: bench_mkcap $CAP_PACKETS"
	cap=$TMP/bench.pcap
	"$MKCAP" "$cap" "$CAP_PACKETS" >"$TMP/mkcap.out"
	cat "$cap" >/dev/null   # every reader starts from the page cache
	flt4='tcp[tcpflags] & (tcp-syn|tcp-rst) != 0'
	flt6='ip6 and ip6[6] = 6 and ip6[53] & 0x06 != 0'
	declare -A o_wall o_cpu o_kb o_ratio o_matched
	tools="synscope tcpdump tshark"
	for r in $(seq "$OFFLINE_ROUNDS"); do
		progress "offline: round $r/$OFFLINE_ROUNDS"
		for t in $tools; do
			case $t in
			synscope) timed synscope /dev/null "$BIN" -r "$cap" -o json ;;
			tcpdump) timed tcpdump "$TMP/tcpdump.out" tcpdump -r "$cap" -n "($flt4) or ($flt6)" ;;
			tshark) timed tshark "$TMP/tshark.out" tshark -n -r "$cap" -Y 'tcp.flags.syn==1 || tcp.flags.reset==1' ;;
			esac
			o_wall[$t]+="$T_WALL " o_cpu[$t]+="$(calc "%.3f" "$T_USER + $T_SYS") " o_kb[$t]+="$T_KB "
			eval "w_$t=$T_WALL"
		done
		for t in $tools; do
			o_ratio[$t]+="$(calc "%.3f" "$(eval echo "\$w_$t") / $w_synscope") "
		done
		tools=$(echo "$tools" | awk '{ print $2, $3, $1 }')   # rotate the order
	done
	o_matched[synscope]="$(summary_n syn "$TMP/synscope.err") SYN, $(summary_n syn-ack "$TMP/synscope.err") SYN-ACK, $(summary_n rst "$TMP/synscope.err") RST counted; $(grep -o '[0-9]* handshakes' "$TMP/synscope.err" | head -1) reported"
	o_matched[tcpdump]="$(wc -l <"$TMP/tcpdump.out") packets printed"
	o_matched[tshark]="$(wc -l <"$TMP/tshark.out") packets printed"
	md ""
	md "## 5. Offline: reading one capture"
	md ""
	md "Capture (build/bench_mkcap, tests/support/packets.h): $(head -1 "$TMP/mkcap.out" | sed 's/^packets //'); $(sed -n 2p "$TMP/mkcap.out"). In the page cache; $OFFLINE_ROUNDS rounds, the three readers in turn (order rotated each round); ÷ synscope = wall time over synscope's in the same round."
	md ""
	md "- synscope: \`build/synscope -r CAPTURE -o json > /dev/null\` (every handshake packet through the parser, the kernel-equivalent counters and the engine; one JSON record per handshake)"
	md "- tcpdump: \`tcpdump -r CAPTURE -n '($flt4) or ($flt6)'\` (the IPv6 half tests flags without extension headers; the capture has none), output to a file"
	md "- tshark: \`tshark -n -r CAPTURE -Y 'tcp.flags.syn==1 || tcp.flags.reset==1'\`, output to a file"
	md ""
	md "| reader | wall s | CPU s | packets/s | ÷ synscope, same round | max RSS MB | what it found |"
	md "|---|--:|--:|--:|--:|--:|---|"
	for t in synscope tcpdump tshark; do
		# shellcheck disable=SC2086
		pps=$(for w in ${o_wall[$t]}; do calc "%.0f" "$CAP_PACKETS / $w"; echo; done)
		# shellcheck disable=SC2086
		md "| $t | $(mm "%.3f" ${o_wall[$t]}) | $(mm "%.3f" ${o_cpu[$t]}) | $(mm "%.0f" $pps) | $(mm "%.2f" ${o_ratio[$t]}) | $(mm "%.0f" $(for k in ${o_kb[$t]}; do calc "%.1f" "$k / 1024"; echo; done)) | ${o_matched[$t]} |"
	done
	# shellcheck disable=SC2086
	OFFLINE_TCPDUMP_RATIO=$(med ${o_ratio[tcpdump]})
fi

# ---- 7. a busy host: nginx and ab --------------------------------------------------
# The witness (as tests/e2e/e2e_busy.sh): tcpdump on vs0 keeps the
# server's SYN-ACKs from port 8080, and the distinct ones (a retransmission
# has the same destination and sequence number) are the handshakes the
# server answered.
busy_witness_start() { # file
	rm -f "$1" "$1.err"   # a previous arm's "listening" would not wait
	ip netns exec "$NS_SRV" timeout 300 tcpdump -i vs0 -n -s 96 -B 65536 --immediate-mode -U -w "$1" \
		"tcp src port $BUSY_PORT and ((ip and tcp[13] & 0x12 == 0x12) or (ip6 and ip6[53] & 0x12 == 0x12))" \
		2>"$1.err" &
	BUSY_TD=$!
	BG_PIDS+=("$BUSY_TD")
	for _ in $(seq 100); do grep -q listening "$1.err" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
busy_witness_stop() { # file -> BUSY_WANT: distinct SYN-ACKs, or "dropped N"
	local d
	sleep 0.3
	kill -INT "$BUSY_TD" 2>/dev/null || true
	wait "$BUSY_TD" 2>/dev/null || true
	d=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$1.err")
	if [ "${d:-x}" = 0 ]; then
		BUSY_WANT=$(tcpdump -nn -r "$1" 2>/dev/null |
			sed -n 's/.* > \([^ ]*\): Flags \[S\.\], seq \([0-9]*\),.*/\1 \2/p' | sort -u | wc -l)
	else
		BUSY_WANT="dropped ${d:-?}"
	fi
}
ev_field() { # errfile written|lost|shed -> from "events N written, N lost (ring full), N shed"
	sed -n "s/.*events \([0-9]*\) written, \([0-9]*\) lost (ring full), \([0-9]*\) shed.*/\1 \2 \3/p" "$1" |
		awk -v f="$2" '{ print f == "written" ? $1 : f == "lost" ? $2 : $3 }'
}

if wants busy; then
	progress "busy"
	pair_up
	BUSY_PORT=8080
	# Fixed neighbours (no ARP in the measurement) and, as e2e_busy.sh, the
	# server takes TCP from the client only.
	ip -n "$NS_CLI" neigh replace "$SRV4" lladdr "$(ip netns exec "$NS_SRV" cat /sys/class/net/vs0/address)" dev vc0 nud permanent
	ip -n "$NS_SRV" neigh replace "$CLI4" lladdr "$(ip netns exec "$NS_CLI" cat /sys/class/net/vc0/address)" dev vs0 nud permanent
	ip netns exec "$NS_SRV" nft -f - <<-NFT
	table ip ssbench_busy {
		chain input { type filter hook input priority 0; meta l4proto tcp ip saddr != $CLI4 drop; }
	}
	NFT
	# nginx (tests/lib.sh): one request per connection, all under $TMP.
	start_nginx "$BUSY_PORT" || echo "bench: busy: nginx did not start: $(cat "$TMP/nginx/error.log")" >&2
	declare -a b_none b_plain b_ctrlc b_rplain b_rctrlc b_wplain b_wctrlc
	declare -a b_evplain b_lostplain b_shedplain b_evctrlc b_lostctrlc b_shedctrlc
	BUSY_FAILED=0 BUSY_NOTES=""
	# One arm: the witness, synscope (or not), ab -c 64 -n BUSY_N, the
	# stop. Appends ab's connections/s (and synscope's figures) to the
	# arrays of the arm.
	busy_arm() { # none|plain|ctrlc [delay]
		local a=$1 delay=${2:-1} w=$TMP/busy.pcap rate done failed pid="" want rec
		busy_witness_start "$w" || { echo "bench: busy: tcpdump did not start" >&2; return 1; }
		if [ "$a" != none ]; then
			ss_start "$NS_SRV" "$TMP/busy.json" "$TMP/busy.err" -i vs0 -o json --duration 300
			pid=$SS_PID
		fi
		ip netns exec "$NS_CLI" timeout 120 ab -q -r -n "$BUSY_N" -c 64 "http://$SRV4:$BUSY_PORT/" \
			>"$TMP/ab.out" 2>&1 || true
		rate=$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$TMP/ab.out")
		done=$(sed -n 's/^Complete requests: *//p' "$TMP/ab.out")
		failed=$(sed -n 's/^Failed requests: *//p' "$TMP/ab.out")
		[ "${done:-0}/${failed:-x}" = "$BUSY_N/0" ] || BUSY_FAILED=$((BUSY_FAILED + 1))
		if [ -n "$pid" ]; then
			# A plain stop: a second for the last events to be read on
			# the poll period. Ctrl-C: right after the load.
			sleep "$delay"
			kill -INT "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
		busy_witness_stop "$w"
		want=$BUSY_WANT
		case $a in
		none) b_none+=("${rate:-0}") ;;
		*)
			rec=$(jq -c "select(.type == \"handshake\" and .outcome == \"established\" and .server_port == $BUSY_PORT)" \
				"$TMP/busy.json" | wc -l)
			local -n ab_rate=b_$a ratio=b_w$a ev=b_ev$a lost=b_lost$a shed=b_shed$a
			ab_rate+=("${rate:-0}")
			if [[ $want == dropped* ]]; then
				BUSY_NOTES+=" The witness $want packets in a $a arm (left out of records ÷ witness)."
			else
				ratio+=("$(calc "%.4f" "$rec / ($want > 0 ? $want : 1)")")
			fi
			ev+=("$(ev_field "$TMP/busy.err" written)")
			lost+=("$(ev_field "$TMP/busy.err" lost)")
			shed+=("$(ev_field "$TMP/busy.err" shed)")
			;;
		esac
	}
	delays=(0.1 0.2 0.3)
	ctrlc_used=()
	for r in $(seq "$BUSY_ROUNDS"); do
		progress "busy: round $r/$BUSY_ROUNDS"
		d=${delays[$(( (r - 1) % 3 ))]}
		ctrlc_used+=("$d")
		# The order of the arms turns from round to round.
		case $((r % 3)) in
		1) order="none plain ctrlc" ;;
		2) order="ctrlc none plain" ;;
		0) order="plain ctrlc none" ;;
		esac
		for a in $order; do busy_arm "$a" "$([ "$a" = ctrlc ] && echo "$d" || echo 1)"; done
		b_rplain+=("$(calc "%.4f" "${b_plain[-1]} / (${b_none[-1]} > 0 ? ${b_none[-1]} : 1)")")
		b_rctrlc+=("$(calc "%.4f" "${b_ctrlc[-1]} / (${b_none[-1]} > 0 ? ${b_none[-1]} : 1)")")
	done
	kill "$(cat "$TMP/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null || true
	ip netns exec "$NS_SRV" nft delete table ip ssbench_busy 2>/dev/null || true
	md ""
	md "## 7. A busy host: nginx and ab"
	md ""
	md "nginx in the server's namespace ($SRV4:$BUSY_PORT, 2 workers, one request per connection: keepalive_timeout 0) and ApacheBench in the client's: ab -c 64 -n $BUSY_N, one connection per request. Each of $BUSY_ROUNDS rounds runs three arms in turn (order turned each round): nothing attached; synscope -i vs0 -o json > file stopped with Ctrl-C 1 s after the load (plain stop); the same stopped $(printf '%s s, ' "${ctrlc_used[@]}" | sed 's/, $//') after the load (one delay a round). In every arm, the witness: tcpdump on vs0 keeping the server's SYN-ACKs, as tests/e2e/e2e_busy.sh. Connections/s = ab's requests per second; ÷ nothing is per round. Records ÷ witness = synscope's established records for port $BUSY_PORT over the witness's distinct SYN-ACKs (1 = every handshake a record). Events: the exit summary's written / lost (ring full) / shed."
	md ""
	md "| arm | ab connections/s | ÷ nothing attached, same round | records ÷ witness | events written | lost | shed |"
	md "|---|--:|--:|--:|--:|--:|--:|"
	md "| nothing attached | $(mm "%.0f" "${b_none[@]}") | 1 | | | | |"
	md "| synscope, plain stop | $(mm "%.0f" "${b_plain[@]}") | $(mm "%.3f" "${b_rplain[@]}") | $(mm "%.4f" "${b_wplain[@]}") | $(mm "%.0f" "${b_evplain[@]}") | $(mm "%.0f" "${b_lostplain[@]}") | $(mm "%.0f" "${b_shedplain[@]}") |"
	md "| synscope, Ctrl-C 0.1–0.3 s after the load | $(mm "%.0f" "${b_ctrlc[@]}") | $(mm "%.3f" "${b_rctrlc[@]}") | $(mm "%.4f" "${b_wctrlc[@]}") | $(mm "%.0f" "${b_evctrlc[@]}") | $(mm "%.0f" "${b_lostctrlc[@]}") | $(mm "%.0f" "${b_shedctrlc[@]}") |"
	md ""
	md "Arms in which ab did not complete every connection: $BUSY_FAILED.$BUSY_NOTES"
fi

# ---- 8. verifier headroom ---------------------------------------------------------
# Without CAP_PERFMON the verifier explores every path apart and stops at
# a million instructions processed: how far each program is from that, as
# synscope loads it (SYNSCOPE_VERIFIER_STATS=1 with -v prints the
# verifier's statistics; user/live/loader.c).
verifier_insns() { # errfile -> "prog insns" lines
	awk "/prog '[a-z_]+': -- BEGIN PROG LOAD LOG --/ { p = \$3; gsub(/[':]/, \"\", p) }
		/^processed [0-9]+ insns/ && p != \"\" { print p, \$2; p = \"\" }" "$1"
}
if wants verifier; then
	progress "verifier"
	pair_up
	# A copy uid 65534 can reach ($TMP itself is root's, 0700).
	chmod 711 "$TMP"
	mkdir -p "$TMP/vbin"
	chmod 755 "$TMP/vbin"
	cp "$BIN" "$TMP/vbin/synscope"
	chmod 755 "$TMP/vbin/synscope"
	declare -A vi
	for w in no yes; do
		wargs=()
		[ "$w" = yes ] && wargs=(-w /dev/null)
		SYNSCOPE_VERIFIER_STATS=1 timeout 60 ip netns exec "$NS_SRV" \
			setpriv --reuid 65534 --regid 65534 --clear-groups \
			--inh-caps=-all,+bpf,+net_admin --ambient-caps=-all,+bpf,+net_admin \
			"$TMP/vbin/synscope" -v -i vs0 --duration 1 ${wargs[@]+"${wargs[@]}"} \
			>/dev/null 2>"$TMP/verifier-$w.err" || true
		while read -r prog n; do vi[$prog,$w]=$n; done < <(verifier_insns "$TMP/verifier-$w.err")
	done
	vcell() { # prog w -> "N | P%"
		local n=${vi[$1,$2]:-}
		if [ -n "$n" ]; then
			echo "$n | $(calc "%.1f%%" "100 * $n / 1000000")"
		else
			echo "no statistics | $(grep -m1 -E '^synscope: (cannot|missing|permission)' "$TMP/verifier-$2.err" | sed 's/|/\\|/g' || echo '?')"
		fi
	}
	md ""
	md "## 8. Verifier headroom"
	md ""
	md "synscope -v -i vs0 as uid 65534 with CAP_BPF and CAP_NET_ADMIN only (setpriv --reuid 65534 --regid 65534 --clear-groups --inh-caps=-all,+bpf,+net_admin --ambient-caps=-all,+bpf,+net_admin), SYNSCOPE_VERIFIER_STATS=1: the verifier's \"processed N insns\" for each program as loaded, without and with -w (the packet copy). Without CAP_PERFMON the verifier walks more paths apart and gives up at 1,000,000 instructions processed; % = of that limit."
	md ""
	md "| program | instructions processed | % of the limit | with -w: instructions processed | % of the limit |"
	md "|---|--:|--:|--:|--:|"
	for pr in "xdp:ss_xdp_ingress" "tc ingress:ss_tc_ingress" "tc egress:ss_tc_egress"; do
		md "| ${pr%%:*} (${pr#*:}) | $(vcell "${pr#*:}" no) | $(vcell "${pr#*:}" yes) |"
	done
	VERIFIER_MAX=$(printf '%s\n' "${vi[@]}" | sort -n | tail -1)
fi

# ---- 9. kernel verdicts -----------------------------------------------------------
# verdict_cost prints markdown, then `row NAME VALUE UNIT` lines (medians);
# the per-packet table is made of those.
vrow() { # name -> the row's value as ns, "?" when absent
	awk -v n="$1" '$1 == "row" && $2 == n { printf "%.0f", $3; f = 1 } END { if (!f) printf "?" }' "$TMP/verdict.md"
}
if wants verdicts; then
	progress "verdicts: verdict_cost $VERDICT_N $VERDICT_ROUNDS"
	# Its own watchdog is 60 s + 80 us per packet sent (four kinds, two
	# programs, the rounds and a warm-up); this one only backs it up.
	verdict_st=0
	timeout $((90 + VERDICT_N * (VERDICT_ROUNDS + 1) * 8 * 80 / 1000000)) \
		"$VERDICT_COST" "$VERDICT_N" "$VERDICT_ROUNDS" >"$TMP/verdict.md" || verdict_st=$?
	[ "$verdict_st" = 0 ] || echo "**verdict_cost failed (status $verdict_st): the figures above, if any, are not to be trusted.**" >>"$TMP/verdict.md"
	vd_kf=$(vrow kfree_skb.syn.over_bare) vd_rs=$(vrow tcp_send_reset.syn.over_bare)
	vd_syn="?"
	[ "$vd_kf" != "?" ] && [ "$vd_rs" != "?" ] && vd_syn=$((vd_kf + vd_rs))
	md ""
	md "## 9. Kernel verdicts: the tracepoint programs"
	md ""
	md "With CAP_PERFMON a session loads two BTF tracepoint programs (bpf/verdict.bpf.c) on skb:kfree_skb and tcp:tcp_send_reset. They run for every packet the host drops and every RST it sends, in every namespace, and write a verdict only for a handshake packet of synscope's own namespace; a packet delivered (a SYN a listener takes, say) runs neither. Below, what they cost per packet over a bare program on the same tracepoint (bench/tp_bare.bpf.c): medians of build/bench/verdict_cost $VERDICT_N $VERDICT_ROUNDS, whose per-call table follows. The kernel times them (BPF run-time statistics), and its own clock reads are most of the bare program's time: over bare is what the verdict programs cost, the ratio overstates it."
	md ""
	md "| packet | tracepoint calls | ns over bare, median |"
	md "|---|---|--:|"
	md "| SYN to a closed port: a handshake packet, a verdict on each call | kfree_skb + tcp_send_reset | $vd_kf + $vd_rs = $vd_syn |"
	md "| RST to a closed port: TCP, not a handshake | kfree_skb | $(vrow kfree_skb.rst.over_bare) |"
	md "| UDP to a closed port: not TCP | kfree_skb | $(vrow kfree_skb.udp.over_bare) |"
	md "| UDP in another namespace: filtered by namespace | kfree_skb | $(vrow kfree_skb.other-netns.over_bare) |"
	md ""
	md "Per call (build/bench/verdict_cost):"
	md ""
	mdcat <"$TMP/verdict.md"
fi

# ---- the kernel part of the closing note: mechanisms, with this run's numbers
kv() { # prog class -> ns over bare (median) from the kernel table
	awk -F'\t' -v p="$1" -v c="$2" '$1 == p && $2 == c { printf "%.0f", $4; f = 1 } END { if (!f) printf "?" }' "$TMP/kernel.tsv"
}
vv() { # variant class -> its saving applied to the main table's XDP figure for
	# that class (ns, positive), "" if not measured
	[ -f "$TMP/variants.tsv" ] || return 0
	local k
	k=$(kv ss_xdp_ingress "$2")
	awk -F'\t' -v v="$1" -v c="$2" -v k="$k" '$1 == v && $2 == c && k != "?" { printf "%.0f", -$4 * k / 100 }' "$TMP/variants.tsv"
}
vs() { # variant class -> its saving in % of the class, "" if not measured
	[ -f "$TMP/variants.tsv" ] || return 0
	awk -F'\t' -v v="$1" -v c="$2" '$1 == v && $2 == c { printf "%.0f%%", -$4 }' "$TMP/variants.tsv"
}
# What the snapshot's source does, so that the note explains only what is
# still there: status 0 when the pattern is in the file.
src_has() { grep -q -- "$2" "$SNAP/$1" 2>/dev/null; }
big() { [ -n "${1:-}" ] && [ "$1" -ge 10 ]; }  # a measured saving worth a line
# A variant's saving (vv) when it is one; "" when not measured or when this
# run's noise made it zero or negative (said apart by noise_line).
saving() { # variant class
	local v
	v=$(vv "$1" "$2")
	[ -n "$v" ] && [ "$v" -ge 1 ] && echo "$v"
	return 0
}
noise_line() { # title variant class: a measured variant that saved nothing
	[ -n "$(vv "$2" "$3")" ] && [ -z "$(saving "$2" "$3")" ] &&
		echo "- **$1** (variant \"$2\"): no saving measurable in this run ($(vs "$2" "$3") of a $3: within this machine's noise)."
	return 0
}
kernel_note() {
	# Empty unless measured (variants is an opt-in part).
	local ack="" nontcp="" syn="" full="" parse="" walk="" walk_sa="" walk_v6=""
	local upd="" del="" clk="" filt="" plain="" pcpu="" b0="" b1="" a0="" a1="" x=""
	ack=$(kv ss_xdp_ingress "established ACK") nontcp=$(kv ss_xdp_ingress non-TCP)
	syn=$(kv ss_xdp_ingress SYN) full=$(kv ss_xdp_ingress "SYN, consumer behind (shed)")
	# The machine's speed: the spread of the bare program and the
	# established ACK over the rounds.
	read -r b0 b1 < <(awk -F'|' '/^#### XDP/ { on = 1 } on && /^\| bare pass program/ { split($5, a, /[][, ]+/); print a[3], a[4]; exit }' "$TMP/kernel.md")
	read -r a0 a1 < <(awk -F'|' '/^#### XDP/ { on = 1 } on && /^\| established ACK/ { split($5, a, /[][, ]+/); print a[3], a[4]; exit }' "$TMP/kernel.md")
	echo "Why, with the XDP program's figures of the main table. Where a variant was measured, its saving is given as its share of the class (from the variants table, where it is robust to this machine's drifting speed) and that share of the main table's figure in ns. What each part does and what would make it cheaper is said only where the measured source still does it that way."
	if [ -n "${a0:-}" ] && awk "BEGIN { exit !(${a1:-0} > 1.3 * ${a0:-1}) }"; then
		echo "(The speed drifted within this run: the established ACK took $a0 to $a1 ns per packet over the rounds, the bare program $b0 to $b1 ns. On this VM everything sometimes runs about 1.5x slower for a while; the min of a spread is the undisturbed speed.)"
	fi
	echo ""
	local slot="" pend_sa="" pend_rst="" occ="" opt="" ring="" ring_sa="" fill="" fill_sa=""
	if [ -f "$TMP/variants.tsv" ]; then
		x=$(vv "return after parsing" "established ACK")
		[ -n "$x" ] && parse=$((ack - x))
		slot=$(saving "no interface slot" "established ACK")
		pend_sa=$(saving "no pending table" SYN-ACK) pend_rst=$(saving "no pending table" RST)
		occ=$(saving "no occupancy counts" SYN-ACK)
		opt=$(saving "no option copy" SYN)
		clk=$(saving "no clock" SYN)
		ring=$(saving "no ring" SYN) ring_sa=$(saving "no ring" SYN-ACK)
		fill=$(saving "no fill" SYN) fill_sa=$(saving "no fill" SYN-ACK)
	fi
	echo "- **Every packet pays for the parse** (established ACK $ack ns, non-TCP $nontcp ns over bare${parse:+; the parse alone, variant \"return after parsing\", is about $parse ns of the established ACK}${slot:+; the counter slot of the interface, variant \"no interface slot\", about $slot ns}). Headers at constant offsets (the common layouts) are read straight from the packet, the rest with a load helper; then the flow hash and, for an ACK, the group count of the pending table (a set is read only when its group has used slots)."
	if [ -n "$ring" ] && src_has synscope.bpf.c '__sync_fetch_and_add(&head->pos, 1)'; then
		echo "- **Writing an event** (variant \"no ring\": the slot's lookup, its fill and the publish): $(vs "no ring" SYN) of a SYN, about $ring ns${ring_sa:+; about $ring_sa ns of a SYN-ACK}.${fill:+ Of that, the fill (variant \"no fill\": the fields of the event, and of a SYN its fingerprint fields and option bytes, up to 128 bytes written) is $(vs "no fill" SYN) of a SYN, about $fill ns${fill_sa:+ (about $fill_sa ns of a SYN-ACK)}; the rest is the lookup of the slot and the publish.} Each CPU has a ring of its own in a memory-mapped array (ev_ring, 128-byte slots), its producer and consumer positions (ev_head, ev_tail) on cache lines of their own: no lock and no reserve helper, since only this CPU's programs write its ring. An event is the lookup of this CPU's two positions, the slot head & mask, the fill, and the publish of the head: on x86 a plain store (stores stay in program order there), elsewhere an atomic add, a full barrier, so the slot is written before the consumer sees the position move. The consumer's position, a line the consumer writes, is read again only when the last one read says the ring may be past half full. What remains is the cache: the consumer on another CPU reads the slots, so the producer takes those lines back (here the drain thread on CPU 1 does it as it would live). Only fewer or smaller events would take less: a smaller slot for ACKs and RSTs, or the SYN's fingerprint fields left out when nothing asks for them."
	elif [ -n "$ring" ]; then
		echo "- **Writing an event** (variant \"no ring\"): $(vs "no ring" SYN) of a SYN, about $ring ns${ring_sa:+; about $ring_sa ns of a SYN-ACK}."
	fi
	x=$(vv "atomic publish" SYN)
	if [ -n "$x" ] && [ "$x" -le -1 ]; then
		echo "- **The publish** (variant \"atomic publish\": the head moved by an atomic add, as on architectures whose stores may pass each other): $((-x)) ns more per SYN than the plain store x86 allows ($(vs "atomic publish" SYN | tr -d -) of a SYN). A full barrier waits for the slot's cache lines, which the consumer's CPU holds, to come back; a plain store leaves them in the store buffer while the program goes on."
	elif [ -n "$x" ]; then
		echo "- **The publish** (variant \"atomic publish\"): an atomic add instead of the plain store cost nothing measurable in this run ($(vs "atomic publish" SYN) of a SYN)."
	fi
	[ -n "$clk" ] && echo "- **Every event reads the clock** (variant \"no clock\"): $(vs "no clock" SYN) of a SYN, about $clk ns: bpf_ktime_get_ns, once the event has its slot in the ring (a SYN-ACK's is the one its pending insert read). No cheaper clock has microsecond resolution (bpf_ktime_get_coarse_ns, which the token bucket uses, ticks in milliseconds)."
	noise_line "Writing an event" "no ring" SYN
	noise_line "Every event reads the clock" "no clock" SYN
	noise_line "The option bytes" "no option copy" SYN
	noise_line "The pending table" "no pending table" SYN-ACK
	[ -n "$opt" ] && echo "- **The option bytes** (variant \"no option copy\"): $(vs "no option copy" SYN) of a SYN, about $opt ns: copied raw into the event (userspace walks them)."
	[ -n "$pend_sa" ] && echo "- **The pending table** (variant \"no pending table\"): $(vs "no pending table" SYN-ACK) of a SYN-ACK, about $pend_sa ns (the scan of an 8-way set and one atomic exchange)${pend_rst:+; about $pend_rst ns of a RST}.${occ:+ Its group counts (variant \"no occupancy counts\"): about $occ ns of a SYN-ACK (one atomic add).}"
	if [ "$syn" != "?" ] && [ "$full" != "?" ]; then
		echo "- **Event against no event**: a SYN whose event is written costs $((syn - full)) ns more than one shed because the consumer is behind ($syn vs. $full ns)."
	fi
	x=$(kv ss_xdp_ingress "SYN, top (flood maps), --event-rate 20000")
	b0=$(kv ss_xdp_ingress "SYN, --event-rate 20000 (shed)")
	if [ "$x" != "?" ] && [ "$b0" != "?" ] && src_has decide.h 'ss_flood_count(x, pkt)'; then
		echo "- **top's flood maps** (a SYN shed by --event-rate costs $x ns in top, $b0 ns without: $((x - b0)) ns more; not split by a variant): every SYN counts its target in a per-CPU LRU hash (a 20-byte key hashed by the map, plus the LRU's bookkeeping) and its source in the four-row count-min sketch (a four-round mix of the address per row, five array updates). Fix, if top must get cheaper: one hash of the source from which all four columns are derived, and the targets in a direct-mapped per-CPU array indexed by a hash, with the key kept in the value to catch collisions."
	fi
	echo ""
	echo "The per-packet classes (established ACK, non-TCP, filtered-out) set what line rate costs: nearly every packet is one of them. The event classes (SYN, SYN-ACK, completing ACK, RST, IPv6 and VLAN SYN) come a few per connection; a SYN or RST event is shed only when its CPU's ring is past half full (the consumer behind, the cheaper \"SYN, consumer behind (shed)\" row) or past an --event-rate (off by default); a SYN-ACK or completing ACK is never shed, only lost when its ring is full."
}

# ---- the targets the project tracks: reported, never asserted ---------------------------
tgt_line() { # label figure target-condition-with-X target-text
	[ -n "$2" ] && [ "$2" != "?" ] || return 0
	md "| $1 | $2 | $4 | $(met "${3//X/$2}") |"
}
if wants kernel || wants ring || wants veth; then
	md ""
	md "## Targets the project tracks"
	md ""
	md "Medians of this run (kernel: the XDP program, ns over bare); none is asserted."
	md ""
	md "| what | this run | target | met? |"
	md "|---|--:|--:|---|"
	if wants kernel; then
		for c in "SYN:50" "RST:50" "SYN-ACK:65" "completing ACK (paired, repeat 1) ‡:65" \
			 "IPv6 SYN, extension headers:70" "established ACK:12"; do
			tgt_line "${c%:*}" "$(kv ss_xdp_ingress "${c%:*}")" "X <= ${c##*:}" "≤ ${c##*:} ns"
		done
	fi
	if wants ring; then
		tgt_line "consumer, -o json, events/s" "${RING_JSON:-}" "X >= 7000000" "≥ 7,000,000"
	fi
	if wants veth; then
		tgt_line "veth: synscope ÷ bare XDP" "$(calc "%.3f" "${VETH_SS_BARE:-0}")" "X >= 0.97" "≥ 0.97"
	fi
fi

# ---- closing note -------------------------------------------------------------------
md ""
md "## Where figures are far from the limit"
md ""
note=0
if wants kernel; then
	over=$(awk -F'\t' '$2 != "bare" && $4 > 30 { printf "%s %s +%.0f ns; ", $1, $2, $4 }' "$TMP/kernel.tsv" | sed 's/; $//')
	if [ -n "$over" ]; then
		note=1
		md "**Kernel cost more than 30 ns over the bare program** (limit: one core's 67.2 ns at 10 GbE line rate, 64-byte frames): $over."
		md ""
		kernel_note | mdcat
		md ""
	fi
fi
if wants flood && awk "BEGIN { exit !($FLOOD_RATIO_MIN < 1) }"; then
	note=1
	md "**counted / sent below 1.0** (lowest round: $FLOOD_RATIO_MIN): synscope's counters are per-CPU and incremented on every packet its programs see, so a shortfall means packets it never saw: sent by trafgen but dropped before vs0's XDP hook (veth's ring full under XDP's NAPI path: see vc0 tx_dropped), or still in flight when the counters were read."
	md ""
fi
if wants offline && awk "BEGIN { exit !(${OFFLINE_TCPDUMP_RATIO:-2} < 1) }"; then
	note=1
	md "**synscope -r slower than tcpdump -r** (tcpdump's wall ÷ synscope's: $OFFLINE_TCPDUMP_RATIO): tcpdump runs one compiled BPF filter per packet and prints the few that match; synscope parses every packet (the same parser as the kernel, through a bounds-checked copy per header), keeps the kernel's counters, the pending table, and feeds the handshake engine."
	md ""
fi
if wants busy && [ "${#b_wplain[@]}${#b_wctrlc[@]}" != 00 ] &&
	awk "BEGIN { exit !($(printf '%s\n' "${b_wplain[@]}" "${b_wctrlc[@]}" | sort -g | head -1) < 1) }"; then
	note=1
	md "**Busy host: fewer records than the witness's SYN-ACKs in some arm** (lowest records ÷ witness: $(printf '%s\n' "${b_wplain[@]}" "${b_wctrlc[@]}" | sort -g | head -1)): every handshake the server answered should be a record (tests/e2e/e2e_busy.sh checks it); the exit summary's lost and shed columns say whether the kernel dropped events."
	md ""
fi
if [ "$note" = 0 ]; then
	fine=()
	wants kernel && fine+=("every kernel class is within 30 ns of the bare program")
	wants flood && fine+=("counted/sent is 1.0")
	wants offline && fine+=("synscope -r is faster than tcpdump")
	wants busy && fine+=("the busy host's records equal the witness")
	if [ "${#fine[@]}" -gt 0 ]; then
		md "Nothing: $(printf '%s, ' "${fine[@]}" | sed 's/, $//')."
	else
		md "Nothing: the parts run here have no limit to compare with."
	fi
fi
if src_changed; then
	md ""
	md "**bpf/ or include/ changed while this ran.** The kernel tables and the variants are of the sources at the start (build/bench-src, sha256 $SRC_SUM); the network parts ran build/synscope, which a build by someone else may have replaced meanwhile."
fi
md ""
md "Whole run: $(calc "%.0f" "$(ts_now) - $T_START") s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Written to $OUT."
