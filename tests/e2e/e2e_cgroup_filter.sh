#!/usr/bin/env bash
# --cgroup PATH, the kernel-side filter, end to end with cgroups of our own
# under the cgroup2 mount (found in /proc/self/mountinfo) and the pair of
# namespaces of tests/lib.sh:
#  - server side: listeners in <test>/b (port 8080) and <test>/c (8090),
#    clients from the other namespace (no cgroup of ours). --cgroup <test>/b
#    keeps the handshakes to 8080 only; a refused one (8081, no socket in
#    b) is filtered too; the kernel's SYN counter equals tshark's SYNs to
#    8080, the rest are counted as filtered. --cgroup <test> (the parent)
#    keeps both listeners' handshakes: a subtree, not one directory.
#  - client side: clients in <test>/a and outside it connect to the other
#    namespace; --cgroup <test>/a keeps theirs only, the refused one too
#    (its RST is matched to the client's socket on ingress).
#  - as uid 65534 with CAP_BPF + CAP_NET_ADMIN only, the same filter.
#  - wrong values: a path that is no cgroup or not there (exit 1), with -r
#    (exit 2): one line.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

if [ "$(id -u)" != 0 ]; then
	echo "e2e_cgroup_filter: needs root (namespaces, cgroups)" >&2
	exit 1
fi
for need in jq ncat tshark tcpdump nsenter setpriv; do
	command -v "$need" >/dev/null || { not_ok "missing $need"; finish; exit 1; }
done

need_cgroup2
CG_NAME=synscope-cf-$$
CG=$CG_MOUNT/$CG_NAME
trap 'cg_remove "$CG/a" "$CG/b" "$CG/c" "$CG"; teardown' EXIT
mkdir -p "$CG/a" "$CG/b" "$CG/c" || { not_ok "cannot make cgroups under $CG_MOUNT"; finish; exit 1; }

setup_pair
B_PORT=8080 C_PORT=8090 CLOSED=8081 N=4
in_cgroup "$CG/b" "$NS_SRV" timeout 60 ncat -l -k $B_PORT >/dev/null 2>&1 &
BG_PIDS+=($!)
in_cgroup "$CG/c" "$NS_SRV" timeout 60 ncat -l -k $C_PORT >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do
	[ "$(in_srv ss -ltn | grep -cE ":($B_PORT|$C_PORT) ")" = 2 ] && break
	sleep 0.1
done

stop_ss() { kill -INT "$SS_PID" 2>/dev/null; wait "$SS_PID"; }

# ---- server side ------------------------------------------------------------------
server_case() { # label cgroup want-ports...
	local label=$1 cg=$2 out=$TMP/srv.json err=$TMP/srv.err pcap=$TMP/srv.pcap
	shift 2
	start_tcpdump "$NS_SRV" vs0 "$pcap" || { not_ok "$label: tcpdump did not start"; return; }
	start_synscope "$NS_SRV" "$out" "$err" -i vs0 -o json --timeout 1 --cgroup "$cg" ||
		{ not_ok "$label: synscope starts: $(cat "$err")"; return; }
	for _ in $(seq $N); do
		in_cli ncat -w 2 --send-only $SRV4 $B_PORT <<<hi || true
		in_cli ncat -w 2 --send-only $SRV6 $C_PORT <<<hi || true
	done
	in_cli ncat -w 2 $SRV4 $CLOSED </dev/null >/dev/null 2>&1 || true
	sleep 0.5
	stop_ss
	check_eq "$label: exit code" "$?" 0
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	check_eq "$label: the ports with records" \
		"$(jq -r 'select(.type == "handshake") | .server_port' "$out" | sort -u | tr '\n' ' ')" "$* "
	local p syns=0
	for p in "$@"; do
		check_eq "$label: established to $p" \
			"$(jq -c "select(.server_port == $p and .outcome == \"established\")" "$out" | wc -l)" "$N"
		syns=$((syns + $(tshark_count "$pcap" "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == $p")))
	done
	check_eq "$label: no record of the refused connection" \
		"$(jq -c "select(.server_port == $CLOSED)" "$out" | wc -l)" 0
	check_eq "$label: kernel SYNs = tshark's SYNs to the kept ports" "$(summary_count "$err" syn)" "$syns"
	local all
	all=$(tshark_count "$pcap" "tcp.flags.syn == 1 || tcp.flags.reset == 1")
	local filtered
	filtered=$(summary_count "$err" "filtered out")
	[ "${filtered:-0}" -ge $((all - syns * 2)) ] &&
		ok "$label: the others counted as filtered ($filtered >= $((all - syns * 2)))" ||
		not_ok "$label: filtered '$filtered' < $((all - syns * 2)) (SYNs, SYN-ACKs, RSTs not kept)"
}
server_case "server, --cgroup b" "/$CG_NAME/b" $B_PORT
server_case "server, --cgroup of the parent (a subtree)" "$CG/" $B_PORT $C_PORT

