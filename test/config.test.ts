import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { availableParallelism } from 'node:os';
import { CLUSTER_DEFAULT_SHARDS, loadConfig, mergeConfig } from '../src/config/load-config.ts';
import { DEFAULT_RULE_TABLES } from '../src/detect/rules/rule-tables.ts';
import { shardRuleLimits } from '../src/node/pipeline.ts';

function file(content: string): string {
  const dir = testTempDir('ai-config-');
  const f = join(dir, 'c.json');
  writeFileSync(f, content);
  return f;
}

test('the default config is valid and "auto" becomes the host name', () => {
  const { config, files } = loadConfig();
  assert.equal(files.length, 1);
  assert.equal(config.http.host, '127.0.0.1');
  assert.equal(config.http.port, 8000);
  assert.notEqual(config.node.id, 'auto');
  assert.match(config.node.id, /^[A-Za-z0-9][A-Za-z0-9_-]*$/);
});

test('pipeline.shards 0 (the default) is one shard per core on a single node, a fixed number in a cluster', () => {
  assert.equal(loadConfig().config.pipeline.shards, availableParallelism());
  assert.equal(loadConfig(undefined, { pipeline: { shards: 3 } } as never).config.pipeline.shards, 3);
  assert.equal(loadConfig(undefined, { cluster: { etcd: ['http://127.0.0.1:2379'] } } as never).config.pipeline.shards, CLUSTER_DEFAULT_SHARDS);
  assert.equal(loadConfig(undefined, { cluster: { etcd: ['http://127.0.0.1:2379'] }, pipeline: { shards: 6 } } as never).config.pipeline.shards, 6);
});

test('a user file is laid over the defaults key by key', () => {
  const { config } = loadConfig(file('{"http":{"port":9001},"supervision":{"mailbox":{"capacity":5}}}'));
  assert.equal(config.http.port, 9001);
  assert.equal(config.http.host, '127.0.0.1');
  assert.deepEqual(config.supervision.mailbox, { capacity: 5, overflow: 'drop-lowest-priority' });
  assert.deepEqual(mergeConfig({ a: [1, 2], b: { c: 1 } }, { a: [3], b: { d: 2 } }), { a: [3], b: { c: 1, d: 2 } });
});

test('a bad value names the field, the value and what is allowed', () => {
  const f = file('{"http":{"port":70000}}');
  assert.throws(() => loadConfig(f), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'AI_ERR_CONFIG');
    assert.match(e.message, new RegExp(`config file ${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(e.message, /field "http\.port" has bad value 70000: expected an integer from 0 to 65535/);
    return true;
  });
  assert.throws(() => loadConfig(file('{"supervision":{"mailbox":{"overflow":"drop-newest"}}}')), /field "supervision\.mailbox\.overflow" has bad value "drop-newest": expected "reject" or "drop-oldest" or "drop-lowest-priority"/);
  assert.throws(() => loadConfig(file('{"cluster":{"leaseTtlMs":500}}')), /field "cluster\.leaseTtlMs" has bad value 500: expected an integer from 2000 to 600000/);
});

test('the rule tables\' bounds come from ruleTables: the defaults are the code\'s, a bad value is refused by name, each shard gets its share', () => {
  const { config } = loadConfig();
  assert.deepEqual(config.ruleTables, DEFAULT_RULE_TABLES, 'config/default.json and rule-tables.ts give the same bounds');
  assert.throws(() => loadConfig(file('{"ruleTables":{"maxVictims":0}}')), /field "ruleTables\.maxVictims" has bad value 0: expected an integer from 1 to 16777216/);
  assert.throws(() => loadConfig(file('{"ruleTables":{"maxSockets":1.5}}')), /field "ruleTables\.maxSockets" has bad value 1\.5: expected an integer from 1 to 16777216/);
  assert.throws(() => loadConfig(file('{"ruleTables":{"maxSource":1}}')), /unknown field "ruleTables\.maxSource" \(allowed here: maxSources, maxScanKeys, maxSockets, maxVictims, maxPrefixes\)/);
  const { config: c } = loadConfig(file('{"ruleTables":{"maxSources":1000,"maxScanKeys":600,"maxSockets":5000}}'));
  assert.deepEqual(shardRuleLimits(c.ruleTables, 2), { maxSources: 500, maxScanKeys: 300, maxSockets: 2500 });
});

test('unknown keys are errors that list what is allowed', () => {
  assert.throws(() => loadConfig(file('{"htp":{"port":1}}')), /unknown field "htp" \(allowed here: node, http, cluster, pipeline, capture, features, geo, rules, ruleTables, responder, firewall, store, model, feeds, lapi, notify, supervision\)/);
  assert.throws(() => loadConfig(file('{"http":{"prot":1}}')), /unknown field "http\.prot" \(allowed here: host, port, token, blockRate, allowedHosts, clientLimits, captureUploadMb\)/);
});

test('unreadable or malformed files say so with the file name', () => {
  assert.throws(() => loadConfig('/nonexistent/autoimmune.json'), /cannot read config file \/nonexistent\/autoimmune\.json: ENOENT/);
  assert.throws(() => loadConfig(file('{"http": ')), /is not valid JSON/);
});

test('rules and responder sections are checked by their own modules, naming the field', () => {
  assert.throws(() => loadConfig(file('{"rules":{"verticalScan":{"threshold":-1}}}')), /field "rules\.verticalScan\.threshold" must be an integer from 2 to 256/);
  assert.throws(() => loadConfig(file('{"rules":{"portscan":{}}}')), /field "rules\.portscan" must be absent \(unknown option\)/);
  assert.throws(() => loadConfig(file('{"responder":{"manualTtl":{"minS":100,"maxS":50,"defaultS":60}}}')), /field "responder\.manualTtl\.maxS" must be a whole number of seconds >= manualTtl\.minS \(100\)/);
  assert.throws(() => loadConfig(file('{"responder":{"banTTL":5}}')), /unknown field "responder\.banTTL"/);
  assert.throws(() => loadConfig(file('{"firewall":{"backend":"pf"}}')), /field "firewall\.backend" has bad value "pf"/);
});

test('pipeline.workers "auto" runs shards in threads from 4 cores, actors below; true and false are kept', async () => {
  const { shardsInThreads, THREADS_FROM_CORES } = await import('../src/net/shard-count.ts');
  assert.equal(shardsInThreads('auto', THREADS_FROM_CORES - 1), false);
  assert.equal(shardsInThreads('auto', THREADS_FROM_CORES), true);
  assert.equal(shardsInThreads(true, 1), true);
  assert.equal(shardsInThreads(false, 64), false);
  const auto = loadConfig(undefined, {}).config.pipeline.workers;
  assert.equal(auto, availableParallelism() >= THREADS_FROM_CORES, 'the default resolves to a boolean by the cores');
  assert.throws(() => loadConfig(undefined, { pipeline: { workers: 'yes' } } as never), /workers/);
});
