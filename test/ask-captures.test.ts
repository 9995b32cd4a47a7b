// Questions over a known event set built from the shared captures: a node replays an nmap
// scan and two hydra SSH brute-force captures, its detectors raise alerts, the store keeps
// them, and questions in both languages get answers whose numbers are those of the alerts
// the node raised (read back from /api/alerts) and whose sources are the labelled attackers.
// The detector shards meter the flows too: the flow summaries stored hold every IP packet of
// the captures, service by service, as a plain count over the decoded captures says.

import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseLabels } from '../src/eval/labels.ts';
import { PacketFlags as F } from '../src/net/packet-batch.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { startNode, type RunningNode } from '../src/node/node.ts';
import { flowService } from '../src/store/event-row.ts';
import { testConfig } from '../devkit/node-config.ts';
import { waitFor } from '../devkit/wait.ts';
import { findNode } from '../devkit/tree.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));
const FILES = ['D06_scan_nmap_80_all.pcap', 'D15_brute_hydra-1_tasks.pcap', 'D18_brute_kali-password-attack_hydra.pcap'];
const labels = parseLabels(readFileSync(`${PCAP}labels.tsv`, 'utf8'));
const attackers = (file: string) => labels.files.get(file)?.attackers ?? [];

let node: RunningNode;
type Alert = { type: string; source: string };
let alerts: Alert[] = [];

before(async () => {
  // Flows end 1 s (by the capture clock, then by the quiet link's wall clock) after their last packet.
  node = await startNode(
    testConfig({ capture: { interfaces: [], replay: { files: FILES.map((f) => PCAP + f), pps: 20_000, loop: false } }, store: { flows: { idleTimeoutS: 1 } } }),
    { onRootGaveUp: () => {} },
  );
  // The packet counts are in labels.tsv's packets column.
  const [head, ...lines] = readFileSync(`${PCAP}labels.tsv`, 'utf8').trim().split('\n').map((l) => l.split('\t'));
  const total = lines.filter((l) => FILES.includes(l[0]!)).reduce((n, l) => n + Number(l[head!.indexOf('packets')]), 0);
  assert.equal(total, 431 + 2486 + 189);
  type T = { id: string; stats?: Record<string, number>; children?: T[] };
  const replay = (t: T): T | undefined => findNode(t, (n) => n.id === 'replay');
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

/** Packets per service ('tcp/22') over the captures, counted here from the decoded packets: what the stored flows must add up to. */
function packetsPerService(): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of FILES) {
    readCaptureSync(PCAP + f, (b) => {
      for (let i = 0; i < b.length; i++) {
        const flags = b.flags[i]!;
        if ((flags & (F.IPV4 | F.IPV6)) === 0 || (flags & (F.MALFORMED | F.UNSUPPORTED)) !== 0) continue;
        const p = b.protocol[i]!;
        const icmp = p === 1 || p === 58;
        const dport = icmp ? b.icmpType[i]! * 256 + b.icmpCode[i]! : (flags & (F.TCP | F.UDP)) !== 0 ? b.dstPort[i]! : 0;
        const service = flowService({ protocol: p, dport });
        out.set(service, (out.get(service) ?? 0) + 1);
      }
    });
  }
  return out;
}

test('flows: every IP packet of the captures is in exactly one stored flow summary; questions about flows count them', async () => {
  const want = packetsPerService();
  assert.ok((want.get('tcp/22') ?? 0) > 1000, 'the hydra captures are mostly SSH');
  const stored = async () => {
    const got = new Map<string, number>();
    const services = (await node.events!.store.query({ kind: 'flow', from: 0, to: Date.now() + 1, filters: {}, measure: 'count', groupBy: 'type', limit: 1000 })).result.rows;
    for (const [service, flows] of services) {
      assert.ok(Number(flows) <= 1000, `${service}: ${flows} flows, more than one list reads`);
      const rows = (await node.events!.store.query({ kind: 'flow', from: 0, to: Date.now() + 1, filters: { type: [String(service)] }, measure: 'list', limit: 1000 })).result;
      const detail = rows.columns.indexOf('detail');
      got.set(String(service), rows.rows.reduce((n, r) => n + (JSON.parse(String(r[detail])) as { packets: number }).packets, 0));
    }
    return got;
  };
  // The idle flows end within about a second of the last packet, plus the store's flush.
  let got = new Map<string, number>();
  await waitFor(async () => {
    got = await stored();
    return [...want].every(([k, n]) => got.get(k) === n);
  }, 'every flow ended and stored', 30_000);
  assert.deepEqual(got, want);
  // The tree shows what the shards metered: as many ended flows as are stored, none open.
  type T = { id: string; stats?: Record<string, number>; children?: T[] };
  const detectors: T[] = [];
  const walk = (t: T) => (t.id.startsWith('detector-') ? detectors.push(t) : t.children?.forEach(walk));
  walk(((await (await fetch(`${node.url}/api/tree`)).json()) as { tree: T }).tree);
  const sum = (k: string) => detectors.reduce((n, d) => n + (d.stats?.[k] ?? 0), 0);
  const flows = (await node.events!.store.query({ kind: 'flow', from: 0, to: Date.now() + 1, filters: {}, measure: 'count' })).result.rows[0]![0];
  assert.ok(detectors.length > 0);
  assert.deepEqual([sum('flowsEnded'), sum('flowsOpen')], [flows, 0]);

  for (const q of ['how many flows to port 22 today?', '¿cuántas conexiones al puerto 22 hoy?']) {
    const a = await ask(q);
    assert.equal(a.mapped, true, a.text);
    const expected = (await node.events!.store.query({ kind: 'flow', from: 0, to: Date.now() + 1, filters: { type: ['tcp/22', 'udp/22'] }, measure: 'count' })).result.rows[0]![0] as number;
    // hydra opens a TCP connection per few attempts: far fewer flows than packets, more than one
    assert.ok(expected > 10 && expected < want.get('tcp/22')!, `${expected} SSH flows`);
    assert.deepEqual(a.rows, [[expected]], q);
    assert.match(a.text, new RegExp(`\\b${expected}\\b`));
  }
  const top = await ask('top services of flows today');
  assert.equal(top.query.measure, 'top');
  assert.equal(top.rows[0]![0], 'tcp/22', 'SSH has the most flows');
});

test('events like an alert: the nearest stored alerts by flow features, each with its row; an unknown id is refused', async () => {
  const list = (await node.events!.store.query({ kind: 'alert', from: 0, to: Date.now() + 1, filters: { type: ['ssh-brute-force'] }, measure: 'list', limit: 1 })).result;
  const id = list.rows[0]![list.columns.indexOf('id')] as number;
  const tool = (body: unknown) => fetch(`${node.url}/api/tools/events_like`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const r = await tool({ alertId: id, k: 3 });
  assert.equal(r.status, 200);
  const { similar } = (await r.json()) as { similar: Array<{ id: number; distance: number; alert: { id: number; type: string } | null }> };
  assert.equal(similar.length, Math.min(3, alerts.length - 1));
  for (let i = 0; i < similar.length; i++) {
    assert.notEqual(similar[i]!.id, id, 'the alert itself is left out');
    assert.equal(similar[i]!.alert?.id, similar[i]!.id, 'each neighbour comes with its stored row');
    if (i > 0) assert.ok(similar[i]!.distance >= similar[i - 1]!.distance, 'nearest first');
  }
  const bad = await tool({ alertId: 12345, k: 3 });
  assert.equal(bad.status, 404, 'an alert this node does not have');
  assert.match(((await bad.json()) as { error: string }).error, /alert 12345 is not stored/);
});
