#!/usr/bin/env bash
# The FROM scratch image, under podman (runc), as it ships:
#  - container/Dockerfile builds it from build/synscope-static, offline
#    (nothing pulled: FROM scratch, --pull=never);
#  - container/seccomp.json is podman's default profile plus bpf(2) for a
#    container holding CAP_BPF, and nothing else: never unconfined;
#  - with it, --cap-drop ALL --cap-add BPF --cap-add NET_ADMIN, in the
#    server's network namespace (--network ns:), the end-to-end scenario
#    gives the same records as synscope on the host, checked against
#    tcpdump/tshark on the same vs0; while tracing it holds no capability,
#    has no_new_privs and runs under the seccomp filter;
#  - with podman's default profile (bpf only with CAP_SYS_ADMIN) it exits
#    non-zero with one line naming seccomp, and attaches nothing;
#  - nothing stays attached to vs0 once the container is gone.
# podman runs with all of its state in this test's temporary directory
# (storage, run root, locks, runc's state, libpod's tmp, the blob info
# cache buildah keeps in /var/lib/containers/cache, which a private mount
# namespace redirects) and its cgroups under a parent of the test's own, so
# the machine's podman state is never touched; the image, the containers
# and the cgroups are removed on every exit path.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
. tests/lib.sh

STATIC=${SYNSCOPE_STATIC:-$PWD/build/synscope-static}
SECCOMP=$(realpath -m "${SECCOMP:-container/seccomp.json}")
DEFAULT_SECCOMP=${DEFAULT_SECCOMP:-/usr/share/containers/seccomp.json}
DOCKERFILE=$(realpath -m "${DOCKERFILE:-container/Dockerfile}")
IMAGE=localhost/synscope-test:e2e
PT=$TMP/podman                      # all of podman's state
CGP=/synscope-e2e-container-$$      # the containers' (and conmon's) cgroup parent
CAPS=(--cap-drop ALL --cap-add BPF --cap-add NET_ADMIN)

# ---- podman and runc --------------------------------------------------------
# Not in scripts/install-deps.sh's list (yet): install them here, as root.
need=()
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "# installing ${need[*]} (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -qq --no-install-recommends "${need[@]}" ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; }; } >/dev/null 2>&1
fi
for c in podman runc unshare; do
	command -v "$c" >/dev/null || { echo "e2e_container: $c is missing (apt-get install podman runc)" >&2; exit 1; }
done
for f in "$STATIC" build/foreign_attach; do
	[ -x "$f" ] || { echo "e2e_container: $f is missing (make static build/foreign_attach)" >&2; exit 1; }
done
[ -r "$SECCOMP" ] || { echo "e2e_container: $SECCOMP is missing" >&2; exit 1; }

# The machine's podman and runc state before: whatever appears is ours.
GLOBAL_STATE=(/var/lib/containers /run/containers /run/libpod /run/runc /dev/shm/libpod_lock)
present() { local p; for p; do [ -e "$p" ] && printf '%s ' "$p"; done; }
global_before=$(present "${GLOBAL_STATE[@]}")

