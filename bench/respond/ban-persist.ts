// How long a ban takes to be durable on a single node: DurableBanRegistry.put (SQLite, WAL,
// synchronous=FULL: one fsync of the log per ban) against the floor of any durable write on
// the same disk in the same run (write a small file and fsync it).

import { closeSync, fsyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ban } from '../../src/respond/ban-registry.ts';
import { BANS_FILE, DurableBanRegistry } from '../../src/respond/durable-ban-registry.ts';
import { percentile, report } from '../report.ts';

export async function banPersist(samples = 1000): Promise<void> {
  const dir = mkdtempSync(join(process.env.AUTOIMMUNE_BENCH_DIR ?? tmpdir(), 'autoimmune-persist-'));
  try {
    const reg = DurableBanRegistry.open(join(dir, BANS_FILE));
    const put: number[] = [];
    const now = Date.now();
    for (let i = 0; i < samples; i++) {
      const ban: Ban = { address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, ttl: 600, expiresAt: now + 600_000, reason: 'bench', detector: 'operator', score: 1, at: now, offence: 1 };
      const t0 = performance.now();
      await reg.put(ban);
      put.push(performance.now() - t0);
    }
    await reg.close();
    const floor: number[] = [];
    const fd = openSync(join(dir, 'floor'), 'w');
    const line = Buffer.from('{"address":"10.0.0.1","ttl":600}\n');
    for (let i = 0; i < samples; i++) {
      const t0 = performance.now();
      writeSync(fd, line);
      fsyncSync(fd);
      floor.push(performance.now() - t0);
    }
    closeSync(fd);
    const p99 = percentile(put, 99);
    const f99 = percentile(floor, 99);
    report({ name: 'ban_persist_p50_ms', value: Math.round(percentile(put, 50) * 1000) / 1000, unit: 'ms', samples });
    report({ name: 'ban_persist_p99_ms', value: Math.round(p99 * 1000) / 1000, unit: 'ms', samples, note: 'DurableBanRegistry.put: committed and fsynced before it returns', dir });
    report({ name: 'fsync_write_p99_ms', value: Math.round(f99 * 1000) / 1000, unit: 'ms', samples, note: 'reference, same disk, same run: a small write and fsync' });
    report({ name: 'ban_persist_p99_ratio', value: Math.round((p99 / f99) * 100) / 100, unit: 'ratio', note: 'ban_persist_p99_ms / fsync_write_p99_ms' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
