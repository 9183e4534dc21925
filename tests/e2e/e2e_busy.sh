#!/usr/bin/env bash
# A busy host's own handshakes, every one a record: nginx in the server's
# namespace answering one request per connection (keep-alive off), ApacheBench
# (ab -c 64) opening connections as fast as these cores allow, synscope on
# the server's vs0 at its defaults. The witness: tcpdump on the same vs0,
# the server's SYN-ACKs (distinct: a retransmission has the same sequence
# number). No rate or timing is asserted, only counts:
#  1. IPv4, then IPv6: records = the witness's SYN-ACKs, nothing lost or
#     shed, the accounts add up with nothing unread;
#  2. Ctrl-C 0.1, 0.2 and 0.3 s after the load: the same, and -w's file
#     holds every one of the witness's SYN-ACKs;
#  3. top: its intervals' established and its last object (the accounts)
#     equal the witness;
#  4. a spoofed SYN flood (trafgen) with a real client's connections mixed
#     in: every real connection that completed has its record;
#  5. every other way out, while the load runs: SIGTERM, --duration, -c
#     (saying how many were left unprinted), the reader of stdout gone, the
#     interface removed: the accounts add up with nothing unread.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

for tool in nginx ab tcpdump tshark trafgen jq nft; do
	command -v "$tool" >/dev/null || { echo "e2e_busy: $tool is missing (make deps)" >&2; exit 1; }
done

LOAD_N=${LOAD_N:-10000}      # connections per load
CONC=${CONC:-64}             # ab's concurrency
FLOOD_N=${FLOOD_N:-1000000}  # spoofed SYNs of the flood
PORT=8080

setup_pair
SMAC=$(in_srv cat /sys/class/net/vs0/address)
CMAC=$(in_cli cat /sys/class/net/vc0/address)
in_cli ip neigh replace $SRV4 lladdr "$SMAC" dev vc0 nud permanent
in_srv ip neigh replace $CLI4 lladdr "$CMAC" dev vs0 nud permanent
# The server takes TCP from the client only: spoofed SYNs reach vs0's hooks
# (and synscope) and then are dropped, so it never answers (or ARPs for) a
# spoofed source.
in_srv nft -f - <<NFT
table ip synscope_busy {
	chain input { type filter hook input priority 0; meta l4proto tcp ip saddr != $CLI4 drop; }
}
NFT

# nginx, all of it under TMP: one request per connection.
start_nginx "$PORT" || { not_ok "nginx did not start: $(cat "$TMP/nginx/error.log")"; finish; exit 1; }

url() { [ "$1" = 4 ] && echo "http://$SRV4:$PORT/" || echo "http://[$SRV6]:$PORT/"; }

# ab: n connections to the family's server, one request each. Prints
# "complete failed rate".
load() { # family n
	in_cli timeout 120 ab -q -r -n "$2" -c "$CONC" "$(url "$1")" >"$TMP/ab.out" 2>&1
	printf '%s %s %s\n' "$(sed -n 's/^Complete requests: *//p' "$TMP/ab.out")" \
		"$(sed -n 's/^Failed requests: *//p' "$TMP/ab.out")" \
		"$(sed -n 's/^Requests per second: *\([0-9.]*\).*/\1/p' "$TMP/ab.out")"
}

# The witness: the server's SYN-ACKs on vs0, nothing else (so that
# tcpdump keeps up), into FILE.
witness_start() { # file
	ip netns exec "$NS_SRV" timeout 120 tcpdump -i vs0 -n -s 96 -B 65536 --immediate-mode -U -w "$1" \
		'(ip and tcp[13] & 0x12 == 0x12) or (ip6 and ip6[53] & 0x12 == 0x12)' 2>"$1.err" &
	TD_PID=$!
	BG_PIDS+=("$TD_PID")
	for _ in $(seq 100); do grep -q listening "$1.err" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
witness_stop() { # file: WANT = the distinct SYN-ACKs, or "dropped N"
	local d
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	d=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$1.err")
	if [ "${d:-x}" = 0 ]; then WANT=$(distinct_synacks "$1"); else WANT="dropped ${d:-?}"; fi
}
# SYN-ACKs in a capture, a retransmission counted once (same ends, same seq).
distinct_synacks() { # file
	tshark -n -r "$1" -Y 'tcp.flags.syn == 1 && tcp.flags.ack == 1' -T fields \
		-e ip.dst -e ipv6.dst -e tcp.dstport -e tcp.seq_raw 2>/dev/null | sort -u | wc -l
}

# Records, established, with this server port.
established() { jq -c "select(.type == \"handshake\" and .outcome == \"established\" and .server_port == $PORT)" "$1" | wc -l; }
ev_lost() { sed -n 's/.*written, \([0-9]*\) lost.*/\1/p' "$1"; }
ev_shed() { sed -n 's/.*lost (ring full), \([0-9]*\) shed.*/\1/p' "$1"; }

stop_ss() { kill -INT "$SS_PID" 2>/dev/null; wait "$SS_PID"; }

# ---- 1. IPv4, then IPv6, at the defaults ---------------------------------------
for fam in 4 6; do
	OUT=$TMP/l$fam.json ERR=$TMP/l$fam.err W=$TMP/l$fam.pcap
	witness_start "$W" || { not_ok "v$fam: tcpdump did not start"; continue; }
	start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json || { not_ok "v$fam: synscope did not start"; continue; }
	read -r done failed rate <<<"$(load $fam "$LOAD_N")"
	# Long enough for the last events to be read on the poll period.
	sleep 1
	stop_ss
	check_eq "v$fam: synscope exit code" "$?" 0
	witness_stop "$W"; want=$WANT
	check_eq "v$fam: ab completed every connection" "$done/$failed" "$LOAD_N/0"
	check_eq "v$fam: established records = the server's SYN-ACKs (tcpdump)" "$(established "$OUT")" "$want"
	check_eq "v$fam: nothing lost, nothing shed" "$(ev_lost "$ERR")/$(ev_shed "$ERR")" "0/0"
	check_eq "v$fam: the accounts add up, nothing unread" "$(accounts_add_up "$ERR")" ok
	check_eq "v$fam: completing ACKs (kernel) = the witness" "$(summary_count "$ERR" 'completing ack')" "$want"
	echo "# v$fam: $rate connections/s (ab), $want handshakes, $(grep 'events .* written' "$ERR" | sed 's/^synscope: //')"
done

# ---- 2. Ctrl-C right after the load --------------------------------------------
for delay in 0.1 0.2 0.3; do
	OUT=$TMP/c$delay.json ERR=$TMP/c$delay.err W=$TMP/c$delay.pcap
	fam=$([ "$delay" = 0.2 ] && echo 6 || echo 4)
	witness_start "$W" || { not_ok "Ctrl-C $delay s: tcpdump did not start"; continue; }
	start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json -w "$TMP/c$delay.w.pcap" ||
		{ not_ok "Ctrl-C $delay s: synscope did not start"; continue; }
	read -r done failed rate <<<"$(load $fam "$LOAD_N")"
	sleep "$delay"
	stop_ss
	check_eq "Ctrl-C $delay s (v$fam): synscope exit code" "$?" 0
	witness_stop "$W"; want=$WANT
	check_eq "Ctrl-C $delay s (v$fam): ab completed every connection" "$done/$failed" "$LOAD_N/0"
	check_eq "Ctrl-C $delay s (v$fam): established records = the server's SYN-ACKs (tcpdump)" \
		"$(established "$OUT")" "$want"
	check_eq "Ctrl-C $delay s (v$fam): no record left open" \
		"$(jq -c 'select(.outcome == "open")' "$OUT" | wc -l)" 0
	check_eq "Ctrl-C $delay s (v$fam): nothing lost, nothing shed" "$(ev_lost "$ERR")/$(ev_shed "$ERR")" "0/0"
	check_eq "Ctrl-C $delay s (v$fam): the accounts add up, nothing unread" "$(accounts_add_up "$ERR")" ok
	check_eq "Ctrl-C $delay s (v$fam): -w's file has every SYN-ACK" "$(distinct_synacks "$TMP/c$delay.w.pcap")" "$want"
done

# ---- 3. top ----------------------------------------------------------------------
OUT=$TMP/top.json ERR=$TMP/top.err W=$TMP/top.pcap
if witness_start "$W" && start_synscope "$NS_SRV" "$OUT" "$ERR" top -i vs0 -o json --interval 0.5; then
	read -r done failed rate <<<"$(load 4 "$LOAD_N")"
	sleep 0.2
	stop_ss
	check_eq "top: synscope exit code" "$?" 0
	witness_stop "$W"; want=$WANT
	check_eq "top: the intervals' established = the witness" \
		"$(jq -s 'map(select(.type == "interval") | .established) | add' "$OUT")" "$want"
	check_eq "top: the last object is the summary" "$(tail -1 "$OUT" | jq -r .type)" summary
	check_eq "top: its completions: kernel, recorded, lost, unread" \
		"$(tail -1 "$OUT" | jq -c '.completions | [.kernel, .recorded, .lost, .unread]')" "[$want,$want,0,0]"
	check_eq "top: its handshakes established = the witness" "$(tail -1 "$OUT" | jq .handshakes.established)" "$want"
	check_eq "top: the accounts add up, nothing unread" "$(accounts_add_up "$ERR")" ok
else
	not_ok "top: tcpdump or synscope did not start"
fi

# ---- 4. a SYN flood, a real client mixed in ---------------------------------------
# The witness: every packet of the real client's connections (both ways),
# and from them the handshakes that completed: an ACK from the client
# acknowledging its SYN-ACK's seq + 1, one line per connection (by client
# port: ports come round again within a run). synscope's records go through a
# pipe that keeps only the real client's (the flood makes a million).
OUT=$TMP/f.json ERR=$TMP/f.err W=$TMP/f.pcap
ip netns exec "$NS_SRV" timeout 120 tcpdump -i vs0 -n -s 96 -B 65536 --immediate-mode -U -w "$W" \
	"host $CLI4 and tcp port $PORT" 2>"$W.err" &
TD_PID=$!
BG_PIDS+=("$TD_PID")
for _ in $(seq 100); do grep -q listening "$W.err" 2>/dev/null && break; sleep 0.05; done
mkfifo "$TMP/f.fifo"
grep --line-buffered -F "\"client\":\"$CLI4\"" <"$TMP/f.fifo" >"$OUT" &
GREP=$!
if start_synscope "$NS_SRV" "$TMP/f.fifo" "$ERR" -i vs0 -o json --timeout 2; then
	# trafgen can stop early on a loaded machine (its TX ring flush fails
	# with EAGAIN): the flood is sent again, at most 3 times, until one
	# whole run of it overlapped the load.
	for attempt in 1 2 3; do
		in_cli timeout 60 trafgen -o vc0 --cpus 1 -n "$FLOOD_N" \
			"{ eth(da=$SMAC), ipv4(sa=drnd(), da=$SRV4, ttl=64), tcp(sp=drnd(), dp=$PORT, seq=drnd(), syn, win=64240) }" \
			>"$TMP/trafgen.log" 2>&1 &
		TG=$!
		[ "$attempt" = 1 ] && read -r done failed rate <<<"$(load 4 $((LOAD_N / 2)))"
		wait "$TG"
		sent=$(tr -d '\r' <"$TMP/trafgen.log" | sed -n 's/^ *\([0-9][0-9]*\) packets outgoing.*/\1/p' | tail -1)
		[ "$sent" = "$FLOOD_N" ] && break
		echo "# flood: trafgen stopped early: $(tr -d '\r' <"$TMP/trafgen.log" | grep -i -m1 -E 'fail|error|cannot')" >&2
	done
	sleep 0.5
	stop_ss
	check_eq "flood: synscope exit code" "$?" 0
	wait "$GREP"
	sleep 0.3
	kill -INT "$TD_PID" 2>/dev/null
	wait "$TD_PID" 2>/dev/null
	check_eq "flood: tcpdump dropped nothing" "$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$W.err")" 0
	check_eq "flood: trafgen sent what it was asked (attempt $attempt)" "$sent" "$FLOOD_N"
	# Completed handshakes in the witness, by client port.
	tshark -n -r "$W" -T fields -e tcp.srcport -e tcp.dstport -e tcp.flags.syn -e tcp.flags.ack \
		-e tcp.flags.reset -e tcp.seq_raw -e tcp.ack_raw 2>/dev/null |
		awk -v p=$PORT '
			$1 == p && $3 == 1 && $4 == 1 { sa[$2] = $6 }
			$2 == p && $3 == 0 && $4 == 1 && $5 == 0 && ($1 in sa) && $7 == (sa[$1] + 1) % 4294967296 { done[$1 " " sa[$1]] = 1 }
			END { for (c in done) { split(c, f, " "); print f[1] } }' | sort -n >"$TMP/f.witness"
	jq -r 'select(.outcome == "established") | .client_port' "$OUT" | sort -n >"$TMP/f.records"
	check_eq "flood: every real connection that completed has an established record" \
		"$(comm -23 "$TMP/f.witness" "$TMP/f.records" | wc -l)" 0
	check_eq "flood: and no other" "$(comm -13 "$TMP/f.witness" "$TMP/f.records" | wc -l)" 0
	check_eq "flood: the witness saw the connections ab completed, or more" \
		"$([ "$(wc -l <"$TMP/f.witness")" -ge "${done:-1}" ] && echo yes)" yes
	check_eq "flood: the accounts add up, nothing unread" "$(accounts_add_up "$ERR")" ok
	echo "# flood: $sent spoofed SYNs, $(wc -l <"$TMP/f.witness") real handshakes completed (ab: $done complete, $failed failed, $rate/s); $(grep 'events .* written' "$ERR" | sed 's/^synscope: //')"
