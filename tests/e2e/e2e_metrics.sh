#!/usr/bin/env bash
# --metrics on synscope itself, end to end, in two namespaces joined by two
# veth pairs (vc0-vs0: IPv4 and IPv6; vc1-vs1: IPv4, 198.18.1.0/24), the
# links kept quiet (static neighbours, no router solicitation, no link-local
# address, no IPv6 on vc1-vs1) so that nothing but the test's traffic moves
# a counter. synscope traces the server's veths; /metrics is scraped over
# the server namespace's lo, which is never traced, so scrapes are not
# handshakes of the trace.
#   1. a real Prometheus (Debian's, scrape_interval 1s) inside the server
#      namespace scrapes `synscope -i vs0 -i vs1 --metrics PORT` during a
#      known mix (ncat: established, refused, timed out by an nft drop; then
#      140 connections to 70 ports, past the 64 that get a label). Once the
#      stored values equal a fresh curl twice running, SIGINT; then what
#      Prometheus stored must equal the exit summary, figure for figure:
#      handshakes by outcome, every kernel counter summed over iface, events,
#      evictions; each iface row against tcpdump on that interface; the
#      handshake series against the JSON records (port folding into
#      "other"), the latency histograms bucket by bucket, retransmissions;
#      the namespace's TCP statistics against /proc.
#   2. promtool check metrics, Content-Type, HELP and TYPE for every family.
#   3. binding: a port alone listens on 127.0.0.1 only, "[::]:PORT" on all;
#      a taken port and bad addresses: one line, non-zero exit (2 for a bad
#      address), nothing attached.
#   4. hostile clients (1,000 idle connections, a slowloris, 40 x 1 MB
#      request lines) while synscope traces bursts of connections: every
#      handshake recorded (= tcpdump's completed handshakes), scrapes answer
#      within 2 s, VmHWM grows < 16 MB; no thread of synscope (the metrics
#      server's included) holds a capability while tracing.
#   5. synscope top --metrics: kernel counters and pending SYN-ACKs; at exit
#      they equal top's exit counters.
#   6. uid 65534 with only CAP_BPF + CAP_NET_ADMIN still serves metrics,
#      every thread without a capability.
# The kernel counters are compared summed over their iface label, and row
# by row against tcpdump on that interface ("all": every traced one).
# Every process is bounded (timeout, --duration) and killed, the namespaces
# removed, on every exit path (lib.sh's teardown).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

for tool in "$BIN" curl jq python3 promtool prometheus tcpdump tshark ncat nft setpriv; do
	command -v "$tool" >/dev/null || { echo "e2e_metrics: $tool is missing" >&2; exit 1; }
done
[ -x build/foreign_attach ] || { echo "e2e_metrics: build/foreign_attach is missing (make unit-tests)" >&2; exit 1; }
# 1,000 client sockets in one process.
ulimit -n 4096 2>/dev/null || true
T_START=$SECONDS
# E2E_METRICS_KEEP=DIR: keep the run's files (records, pcaps, scrapes) there.
trap '[ -n "${E2E_METRICS_KEEP:-}" ] && cp -r "$TMP"/. "$E2E_METRICS_KEEP"/ 2>/dev/null; teardown' EXIT
trap 'exit 130' INT TERM

SRV4B=198.18.1.2 CLI4B=198.18.1.1
P_LIVE=9464 P_PROM=9090 P_TAKEN=9470 P_HOSTILE=9465 P_TOP=9466 P_NOBODY=9467
OPEN=8080 CLOSED=8081 DROPPED=8082 HALF=8083 BURST=8090
FOLD_FIRST=20001 FOLD_LAST=20070 FOLD_OPEN=20066   # 70 ports, 20066-20070 listen

# ---- the helper: metrics text, summaries, pcaps, servers, clients ------------
MX=$TMP/mx.py
cat >"$MX" <<'EOF'
# mx.py MODE ...: what the shell cannot do comfortably.
import json, re, selectors, socket, subprocess, sys, time

def parse_labels(s):
    labels, i = {}, 0
    while i < len(s):
        m = re.match(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="', s[i:])
        if not m:
            raise ValueError("bad labels: " + s)
        name, i, val = m.group(1), i + m.end(), ""
        while s[i] != '"':
            if s[i] == '\\':
                val += {'n': '\n', '\\': '\\', '"': '"'}[s[i + 1]]
                i += 2
            else:
                val += s[i]
                i += 1
        labels[name] = val
        i += 1
        if i < len(s) and s[i] == ',':
            i += 1
    return labels

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')

def samples(path):
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        if not m:
            raise ValueError("bad sample line: " + line)
        out.append({"name": m.group(1), "labels": parse_labels(m.group(2) or ""), "value": m.group(3)})
    return out

mode = sys.argv[1]
if mode == "parse":
    # The samples of an exposition text, as JSON: [{name, labels, value}].
    print(json.dumps(samples(sys.argv[2])))
elif mode == "families":
    # Every sample's family has one HELP and one TYPE before its samples,
    # histogram samples are _bucket/_sum/_count. Prints the problems.
    help_, type_, problems = {}, {}, []
    for line in open(sys.argv[2], encoding="utf-8"):
        line = line.rstrip("\n")
        m = re.match(r'^# (HELP|TYPE) (\S+) (.*)$', line)
        if m:
            d = help_ if m.group(1) == "HELP" else type_
            if m.group(2) in d:
                problems.append(f"second {m.group(1)} for {m.group(2)}")
            d[m.group(2)] = m.group(3)
            continue
        if not line or line.startswith("#"):
            continue
        name = SAMPLE.match(line).group(1)
        fam = name
        for suf in ("_bucket", "_sum", "_count"):
            if name.endswith(suf) and type_.get(name[:-len(suf)]) == "histogram":
                fam = name[:-len(suf)]
        if fam not in help_ or fam not in type_:
            problems.append(f"{name}: no HELP/TYPE before it")
        elif type_[fam] == "histogram" and fam == name:
            problems.append(f"{name}: histogram sample without a suffix")
    fams = sorted(set(help_) | set(type_))
    print(json.dumps({"problems": problems, "families": {f: type_.get(f) for f in fams}}))
elif mode == "summary":
    # synscope's exit summary (or top's exit counters) as JSON.
    text = open(sys.argv[2]).read()
    out = {}
    pats = {
        r'(\d+) handshakes: (\d+) established, (\d+) refused, (\d+) reset, (\d+) timeout, (\d+) open; '
        r'(\d+) flows evicted \(table full\); (\d+) SYN/SYN-ACK with malformed options':
            ["handshakes", "established", "refused", "reset", "timeout", "open", "evicted", "malformed"],
        r'packets (\d+): tcp (\d+) \(syn (\d+), syn-ack (\d+), completing ack (\d+), rst (\d+), fin (\d+), '
        r'filtered out (\d+)\), not ip (\d+), not tcp (\d+), fragments (\d+), not parsed (\d+) '
        r'\(truncated (\d+), bad ipv4 (\d+), bad ipv6 (\d+), bad tcp (\d+)\)':
            ["packets", "tcp", "syn", "syn_ack", "completing_ack", "rst", "fin", "filtered", "not_ip",
             "not_tcp", "fragments", "not_parsed", "truncated", "bad_ipv4", "bad_ipv6", "bad_tcp"],
        r'events (\d+) written, (\d+) lost \(ring full\), (\d+) shed \(consumer behind or --event-rate\); '
        r'(\d+) pending SYN-ACKs evicted':
            ["events", "lost", "shed", "pending_evicted"],
    }
    for pat, keys in pats.items():
        m = re.search(pat, text)
        if m:
            out.update({k: int(v) for k, v in zip(keys, m.groups())})
    print(json.dumps(out))
elif mode == "pcap":
    # Per pcap: frames, TCP segments by kind, completed handshakes (an ACK
    # from the client acknowledging SYN-ACK seq + 1), by server port.
    res = subprocess.run(["tshark", "-n", "-r", sys.argv[2], "-T", "fields", "-E", "separator=|",
                          "-e", "ip.src", "-e", "ipv6.src", "-e", "ip.dst", "-e", "ipv6.dst",
                          "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.flags",
                          "-e", "tcp.seq_raw", "-e", "tcp.ack_raw"],
                         capture_output=True, text=True, check=True)
    c = {"packets": 0, "tcp": 0, "syn": 0, "syn_ack": 0, "rst": 0, "fin": 0}
    synacks, done, by_port = {}, set(), {}
    for line in res.stdout.splitlines():
        c["packets"] += 1
        s4, s6, d4, d6, sp, dp, fl, seq, ack = (line.split("|") + [""] * 9)[:9]
        if not fl:
            continue
        src, dst, sp, dp, fl = s4 or s6, d4 or d6, int(sp), int(dp), int(fl, 16)
        seq, ack = int(seq), int(ack or 0)
        c["tcp"] += 1
        syn, ackf, rst, fin = fl & 2, fl & 16, fl & 4, fl & 1
        if syn and not ackf:
            c["syn"] += 1
        if syn and ackf:
            c["syn_ack"] += 1
            synacks[(src, sp, dst, dp)] = seq
        if rst:
            c["rst"] += 1
        if fin:
            c["fin"] += 1
        if ackf and not syn and not rst:
            key = (dst, dp, src, sp)
            if key in synacks and ack == (synacks[key] + 1) % 2**32 and (key, synacks[key]) not in done:
                done.add((key, synacks[key]))
                by_port[str(dp)] = by_port.get(str(dp), 0) + 1
    c["completing_ack"] = len(done)
    c["completed_by_port"] = by_port
    print(json.dumps(c))
elif mode == "server":
    # Listeners (dual stack) on every port given: accept, read to EOF, close.
    sel = selectors.DefaultSelector()
    for p in sys.argv[2:]:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("::", int(p)))
        s.listen(1024)
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, "listen")
    print("listening", flush=True)
    born = {}
    while True:
        for key, _ in sel.select(0.5):
            s = key.fileobj
            if key.data == "listen":
                try:
                    c, _ = s.accept()
                except OSError:
                    continue
                c.setblocking(False)
                sel.register(c, selectors.EVENT_READ, "conn")
                born[c] = time.time()
            else:
                try:
                    d = s.recv(4096)
                except OSError:
                    d = b""
                if not d:
                    sel.unregister(s)
                    born.pop(s, None)
                    s.close()
        for c, t in list(born.items()):
            if time.time() - t > 5:
                sel.unregister(c)
                born.pop(c)
                c.close()
elif mode == "client":
    # client HOST WAVES GAP PORT...: each wave connects once to each port
    # in turn (sends a line, waits for the server's close); prints counts.
    host, waves, gap, ports = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5:]
    n = {"established": 0, "refused": 0, "failed": 0}
    for w in range(waves):
        if w:
            time.sleep(gap)
        for p in ports:
            try:
                s = socket.create_connection((host, int(p)), timeout=3)
            except ConnectionRefusedError:
                n["refused"] += 1
                continue
            except OSError:
                n["failed"] += 1
                continue
            n["established"] += 1
            try:
                s.sendall(b"hello\n")
                s.shutdown(socket.SHUT_WR)
                s.recv(64)
            except OSError:
                pass
            s.close()
    print(json.dumps(n), flush=True)
elif mode == "syn":
    # syn HOST PORT COUNT HOLD: COUNT connects whose answer never comes
    # (dropped SYNs or SYN-ACKs), given up HOLD s after their first SYN,
    # however long this process took to start.
    host, port, count, hold = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    socks = []
    for _ in range(count):
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((host, port))
        socks.append(s)
    time.sleep(hold)
    for s in socks:
        s.close()
elif mode == "idle":
    # idle HOST PORT N SRC HOLD: N silent connections from SRC; how the
    # server dealt with them.
    host, port, n, src, hold = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind((src, 0))
        s.setblocking(False)
        try:
            s.connect((host, port))
        except BlockingIOError:
            pass
        socks.append(s)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    t0, closed, within1 = time.time(), 0, 0
    while time.time() - t0 < hold:
        for key, _ in sel.select(0.2):
            sel.unregister(key.fileobj)
            closed += 1
            within1 += time.time() - t0 < 1
    held = 0
    for s in socks:
        try:
            s.getpeername()
            held += 1 if s.fileno() in sel.get_map() else 0
        except (OSError, KeyError):
            pass
    print(f"idle: {n} connections from {src}: {closed} closed by the server ({within1} within 1 s), "
          f"{held} still open after {hold:.0f} s", flush=True)
elif mode == "slowloris":
    # slowloris HOST PORT SRC SECS: headers that never end, a byte a second.
    host, port, src, secs = sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    s = socket.create_connection((host, port), source_address=(src, 0))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    s.settimeout(0.01)
    t0, sent, how = time.time(), 0, "held open"
    while time.time() - t0 < secs:
        try:
            s.send(b"a")
            sent += 1
            if not s.recv(4096):
                how = "closed by the server"
                break
        except socket.timeout:
            pass
        except OSError as e:
            how = f"reset by the server ({e.strerror})"
            break
        time.sleep(1)
    print(f"slowloris: {sent} header bytes in {time.time() - t0:.0f} s, {how}", flush=True)
elif mode == "bigline":
    # bigline HOST PORT SRC SIZE COUNT: request lines of SIZE bytes.
    host, port, src, size, count = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
    line = b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    st = {}
    for _ in range(count):
        s = socket.create_connection((host, port), source_address=(src, 0))
        s.settimeout(5)
        try:
            s.sendall(line)
        except OSError:
            pass
        data = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except OSError:
            pass
        k = data.split(b"\r\n", 1)[0].decode(errors="replace") or "no reply"
        st[k] = st.get(k, 0) + 1
        s.close()
    print("bigline: " + ", ".join(f"{v} x '{k}'" for k, v in st.items()), flush=True)
EOF
mx() { python3 "$MX" "$@"; }

# Samples as one object: "name{a=x,b=y}" -> number (labels sorted).
KEYED='map({key: (.name + "{" + (.labels | to_entries | sort_by(.key) | map("\(.key)=\(.value)") | join(",")) + "}"),
	value: (.value | tonumber)}) | from_entries'
# The same with the iface label summed away.
NOIFACE='to_entries | map(.key |= (sub("iface=[^,}]*,?"; "") | sub(",}$"; "}"))) | group_by(.key)
	| map({key: .[0].key, value: (map(.value) | add)}) | from_entries'
# Prometheus API vector or matrix (last sample) to the same shape.
PROM_KEYED='.data.result | map({name: .metric.__name__, labels: (.metric | del(.__name__, .job, .instance)),
	value: (if .values then .values[-1][1] else .value[1] end)}) | '"$KEYED"

