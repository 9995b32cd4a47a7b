#!/usr/bin/env bash
# Installs what the live-fire range (npm run range) needs, idempotently, like setup.sh:
# the victim's services, the attack tools, the benign clients and the two incumbents.
# Without root it prints the exact command to run and exits 0 (range/cli.ts then names
# what is missing and stops).
#
# Safety: no service may start on the host. While installing, /usr/sbin/policy-rc.d answers
# 101 ("action forbidden"), so the postinst scripts of openssh-server, vsftpd, lighttpd,
# fail2ban, crowdsec and the bouncer start nothing (a policy-rc.d that was already there is
# kept as it was). The range runs every daemon itself, inside its namespaces, with its own
# config. CrowdSec's postinst registers with the online Central API unless its credentials
# file already has content; the range is offline by design, so a comment is put there first.
set -euo pipefail

PACKAGES=(
  openssh-server openssh-client vsftpd lighttpd dnsmasq-base    # the victim's services
  nmap masscan hydra medusa ncrack hping3 iputils-ping          # the attackers
  sshpass curl lftp bind9-dnsutils                              # the benign clients
  fail2ban crowdsec crowdsec-firewall-bouncer                   # the incumbents
  tcpdump nftables iproute2 openssl                             # the lab and the captures
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-range: missing packages: ${missing[*]}"
  echo "setup-range: run as root:  sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends ${missing[*]}'"
  exit 0
fi

policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# put here by autoimmune scripts/setup-range.sh while installing; removed after\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

mkdir -p /etc/crowdsec
capi=/etc/crowdsec/online_api_credentials.yaml
if [ ! -s "$capi" ]; then
  echo '# autoimmune range: CrowdSec stays offline (no Central API registration)' > "$capi"
fi

echo "setup-range: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

# Nothing the packages brought may run on the host (a host with systemd ignores policy-rc.d
# for units it starts itself). Only units of packages installed just now: a service the
# host already ran is left alone.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  for p in "${missing[@]}"; do
    case "$p" in
      openssh-server) unit=ssh ;;
      vsftpd|lighttpd|fail2ban|crowdsec|crowdsec-firewall-bouncer) unit=$p ;;
      *) continue ;;
    esac
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi
