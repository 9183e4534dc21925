#!/usr/bin/env bash
# End-to-end agreement of user/p0f.c (through build/p0f_check) with
# Debian's p0f 3.09b reading the same captures:
#   live     tcpdump on the server's vs0 while real Linux connections are
#            made over IPv4 and IPv6 (ncat: completed and refused), SYNs of
#            other shapes come from hping3 (windows, TTLs 64/128/255, MSS,
#            timestamps, DF, flags, sequence and ACK numbers, a data offset
#            past the header) and nmap (-sS over both families, -O's
#            probes), each bounded by a count and by `timeout`;
#   crafted  SYNs and SYN-ACKs written by `p0f_check --craft` in the
#            layouts of p0f.fp signatures (Windows, macOS, FreeBSD,
#            OpenBSD, Solaris, old Linux, NMap...), every quirk, odd
#            options, and the cases p0f skips (retransmissions, stray
#            SYN-ACKs), as Ethernet, Linux cooked v1 and v2 and raw IP;
#   random   30000 random segments from `p0f_check --random` (random
#            fields, options, lengths, flags, a third in real systems'
#            layouts), with a fixed seed and with a new one each run.
# For every capture: p0f -r CAPTURE -f p0f.fp -o LOG; its syn / syn+ack
# entries against `p0f_check --p0f`, entry by entry: the same packets
# (addresses, ports, which side), the same raw_sig, the same os=/app=
# label, dist and params. Then the plain output of p0f_check: one line per
# SYN and SYN-ACK (as tshark counts them in the live capture), saying what
# the --p0f lines say. Last, p0f.fp variants (Debian's file with odd, new,
# duplicate and malformed lines): p0f and ss_p0f_db_load accept and refuse
# the same ones, refusing at the same line.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

FP=${P0F_FP:-/etc/p0f/p0f.fp}
CHECK=${P0F_CHECK:-build/p0f_check}
OPEN=8080 CLOSED=8081
N=${E2E_P0F_N:-3}   # connections per family to each port

