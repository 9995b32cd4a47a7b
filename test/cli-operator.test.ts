// The CLI operators expect (issue 19, point 4), on real node processes over real HTTP:
// --help on every command and subcommand; the node found from its state dir alone (URL and
// token as start wrote them); the bans table; re-blocking says what it replaced; the allow-list
// changed at run time, lifting a ban and kept across a restart; a capture replayed into the
// running node with `replay --to`, detected and banned, its alert listed and inspected; a port
// in use and every config problem reported before anything starts.

import { strict as assert } from 'node:assert';
import { testTempDir } from '../devkit/temp-dir.ts';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { COMMANDS, main } from '../src/cli.ts';
import { spawnNodeProcess, type NodeProcess } from '../devkit/node-process.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const PCAP = '/work/shared/data/pcap';
const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
delete env.AUTOIMMUNE_TOKEN;
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', env, timeout: 120_000 });

/**
 * main() as bin/autoimmune.js runs it, with what it writes to stdout and stderr: the strings
 * (main() awaits the command's module, and meanwhile the test runner writes its own binary
 * reports to stdout: those go through).
 */
async function inProcess(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const write = { stdout: process.stdout.write, stderr: process.stderr.write };
  const take = (stream: 'stdout' | 'stderr') =>
    ((chunk: unknown, ...rest: unknown[]) => (typeof chunk === 'string' ? ((out[stream] += chunk), true) : (write[stream] as (...a: unknown[]) => boolean).call(process[stream], chunk, ...rest))) as typeof process.stdout.write;
  process.stdout.write = take('stdout');
  process.stderr.write = take('stderr');
  try {
    return { status: await main(args), ...out };
  } finally {
    process.stdout.write = write.stdout;
    process.stderr.write = write.stderr;
  }
}

test('--help and -h on every command and subcommand: exit 0 and a usage line naming it', async () => {
  const runs: string[][] = [];
  for (const name of Object.keys(COMMANDS)) runs.push([name, '--help'], [name, '-h']);
  for (const [name, subs] of Object.entries({ feeds: ['import', 'list', 'refresh'], bouncers: ['add', 'list', 'delete'], alerts: ['list', 'inspect'], allow: ['add', 'remove', 'list'] })) {
    for (const sub of subs) runs.push([name, sub, '--help']);
  }
  runs.push(['block', '203.0.113.7', '--ttl', '2h', '--help'], ['help', 'replay']);
  for (const args of runs) {
    const r = await inProcess(args);
    assert.equal(r.status, 0, `${args.join(' ')}: exit ${r.status}, ${r.stderr}`);
    const name = args[0] === 'help' ? args[1]! : args[0]!;
    const sub = args[1] !== undefined && !args[1].startsWith('-') && args[0] !== 'help' && args[0] !== 'block' ? ` ${args[1]}` : '';
    assert.match(r.stdout, new RegExp(`^Usage:(.|\\n)*autoimmune ${name}${sub}\\b`), `${args.join(' ')} prints its usage:\n${r.stdout}`);
  }
  // And as a process, through the installed command.
  const bin = spawnSync(process.execPath, [fileURLToPath(new URL('../bin/autoimmune.js', import.meta.url)), 'unblock', '--help'], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(bin.status, 0, bin.stderr);
  assert.match(bin.stdout, /^Usage: autoimmune unblock ADDR$/m);
  // A command without a subcommand is a usage error, its help on stderr.
  const bare = await inProcess(['allow']);
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /allow needs a command: add ADDR, remove ADDR or list/);
});

const CONFIG = { firewall: { backend: 'dry-run' }, model: { enabled: false }, capture: { interfaces: [] }, store: { backend: 'memory' }, http: { captureUploadMb: 1 } };

async function startNode(dir: string, stateDir: string): Promise<NodeProcess> {
  const config = join(dir, 'node.json');
  writeFileSync(config, JSON.stringify(CONFIG));
  return spawnNodeProcess({ id: 'cli', etcd: [], stateDir, config, startMs: 120_000 });
}

