#!/usr/bin/env bash
# End-to-end: real connections between two namespaces, traced by synscope
# on the server side and on the client side, in each attach mode, checked
# against tcpdump/tshark on the same interface at the same time.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib.sh

setup_scenario

for mode in auto xdp tc; do
	scenario_case srv vs0 "$mode"
	scenario_case cli vc0 "$mode"
done
# Keep one live run and its capture for the offline comparison test.
if [ -n "${E2E_KEEP:-}" ]; then cp "$TMP"/srv-auto.* "$E2E_KEEP"/ 2>/dev/null; fi
finish
