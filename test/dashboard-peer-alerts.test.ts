// A peer's alerts reach this node's dashboard in the order the peer saw them and with the
// peer's numbers: GET /api/alerts?after=N answers the newest first (the desk's ring).

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanDesk } from '../src/respond/ban-desk.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { ResponderPolicy } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../src/respond/responder-config.ts';
import { wallClock } from '../src/util/clock.ts';
import type { Alert } from '../src/detect/alert.ts';
import { peerAlertViews } from '../ui/dashboard-views.ts';

const alert = (source: string, ts: number): Alert => ({ type: 'port-scan-vertical', source, target: '10.0.0.1', score: 0.4, ts, firstTs: ts, detector: 'rules', blockable: false, evidence: { ports: 40 } });

test("a peer's new alerts are shown oldest first, each with the peer's own number", async () => {
  const registry = new MemoryBanRegistry(wallClock);
  const desk = new BanDesk(registry, new ResponderPolicy(DEFAULT_RESPONDER, new AllowList({}), wallClock));
  await desk.start();
  try {
    await desk.handleAlerts([alert('203.0.113.1', 1), alert('203.0.113.2', 2), alert('203.0.113.3', 3)]);
    // What the peer's API answers to ?after=1: the two alerts after the first, newest first.
    const total = desk.alertsSeen;
    const got = { total, alerts: desk.alerts(total - 1) };
    const views = peerAlertViews(got, 'n2');
    assert.deepEqual(views.map((v) => [v.id, v.source]), [['n2:2', '203.0.113.2'], ['n2:3', '203.0.113.3']]);
  } finally {
    desk.close();
    await registry.close();
  }
});
