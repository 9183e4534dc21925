#!/usr/bin/env bash
# Who and why, end to end, in namespaces of our own (tests/lib.sh) and
# cgroups of our own under the cgroup2 mount (found in /proc/self/mountinfo):
#  - cgroups: a listener in <test>/web.service and clients in
#    <test>/docker-<id>.scope connect over the server namespace's lo: each
#    record names both cgroups and their units (as many records as tshark
#    counts completed handshakes); a refused one names the client's only;
#  - a full accept queue: a listener with backlog 1 that never accepts, a
#    burst of connections: every SYN that got no SYN-ACK is marked "accept
#    queue full", the namespace's ListenOverflows moved by what synscope
#    says (exit line, top's intervals); a SYN to a port whose SYNs the
#    firewall drops, while nothing overflows, has no cause;
#  - SYN cookies (tcp_syncookies=2 in the server namespace): every SYN-ACK
#    is inferred to carry a cookie, with and without timestamps (then its
#    options are MSS only); with cookies off, none is.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

if [ "$(id -u)" != 0 ]; then
	echo "e2e_whowhy: needs root (namespaces, cgroups)" >&2
	exit 1
fi
for need in jq ncat python3 tshark tcpdump nsenter; do
	command -v "$need" >/dev/null || { not_ok "missing $need"; finish; exit 1; }
done

need_cgroup2
CG_NAME=synscope-ww-$$
CG=$CG_MOUNT/$CG_NAME
ID=$(printf '%064x' $$)
CLI_CG=$CG/docker-$ID.scope
SRV_CG=$CG/web.service
trap 'cg_remove "$CLI_CG" "$SRV_CG" "$CG"; teardown' EXIT
mkdir -p "$CLI_CG" "$SRV_CG" || { not_ok "cannot make cgroups under $CG_MOUNT"; finish; exit 1; }

setup_pair

# ---- cgroups over lo --------------------------------------------------------------
PORT=9000 CLOSED=9001 NCONN=4
start_tcpdump "$NS_SRV" lo "$TMP/lo.pcap"
start_synscope "$NS_SRV" "$TMP/lo.json" "$TMP/lo.err" -i lo -o json --timeout 2 ||
	{ not_ok "synscope -i lo starts"; finish; exit 1; }
in_cgroup "$SRV_CG" "$NS_SRV" timeout 20 ncat -l -k 127.0.0.1 $PORT >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":$PORT " && break; sleep 0.1; done
for _ in $(seq $NCONN); do
	in_cgroup "$CLI_CG" "$NS_SRV" timeout 5 ncat -z 127.0.0.1 $PORT
done
in_cgroup "$CLI_CG" "$NS_SRV" timeout 5 ncat -z 127.0.0.1 $CLOSED
sleep 1
kill -INT "$SS_PID"; wait "$SS_PID"
kill "$TD_PID" 2>/dev/null; wait "$TD_PID" 2>/dev/null

want_cli="/$CG_NAME/docker-$ID.scope" want_srv="/$CG_NAME/web.service"
# Completed handshakes by tshark: SYN-ACKs to PORT's clients (every one is answered here).
completed=$(tshark_count "$TMP/lo.pcap" "tcp.srcport == $PORT && tcp.flags.syn == 1 && tcp.flags.ack == 1")
est=$(jq -c "select(.type == \"handshake\" and .server_port == $PORT and .outcome == \"established\")" "$TMP/lo.json")
check_eq "lo: established records to $PORT, as many as tshark's SYN-ACKs" "$(grep -c . <<<"$est")" "$completed"
check_eq "lo: ... and $NCONN connections made" "$completed" "$NCONN"
check_eq "lo: every one names the client's cgroup" \
	"$(jq -r '.client_cgroup' <<<"$est" | sort -u)" "$want_cli"
check_eq "lo: ... and the server's" "$(jq -r '.server_cgroup' <<<"$est" | sort -u)" "$want_srv"
check_eq "lo: the client's unit is the container" "$(jq -r '.client_unit' <<<"$est" | sort -u)" "docker://$ID"
check_eq "lo: the server's unit is the service" "$(jq -r '.server_unit' <<<"$est" | sort -u)" "web.service"
ino_cli=$(stat -c %i "$CLI_CG") ino_srv=$(stat -c %i "$SRV_CG")
check_eq "lo: the ids are the cgroup directories' inodes" \
	"$(jq -r '"\(.client_cgroup_id) \(.server_cgroup_id)"' <<<"$est" | sort -u)" "$ino_cli $ino_srv"
