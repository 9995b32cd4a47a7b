// Flows and their services: flow words, port and service nouns, well-known service names.

import type { Language } from './language.ts';
import { fold } from './text.ts';

/**
 * Words for per-flow summaries. "Sesiones"/"sessions" are in: to an operator an SSH session is
 * a connection, and no other event is called so. "Tráfico"/"traffic" is not: it may mean bytes,
 * and a flow count is not that.
 */
export const FLOW_WORDS = ['flujo', 'flujos', 'flow', 'flows', 'netflow', 'netflows', 'conexion', 'conexiones', 'connection',
  'connections', 'sesion', 'sesiones', 'session', 'sessions'];

/** Nouns naming a flow's service as a field ("top services", "por puerto"): the type dimension, for flows only. */
export const SERVICE_WORDS = ['servicio', 'servicios', 'service', 'services', 'puerto', 'puertos', 'port', 'ports',
  'puerto de destino', 'puertos de destino', 'destination port', 'destination ports'];

/**
 * Well-known services by name → the flow services they are (flowService in store/event-row.ts).
 * Read only in a question about flows: elsewhere "ssh" names SSH brute force. DNS is both UDP and
 * TCP; ping is the echo request of ICMP and of ICMPv6 (a flow's ICMP service is its type).
 */
export const SERVICE_NAMES: Record<string, string[]> = {
  ssh: ['tcp/22'], telnet: ['tcp/23'], smtp: ['tcp/25'], dns: ['udp/53', 'tcp/53'], http: ['tcp/80'], https: ['tcp/443'],
  ntp: ['udp/123'], smb: ['tcp/445'], rdp: ['tcp/3389'], ping: ['icmp/8', 'icmpv6/128'],
};

/** Whether a (folded) dimension phrase names the service. */
export function isServiceWord(phrase: string): boolean {
  const key = fold(phrase);
  return SERVICE_WORDS.some((w) => fold(w) === key);
}

/**
 * Flow services in words: TCP and UDP of the same ports (what "port 22" asks for) as
 * "port 22" / "ports 22 or 80"; anything else as stored ("tcp/22 or udp/53").
 */
export function servicesLabel(services: readonly string[], lang: Language): string {
  const es = lang === 'es';
  const or = es ? ' o ' : ' or ';
  const set = new Set(services);
  const ports: string[] = [];
  for (const s of services) {
    const m = /^(tcp|udp)\/(\d+)$/.exec(s);
    if (!m || !set.has(`${m[1] === 'tcp' ? 'udp' : 'tcp'}/${m[2]}`)) return services.join(or);
    if (!ports.includes(m[2])) ports.push(m[2]);
  }
  const many = ports.length > 1;
  return es ? `${many ? 'los puertos' : 'el puerto'} ${ports.join(or)}` : `${many ? 'ports' : 'port'} ${ports.join(or)}`;
}