for tool in p0f hping3 nmap tcpdump tshark ncat; do
	command -v "$tool" >/dev/null || { echo "e2e_p0f: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
[ -r "$FP" ] || { echo "e2e_p0f: $FP is missing (apt-get install p0f)" >&2; exit 1; }
if [ ! -x "$CHECK" ]; then
	make -s "$CHECK" >&2 || { echo "e2e_p0f: cannot build $CHECK" >&2; exit 1; }
fi

# ---- the live capture ----------------------------------------------------

live_traffic() {
	local dst i
	for dst in $SRV4 $SRV6; do
		for i in $(seq "$N"); do in_cli ncat -w 2 --send-only "$dst" $OPEN <<<"hello $i" || true; done
		for i in $(seq "$N"); do in_cli ncat -w 2 "$dst" $CLOSED </dev/null >/dev/null 2>&1 || true; done
	done
	# hping3 (IPv4 only): 2 SYNs each, 10 ms apart, at the open port.
	local shapes=(
		""                                          # its default: window 64, no option
		"-w 8192 -t 128 --tcp-mss 1460 -y"          # Windows-like TTL and window, DF
		"-w 65535 -t 255 --tcp-mss 1460 --tcp-timestamp"
		"-w 16384 --tcp-mss 1460"                   # Linux 2.0's signature
		"-w 1024 --tcp-mss 1460 -t 50"              # NMap's SYN scan signature
		"-w 5840 --tcp-mss 1460 --tcp-timestamp -y"
		"-w 29200 --tcp-mss 1460 -t 37 -y"
		"-M 0 -L 16777216 -w 4096"                  # seq-, ack+ (bit 24 of the ACK)
		"-L 1 -U -P -w 4096"                        # urgf+, pushf+, an ACK p0f does not flag
		"-X -Y -w 4096 --tcp-mss 536"               # ECE and CWR: ecn
		"-O 6 -d 4 -w 4096"                         # data offset 24: payload read as options
		"-d 10 -w 4096 --tcp-mss 1460"              # a SYN with data: pclass +
	)
	local s
	for s in "${shapes[@]}"; do
		# shellcheck disable=SC2086
		in_cli timeout 10 hping3 -q -n -S -c 2 -i u10000 -p $OPEN $s $SRV4 >/dev/null 2>&1 || true
	done
	# nmap: SYN scans of both families, then OS detection (its probes).
	in_cli timeout 60 nmap -n -Pn -sS -p $OPEN,$CLOSED --max-retries 1 $SRV4 >"$TMP/nmap-sS4.out" 2>&1 || true
	in_cli timeout 60 nmap -6 -n -Pn -sS -p $OPEN,$CLOSED --max-retries 1 $SRV6 >"$TMP/nmap-sS6.out" 2>&1 || true
	in_cli timeout 90 nmap -n -Pn -O --max-os-tries 1 -p $OPEN,$CLOSED $SRV4 >"$TMP/nmap-O4.out" 2>&1 || true
	in_cli timeout 90 nmap -6 -n -Pn -O --max-os-tries 1 -p $OPEN,$CLOSED $SRV6 >"$TMP/nmap-O6.out" 2>&1 || true
}

setup_pair
in_srv timeout 300 ncat -l -k $OPEN >/dev/null 2>&1 &
LISTENER=$!
BG_PIDS+=($LISTENER)
sleep 0.3
LIVE=$TMP/live.pcap
start_tcpdump "$NS_SRV" vs0 "$LIVE" || { not_ok "tcpdump did not start"; finish; exit; }
live_traffic
sleep 0.5
kill -INT "$TD_PID" 2>/dev/null
wait "$TD_PID" 2>/dev/null
kill "$LISTENER" 2>/dev/null
{ wait "$LISTENER"; } 2>/dev/null
# For a look at what was compared: E2E_P0F_KEEP=DIR keeps the captures.
if [ -n "${E2E_P0F_KEEP:-}" ]; then
	trap 'mkdir -p "$E2E_P0F_KEEP"; cp "$TMP"/*.pcap "$TMP"/*.log "$TMP"/*.ours "$TMP"/*.plain "$E2E_P0F_KEEP"/ 2>/dev/null; teardown' EXIT
fi

# ---- the crafted captures ------------------------------------------------

CRAFTED=()
for link in ethernet sll sll2 raw; do
	if "$CHECK" --craft "$TMP/crafted-$link.pcap" "$link"; then
		CRAFTED+=("$TMP/crafted-$link.pcap")
	else
		not_ok "p0f_check --craft $link failed"
	fi
done

# ---- comparing -----------------------------------------------------------

TOTAL_LABELLED=0 TOTAL_LABEL_SAME=0 TOTAL_SIGS=0 TOTAL_SIG_SAME=0

# Entry by entry, p0f's log lines (time cut off) against p0f_check --p0f's
# ("<packet> " first). Prints "MISMATCH what" lines, then
# "COUNTS theirs ours same_packet same_sig same_rest syn_labelled
# syn_label_same syn_unlabelled".
AWK_COMPARE='
function kv(line, key,   n, i, a) {
	n = split(line, a, "|")
	for (i = 1; i <= n; i++)
		if (index(a[i], key "=") == 1)
			return substr(a[i], length(key) + 2)
	return "-"
}
function lab(line,   v) {
	if ((v = kv(line, "os")) != "-") return "os=" v
	if ((v = kv(line, "app")) != "-") return "app=" v
	return "-"
}
function where(line) { return kv(line, "mod") "|" kv(line, "cli") "|" kv(line, "srv") "|" kv(line, "subj") }
function rest(line) { return lab(line) " dist=" kv(line, "dist") " params=" kv(line, "params") }
function bad(what) { if (++nbad <= 10) print "MISMATCH " what }
FNR == NR { t[++nt] = $0; next }
{ num[++no] = $1; sub(/^[0-9]+ /, ""); o[no] = $0 }
END {
	for (i = 1; i <= nt && i <= no; i++) {
		if (where(t[i]) != where(o[i])) {
			bad("entry " i " (packet " num[i] ") is another packet: p0f " where(t[i]) ", ours " where(o[i]))
			continue
		}
		same++
		if (kv(t[i], "raw_sig") == kv(o[i], "raw_sig")) sig++
		else bad("packet " num[i] " raw_sig: p0f " kv(t[i], "raw_sig") ", ours " kv(o[i], "raw_sig"))
		if (rest(t[i]) == rest(o[i])) r++
		else bad("packet " num[i] ": p0f " rest(t[i]) ", ours " rest(o[i]))
		if (t[i] ~ /^mod=syn\|/) {
			if (lab(t[i]) == "os=???") unl++
			else { labelled++; if (lab(t[i]) == lab(o[i])) lsame++ }
		}
	}
	print "COUNTS", nt, no, same + 0, sig + 0, r + 0, labelled + 0, lsame + 0, unl + 0
}'

# The plain output at the packets of the --p0f lines: "syn"/"synack", the
# same raw_sig and label. Prints the number that differ.
AWK_PLAIN='
function kv(line, key,   n, i, a) {
	n = split(line, a, "|")
	for (i = 1; i <= n; i++)
		if (index(a[i], key "=") == 1)
			return substr(a[i], length(key) + 2)
	return "-"
}
FNR == NR { n = $1; $1 = ""; plain[n] = substr($0, 2); next }
{
	n = $1; sub(/^[0-9]+ /, "")
	kind = ($0 ~ /^mod=(syn|sendsyn probe)\|/) ? "syn" : "synack"
	label = kv($0, "os"); if (label == "-") label = kv($0, "app")
	if (plain[n] != kind " " kv($0, "raw_sig") " " label) bad++
}
END { print bad + 0 }'

compare() { # name capture [p0f.fp [nocount]]
	local name=$1 cap=$2 fp=${3:-$FP} count=${4:-count}
	local log=$TMP/$name.log line counts
	local -a c

	rm -f "$log"
	if ! p0f -r "$cap" -f "$fp" -o "$log" >"$TMP/$name.p0f-out" 2>&1; then
		not_ok "$name: p0f -r failed: $(tail -2 "$TMP/$name.p0f-out" | tr '\n' ' ')"
		return
	fi
	grep -E '^\[[^]]*\] mod=(syn|syn\+ack|sendsyn probe|sendsyn response)\|' "$log" |
		sed 's/^\[[^]]*\] //' >"$TMP/$name.theirs"
	if ! "$CHECK" -f "$fp" --p0f "$cap" >"$TMP/$name.ours" 2>"$TMP/$name.ours-err"; then
		not_ok "$name: p0f_check failed: $(cat "$TMP/$name.ours-err")"
		return
	fi
	while IFS= read -r line; do
		case $line in
		MISMATCH\ *) not_ok "$name: ${line#MISMATCH }" ;;
		COUNTS\ *) counts=${line#COUNTS } ;;
		esac
	done < <(awk "$AWK_COMPARE" "$TMP/$name.theirs" "$TMP/$name.ours")
	read -ra c <<<"${counts:-0 0 0 0 0 0 0 0}"
	check_eq "$name: SYN and SYN-ACK entries p0f logged, p0f_check's model of which" "${c[1]}" "${c[0]}"
	check_eq "$name: entries at the same packet (cli, srv, side)" "${c[2]}" "${c[0]}"
	check_eq "$name: raw_sig the same" "${c[3]}" "${c[0]}"
	check_eq "$name: os=/app=, dist and params the same" "${c[4]}" "${c[0]}"
	check_eq "$name: SYNs p0f labelled, labelled the same (${c[7]} more left '???' by both)" "${c[6]}" "${c[5]}"
	if [ "$count" = count ]; then
		TOTAL_LABELLED=$((TOTAL_LABELLED + c[5])) TOTAL_LABEL_SAME=$((TOTAL_LABEL_SAME + c[6]))
		TOTAL_SIGS=$((TOTAL_SIGS + c[0])) TOTAL_SIG_SAME=$((TOTAL_SIG_SAME + c[3]))
	fi

	# The plain output says the same about the same packets.
	if ! "$CHECK" -f "$fp" "$cap" >"$TMP/$name.plain" 2>>"$TMP/$name.ours-err"; then
		not_ok "$name: p0f_check (plain) failed"
		return
	fi
	check_eq "$name: plain lines agree with the --p0f lines at the same packets" \
		"$(awk "$AWK_PLAIN" "$TMP/$name.plain" "$TMP/$name.ours")" 0
}

