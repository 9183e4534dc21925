#!/usr/bin/env bash
# container/daemonset.yaml: it parses (PyYAML), is one apps/v1 DaemonSet,
# and keeps the promises its comments make: exactly CAP_BPF + CAP_NET_ADMIN
# added and ALL dropped, nothing privileged anywhere (no privileged: true,
# hostPID, hostIPC, hostPath), no privilege escalation, a read-only root,
# user 0, the node's network namespace, the metrics port declared, probed
# and annotated, --metrics in the args, every node tolerated, rolling
# updates, the resources asked for. With python3-kubernetes installed,
# every field name and type is also checked against the Kubernetes API
# models (a misspelt field is otherwise ignored by the API server's
# non-strict decoding). Last, when build/synscope has --metrics, the
# container's args run in a network namespace of ours (only lo) for a
# moment, and the readiness probe's GET /metrics is answered.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

MANIFEST=${MANIFEST:-container/daemonset.yaml}
NS="ssmanif-$$"
cleanup() {
	ip netns pids "$NS" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	teardown
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Debian's python3 first: python3-yaml and python3-kubernetes install there.
find_py() {
	PY=""
	for p in ${PYTHON:-} /usr/bin/python3 python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import yaml' 2>/dev/null; then PY=$p; return 0; fi
	done
	return 1
}
# Not in scripts/install-deps.sh's list (yet): install it here, as root.
if ! find_py && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "# installing python3-yaml (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -qq --no-install-recommends python3-yaml ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-yaml; }; } >/dev/null 2>&1
	find_py
fi
if [ -z "$PY" ]; then
	echo "e2e_manifests: no python3 with PyYAML (apt-get install python3-yaml)" >&2
	exit 1
fi
[ -r "$MANIFEST" ] || { echo "e2e_manifests: $MANIFEST is missing" >&2; exit 1; }

# Python prints "ok<TAB>name" or "fail<TAB>name<TAB>detail" per check;
# the last line "args<TAB>JSON" is the container's args for the live run.
"$PY" - "$MANIFEST" >"$TMP/checks" 2>"$TMP/py.err" <<'PY'
import json, sys
import yaml

path = sys.argv[1]
out = []
def check(name, cond, detail=""):
    out.append(("ok", name, "") if cond else ("fail", name, str(detail)))

try:
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
except yaml.YAMLError as e:
    print("fail\tparses as YAML\t%s" % str(e).replace("\n", " "))
    sys.exit(0)
check("parses as YAML (%d document)" % len(docs), len(docs) == 1, "%d documents" % len(docs))
if not docs:
    print("\n".join("\t".join(o) for o in out)); sys.exit(0)
d = docs[0]
def g(o, *keys):
    for k in keys:
        o = o.get(k) if isinstance(o, dict) else None
    return o

check("apiVersion apps/v1", d.get("apiVersion") == "apps/v1", d.get("apiVersion"))
check("kind DaemonSet", d.get("kind") == "DaemonSet", d.get("kind"))
check("metadata.name set", bool(g(d, "metadata", "name")))
sel = g(d, "spec", "selector", "matchLabels") or {}
labels = g(d, "spec", "template", "metadata", "labels") or {}
check("selector matches the template's labels",
      sel and all(labels.get(k) == v for k, v in sel.items()), "%s vs %s" % (sel, labels))
check("updateStrategy RollingUpdate", g(d, "spec", "updateStrategy", "type") == "RollingUpdate",
      g(d, "spec", "updateStrategy"))

pod = g(d, "spec", "template", "spec") or {}
containers = pod.get("containers") or []
check("one container", len(containers) == 1, len(containers))
c = containers[0] if containers else {}

# Anywhere in the document: no privileged: true, no host namespaces but the
# network, no hostPath.
def walk(o, p=""):
    if isinstance(o, dict):
        for k, v in o.items():
            yield p + "." + k, k, v
            yield from walk(v, p + "." + k)
    elif isinstance(o, list):
        for i, v in enumerate(o):
            yield from walk(v, "%s[%d]" % (p, i))
nodes = list(walk(d))
bad = [p for p, k, v in nodes if k == "privileged" and v is not False]
check("no privileged: true anywhere", not bad, bad)
bad = [p for p, k, v in nodes if k in ("hostPID", "hostIPC") and v]
check("no hostPID, no hostIPC", not bad, bad)
bad = [p for p, k, v in nodes if k == "hostPath"]
check("no hostPath volume", not bad, bad)
bad = [p for p, k, v in nodes if k == "hostUsers" and v is False]
check("no user namespace of its own (CAP_BPF needs the initial one)", not bad, bad)

sc = c.get("securityContext") or {}
caps = sc.get("capabilities") or {}
check("capabilities added: exactly [BPF, NET_ADMIN]",
      sorted(caps.get("add") or []) == ["BPF", "NET_ADMIN"], caps.get("add"))
check("capabilities dropped: [ALL]", (caps.get("drop") or []) == ["ALL"], caps.get("drop"))
psc = pod.get("securityContext") or {}
check("no capabilities or sysctls at pod level", "capabilities" not in psc and "sysctls" not in psc, psc)
check("allowPrivilegeEscalation false", sc.get("allowPrivilegeEscalation") is False, sc.get("allowPrivilegeEscalation"))
check("readOnlyRootFilesystem true", sc.get("readOnlyRootFilesystem") is True, sc.get("readOnlyRootFilesystem"))
uid = sc.get("runAsUser", psc.get("runAsUser"))
check("runAsUser 0", uid == 0, uid)
check("runAsNonRoot not true", sc.get("runAsNonRoot", psc.get("runAsNonRoot")) is not True)

check("hostNetwork true", pod.get("hostNetwork") is True, pod.get("hostNetwork"))
check("dnsPolicy ClusterFirstWithHostNet", pod.get("dnsPolicy") == "ClusterFirstWithHostNet", pod.get("dnsPolicy"))
tol = pod.get("tolerations") or []
check("tolerates every taint (operator Exists, no key, no effect)",
      any(t.get("operator") == "Exists" and not t.get("key") and not t.get("effect") for t in tol), tol)

args = c.get("args") or []
check("args are strings", all(isinstance(a, str) for a in args), args)
check("args include --metrics", "--metrics" in args, args)
metrics = args[args.index("--metrics") + 1] if "--metrics" in args[:-1] else ""
check("args: -i any --mode tc --metrics 0.0.0.0:9464 -o json",
      args == ["-i", "any", "--mode", "tc", "--metrics", "0.0.0.0:9464", "-o", "json"], args)
check("no command: the image's ENTRYPOINT runs", "command" not in c, c.get("command"))
ports = c.get("ports") or []
mp = [p for p in ports if p.get("containerPort") == 9464]
check("port 9464 declared", len(mp) == 1, ports)
check("port 9464 named metrics, TCP",
      mp and mp[0].get("name") == "metrics" and mp[0].get("protocol", "TCP") == "TCP", mp)
check("--metrics serves the declared port", metrics.rsplit(":", 1)[-1] == "9464", metrics)
check("--metrics binds beyond 127.0.0.1 (the probe comes to the node's IP)",
      metrics.rsplit(":", 1)[0] not in ("", "127.0.0.1", "localhost"), metrics)
rp = g(c, "readinessProbe", "httpGet") or {}
check("readinessProbe httpGet /metrics on the metrics port",
      rp.get("path") == "/metrics" and rp.get("port") in ("metrics", 9464), rp)
ann = g(d, "spec", "template", "metadata", "annotations") or {}
check("prometheus.io annotations (scrape true, port 9464, path /metrics)",
      ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == "9464"
      and ann.get("prometheus.io/path", "/metrics") == "/metrics", ann)
check("annotation values are strings", all(isinstance(v, str) for v in ann.values()), ann)
res = c.get("resources") or {}
want = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
got = {k: {r: str(v) for r, v in (res.get(k) or {}).items()} for k in ("requests", "limits")}
check("resources: requests 100m/64Mi, limits 1/512Mi", got == want, got)
check("no volumes", not pod.get("volumes") and not c.get("volumeMounts"), pod.get("volumes"))

# Every field name and type against the API's models, when the Kubernetes
# Python client is there.
try:
    import kubernetes
    import kubernetes.client as kc
except ImportError:
    kc = None
if kc is None:
    out.append(("note", "python3-kubernetes not installed: field names not checked against the API models", ""))
else:
    import re
    errs = []
    def strict(o, t, p):
        if t in ("object",):
            return
        m = re.match(r"list\[(.*)\]$", t)
        if m:
            if not isinstance(o, list):
                errs.append("%s: want a list" % p); return
            for i, v in enumerate(o):
                strict(v, m.group(1), "%s[%d]" % (p, i))
            return
        m = re.match(r"dict\((\w+), (.*)\)$", t)
        if m:
            if not isinstance(o, dict):
                errs.append("%s: want a map" % p); return
            for k, v in o.items():
                strict(v, m.group(2), "%s.%s" % (p, k))
            return
        prim = {"str": str, "int": int, "bool": bool, "float": (int, float)}
        if t in prim:
            if not isinstance(o, prim[t]) or (t == "int" and isinstance(o, bool)):
                errs.append("%s: want %s, got %r" % (p, t, o))
            return
        cls = getattr(kc, t, None)
        if cls is None:
            errs.append("%s: unknown model %s" % (p, t)); return
        if not isinstance(o, dict):
            errs.append("%s: want a %s object" % (p, t)); return
        json_to_attr = {v: k for k, v in cls.attribute_map.items()}
        for k, v in o.items():
            if k not in json_to_attr:
                errs.append("%s.%s: no such field in %s" % (p, k, t)); continue
            strict(v, cls.openapi_types[json_to_attr[k]], p + "." + k)
    strict(d, "V1DaemonSet", "")
    check("every field name and type is the API's (V1DaemonSet, python3-kubernetes %s)"
          % getattr(kubernetes, "__version__", "?"), not errs, "; ".join(errs))
print("\n".join("\t".join(o) for o in out))
print("args\t" + json.dumps(args))
PY
if [ -s "$TMP/py.err" ]; then not_ok "the checker ran: $(tr '\n' ' ' <"$TMP/py.err")"; fi

ARGS_JSON=""
while IFS=$'\t' read -r kind name detail; do
	case $kind in
	ok) ok "$name" ;;
	fail) not_ok "$name: $detail" ;;
	note) echo "# $name" ;;
	args) ARGS_JSON=$name ;;
	esac
