// pipeline.nice and the session group (Linux autogroups): a node that leads its session sets
// its group's nice value and puts it back when it stops; one started in another's session
// (an operator's shell) leaves that group alone. The real kernel's files in child processes
// (the test needs Linux, autogroups on, and root to go below 0); the rules on stand-in files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAutogroupNice, sessionOfStat, setSessionGroupNice } from '../src/node/session-group-nice.ts';

const MODULE = fileURLToPath(new URL('../src/node/session-group-nice.ts', import.meta.url));

test('the group\'s value and the session are read from the kernel\'s lines', () => {
  assert.equal(parseAutogroupNice('/autogroup-25 nice 0\n'), 0);
  assert.equal(parseAutogroupNice('/autogroup-3 nice -10\n'), -10);
  assert.equal(parseAutogroupNice('nothing'), null);
  // The name may hold spaces and parentheses: the fields count from the last ')'.
  assert.equal(sessionOfStat('4242 (a (b) c) S 1 4240 4241 34816 4240 4194560 0'), 4241);
});

/** Stand-ins for the kernel's three files: autogroups on, the session `session`, the group at `nice`. */
function files(session: number, nice: number, enabled = '1'): { dir: string; f: { enabled: string; autogroup: string; stat: string } } {
  const dir = mkdtempSync(join(tmpdir(), 'ai-sgn-'));
  const f = { enabled: join(dir, 'enabled'), autogroup: join(dir, 'autogroup'), stat: join(dir, 'stat') };
  writeFileSync(f.enabled, `${enabled}\n`);
  writeFileSync(f.autogroup, `/autogroup-7 nice ${nice}\n`);
  writeFileSync(f.stat, `${process.pid} (node) S 1 ${process.pid} ${session} 0 -1 4194560`);
  return { dir, f };
}

test('set only when autogroups are on, the node leads its session and the group is above the value; put back at the last release', () => {
  const lead = files(process.pid, 0);
  const notLead = files(process.pid + 1, 0);
  const off = files(process.pid, 0, '0');
  const lower = files(process.pid, -12);
  try {
    const none = () => assert.fail('no notice');
    assert.equal(setSessionGroupNice(null, none, lead.f), null);
    assert.equal(setSessionGroupNice(-5, none, notLead.f), null, 'the caller\'s session: left alone');
    assert.equal(readFileSync(notLead.f.autogroup, 'utf8'), '/autogroup-7 nice 0\n');
    assert.equal(setSessionGroupNice(-5, none, off.f), null, 'autogroups off: nothing to set');
    assert.equal(setSessionGroupNice(-5, none, lower.f), null, 'a group already lower keeps its value');
    const first = setSessionGroupNice(-5, none, lead.f);
    assert.ok(first);
    assert.equal(readFileSync(lead.f.autogroup, 'utf8'), '-5');
    const second = setSessionGroupNice(-5, none, lead.f)!;
    first!();
    assert.equal(readFileSync(lead.f.autogroup, 'utf8'), '-5', 'still held by the second node');
    second();
    assert.equal(readFileSync(lead.f.autogroup, 'utf8'), '0', 'the value before');
  } finally {
    for (const d of [lead, notLead, off, lower]) rmSync(d.dir, { recursive: true, force: true });
  }
});

const autogroups = (() => {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1' && process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

/** A child that applies -6 and reports its group's line before, while held, after release. */
function child(detached: boolean): { before: string; held: string; after: string; applied: boolean } {
  const script = `
    import { readFileSync } from 'node:fs';
    const { setSessionGroupNice } = await import(${JSON.stringify(MODULE)});
    const g = () => readFileSync('/proc/self/autogroup', 'utf8').trim();
    const before = g();
    const release = setSessionGroupNice(-6, (l) => { throw new Error(l); });
    const held = g();
    release?.();
    console.log(JSON.stringify({ before, held, after: g(), applied: release !== null }));`;
  const args = ['--import', 'tsx', '--input-type=module', '-e', script];
  // setsid(1) makes the child lead a session of its own, as a daemon does.
  const r = detached ? spawnSync('setsid', ['--wait', process.execPath, ...args], { encoding: 'utf8' }) : spawnSync(process.execPath, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

test('a node that leads its session sets its kernel group\'s value, and puts it back', { skip: autogroups ? false : 'needs Linux autogroups and root' }, () => {
  const r = child(true);
  assert.ok(r.applied);
  assert.equal(parseAutogroupNice(r.before), 0);
  assert.equal(parseAutogroupNice(r.held), -6);
  assert.equal(parseAutogroupNice(r.after), 0);
});

test('a node in its caller\'s session leaves the caller\'s group as it is', { skip: autogroups ? false : 'needs Linux autogroups and root' }, () => {
  const mine = readFileSync('/proc/self/autogroup', 'utf8').trim();
  const r = child(false);
  assert.equal(r.applied, false);
  assert.equal(r.held, mine);
  assert.equal(readFileSync('/proc/self/autogroup', 'utf8').trim(), mine);
});
