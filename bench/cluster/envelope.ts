// Envelope benchmark: seal then open of 32 KiB frames (a batch-sized message) through the
// KeyRing, against bare AES-256-GCM on the same data in the same run, so the ratio shows what
// the framing, key lookup and copies cost on top of the cipher itself.
//
//   node --import tsx bench/cluster/envelope.ts     one JSON line per result
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { KeyRing } from '../../src/remote/envelope/key-ring.ts';
import { median, report } from '../report.ts';

const FRAME = 32 * 1024;
const ROUNDS = 2000;

function bare(key: Buffer, plain: Buffer): void {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = c.update(plain);
  c.final();
  const d = createDecipheriv('aes-256-gcm', key, iv);
  d.setAuthTag(c.getAuthTag());
  d.update(ct);
  d.final();
}

export function benchEnvelope(): Array<{ name: string; value: number; unit: string }> {
  const key = randomBytes(32);
  const ring = new KeyRing([
    { id: 'a0a0a0a0', key: randomBytes(32), createdAt: 0, activatesAt: 0 },
    { id: 'b1b1b1b1', key, createdAt: 1, activatesAt: 1 },
  ]);
  const plain = randomBytes(FRAME);
  const ours: number[] = [];
  const ref: number[] = [];
  for (let pass = 0; pass < 5; pass++) {
    let t0 = performance.now();
    for (let i = 0; i < ROUNDS; i++) ring.open(ring.seal(plain));
    ours.push(performance.now() - t0);
    t0 = performance.now();
    for (let i = 0; i < ROUNDS; i++) bare(key, plain);
    ref.push(performance.now() - t0);
  }
  const mbps = (ms: number): number => Math.round((ROUNDS * FRAME) / 1048576 / (ms / 1000));
  return [
    { name: 'envelope_seal_open_mbps', value: mbps(median(ours)), unit: 'MiB/s (32 KiB frames, sealed then opened)' },
    { name: 'bare_gcm_seal_open_mbps', value: mbps(median(ref)), unit: 'MiB/s (same, bare createCipheriv/createDecipheriv)' },
    { name: 'envelope_bare_gcm_ratio', value: Number((median(ours) / median(ref)).toFixed(3)), unit: 'ratio (envelope time / bare GCM time)' },
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of benchEnvelope()) report(r);
}
