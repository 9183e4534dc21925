# Shared by the shell tests: two hosts joined by a veth pair, each in a
# namespace of its own, removed on every exit path.
#   client: 198.18.0.1  fd00:5c::1  (dev vc0, namespace $NS_CLI)
#   server: 198.18.0.2  fd00:5c::2  (dev vs0, namespace $NS_SRV)
# shellcheck shell=bash

BIN=${SYNSCOPE:-$PWD/build/synscope}
NS_CLI="sscli-$$"
NS_SRV="sssrv-$$"
CLI4=198.18.0.1 SRV4=198.18.0.2 CLI6=fd00:5c::1 SRV6=fd00:5c::2
TMP=$(mktemp -d)
BG_PIDS=()
PASS=0 FAIL=0 SKIP=0

teardown() {
	local ns
	for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	# Whatever still runs in our namespaces (children of killed wrappers).
	for ns in "$NS_CLI" "$NS_SRV"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	done
	wait 2>/dev/null || true
	ip netns del "$NS_CLI" 2>/dev/null || true
	ip netns del "$NS_SRV" 2>/dev/null || true
	rm -rf "$TMP"
}
# A signal ends the test (its EXIT trap tears down): a trap on INT or TERM
# alone would run teardown and go on without its namespaces.
trap teardown EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

setup_pair() {
	ip netns add "$NS_CLI"
	ip netns add "$NS_SRV"
	ip -n "$NS_CLI" link add vc0 type veth peer name vs0 netns "$NS_SRV"
	ip -n "$NS_CLI" link set lo up
	ip -n "$NS_SRV" link set lo up
	ip -n "$NS_CLI" addr add $CLI4/15 dev vc0
	ip -n "$NS_SRV" addr add $SRV4/15 dev vs0
	ip -n "$NS_CLI" addr add $CLI6/64 dev vc0 nodad
	ip -n "$NS_SRV" addr add $SRV6/64 dev vs0 nodad
	ip -n "$NS_CLI" link set vc0 up
	ip -n "$NS_SRV" link set vs0 up
}

