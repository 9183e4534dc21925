#!/usr/bin/env bash
# The lesson synscope grew from, in a network namespace of its own:
# a listener on port 2222, synscope on the namespace's lo with --packets
# --explain, a client that connects, sends a line and closes, then a
# connection to a closed port (refused). The namespace is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SYNSCOPE:-build/synscope}
NS="ssdemo-$$"
OUT=$(mktemp -d)
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	wait 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$OUT"
}
trap cleanup EXIT INT TERM

ip netns add "$NS"
ip -n "$NS" link set lo up

# The server: accepts one connection and prints what it receives.
ip netns exec "$NS" timeout 20 ncat -l 127.0.0.1 2222 >"$OUT/server.txt" &
PIDS+=($!)

# synscope: stop after two handshakes (the connection and the refusal).
ip netns exec "$NS" timeout 20 "$BIN" -i lo -p 2222 -p 2223 --packets --explain -c 2 \
	>"$OUT/synscope.txt" 2>"$OUT/synscope.err" &
SS=$!
PIDS+=($SS)
for _ in $(seq 100); do
	grep -q tracing "$OUT/synscope.err" 2>/dev/null && break
	kill -0 "$SS" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q tracing "$OUT/synscope.err"; then
	cat "$OUT/synscope.err" >&2
	exit 1
fi

echo "== client: connect to 127.0.0.1:2222, send a line, close"
echo "hello from the client" | ip netns exec "$NS" ncat --send-only 127.0.0.1 2222
echo "== client: connect to 127.0.0.1:2223 (nothing listens there)"
ip netns exec "$NS" ncat 127.0.0.1 2223 </dev/null 2>&1 | sed 's/^/   ncat says: /' || true

wait "$SS" || { echo "synscope failed:"; cat "$OUT/synscope.err"; exit 1; }
echo "== the server received: $(cat "$OUT/server.txt")"
echo "== what synscope saw (synscope -i lo -p 2222 -p 2223 --packets --explain -c 2):"
echo
cat "$OUT/synscope.txt"
echo
cat "$OUT/synscope.err"
