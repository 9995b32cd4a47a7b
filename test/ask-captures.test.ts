// Questions over a known event set built from the shared captures: a node replays an nmap
// scan and two hydra SSH brute-force captures, its detectors raise alerts, the store keeps
// them, and questions in both languages get answers whose numbers are those of the alerts
// the node raised (read back from /api/alerts) and whose sources are the labelled attackers.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseLabels } from '../src/eval/labels.ts';
import { startNode, type RunningNode } from '../src/node.ts';
import { testConfig } from './helpers/node-config.ts';
import { waitFor } from './helpers/wait.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
const FILES = ['D06_scan_nmap_80_all.pcap', 'D15_brute_hydra-1_tasks.pcap', 'D18_brute_kali-password-attack_hydra.pcap'];
const labels = parseLabels(readFileSync(`${PCAP}labels.tsv`, 'utf8'));
const attackers = (file: string) => labels.files.get(file)?.attackers ?? [];

let node: RunningNode;
type Alert = { type: string; source: string };
let alerts: Alert[] = [];

before(async () => {
  node = await startNode(testConfig({ capture: { interfaces: [], replay: { files: FILES.map((f) => PCAP + f), pps: 20_000, loop: false } } }), { onRootGaveUp: () => {} });
  // The packet counts are in labels.tsv's packets column.
  const [head, ...lines] = readFileSync(`${PCAP}labels.tsv`, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const total = lines.filter((l) => FILES.includes(l[0]!)).reduce((n, l) => n + Number(l[head!.indexOf('packets')]), 0);
  assert.equal(total, 431 + 2486 + 189);
  type T = { id: string; stats?: Record<string, number>; children?: T[] };
  const replay = (t: T): T | undefined => (t.id === 'replay' ? t : t.children?.map(replay).find(Boolean));
  await waitFor(async () => (replay(((await (await fetch(`${node.url}/api/tree`)).json()) as { tree: T }).tree)?.stats?.packets ?? 0) >= total, 'the captures replayed', 60_000);
  // Every alert the node raised is stored (the feeder sends within 50 ms).
  await waitFor(async () => {
    alerts = ((await (await fetch(`${node.url}/api/alerts?limit=10000`)).json()) as Alert[]);
    const stored = await node.events!.store.query({ kind: 'alert', from: 0, to: Date.now() + 1, filters: {}, measure: 'count' });
    return alerts.length > 0 && stored.result.rows[0]![0] === alerts.length;
  }, 'the alerts stored', 30_000);
});
after(async () => {
  await node?.stop();
});

const ask = async (question: string) =>
  (await (await fetch(`${node.url}/api/ask`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ question }) })).json()) as { mapped: boolean; text: string; query: { filters: Record<string, unknown>; measure: string }; rows: Array<Array<string | number | null>> };

test('how many SSH brute-force alerts today: the count of the alerts the node raised, in both languages', async () => {
  const expected = alerts.filter((a) => a.type === 'ssh-brute-force').length;
  assert.ok(expected > 0, 'the hydra captures raise SSH brute-force alerts');
  for (const q of ['how many SSH brute force alerts today?', '¿cuántas alertas de fuerza bruta SSH hoy?']) {
    const a = await ask(q);
    assert.equal(a.mapped, true, a.text);
    assert.deepEqual(a.query.filters.type, ['ssh-brute-force']);
    assert.deepEqual(a.rows, [[expected]], q);
    assert.match(a.text, new RegExp(`\\b${expected}\\b`));
  }
});

test('what threats today: per type, as raised; the top sources are the labelled attackers', async () => {
  const byType = new Map<string, number>();
  for (const a of alerts) byType.set(a.type, (byType.get(a.type) ?? 0) + 1);
  const a = await ask('¿Qué amenazas hemos visto hoy?');
  assert.deepEqual(new Map(a.rows.map((r) => [r[0] as string, r[1] as number])), byType);
  const top = await ask('top 5 sources today');
  const sources = top.rows.map((r) => r[0]);
  const labelled = new Set(FILES.flatMap(attackers));
  for (const s of sources) assert.ok(labelled.has(String(s)), `${s} is a labelled attacker`);
  for (const s of attackers('D15_brute_hydra-1_tasks.pcap')) assert.ok(sources.includes(s), `the hydra attacker ${s} is among the top sources`);
});

test('a source asked by address; a country with no events says so with zero, not a guess', async () => {
  const [scanner] = attackers('D06_scan_nmap_80_all.pcap');
  const expected = alerts.filter((a) => a.source === scanner).length;
  const a = await ask(`how many alerts from ${scanner} today?`);
  assert.deepEqual(a.rows, [[expected]]);
  const cn = await ask('¿cuántos eventos desde China hoy?');
  assert.equal(cn.mapped, true);
  assert.deepEqual(cn.rows, [[0]], 'the captures come from private addresses: no country');
});
