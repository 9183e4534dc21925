#!/usr/bin/env bash
# Install what synscope's build, demo and tests need, when missing.
# Debian/Ubuntu (apt-get); run as root. Does nothing when all is there.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libcmocka-dev \
	 libpcap-dev make gcc pkg-config iproute2 tcpdump tshark ncat nftables \
	 hping3 netsniff-ng jq strace libcap2-bin libdbus-1-dev libmicrohttpd-dev \
	 p0f prometheus python3 python3-yaml bash-completion man-db nmap curl gzip \
	 util-linux nginx-light apache2-utils podman runc; do
	have_pkg "$p" || need+=("$p")
done
# Sanitizer runtimes: gcc's for the parser tests under AddressSanitizer,
# clang's (with libFuzzer) for make fuzz; clang only recommends it.
have_pkg libasan8 || need+=(libasan8)
have_pkg libclang-rt-dev || need+=(libclang-rt-dev)

if [ ${#need[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages (${need[*]}) and not root; install them or run as root" >&2
	exit 1
fi
echo "install-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture: answer no, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# nginx (a test's web server, run in a namespace of the test's own) must not
# start on the host when installed: a policy-rc.d that forbids it, for the
# install only (left alone when the machine has one). podman comes with
# runc in the same install: alone it would pull crun, which refuses hybrid
# cgroups.
policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
	policy=/usr/sbin/policy-rc.d
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
