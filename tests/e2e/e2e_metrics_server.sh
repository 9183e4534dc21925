#!/usr/bin/env bash
# --metrics end to end, on build/metrics_demo (tests/metrics_demo.c: the
# server alone, serving fixed families of every type):
#   - promtool check metrics on a scrape;
#   - hostile clients: 1,000 idle connections, a slowloris client, 1 MB
#     request lines; meanwhile a normal scrape still answers within 2 s
#     and the demo's RSS stays bounded (figures printed);
#   - a real Prometheus scraping the demo, its HTTP API asked for what the
#     demo served.
# Loopback only: the demo and Prometheus listen on 127.0.0.1; some hostile
# clients bind source addresses 127.0.0.2-10 (lo holds all of 127/8) to be
# other clients than the scraper for the per-address limit. Every process
# is stopped and the temp dir removed on every exit path. Ends with
# "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

DEMO=${METRICS_DEMO:-$PWD/build/metrics_demo}
TMP=$(mktemp -d)
PIDS=()
PASS=0 FAIL=0

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for _ in $(seq 20); do
		local alive=0
		for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap teardown EXIT
trap 'exit 130' INT TERM

ok() { PASS=$((PASS + 1)); echo "ok   - $*"; }
not_ok() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; }
finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
	exit
}

for tool in "$DEMO" curl jq python3 promtool prometheus; do
	command -v "$tool" >/dev/null || not_ok "$tool is missing (build/metrics_demo: make build/metrics_demo; promtool and prometheus: apt-get install prometheus)"
done
[ "$FAIL" -gt 0 ] && finish
# 1,000 client sockets in one process.
ulimit -n 4096 2>/dev/null || true

# start_demo SECONDS: DEMO_PID, DEMO_ADDR
start_demo() {
	: >"$TMP/demo.out"
	"$DEMO" 127.0.0.1:0 "$1" >"$TMP/demo.out" 2>"$TMP/demo.err" &
	DEMO_PID=$!
	PIDS+=("$DEMO_PID")
	for _ in $(seq 100); do
		DEMO_ADDR=$(sed -n 's/^metrics_demo: serving on //p' "$TMP/demo.out")
		[ -n "$DEMO_ADDR" ] && return 0
		kill -0 "$DEMO_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "metrics_demo did not start: $(cat "$TMP/demo.err")" >&2
	return 1
}

