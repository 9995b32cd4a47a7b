// Transport throughput: events per second from one node to another in a separate process
// (the receiver is a child), in batches of 256 packet events, everything answered. The
// producer holds back on `outstanding()` as the router will. Reported with CURVE on (the
// goal, ≥ 500,000 events/s), with CURVE off, with CURVE and the AES-GCM envelope, with
// columnar batches, and against the same frames encoded and decoded in one process with no
// sockets (the reference for a ratio).
import { once } from 'node:events';
import { createKey, encodeKey } from '../../src/remote/envelope/envelope-key.ts';
import { KeyRing } from '../../src/remote/envelope/key-ring.ts';
import { generateNodeKeys, startZmqTransport } from '../../src/remote/transport/zmq-transport.ts';
import { WireCodec } from '../../src/remote/transport/wire.ts';
import { PACKET_ROW_BYTES } from '../../src/net/packet-batch.ts';
import type { PeerInfo, TransportStats } from '../../src/remote/transport/types.ts';
import type { Result } from '../report.ts';
import { ask, forkTransportNode } from '../../devkit/transport-child.ts';

const BATCH = 256;
/** Messages the producer keeps outstanding: half the default high-water mark. */
const WINDOW = 512;

type Shape = 'records' | 'columnar';

/** A batch as the layer above would send it: 256 packet records, or one columnar PacketBatch buffer. */
function makeBatch(shape: Shape, k: number): unknown {
  if (shape === 'columnar') {
    const buffer = new Uint8Array(BATCH * PACKET_ROW_BYTES);
    for (let i = 0; i < buffer.length; i++) buffer[i] = (i * 31 + k) & 0xff;
    return { length: BATCH, buffer };
  }
  return Array.from({ length: BATCH }, (_, i) => ({
    ts: 1_717_000_000 + k + i * 1e-4,
    src: `10.${k & 255}.${(i >> 4) & 255}.${i & 255}`,
    dst: `192.168.1.${(i * 7) & 255}`,
    sport: 1024 + ((k * 977 + i * 131) % 64000),
    dport: [80, 443, 53, 22][i & 3],
    proto: i % 5 === 0 ? 17 : 6,
    len: 60 + ((i * 37) % 1400),
    flags: 0x18,
  }));
}

async function twoProcesses(shape: Shape, curve: boolean, seconds: number, envelope = false): Promise<Result> {
  const child = forkTransportNode();
  try {
    const kb = generateNodeKeys();
    const ka = generateNodeKeys();
    const envelopeKey = envelope ? createKey(0, 0) : null;
    const { address } = await ask<{ address: string }>(child, { type: 'start', nodeId: 'B', keys: kb, curve, envelopeKey: envelopeKey && encodeKey(envelopeKey) }, 'started');
    const batches = Array.from({ length: 16 }, (_, k) => makeBatch(shape, k));
    let refill = (): void => undefined;
    const a = await startZmqTransport({
      nodeId: 'A',
      bind: 'tcp://127.0.0.1:0',
      keys: ka,
      curve,
      sealer: envelopeKey ? new KeyRing([envelopeKey]) : null,
      handlers: {
        deliver: (_f, _t, _m, _p, settle) => settle('handled'),
        onRefused: () => undefined,
        onOrphaned: () => undefined,
        onSettled: () => refill(),
      },
    });
    const peers: PeerInfo[] = [
      { id: 'A', address: a.address, publicKey: ka.publicKey },
      { id: 'B', address, publicKey: kb.publicKey },
    ];
    await ask(child, { type: 'peers', peers }, 'ok');
    a.setPeers(peers);
    const to = { path: '/user/enricher-1', epoch: 1 };
    let k = 0;
    let stopAt = 0;
    let refillQueued = false;
    const fill = (): void => {
      refillQueued = false;
      while (a.outstanding('B') < WINDOW && performance.now() < stopAt) {
        if (a.send('B', to, batches[k++ & 15], 1, BATCH) !== 'queued') throw new Error('benchmark sender was shed: lower WINDOW');
      }
    };
    refill = () => {
      // Top up as soon as a frame's worth (64 batches) of room is free, as a steady source would.
      if (!refillQueued && a.outstanding('B') <= WINDOW - 64) {
        refillQueued = true;
        queueMicrotask(fill);
      }
    };
    const drain = async (): Promise<void> => {
      while (a.outstanding('B') > 0) await new Promise((r) => setTimeout(r, 1));
    };
    // Warm-up: connections, JIT, msgpackr's record paths.
    stopAt = performance.now() + 500;
    fill();
    await new Promise((r) => setTimeout(r, 500));
    await drain();
    const before = a.stats();
    const remoteBefore = await ask<{ cpu: NodeJS.CpuUsage }>(child, { type: 'stats' }, 'stats');
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    stopAt = t0 + seconds * 1000;
    fill();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await drain();
    const elapsed = (performance.now() - t0) / 1000;
    const after = a.stats();
    const cpu = process.cpuUsage(cpuBefore);
    const remote = await ask<{ stats: TransportStats; cpu: NodeJS.CpuUsage }>(child, { type: 'stats' }, 'stats');
    const remoteCpu = remote.cpu.user + remote.cpu.system - remoteBefore.cpu.user - remoteBefore.cpu.system;
    const events = after.sentEvents - before.sentEvents;
    await a.close();
    await ask(child, { type: 'stop' }, 'stopped');
    return {
      name: `transport_${shape === 'columnar' ? 'columnar_' : ''}events_per_s${curve ? '' : '_plain'}${envelope ? '_envelope' : ''}`,
      value: Math.round(events / elapsed),
      unit: 'events/s',
      curve,
      envelope,
      shape,
      batch: BATCH,
      window: WINDOW,
      events,
      seconds: Math.round(elapsed * 100) / 100,
      retransmits: after.retransmits - before.retransmits,
      receiver_duplicates: remote.stats.duplicates,
      sender_cpu_share: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100) / 100,
      receiver_cpu_share: Math.round((remoteCpu / 1e6 / elapsed) * 100) / 100,
      note: 'sender and receiver in two processes over tcp://127.0.0.1, every message answered',
    };
  } finally {
    // It exits by itself after 'stop'; a receiver that hangs is ended after a grace period.
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      const guard = setTimeout(() => child.kill('SIGKILL'), child.connected ? 5000 : 0);
      await exited;
      clearTimeout(guard);
    }
  }
}

