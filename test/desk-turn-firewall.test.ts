// One alert message that makes several bans, through the real actors: the responder's desk
// on a durable registry (SQLite in a temp dir) and the firewall actor on the dry-run backend,
// whose log holds every operation: the bans of the turn reach the firewall in one call.

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { firewallSpec } from '../src/actors/firewall.ts';
import { responderSpec, type AlertsMessage } from '../src/actors/responder.ts';
import type { Alert } from '../src/detect/alert.ts';
import { DryRunBackend } from '../src/firewall/dry-run.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanDesk } from '../src/respond/ban-desk.ts';
import { BANS_FILE, DurableBanRegistry } from '../src/respond/durable-ban-registry.ts';
import { ResponderPolicy } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../src/respond/responder-config.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { wallClock } from '../src/util/clock.ts';
import { testTempDir } from '../devkit/temp-dir.ts';
import { waitFor } from '../devkit/wait.ts';

function alert(source: string): Alert {
  return { type: 'port-scan-vertical', detector: 'rules', source, target: '192.0.2.1', score: 0.9, ts: Date.now() / 1000, blockable: true, evidence: { ports: 30 } } as unknown as Alert;
}

test('the bans of one alert message reach the firewall in one call, and every one is enforced', async () => {
  const registry = DurableBanRegistry.open(join(testTempDir('autoimmune-desk-turn-'), BANS_FILE));
  const policy = new ResponderPolicy({ ...DEFAULT_RESPONDER }, new AllowList(), wallClock, { offences: registry.offences });
  const desk = new BanDesk(registry, policy);
  await desk.start();
  const backend = new DryRunBackend();
  const system = new ActorSystem({ nodeId: 'desk', onRootGaveUp: () => {}, root: { strategy: 'one_for_one', children: [firewallSpec({ backend, registry }), responderSpec(desk)] } });
  try {
    await system.start();
    await waitFor(() => backend.log.some((op) => op.op === 'reconcile'), 'the firewall has reconciled');
    const sources = Array.from({ length: 8 }, (_, i) => `203.0.113.${70 + i}`);
    const msg: AlertsMessage = { alerts: sources.map(alert) };
    assert.ok(system.send('/responder', msg), 'delivered to the responder');
    await waitFor(async () => (await backend.list()).length === sources.length, 'every ban enforced');
    const applies = backend.log.filter((op) => op.op === 'apply');
    assert.equal(applies.length, 1, `one firewall call for the turn, got ${applies.length}`);
    assert.deepEqual(applies[0]!.add.map((e) => e.address), sources, 'in the order decided');
  } finally {
    await system.stop();
    desk.close();
    await registry.close();
  }
});
