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
PASS=0 FAIL=0

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
trap teardown EXIT INT TERM

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
	ip netns exec "$ns" "$BIN" "${sub[@]}" --duration 90 "$@" >"$out" 2>"$err" &
	SS_PID=$!
	BG_PIDS+=("$SS_PID")
	for _ in $(seq 100); do
		grep -q "tracing" "$err" 2>/dev/null && return 0
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

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
