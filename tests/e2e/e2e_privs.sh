#!/usr/bin/env bash
# Least privilege: the end-to-end scenario as root, as root limited to
# CAP_BPF + CAP_NET_ADMIN, and as uid 65534 with those two as ambient and
# as file capabilities, all in a network namespace, must give the same
# records; with either capability missing synscope names it, exits 1 and
# attaches nothing. While tracing it holds no capability and has
# no_new_privs; it needs no memlock rlimit and never asks the kernel for
# what CAP_SYS_ADMIN gates (BPF_*_GET_FD_BY_ID, BPF_*_GET_NEXT_ID).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

setup_scenario

CAPS=-all,+bpf,+net_admin
AS_ROOT_CAPS=(setpriv --inh-caps=-all --bounding-set=$CAPS)
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
AS_NOBODY_CAPS=("${AS_NOBODY[@]}" --inh-caps=$CAPS --ambient-caps=$CAPS --bounding-set=$CAPS)

# The records without what differs from run to run (client ports, times).
outcomes() { jq -c '[.family, .server_port, .outcome]' "$1" | sort | tr '\n' ' '; }

# A copy with file capabilities, where uid 65534 can reach it.
FCAP_DIR=$(mktemp -d)
chmod 755 "$FCAP_DIR"
cp "$BIN" "$FCAP_DIR/synscope"
setcap cap_bpf,cap_net_admin+ep "$FCAP_DIR/synscope"
trap 'rm -rf "$FCAP_DIR"; teardown' EXIT

run_as() { # label binary wrapper...
	local label=$1
	BIN=$2
	shift 2
	SS_WRAP=("$@")
	scenario_case srv vs0 auto "$label"
	check_eq "$label: capabilities and no_new_privs while tracing" "$SS_STATUS" \
		"CapPrm: 0000000000000000 CapEff: 0000000000000000 NoNewPrivs: 1 "
	check_eq "$label: no libbpf messages without -v" "$(grep -c libbpf "$TMP/srv-auto.err")" 0
	cp "$TMP/srv-auto.json" "$TMP/$label.json"
	BIN=$ROOT_BIN
	SS_WRAP=()
}
ROOT_BIN=$BIN
run_as root "$BIN"
run_as root-2caps "$BIN" "${AS_ROOT_CAPS[@]}"
run_as nobody-ambient "$BIN" "${AS_NOBODY_CAPS[@]}"
run_as nobody-filecaps "$FCAP_DIR/synscope" "${AS_NOBODY[@]}" --inh-caps=-all --bounding-set=$CAPS
for label in root-2caps nobody-ambient nobody-filecaps; do
	check_eq "$label: same records as root" "$(outcomes "$TMP/$label.json")" "$(outcomes "$TMP/root.json")"
done

# Capability missing: named, exit 1, nothing attached.
missing() { # label want-pattern wrapper...
	local label=$1 pat=$2 rc
	shift 2
	ip netns exec "$NS_SRV" "$@" "$BIN" -i vs0 --duration 2 >/dev/null 2>"$TMP/m.err"
	rc=$?
	check_eq "$label: exit code" "$rc" 1
	if [ "$(wc -l <"$TMP/m.err")" = 1 ] && grep -q "$pat" "$TMP/m.err" &&
		grep -q -- "--cap-add BPF --cap-add NET_ADMIN" "$TMP/m.err" && grep -q "setcap cap_bpf,cap_net_admin+ep" "$TMP/m.err"; then
		ok "$label: one line naming it, with how to grant it"
	else
		not_ok "$label: $(cat "$TMP/m.err")"
	fi
	check_eq "$label: nothing attached" "$(nothing_left)" ""
}
missing "root without CAP_BPF" "^synscope: missing CAP_BPF: " setpriv --inh-caps=-all --bounding-set=-all,+net_admin
missing "root without CAP_NET_ADMIN" "^synscope: missing CAP_NET_ADMIN: " setpriv --inh-caps=-all --bounding-set=-all,+bpf
missing "nobody without CAP_BPF" "^synscope: missing CAP_BPF: " "${AS_NOBODY[@]}" \
	--inh-caps=-all,+net_admin --ambient-caps=-all,+net_admin --bounding-set=$CAPS
missing "nobody without CAP_NET_ADMIN" "^synscope: missing CAP_NET_ADMIN: " "${AS_NOBODY[@]}" \
	--inh-caps=-all,+bpf --ambient-caps=-all,+bpf --bounding-set=$CAPS
missing "nobody without either" "^synscope: missing CAP_BPF and CAP_NET_ADMIN: " "${AS_NOBODY[@]}" --inh-caps=-all

# One traced connection under WRAP...: its outcome in OUTCOME, the process's
# capabilities while tracing in SS_STATUS.
one_handshake() { # wrapper...
	SS_WRAP=("$@")
	OUTCOME=none SS_STATUS=none
	start_synscope "$NS_SRV" "$TMP/one.out" "$TMP/one.err" -i vs0 -o json -c 1 ${SS_EXTRA[@]+"${SS_EXTRA[@]}"} || {
		SS_WRAP=(); return 1; }
	in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"hi" || true
	wait "$SS_PID"
	SS_WRAP=()
	OUTCOME=$(jq -r .outcome "$TMP/one.out" 2>/dev/null)
}
SS_EXTRA=()

