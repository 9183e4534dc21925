#!/usr/bin/env bash
# Failure paths: kill -9 leaves nothing attached; bad options, a missing
# interface, missing privileges, a vanishing interface give one clear line
# and a non-zero exit; CAP_BPF + CAP_NET_ADMIN alone are enough.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

setup_pair

attached() { attached_to "$NS_SRV" vs0; }

for mode in auto xdp tc; do
	start_synscope "$NS_SRV" "$TMP/k.out" "$TMP/k.err" -i vs0 --mode "$mode" || { not_ok "kill -9 ($mode): start"; continue; }
	before=$(attached | wc -l)
	kill -9 "$SS_PID"; wait "$SS_PID" 2>/dev/null
	# Links are released when the last file descriptor goes: give it a moment.
	for _ in $(seq 50); do [ -z "$(attached)" ] && break; sleep 0.1; done
	[ "$before" -gt 0 ] && ok "kill -9 ($mode): something was attached before ($before)" \
		|| not_ok "kill -9 ($mode): nothing attached while running"
	check_eq "kill -9 ($mode): nothing left attached" "$(attached | tr '\n' ' ')" ""
done

# Classic tc (kernels without tcx): our filters go, someone else's stay.
# Theirs: a u32 filter (the one classifier this test kernel always has).
in_srv tc qdisc add dev vs0 clsact
for dir in ingress egress; do
	in_srv tc filter add dev vs0 $dir pref 7 protocol all u32 match u32 0 0
done
filters() { in_srv tc filter show dev vs0 "$1" | grep -o -E 'pref [0-9]+ (u32|bpf)' | sort -u | tr '\n' ' '; }
SYNSCOPE_NO_TCX=1 start_synscope "$NS_SRV" "$TMP/t.out" "$TMP/t.err" -i vs0 --mode tc || not_ok "classic tc start"
grep -q "vs0: tc in, tc out" "$TMP/t.err" && ok "classic tc attached" || not_ok "classic tc: $(cat "$TMP/t.err")"
check_eq "classic tc: ours and theirs while running (ingress)" "$(filters ingress)" "pref 23644 bpf pref 7 u32 "
check_eq "classic tc: ours and theirs while running (egress)" "$(filters egress)" "pref 23644 bpf pref 7 u32 "
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "classic tc: clean exit" "$?" 0
check_eq "classic tc: only theirs left (ingress)" "$(filters ingress)" "pref 7 u32 "
check_eq "classic tc: only theirs left (egress)" "$(filters egress)" "pref 7 u32 "
in_srv tc qdisc del dev vs0 clsact

# Never clobber another XDP program.
start_synscope "$NS_SRV" "$TMP/a.out" "$TMP/a.err" -i vs0 --mode xdp || not_ok "first xdp start"
in_srv timeout 5 "$BIN" -i vs0 --mode xdp >/dev/null 2>"$TMP/b.err"
check_eq "second --mode xdp refuses" "$?" 1
grep -q "another XDP program is attached to vs0" "$TMP/b.err" && ok "clobber message" || not_ok "clobber message: $(cat "$TMP/b.err")"
in_srv timeout 5 "$BIN" -i vs0 --mode auto --duration 0.3 >/dev/null 2>"$TMP/c.err"
check_eq "auto falls back to tcx when XDP is taken" "$?" 0
grep -q "vs0: tcx in, tcx out" "$TMP/c.err" && ok "auto fallback description" || not_ok "auto fallback: $(cat "$TMP/c.err")"
kill -INT "$SS_PID"; wait "$SS_PID"
check_eq "first synscope exits cleanly" "$?" 0

# One-line errors with non-zero exits.
expect_error() { # name exit-code pattern -- command...
	local name=$1 code=$2 pat=$3
	shift 4
	"$@" >/dev/null 2>"$TMP/e.err"
	local rc=$?
	if [ "$rc" = "$code" ] && [ "$(wc -l <"$TMP/e.err")" = 1 ] && grep -q "$pat" "$TMP/e.err"; then
		ok "$name"
	else
		not_ok "$name: exit $rc, stderr: $(cat "$TMP/e.err")"
	fi
}
expect_error "unknown interface" 1 "no such interface 'nope0'" -- in_srv "$BIN" -i nope0
expect_error "unknown option" 2 "unknown option" -- "$BIN" -i lo --frobnicate
expect_error "bad port" 2 "bad port" -- "$BIN" -i lo -p 70000
expect_error "no interface" 2 "no interface given" -- "$BIN"
expect_error "unprivileged" 1 "missing CAP_BPF and CAP_NET_ADMIN" -- \
	in_srv setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$BIN" -i vs0

# CAP_BPF + CAP_NET_ADMIN, no CAP_SYS_ADMIN, not root: traces for real.
in_srv timeout 120 ncat -l -k 8080 >/dev/null 2>&1 &
BG_PIDS+=($!)
sleep 0.2
ip netns exec "$NS_SRV" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all,+bpf,+net_admin --ambient-caps=-all,+bpf,+net_admin \
	--bounding-set=-all,+bpf,+net_admin timeout 20 "$BIN" -i vs0 -o json -c 1 \
	>"$TMP/cap.out" 2>"$TMP/cap.err" &
SS_PID=$!
for _ in $(seq 100); do grep -q tracing "$TMP/cap.err" && break; sleep 0.05; done
in_cli ncat -w 2 --send-only $SRV4 8080 <<<"hi" || true
wait "$SS_PID"
check_eq "CAP_BPF+CAP_NET_ADMIN only: exit code" "$?" 0
check_eq "CAP_BPF+CAP_NET_ADMIN only: handshake seen" \
	"$(jq -r .outcome "$TMP/cap.out" 2>/dev/null)" "established"

# The interface disappears while tracing.
start_synscope "$NS_SRV" "$TMP/v.out" "$TMP/v.err" -i vs0 || not_ok "start for vanish"
in_srv ip link del vs0
wait "$SS_PID"
check_eq "vanished interface: exit code" "$?" 1
check_eq "vanished interface: last line" "$(tail -1 "$TMP/v.err")" \
	"synscope: interface vs0 disappeared while tracing"

finish
