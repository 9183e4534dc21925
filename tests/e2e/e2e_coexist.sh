#!/usr/bin/env bash
# Leaving the host as it was:
#  - another tool's XDP program, classic tc filter and tcx programs on the
#    interface stay attached and keep passing traffic, whatever synscope's
#    attach mode, and synscope still sees the handshakes;
#  - kill -9 while loading, half-way through attaching, or while tracing
#    leaves nothing attached; classic tc filters left that way are found and
#    removed by the next synscope (only those of dead synscopes);
#  - the static binary runs with an empty environment from an empty
#    directory, and in a chroot holding nothing but itself (a scratch image).
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

setup_scenario
FOREIGN=(build/foreign_attach build/foreign.bpf.o vs0)
STATIC=$PWD/build/synscope-static

foreign_state() { # what the other tool has on vs0, with program ids
	in_srv ip -d link show dev vs0 | grep -o 'prog/xdp id [0-9]*'
	in_srv tc filter show dev vs0 ingress | grep -o 'pref 1 bpf .*handle 0x1 foreign_tc_clas:\[[0-9]*\]'
	in_srv build/foreign_attach --tcx vs0
}
hits() { cat "$TMP/hits"; }
hit() { hits | awk -v k="$1" '{for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1)}'; }
connect() { # n connections to the listener
	local i
	for i in $(seq "$1"); do in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"x$i" || return 1; done
}

coexist() { # label verdict(pass|next) synscope-args...
	local label=$1 verdict=$2 before after h0 k
	shift 2
	ip netns exec "$NS_SRV" "${FOREIGN[@]}" "$TMP/hits" 60 "$verdict" >"$TMP/fa.out" 2>&1 &
	local fa=$!
	BG_PIDS+=("$fa")
	for _ in $(seq 100); do grep -q attached "$TMP/fa.out" && break; sleep 0.05; done
	before=$(foreign_state | tr '\n' ' ')

	if [ "$1" = "--mode" ] && [ "$2" = xdp ]; then
		in_srv timeout 10 "$BIN" -i vs0 "$@" >/dev/null 2>"$TMP/x.err"
		check_eq "$label: refuses to replace the XDP program" "$?" 1
		grep -q "another XDP program is attached to vs0" "$TMP/x.err" && ok "$label: says why" ||
			not_ok "$label: $(cat "$TMP/x.err")"
	else
		start_synscope "$NS_SRV" "$TMP/c.out" "$TMP/c.err" -i vs0 -o json "$@" || not_ok "$label: start"
		[ "$verdict" = pass ] && check_eq "$label: synscope first in the tcx chain" \
			"$(in_srv build/foreign_attach --tcx vs0)" "in: ss_tc_ingress foreign_tcx_in; out: ss_tc_egress foreign_tcx_out"
		h0=$(hits)
		connect 3 && ok "$label: connections while synscope runs" || not_ok "$label: connections while synscope runs"
		sleep 0.3
		kill -INT "$SS_PID"
		wait "$SS_PID"
		check_eq "$label: synscope exit code" "$?" 0
		check_eq "$label: synscope saw the handshakes" \
			"$(jq -c 'select(.outcome=="established")' "$TMP/c.out" | wc -l)" 3
		for k in xdp tcx_in tcx_out; do
			[ "$(hit "$k")" -gt "$(awk -v k=$k '{for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1)}' <<<"$h0")" ] &&
				ok "$label: their $k program saw the traffic meanwhile" || not_ok "$label: $k: $h0 -> $(hits)"
		done
	fi
	after=$(foreign_state | tr '\n' ' ')
	check_eq "$label: theirs still attached, same programs" "$after" "$before"
	case "$before" in *"prog/xdp id"*"foreign_tc_clas"*"in: foreign_tcx_in; out: foreign_tcx_out"*) ok "$label: theirs were all there" ;;
		*) not_ok "$label: foreign setup incomplete: $before" ;; esac
	check_eq "$label: nothing of synscope's left" "$(attached_to "$NS_SRV" vs0 | grep -c -E 'ss_|pref 23644')" 0
	h0=$(hits)
	sleep 0.1
	connect 2 && ok "$label: traffic flows after synscope exits" || not_ok "$label: traffic after exit"
	sleep 0.2
	for k in xdp tcx_in tcx_out $([ "$verdict" = next ] && echo tc); do
		[ "$(hit "$k")" -gt "$(awk -v k=$k '{for (i = 1; i < NF; i += 2) if ($i == k) print $(i + 1)}' <<<"$h0")" ] &&
			ok "$label: their $k program still passes traffic" || not_ok "$label: $k after exit: $h0 -> $(hits)"
	done
	kill -TERM "$fa"
	wait "$fa" 2>/dev/null
}