scrape() { # ns port out: prints "HTTP_CODE SECONDS"
	ip netns exec "$1" curl -sS -m 5 -o "$3" -w '%{http_code} %{time_total}' "http://127.0.0.1:$2/metrics" 2>/dev/null || true
}
prom_q() { in_srv curl -sS -m 5 -G "http://127.0.0.1:$P_PROM/api/v1/query" --data-urlencode "query=$1"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
check_true() { # name "true"|other diagnostics
	if [ "$2" = true ]; then ok "$1"; else not_ok "$1: $3"; fi
}
is_number() { [[ "$1" =~ ^[0-9]+$ ]]; }
# What is attached to DEV in NS, from inside it (XDP, tc filters, tcx).
attached_here() { # ns dev
	ip -n "$1" -d link show dev "$2" | grep -o 'prog/xdp[^ ]*'
	ip netns exec "$1" tc filter show dev "$2" ingress
	ip netns exec "$1" tc filter show dev "$2" egress
	ip netns exec "$1" build/foreign_attach --tcx "$2" | grep -v '^in:; out:$'
}
# Threads of PID holding a capability or without no_new_privs ("" = none):
# the metrics server's thread parses what the network sends.
privileged_threads() { # pid
	local t
	for t in /proc/"$1"/task/*; do
		grep -q -E '^CapEff:\s+0+$' "$t/status" && grep -q -E '^CapPrm:\s+0+$' "$t/status" &&
			grep -q -E '^NoNewPrivs:\s+1$' "$t/status" && continue
		echo "$(cat "$t/comm") ($(grep -E '^(CapEff|NoNewPrivs)' "$t/status" | tr -s '\t\n' ' '))"
	done | tr '\n' ' '
}
nothing_on() { attached_here "$NS_SRV" "$1" | tr '\n' ' '; }
wait_lines() { # file n tries(0.1 s)
	for _ in $(seq "$3"); do [ "$(wc -l <"$1")" -ge "$2" ] && return 0; sleep 0.1; done
	return 1
}
stop_ss() { kill -INT "$SS_PID" 2>/dev/null; wait "$SS_PID"; }
# tcpdump, every packet (not only TCP), on NS's DEV into FILE.
pcap_start() { # ns dev file
	ip netns exec "$1" timeout 150 tcpdump -i "$2" -s 200 -B 16384 --immediate-mode -U -n -w "$3" 2>"$3.err" &
	BG_PIDS+=($!)
	PCAP_PIDS+=($!)
	for _ in $(seq 100); do grep -q listening "$3.err" 2>/dev/null && return 0; sleep 0.05; done
	return 1
}
pcap_stop() {
	sleep 0.3
	kill -INT "${PCAP_PIDS[@]}" 2>/dev/null
	wait "${PCAP_PIDS[@]}" 2>/dev/null
	PCAP_PIDS=()
}
PCAP_PIDS=()

# ---- two quiet veth pairs ------------------------------------------------------
ip netns add "$NS_CLI"
ip netns add "$NS_SRV"
for ns in "$NS_CLI" "$NS_SRV"; do
	# Before the veths exist: no router solicitation, no DAD, no link-local.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.addr_gen_mode=1
	ip -n "$ns" link set lo up
done
ip -n "$NS_CLI" link add vc0 type veth peer name vs0 netns "$NS_SRV"
ip -n "$NS_CLI" link add vc1 type veth peer name vs1 netns "$NS_SRV"
in_cli sysctl -qw net.ipv6.conf.vc1.disable_ipv6=1
in_srv sysctl -qw net.ipv6.conf.vs1.disable_ipv6=1
ip -n "$NS_CLI" addr add $CLI4/15 dev vc0
ip -n "$NS_SRV" addr add $SRV4/15 dev vs0
ip -n "$NS_CLI" addr add $CLI6/64 dev vc0 nodad
ip -n "$NS_SRV" addr add $SRV6/64 dev vs0 nodad
ip -n "$NS_CLI" addr add $CLI4B/24 dev vc1
ip -n "$NS_SRV" addr add $SRV4B/24 dev vs1
for d in vc0 vc1; do ip -n "$NS_CLI" link set $d up; done
for d in vs0 vs1; do ip -n "$NS_SRV" link set $d up; done
MAC_VS0=$(in_srv cat /sys/class/net/vs0/address) MAC_VC0=$(in_cli cat /sys/class/net/vc0/address)
MAC_VS1=$(in_srv cat /sys/class/net/vs1/address) MAC_VC1=$(in_cli cat /sys/class/net/vc1/address)
in_cli ip neigh replace $SRV4 lladdr "$MAC_VS0" dev vc0 nud permanent
in_cli ip neigh replace $SRV6 lladdr "$MAC_VS0" dev vc0 nud permanent
in_cli ip neigh replace $SRV4B lladdr "$MAC_VS1" dev vc1 nud permanent
in_srv ip neigh replace $CLI4 lladdr "$MAC_VC0" dev vs0 nud permanent
in_srv ip neigh replace $CLI6 lladdr "$MAC_VC0" dev vs0 nud permanent
in_srv ip neigh replace $CLI4B lladdr "$MAC_VC1" dev vs1 nud permanent
# SYNs to DROPPED vanish in the server (timeouts); the client never sees
# the SYN-ACKs from HALF (half-open handshakes, case 5), and the server
# gives up on them after one retransmission.
in_srv nft -f - <<NFT
table inet synscope_metrics {
	chain input { type filter hook input priority 0; tcp dport $DROPPED drop; }
}
NFT
in_cli nft -f - <<NFT
table inet synscope_metrics {
	chain input { type filter hook input priority 0; tcp sport $HALF tcp flags & (syn | ack) == syn | ack drop; }
}
NFT
in_srv sysctl -qw net.ipv4.tcp_synack_retries=1
in_srv timeout 240 ncat -l -k $OPEN >/dev/null 2>&1 &
BG_PIDS+=($!)
in_srv timeout 240 python3 "$MX" server $HALF $BURST $(seq $FOLD_OPEN $FOLD_LAST) >"$TMP/server.out" 2>&1 &
BG_PIDS+=($!)

# ---- Prometheus in the server namespace (ready while case 3 runs) -------------
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: synscope
    static_configs:
      - targets: ['127.0.0.1:$P_LIVE']
EOF
# timeout: gone within 240 s even if this script is killed -9.
in_srv timeout -k 2 240 prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$P_PROM" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
BG_PIDS+=($!)

for _ in $(seq 50); do grep -q listening "$TMP/server.out" && in_srv ss -Hltn "sport = :$OPEN" | grep -q LISTEN && break; sleep 0.1; done
sleep 1   # MLD reports of the new addresses
echo "# setup: $((SECONDS - T_START)) s"

# ---- 3. binding errors: one line, non-zero exit, nothing attached --------------
in_srv timeout 20 python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$P_TAKEN)); s.listen(); print('ok',flush=True); time.sleep(20)" >"$TMP/taken.out" &
TAKER=$!
BG_PIDS+=("$TAKER")
for _ in $(seq 50); do grep -q ok "$TMP/taken.out" && break; sleep 0.1; done
in_srv "$BIN" -i vs0 --metrics $P_TAKEN --duration 5 >/dev/null 2>"$TMP/taken.err"
rc=$?
[ "$rc" != 0 ] && ok "3: taken port: exit $rc" || not_ok "3: taken port: exit 0"
check_eq "3: taken port: one line" "$(cat "$TMP/taken.err")" \
	"synscope: cannot listen on 127.0.0.1:$P_TAKEN: Address already in use"
check_eq "3: taken port: nothing attached to vs0" "$(nothing_on vs0)" ""
kill $TAKER 2>/dev/null
codes="" lines=""
for bad in x 70000 1.2.3.4:99999 '::1:9464' '[::1]9464' 198.18.0.300:9464 ''; do
	in_srv "$BIN" -i vs0 --metrics "$bad" --duration 5 >/dev/null 2>"$TMP/bad.err"
	codes+="'$bad':$? "
	[ "$(wc -l <"$TMP/bad.err")" = 1 ] && grep -qF "synscope: bad metrics address '$bad' (PORT, ADDR:PORT or [ADDR6]:PORT)" "$TMP/bad.err" ||
		lines+="'$bad': $(tr '\n' '|' <"$TMP/bad.err") "
done
check_eq "3: bad addresses: one line each, naming the address and the forms" "$lines" ""
check_eq "3: bad addresses: exit code 2 (a wrong option)" "$codes" \
	"'x':2 '70000':2 '1.2.3.4:99999':2 '::1:9464':2 '[::1]9464':2 '198.18.0.300:9464':2 '':2 "
check_eq "3: bad addresses: nothing attached to vs0" "$(nothing_on vs0)" ""

# ---- 1 + 2. a known mix, Prometheus scraping, compared at exit ----------------
OUT=$TMP/live.json ERR=$TMP/live.err
pcap_start "$NS_SRV" vs0 "$TMP/vs0.pcap" && pcap_start "$NS_SRV" vs1 "$TMP/vs1.pcap" || not_ok "1: tcpdump did not start"
LIVE_T0=$(date +%s.%N)
if start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -i vs1 -o json --timeout 2 --metrics $P_LIVE --duration 70; then
	check_eq "1: metrics address announced" "$(grep -c "^synscope: metrics at http://127.0.0.1:$P_LIVE/metrics$" "$ERR")" 1
	# 3. A port alone: 127.0.0.1 only.
	check_eq "3: --metrics $P_LIVE listens on 127.0.0.1 only" \
		"$(in_srv ss -Hltn "sport = :$P_LIVE" | awk '{print $4}' | tr '\n' ' ')" "127.0.0.1:$P_LIVE "
	# Phase 1 (ncat): per family on vs0 N established, M refused, K timed
	# out; on vs1 (IPv4) 3 established, 2 refused.
	# Dropped SYNs: given up 1.5 s after the first (one retransmission).
	pids=()
	for dst in $SRV4 $SRV6; do
		in_cli timeout 30 python3 "$MX" syn "$dst" $DROPPED "$K" 1.5 &
		pids+=($!)
	done
	for dst in $SRV4 $SRV6; do
		for i in $(seq "$N"); do in_cli ncat -w 2 --send-only "$dst" $OPEN <<<"hello $i" || true; done
		for i in $(seq "$M"); do in_cli ncat -w 2 "$dst" $CLOSED </dev/null >/dev/null 2>&1 || true; done
	done
	for i in 1 2 3; do in_cli ncat -w 2 --send-only $SRV4B $OPEN <<<"hello $i" || true; done
	for i in 1 2; do in_cli ncat -w 2 $SRV4B $CLOSED </dev/null >/dev/null 2>&1 || true; done
	wait "${pids[@]}"
	PHASE1=$(( (N + M + K) * 2 + 5 ))
	wait_lines "$OUT" $PHASE1 150 || not_ok "1: phase 1: $(wc -l <"$OUT") records, want $PHASE1"
	# Phase 2: 70 more ports (IPv4 then IPv6): only 61 get a label of
	# their own (3 seen before), the last 9 are "other".
	in_cli python3 "$MX" client $SRV4 1 0 $(seq $FOLD_FIRST $FOLD_LAST) >"$TMP/fold4.out"
	in_cli python3 "$MX" client $SRV6 1 0 $(seq $FOLD_FIRST $FOLD_LAST) >"$TMP/fold6.out"
	NFOLD=$((FOLD_LAST - FOLD_FIRST + 1)) NFOLD_OPEN=$((FOLD_LAST - FOLD_OPEN + 1))
	check_eq "1: phase 2 clients (v4, v6)" "$(cat "$TMP/fold4.out" "$TMP/fold6.out" | jq -c '[.established, .refused]' | tr '\n' ' ')" \
		"[$NFOLD_OPEN,$((NFOLD - NFOLD_OPEN))] [$NFOLD_OPEN,$((NFOLD - NFOLD_OPEN))] "
	TOTAL=$((PHASE1 + 2 * NFOLD))
	wait_lines "$OUT" $TOTAL 150 || not_ok "1: $(wc -l <"$OUT") records, want $TOTAL"

	# Prometheus has been scraping during the traffic, or starts now.
	ready=0
	for _ in $(seq 300); do
		[ "$(prom_q 'up{job="synscope"}' 2>/dev/null | jq -r '.data.result[0].value[1] // empty' 2>/dev/null)" = 1 ] && { ready=1; break; }
		sleep 0.1
	done
	[ "$ready" = 1 ] && ok "1: prometheus in $NS_SRV scrapes synscope (up = 1, $((SECONDS - T_START)) s in)" ||
		not_ok "1: prometheus not scraping: $(tail -3 "$TMP/prometheus.log")"

	echo "# case 1: traffic done, $(wc -l <"$OUT") records, $((SECONDS - T_START)) s"
	# 2. The text: promtool, Content-Type, HELP/TYPE, the families.
	in_srv curl -sS -m 5 -D "$TMP/headers" -o "$TMP/text.txt" "http://127.0.0.1:$P_LIVE/metrics"
	if promtool check metrics <"$TMP/text.txt" >"$TMP/promtool.out" 2>&1; then
		ok "2: promtool check metrics: no problem ($(wc -l <"$TMP/text.txt") lines)"
	else
		not_ok "2: promtool check metrics: $(head -5 "$TMP/promtool.out" | tr '\n' ' ')"
	fi
	check_eq "2: Content-Type" "$(sed -n 's/^Content-Type: //Ip' "$TMP/headers" | tr -d '\r')" \
		"text/plain; version=0.0.4; charset=utf-8"
	mx families "$TMP/text.txt" >"$TMP/families.json"
	check_eq "2: every sample's family has HELP and TYPE before it" "$(jq -c .problems "$TMP/families.json")" "[]"
	want_fams='{"synscope_build_info":"gauge","synscope_completions_total":"counter","synscope_events_ignored_total":"counter","synscope_events_lost_total":"counter",
		"synscope_events_shed_total":"counter","synscope_events_total":"counter","synscope_failed_handshakes_total":"counter",
		"synscope_filtered_segments_total":"counter","synscope_flows_evicted_total":"counter","synscope_flows_tracked":"gauge","synscope_flows_tracked_peak":"gauge",
		"synscope_fragments_total":"counter","synscope_handshakes_total":"counter","synscope_malformed_options_total":"counter",
		"synscope_netns_tcp_total":"counter","synscope_not_ip_packets_total":"counter","synscope_not_tcp_packets_total":"counter",
		"synscope_packets_total":"counter","synscope_pending_evicted_total":"counter","synscope_pending_synacks":"gauge",
		"synscope_retransmissions_total":"counter","synscope_events_read_total":"counter",
		"synscope_segments_total":"counter","synscope_start_time_seconds":"gauge","synscope_syn_to_synack_seconds":"histogram",
		"synscope_synack_cookies_total":"counter","synscope_synack_to_ack_seconds":"histogram","synscope_syns_total":"counter","synscope_tcp_segments_total":"counter","synscope_unparsed_packets_total":"counter"}'
	check_true "2: the families and their types" "$(jq -c --argjson w "$want_fams" '.families == $w' "$TMP/families.json")" \
		"$(jq -c .families "$TMP/families.json")"
	check_eq "2: kernel counters carry an iface label" \
		"$(mx parse "$TMP/text.txt" | jq '[.[] | select((.name | test("^synscope_(packets|segments|unparsed_packets|filtered_segments|events|events_lost|events_shed|pending_evicted|not_ip_packets|not_tcp_packets|fragments|tcp_segments)_total$")) and (.labels.iface | not))] | length')" 0

	check_eq "1: synscope_build_info's version = synscope --version" \
		"$(mx parse "$TMP/text.txt" | jq -r '.[] | select(.name == "synscope_build_info") | "synscope \(.labels.version) \(.value)"')" "$("$BIN" --version) 1"
	st=$(mx parse "$TMP/text.txt" | jq -r '.[] | select(.name == "synscope_start_time_seconds") | .value')
	awk -v s="$st" -v a="$LIVE_T0" -v b="$(date +%s.%N)" 'BEGIN { exit !(s >= a - 1 && s <= b) }' &&
		ok "1: synscope_start_time_seconds $st: when it started" || not_ok "1: synscope_start_time_seconds $st, started at $LIVE_T0"
	# netns TCP statistics against /proc in the namespace, right after a scrape.
	for _ in 1 2 3; do
		scrape "$NS_SRV" $P_LIVE "$TMP/tcp.txt" >/dev/null
		in_srv cat /proc/net/snmp /proc/net/netstat >"$TMP/proc.txt"
		python3 - "$TMP/proc.txt" >"$TMP/proc.json" <<'PY'
import json, sys
lines, out = open(sys.argv[1]).read().splitlines(), {}
for a, b in zip(lines, lines[1:]):
    ka, va = a.split(), b.split()
    if ka[0] in ("Tcp:", "TcpExt:") and ka[0] == va[0] and va[1].lstrip("-").isdigit():
        out.update({k: int(v) for k, v in zip(ka[1:], va[1:])})
print(json.dumps(out))
PY
		tcp_diff=$(mx parse "$TMP/tcp.txt" | jq -c --slurpfile p "$TMP/proc.json" \
			'map(select(.name == "synscope_netns_tcp_total") | select((.value | tonumber) != $p[0][.labels.counter]) | .labels.counter)')
		[ "$tcp_diff" = "[]" ] && break
	done
	ntcp=$(mx parse "$TMP/tcp.txt" | jq '[.[] | select(.name == "synscope_netns_tcp_total")] | length')
	[ "$tcp_diff" = "[]" ] && [ "$ntcp" -ge 10 ] && ok "1: $ntcp synscope_netns_tcp_total counters = the namespace's /proc/net/snmp and netstat" ||
		not_ok "1: netns TCP counters differ from /proc: $tcp_diff ($ntcp exported)"
	tcpv() { mx parse "$TMP/tcp.txt" | jq "map(select(.name == \"synscope_netns_tcp_total\" and .labels.counter == \"$1\"))[0].value | tonumber"; }
	est_all=$(jq -s 'map(select(.outcome == "established")) | length' "$OUT")
	ref_all=$(jq -s 'map(select(.outcome == "refused")) | length' "$OUT")
	[ "$(tcpv PassiveOpens)" -ge "$est_all" ] && [ "$(tcpv OutRsts)" -ge "$ref_all" ] &&
		ok "1: netns PassiveOpens $(tcpv PassiveOpens) >= $est_all established, OutRsts $(tcpv OutRsts) >= $ref_all refused" ||
		not_ok "1: netns PassiveOpens $(tcpv PassiveOpens) / OutRsts $(tcpv OutRsts) against $est_all established / $ref_all refused"
	cp "$TMP/tcp.txt" "$TMP/sample.txt"
	# Quiet now: wait until what Prometheus stored equals a fresh scrape,
	# twice running (a scrape of Prometheus in between), no flow tracked.
	NOT_NETNS='{__name__=~"synscope_.+",__name__!="synscope_netns_tcp_total"}'
	same=0 tries=0
	for tries in $(seq 25); do
		scrape "$NS_SRV" $P_LIVE "$TMP/last.txt" >/dev/null
		mx parse "$TMP/last.txt" | jq "map(select(.name != \"synscope_netns_tcp_total\")) | $KEYED" >"$TMP/last.json"
		prom_q "$NOT_NETNS" | jq "$PROM_KEYED" >"$TMP/stored.json"
		if [ "$(jq -s '.[0] == .[1] and .[0]["synscope_flows_tracked{}"] == 0' "$TMP/last.json" "$TMP/stored.json")" = true ]; then
			same=$((same + 1))
			if [ "$same" -ge 2 ]; then
				target=$(in_srv curl -sS -m 5 "http://127.0.0.1:$P_PROM/api/v1/targets" | jq -r '.data.activeTargets[0] | "\(.health) \(.lastError)"')
				samples=$(prom_q 'scrape_samples_scraped{job="synscope"}' | jq -r '.data.result[0].value[1]')
				break
			fi
		else
			same=0
		fi
		sleep 1.1
	done
	[ "$same" -ge 2 ] && ok "1: Prometheus's stored values = a fresh scrape, twice running (after $tries tries)" ||
		not_ok "1: stored values never settled: $(jq -s -c '[.[0] | to_entries[] ] - [.[1] | to_entries[]] | .[:5]' "$TMP/last.json" "$TMP/stored.json")"

	stop_ss
	check_eq "1: synscope exit code" "$?" 0
	echo "# case 1: settled and stopped, $((SECONDS - T_START)) s"
	check_eq "1: Prometheus target health, last error, samples per scrape" "${target:-} ${samples:-}" \
		"up  $(grep -vc '^#' "$TMP/last.txt")"
	pcap_stop
	# Prometheus's next scrape fails: the series go stale.
	for _ in $(seq 50); do [ "$(prom_q 'synscope_packets_total' | jq '.data.result | length')" = 0 ] && break; sleep 0.2; done
	mx summary "$ERR" >"$TMP/summary.json"
	prom_q '{__name__=~"synscope_.+"}[3m]' >"$TMP/matrix.raw"
	mx_last() { jq "$PROM_KEYED" "$TMP/matrix.raw"; }
	mx_last >"$TMP/final.json"
	check_eq "1: Prometheus's last values = the last scrape before SIGINT" \
		"$(jq -s '(.[0] | with_entries(select(.key | startswith("synscope_netns_tcp_total") | not))) == .[1]' "$TMP/final.json" "$TMP/last.json")" true
	check_eq "1: the series went stale once synscope stopped" "$(prom_q 'synscope_packets_total' | jq '.data.result | length')" 0
	# sum over the series whose key starts with PREFIX (name{...})
	psum() { jq --arg p "$1" '[to_entries[] | select(.key | startswith($p)) | .value] | add // 0' "$TMP/final.json"; }
	sj() { jq ".$1" "$TMP/summary.json"; }

	# Handshakes: the known mix, and Prometheus = summary = records.
	for o in established refused reset timeout open; do
		check_eq "1: handshakes $o: Prometheus = exit summary" \
			"$(jq --arg o "$o" '[to_entries[] | select((.key | startswith("synscope_handshakes_total{")) and (.key | contains("outcome=\($o),"))) | .value] | add // 0' "$TMP/final.json")" "$(sj "$o")"
	done
	check_eq "1: handshakes: Prometheus total = summary total" "$(psum 'synscope_handshakes_total{')" "$(sj handshakes)"
	check_eq "1: summary = the known mix (established refused reset timeout open)" \
		"$(jq -c '[.established, .refused, .reset, .timeout, .open]' "$TMP/summary.json")" \
		"[$((2 * N + 3 + 2 * NFOLD_OPEN)),$((2 * M + 2 + 2 * (NFOLD - NFOLD_OPEN))),0,$((2 * K)),0]"
	check_eq "1: summary total = JSON records" "$(sj handshakes)" "$(wc -l <"$OUT")"
	# The series against the records: first 64 server ports by record order
	# get a label, the rest are "other".
	want_hs=$(jq -s -c 'reduce .[] as $r ({ports: [], rows: {}};
		(if (.ports | index($r.server_port)) == null and (.ports | length) < 64 then .ports += [$r.server_port] else . end) |
		(if (.ports | index($r.server_port)) != null then ($r.server_port | tostring) else "other" end) as $p |
		.rows["synscope_handshakes_total{family=ipv\($r.family),iface=\($r.iface),outcome=\($r.outcome),server_port=\($p)}"] += 1) | .rows' "$OUT")
	got_hs=$(jq -c 'with_entries(select((.key | startswith("synscope_handshakes_total{")) and .value != 0))' "$TMP/final.json")
	check_true "1: every handshakes_total series = the JSON records (port folding included)" \
		"$(jq -n --argjson a "$want_hs" --argjson b "$got_hs" '$a == $b')" "want $want_hs, got $got_hs"
	check_eq "1: distinct server_port labels: 64 and \"other\"" \
		"$(jq -r 'keys[] | select(startswith("synscope_handshakes_total{")) | capture("server_port=(?<p>[^,}]*)").p' "$TMP/final.json" | sort -u | awk '$1 == "other" { o = 1; next } { n++ } END { print n, o }')" "64 1"
	check_eq "1: \"other\" holds the last 9 ports' handshakes (established, refused)" \
		"$(jq -c '[([to_entries[] | select(.key | test("outcome=established,server_port=other")) | .value] | add),
			([to_entries[] | select(.key | test("outcome=refused,server_port=other")) | .value] | add)]' "$TMP/final.json")" \
		"[$((2 * NFOLD_OPEN)),$((2 * (9 - NFOLD_OPEN)))]"
	check_eq "1: each labelled port has its five outcome rows" \
		"$(jq -r 'keys[] | select(startswith("synscope_handshakes_total{")) | sub("outcome=[a-z]*,"; "")' "$TMP/final.json" | sort | uniq -c | awk '$1 != 5' | wc -l)" 0

	# Kernel counters: the sum over iface = the exit summary.
	jq "$NOIFACE" "$TMP/final.json" >"$TMP/noiface.json"
	while read -r key sk got want; do
		check_eq "1: $key summed over iface = summary's $sk" "$got" "$want"
	done < <(jq -r --slurpfile s "$TMP/summary.json" '. as $m | [
		"packets_total{}:packets", "tcp_segments_total{}:tcp", "segments_total{kind=syn}:syn",
		"segments_total{kind=syn_ack}:syn_ack", "segments_total{kind=completing_ack}:completing_ack",
		"segments_total{kind=rst}:rst", "segments_total{kind=fin}:fin", "filtered_segments_total{}:filtered",
		"not_ip_packets_total{}:not_ip", "not_tcp_packets_total{}:not_tcp", "fragments_total{}:fragments",
		"unparsed_packets_total{reason=truncated}:truncated", "unparsed_packets_total{reason=bad_ipv4}:bad_ipv4",
		"unparsed_packets_total{reason=bad_ipv6}:bad_ipv6", "unparsed_packets_total{reason=bad_tcp}:bad_tcp",
		"events_total{}:events", "pending_evicted_total{}:pending_evicted"][] | split(":") as [$k, $sk] |
		"synscope_\($k) \($sk) \($m["synscope_" + $k] // "missing") \($s[0][$sk] // "missing")"' "$TMP/noiface.json")
	check_eq "1: synscope_unparsed_packets_total summed = summary's not parsed" \
		"$(psum 'synscope_unparsed_packets_total{')" "$(sj not_parsed)"
	check_eq "1: synscope_flows_evicted_total = summary" "$(psum 'synscope_flows_evicted_total{')" "$(sj evicted)"
	check_eq "1: synscope_malformed_options_total = summary" "$(psum 'synscope_malformed_options_total{')" "$(sj malformed)"
	check_eq "1: synscope_events_read_total = events written" "$(psum 'synscope_events_read_total{')" "$(sj events)"
	check_eq "1: synscope_events_lost_total summed = summary's lost" "$(psum 'synscope_events_lost_total{')" "$(sj lost)"
	check_eq "1: synscope_events_shed_total summed = summary's shed" "$(psum 'synscope_events_shed_total{')" "$(sj shed)"
	check_eq "1: no event lost, shed or ignored" \
		"$(sj lost)/$(sj shed)/$(psum 'synscope_events_ignored_total{')" "0/0/0"
	# The accounts: each family's fates add up to the kernel's count, and
	# nothing is left unread at exit.
	check_eq "1: synscope_completions_total summed = completing ACKs" \
		"$(psum 'synscope_completions_total{')" "$(sj completing_ack)"
	check_eq "1: synscope_syns_total summed = SYNs" "$(psum 'synscope_syns_total{')" "$(sj syn)"
	check_eq "1: nothing unread at exit" \
		"$(psum 'synscope_completions_total{fate=unread}')/$(psum 'synscope_syns_total{fate=unread}')" "0/0"
	check_eq "1: recorded completions = established records" \
		"$(psum 'synscope_completions_total{fate=recorded}')" "$(jq -s 'map(select(.outcome == "established")) | length' "$OUT")"

	# Each iface row against tcpdump on that interface ("all": both).
	mx pcap "$TMP/vs0.pcap" >"$TMP/vs0.pc.json"
	mx pcap "$TMP/vs1.pcap" >"$TMP/vs1.pc.json"
	jq -s '{packets: (map(.packets) | add), tcp: (map(.tcp) | add), syn: (map(.syn) | add), syn_ack: (map(.syn_ack) | add),
		rst: (map(.rst) | add), fin: (map(.fin) | add), completing_ack: (map(.completing_ack) | add)}' \
		"$TMP/vs0.pc.json" "$TMP/vs1.pc.json" >"$TMP/all.pc.json"
	rows=$(jq -r 'keys[] | select(startswith("synscope_packets_total{")) | capture("iface=(?<i>[^,}]*)").i' "$TMP/final.json" | tr '\n' ' ')
	echo "# kernel counter rows: iface = $rows"
	check_eq "1: kernel counters, a row per traced interface" "$rows" "vs0 vs1 "
	for row in $rows; do
		case "$row" in
		all) ref=$TMP/all.pc.json ;;
		vs0 | vs1) ref=$TMP/$row.pc.json ;;
		*) ref="" ;;
		esac
		rowv() { jq --arg k "$1" '.[$k] // "missing"' "$TMP/final.json"; }
		if [ -z "$ref" ]; then
			check_eq "1: iface row '$row' (not traced): no packet" "$(rowv "synscope_packets_total{iface=$row}")" 0
			continue
		fi
		check_eq "1: iface $row: packets, tcp, syn, syn_ack, rst, fin, completing_ack = tcpdump's" \
			"$(rowv "synscope_packets_total{iface=$row}") $(rowv "synscope_tcp_segments_total{iface=$row}") $(for k in syn syn_ack rst fin completing_ack; do rowv "synscope_segments_total{iface=$row,kind=$k}"; done | tr '\n' ' ')" \
			"$(jq -r '"\(.packets) \(.tcp) \(.syn) \(.syn_ack) \(.rst) \(.fin) \(.completing_ack) "' "$ref")"
	done

	# Histograms against the records' latencies, per iface and family.
	for h in syn_to_synack:syn_to_synack_us synack_to_ack:synack_to_ack_us; do
		fam=synscope_${h%%:*}_seconds field=${h##*:}
		want=$(jq -s -c --arg f "$fam" --arg l "$field" '
			map(select(.[$l] != null)) | group_by([.iface, .family]) | map(
				(.[0].iface) as $i | ("ipv\(.[0].family)") as $fa | . as $g |
				([10,25,50,100,250,500,1000,2500,5000,10000,25000,50000,100000,250000,500000,1000000,2500000,5000000,10000000]
				| map(. as $b | {key: "\($f)_bucket{family=\($fa),iface=\($i),le=\($b / 1e6)}", value: ([$g[] | select(.[$l] <= $b)] | length)})
				| (.[] |= (.key |= sub("le=(?<x>.*)}"; "le=\(.x | tonumber)}")))) +
				[{key: "\($f)_bucket{family=\($fa),iface=\($i),le=+Inf}", value: length},
				 {key: "\($f)_count{family=\($fa),iface=\($i)}", value: length},
				 {key: "\($f)_sum{family=\($fa),iface=\($i)}", value: (map(.[$l]) | add)}]) | flatten | from_entries' "$OUT")
		# le values and sums compared as numbers: the keys hold le as Prometheus wrote it.
		got=$(jq -c --arg f "$fam" 'to_entries | map(select(.key | startswith($f + "_")))
			| map(.key |= sub("le=(?<x>[^}]*)}"; "le=\(if .x == "+Inf" then "+Inf" else (.x | tonumber) end)}"))
			| map(if (.key | contains("_sum{")) then .value |= (. * 1e6 | round) else . end) | from_entries' "$TMP/final.json")
		# Series with no observation (refused only) are all zero: drop both sides' zero rows.
		check_true "1: $fam: every bucket, _count and _sum = the records' $field" \
			"$(jq -n --argjson a "$want" --argjson b "$got" '($a | with_entries(select(.value != 0))) == ($b | with_entries(select(.value != 0)))')" \
			"want $want, got $got"
		check_eq "1: ${fam}_count = established records with $field" \
			"$(jq --arg f "${fam}_count" '[to_entries[] | select(.key | startswith($f)) | .value] | add' "$TMP/final.json")" \
			"$(jq -s --arg l "$field" 'map(select(.outcome == "established" and .[$l] != null)) | length' "$OUT")"
	done
	check_eq "1: every established record has both latencies" \
		"$(jq -s 'map(select(.outcome == "established" and (.syn_to_synack_us == null or .synack_to_ack_us == null))) | length' "$OUT")" 0
	for p in syn:syn_retrans syn_ack:synack_retrans; do
		check_eq "1: synscope_retransmissions_total{packet=${p%%:*}} = the records' ${p##*:}" \
			"$(jq --arg p "packet=${p%%:*}}" '[to_entries[] | select((.key | startswith("synscope_retransmissions_total{")) and (.key | endswith($p))) | .value] | add' "$TMP/final.json")" \
			"$(jq -s --arg l "${p##*:}" 'map(.[$l]) | add' "$OUT")"
	done
	check_eq "1: the timed-out handshakes have their SYN retransmission" "$(jq -s 'map(select(.outcome == "timeout" and .syn_retrans > 0)) | length' "$OUT")" "$((2 * K))"
	check_eq "1: flows tracked 0 at the end, peak > 0" \
		"$(jq '[.["synscope_flows_tracked{}"], (.["synscope_flows_tracked_peak{}"] > 0)]' -c "$TMP/final.json")" "[0,true]"
	echo "# $(head -3 "$ERR" | tail -1)"
	sed -n '/^synscope: [0-9]* handshakes/,$p' "$ERR" | sed 's/^/# /'
else
	not_ok "1: synscope did not start: $(cat "$ERR")"
fi
echo "# cases 1-3: $((SECONDS - T_START)) s"

# ---- 4. hostile clients while tracing a burst ------------------------------------
OUT=$TMP/hostile.json ERR=$TMP/hostile.err
pcap_start "$NS_SRV" vs0 "$TMP/h.pcap" || not_ok "4: tcpdump did not start"
if start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json --metrics "[::]:$P_HOSTILE" --duration 50; then
	check_eq "3: --metrics [::]:$P_HOSTILE listens on all addresses" \
		"$(in_srv ss -Hltn "sport = :$P_HOSTILE" | awk '{print $4}' | tr '\n' ' ')" "*:$P_HOSTILE "
	check_eq "4: threads: $(ls /proc/$SS_PID/task | wc -l); none holds a capability while tracing (root, serving all addresses)" \
		"$(privileged_threads "$SS_PID")" ""
	# ...and answers on the server's addresses from the client (two traced handshakes)
	codes=$(for a in $SRV4 "[$SRV6]"; do in_cli curl -sS -m 5 -o /dev/null -w '%{http_code} ' "http://$a:$P_HOSTILE/metrics"; done)
	check_eq "3: [::]: scraped from the client over IPv4 and IPv6" "$codes" "200 200 "
	for _ in 1 2 3; do scrape "$NS_SRV" $P_HOSTILE /dev/null >/dev/null; done
	hwm0=$(hwm_kb "$SS_PID")
	# Bursts: 8 waves of 50 connections, 1 s apart, from the client.
	# shellcheck disable=SC2046
	in_cli timeout 40 python3 "$MX" client $SRV4 8 1 $(for _ in $(seq 50); do echo $BURST; done) >"$TMP/burst.out" 2>&1 &
	burst=$!
	BG_PIDS+=("$burst")
	# The attackers, from 127.0.0.2-4 in the server namespace (not the scraper's 127.0.0.1).
	in_srv timeout 30 python3 "$MX" idle 127.0.0.1 $P_HOSTILE 1000 127.0.0.2 9 >"$TMP/idle.out" 2>&1 &
	att=($!)
	in_srv timeout 30 python3 "$MX" slowloris 127.0.0.1 $P_HOSTILE 127.0.0.3 9 >"$TMP/slow.out" 2>&1 &
	att+=($!)
	in_srv timeout 30 python3 "$MX" bigline 127.0.0.1 $P_HOSTILE 127.0.0.4 1048576 40 >"$TMP/big.out" 2>&1 &
	att+=($!)
	BG_PIDS+=("${att[@]}")
	bad=0 worst=0 n=0 held=0
	end=$((SECONDS + 9))
	while [ "$SECONDS" -lt "$end" ]; do
		# What synscope holds of the idle attacker's connections: those
		# with a socket of its process (the ones still in the kernel's
		# accept queue are nobody's yet, and cost synscope nothing).
		h=$(in_srv ss -Htnp state established "( sport = :$P_HOSTILE and dst 127.0.0.2 )" |
			grep -c "pid=$SS_PID,")
		[ "$h" -gt "$held" ] && held=$h
		read -r code t <<<"$(scrape "$NS_SRV" $P_HOSTILE /dev/null)"
		n=$((n + 1))
		[ "$code" = 200 ] || bad=$((bad + 1))
		worst=$(awk -v a="$worst" -v b="${t:-9}" 'BEGIN { print (b > a) ? b : a }')
		sleep 0.25
	done
	wait "${att[@]}"
	wait $burst
	hwm1=$(hwm_kb "$SS_PID")
	echo "# $(cat "$TMP/idle.out" "$TMP/slow.out" "$TMP/big.out" | tr '\n' ';') bursts: $(cat "$TMP/burst.out")"
	check_eq "4: scrapes during the attack answered 200 ($n)" "$bad" 0
	awk -v w="$worst" 'BEGIN { exit !(w < 2) }' && ok "4: every scrape within 2 s (slowest ${worst}s)" || not_ok "4: a scrape took ${worst}s"
	grep -q "^idle: 1000 connections from 127.0.0.2: " "$TMP/idle.out" && [ "$held" -le 16 ] &&
		ok "4: 1,000 idle connections: at most 16 held by synscope at once ($held; $(cat "$TMP/idle.out"))" ||
		not_ok "4: idle: $held held at once ($(cat "$TMP/idle.out"))"
	grep -q "^slowloris: " "$TMP/slow.out" && ok "4: slowloris ran ($(cat "$TMP/slow.out"))" || not_ok "4: slowloris: $(cat "$TMP/slow.out")"
	check_eq "4: 40 request lines of 1 MB refused" "$(cat "$TMP/big.out")" "bigline: 40 x 'HTTP/1.1 414 URI Too Long'"
	[ -n "$hwm0" ] && [ -n "$hwm1" ] && [ $((hwm1 - hwm0)) -lt 16384 ] &&
		ok "4: VmHWM $hwm0 -> $hwm1 kB (+$((hwm1 - hwm0)) kB < 16 MB)" || not_ok "4: VmHWM $hwm0 -> $hwm1 kB"
	check_eq "4: the bursts' connections" "$(jq -c '[.established, .refused, .failed]' "$TMP/burst.out")" "[400,0,0]"
	wait_lines "$OUT" 402 150
	read -r code _ <<<"$(scrape "$NS_SRV" $P_HOSTILE "$TMP/h.txt")"
	check_eq "4: a scrape after the attack" "$code" 200
	stop_ss
	check_eq "4: synscope exit code" "$?" 0
	pcap_stop
	mx pcap "$TMP/h.pcap" >"$TMP/h.pc.json"
	echo "# tcpdump: $(grep -h 'dropped by kernel' "$TMP/h.pcap.err")"
	check_eq "4: established records = tcpdump's completed handshakes on vs0" \
		"$(jq -s 'map(select(.outcome == "established")) | length' "$OUT")" "$(jq .completing_ack "$TMP/h.pc.json")"
	check_eq "4: established to the burst port = tcpdump's = 400" \
		"$(jq -s "map(select(.outcome == \"established\" and .server_port == $BURST)) | length" "$OUT") $(jq ".completed_by_port[\"$BURST\"]" "$TMP/h.pc.json")" \
		"400 400"
	check_eq "4: handshakes_total{outcome=established} at the end = summary" \
		"$(mx parse "$TMP/h.txt" | jq '[.[] | select(.name == "synscope_handshakes_total" and .labels.outcome == "established") | .value | tonumber] | add')" \
		"$(mx summary "$ERR" | jq .established)"
	check_eq "4: nothing lost" "$(mx summary "$ERR" | jq -c '[.lost, .shed]')" "[0,0]"
	lines=$(grep -c '^synscope: metrics: ' "$ERR")
	[ "$lines" -le 40 ] && ok "4: stderr stayed short ($lines metrics lines)" || not_ok "4: $lines metrics lines on stderr"
else
	not_ok "4: synscope did not start: $(cat "$ERR")"
fi
echo "# case 4: $((SECONDS - T_START)) s"

# ---- 5. synscope top --metrics ----------------------------------------------------
OUT=$TMP/top.json ERR=$TMP/top.err
if start_synscope "$NS_SRV" "$OUT" "$ERR" top -i vs0 -o json --interval 0.5 --metrics $P_TOP --duration 40; then
	# 3 established, 2 refused, 3 half-open (their SYN-ACKs dropped by the client)
	in_cli timeout 30 python3 "$MX" syn $SRV4 $HALF 3 1.5 &
	pids=($!)
	for i in 1 2 3; do in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"hi $i" || true; done
	for i in 1 2; do in_cli ncat -w 2 $SRV4 $CLOSED </dev/null >/dev/null 2>&1 || true; done
	pend=""
	for _ in $(seq 30); do
		scrape "$NS_SRV" $P_TOP "$TMP/top.txt" >/dev/null
		pend=$(mx parse "$TMP/top.txt" | jq -r '.[] | select(.name == "synscope_pending_synacks") | .value')
		[ "$pend" = 3 ] && break
		sleep 0.2
	done
	check_eq "5: synscope_pending_synacks = the 3 unanswered SYN-ACKs" "$pend" 3
	wait "${pids[@]}"
	fams=$(mx families "$TMP/top.txt" | jq -r '.families | keys | join(" ")')
	for f in synscope_packets_total synscope_segments_total synscope_events_total synscope_pending_synacks synscope_events_read_total synscope_netns_tcp_total; do
		[[ " $fams " == *" $f "* ]] && ok "5: top exports $f" || not_ok "5: top does not export $f: $fams"
	done
	promtool check metrics <"$TMP/top.txt" >"$TMP/promtool.top" 2>&1 && ok "5: promtool check metrics (top)" ||
		not_ok "5: promtool (top): $(head -3 "$TMP/promtool.top" | tr '\n' ' ')"
	# Quiet (the server gave up on the half-open ones): two scrapes 1 s apart agree.
	KERNEL='map(select(.name | test("^synscope_(packets|segments|unparsed_packets|filtered_segments|events|events_lost|events_shed|pending_evicted|not_ip_packets|not_tcp_packets|fragments|tcp_segments|events_read)_total$")))'
	prev="" same=0
	for _ in $(seq 20); do
		scrape "$NS_SRV" $P_TOP "$TMP/top.txt" >/dev/null
		cur=$(mx parse "$TMP/top.txt" | jq -c "$KERNEL | $KEYED")
		[ "$cur" = "$prev" ] && { same=1; break; }
		prev=$cur
		sleep 1
	done
	[ "$same" = 1 ] && ok "5: counters settled" || not_ok "5: counters kept moving"
	stop_ss
	check_eq "5: synscope top exit code" "$?" 0
	mx summary "$ERR" >"$TMP/top.sum.json"
	tsum() { jq -n --argjson c "$cur" --arg re "$1" '[$c | to_entries[] | select(.key | test($re)) | .value] | add'; }
	check_eq "5: last scrape = top's exit counters (packets tcp syn syn_ack completing_ack rst fin not_ip not_tcp not_parsed events lost shed pending_evicted, events read = events written)" \
		"$(for re in '^synscope_packets_total' '^synscope_tcp_segments' 'kind=syn}' 'kind=syn_ack}' 'kind=completing_ack}' 'kind=rst}' 'kind=fin}' \
			'^synscope_not_ip' '^synscope_not_tcp' '^synscope_unparsed' '^synscope_events_total' '^synscope_events_lost' \
			'^synscope_events_shed' '^synscope_pending_evicted' '^synscope_events_read_total'; do tsum "$re"; done | tr '\n' ' ')" \
		"$(jq -r '"\(.packets) \(.tcp) \(.syn) \(.syn_ack) \(.completing_ack) \(.rst) \(.fin) \(.not_ip) \(.not_tcp) \(.not_parsed) \(.events) \(.lost) \(.shed) \(.pending_evicted) \(.events) "' "$TMP/top.sum.json")"
	check_eq "5: known traffic: completing acks 3, rst 2" "$(jq -c '[.completing_ack, .rst]' "$TMP/top.sum.json")" "[3,2]"
	check_eq "5: top's intervals' syn sum = exit syn" "$(jq -s 'map(.syn) | add' "$OUT")" "$(jq .syn "$TMP/top.sum.json")"
else
	not_ok "5: synscope top did not start: $(cat "$ERR")"
fi

echo "# case 5: $((SECONDS - T_START)) s"

# ---- 6. uid 65534 with CAP_BPF + CAP_NET_ADMIN only ---------------------------------
CAPS=-all,+bpf,+net_admin
# SS_WRAP: what start_synscope (lib.sh) runs synscope under.
# shellcheck disable=SC2034
SS_WRAP=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps="$CAPS" --ambient-caps="$CAPS" --bounding-set="$CAPS")
OUT=$TMP/nobody.json ERR=$TMP/nobody.err
if start_synscope "$NS_SRV" "$OUT" "$ERR" -i vs0 -o json --metrics $P_NOBODY --duration 30; then
	SS_WRAP=()
	check_eq "6: as uid 65534: no capability while tracing" "$SS_STATUS" \
		"CapPrm: 0000000000000000 CapEff: 0000000000000000 NoNewPrivs: 1 "
	check_eq "6: none of its $(ls /proc/$SS_PID/task | wc -l) threads holds a capability" "$(privileged_threads "$SS_PID")" ""
	check_eq "6: running as uid 65534" "$(awk '/^Uid:/ { print $2 }' "/proc/$SS_PID/status")" 65534
	for i in 1 2; do in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"hi $i" || true; done
	wait_lines "$OUT" 2 100
	read -r code _ <<<"$(scrape "$NS_SRV" $P_NOBODY "$TMP/nobody.txt")"
	check_eq "6: scrape answered" "$code" 200
	check_eq "6: established handshakes served" \
		"$(mx parse "$TMP/nobody.txt" | jq '[.[] | select(.name == "synscope_handshakes_total" and .labels.outcome == "established") | .value | tonumber] | add')" 2
	check_eq "6: kernel counters served (completing acks)" \
		"$(mx parse "$TMP/nobody.txt" | jq '[.[] | select(.name == "synscope_segments_total" and .labels.kind == "completing_ack") | .value | tonumber] | add')" 2
	check_eq "6: TCP statistics readable" "$(grep -c 'without TCP statistics' "$ERR")/$(mx parse "$TMP/nobody.txt" | jq '[.[] | select(.name == "synscope_netns_tcp_total")] | length > 0')" "0/true"
	promtool check metrics <"$TMP/nobody.txt" >/dev/null 2>&1 && ok "6: promtool check metrics" || not_ok "6: promtool check metrics failed"
	stop_ss
	check_eq "6: exit code" "$?" 0
	check_eq "6: nothing left attached" "$(nothing_on vs0)" ""
else
	# shellcheck disable=SC2034
	SS_WRAP=()
	not_ok "6: synscope as uid 65534 did not start: $(cat "$ERR")"
fi

# ---- a sample of the figures -----------------------------------------------------
if [ -f "$TMP/sample.txt" ]; then
	echo "# sample of case 1's metrics:"
	grep -E '^synscope_(handshakes_total\{iface="vs0",family="ipv4",server_port="(8080|other)",outcome="(established|refused)"\}|syn_to_synack_seconds_bucket\{iface="vs0",family="ipv4",le="(2.5e-05|5e-05|0.0001|0.00025)"\}|syn_to_synack_seconds_(sum|count)\{iface="vs0",family="ipv4"\}|packets_total|segments_total\{iface="[^"]*",kind="(syn|completing_ack)"\}|events_total|netns_tcp_total\{counter="(PassiveOpens|OutRsts)"\})' \
		"$TMP/sample.txt" | sed 's/^/#   /'
fi
echo "# total: $((SECONDS - T_START)) s"
finish