ref=$(jq -c "select(.type == \"handshake\" and .server_port == $CLOSED)" "$TMP/lo.json")
check_eq "lo: the refused connection's record" "$(jq -r '.outcome' <<<"$ref")" "refused"
check_eq "lo: ... names the client's cgroup, no server's" \
	"$(jq -r '"\(.client_cgroup) \(.server_cgroup)"' <<<"$ref")" "$want_cli null"
# Text output: the same names on the record's line.
start_synscope "$NS_SRV" "$TMP/lo.txt" "$TMP/lo.txt.err" -i lo --timeout 2 -c 1 ||
	not_ok "synscope -i lo (text) starts"
in_cgroup "$CLI_CG" "$NS_SRV" timeout 5 ncat -z 127.0.0.1 $PORT
wait "$SS_PID"
grep -q "client-cgroup $want_cli (docker://$ID)  server-cgroup $want_srv (web.service)" "$TMP/lo.txt" &&
	ok "lo: the text record names both cgroups and units" ||
	not_ok "lo: text record: $(cat "$TMP/lo.txt")"

# ---- a full accept queue --------------------------------------------------------------
FULL=9100 DROP=9102 BURST=12
in_srv sysctl -qw net.ipv4.tcp_syncookies=0
in_srv nft -f - <<NFT
table inet synscope_ww {
	chain input { type filter hook input priority 0; tcp dport $DROP drop; }
}
NFT
netstat_val() { # ns name
	ip netns exec "$1" awk -v k="$2" '$1 == "TcpExt:" { if (!h) { split($0, n); h = 1 } else { for (i = 2; i <= NF; i++) if (n[i] == k) print $i; h = 0 } }' /proc/net/netstat
}
# A SYN the firewall drops, with nothing overflowing: the kernel's verdict
# (root has CAP_PERFMON), never a queue's.
start_synscope "$NS_SRV" "$TMP/drop.json" "$TMP/drop.err" -i vs0 -o json --timeout 1.5 ||
	not_ok "synscope (drop) starts"