# No memlock rlimit at all: map memory is charged to the memory cgroup.
one_handshake prlimit --memlock=0:0 "${AS_NOBODY_CAPS[@]}"
check_eq "memlock rlimit 0: traces" "$OUTCOME" established

# CAP_PERFMON given too: the kernel's verdicts are on (no line saying they
# are off), and it is dropped with the rest once attached.
one_handshake "${AS_NOBODY[@]}" --inh-caps=$CAPS,+perfmon --ambient-caps=$CAPS,+perfmon --bounding-set=$CAPS,+perfmon
check_eq "with CAP_PERFMON: traces" "$OUTCOME" established
check_eq "with CAP_PERFMON: the verdicts are on" "$(grep -c 'no kernel verdicts' "$TMP/one.err")" 0
check_eq "with CAP_PERFMON: none kept" "$SS_STATUS" "CapPrm: 0000000000000000 CapEff: 0000000000000000 NoNewPrivs: 1 "

# Classic tc filters are removed by netlink at exit: CAP_NET_ADMIN stays.
SS_EXTRA=(--mode tc)
export SYNSCOPE_NO_TCX=1
one_handshake "${AS_NOBODY_CAPS[@]}"
check_eq "classic tc as nobody: traces" "$OUTCOME" established
check_eq "classic tc: keeps CAP_NET_ADMIN only" "$SS_STATUS" "CapPrm: 0000000000001000 CapEff: 0000000000001000 NoNewPrivs: 1 "
check_eq "classic tc as nobody: its filters removed at exit" "$(nothing_left)" ""
unset SYNSCOPE_NO_TCX
SS_EXTRA=()

# The bpf() commands used, as uid 65534 with the two capabilities, in each
# way of running: none of those CAP_SYS_ADMIN gates.
bpf_cmds() { # synscope args...
	ip netns exec "$NS_SRV" strace -f -qq -e trace=bpf,setrlimit,prlimit64 -o "$TMP/strace" \
		"${AS_NOBODY_CAPS[@]}" "$BIN" "$@" --duration 0.6 >/dev/null 2>"$TMP/strace.err"
	grep -o 'bpf(BPF_[A-Z_]*' "$TMP/strace" | sed 's/bpf(//' | sort -u | tr '\n' ' '
}
for args in "-i vs0" "-i vs0 --mode tc" "top -i vs0 --interval 0.2"; do
	# shellcheck disable=SC2086
	used=$(bpf_cmds $args)
	case "$used" in
	*BPF_PROG_LOAD*) ok "strace ($args): bpf() traced: $used" ;;
	*) not_ok "strace ($args): no BPF_PROG_LOAD seen: '$used' $(cat "$TMP/strace.err")" ;;
	esac
	check_eq "strace ($args): no GET_FD_BY_ID / GET_NEXT_ID" "$(grep -c -E 'GET_FD_BY_ID|GET_NEXT_ID' <<<"${used// /$'\n'}")" 0
	check_eq "strace ($args): memlock rlimit untouched" "$(grep -c MEMLOCK "$TMP/strace")" 0
done
used=$(SYNSCOPE_NO_TCX=1 bpf_cmds -i vs0 --mode tc)
check_eq "strace (classic tc): no GET_FD_BY_ID / GET_NEXT_ID" "$(grep -c -E 'GET_FD_BY_ID|GET_NEXT_ID' <<<"${used// /$'\n'}")" 0

# All capabilities, but in a user namespace (a rootless container): the
# kernel refuses, and synscope says why.
in_srv unshare -Ur "$BIN" -i vs0 --duration 1 >/dev/null 2>"$TMP/un.err"
check_eq "user namespace: exit code" "$?" 1
grep -q "^synscope: permission denied: synscope runs in a user namespace" "$TMP/un.err" &&
	[ "$(wc -l <"$TMP/un.err")" = 1 ] && ok "user namespace: one line saying so" || not_ok "user namespace: $(cat "$TMP/un.err")"
check_eq "user namespace: nothing attached" "$(nothing_left)" ""

# A namespace sees its own interfaces only (as in a container).
in_srv "$BIN" -i vc0 --duration 1 >/dev/null 2>"$TMP/ns.err"
check_eq "other namespace's interface: exit code" "$?" 1
check_eq "other namespace's interface: message" "$(cat "$TMP/ns.err")" "synscope: no such interface 'vc0'"

# Reading a capture needs no capability: all are dropped once it is open.
in_srv timeout 20 tcpdump -i vs0 -n -w "$TMP/r.pcap" -c 6 tcp 2>/dev/null &
TDP=$!
sleep 0.5
in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"hi" || true
wait $TDP
"$BIN" -r - -o json <"$TMP/r.pcap" >"$TMP/r.json" 2>"$TMP/r.err" &
RP=$!
wait $RP
check_eq "-r: handshake read" "$(jq -r .outcome "$TMP/r.json")" established
strace -qq -e trace=capset,prctl -o "$TMP/r.strace" "$BIN" -r "$TMP/r.pcap" >/dev/null 2>&1
grep -q 'PR_SET_NO_NEW_PRIVS' "$TMP/r.strace" && grep -q 'capset(.*effective=0, permitted=0' "$TMP/r.strace" &&
	ok "-r: drops every capability and sets no_new_privs" || not_ok "-r drop: $(cat "$TMP/r.strace")"

finish