# ---- podman in a root of ours -----------------------------------------------
mkdir -p "$PT"/{root,runroot,tmp,vartmp,net,varlib,runc,bin,ctx}
# runc keeps its state in /run/runc unless told otherwise; podman's exit
# command (container cleanup) drops --runtime-flag, so a wrapper says it.
printf '#!/bin/sh\nexec %s --root %q "$@"\n' "$(command -v runc)" "$PT/runc" >"$PT/bin/runc"
chmod 755 "$PT/bin/runc"
# Only our configuration: not /etc/containers' nor /usr/share/containers'.
# lock_type file: the locks in tmp_dir, not /dev/shm/libpod_lock.
cat >"$PT/containers.conf" <<CONF
[engine]
lock_type = "file"
events_logger = "none"
cgroup_manager = "cgroupfs"
tmp_dir = "$PT/tmp"
image_copy_tmp_dir = "$PT/vartmp"
[network]
network_config_dir = "$PT/net"
CONF
cat >"$PT/storage.conf" <<CONF
[storage]
driver = "vfs"
graphroot = "$PT/root"
runroot = "$PT/runroot"
CONF
# podman's command: its own configuration, a private mount namespace where
# /var/lib is ours (buildah's commit writes its blob info cache to
# /var/lib/containers/cache whatever --root says), every path in $PT.
# The chain env -> unshare -> sh -> podman execs all the way (sh forks only
# mount), so a background pm's $! is podman: a signal reaches the container.
# shellcheck disable=SC2016 # "$0", "$@": that sh's
PM=(env CONTAINERS_CONF="$PT/containers.conf" CONTAINERS_STORAGE_CONF="$PT/storage.conf"
	TMPDIR="$PT/vartmp"
	unshare --mount --propagation private --
	sh -c 'mount --bind "$0" /var/lib && exec "$@"' "$PT/varlib"
	podman --root "$PT/root" --runroot "$PT/runroot" --tmpdir "$PT/tmp"
	--storage-driver vfs --events-backend none --cgroup-manager cgroupfs
	--runtime "$PT/bin/runc" --network-config-dir "$PT/net")
pm() { timeout 120 "${PM[@]}" "$@"; }