in_cli timeout 3 ncat -z -w 2 $SRV4 $DROP
sleep 1
kill -INT "$SS_PID"; wait "$SS_PID"
rec=$(jq -c "select(.type == \"handshake\" and .server_port == $DROP)" "$TMP/drop.json" | head -1)
check_eq "dropped SYN: timed out" "$(jq -r .outcome <<<"$rec")" "timeout"
check_eq "dropped SYN: the kernel's NETFILTER_DROP, no queue" \
	"$(jq -r '"\(.cause) \(.cause_from) \(.accept_queue // "none")"' <<<"$rec")" "NETFILTER_DROP kernel none"

start_full_listener "$FULL"
before=$(netstat_val "$NS_SRV" ListenOverflows)
start_tcpdump "$NS_SRV" vs0 "$TMP/full.pcap"
start_synscope "$NS_SRV" "$TMP/full.json" "$TMP/full.err" -i vs0 -o json --timeout 2.5 ||
	not_ok "synscope (full queue) starts"
FULL_PID=$SS_PID
start_synscope "$NS_SRV" "$TMP/top.json" "$TMP/top.err" top -i vs0 -o json --interval 0.5 ||
	not_ok "synscope top starts"
TOP_PID=$SS_PID
for i in $(seq $BURST); do
	in_cli timeout 4 ncat -w 3 --send-only $SRV4 $FULL </dev/null >/dev/null 2>&1 &
	BG_PIDS+=($!)
done
sleep 4.5
kill -INT "$TOP_PID" 2>/dev/null
kill -INT "$FULL_PID" 2>/dev/null
kill "$TD_PID" 2>/dev/null
wait "$TOP_PID" "$FULL_PID" "$TD_PID" 2>/dev/null
after=$(netstat_val "$NS_SRV" ListenOverflows)
unanswered=$(jq -c "select(.type == \"handshake\" and .server_port == $FULL and .synack == null)" "$TMP/full.json")
n_un=$(grep -c . <<<"$unanswered")
[ "$n_un" -ge 1 ] && ok "full queue: $n_un handshakes whose SYN got no SYN-ACK ($((after - before)) ListenOverflows)" ||
	not_ok "full queue: no unanswered SYN among $(grep -c . "$TMP/full.json") records"
check_eq "full queue: every one is marked accept queue full" \
	"$(jq -r '.cause' <<<"$unanswered" | sort -u)" "accept queue full"
check_eq "full queue: each from the listener's queue, longer than its backlog" \
	"$(jq -r '"\(.cause_from) \(.accept_queue | split("/") | map(tonumber) | .[0] > .[1])"' <<<"$unanswered" | sort -u)" \
	"listener queue true"
# tshark: flows to FULL whose SYNs got no SYN-ACK at all.
tshark_un=$(tshark -n -r "$TMP/full.pcap" -T fields -e tcp.stream -e tcp.flags.syn -e tcp.flags.ack -Y "tcp.port == $FULL && tcp.flags.syn == 1" 2>/dev/null |
	awk '{ syn[$1] = 1; if ($3 == 1) sa[$1] = 1 } END { n = 0; for (s in syn) if (!(s in sa)) n++; print n }')
check_eq "full queue: as many as tshark counts flows with no SYN-ACK" "$n_un" "$tshark_un"
seen=$(sed -n 's/.*ListenOverflows +\([0-9]*\),.*/\1/p' "$TMP/full.err")
check_eq "full queue: the exit line's ListenOverflows is the namespace's" "$seen" "$((after - before))"
top_sum=$(jq -s '[.[] | select(.type == "interval") | .netns_tcp.ListenOverflows] | add' "$TMP/top.json")
check_eq "top: its intervals' ListenOverflows add up to the namespace's" "$top_sum" "$((after - before))"
grep -q "ListenOverflows +$((after - before))," "$TMP/top.err" &&
	ok "top: the exit line says so too" || not_ok "top exit: $(grep TCP "$TMP/top.err")"

# ---- SYN cookies --------------------------------------------------------------------
COOKIE=9200 NC=3
in_srv sysctl -qw net.ipv4.tcp_syncookies=2
in_srv timeout 30 ncat -l -k $SRV4 $COOKIE >/dev/null 2>&1 &
BG_PIDS+=($!)
for _ in $(seq 50); do in_srv ss -ltn | grep -q ":$COOKIE " && break; sleep 0.1; done
cookie_run() { # label client-timestamps(0|1) want-cookie(true|false)
	start_synscope "$NS_SRV" "$TMP/c.json" "$TMP/c.err" -i vs0 -o json --timeout 2 ||
		not_ok "$1: synscope starts"
	in_cli sysctl -qw net.ipv4.tcp_timestamps="$2"
	for _ in $(seq $NC); do in_cli timeout 5 ncat -z $SRV4 $COOKIE; done
	sleep 0.5
	kill -INT "$SS_PID"; wait "$SS_PID"
	recs=$(jq -c "select(.type == \"handshake\" and .server_port == $COOKIE)" "$TMP/c.json")
	check_eq "$1: $NC handshakes established" "$(jq -r .outcome <<<"$recs" | sort | uniq -c | awk '{print $1, $2}')" "$NC established"
	check_eq "$1: synack_cookie" "$(jq -r '.synack_cookie // false' <<<"$recs" | sort -u)" "$3"
}
cookie_run "syncookies=2, timestamps" 1 true
jq -r '.cookie_basis' <<<"$recs" | grep -q "SyncookiesSent +.*timestamps echoed" &&
	ok "syncookies=2, timestamps: the basis names the counter and the options" ||
	not_ok "basis: $(jq -r .cookie_basis <<<"$recs" | sort -u)"
cookie_run "syncookies=2, no timestamps" 0 true
jq -r '.cookie_basis' <<<"$recs" | grep -q "options: MSS only" &&
	ok "syncookies=2, no timestamps: the basis says MSS only" ||
	not_ok "basis: $(jq -r .cookie_basis <<<"$recs" | sort -u)"
check_eq "syncookies=2, no timestamps: the SYN-ACKs' options" \
	"$(jq -r '.synack.options' <<<"$recs" | sort -u)" "2"
in_srv sysctl -qw net.ipv4.tcp_syncookies=0
cookie_run "syncookies=0" 1 false

finish
