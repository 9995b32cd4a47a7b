// Prints what login-sessions.ts reads of each server session of a capture: the events
// (success, failure, undecided) with their times, and the sizes and gaps of the server's
// segments, for measuring new clients and servers (test/fixtures/captures/record_ssh_clients.sh).
//   node --import tsx devkit/ssh-outcomes.ts FILE.pcap [--sizes]
import { FlowTable } from '../src/detect/flow-table.ts';
import { LoginEvent, LoginSessions } from '../src/detect/rules/login-sessions.ts';
import { DEFAULT_RULES } from '../src/detect/rules/rules-config.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';

const SYN = 0x02, RST = 0x04, FIN = 0x01, ACK = 0x10;
const NAMES = ['none', 'FAILURE', 'SUCCESS', 'UNDECIDED', 'DENIED'];
const file = process.argv[2]!;
const sizes = process.argv.includes('--sizes');
const table = new FlowTable(1 << 16);
const sessions = new LoginSessions(1 << 16, DEFAULT_RULES.bruteForce.throttleS);
const log = new Map<number, { name: string; start: number; last: number; segs: string[]; events: string[] }>();
const totals: Record<string, number> = { sessions: 0, SUCCESS: 0, FAILURE: 0, UNDECIDED: 0, none: 0 };
readCaptureSync(file, (b) => {
  for (let i = 0; i < b.length; i++) {
    if (!(b.flags[i] & PacketFlags.TCP)) continue;
    const tf = b.tcpFlags[i];
    const src = b.hostKey(i, 'src'), dst = b.hostKey(i, 'dst');
    if ((tf & (SYN | ACK)) === (SYN | ACK)) {
      let s = table.find(src, dst, b.srcPort[i], b.dstPort[i]);
      if (s < 0) s = table.insert(src, dst, b.srcPort[i], b.dstPort[i]);
      sessions.open(s);
      log.set(s, { name: `${b.formatAddress(i, 'dst')}:${b.dstPort[i]} -> :${b.srcPort[i]}`, start: b.ts[i], last: b.ts[i], segs: [], events: [] });
      continue;
    }
    const s = table.find(src, dst, b.srcPort[i], b.dstPort[i]);
    if (s < 0 || !log.has(s)) continue;
    const l = log.get(s)!;
    if (b.payloadLen[i] > 0) {
      const followed = sessions.following(s);
      const ev = followed ? sessions.segment(s, b, i) : LoginEvent.NONE;
      l.segs.push(`${b.payloadLen[i]}${ev ? '=' + NAMES[ev] : ''}@+${(b.ts[i] - l.last).toFixed(2)}`);
      l.last = b.ts[i];
      if (ev) l.events.push(`${NAMES[ev]}@${(b.ts[i] - l.start).toFixed(2)}`);
    }
    if (tf & (RST | FIN)) {
      const end = sessions.close(s);
      l.events.push(`close:${NAMES[end]}`);
      if (end) totals[NAMES[end]!]!++;
      for (const e of l.events) { const k = e.split('@')[0]!; if (k in totals && !e.startsWith('close')) totals[k]!++; }
      totals.sessions!++;
      console.log(`${l.name} ${l.events.join(' ')}${sizes ? '\n   ' + l.segs.join(' ') : ''}`);
      log.delete(s);
    }
  }
});
for (const [, l] of log) console.log(`${l.name} (open) ${l.events.join(' ')}${sizes ? '\n   ' + l.segs.join(' ') : ''}`);
console.log(JSON.stringify({ file: file.split('/').pop(), ...totals }));
