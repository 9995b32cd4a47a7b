// Ports and services in a question about flows: "port 22", "puertos 22 y 443", "tcp/22",
// "udp 53", "ssh".

import { ALT } from './alternations.ts';
import type { Findings } from './findings.ts';
import { addOnce, type Scanner } from './scanner.ts';
import * as V from './vocabulary.ts';
import type { Language } from './vocabulary.ts';

const PROTOCOL = '(tcp|udp|sctp)';
const PORT_LIST = '(\\d{1,5}(?:\\s+(?:(?:y|e|o|u|and|or)\\s+)?\\d{1,5})*)';
const MAX_NUMBER: Record<string, number> = { tcp: 65_535, udp: 65_535, sctp: 65_535, icmp: 255, icmpv6: 255, ip: 255 };

/**
 * Ports and services, which only flows have (a flow's type is its service, as flowService
 * writes it). A port without a protocol is TCP's and UDP's alike: 53 is DNS over either, 443
 * HTTPS or QUIC, and the question did not say which; "tcp port 22" or "tcp/22" says it.
 * (SCTP ports only when named: they are rare enough that "port 22" meaning sctp/22 too would
 * only lengthen every query.) Service names ("ssh", "dns") are read only in a question that
 * names flows or ports, since elsewhere "ssh" is SSH brute force.
 */
export function scanServices(s: Scanner, f: Findings, lang: Language): void {
  const add = (services: string[], label: string): void => {
    for (const x of services) addOnce(f.services, x);
    addOnce(f.serviceLabels, label);
  };
  // Out of range is taken and said ("port 70000" is no port), not left for "port" to become a field and 70000 a limit.
  const valid = (protocol: string, n: number, m: RegExpMatchArray): boolean => {
    if (n <= MAX_NUMBER[protocol]) return true;
    addOnce(f.badServices, s.original(m));
    return false;
  };
  // "tcp/22", "22/udp", "icmp/8": a service as the store writes it.
  s.take(`(tcp|udp|sctp|icmpv6|icmp|ip)/(\\d{1,5})|(\\d{1,5})/${PROTOCOL}`, (m) => {
    const [protocol, n] = m[1] !== undefined ? [m[1], Number(m[2])] : [m[4], Number(m[3])];
    if (valid(protocol, n, m)) add([`${protocol}/${n}`], `${protocol}/${n}`);
  });
  // "port 22", "puertos 22 y 443", "tcp port 22", "puerto 53 udp".
  s.take(`(?:${PROTOCOL}\\s+)?(?:puertos?|ports?)(?:\\s+${PROTOCOL})?\\s+${PORT_LIST}(?:\\s+${PROTOCOL})?`, (m) => {
    const named = [m[1], m[2], m[4]].filter((p) => p !== undefined);
    if (new Set(named).size > 1) return false; // "tcp port 22 udp": say one
    const ports = (m[3].match(/\d+/g) ?? []).map(Number);
    if (!ports.every((n) => valid('tcp', n, m))) return;
    for (const n of ports) {
      if (named[0] !== undefined) add([`${named[0]}/${n}`], `${named[0]}/${n}`);
      else add([`tcp/${n}`, `udp/${n}`], `${lang === 'es' ? 'puerto' : 'port'} ${n} (tcp/${n}, udp/${n})`);
    }
  });
  // "udp 53".
  s.take(`${PROTOCOL}\\s+(\\d{1,5})`, (m) => {
    const n = Number(m[2]);
    if (valid(m[1], n, m)) add([`${m[1]}/${n}`], `${m[1]}/${n}`);
  });
  if (!f.flow && f.services.length === 0) return;
  s.take(ALT.serviceName, (m) => {
    const services = V.SERVICE_NAMES[m[0]];
    if (!services) return false;
    add(services, `${m[0].toUpperCase()} (${services.join(', ')})`);
  });
}
