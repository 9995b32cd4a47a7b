// The function tools: their schemas are valid JSON Schema, inputs are checked with the bad
// field named, queries run on a real store, and block/unblock go through a dry run and a
// single-use confirmation, through the responder's policy (allow-lists hold).

import { strict as assert } from 'node:assert';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import { after, test } from 'node:test';
import AjvModule from 'ajv';
import { Confirmations, runTool, toolList, type ToolContext } from '../src/ask/tools.ts';
import { MemoryBanRegistry } from '../src/respond/memory-ban-registry.ts';
import { AutoimmuneError } from '../src/errors.ts';
import { AllowList } from '../src/respond/allow-list.ts';
import { BanDesk } from '../src/respond/ban-desk.ts';
import { ResponderPolicy } from '../src/respond/policy.ts';
import { DEFAULT_RESPONDER } from '../src/respond/responder-config.ts';
import type { EventRow } from '../src/store/event-row.ts';
import { EventStore } from '../src/store/event-store.ts';
import { ScatterGather } from '../src/store/scatter-gather.ts';
import { wallClock } from '../src/util/clock.ts';
import { BlockGate } from '../src/http/rate-limits.ts';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

function row(id: number, minutesAgo: number, type: string, source: string, country: string | null, score = 0.9): EventRow {
  return { id, kind: 'alert', at: NOW - minutesAgo * 60_000, type, source, target: '10.0.0.1', country, asn: null, score, node: 'n1', detector: 'rules', detail: '{}' };
}

// Registries hold expiry timers: closed at the end, or the test process would wait for them.
const opened: Array<{ close(): Promise<void> | void }> = [];
after(async () => {
  for (const o of opened) await o.close();
});

async function setup() {
  const store = new EventStore({ node: 'n1', backend: null, now: () => NOW, memoryMs: 48 * 3_600_000 });
  store.addRows([
    row(1, 10, 'ssh-brute-force', '203.0.113.5', 'CN'),
    row(2, 20, 'ssh-brute-force', '203.0.113.5', 'CN'),
    row(3, 30, 'port-scan-vertical', '198.51.100.7', 'RU', 0.6),
    row(4, 90, 'ssh-brute-force', '203.0.113.9', 'CN'),
    row(5, 60 * 30, 'syn-flood', '192.0.2.44', 'US'),
  ]);
  const flow = (sport: number, dport: number, source: string): FlowRecord => ({
    source, target: '10.0.0.1', protocol: 6, sport, dport, firstTs: 1, lastTs: 2, packets: 3, bytes: 180, tcpFlags: 0x02, anomalous: 0, scored: 0, country: 'CN', asn: 4134, end: 'idle',
  });
  store.addFlows([flow(40000, 22, '203.0.113.5'), flow(40001, 22, '203.0.113.6'), flow(40002, 443, '203.0.113.5')], NOW - 60_000);
  const registry = new MemoryBanRegistry(wallClock);
  const desk = new BanDesk(registry, new ResponderPolicy(DEFAULT_RESPONDER, new AllowList({ configured: ['192.0.2.0/24'] }), wallClock));
  await desk.start();
  opened.push(desk, registry);
  const gather = new ScatterGather({ node: 'n1', store, send: () => false, members: () => ['n1'] });
  const ctx: ToolContext = { run: (q, where) => gather.run(q, where), similar: async () => ({ hits: [] }), desk, now: () => NOW };
  return { ctx, registry, desk, confirmations: new Confirmations(), blocks: new BlockGate({ perS: 20, burst: 100 }) };
}

test('every tool has a description and an input schema that is valid JSON Schema', () => {
  const Ajv = AjvModule.default;
  const ajv = new Ajv({ strict: false, validateFormats: false });
  const list = toolList();
  assert.deepEqual(list.map((t) => t.name).sort(), ['block_addresses', 'count_events', 'events_like', 'list_events', 'top_sources', 'trend_events', 'unblock_addresses']);
  for (const t of list) {
    assert.ok(t.description.length > 20, t.name);
    assert.doesNotThrow(() => ajv.compile(t.inputSchema), t.name);
    assert.equal(t.mutating, t.name.endsWith('_addresses'));
  }
});