compare live "$LIVE"
check_eq "live: plain output has one line per SYN and SYN-ACK (tshark's count)" \
	"$(wc -l <"$TMP/live.plain")" \
	"$(tshark_count "$LIVE" 'tcp.flags.syn==1 && tcp.flags.fin==0 && tcp.flags.reset==0')"
# The live capture has what it was made for.
has() { # name count: at least one
	if [ "$2" -gt 0 ]; then ok "$1 ($2)"; else not_ok "$1: none"; fi
}
has "live: IPv6 SYNs among p0f's entries" "$(grep -c '\] mod=syn|cli=fd00:' "$TMP/live.log")"
has "live: IPv6 SYN-ACKs among p0f's entries" "$(grep -c '\] mod=syn+ack|cli=fd00:' "$TMP/live.log")"
has "live: hping3's SYNs (window 8192, TTL 128) among p0f's entries" \
	"$(grep -c '\] mod=syn|.*raw_sig=4:128+0:0:1460:8192,' "$TMP/live.log")"
has "live: nmap -O's probes (windows 1, 4, 16, 63, 512, 31337) among p0f's entries" \
	"$(grep -cE '\] mod=syn\|.*raw_sig=[46]:[0-9]+\+[0-9?]+:0:[0-9]+:(1|4|16|63|512|31337),' "$TMP/live.log")"

