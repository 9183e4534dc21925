#!/usr/bin/env bash
# The fleet's alerting rules (container/alerts.yml), with Debian's promtool
# and prometheus:
#  - promtool check rules: they parse;
#  - every family and label value they (and the unit tests' input series)
#    use is one synscope exports (user/fleet/exporter.c, user/host/tcpstat.c);
#  - promtool test rules tests/alerts_test.yml: each alert fires on the
#    series meant to fire it and only there, and not before its `for:`;
#    every alert has a firing and a not-firing case; the tests fail when a
#    threshold, a `for:` or a guard of the rules is changed (mutations);
#  - live, in a network namespace of ours: a real Prometheus with the rules
#    scrapes `synscope -i vs0 --metrics` during the end-to-end scenario;
#    every rule evaluates without error and nothing is pending; a SYN flood
#    to a port whose SYNs are dropped makes both flood alerts pending for
#    vs0 (the families and labels match real data); once synscope is
#    stopped, SynscopeDown is pending.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

ALERTS=${ALERTS:-container/alerts.yml}
ALERTS_TEST=${ALERTS_TEST:-tests/e2e/alerts_test.yml}
P_LIVE=9464 P_PROM=9090

for tool in promtool prometheus python3 curl jq hping3 ncat nft; do
	command -v "$tool" >/dev/null || { echo "e2e_alerts: $tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done
python3 -c 'import yaml' 2>/dev/null || { echo "e2e_alerts: python3-yaml is missing" >&2; exit 1; }
for f in "$ALERTS" "$ALERTS_TEST"; do
	[ -r "$f" ] || { echo "e2e_alerts: $f is missing" >&2; exit 1; }
done
trap 'exit 130' INT TERM

# The test file names alerts.yml: both side by side in a directory of ours.
R=$TMP/rules
mkdir -p "$R"
cp "$ALERTS" "$R/alerts.yml"
cp "$ALERTS_TEST" "$R/alerts_test.yml"

# ---- promtool check rules ---------------------------------------------------
if promtool check rules "$R/alerts.yml" >"$TMP/check.out" 2>&1; then
	ok "promtool check rules: $(grep -o '[0-9]* rules found' "$TMP/check.out")"
else
	not_ok "promtool check rules: $(tr '\n' ' ' <"$TMP/check.out")"
fi

# ---- the names the rules use are synscope's ---------------------------------
# Python prints "ok<TAB>name" or "fail<TAB>name<TAB>detail" per check.
python3 - "$R/alerts.yml" "$R/alerts_test.yml" user/fleet/exporter.c user/host/tcpstat.c >"$TMP/names" 2>&1 <<'PY'
import re, sys
import yaml
rules_path, test_path, exporter_c, tcpstat_c = sys.argv[1:5]
exporter = open(exporter_c).read()
tcpstat = open(tcpstat_c).read()
rules = yaml.safe_load(open(rules_path))
tests = yaml.safe_load(open(test_path))
out = []
def check(name, cond, detail=""):
    print("ok\t%s" % name if cond else "fail\t%s\t%s" % (name, detail))

alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
exprs = " ".join(r["expr"] for r in alerts)
series = " ".join(s["series"] for t in tests["tests"] for s in t.get("input_series", []))
for what, text in (("rules", exprs), ("test series", series)):
    fams = sorted(set(re.findall(r"\bsynscope_[a-z_]+", text)))
    missing = [f for f in fams if '"%s"' % f not in exporter]
    check("%s: the families exist in user/fleet/exporter.c (%s)" % (what, " ".join(fams)), not missing, missing)
    kinds = sorted(set(re.findall(r'kind="([a-z_]+)"', text)))
    missing = [k for k in kinds if 'kind=\\"%s\\"' % k not in exporter]
    check("%s: kind values exported (%s)" % (what, " ".join(kinds)), not missing, missing)
    counters = sorted(set(c for m in re.findall(r'counter=~?"([^"]+)"', text) for c in m.split("|")))
    missing = [c for c in counters if '"%s"' % c not in tcpstat]
    check("%s: netns TCP counters read by user/host/tcpstat.c (%s)" % (what, " ".join(counters)), not missing, missing)
    labels = sorted(set(re.findall(r"\b([a-z_]+)=~?\"", text)) - {"job", "instance", "__name__"})
    missing = [l for l in labels if '%s=\\"' % l not in exporter]
    check("%s: label names exported (%s)" % (what, " ".join(labels)), not missing, missing)

# Every alert: a case where it fires and one where it does not.
fires, quiet = set(), set()
for t in tests["tests"]:
    for a in t.get("alert_rule_test", []):
        (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
names = [r["alert"] for r in alerts]
check("every alert has a firing case (%d alerts)" % len(names), not set(names) - fires, sorted(set(names) - fires))
check("every alert has a not-firing case", not set(names) - quiet, sorted(set(names) - quiet))
check("every alert has a for:, a severity, a summary and a description",
      all("for" in r and r.get("labels", {}).get("severity") and
          {"summary", "description"} <= set(r.get("annotations", {})) for r in alerts))
PY
while IFS=$'\t' read -r verdict name detail; do
	if [ "$verdict" = ok ]; then ok "$name"; else not_ok "$name: $detail"; fi
done <"$TMP/names"
grep -qv -P '^(ok|fail)\t' "$TMP/names" && not_ok "name checks: $(head -5 "$TMP/names")"

# ---- promtool test rules ----------------------------------------------------
if (cd "$R" && promtool test rules alerts_test.yml) >"$TMP/test.out" 2>&1; then
	ok "promtool test rules: $(grep -c 'alertname:' "$R/alerts_test.yml") alert checks, $(grep -c 'eval_time:' "$R/alerts_test.yml") evaluations"
else
	not_ok "promtool test rules: $(head -30 "$TMP/test.out")"
fi

# Mutations: each change of the rules must make the tests fail.
mutant() { # label from to
	mkdir -p "$TMP/m"
	cp "$R/alerts_test.yml" "$TMP/m/"
	python3 - "$R/alerts.yml" "$TMP/m/alerts.yml" "$2" "$3" <<'PY' || { not_ok "mutation $1: not applied"; return; }
import sys
src, dst, a, b = sys.argv[1:5]
s = open(src).read()
if s.count(a) != 1:
    sys.exit(1)
open(dst, "w").write(s.replace(a, b))
PY
	if (cd "$TMP/m" && promtool test rules alerts_test.yml) >/dev/null 2>&1; then
		not_ok "mutation $1: the tests still pass"
	else
		ok "mutation $1: the tests fail"
	fi
}
mutant "SYN rate threshold 1000 -> 2000" 'kind="syn"}[5m])) > 1000' 'kind="syn"}[5m])) > 2000'
mutant "incomplete share 0.5 -> 0.8" ') > 0.5' ') > 0.8'
mutant "incomplete: minimum SYN rate 50 -> 5" '[5m])) > 50' '[5m])) > 5'
mutant "lost share 1% -> any" '> 0.01' '> 0'
mutant "lost: for 10m -> 5m" $'> 0.01\n        for: 10m' $'> 0.01\n        for: 5m'
mutant "down: up == 0 -> up < 2" 'expr: up{job="synscope"} == 0' 'expr: up{job="synscope"} < 2'
mutant "not tracing: without the connections guard" '[15m])) > 10' '[15m])) >= 0'
mutant "restarting: > 3 -> > 30" '[1h]) > 3' '[1h]) > 30'

# ---- live: Prometheus with the rules, scraping synscope -----------------------
[ -x "$BIN" ] || { not_ok "live: $BIN is missing (make)"; finish; exit 1; }
setup_scenario
prom_q() { in_srv curl -sS -m 5 -G "http://127.0.0.1:$P_PROM/api/v1/query" --data-urlencode "query=$1"; }
# The number of series a query returns (-1: no answer).
prom_n() { prom_q "$1" 2>/dev/null | jq -r 'if .status == "success" then (.data.result | length) else -1 end' 2>/dev/null || echo -1; }
# The alerts (name:state:iface) Prometheus holds, sorted, on one line.
alerts_now() {
	prom_q 'ALERTS' 2>/dev/null |
		jq -r '.data.result[] | .metric | "\(.alertname):\(.alertstate):\(.iface // "")"' 2>/dev/null | sort | tr '\n' ' '
}
wait_for() { # tries query want: until prom_n query = want
	local i
	for i in $(seq "$1"); do
		[ "$(prom_n "$2")" = "$3" ] && return 0
		sleep 0.2
	done
	return 1
}

cat >"$TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $R/alerts.yml
scrape_configs:
  - job_name: synscope
    static_configs:
      - targets: ['127.0.0.1:$P_LIVE']
EOF
# In the server namespace (it scrapes over that namespace's lo, which
# synscope does not trace); timeout: gone within 120 s whatever happens.
in_srv timeout -k 2 120 prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/tsdb" \
	--web.listen-address="127.0.0.1:$P_PROM" --log.level=warn >"$TMP/prometheus.log" 2>&1 &
BG_PIDS+=($!)

if ! start_synscope "$NS_SRV" "$TMP/live.json" "$TMP/live.err" -i vs0 -o json --timeout 2 --metrics $P_LIVE --duration 100; then
	not_ok "live: synscope did not start: $(cat "$TMP/live.err")"
	finish
	exit 1
fi
LIVE_PID=$SS_PID
if wait_for 150 'up{job="synscope"} == 1' 1; then
	ok "live: Prometheus scrapes synscope (up 1)"
else
	not_ok "live: Prometheus not scraping: $(tail -3 "$TMP/prometheus.log")"
fi
scenario_traffic
sleep 3   # three evaluations of every rule on the scenario's data

# Every rule loaded, evaluated, without error.
rules=$(in_srv curl -sS -m 5 "http://127.0.0.1:$P_PROM/api/v1/rules")
check_eq "live: the rules Prometheus loaded" \
	"$(jq -r '[.data.groups[].rules[] | select(.type == "alerting")] | length' <<<"$rules")" \
	"$(grep -c '^ *- alert:' "$R/alerts.yml")"
check_eq "live: every rule evaluated without error" \
	"$(jq -r '.data.groups[].rules[] | select(.health != "ok" or .lastEvaluation == "0001-01-01T00:00:00Z") | "\(.name): \(.health) \(.lastError)"' <<<"$rules")" ""
# The selectors of the rules, on real data: one series each for vs0.
for sel in 'synscope_segments_total{job="synscope",kind="syn",iface="vs0"}' \
	'synscope_segments_total{job="synscope",kind="completing_ack",iface="vs0"}' \
	'synscope_events_total{job="synscope",iface="vs0"}' \
	'sum by (iface) (synscope_events_lost_total{job="synscope",iface="vs0"})' \
	'sum by (iface) (synscope_events_shed_total{job="synscope",iface="vs0"})' \
	'sum by (instance) (synscope_completions_total{job="synscope",fate=~"lost|unmatched"})' \
	'synscope_packets_total{job="synscope",iface="vs0"}' \
	'synscope_netns_tcp_total{job="synscope",counter="ActiveOpens"}' \
	'synscope_netns_tcp_total{job="synscope",counter="PassiveOpens"}' \
	'synscope_start_time_seconds{job="synscope"}'; do
	check_eq "live: one series for $sel" "$(prom_n "$sel")" 1
done
check_eq "live: completing ACKs counted (the scenario's established handshakes)" \
	"$(prom_n 'sum by (iface) (increase(synscope_segments_total{kind="completing_ack",iface="vs0"}[1m])) > 0')" 1
check_eq "live: the server namespace opened connections (PassiveOpens)" \
	"$(prom_n 'increase(synscope_netns_tcp_total{counter="PassiveOpens"}[1m]) > 0')" 1
check_eq "live: a healthy instance: nothing pending or firing" "$(alerts_now)" ""

# A SYN flood to the port whose SYNs the server drops: no SYN-ACK, no
# completing ACK. rate() averages over the samples there are (since
# synscope started), so the flood lasts until both alerts are pending
# (at most 20 s), however fast hping3 goes here.
in_cli timeout 20 hping3 -q -S -p $DROPPED --flood $SRV4 >"$TMP/hping.out" 2>&1 &
HPING=$!
BG_PIDS+=("$HPING")
T0=$SECONDS
if wait_for 100 'ALERTS{alertname=~"SynscopeSynFlood.*",alertstate="pending",iface="vs0"}' 2; then
	ok "live: SYN flood: both flood alerts pending for vs0 after $((SECONDS - T0)) s ($(alerts_now))"
else
	not_ok "live: SYN flood: alerts '$(alerts_now)'; $(tail -2 "$TMP/hping.out" | tr '\n' ' ')"
fi
kill -TERM "$HPING" 2>/dev/null
wait "$HPING" 2>/dev/null
rate=$(prom_q 'sum(rate(synscope_segments_total{job="synscope",kind="syn",iface="vs0"}[5m]))' | jq -r '.data.result[0].value[1] // "none"' | cut -d. -f1)
echo "# SYN rate over the samples: $rate/s"
check_eq "live: SYN flood: not firing yet (for: 5m)" \
	"$(prom_n 'ALERTS{alertstate="firing"}')" 0

# synscope stopped: the scrapes fail, SynscopeDown pending.
kill -INT "$LIVE_PID" 2>/dev/null
wait "$LIVE_PID"
check_eq "live: synscope exit code" "$?" 0
if wait_for 50 'ALERTS{alertname="SynscopeDown",alertstate="pending"}' 1; then
	ok "live: synscope stopped: SynscopeDown pending"
else
	not_ok "live: synscope stopped: alerts '$(alerts_now)'"
fi
check_eq "live: nothing left attached to vs0" "$(nothing_left)" ""
finish
