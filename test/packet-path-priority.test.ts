// pipeline.nice: the packet path's threads get the nice value, the event store's thread keeps
// its own, and stopping puts every value back. Real threads of this process, their values
// read from /proc (Linux; the test needs root or CAP_SYS_NICE to go below 0).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { Worker } from 'node:worker_threads';
import { setPacketPathNice } from '../src/node/packet-path-priority.ts';

/** A thread's nice value, from /proc/self/task/TID/stat (field 19). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** A worker that names its thread `name` and answers with its thread id (from /proc/thread-self). */
async function namedThread(name: string): Promise<{ worker: Worker; tid: number }> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     const fs = require('node:fs');
     fs.writeFileSync('/proc/thread-self/comm', ${JSON.stringify(name)});
     parentPort.postMessage(Number(fs.readlinkSync('/proc/thread-self').split('/').pop()));
     setInterval(() => {}, 1000);`,
    { eval: true },
  );
  const tid = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { worker, tid };
}

const canNice = process.platform === 'linux' && process.getuid?.() === 0;

test('the packet path\'s threads get pipeline.nice, the store\'s thread keeps its own, and stopping puts them back', { skip: canNice ? false : 'needs Linux and root' }, async () => {
  const store = await namedThread('ai-store');
  const shard = await namedThread('ai-shard-0');
  const ahead = await namedThread('ai-shard-1');
  try {
    setPriority(ahead.tid, -12); // started with a lower value than the setting: left there
    const main0 = niceOf(process.pid);
    const notices: string[] = [];
    const release = setPacketPathNice(-7, (l) => notices.push(l));
    assert.ok(release, 'applied');
    assert.equal(notices.length, 0, notices.join('; '));
    assert.equal(niceOf(process.pid), -7, 'the main thread');
    assert.equal(niceOf(shard.tid), -7, 'a shard thread');
    assert.equal(niceOf(store.tid), 0, 'the event store\'s thread keeps its own');
    assert.equal(niceOf(ahead.tid), -12, 'a thread already at a lower value keeps it');
    // A second node of the same process: the values are put back only when the last one stops.
    const second = setPacketPathNice(-7, (l) => notices.push(l))!;
    release!();
    assert.equal(niceOf(process.pid), -7, 'still held by the second node');
    second();
    assert.equal(niceOf(process.pid), main0, 'the main thread\'s value before');
    assert.equal(niceOf(shard.tid), 0, 'the shard thread\'s value before');
    assert.equal(niceOf(ahead.tid), -12);
  } finally {
    await store.worker.terminate();
    await shard.worker.terminate();
    await ahead.worker.terminate();
  }
});

test('pipeline.nice null leaves every thread as it is', () => {
  const before = niceOf(process.pid);
  assert.equal(setPacketPathNice(null, () => assert.fail('no notice')), null);
  assert.equal(niceOf(process.pid), before);
});