# scrape OUT: prints "HTTP_CODE SECONDS"
scrape() { curl -sS -m 5 -o "$1" -w '%{http_code} %{time_total}' "http://$DEMO_ADDR/metrics" 2>/dev/null || true; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# ---- the text --------------------------------------------------------------------
start_demo 120 || { not_ok "metrics_demo starts"; finish; }
ok "metrics_demo serves on $DEMO_ADDR"
read -r code _ <<<"$(scrape "$TMP/scrape.txt")"
[ "$code" = 200 ] && ok "scrape answered 200" || not_ok "scrape: HTTP $code"
if promtool check metrics <"$TMP/scrape.txt" >"$TMP/promtool.out" 2>&1; then
	ok "promtool check metrics: no problem ($(wc -l <"$TMP/scrape.txt") lines)"
else
	not_ok "promtool check metrics: $(tr '\n' ' ' <"$TMP/promtool.out")"
fi
ctype=$(curl -sS -m 5 -o /dev/null -w '%{content_type}' "http://$DEMO_ADDR/metrics")
[ "$ctype" = "text/plain; version=0.0.4; charset=utf-8" ] && ok "Content-Type $ctype" || not_ok "Content-Type '$ctype'"

# ---- hostile clients -------------------------------------------------------------
cat >"$TMP/hostile.py" <<'EOF'
# hostile.py MODE HOST PORT ...: the clients a metrics endpoint must outlive.
#   idle N SRC HOLD      N connections from source address SRC, silent, HOLD s
#   slowloris SECS       a request whose headers never end: a byte a second
#   bigline SIZE COUNT   COUNT requests whose request line is SIZE bytes
import select, socket, sys, time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "idle":
    n, src, hold = int(sys.argv[4]), sys.argv[5], float(sys.argv[6])
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
    print(f"idle: {n} connections from {src} opened", flush=True)
    poller = select.epoll()
    for s in socks:
        poller.register(s.fileno(), select.EPOLLIN | select.EPOLLRDHUP)
    t0, closed = time.time(), {}
    while time.time() - t0 < hold:
        for fd, _ in poller.poll(0.2):
            closed[fd] = time.time() - t0
            poller.unregister(fd)
    # Not closed: held by the server, or never connected (a SYN dropped
    # while the listen queue was full, retried later by the kernel).
    held = 0
    for s in socks:
        if s.fileno() not in closed:
            try:
                s.getpeername()
                held += 1
            except OSError:
                pass
    within1 = sum(1 for t in closed.values() if t < 1)
    print(f"idle: {within1} closed by the server within 1 s, {len(closed)} within {hold:.0f} s, "
          f"{held} held open, {n - len(closed) - held} still connecting", flush=True)
elif mode == "slowloris":
    secs = float(sys.argv[4])
    s = socket.create_connection((host, port))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    s.settimeout(0.01)
    t0, sent, how = time.time(), 0, "still open"
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
elif mode == "fill":
    # n connections over naddr source addresses 127.0.0.3...: each sends
    # fill bytes of headers, then a byte a second, and never ends them.
    n, naddr, fill, hold = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), float(sys.argv[7])
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.0.{3 + i % naddr}", 0))
        s.settimeout(2)
        try:
            s.connect((host, port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Fill: " + b"a" * fill)
            socks.append(s)
        except OSError:
            s.close()
    print(f"fill: {len(socks)} connections with {fill}-byte headers", flush=True)
    t0 = time.time()
    while time.time() - t0 < hold:
        for s in list(socks):
            try:
                s.send(b"a")
            except OSError:
                socks.remove(s)
        time.sleep(1)
    print(f"fill: {len(socks)} still open after {hold:.0f} s", flush=True)
elif mode == "bigline":
    size, count = int(sys.argv[4]), int(sys.argv[5])
    line = b"GET /" + b"a" * size + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    statuses = {}
    for _ in range(count):
        s = socket.create_connection((host, port))
        s.settimeout(5)
        try:
            s.sendall(line)
        except OSError:
            pass  # closed while sending: the reply says why
        data = b""
        try:
            while True:
                d = s.recv(65536)
                if not d:
                    break
                data += d
        except OSError:
            pass
        status = data.split(b"\r\n", 1)[0].decode(errors="replace") or "no reply"
        statuses[status] = statuses.get(status, 0) + 1
        s.close()
    print("bigline: " + ", ".join(f"{n} x '{st}', closed" for st, n in statuses.items()), flush=True)
EOF

port=${DEMO_ADDR##*:}
for _ in 1 2 3; do scrape /dev/null >/dev/null; done
rss_before=$(rss_kb "$DEMO_PID")

# scrapes_during SECONDS: a scrape every 0.25 s; sets BAD (not 200),
# WORST (slowest, s) and RSS_PEAK (kB, sampled alongside)
scrapes_during() {
	local end=$((SECONDS + $1)) code t r
	BAD=0 WORST=0 RSS_PEAK=0 N=0
	while [ "$SECONDS" -lt "$end" ]; do
		read -r code t <<<"$(scrape /dev/null)"
		N=$((N + 1))
		[ "$code" = 200 ] || BAD=$((BAD + 1))
		WORST=$(awk -v a="$WORST" -v b="${t:-9}" 'BEGIN { print (b > a) ? b : a }')
		r=$(rss_kb "$DEMO_PID")
		[ "${r:-0}" -gt "$RSS_PEAK" ] && RSS_PEAK=$r
		sleep 0.25
	done
}

# All three at once, the idle ones from another loopback address than the
# scraper's (the usual case: the attacker is not the Prometheus server).
python3 "$TMP/hostile.py" idle 127.0.0.1 "$port" 1000 127.0.0.2 12 >"$TMP/idle.out" 2>&1 &
attackers=($!)
python3 "$TMP/hostile.py" slowloris 127.0.0.1 "$port" 12 >"$TMP/slow.out" 2>&1 &
attackers+=($!)
python3 "$TMP/hostile.py" bigline 127.0.0.1 "$port" 1048576 40 >"$TMP/big.out" 2>&1 &
attackers+=($!)
PIDS+=("${attackers[@]}")
sleep 1
scrapes_during 10
wait "${attackers[@]}"
rss_after=$(rss_kb "$DEMO_PID")
hwm=$(hwm_kb "$DEMO_PID")
echo "# $(tr '\n' ';' <"$TMP/idle.out") $(cat "$TMP/slow.out") $(cat "$TMP/big.out")"
[ "$BAD" = 0 ] && ok "under attack: $N scrapes answered 200, slowest ${WORST}s" || not_ok "under attack: $BAD of $N scrapes failed"
awk -v w="$WORST" 'BEGIN { exit !(w < 2) }' && ok "under attack: every scrape within 2 s" || not_ok "under attack: a scrape took ${WORST}s"
held=$(sed -n 's/.* \([0-9]*\) held open.*/\1/p' "$TMP/idle.out")
[ -n "$held" ] && [ "$held" -le 16 ] &&
	ok "1,000 idle connections: at most 16 per address held, the rest closed ($(sed -n 's/^idle: \([0-9]*\) closed.*/\1/p' "$TMP/idle.out" | tail -1) within 1 s), the held ones timed out" ||
	not_ok "1,000 idle connections: $(tr '\n' ' ' <"$TMP/idle.out")"
grep -q "still open" "$TMP/slow.out" && ok "slowloris holds one connection of its address's 16 ($(cat "$TMP/slow.out"))" ||
	not_ok "slowloris: $(cat "$TMP/slow.out")"
grep -q "^bigline: 40 x 'HTTP/1.1 414 URI Too Long', closed$" "$TMP/big.out" && ok "40 request lines of 1 MB: 414 and closed" ||
	not_ok "1 MB request lines: $(cat "$TMP/big.out")"
echo "# RSS kB: before $rss_before, peak during $RSS_PEAK, after $rss_after; VmHWM $hwm"
[ -n "$hwm" ] && [ -n "$rss_before" ] && [ $((hwm - rss_before)) -lt 8192 ] && ok "RSS bounded: VmHWM $hwm kB, $((hwm - rss_before)) kB above the $rss_before kB before" ||
	not_ok "RSS grew: VmHWM $hwm kB against $rss_before kB before"

# Slowloris from 8 addresses, their 16 connections each (128), every one
# holding 12 KiB of headers: what the per-connection memory limit bounds.
rss_before=$(rss_kb "$DEMO_PID")
python3 "$TMP/hostile.py" fill 127.0.0.1 "$port" 128 8 12288 12 >"$TMP/fill.out" 2>&1 &
attackers=($!)
PIDS+=("${attackers[@]}")
sleep 2
scrapes_during 8
wait "${attackers[@]}"
echo "# $(tr '\n' ';' <"$TMP/fill.out") RSS kB: before $rss_before, peak during $RSS_PEAK"
grep -q "^fill: 128 still open" "$TMP/fill.out" && ok "128 slowloris connections with 12 KiB of headers each held" ||
	not_ok "fill: $(tr '\n' ' ' <"$TMP/fill.out")"
[ "$BAD" = 0 ] && awk -v w="$WORST" 'BEGIN { exit !(w < 2) }' &&
	ok "beside them: $N scrapes answered 200, slowest ${WORST}s" || not_ok "beside them: $BAD of $N failed, slowest ${WORST}s"
[ $((RSS_PEAK - rss_before)) -lt 8192 ] && ok "RSS bounded: $((RSS_PEAK - rss_before)) kB more for 128 x 12 KiB of headers" ||
	not_ok "RSS grew by $((RSS_PEAK - rss_before)) kB"

# The same 1,000 from the scraper's own address: its per-address share is
# taken, so it is refused until the idle ones time out (5 s), then served.
python3 "$TMP/hostile.py" idle 127.0.0.1 "$port" 1000 127.0.0.1 12 >"$TMP/idle2.out" 2>&1 &
attackers=($!)
PIDS+=("${attackers[@]}")
sleep 1
t0=$(date +%s.%N) served=""
for _ in $(seq 60); do
	read -r code _ <<<"$(scrape /dev/null)"
	[ "$code" = 200 ] && { served=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'); break; }
	sleep 0.25
done
wait "${attackers[@]}"
echo "# $(tr '\n' ';' <"$TMP/idle2.out")"
if [ -n "$served" ] && awk -v s="$served" 'BEGIN { exit !(s <= 7) }'; then
	ok "1,000 idle connections from the scraper's own address: served again after ${served}s (timeout 5 s)"
else
	not_ok "1,000 idle connections from the scraper's own address: not served (${served:-never})"
fi
read -r code _ <<<"$(scrape /dev/null)"
[ "$code" = 200 ] && ok "served as before once the clients are gone" || not_ok "after the attack: HTTP $code"
kill -TERM "$DEMO_PID"
if wait "$DEMO_PID"; then ok "metrics_demo stops cleanly on SIGTERM ($(grep '^metrics_demo: .* scrapes$' "$TMP/demo.err"))"; else not_ok "metrics_demo exit: $(tail -3 "$TMP/demo.err")"; fi
lines=$(grep -c '^synscope: metrics: ' "$TMP/demo.err")
[ "$lines" -le 40 ] && ok "its log stayed short under attack ($lines lines)" || not_ok "its log: $lines lines"

# ---- a real Prometheus -------------------------------------------------------------
start_demo 90 || { not_ok "metrics_demo starts (for Prometheus)"; finish; }
prom_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PROM="http://127.0.0.1:$prom_port"
cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: synscope_demo
    static_configs:
      - targets: ['$DEMO_ADDR']
EOF
# timeout: gone after 120 s even if this script is killed -9.
timeout -k 5 120 prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
PIDS+=($!)
ready=0
for _ in $(seq 100); do
	curl -sf -m 1 "$PROM/-/ready" >/dev/null 2>&1 && { ready=1; break; }
	sleep 0.2
done
[ "$ready" = 1 ] && ok "prometheus ready on 127.0.0.1:$prom_port" || { not_ok "prometheus not ready: $(tail -3 "$TMP/prometheus.log")"; finish; }

query() { curl -sS -m 5 -G "$PROM/api/v1/query" --data-urlencode "query=$1"; }
value() { query "$1" | jq -r '.data.result[0].value[1] // empty'; }
# Two scrapes at least: the renders counter has moved.
for _ in $(seq 60); do
	r=$(value 'synscope_demo_renders_total')
	[ -n "$r" ] && [ "$r" -ge 2 ] 2>/dev/null && break
	sleep 0.5
done
[ -n "$r" ] && [ "$r" -ge 2 ] 2>/dev/null && ok "prometheus scraped the demo ($r renders)" || not_ok "prometheus scrapes: renders '$r'"
health=$(curl -sS -m 5 "$PROM/api/v1/targets" | jq -r '.data.activeTargets[0] | "\(.health) \(.lastError)"')
[ "$health" = "up " ] && ok "target health: up, no error" || not_ok "target: $health"
got=$(value 'synscope_demo_handshakes_total{outcome="established"}')
[ "$got" = 42 ] && ok "queried synscope_demo_handshakes_total{outcome=\"established\"} = $got (served 42)" || not_ok "established: '$got', served 42"
got=$(value 'synscope_demo_syn_rate')
[ "$got" = 1234.5 ] && ok "queried synscope_demo_syn_rate = $got (served 1234.5)" || not_ok "syn_rate: '$got'"
got=$(query 'synscope_demo_iface_up' | jq -c '.data.result[0].metric.iface')
[ "$got" = '"ve\"th\\0\n"' ] && ok "an escaped label value reads back: $got" || not_ok "iface label: $got"
# The buckets: cumulative 3, 13, 38, 42, 43, 45; the median (rank 22.5) lies in (0.001, 0.01].
got=$(value 'histogram_quantile(0.5, synscope_demo_handshake_seconds_bucket)')
awk -v g="$got" 'BEGIN { exit !(g > 0.00441 && g < 0.00443) }' &&
	ok "histogram_quantile(0.5) over the served buckets = $got (expected 0.00442)" || not_ok "histogram_quantile: '$got'"
got=$(value 'synscope_demo_handshake_seconds_count')
[ "$got" = 45 ] && ok "histogram count = $got" || not_ok "histogram count: '$got'"
# Every sample line of a scrape was taken.
want=$(grep -vc '^#' "$TMP/scrape.txt")
got=$(value 'scrape_samples_scraped{job="synscope_demo"}')
[ "$got" = "$want" ] && ok "prometheus took all $got samples of a scrape" || not_ok "samples scraped: '$got', served $want"

finish
