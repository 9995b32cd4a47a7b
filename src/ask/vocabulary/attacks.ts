// Attack types in words: the phrases that name each alert type (or a group of them), and the
// labels of types and decision actions in answers.

import { ALERT_TYPES, FLOOD_ALERT_TYPES, type AlertType } from '../../detect/alert.ts';
import type { Language } from './language.ts';
import { forms } from './text.ts';

export interface AttackPhrase {
  types: AlertType[];
  es: string;
  en: string;
  phrases: string[];
}

const PORT_SCANS: AlertType[] = ['port-scan-vertical', 'port-scan-horizontal', 'scan-probe'];
const FLOODS: AlertType[] = [...FLOOD_ALERT_TYPES];
const BRUTE_FORCE: AlertType[] = ['brute-force', 'ssh-brute-force'];

/**
 * Attack words → alert types. Group entries (brute force, port scans, floods) come after the single
 * types so a type set that equals a group is labelled by the group.
 */
export const ATTACKS: AttackPhrase[] = [
  {
    types: ['ssh-brute-force'], es: 'fuerza bruta SSH', en: 'SSH brute force',
    phrases: ['fuerza bruta ssh', 'fuerza bruta por ssh', 'fuerza bruta contra ssh', 'fuerza bruta en ssh',
      'ssh brute force', 'ssh bruteforce', 'brute force ssh', 'brute force on ssh', 'ssh'],
  },
  {
    // The login rules' type for every service read by its replies but SSH (login-rules.ts).
    types: ['brute-force'], es: 'fuerza bruta (FTP, correo, Telnet, MySQL, HTTP, VNC, SMB, PostgreSQL, Redis, RDP, SQL Server, SNMP)', en: 'brute force (FTP, mail, Telnet, MySQL, HTTP auth, VNC, SMB, PostgreSQL, Redis, RDP, SQL Server, SNMP)',
    phrases: ['fuerza bruta ftp', 'fuerza bruta por ftp', 'fuerza bruta contra ftp', 'fuerza bruta telnet', 'fuerza bruta smtp',
      'fuerza bruta pop3', 'fuerza bruta imap', 'fuerza bruta mysql', 'fuerza bruta vnc', 'fuerza bruta http',
      'ftp brute force', 'brute force ftp', 'brute force on ftp', 'telnet brute force',
      'smtp brute force', 'pop3 brute force', 'imap brute force', 'mysql brute force', 'brute force mysql', 'vnc brute force',
      'http brute force', 'http auth brute force', 'basic auth brute force',
      'fuerza bruta smb', 'fuerza bruta postgres', 'fuerza bruta postgresql', 'fuerza bruta redis', 'fuerza bruta rdp', 'fuerza bruta sip',
      'smb brute force', 'brute force smb', 'postgres brute force', 'postgresql brute force', 'redis brute force', 'rdp brute force', 'brute force rdp', 'sip brute force', 'brute force sip', 'mssql brute force', 'sql server brute force', 'fuerza bruta mssql', 'fuerza bruta sql server', 'snmp brute force', 'fuerza bruta snmp'],
  },
  {
    // Web scanners (nikto, dirb, gobuster, ffuf): a client drawing error answers from a web server (http-errors.ts).
    types: ['http-probing'], es: 'sondeo HTTP (escáner web)', en: 'HTTP probing (web scanner)',
    phrases: ['sondeo http', 'sondeos http', 'escaneo web', 'escaneos web', 'escaner web', 'escaneres web', 'http probing',
      'web scan', 'web scans', 'web scanner', 'web scanners', 'web scanning', 'directory brute force', 'nikto', 'dirb', 'gobuster'],
  },
  {
    // One client flooding a web server with requests or connections, or holding its workers with trickled requests (http-flood.ts).
    types: ['http-flood', 'slow-http'], es: 'inundación HTTP (DoS de aplicación)', en: 'HTTP flood (application-layer DoS)',
    phrases: ['inundacion http', 'inundaciones http', 'flood http', 'http flood', 'http floods', 'slowloris', 'slow http', 'hulk', 'goldeneye', 'loic',
      'dos http', 'http dos', 'application layer dos', 'layer 7 dos'],
  },
  {
    // One client opening TLS handshakes or empty connections at a server faster than any browser or NAT (connection-flood.ts).
    types: ['connection-flood'], es: 'inundación de conexiones (TLS o vacías)', en: 'connection flood (TLS handshakes or empty connections)',
    phrases: ['inundacion de conexiones', 'inundaciones de conexiones', 'connection flood', 'connection floods', 'tls flood', 'ssl flood',
      'handshake flood', 'https flood', 'inundacion https', 'connect flood'],
  },
  {
    types: ['port-scan-vertical'], es: 'escaneo vertical de puertos', en: 'vertical port scan',
    phrases: ['escaneo vertical', 'escaneos verticales', 'escaneo vertical de puertos', 'escaneos verticales de puertos',
      'escaneo de puertos vertical', 'vertical scan', 'vertical scans', 'vertical port scan', 'vertical port scans'],
  },
  {
    types: ['port-scan-horizontal'], es: 'escaneo horizontal de puertos', en: 'horizontal port scan',
    phrases: ['escaneo horizontal', 'escaneos horizontales', 'escaneo horizontal de puertos', 'escaneos horizontales de puertos',
      'barrido', 'barridos', 'horizontal scan', 'horizontal scans', 'horizontal port scan', 'horizontal port scans', 'sweep', 'sweeps', 'host sweep'],
  },
  {
    types: ['scan-probe'], es: 'sondeo', en: 'scan probe',
    phrases: ['sondeo', 'sondeos', 'sonda', 'sondas', 'probe', 'probes', 'scan probe', 'scan probes', 'probing'],
  },
  {
    types: ['syn-flood'], es: 'inundación SYN', en: 'SYN flood',
    phrases: ['inundacion syn', 'inundaciones syn', 'inundacion de syn', 'inundacion de paquetes syn', 'syn flood', 'syn floods',
      'synflood', 'flood syn', 'syn flooding'],
  },
  {
    types: ['udp-amplification'], es: 'amplificación UDP', en: 'UDP amplification',
    phrases: ['amplificacion udp', 'amplificacion', 'amplificaciones', 'amplificacion de udp', 'udp amplification', 'amplification'],
  },
  {
    types: ['udp-flood'], es: 'inundación UDP', en: 'UDP flood',
    phrases: ['inundacion udp', 'inundaciones udp', 'inundacion de udp', 'udp flood', 'udp floods', 'flood udp'],
  },
  {
    types: ['tcp-reflection'], es: 'reflexión TCP', en: 'TCP reflection',
    phrases: ['reflexion tcp', 'reflexion', 'reflexiones', 'tcp reflection', 'reflection'],
  },
  {
    types: ['tcp-flood'], es: 'inundación TCP', en: 'TCP flood',
    phrases: ['inundacion tcp', 'inundaciones tcp', 'inundacion de ack', 'inundacion de rst', 'tcp flood', 'tcp floods', 'ack flood', 'ack floods',
      'rst flood', 'rst floods', 'flood tcp'],
  },
  {
    types: ['icmp-flood'], es: 'inundación ICMP', en: 'ICMP flood',
    phrases: ['inundacion icmp', 'inundaciones icmp', 'inundacion de ping', 'icmp flood', 'icmp floods', 'ping flood', 'ping floods',
      'flood icmp', 'icmp'],
  },
  {
    types: ['ip-flood'], es: 'inundación GRE o IP', en: 'GRE or IP flood',
    phrases: ['inundacion gre', 'inundaciones gre', 'inundacion ip', 'gre flood', 'gre floods', 'ip flood', 'ip floods', 'raw ip flood', 'esp flood'],
  },
  {
    types: ['anomaly'], es: 'anomalía', en: 'anomaly',
    phrases: ['anomalia', 'anomalias', ...forms('anomal', 'o'), 'anomaly', 'anomalies', 'anomalous'],
  },
  {
    // Repeated failed logins, whatever the service: SSH's own type and every other one's.
    types: BRUTE_FORCE, es: 'fuerza bruta', en: 'brute force',
    phrases: ['fuerza bruta', 'brute force', 'bruteforce', 'brute forcing', 'brute forced', 'password guessing',
      'adivinacion de contrasenas', 'login attempts', 'failed logins', 'failed login attempts', 'intentos de acceso',
      'intentos de acceso fallidos', 'intentos de inicio de sesion', 'accesos fallidos'],
  },
  {
    types: PORT_SCANS, es: 'escaneo de puertos', en: 'port scan',
    phrases: ['escaneo de puertos', 'escaneos de puertos', 'escaneo', 'escaneos', ...forms('escanead', 'o'), 'escanearon', 'escanean',
      'port scan', 'port scans', 'portscan', 'portscans', 'port scanning', 'scan', 'scans', 'scanning', 'scanned', 'scanners'],
  },
  {
    types: FLOODS, es: 'inundación (DDoS)', en: 'flood (DDoS)',
    phrases: ['inundacion', 'inundaciones', 'flood', 'floods', 'flooding', 'ddos', 'denegacion de servicio', 'denial of service',
      ...forms('volumetric', 'o'), 'volumetric'],
  },
];

/** The label of a set of types, in their order, naming a whole group ("port scan") once. */
export function typesLabel(types: readonly string[], lang: Language): string {
  const left = new Set(types);
  const parts: string[] = [];
  for (const t of types) {
    if (!left.has(t)) continue;
    const group = ATTACKS.find((a) => a.types.length > 1 && a.types.includes(t as AlertType) && a.types.every((g) => left.has(g)));
    for (const g of group?.types ?? [t]) left.delete(g);
    parts.push(group ? group[lang] : typeLabel(t, lang));
  }
  return parts.join(', ');
}

const DECISION_LABELS: Record<string, Record<Language, string>> = {
  ban: { es: 'bloqueo', en: 'ban' },
  unban: { es: 'desbloqueo', en: 'unban' },
};

/** One alert type or decision action in words; anything else as stored. */
export function typeLabel(type: string, lang: Language): string {
  const single = ATTACKS.find((a) => a.types.length === 1 && a.types[0] === type);
  return single?.[lang] ?? DECISION_LABELS[type]?.[lang] ?? type;
}

export const KNOWN_ALERT_TYPES: ReadonlySet<string> = new Set(ALERT_TYPES);