/** The same frames (64 batches each) encoded and decoded in one process: what the wire format alone allows. */
function loopback(shape: Shape, seconds: number): Result {
  const enc = new WireCodec();
  const dec = new WireCodec();
  const batches = Array.from({ length: 16 }, (_, k) => makeBatch(shape, k));
  const to = { path: '/user/enricher-1', epoch: 1 };
  let events = 0;
  let bytes = 0;
  const run = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const messages = Array.from({ length: 64 }, (_, i) => ({ seq: i + 1, to, priority: 1, events: BATCH, body: enc.encodeMessage(batches[i & 15], to) }));
      const frame = enc.encodeData(1, 1, messages);
      bytes += frame.length;
      events += dec.decodeData(frame).messages.length * BATCH;
    }
  };
  run(300);
  events = bytes = 0;
  const t0 = performance.now();
  run(seconds * 1000);
  const elapsed = (performance.now() - t0) / 1000;
  return {
    name: `transport_${shape === 'columnar' ? 'columnar_' : ''}codec_loopback_events_per_s`,
    value: Math.round(events / elapsed),
    unit: 'events/s',
    shape,
    bytes_per_event: Math.round((bytes / events) * 10) / 10,
    note: 'msgpackr encode + decode of 64-batch data frames in one process, no sockets',
  };
}

export async function runTransportBench(seconds = 3): Promise<Result[]> {
  const out: Result[] = [];
  const ref = loopback('records', seconds);
  const curve = await twoProcesses('records', true, seconds);
  const plain = await twoProcesses('records', false, seconds);
  out.push(curve, plain, ref);
  out.push({ name: 'transport_to_codec_ratio', value: Math.round((curve.value / ref.value) * 1000) / 1000, unit: 'ratio', note: 'CURVE two-process events/s over codec loopback events/s, same run' });
  out.push({ name: 'transport_curve_to_plain_ratio', value: Math.round((curve.value / plain.value) * 1000) / 1000, unit: 'ratio' });
  out.push(await twoProcesses('records', true, seconds, true));
  const colRef = loopback('columnar', seconds);
  const col = await twoProcesses('columnar', true, seconds);
  out.push(col, colRef);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { report } = await import('../report.ts');
  for (const r of await runTransportBench()) report(r);
}