in_cli() { ip netns exec "$NS_CLI" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
# A check that could not run here, and why: reported, never a pass.
skip() { SKIP=$((SKIP + 1)); echo "skip - $*"; }
check_eq() { # name got want
	if [ "$2" == "$3" ]; then ok "$1 ($2)"; else not_ok "$1: got '$2', want '$3'"; fi
}

# Start synscope in a namespace; wait until it says it is tracing.
# usage: start_synscope NS OUTFILE ERRFILE args...
start_synscope() {
	local ns=$1 out=$2 err=$3
	shift 3
	# No `timeout` wrapper: SS_PID must be synscope itself (kill -9 tests).
	# --duration bounds it; a --duration in "$@" comes later and wins.
	# "top" must stay the first argument.
	local sub=()
	[ "${1:-}" = top ] && { sub=(top); shift; }
	# SS_WRAP: a command that execs synscope (setpriv), so SS_PID stays it.
	# SS_NSENTER=1: enter the namespace with nsenter, which keeps our /sys
	# (and the cgroup2 mount on it: ip netns exec mounts a bare one).
	local enter=(ip netns exec "$ns")
	[ -n "${SS_NSENTER:-}" ] && enter=(nsenter --net=/run/netns/"$ns")
	# A reused file's old "tracing" line must not count as this start's.
	: >"$err"
	"${enter[@]}" ${SS_WRAP[@]+"${SS_WRAP[@]}"} "$BIN" "${sub[@]}" --duration 90 "$@" >"$out" 2>"$err" &
	SS_PID=$!
	BG_PIDS+=("$SS_PID")
	for _ in $(seq 100); do
		if grep -q "tracing" "$err" 2>/dev/null; then
			# Its capabilities while tracing (e2e_privs checks them).
			SS_STATUS=$(grep -E '^(CapPrm|CapEff|NoNewPrivs)' "/proc/$SS_PID/status" 2>/dev/null | tr -s '\t\n' ' ') || true
			return 0
		fi
		kill -0 "$SS_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "synscope did not start: $(cat "$err")" >&2
	return 1
}

# Start tcpdump writing FILE; wait until it listens.
start_tcpdump() { # ns dev file
	ip netns exec "$1" timeout 60 tcpdump -i "$2" --immediate-mode -U -n -w "$3" tcp 2>"$3.err" &
	TD_PID=$!
	BG_PIDS+=("$TD_PID")
	for _ in $(seq 100); do
		grep -q "listening" "$3.err" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# tshark's count of packets in FILE matching a display filter.
tshark_count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# A counter from synscope's summary: "syn 12," -> 12
summary_count() { # errfile label
	grep -o "[(, ]$2 [0-9]*" "$1" | head -1 | grep -o '[0-9]*$'
}

# The handshake scenario of the end-to-end tests, on a pair from setup_pair:
# a listener on OPEN, CLOSED with nothing behind it (refused), DROPPED whose
# SYNs the server's nftables drops (timeout).
N=${E2E_N:-5}   # successful connections per family
M=${E2E_M:-3}   # to the closed port
K=${E2E_K:-2}   # to the dropped port
OPEN=8080 CLOSED=8081 DROPPED=8082

setup_scenario() {
	setup_pair
	in_srv nft -f - <<NFT
table inet synscope_test {
	chain input { type filter hook input priority 0; tcp dport $DROPPED drop; }
}
NFT
	in_srv timeout 120 ncat -l -k $OPEN >/dev/null 2>&1 &
	BG_PIDS+=($!)
	sleep 0.3
}

# N established, M refused, K timed out, over IPv4 and IPv6.
scenario_traffic() {
	local dst i pids=()
	for dst in $SRV4 $SRV6; do
		for i in $(seq "$N"); do in_cli ncat -w 2 --send-only "$dst" $OPEN <<<"hello $i" || true; done
		for i in $(seq "$M"); do in_cli ncat -w 2 "$dst" $CLOSED </dev/null >/dev/null 2>&1 || true; done
	done
	# Dropped SYNs: give up after 1.5 s (one SYN retransmission).
	for dst in $SRV4 $SRV6; do
		for i in $(seq "$K"); do
			in_cli timeout 1.5 ncat "$dst" $DROPPED </dev/null >/dev/null 2>&1 &
			pids+=($!)
		done
	done
	wait "${pids[@]}"
}

# What is attached to DEV in NS: XDP, tc filters, BPF links, tcx programs.
attached_to() { # ns dev
	local ifindex
	ifindex=$(ip netns exec "$1" cat "/sys/class/net/$2/ifindex")
	ip -n "$1" -d link show dev "$2" | grep -o 'prog/xdp[^ ]*'
	ip netns exec "$1" tc filter show dev "$2" ingress
	ip netns exec "$1" tc filter show dev "$2" egress
	bpftool -j link show 2>/dev/null | jq -r ".[] | select(.ifindex == $ifindex) | .type"
	# tcx links (bpftool 7.1 does not list them by interface)
	ip netns exec "$1" build/foreign_attach --tcx "$2" | grep -v '^in:; out:$'
}

# What is attached to the server's vs0, on one line ("" = nothing).
nothing_left() { attached_to "$NS_SRV" vs0 | tr '\n' ' '; }

# One run of the scenario with synscope on SIDE's DEV in MODE, checked
# against tcpdump on the same interface.
scenario_case() { # side(srv|cli) dev mode [label]
	local side=$1 dev=$2 mode=$3 label=${4:-$1/$3} ns out err pcap total
	ns=$([ "$side" = srv ] && echo "$NS_SRV" || echo "$NS_CLI")
	out=$TMP/$side-$mode.json err=$TMP/$side-$mode.err pcap=$TMP/$side-$mode.pcap
	total=$(( (N + M + K) * 2 ))
	start_tcpdump "$ns" "$dev" "$pcap" || { not_ok "$label: tcpdump did not start"; return; }
	start_synscope "$ns" "$out" "$err" -i "$dev" --mode "$mode" -o json -c "$total" \
		--timeout 2 -p $OPEN -p $CLOSED -p $DROPPED || { not_ok "$label: synscope did not start"; return; }
	scenario_traffic
	# Timeouts are reported --timeout after the SYN; -c stops synscope.
	for _ in $(seq 100); do kill -0 "$SS_PID" 2>/dev/null || break; sleep 0.1; done
	kill -INT "$SS_PID" 2>/dev/null
	wait "$SS_PID"
	check_eq "$label: synscope exit code" "$?" 0
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null

	local f
	for f in 4 6; do
		check_eq "$label v$f established" \
			"$(jq -c "select(.family==$f and .outcome==\"established\" and .server_port==$OPEN)" "$out" | wc -l)" "$N"
		check_eq "$label v$f refused" \
			"$(jq -c "select(.family==$f and .outcome==\"refused\" and .server_port==$CLOSED)" "$out" | wc -l)" "$M"
		check_eq "$label v$f timeout" \
			"$(jq -c "select(.family==$f and .outcome==\"timeout\" and .server_port==$DROPPED)" "$out" | wc -l)" "$K"
	done
	check_eq "$label: established records have both latencies" \
		"$(jq -c 'select(.outcome=="established" and .syn_to_synack_us != null and .synack_to_ack_us != null and .syn.mss != null)' "$out" | wc -l)" "$((N * 2))"
	check_eq "$label: refused records have no SYN-ACK latency" \
		"$(jq -c 'select(.outcome=="refused" and .syn_to_synack_us == null)' "$out" | wc -l)" "$((M * 2))"

	# tcpdump saw the same packets: compare synscope's kernel counters.
	check_eq "$label: SYN count = tshark" "$(summary_count "$err" syn)" \
		"$(tshark_count "$pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
	check_eq "$label: SYN-ACK count = tshark" "$(summary_count "$err" syn-ack)" \
		"$(tshark_count "$pcap" 'tcp.flags.syn==1 && tcp.flags.ack==1')"
	check_eq "$label: RST count = tshark" "$(summary_count "$err" rst)" \
		"$(tshark_count "$pcap" 'tcp.flags.reset==1')"
	# Every SYN is either a first SYN of a record or a counted retransmission.
	check_eq "$label: SYNs = records + retransmissions" \
		"$(jq -s 'map(1 + .syn_retrans) | add' "$out")" \
		"$(tshark_count "$pcap" 'tcp.flags.syn==1 && tcp.flags.ack==0')"
}

# The exit summary's accounts (two lines: "kernel = parts"): "ok" when
# both hold and nothing is left unread, else the line that does not.
accounts_add_up() { # errfile
	local line k parts
	for line in "$(grep 'accounts: .* handshakes\? completed' "$1")" "$(grep 'accounts: .* SYNs\? (kernel)' "$1")"; do
		[ -n "$line" ] || { echo "missing"; return; }
		k=$(sed -n 's/.*accounts: \([0-9]*\) .*/\1/p' <<<"$line")
		parts=$(sed 's/.*= //' <<<"$line" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i } END { print s + 0 }')
		[ "$k" = "$parts" ] || { echo "$line"; return; }
		grep -q 'not read' <<<"$line" && { echo "$line"; return; }
	done
	echo ok
}

finish() {
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" -eq 0 ]
}

# ---- cgroups of a test's own (e2e_whowhy, e2e_cgroup_filter) -----------------
# The cgroup2 mount (from /proc/self/mountinfo) into CG_MOUNT; a FAIL and
# exit when there is none.
need_cgroup2() {
	CG_MOUNT=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	if [ -z "$CG_MOUNT" ]; then
		not_ok "no cgroup2 mount in /proc/self/mountinfo"
		finish
		exit 1
	fi
}

# cg_remove DIR...: kill what runs in each cgroup, then remove them (give
# the deepest first).
cg_remove() {
	local d p
	for d in "$@"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	sleep 0.2
	rmdir "$@" 2>/dev/null
}

# in_cgroup CGROUP NS cmd...: run cmd in CGROUP, then in NS's network
# namespace. The cgroup first: ip netns exec would mount its own /sys.
in_cgroup() {
	local cg=$1 ns=$2
	shift 2
	bash -c 'echo $$ > "$1/cgroup.procs" && shift 2 && exec nsenter --net=/run/netns/"$0" "$@"' \
		"$ns" "$cg" _ "$@"
}

# start_nginx PORT: nginx in the server's namespace on SRV4 and SRV6, one
# request per connection (keep-alive off), everything under $TMP/nginx
# (the teardown kills what runs in the namespace); waits until it listens.
# 0, or 1 with the reason in $TMP/nginx/error.log.
start_nginx() {
	local port=$1
	mkdir -p "$TMP/nginx"
	cat >"$TMP/nginx/nginx.conf" <<-CONF
	worker_processes 2;
	daemon on;
	pid $TMP/nginx/nginx.pid;
	error_log $TMP/nginx/error.log warn;
	events { worker_connections 4096; }
	http {
		access_log off;
		keepalive_timeout 0;
		client_body_temp_path $TMP/nginx/body;
		proxy_temp_path $TMP/nginx/proxy;
		fastcgi_temp_path $TMP/nginx/fcgi;
		uwsgi_temp_path $TMP/nginx/uwsgi;
		scgi_temp_path $TMP/nginx/scgi;
		server {
			listen $SRV4:$port backlog=4096;
			listen [$SRV6]:$port backlog=4096;
			location / { return 200 "ok\n"; }
		}
	}
	CONF
	ip netns exec "$NS_SRV" nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" \
		-g "error_log $TMP/nginx/error.log warn;" || return 1
	for _ in $(seq 50); do
		ip netns exec "$NS_SRV" ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
		sleep 0.1
	done
	return 1
}

# start_full_listener PORT: a listener on SRV4:PORT in the server's
# namespace with a backlog of 1 that never accepts (its accept queue fills
# with the first two clients), for 55 s at most; FULL_PID is it.
start_full_listener() {
	in_srv timeout 60 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(1)
print("listening", flush=True)
time.sleep(55)' "$SRV4" "$1" >"$TMP/full$1.out" 2>&1 &
	FULL_PID=$!
	BG_PIDS+=("$FULL_PID")
	for _ in $(seq 50); do grep -q listening "$TMP/full$1.out" && break; sleep 0.1; done
}
