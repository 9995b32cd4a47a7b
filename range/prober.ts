// The prober: from the attacker's (or client's) own address, a TCP connect to the attacked
// port every 100 ms, each given 1 s to complete. It runs in that namespace (node's net module
// cannot enter one) and prints one JSON line per probe: {"t": send time in ms, "ok": bool}.
// A ban shows as probes that stop completing: dropped (no answer) or rejected (fail2ban's
// nftables action answers with an ICMP port-unreachable).
//
// Its connections use local ports PROBE_PORTS (below the kernel's ephemeral range, so no
// attack tool's kernel-made connection shares them; the raw-packet tools are pinned away from
// them). PROBE_FILTER keeps them out of the node's capture and the saved pcaps: the prober is
// the measurement, not traffic to judge (ten connections a second to port 22 would otherwise
// look like a brute force). Both incumbents ignore it: a connection closed before the SSH
// banner exchange is not a failed login for fail2ban's sshd filter nor CrowdSec's sshd parser.

export const PROBE_PORT_LO = 20000;
export const PROBE_PORT_HI = 20999;
export const PROBE_INTERVAL_MS = 100;
export const PROBE_TIMEOUT_MS = 1000;

/** BPF that leaves out the prober's packets (both ways) for the given prober addresses. */
export function probeFilter(addresses: readonly string[]): string {
  const range = `portrange ${PROBE_PORT_LO}-${PROBE_PORT_HI}`;
  const one = (a: string) => `(src host ${a} and src ${range}) or (dst host ${a} and dst ${range})`;
  return `not (tcp and (${addresses.map(one).join(' or ')}))`;
}

export const PROBER_SCRIPT = `
const net = require('net');
const [host, port, src, every, timeout, lo, hi] = process.argv.slice(1).map((v, i) => (i < 1 || i === 2 ? v : Number(v)));
let next = lo;
const probe = () => {
  const t = Date.now();
  const localPort = next;
  next = next >= hi ? lo : next + 1;
  let done = false;
  const say = (ok, why) => { if (done) return; done = true; s.destroy(); process.stdout.write(JSON.stringify({ t, ok, why }) + '\\n'); };
  const s = net.connect({ host, port, localAddress: src, localPort });
  s.setTimeout(timeout, () => say(false, 'timeout'));
  s.on('connect', () => say(true));
  s.on('error', (e) => say(false, e.code || e.message));
};
probe();
setInterval(probe, every);
`;

export function proberArgv(host: string, port: number, src: string): string[] {
  return [process.execPath, '-e', PROBER_SCRIPT, host, String(port), src, String(PROBE_INTERVAL_MS), String(PROBE_TIMEOUT_MS), String(PROBE_PORT_LO), String(PROBE_PORT_HI)];
}

export interface Probe {
  t: number;
  ok: boolean;
  why?: string;
}

/** Failed probes in a row, at the end, for the source to count as blocked: 1 s of silence. */
export const BLOCKED_AFTER = 10;

/**
 * When the source was blocked: the send time of the first probe of the final unbroken run of
 * failed probes sent at or after `from`, if that run is at least BLOCKED_AFTER long; else null.
 */
export function blockedAt(probes: readonly Probe[], from: number): number | null {
  const sorted = probes.filter((p) => p.t >= from).sort((a, b) => a.t - b.t);
  let start = -1;
  for (let i = sorted.length - 1; i >= 0 && !sorted[i]!.ok; i--) start = i;
  if (start < 0 || sorted.length - start < BLOCKED_AFTER) return null;
  return sorted[start]!.t;
}