test('query tools answer from the store, with the scope they cover', async () => {
  const { ctx, confirmations, blocks } = await setup();
  const count = (await runTool('count_events', { country: ['CN'], type: ['ssh-brute-force'], last: '1h' }, ctx, confirmations, blocks)) as { rows: number[][]; scope: { answered: string[] } };
  assert.deepEqual(count.rows, [[2]]);
  assert.deepEqual(count.scope.answered, ['n1']);
  const byType = (await runTool('count_events', { groupBy: 'type' }, ctx, confirmations, blocks)) as { rows: unknown[][] };
  assert.deepEqual(byType.rows, [['ssh-brute-force', 3], ['port-scan-vertical', 1]], 'the syn flood, 30 h ago, is outside the default 24 h');
  const top = (await runTool('top_sources', { limit: 1, minScore: 0.8 }, ctx, confirmations, blocks)) as { rows: unknown[][] };
  assert.deepEqual(top.rows, [['203.0.113.5', 2]]);
  const flows = (await runTool('count_events', { kind: 'flow', groupBy: 'type' }, ctx, confirmations, blocks)) as { rows: unknown[][] };
  assert.deepEqual(flows.rows, [['tcp/22', 2], ['tcp/443', 1]]);
  const flowSources = (await runTool('top_sources', { kind: 'flow', type: ['tcp/22'] }, ctx, confirmations, blocks)) as { rows: unknown[][] };
  assert.deepEqual(flowSources.rows, [['203.0.113.5', 1], ['203.0.113.6', 1]]);
  const list = (await runTool('list_events', { limit: 2 }, ctx, confirmations, blocks)) as { columns: string[]; rows: unknown[][] };
  assert.deepEqual(list.rows.map((r) => r[list.columns.indexOf('id')]), [1, 2]);
});

test('bad input is refused naming the field and the value', async () => {
  const { ctx, confirmations, blocks } = await setup();
  await assert.rejects(runTool('count_events', { country: ['China'] }, ctx, confirmations, blocks), /\/country\/0.*"China"/);
  await assert.rejects(runTool('count_events', { country: ['China'] }, ctx, confirmations, blocks), (e: unknown) => e instanceof AutoimmuneError && e.code === 'AI_ERR_TOOL_INPUT');
  await assert.rejects(runTool('count_events', { lats: '1h' }, ctx, confirmations, blocks), /lats|additional/i);
  await assert.rejects(runTool('count_events', { last: '1h', from: '2026-11-24T00:00:00Z' }, ctx, confirmations, blocks), /either last or from\/to/);
  await assert.rejects(runTool('top_sources', { limit: 0 }, ctx, confirmations, blocks), /\/limit/);
});

test('block: a dry run first (allow-listed refused), then the confirmation does exactly that, once', async () => {
  const { ctx, registry, confirmations, blocks } = await setup();
  const dry = (await runTool('block_addresses', { addresses: ['203.0.113.5', '192.0.2.44'], ttl: 600 }, ctx, confirmations, blocks)) as { dryRun: boolean; would: Array<{ address: string }>; refused: Array<{ address: string; why: string }>; confirmation: string };
  assert.equal(dry.dryRun, true);
  assert.deepEqual(dry.would.map((w) => w.address), ['203.0.113.5']);
  assert.equal(dry.refused[0]!.address, '192.0.2.44');
  assert.match(dry.refused[0]!.why, /allow/i);
  assert.deepEqual(await registry.list(), [], 'a dry run bans nothing');
  await assert.rejects(runTool('unblock_addresses', { confirm: dry.confirmation }, ctx, confirmations, blocks), /no pending unblock_addresses dry run/);
  await assert.rejects(runTool('block_addresses', { confirm: dry.confirmation, ttl: 5 }, ctx, confirmations, blocks), /only \{confirm\}/);
  const done = (await runTool('block_addresses', { confirm: dry.confirmation }, ctx, confirmations, blocks)) as { done: Array<{ address: string; ttl: number }> };
  assert.deepEqual(done.done.map((d) => [d.address, d.ttl]), [['203.0.113.5', 600]]);
  assert.deepEqual((await registry.list()).map((b) => b.address), ['203.0.113.5']);
  await assert.rejects(runTool('block_addresses', { confirm: dry.confirmation }, ctx, confirmations, blocks), /used once/);
  const undo = (await runTool('unblock_addresses', { addresses: ['203.0.113.5'] }, ctx, confirmations, blocks)) as { confirmation: string };
  await runTool('unblock_addresses', { confirm: undo.confirmation }, ctx, confirmations, blocks);
  assert.deepEqual(await registry.list(), []);
});