for cap in "${CRAFTED[@]}"; do
	compare "$(basename "$cap" .pcap)" "$cap"
done

# Random segments: a fixed seed, and one new each run (E2E_P0F_SEED to
# repeat it).
SEED=${E2E_P0F_SEED:-$(( $(date +%s%N) % 1000000 + 2 ))}
for seed in 1 "$SEED"; do
	if "$CHECK" --random "$TMP/random-$seed.pcap" 30000 "$seed"; then
		compare "random-seed$seed" "$TMP/random-$seed.pcap"
	else
		not_ok "p0f_check --random (seed $seed) failed"
	fi
done

# The crafted capture gives p0f what it was made for: many labels, fuzzy,
# generic and tool matches, and SYNs it cannot name.
if [ -r "$TMP/crafted-ethernet.log" ]; then
	C=$TMP/crafted-ethernet.log
	labels=$(grep -oE '\] mod=syn\|.*\|os=[^|]*' "$C" | grep -v 'os=???' | sed 's/.*|os=//' | sort -u | wc -l)
	if [ "$labels" -ge 20 ]; then ok "crafted: distinct OS labels p0f gives the SYNs ($labels)"
	else not_ok "crafted: only $labels distinct OS labels (want 20)"; fi
	for what in '|params=fuzzy|' '|params=generic|' '|params=generic fuzzy|' '|app=NMap' '|os=???|' \
		'] mod=syn+ack|.*|os=Windows' '|params=random_ttl|'; do
		has "crafted: p0f's entries with '$what'" "$(grep -c -- "$what" "$C")"
	done
fi

