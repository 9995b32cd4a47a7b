// The per-source ping flood (echo-flood.ts): its configuration and the rule on hand-built echo
// requests, as the source's shard sees them. The crafted capture (ping -f from one address,
// and pingers that are no flood) is in detect-rules-captures.test.ts.

import { strict as assert } from 'node:assert';
import { describe, test } from 'node:test';
import type { Alert } from '../src/detect/alert.ts';
import { batchOf, type Pkt } from '../devkit/packets.ts';
import { DEFAULT_RULES, RulesConfigError, resolveRulesConfig, type RulesOverrides } from '../src/detect/rules/rules-config.ts';
import { SourceRules } from '../src/detect/rules/source-rules.ts';

describe('echoFlood configuration', () => {
  const bad: Array<[string, RulesOverrides]> = [
    ['echoFlood.threshold', { echoFlood: { threshold: 0 } }],
    ['echoFlood.leakPerS', { echoFlood: { leakPerS: -1 } }],
    ['echoFlood.enabled', { echoFlood: { enabled: 'no' as unknown as boolean } }],
  ];
  for (const [field, overrides] of bad) {
    test(`refuses ${JSON.stringify(overrides)} naming ${field}`, () => {
      assert.throws(() => resolveRulesConfig(overrides), (err: unknown) => err instanceof RulesConfigError && err.field === field && err.message.includes(field));
    });
  }
});

const SRC = '198.51.100.81';
const HOST = '10.0.0.80';
const D = DEFAULT_RULES.echoFlood;

/** `n` echo requests (ICMPv6 ones when `six`) from `src` to `dst`, `every` s apart from t = 1. */
function pings(n: number, every: number, opts: { src?: string; dst?: string; six?: boolean; type?: number } = {}): Pkt[] {
  const src = opts.src ?? (opts.six ? '2001:db8::81' : SRC), dst = opts.dst ?? (opts.six ? '2001:db8::80' : HOST);
  return Array.from({ length: n }, (_, k): Pkt => ({ ts: 1 + k * every, src, dst, proto: 'icmp', icmpType: opts.type ?? (opts.six ? 128 : 8), payload: 56 }));
}

function run(pkts: Pkt[], config = DEFAULT_RULES): Alert[] {
  const out: Alert[] = [];
  new SourceRules(config).scan(batchOf(pkts.sort((a, b) => a.ts - b.ts)), out);
  return out;
}
const floods = (out: Alert[]) => out.filter((a) => a.type === 'icmp-flood' && a.blockable);

describe('icmp-flood by source (echo-flood.ts)', () => {
  test(`${D.threshold} echo requests within a leak interval fire at the last, naming the source and the host, blockable, forgeable evidence; one fewer does not`, () => {
    assert.deepEqual(floods(run(pings(D.threshold - 1, 1e-7))), []);
    const f = floods(run(pings(D.threshold, 1e-7)));
    assert.equal(f.length, 1);
    assert.equal(f[0]!.source, SRC);
    assert.equal(f[0]!.target, HOST);
    assert.equal(f[0]!.grade, 'forgeable');
    assert.equal(f[0]!.evidence.requests, D.threshold);
  });

  test('ICMPv6 echo requests too', () => {
    assert.equal(floods(run(pings(3 * D.threshold, 1 / 20000, { six: true }))).length, 1);
  });

  test('a pinger under the leak never fires, however long (ping -f at 800 a second for 30 s)', () => {
    assert.deepEqual(floods(run(pings(24000, 1 / 800))), []);
  });

  test('echo replies, and requests spread over hosts each under the threshold, are no flood of the source', () => {
    assert.deepEqual(floods(run(pings(5000, 1 / 20000, { type: 0 }))), []);
    const spread = [0, 1, 2, 3].flatMap((h) => pings(D.threshold - 100, 1 / 20000, { dst: `10.0.0.${90 + h}` }));
    assert.deepEqual(floods(run(spread)), []);
  });

  test('after an alert the pair is quiet for the cooldown; disabled, nothing', () => {
    assert.equal(floods(run(pings(20000, 1 / 20000))).length, 1);
    assert.deepEqual(floods(run(pings(20000, 1 / 20000), resolveRulesConfig({ echoFlood: { enabled: false } }))), []);
  });
});
