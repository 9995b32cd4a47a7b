// What each kind of alert means, for the alerts table's tooltips, and how a flood of many
// sources is named: its alert carries one source "for the record" (the most frequent of
// thousands of spoofed addresses or abused reflectors), which is not the attacker.

import { fmtNum } from './dom.js';

/** One sentence per kind of alert. */
export const KIND_MEANING = {
  scan: 'A scan: one source probing many ports or hosts, or sending packets only scanners send, to map what it can attack.',
  'brute-force': 'A brute force: one source failing to log in to a service again and again, guessing passwords.',
  flood: 'A flood: far more packets toward one target than it asked for, sent to exhaust it or its link.',
  anomaly: "An anomaly: the model found this source's traffic unlike what it learnt as normal here, though no rule matched; read the evidence before blocking.",
};

const KIND_OF = {
  'port-scan-vertical': 'scan',
  'port-scan-horizontal': 'scan',
  'scan-probe': 'scan',
  'http-probing': 'scan',
  'http-flood': 'flood',
  'slow-http': 'flood',
  'connection-flood': 'flood',
  'ssh-brute-force': 'brute-force',
  'brute-force': 'brute-force',
  'syn-flood': 'flood',
  'udp-amplification': 'flood',
  'udp-flood': 'flood',
  'tcp-reflection': 'flood',
  'tcp-flood': 'flood',
  'icmp-flood': 'flood',
  'ip-flood': 'flood',
  anomaly: 'anomaly',
};

/** What the type adds to its kind. */
const TYPE_DETAIL = {
  'port-scan-vertical': 'Vertical: many ports of one host.',
  'port-scan-horizontal': 'Horizontal: one port on many hosts.',
  'scan-probe': 'Probes: packets no ordinary stack sends (scanner fingerprints, connect-and-abort).',
  'http-probing': "A web scanner (nikto, dirb, gobuster): far more error answers (404, 403...) from a plain-HTTP server than browsing draws, read from the server's replies.",
  'http-flood': 'An HTTP flood (Hulk, GoldenEye, LOIC): far more requests, or connections each carrying one, from one client to one web server than browsing draws, read from the client\'s own verified connections.',
  'slow-http': 'Slow HTTP (slowloris, slowhttptest): many connections from one client to one web server, each trickling its request a few bytes every several seconds to hold the server\'s workers.',
  'connection-flood': "A connection flood: far more connections from one client to one server than browsing draws, each opening with a TLS handshake (an HTTPS flood) or closed without a byte (a connect flood, an SSH server's slots held), read from the client's own verified connections.",
  'ssh-brute-force': "Failed SSH logins, read from the server's replies.",
  'brute-force': "Failed logins on a service other than SSH, read from the server's replies (SNMP: requests the agent leaves unanswered, its silent refusal of a wrong community).",
  'syn-flood': 'SYNs that never complete a handshake.',
  'udp-amplification': 'Large UDP answers to requests the target never sent.',
  'udp-flood': 'Small UDP datagrams the target does not answer (to closed ports, from forged sources).',
  'tcp-reflection': 'SYN-ACKs for connections the target never opened.',
  'tcp-flood': 'TCP segments (ACK, RST...) of no connection the target has; with one source, ACKs the target refused with RSTs, or bare RSTs that refuse nothing.',
  'icmp-flood': 'ICMP the target did not ask for; with one source, its pings or errors far faster than any pinger sends.',
  'ip-flood': 'GRE, ESP or raw IP packets from hosts the target has no tunnel with.',
  anomaly: 'Scored by the KitNET model.',
};

export function kindOf(type) {
  return KIND_OF[type] ?? 'other';
}

/** The type cell's tooltip: what the kind means, what the type adds, who raised it. */
export function typeTitle(a) {
  const kind = kindOf(a.type);
  const lines = [a.type, KIND_MEANING[kind] ?? `An alert of type ${a.type}.`];
  if (TYPE_DETAIL[a.type]) lines.push(TYPE_DETAIL[a.type]);
  if (kind === 'flood') lines.push(a.spread ? spreadMeaning(a.spread.kind) : 'Here from one source, which a ban stops.');
  lines.push(`detector: ${a.detector}`);
  return lines.join('\n');
}

function spreadMeaning(kind) {
  return kind === 'reflected'
    ? "Its sources are real servers abused as reflectors (the attacker forged requests in the target's name): banning them cuts off those servers, not the attacker."
    : 'Its sources are forged addresses, a new one every few packets: banning them stops nothing.';
}

/** "spoofed: 1,234 sources" for a flood of many sources; null for an alert with one real source. */
export function spreadText(a) {
  if (!a.spread) return null;
  const n = a.spread.sources;
  return `${a.spread.kind}: ${typeof n === 'number' ? `${fmtNum(n)} source${n === 1 ? '' : 's'}` : 'many sources'}`;
}

export function spreadTitle(a) {
  const n = a.spread.sources;
  return [
    spreadText(a),
    `${typeof n === 'number' ? `About ${fmtNum(n)}` : 'Many'} distinct ${a.spread.kind === 'reflected' ? 'reflectors' : 'spoofed source addresses'} (an estimate).`,
    spreadMeaning(a.spread.kind),
    `The most frequent one, for the record: ${a.source}`,
  ].join('\n');
}

/** Why an alert has no Block button. */
export function notBlockableTitle(a) {
  return a.spread
    ? `Nothing to block: ${a.spread.kind === 'reflected' ? 'the sources are abused reflectors' : 'the sources are spoofed'}, so the alert names the target (${a.target}); mitigate upstream.`
    : `Not blockable: ${a.source} is not a single attacker's address.`;
}

/** The Block button's tooltip. */
export function blockTitle(a) {
  const base = `Ban ${a.source} on every firewall.`;
  return a.blockable ? base : `${base} The responder does not ban on this alert alone (for the model's alerts: model.ban is off), so this ban is yours to decide.`;
}