test('the operator commands on a running node, found through its state dir alone', async () => {
  const dir = testTempDir('ai-cli-op-');
  const stateDir = join(dir, 'state');
  let node = await startNode(dir, stateDir);
  const S = ['--state-dir', stateDir];
  try {
    // The URL and token as start wrote them: no --url, no --token.
    assert.equal(readFileSync(join(stateDir, 'http-url'), 'utf8').trim(), node.url);
    const first = cli('block', '203.0.113.7', '--ttl', '2h', '--reason', 'seen in sshd logs', ...S);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /^banned 203\.0\.113\.7 for 2h \(seen in sshd logs\)$/m);

    // Re-blocking says what it replaced: old reason and TTL → new.
    const again = cli('block', '203.0.113.7', '--ttl', '10m', '--reason', 'brute force', ...S);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /re-banned 203\.0\.113\.7: it replaced the ban by operator "seen in sshd logs" \(2h, 1h 59m left\) → "brute force" for 10m/);

    // The table: address, origin, country, AS, time left, reason; --json is the API's list as before.
    assert.equal(cli('block', '193.0.6.139', '--ttl', '3h', ...S).status, 0);
    const table = cli('bans', ...S);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.trim().split('\n');
    assert.match(lines[0]!, /^ADDRESS\s+ORIGIN\s+COUNTRY\s+AS\s+LEFT\s+REASON$/);
    assert.match(table.stdout, /^193\.0\.6\.139\s+operator\s+NL\s+-\s+2h 59m\s+banned by an operator$/m);
    assert.match(table.stdout, /^203\.0\.113\.7\s+operator\s+-\s+-\s+9m \d+s\s+brute force$/m);
    const json = JSON.parse(cli('bans', '--json', ...S).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(json.find((b) => b.address === '193.0.6.139')!).sort(), ['address', 'at', 'detector', 'expiresAt', 'offence', 'reason', 'remainingS', 'score', 'ttl']);

    // A wrong token is refused, naming where the token came from.
    const wrong = cli('bans', '--token', 'not-the-token-at-all', ...S);
    assert.equal(wrong.status, 0, 'reading needs no token');
    const wrongBlock = cli('block', '203.0.113.9', '--token', 'not-the-token-at-all', ...S);
    assert.equal(wrongBlock.status, 2);
    assert.match(wrongBlock.stderr, /refused the token \(--token\)/);

    // Allowing a banned address lifts its ban and says so; a ban of it is then refused.
    const allow = cli('allow', 'add', '203.0.113.0/24', '--note', 'partner office', ...S);
    assert.equal(allow.status, 0, allow.stderr);
    assert.match(allow.stdout, /^allowed 203\.0\.113\.0\/24 \(partner office\): it will not be banned$/m);
    assert.match(allow.stdout, /unbanned 203\.0\.113\.7: it was banned by operator \(brute force\), 9m \d+s left/);
    assert.doesNotMatch(cli('bans', ...S).stdout, /203\.0\.113\.7/);
    const refused = cli('block', '203.0.113.9', ...S);
    assert.equal(refused.status, 2);
    assert.match(refused.stderr, /allow-listed by 203\.0\.113\.0\/24 \(allowed by an operator: partner office\)/);
    assert.equal(cli('allow', 'add', '0.0.0.0/1', ...S).status, 2, 'wider than responder.minPrefix');

    // Kept across a restart.
    await node.stop();
    node = await startNode(dir, stateDir);
    const list = cli('allow', 'list', ...S);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /^203\.0\.113\.0\/24\s+run time\s+\S+ \S+\s+partner office$/m);
    assert.equal(cli('block', '203.0.113.9', ...S).status, 2, 'still allowed after the restart');
    const removed = cli('allow', 'remove', '203.0.113.0/24', ...S);
    assert.equal(removed.status, 0, removed.stderr);
    assert.equal(cli('block', '203.0.113.9', ...S).status, 0, 'bannable again');
    assert.equal(cli('allow', 'remove', '203.0.113.0/24', ...S).status, 2, 'not on the list any more');

    // A capture replayed into the running node: detected and banned there, as if seen live.
    const replay = cli('replay', '--to', node.url, join(PCAP, 'D15_brute_hydra-1_tasks.pcap'), ...S);
    assert.equal(replay.status, 0, replay.stderr);
    assert.match(replay.stdout, /^replayed D15_brute_hydra-1_tasks\.pcap into http:\S+: 2,486 packets in [\d.]+ s \(decoded 2,486, unsupported 0, malformed 0\)$/m);
    assert.match(replay.stdout, /the node raised [1-9]\d* alerts? and made [1-9]\d* bans? meanwhile/);
    assert.match(cli('bans', ...S).stdout, /^240\.0\.1\.2\s+detection\s+.*ssh-brute-force$/m);
    const notCapture = join(dir, 'notes.txt');
    writeFileSync(notCapture, 'these are not packets\n');
    const bad = cli('replay', '--to', node.url, notCapture, ...S);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /notes\.txt is not a pcap or pcapng capture/);
    const big = cli('replay', '--to', node.url, join(PCAP, 'D01_benign_example.pcap'), ...S);
    assert.equal(big.status, 2);
    assert.match(big.stderr, /D01_benign_example\.pcap is 3,812,643 bytes, more than http\.captureUploadMb \(1 MB\) allows/);
    // The node refuses it too, from the Content-Length, before reading the body.
    const refusal = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${node.url}/api/captures?name=big.pcap`, { method: 'POST', headers: { authorization: `Bearer ${readFileSync(join(stateDir, 'http-token'), 'utf8').trim()}`, 'content-type': 'application/vnd.tcpdump.pcap', 'content-length': String(3 * 2 ** 20) } }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(refusal.status, 413);
    assert.match(refusal.body, /big\.pcap is 3,145,728 bytes, more than http\.captureUploadMb \(1 MB\) allows/);
    assert.deepEqual(readdirSync(join(stateDir, 'captures')), [], 'nothing left behind');

    // The alerts: listed with what was done, one inspected in full.
    const alerts = cli('alerts', '--source', '240.0.1.2', ...S);
    assert.equal(alerts.status, 0, alerts.stderr);
    assert.match(alerts.stdout, /^ID\s+SEEN\s+TYPE\s+SOURCE\s+WHERE\s+TARGET\s+SCORE\s+EVIDENCE\s+DECISION$/m);
    const banned = /^(\d+)\s+\S+ \S+\s+ssh-brute-force\s+240\.0\.1\.2\s+.*\bban 10m$/m.exec(alerts.stdout);
    assert.ok(banned, `an alert that led to the ban:\n${alerts.stdout}`);
    const inspect = cli('alerts', 'inspect', banned[1]!, ...S);
    assert.equal(inspect.status, 0, inspect.stderr);
    assert.match(inspect.stdout, new RegExp(`^alert ${banned[1]} on node \\S+\\n  type\\s+ssh-brute-force \\(rules\\)`));
    assert.match(inspect.stdout, /^evidence\n(  \S+\s+\S+\n)*  failures\s+\d+$/m);
    assert.match(inspect.stdout, /^decision\n  ban 240\.0\.1\.2 for 10m at .*, offence 1, by ssh-brute-force$/m);
    assert.match(inspect.stdout, /^ban in force on the source now\n  240\.0\.1\.2 by ssh-brute-force, \d+m \d+s left of 10m/m);
    const missing = cli('alerts', 'inspect', '999999', ...S);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /holds no alert 999999: its newest alert is \d+/);

    // A capture without the token is refused before its body is read.
    const res = await fetch(`${node.url}/api/captures?name=x`, { method: 'POST', headers: { 'content-type': 'application/vnd.tcpdump.pcap' }, body: readFileSync(join(PCAP, 'D18_brute_kali-password-attack_hydra.pcap')) });
    assert.equal(res.status, 401);

    // A second node on the same port: one line naming the port and the setting, no stack, nothing started.
    const port = new URL(node.url).port;
    const other = join(dir, 'other');
    const busy = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'start', '--port', port, '--state-dir', other, '--config', join(dir, 'node.json')], { encoding: 'utf8', env, timeout: 120_000 });
    assert.equal(busy.status, 2, busy.stderr);
    assert.equal(busy.stdout, '');
    assert.equal(busy.stderr, `autoimmune: http.port ${port} on 127.0.0.1 is already in use by another process: stop that process, or give this node another port (--port N or http.port in the config; 0 picks a free one)\n`);
    assert.equal(existsSync(join(other, 'http-url')), false);
  } finally {
    await node.stop();
  }
  assert.equal(existsSync(join(stateDir, 'http-url')), false, 'a clean stop takes its URL out of the state dir');
});

test('every problem with the configuration is reported at once, before anything starts', () => {
  const dir = testTempDir('ai-cli-cfg-');
  const config = join(dir, 'bad.json');
  writeFileSync(config, JSON.stringify({ ...CONFIG, capture: { interfaces: ['nosuch0'], replay: { files: [join(dir, 'missing.pcap')] } }, geo: { cityDb: join(dir, 'missing.mmdb') } }));
  const stateDir = join(dir, 'state');
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, 'start', '--port', '0', '--state-dir', stateDir, '--config', config], { encoding: 'utf8', env, timeout: 120_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines[0], 'autoimmune: 3 problems with the configuration; nothing was started:');
  assert.match(r.stderr, /^ {2}- capture\.replay\.files: ".*missing\.pcap" does not exist$/m);
  assert.match(r.stderr, /^ {2}- GeoIP database not found: .*missing\.mmdb: /m);
  assert.match(r.stderr, /^ {2}- capture\.interfaces: no capture interface named "nosuch0"/m);
  assert.equal(lines.length, 4, 'nothing else was said: no notice of a started part');
  for (const f of ['http-url', 'http-token', 'bans.sqlite']) assert.equal(existsSync(join(stateDir, f)), false, `${f} was not made`);
});
