#!/usr/bin/env python3
"""Make synscope's seccomp profile from the containers-common default.

usage: seccomp-gen.py [DEFAULT] > container/seccomp.json
DEFAULT: /usr/share/containers/seccomp.json (Debian's golang-github-containers-common).

The one change (see seccomp.md): bpf(2), which the default allows only with
CAP_SYS_ADMIN, is also allowed to a container holding CAP_BPF. The default's
EPERM for bpf without the capability is kept (for neither CAP_SYS_ADMIN nor
CAP_BPF), so synscope still names seccomp when bpf() is refused.
Everything else is the default, rule for rule, in the same order.
"""
import json
import sys

src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/containers/seccomp.json"
with open(src) as f:
    p = json.load(f)

rules = p["syscalls"]
deny = [i for i, r in enumerate(rules)
        if "bpf" in r.get("names", []) and r.get("action") == "SCMP_ACT_ERRNO"
        and (r.get("excludes") or {}).get("caps") == ["CAP_SYS_ADMIN"]]
allow = [i for i, r in enumerate(rules)
         if "bpf" in r.get("names", []) and r.get("action") == "SCMP_ACT_ALLOW"
         and (r.get("includes") or {}).get("caps") == ["CAP_SYS_ADMIN"]]
if len(deny) != 1 or len(allow) != 1:
    sys.exit("seccomp-gen: %s: expected one CAP_SYS_ADMIN allow and one deny rule naming bpf" % src)
d = deny[0]
errno_ret = rules[d].get("errnoRet", 1)
errno_name = rules[d].get("errno")
rules[d]["names"] = [n for n in rules[d]["names"] if n != "bpf"]
added = [
    {
        "names": ["bpf"],
        "action": "SCMP_ACT_ALLOW",
        "args": [],
        "comment": "synscope: bpf(2) with CAP_BPF (Linux >= 5.8) as well as with CAP_SYS_ADMIN",
        "includes": {"caps": ["CAP_BPF"]},
        "excludes": {"caps": ["CAP_SYS_ADMIN"]},
    },
    {
        "names": ["bpf"],
        "action": "SCMP_ACT_ERRNO",
        "args": [],
        "comment": "synscope: bpf(2) without CAP_BPF or CAP_SYS_ADMIN still fails with EPERM, as in the default",
        "includes": {},
        "excludes": {"caps": ["CAP_SYS_ADMIN", "CAP_BPF"]},
        "errnoRet": errno_ret,
    },
]
if errno_name:
    added[1]["errno"] = errno_name
rules[d + 1:d + 1] = added
json.dump(p, sys.stdout, indent="\t")
sys.stdout.write("\n")