coexist "auto" pass --mode auto
coexist "xdp" pass --mode xdp
coexist "tc (tcx)" pass --mode tc
SYNSCOPE_NO_TCX=1 coexist "tc (classic)" next --mode tc

# kill -9 at given steps (SYNSCOPE_TEST_STOP stops the process there).
stopped() { [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" = T ]; }
for mode in auto xdp tc; do
	for point in loaded attaching; do
		SYNSCOPE_TEST_STOP=$point ip netns exec "$NS_SRV" "$BIN" -i vs0 --mode $mode --duration 30 \
			>/dev/null 2>&1 &
		pid=$!
		BG_PIDS+=("$pid")
		for _ in $(seq 100); do stopped "$pid" && break; sleep 0.05; done
		stopped "$pid" && ok "kill -9 ($mode, $point): stopped there" || not_ok "kill -9 ($mode, $point): never stopped"
		[ "$point" = attaching ] && [ -z "$(nothing_left)" ] && not_ok "kill -9 ($mode, $point): nothing attached yet?"
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		for _ in $(seq 50); do [ -z "$(nothing_left)" ] && break; sleep 0.1; done
		check_eq "kill -9 ($mode, $point): nothing left attached" "$(nothing_left)" ""
	done
	# And at whatever moment a timer hits, from start to tracing.
	for delay in 0.01 0.05 0.1 0.2 0.3 0.5; do
		ip netns exec "$NS_SRV" "$BIN" -i vs0 --mode $mode --duration 30 >/dev/null 2>&1 &
		pid=$!
		BG_PIDS+=("$pid")
		sleep "$delay"
		kill -9 "$pid"
		wait "$pid" 2>/dev/null
		for _ in $(seq 50); do [ -z "$(nothing_left)" ] && break; sleep 0.1; done
		check_eq "kill -9 ($mode) after ${delay}s: nothing left attached" "$(nothing_left)" ""
	done
done

# Classic tc: filters outlive a kill -9; the next synscope removes them (and
# only those of dead synscopes: a running one keeps its own).
export SYNSCOPE_NO_TCX=1
ours() { in_srv tc filter show dev vs0 "$1" | grep -o 'handle 0x5c[0-9a-f]* ss_tc_[a-z]*' | sort | tr '\n' ' '; }
SYNSCOPE_TEST_STOP=attaching ip netns exec "$NS_SRV" "$BIN" -i vs0 --mode tc --duration 30 >/dev/null 2>&1 &
pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 100); do stopped "$pid" && break; sleep 0.05; done
kill -9 "$pid"
wait "$pid" 2>/dev/null
stale=$(printf '0x5c%06x' "$pid")
check_eq "classic kill -9 while attaching: its ingress filter stays" "$(ours ingress)" "handle $stale ss_tc_ingress "
start_synscope "$NS_SRV" "$TMP/a.out" "$TMP/a.err" -i vs0 --mode tc -o json || not_ok "classic: start after kill"
grep -q "^synscope: removed a stale tc filter of synscope from vs0 ingress (handle $stale; pid $pid is gone)$" "$TMP/a.err" &&
	ok "classic: the next start removes the stale filter and says so" || not_ok "classic stale: $(cat "$TMP/a.err")"
live=$(printf '0x5c%06x' "$SS_PID")
check_eq "classic: only the new one's filters (ingress)" "$(ours ingress)" "handle $live ss_tc_ingress "
# A second synscope while the first runs: both stay, traffic seen by both.
first=$SS_PID
start_synscope "$NS_SRV" "$TMP/b.out" "$TMP/b.err" -i vs0 --mode tc -o json -c 1 || not_ok "classic: second start"
grep -q "stale" "$TMP/b.err" && not_ok "classic: a live synscope's filter taken for stale: $(cat "$TMP/b.err")" ||
	ok "classic: a running synscope's filters are not stale"
check_eq "classic: both synscopes' filters (egress)" "$(ours egress)" \
	"$(printf 'handle %s ss_tc_egress \nhandle %s ss_tc_egress \n' "$live" "$(printf '0x5c%06x' "$SS_PID")" | sort | tr -d '\n')"
connect 1
wait "$SS_PID"
check_eq "classic: second saw the handshake" "$(jq -r .outcome "$TMP/b.out")" established
check_eq "classic: first's filters still there" "$(ours ingress)" "handle $live ss_tc_ingress "
connect 1
sleep 0.3
kill -INT "$first"
wait "$first"
check_eq "classic: first saw both handshakes" "$(jq -c 'select(.outcome=="established")' "$TMP/a.out" | wc -l)" 2
check_eq "classic: nothing left" "$(nothing_left)" ""
unset SYNSCOPE_NO_TCX

# The static binary: no shared libraries, an empty environment, an empty
# directory; then a chroot with only the binary and /proc, /sys mounted,
# as a scratch container image would be.
if readelf -l "$STATIC" | grep -q INTERP; then not_ok "static: has an ELF interpreter"; else ok "static: no ELF interpreter"; fi
check_eq "static: no dynamic section" "$(readelf -d "$STATIC" | grep -c NEEDED)" 0
EMPTY=$(mktemp -d)
chmod 755 "$EMPTY"
cp "$STATIC" "$EMPTY/synscope"
(
	cd "$EMPTY" || exit 1
	SS_WRAP=(env -i) BIN=./synscope
	start_synscope "$NS_SRV" "$TMP/s.out" "$TMP/s.err" -i vs0 -o json -c 1 && connect 1 && wait "$SS_PID"
)
check_eq "static, env -i, empty directory: traces" "$(jq -r .outcome "$TMP/s.out" 2>/dev/null)" established
check_eq "static: the directory still holds only itself" "$(ls -A "$EMPTY")" synscope
mkdir "$EMPTY/proc" "$EMPTY/sys"
ip netns exec "$NS_SRV" unshare -m sh -c "mount --make-rprivate / && mount --rbind /sys '$EMPTY/sys' &&
	mount -t proc proc '$EMPTY/proc' && exec chroot '$EMPTY' /synscope -i vs0 -o json -c 1 --duration 20" \
	>"$TMP/ch.out" 2>"$TMP/ch.err" &
pid=$!
BG_PIDS+=("$pid")
for _ in $(seq 100); do grep -q tracing "$TMP/ch.err" && break; sleep 0.05; done
connect 1
wait "$pid"
check_eq "static in a chroot of itself: traces" "$(jq -r .outcome "$TMP/ch.out" 2>/dev/null)" established
# Reading a capture works there too (libpcap is linked in).
in_srv timeout 10 tcpdump -i vs0 -n -w "$TMP/s.pcap" -c 6 tcp 2>/dev/null &
td=$!
sleep 0.5
connect 1
wait "$td"
( cd "$EMPTY" && env -i ./synscope -r - -o json <"$TMP/s.pcap" >"$TMP/sr.out" 2>"$TMP/sr.err" )
check_eq "static, env -i: reads a capture" "$(jq -r .outcome "$TMP/sr.out" 2>/dev/null)" established
rm -rf "$EMPTY"

finish
