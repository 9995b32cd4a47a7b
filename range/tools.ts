// What the range needs on the machine, and the Debian package of each tool, so a missing one
// is named with the command that installs it.

import { hasCommand } from './procs.ts';
import type { Scenario } from './scenarios.ts';
import type { SystemName } from './types.ts';

/** tool → Debian package. */
export const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  ss: 'iproute2',
  nft: 'nftables',
  tcpdump: 'tcpdump',
  curl: 'curl',
  openssl: 'openssl',
  '/usr/sbin/sshd': 'openssh-server',
  'ssh-keygen': 'openssh-client',
  ssh: 'openssh-client',
  scp: 'openssh-client',
  '/usr/sbin/vsftpd': 'vsftpd',
  lighttpd: 'lighttpd',
  dnsmasq: 'dnsmasq-base',
  nmap: 'nmap',
  masscan: 'masscan',
  hydra: 'hydra',
  medusa: 'medusa',
  ncrack: 'ncrack',
  hping3: 'hping3',
  ping: 'iputils-ping',
  sshpass: 'sshpass',
  lftp: 'lftp',
  dig: 'bind9-dnsutils',
  'fail2ban-server': 'fail2ban',
  'fail2ban-client': 'fail2ban',
  crowdsec: 'crowdsec',
  cscli: 'crowdsec',
  'crowdsec-firewall-bouncer': 'crowdsec-firewall-bouncer',
};

/** The lab, the victim's services and the capture. */
export const BASE_TOOLS = ['ip', 'ss', 'nft', 'tcpdump', 'curl', 'openssl', '/usr/sbin/sshd', 'ssh-keygen', '/usr/sbin/vsftpd', 'lighttpd', 'dnsmasq'];

export const SYSTEM_TOOLS: Record<SystemName, string[]> = {
  autoimmune: [],
  fail2ban: ['fail2ban-server', 'fail2ban-client'],
  crowdsec: ['crowdsec', 'cscli', 'crowdsec-firewall-bouncer'],
};

/** The programs a scenario runs in its namespace. */
export function scenarioTools(s: Scenario): string[] {
  switch (s.tool.split(' ')[0]) {
    case 'ssh':
      return ['ssh', 'sshpass'];
    case 'scp':
      return ['scp', 'sshpass'];
    default:
      return [s.tool.split(' ')[0]!];
  }
}

export interface Missing {
  tools: string[];
  packages: string[];
}

export function missingTools(scenarios: readonly Scenario[], systems: readonly SystemName[], has: (tool: string) => boolean = hasCommand): Missing {
  const wanted = new Set([...BASE_TOOLS, ...systems.flatMap((s) => SYSTEM_TOOLS[s]), ...scenarios.flatMap(scenarioTools)]);
  const tools = [...wanted].filter((t) => !has(t));
  const packages = [...new Set(tools.map((t) => PACKAGE_OF[t] ?? t))].sort();
  return { tools, packages };
}