# ---- p0f.fp variants: p0f and ss_p0f_db_load accept and refuse the same ----
# Debian's file with lines put before a section header; refused: at the
# same line; accepted: the crafted capture matched the same with it.
db_case() { # name "[section]" (the lines come on stdin)
	local name=$1 before=$2 f=$TMP/db-$1.fp p0f_rc our_rc p0f_line our_line
	EXTRA=$(cat) awk -v before="$before" '$0 == before && !done { print ENVIRON["EXTRA"]; done = 1 } { print }' \
		"$FP" >"$f"
	p0f -f "$f" -r "${CRAFTED[0]}" -o "$TMP/db-$name.p0f-log" >"$TMP/db-$name.p0f-out" 2>&1
	p0f_rc=$?
	# Every "line N" p0f names (the line, and what it is covered by).
	p0f_line=$(grep -m1 'ABORT' "$TMP/db-$name.p0f-out" | grep -o 'line [0-9]*' | grep -o '[0-9]*' | paste -sd' ')
	"$CHECK" -f "$f" "${CRAFTED[0]}" >/dev/null 2>"$TMP/db-$name.err"
	our_rc=$?
	our_line=$({ sed -n "s|^p0f_check: $f:\([0-9]*\): .*|\1|p" "$TMP/db-$name.err"
		     sed -n "s|^p0f_check: $f:[0-9]*: ||p" "$TMP/db-$name.err" | grep -o 'line [0-9]*' | grep -o '[0-9]*'
		   } | paste -sd' ')
	if [ "$p0f_rc" = 0 ] && [ "$our_rc" = 0 ]; then
		ok "p0f.fp $name: both load it"
		compare "db-$name" "${CRAFTED[0]}" "$f" nocount
	elif [ "$p0f_rc" != 0 ] && [ "$our_rc" != 0 ]; then
		check_eq "p0f.fp $name: both refuse it at the same line ($(sed 's/^p0f_check: [^:]*:[0-9]*: //' "$TMP/db-$name.err"))" \
			"${our_line:-none}" "${p0f_line:-none}"
	else
		not_ok "p0f.fp $name: p0f exit $p0f_rc ($(grep -m1 ABORT "$TMP/db-$name.p0f-out")), p0f_check exit $our_rc ($(cat "$TMP/db-$name.err"))"
	fi
}
REQ="[tcp:response]" RESP="[http:request]"
if [ ${#CRAFTED[@]} -gt 0 ]; then
	# Accepted, though odd: p0f reads '64-:X:' as 64-:0:, a trailing comma
	# in the layout, empty numbers, '?' alone (kind 0), a '*' signature
	# repeating another (p0f's duplicate check misses it), a generic '4:'
	# one under a specific '*' one with 'df'.
	db_case odd-but-valid "$REQ" <<'EOF2'
label = s:unix:Crafted:odd
sig = *:64-:X:1460:999,0:mss::0
sig = *:64:0:1234:*,*:mss,::0
sig = *:64::1235:*,*:mss::0
sig = *:64:0:1236:*,*:mss,?::0
sig = *:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0
label = g:unix:Crafted:generic
sig = 4:64:0:*:*,*:mss::0
EOF2
	# The crafted SYNs in new labels, in the response section too, names
	# spelled otherwise than before (p0f prints the first spelling).
	db_case new-labels "$REQ" <<'EOF2'
label = s:unix:LINUX:crafted
sig = *:64:0:1380:1000,5:mss,nop,ws::0
sig = 4:64:0:1380:*,5:mss,nop,ws:df,id+:0
label = s:!:nmap:renamed
sys = @unix,freebsd
sig = 4:64-:0:1380:1000,15:mss,nop,ws:df,id+,exws:0
EOF2
	db_case response-labels "$RESP" <<'EOF2'
label = g:win:windows:any answer
sig = *:64:0:*:*,*:mss:df:0
EOF2
	db_case dupe-of-linux-2.0 "$REQ" <<'EOF2'
label = s:unix:Again:2.0
sig = *:64:0:*:mss*12,0:mss::0
EOF2
	db_case dupe-v4-of-star "$REQ" <<'EOF2'
label = s:unix:Again:3.11
sig = 4:64:0:*:mss*20,10:mss,sok,ts,nop,ws:df,id+:0
EOF2
	db_case dupe-in-response "$RESP" <<'EOF2'
label = s:unix:Again:3.x
sig = *:64:0:*:mss*10,0:mss:df:0
EOF2
	db_case bad-quirk "$REQ" <<<'sig = *:64:0:*:*,*:mss:df,idx:0'
	db_case bad-ttl "$REQ" <<<'sig = *:256:0:*:*,*:mss::0'
	db_case bad-ttl-plus "$REQ" <<<'sig = *:64+192:0:*:*,*:mss::0'
	db_case bad-mss "$REQ" <<<'sig = *:64:0:65536:*,*:mss::0'
	db_case bad-modulus "$REQ" <<<'sig = *:64:0:*:%1,*:mss::0'
	db_case bad-multiplier "$REQ" <<<'sig = *:64:0:*:mss*1001,*:mss::0'
	db_case bad-scale "$REQ" <<<'sig = *:64:0:*:*,256:mss::0'
	db_case too-many-options "$REQ" <<<'sig = *:64:0:*:*,*:nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop,nop::0'
	db_case eol-not-last "$REQ" <<<'sig = *:64:0:*:*,*:eol+1,mss::0'
	db_case df-for-ipv6 "$REQ" <<<'sig = 6:64:0:*:*,*:mss:df:0'
	db_case flow-for-ipv4 "$REQ" <<<'sig = 4:64:0:*:*,*:mss:flow:0'
	db_case bad-pclass "$REQ" <<<'sig = *:64:0:*:*,*:mss::1'
	db_case trailing-space "$REQ" <<<'sig = *:64:0:*:*,*:mss::0 '
	db_case late-classes "$REQ" <<<'classes = bsd'
	db_case unknown-class "$REQ" <<<'label = s:bsd:X:1'
	db_case bad-label "$REQ" <<<'label = x:unix:X:1'
	db_case misplaced-sys "$REQ" <<<'sys = Linux'
	db_case tool-without-sys "$REQ" <<'EOF2'
label = s:!:Tool:1
sig = *:64:0:*:*,*:mss::0
EOF2
	db_case unknown-field "$REQ" <<<'flavor = x'
	db_case bad-section "$REQ" <<<'[tcp:sideways]'
	db_case bad-mtu "[tcp:request]" <<<'sig = 0'
fi

echo "agreement: p0f labelled $TOTAL_LABELLED SYNs, p0f_check labelled $TOTAL_LABEL_SAME of them the same; raw_sig the same for $TOTAL_SIG_SAME of $TOTAL_SIGS SYN/SYN-ACK entries"
finish
