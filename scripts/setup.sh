#!/usr/bin/env bash
# Makes this machine ready for autoimmune, idempotently: installs the missing Debian/Ubuntu
# packages with apt-get, and runs `npm ci` when node_modules is missing or older than
# package-lock.json. Without root it prints the exact command to run and goes on with what
# is there. Run by `npm start` and `npm test` (prestart/pretest); `npm run setup` alone.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpcap-dev: live capture (cap); etcd-server: cluster tests; nftables, iptables, ipset:
# firewall backends (xdp-tools, bpftool: the xdp backend); chromium: dashboard browser tests; tcpdump, tshark: reference readers
# in tests and benchmarks; iproute2: network namespaces for firewall tests; python3-scapy:
# forged and crafted packets in tests; nmap, lighttpd, curl: the range's short test (a real
# scan of a real web server; the full range installs the rest with scripts/setup-range.sh);
# crowdsec-firewall-bouncer: the real bouncer that enforces a node's bans in a test (without
# its Recommends, the CrowdSec engine, so its postinst registers nothing); systemd:
# systemd-analyze verify of the unit install-service writes; ethtool, hping3: the node
# benchmark's drop rate (threaded NAPI on a veth, a flood from the banned address); clang:
# its XDP programs (bench/node/xdp-relay.c, xdp-min.c; built at run time).
PACKAGES=(libpcap-dev etcd-server nftables iptables ipset chromium tcpdump tshark iproute2 python3-scapy nmap lighttpd curl crowdsec-firewall-bouncer systemd xdp-tools bpftool ethtool hping3 clang)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing ${missing[*]}"
    # No service may start on the host (lighttpd's postinst would): policy-rc.d answers 101
    # while installing, unless one is already there.
    made_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    if [ "$made_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
    # A host with systemd starts units itself whatever policy-rc.d says: the bouncer installed
    # just now must not run on the host (tests run it in their own namespaces).
    if [[ " ${missing[*]} " == *" crowdsec-firewall-bouncer "* ]] && command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now crowdsec-firewall-bouncer >/dev/null 2>&1 || true
    fi
  else
    echo "setup: missing system packages: ${missing[*]}"
    echo "setup: run as root:  sudo sh -c '$cmd'"
    echo "setup: going on without them (the features that need them will say so)"
  fi
fi

# npm ci when node_modules is missing or was installed from another package-lock.json.
stamp=node_modules/.autoimmune-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -L node_modules ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; }; then
  # A link shared by several checkouts (git worktrees): npm ci here would empty what it points to.
  echo "setup: node_modules is a link to $(readlink -f node_modules) and was installed from another package-lock.json; run npm ci where it points (left as it is)"
elif [ ! -d node_modules ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci (node_modules missing or stale)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