else
	not_ok "flood: synscope did not start"
	kill "$GREP" 2>/dev/null
fi

# ---- 5. every other way out, in the middle of a load ---------------------------
# The load in the background; synscope ends while it runs.
bg_load() { in_cli timeout 60 ab -q -r -n "$LOAD_N" -c "$CONC" "$(url 4)" >/dev/null 2>&1 & AB=$!; BG_PIDS+=("$AB"); }
mid_load() { for _ in $(seq 100); do [ "$(in_srv ss -Htn state time-wait | wc -l)" -gt 200 ] && return; sleep 0.02; done; }

for way in sigterm duration count reader; do
	OUT=$TMP/x-$way.json ERR=$TMP/x-$way.err
	case $way in
	sigterm | reader) args=() ;;
	duration) args=(--duration 1) ;;
	count) args=(-c 100) ;;
	esac
	if [ "$way" = reader ]; then
		# The reader of stdout goes away after 50 lines: synscope ends
		# quietly on the broken pipe.
		mkfifo "$TMP/x.fifo"
		head -n 50 <"$TMP/x.fifo" >"$OUT" &
		start_synscope "$NS_SRV" "$TMP/x.fifo" "$ERR" -i vs0 -o json -l || { not_ok "$way: synscope did not start"; continue; }
	else
		start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json "${args[@]}" ||
			{ not_ok "$way: synscope did not start"; continue; }
	fi
	bg_load
	mid_load
	[ "$way" = sigterm ] && kill -TERM "$SS_PID"
	wait "$SS_PID"
	check_eq "$way: synscope exit code" "$?" 0
	wait "$AB" 2>/dev/null
	check_eq "$way: the accounts add up, nothing unread" "$(accounts_add_up "$ERR")" ok
	case $way in
	count)
		check_eq "count: 100 records printed" "$(wc -l <"$OUT")" 100
		n=$(sed -n 's/.*-c 100 reached: \([0-9]*\) more handshake.*/\1/p' "$ERR")
		check_eq "count: the records made after -c are said (and in the accounts)" \
			"$(( $(established "$OUT") + $(sed -n 's/.*+ \([0-9]*\) left unprinted at -c.*/\1/p' "$ERR") ))" \
			"$(summary_count "$ERR" 'completing ack')"
		[ "${n:-0}" -gt 0 ] && ok "count: $n more were made and not printed" || not_ok "count: no unprinted line: $(cat "$ERR")"
		;;
	reader)
		check_eq "reader: 50 lines read" "$(wc -l <"$OUT")" 50
		;;
	esac
done

# The interface removed under load: exit 1 and a line; the accounts still
# add up (the kernel's counters of the interface stay readable).
OUT=$TMP/x-gone.json ERR=$TMP/x-gone.err
if start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json; then
	bg_load
	mid_load
	in_srv ip link del vs0
	wait "$SS_PID"
	check_eq "gone: synscope exit code" "$?" 1
	grep -q 'interface vs0 disappeared while tracing' "$ERR" && ok "gone: said so" || not_ok "gone: $(tail -2 "$ERR")"
	check_eq "gone: the accounts add up, nothing unread" "$(accounts_add_up "$ERR")" ok
	wait "$AB" 2>/dev/null
else
	not_ok "gone: synscope did not start"
fi

finish