# ---- client side ------------------------------------------------------------------
in_srv timeout 60 ncat -l -k 8070 >/dev/null 2>&1 &
BG_PIDS+=($!)
sleep 0.3
OUT=$TMP/cli.json ERR=$TMP/cli.err
start_synscope "$NS_CLI" "$OUT" "$ERR" -i vc0 -o json --timeout 1 --cgroup "$CG_NAME/a" ||
	{ not_ok "client: synscope starts: $(cat "$ERR")"; }
for _ in $(seq $N); do
	in_cgroup "$CG/a" "$NS_CLI" timeout 5 ncat -w 2 --send-only $SRV4 8070 <<<hi || true
	in_cli ncat -w 2 --send-only $SRV4 8070 <<<hi || true
done
in_cgroup "$CG/a" "$NS_CLI" timeout 5 ncat -w 2 $SRV4 $CLOSED </dev/null >/dev/null 2>&1 || true
in_cli ncat -w 2 $SRV4 $CLOSED </dev/null >/dev/null 2>&1 || true
sleep 0.5
stop_ss
check_eq "client: exit code" "$?" 0
check_eq "client: established, from cgroup a only" \
	"$(jq -c 'select(.outcome == "established" and .server_port == 8070)' "$OUT" | wc -l)" "$N"
check_eq "client: refused, from cgroup a only (RST matched to its socket)" \
	"$(jq -c "select(.outcome == \"refused\" and .server_port == $CLOSED)" "$OUT" | wc -l)" 1
check_eq "client: every record names cgroup a" \
	"$(jq -r '.client_cgroup' "$OUT" | sort -u)" "/$CG_NAME/a"

# ---- unprivileged -----------------------------------------------------------------
CAPS=-all,+bpf,+net_admin
# shellcheck disable=SC2034
SS_WRAP=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$CAPS" --ambient-caps="$CAPS" --bounding-set="$CAPS")
OUT=$TMP/nobody.json ERR=$TMP/nobody.err
# uid 65534 cannot reach the cgroup2 mount through another process's
# /proc/PID/root (ip netns exec's /sys has none): nsenter keeps ours.
if SS_NSENTER=1 start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json --timeout 1 --cgroup "/$CG_NAME/b"; then
	SS_WRAP=()
	for _ in $(seq 2); do
		in_cli ncat -w 2 --send-only $SRV4 $B_PORT <<<hi || true
		in_cli ncat -w 2 --send-only $SRV4 $C_PORT <<<hi || true
	done
	sleep 0.5
	stop_ss
	check_eq "uid 65534, CAP_BPF + CAP_NET_ADMIN: exit code" "$?" 0
	check_eq "uid 65534: records to b's port only" \
		"$(jq -r 'select(.type == "handshake") | "\(.server_port) \(.outcome)"' "$OUT" | sort | uniq -c | awk '{print $1, $2, $3}')" \
		"2 $B_PORT established"
else
	SS_WRAP=()
	not_ok "uid 65534: synscope did not start: $(cat "$ERR")"
fi

# ---- wrong values -----------------------------------------------------------------
bad() { # label exit-code want-in-message args...
	local label=$1 code=$2 want=$3 msg rc
	shift 3
	msg=$(in_srv "$BIN" "$@" 2>&1 >/dev/null)
	rc=$?
	check_eq "$label: exit code" "$rc" "$code"
	check_eq "$label: one line" "$(grep -c . <<<"$msg")" 1
	grep -q -- "$want" <<<"$msg" && ok "$label: says '$want'" || not_ok "$label: '$msg'"
}
# A path that is not there, or no cgroup: the host's answer, exit 1 (as a
# missing interface); with -r: a wrong option, exit 2.
bad "--cgroup of no cgroup" 1 "not a cgroup2 directory" -i vs0 --cgroup /tmp
bad "--cgroup of nothing" 1 "No such file" -i vs0 --cgroup "/$CG_NAME/none"
bad "--cgroup with -r" 2 "live tracing" -r /dev/null --cgroup "/$CG_NAME/b"
check_eq "nothing left attached" "$(nothing_left)" ""

finish