done <"$TMP/checks"

# The container's args, for real, in a namespace of ours (only lo; "any"
# is every interface of the namespace).
mapfile -t ARGS < <("$PY" -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "${ARGS_JSON:-[]}")
if [ ! -x "$BIN" ]; then
	echo "# $BIN is missing (make): the args were not run"
elif ! "$BIN" --help 2>&1 | grep -q -- '--metrics'; then
	echo "# $BIN has no --metrics yet (rebuild it): the args were not run"
elif ! ip netns add "$NS"; then
	not_ok "ip netns add $NS"
else
	ip -n "$NS" link set lo up
	ip netns exec "$NS" "$BIN" "${ARGS[@]}" --duration 20 >"$TMP/ds.out" 2>"$TMP/ds.err" &
	pid=$!
	BG_PIDS+=("$pid")
	code=""
	for _ in $(seq 100); do
		code=$(ip netns exec "$NS" "$PY" -c '
import sys, urllib.request
try:
    r = urllib.request.urlopen("http://127.0.0.1:9464/metrics", timeout=2)
    print(r.status, r.headers.get("Content-Type", ""))
except Exception as e:
    print("error", e)' 2>&1)
		case $code in 200*) break ;; esac
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	case $code in
	"200 text/plain"*"version=0.0.4"*) ok "the args run; the probe's GET /metrics: $code" ;;
	*) not_ok "the args run and /metrics answers: got '$code'; $(tr '\n' ' ' <"$TMP/ds.err")" ;;
	esac
	kill -INT "$pid" 2>/dev/null
	wait "$pid"
	check_eq "synscope with the args exits 0 on SIGINT" "$?" 0
fi

finish