# runc sets the container's rlimits with prlimit(2), which cannot raise a hard
# limit without CAP_SYS_RESOURCE (not held here): ask for no more than the
# limits podman runs with. podman 4.3 lowers its own RLIMIT_NPROC to 32768.
NOFILE=$(ulimit -Hn)
NPROC=$(ulimit -Hu)
{ [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; } && NPROC=32768
[ "$NOFILE" = unlimited ] && NOFILE=1048576
RUN=(run --rm --pull=never --cgroup-parent "$CGP" --ulimit "nofile=$NOFILE:$NOFILE"
	--ulimit "nproc=$NPROC:$NPROC")
# In the server's namespace (the namespace's path: podman joins it).
RUN_SRV=("${RUN[@]}" --network "ns:/run/netns/$NS_SRV")

# The cgroup parent in every hierarchy (v1 controllers and the cgroup2 one).
cgroup_dirs() {
	local m
	awk '$9 == "cgroup" || $9 == "cgroup2" { print $5 }' /proc/self/mountinfo | while read -r m; do
		[ -d "$m$CGP" ] && find "$m$CGP" -depth -type d
	done
}

# The containers, the image, then the cgroups (and conmon, or whatever
# podman left running in them).
ctr_remove() {
	local d
	if [ -d "$PT/root" ]; then
		pm rm --all --force --time 0 >/dev/null 2>&1
		pm rmi --all --force >/dev/null 2>&1
	fi
	for d in $(cgroup_dirs); do
		xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
	done
	[ -n "$(cgroup_dirs)" ] && sleep 0.2
	for d in $(cgroup_dirs); do rmdir "$d" 2>/dev/null; done
}
ctr_cleanup() {
	ctr_remove
	teardown
}
trap ctr_cleanup EXIT
trap 'exit 130' INT TERM

# ---- the profile -----------------------------------------------------------
# The default, rule for rule, but for bpf: an allow with CAP_BPF and the
# EPERM kept for a container with neither CAP_BPF nor CAP_SYS_ADMIN.
python3 - "$SECCOMP" "$DEFAULT_SECCOMP" >"$TMP/profile" 2>&1 <<'PY'
import json, sys
ours, default = (json.load(open(p)) for p in sys.argv[1:3])
def without_bpf(p):
    q = dict(p, syscalls=[])
    for r in p["syscalls"]:
        names = [n for n in r.get("names", []) if n != "bpf"]
        if names:
            q["syscalls"].append(dict(r, names=names))
    return q
def check(name, cond):
    print(("ok" if cond else "fail") + "\t" + name)
check("profile: not unconfined (default action %s)" % ours.get("defaultAction"),
      ours.get("defaultAction") not in (None, "SCMP_ACT_ALLOW", "SCMP_ACT_LOG"))
check("profile: the default's rules but for bpf", without_bpf(ours) == without_bpf(default))
bpf = [r for r in ours["syscalls"] if "bpf" in r.get("names", [])]
check("profile: bpf allowed with CAP_BPF",
      any(r["action"] == "SCMP_ACT_ALLOW" and r.get("includes", {}).get("caps") == ["CAP_BPF"] and not r.get("args") for r in bpf))
check("profile: bpf still allowed with CAP_SYS_ADMIN (as in the default)",
      any(r["action"] == "SCMP_ACT_ALLOW" and r.get("includes", {}).get("caps") == ["CAP_SYS_ADMIN"] for r in bpf))
check("profile: bpf without CAP_BPF or CAP_SYS_ADMIN is EPERM (as in the default)",
      any(r["action"] == "SCMP_ACT_ERRNO" and r.get("errnoRet") == 1 and
          sorted(r.get("excludes", {}).get("caps", [])) == ["CAP_BPF", "CAP_SYS_ADMIN"] for r in bpf))
check("profile: bpf the only name of the rules added",
      all(r["names"] == ["bpf"] for r in bpf if "CAP_BPF" in json.dumps(r)))
check("profile: no perf_event_open beyond the default's (CAP_SYS_ADMIN only)",
      all("perf_event_open" not in r.get("names", []) or r.get("includes", {}).get("caps") == ["CAP_SYS_ADMIN"]
          or r["action"] != "SCMP_ACT_ALLOW" for r in ours["syscalls"]))
PY
while IFS=$'\t' read -r verdict name; do
	if [ "$verdict" = ok ]; then ok "$name"; else not_ok "$name"; fi
done <"$TMP/profile"
grep -qv -P '^(ok|fail)\t' "$TMP/profile" && not_ok "profile: $(cat "$TMP/profile")"

# ---- the image -------------------------------------------------------------
# The build context holds the static binary alone.
cp "$STATIC" "$PT/ctx/synscope-static"
if pm build --pull=never --network none -q -f "$DOCKERFILE" -t "$IMAGE" "$PT/ctx" >"$TMP/build.out" 2>&1; then
	ok "image built offline from ${DOCKERFILE#"$PWD"/}"
else
	not_ok "image build: $(tail -3 "$TMP/build.out")"
	finish
	exit 1
fi
check_eq "image: entrypoint" "$(pm image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")" '["/synscope"]'
check_eq "image: one layer" "$(pm image inspect --format '{{len .RootFS.Layers}}' "$IMAGE")" 1
size=$(pm image inspect --format '{{.Size}}' "$IMAGE")
if [ "$size" -gt 0 ] && [ "$size" -lt $((16 * 1024 * 1024)) ]; then ok "image: $size bytes"; else not_ok "image size: $size"; fi
check_eq "image: runs (-V, no network)" "$(pm "${RUN[@]}" --network none "${CAPS[@]}" "$IMAGE" -V 2>&1 | cut -d' ' -f1)" synscope

# ---- the scenario, in a container ------------------------------------------
setup_scenario

# scenario_case runs "$BIN" in the server's namespace: here BIN starts the
# container (podman itself joins the namespace too, by nsenter, which
# keeps our mounts; the container gets it by --network ns:). podman passes
# SIGINT on to synscope (--sig-proxy) and exits with its exit code.
cat >"$PT/bin/synscope-in-podman" <<SH
#!/bin/bash
exec $(printf '%q ' "${PM[@]}") $(printf '%q ' "${RUN_SRV[@]}") --name sstest-\$\$ \\
	$(printf '%q ' "${CAPS[@]}") --security-opt seccomp=$(printf '%q' "$SECCOMP") $IMAGE "\$@"
SH
chmod 755 "$PT/bin/synscope-in-podman"
# The records without what differs from run to run (client ports, times).
outcomes() { jq -c '[.family, .server_port, .outcome]' "$1" | sort | tr '\n' ' '; }

HOST_BIN=$BIN
if [ -x "$HOST_BIN" ]; then
	scenario_case srv vs0 auto host
	cp "$TMP/srv-auto.json" "$TMP/host.json"
