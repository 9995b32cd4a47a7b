// The desk's turn alone: BanDesk.handleAlerts on a DurableBanRegistry (SQLite in a temp dir,
// as a node without etcd) with the node's default policy, for messages of 1 alert and of 8
// (each a new source, so each a ban), timed from the call until its promise settles (a
// registry on disk resolves at once, so the event loop is held that long). Reports the p50
// and p99 per turn and per ban.
//
//   node --import tsx bench/respond/desk-turn.ts [--turns N]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Alert } from '../../src/detect/alert.ts';
import { AllowList } from '../../src/respond/allow-list.ts';
import { BanDesk } from '../../src/respond/ban-desk.ts';
import { BANS_FILE, DurableBanRegistry } from '../../src/respond/durable-ban-registry.ts';
import { ResponderPolicy } from '../../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../../src/respond/responder-config.ts';
import { wallClock } from '../../src/util/clock.ts';
import { percentile, report } from '../report.ts';

const r3 = (x: number): number => Math.round(x * 1000) / 1000;

function alertFrom(n: number): Alert {
  const source = `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  return { type: 'port-scan-vertical', detector: 'rules', source, target: '192.0.2.1', score: 0.9, ts: Date.now() / 1000, blockable: true, evidence: { ports: 30, rate: 120.5 } } as unknown as Alert;
}

export async function deskTurn(turns = 500): Promise<void> {
  const dir = mkdtempSync(join(process.env.AUTOIMMUNE_BENCH_DIR ?? tmpdir(), 'autoimmune-desk-turn-'));
  try {
    const registry = DurableBanRegistry.open(join(dir, BANS_FILE));
    // No rate limit here: every alert is a ban, which is what is timed.
    const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER, rateLimit: { bans: 1_000_000, perS: 1 } }, new AllowList(), wallClock, { offences: registry.offences });
    const desk = new BanDesk(registry, policy);
    await desk.start();
    let n = 1;
    for (const size of [1, 8]) {
      const times: number[] = [];
      for (let t = 0; t < turns + 50; t++) {
        const alerts = Array.from({ length: size }, () => alertFrom(n++));
        const t0 = performance.now();
        const made = await desk.handleAlerts(alerts);
        const ms = performance.now() - t0;
        if (made.length !== size) throw new Error(`desk-turn: ${made.length} bans of ${size} alerts`);
        if (t >= 50) times.push(ms); // the first 50: warm-up
      }
      const p50 = percentile(times, 50);
      report({ name: `desk_turn_${size}_ban${size > 1 ? 's' : ''}_p50_ms`, value: r3(p50), unit: 'ms', p99_ms: r3(percentile(times, 99)), per_ban_p50_ms: r3(p50 / size), turns });
    }
    desk.close();
    await registry.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--turns');
  await deskTurn(i > 0 ? Number(process.argv[i + 1]) : 500);
}
