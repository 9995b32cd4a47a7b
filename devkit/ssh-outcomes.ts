// What login-sessions.ts reads of each server session of a capture: the events (success,
// failure, undecided) in order, with the sizes and gaps of the server's segments, for
// measuring new clients and servers (test/fixtures/captures/record_ssh_clients.sh) and for
// the tests that hold those readings (test/detect-ssh-clients.test.ts).
//   node --import tsx devkit/ssh-outcomes.ts FILE.pcap [--sizes]
import { fileURLToPath } from 'node:url';
import { FlowTable } from '../src/detect/flow-table.ts';
import { LoginEvent, LoginSessions } from '../src/detect/rules/login-sessions.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10;
const NAMES = ['none', 'failure', 'success', 'undecided', 'denied', 'authenticated'] as const;
export type OutcomeName = (typeof NAMES)[number];

export interface SessionOutcome {
  client: string;
  clientPort: number;
  serverPort: number;
  /** Events of the server's segments, then the close's (if not NONE), in order. */
  events: OutcomeName[];
  /** Whether the server ended the session (FIN or RST) within the capture. */
  closed: boolean;
  /** The server's segments: payload bytes and seconds since its previous one. */
  segments: Array<{ len: number; gap: number; event: OutcomeName }>;
}

/** Every server session of the capture (a SYN-ACK opens one), as the detector's reader sees it. */
export function sshOutcomes(file: string, throttleS = DEFAULT_RULES.bruteForce.throttleS): SessionOutcome[] {
  const table = new FlowTable(1 << 16);
  const sessions = new LoginSessions(1 << 16, throttleS);
  const open = new Map<number, SessionOutcome & { last: number }>();
  const done: Array<SessionOutcome & { last: number }> = [];
  readCaptureSync(file, (b) => {
    for (let i = 0; i < b.length; i++) {
      if (!(b.flags[i] & PacketFlags.TCP)) continue;
      const tf = b.tcpFlags[i];
      const src = b.hostKey(i, 'src'), dst = b.hostKey(i, 'dst');
      if ((tf & (SYN | ACK)) === (SYN | ACK)) {
        let s = table.find(src, dst, b.srcPort[i], b.dstPort[i]);
        if (s < 0) s = table.insert(src, dst, b.srcPort[i], b.dstPort[i]);
        sessions.open(s);
        open.set(s, { client: b.formatAddress(i, 'dst'), clientPort: b.dstPort[i], serverPort: b.srcPort[i], events: [], closed: false, segments: [], last: b.ts[i] });
        continue;
      }
      const s = table.find(src, dst, b.srcPort[i], b.dstPort[i]);
      const o = s < 0 ? undefined : open.get(s);
      if (!o) continue;
      if (b.payloadLen[i] > 0) {
        const ev = sessions.following(s) ? sessions.segment(s, b, i) : LoginEvent.NONE;
        o.segments.push({ len: b.payloadLen[i], gap: b.ts[i] - o.last, event: NAMES[ev]! });
        o.last = b.ts[i];
        if (ev !== LoginEvent.NONE) o.events.push(NAMES[ev]!);
      }
      if (tf & (RST | FIN)) {
        const end = sessions.close(s, b.ts[i]);
        if (end !== LoginEvent.NONE) o.events.push(NAMES[end]!);
        o.closed = true;
        open.delete(s);
        done.push(o);
      }
    }
  });
  return [...done, ...open.values()].map(({ last: _, ...o }) => o);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2]!;
  const sizes = process.argv.includes('--sizes');
  const totals: Record<string, number> = { sessions: 0, success: 0, failure: 0, undecided: 0, unclosed: 0 };
  for (const o of sshOutcomes(file)) {
    totals.sessions!++;
    if (!o.closed) totals.unclosed!++;
    for (const e of o.events) totals[e] = (totals[e] ?? 0) + 1;
    console.log(`${o.client}:${o.clientPort} -> :${o.serverPort}${o.closed ? '' : ' (not closed)'} ${o.events.join(' ')}`);
    if (sizes) console.log(`   ${o.segments.map((g) => `${g.len}${g.event === 'none' ? '' : '=' + g.event}@+${g.gap.toFixed(2)}`).join(' ')}`);
  }
  console.log(JSON.stringify({ file: file.split('/').pop(), ...totals }));
}
