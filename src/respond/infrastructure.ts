// The network's own infrastructure, found on this host so that it is never banned: the
// gateways of the routing table, the DNS resolvers, the configured NTP servers. A forged packet
// "from" any of them must not cut the node off from its gateway, its DNS or its clock. Each
// entry says where it was found. The parsers are pure; discoverInfrastructure() reads the
// files (missing ones are skipped) and resolves host names with a short deadline.

import { lookup } from 'node:dns/promises';
import { readFile, readdir } from 'node:fs/promises';
import { isIP } from 'node:net';
import type { AllowEntry } from './allow-list.ts';

/** Gateways of /proc/net/route (IPv4; hex, host byte order as the kernel writes it: little-endian). */
export function parseProcRoute(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^[0-9A-Fa-f]{8}$/.test(f[2])) continue;
    const gw = parseInt(f[2], 16);
    const flags = parseInt(f[3], 16);
    // RTF_GATEWAY (0x2): the route goes through a next hop.
    if (gw === 0 || !(flags & 0x2)) continue;
    out.add([gw & 0xff, (gw >>> 8) & 0xff, (gw >>> 16) & 0xff, gw >>> 24].join('.'));
  }
  return [...out];
}

/** Next hops of /proc/net/ipv6_route (32 hex digits each, network order). */
export function parseProcIpv6Route(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^[0-9a-fA-F]{32}$/.test(f[4]) || /^0+$/.test(f[4])) continue;
    const groups = f[4].match(/.{4}/g)!.map((g) => parseInt(g, 16).toString(16));
    // Full form; the allow-list parses it into canonical text.
    out.add(groups.join(':'));
  }
  return [...out];
}

/** `nameserver` lines of a resolv.conf. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m) out.push(m[1].replace(/%.*$/, ''));
  }
  return out;
}

/** NTP servers of chrony, ntpd/ntpsec (`server`, `pool`, `peer`) and systemd-timesyncd (`NTP=`). */
export function parseNtpConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:server|pool|peer)\s+(\S+)/.exec(line);
    if (m) out.push(m[1]);
    const t = /^\s*NTP\s*=\s*(.*)$/.exec(line);
    if (t) out.push(...t[1].split(/\s+/).filter(Boolean));
  }
  return out;
}

export interface InfrastructureFiles {
  route: string;
  ipv6Route: string;
  resolvers: string[];
  ntp: string[];
  /** Directories of chrony source files (*.sources). */
  ntpDirs: string[];
}

export const SYSTEM_FILES: InfrastructureFiles = {
  route: '/proc/net/route',
  ipv6Route: '/proc/net/ipv6_route',
  resolvers: ['/etc/resolv.conf', '/run/systemd/resolve/resolv.conf'],
  ntp: ['/etc/chrony/chrony.conf', '/etc/chrony.conf', '/etc/ntp.conf', '/etc/ntpsec/ntp.conf', '/etc/systemd/timesyncd.conf'],
  ntpDirs: ['/etc/chrony/sources.d'],
};

async function readOr(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** The addresses of a name, or none when it does not resolve within `deadlineMs`. */
export async function resolveName(name: string, deadlineMs = 2000): Promise<string[]> {
  if (isIP(name)) return [name];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<[]>((res) => (timer = setTimeout(() => res([]), deadlineMs)));
  try {
    const found = lookup(name, { all: true }).then(
      (r) => r.map((a) => a.address),
      () => [] as string[],
    );
    return await Promise.race([found, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Gateways, resolvers and NTP servers of this host, each with where it was found. */
export async function discoverInfrastructure(files: InfrastructureFiles = SYSTEM_FILES): Promise<AllowEntry[]> {
  const out: AllowEntry[] = [];
  for (const gw of parseProcRoute(await readOr(files.route))) out.push({ net: gw, why: `gateway (${files.route})`, forceable: true });
  for (const gw of parseProcIpv6Route(await readOr(files.ipv6Route))) out.push({ net: gw, why: `gateway (${files.ipv6Route})`, forceable: true });
  for (const f of files.resolvers) for (const ns of parseResolvConf(await readOr(f))) out.push({ net: ns, why: `DNS resolver (${f})`, forceable: true });
  const ntpFiles = [...files.ntp];
  for (const dir of files.ntpDirs) {
    try {
      for (const name of await readdir(dir)) if (name.endsWith('.sources')) ntpFiles.push(`${dir}/${name}`);
    } catch {
      // no such directory
    }
  }
  for (const f of ntpFiles) {
    for (const server of parseNtpConf(await readOr(f))) {
      for (const a of await resolveName(server)) out.push({ net: a, why: server === a ? `NTP server (${f})` : `NTP server ${server} (${f})`, forceable: true });
    }
  }
  return out;
}