fi
BIN=$PT/bin/synscope-in-podman SS_NSENTER=1
scenario_case srv vs0 auto container
cp "$TMP/srv-auto.json" "$TMP/container.json"
check_eq "container: libbpf quiet without -v" "$(grep -c libbpf "$TMP/srv-auto.err")" 0
if [ -x "$HOST_BIN" ]; then
	check_eq "container: same records as on the host" "$(outcomes "$TMP/container.json")" "$(outcomes "$TMP/host.json")"
fi
check_eq "container: gone after its exit (--rm)" "$(pm ps --all --quiet | wc -l)" 0
check_eq "container: nothing left attached to vs0" "$(nothing_left)" ""
unset SS_NSENTER
BIN=$HOST_BIN

# ---- while tracing: capabilities, no_new_privs, seccomp --------------------
# A container of one handshake; its synscope's /proc status while it traces.
"${PM[@]}" "${RUN_SRV[@]}" --name sstest-status "${CAPS[@]}" --security-opt "seccomp=$SECCOMP" \
	"$IMAGE" -i vs0 -o json -c 1 --duration 30 >"$TMP/one.out" 2>"$TMP/one.err" &
one=$!
BG_PIDS+=("$one")
for _ in $(seq 200); do
	grep -q tracing "$TMP/one.err" 2>/dev/null && break
	kill -0 "$one" 2>/dev/null || break
	sleep 0.05
done
pid=$(pm inspect --format '{{.State.Pid}}' sstest-status 2>/dev/null)
status=$(grep -E '^(CapPrm|CapEff|CapBnd|NoNewPrivs|Seccomp):' "/proc/$pid/status" 2>/dev/null | tr -s '\t\n' ' ')
in_cli ncat -w 2 --send-only $SRV4 $OPEN <<<"hi" || true
wait "$one"
check_eq "one handshake: exit code" "$?" 0
check_eq "one handshake: traced" "$(jq -r .outcome "$TMP/one.out" 2>/dev/null)" established
# The bounding set keeps BPF and NET_ADMIN: shrinking it takes CAP_SETPCAP.
check_eq "while tracing: no capability, no_new_privs, seccomp filter" "$status" \
	"CapPrm: 0000000000000000 CapEff: 0000000000000000 CapBnd: 0000008000001000 NoNewPrivs: 1 Seccomp: 2 "
check_eq "one handshake: nothing left attached to vs0" "$(nothing_left)" ""

# ---- podman's default profile: bpf() refused, said so ----------------------
# No --security-opt: whatever podman uses by default (containers-common's
# profile: bpf only with CAP_SYS_ADMIN).
pm "${RUN_SRV[@]}" --name sstest-default "${CAPS[@]}" "$IMAGE" -i vs0 --duration 5 >"$TMP/d.out" 2>"$TMP/d.err"
rc=$?
if [ "$rc" -ne 0 ]; then ok "default profile: exit code $rc"; else not_ok "default profile: exit code 0"; fi
check_eq "default profile: one line on stderr" "$(wc -l <"$TMP/d.err")" 1
if grep -q '^synscope: .*seccomp' "$TMP/d.err"; then
	ok "default profile: the line names seccomp: $(cat "$TMP/d.err")"
else
	not_ok "default profile: $(cat "$TMP/d.err")"
fi
check_eq "default profile: nothing on stdout" "$(wc -c <"$TMP/d.out")" 0
check_eq "default profile: nothing attached to vs0" "$(nothing_left)" ""

# ---- the machine as it was --------------------------------------------------
check_eq "no container left" "$(pm ps --all --quiet | wc -l)" 0
pm rmi --force "$IMAGE" >/dev/null 2>&1
check_eq "image removed" "$(pm images --quiet | wc -l)" 0
ctr_remove
check_eq "cgroups of the test's containers removed" "$(cgroup_dirs | wc -l)" 0
check_eq "no podman/runc state outside the test's directory" \
	"$(present "${GLOBAL_STATE[@]}")" "$global_before"
finish
