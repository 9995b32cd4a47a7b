// Live capture on `lo`: real UDP and TCP traffic to 127.0.0.1 on ports the test picks,
// captured through a BPF filter for those ports and checked field by field. Capturing needs
// root or CAP_NET_RAW (CI runs as root); without it those tests are skipped, and the error
// tests still run. Waits are bounded only as hang guards.
import assert from 'node:assert/strict';
import { testTempDir } from '../devkit/temp-dir.ts';
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket as UdpSocket } from 'node:dgram';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  canCapture,
  captureInterfaces,
  CaptureFilterError,
  CaptureInterfaceError,
  CaptureModeError,
  LiveCapture,
} from '../src/net/live-capture.ts';
import { PAYLOAD_HEAD_BYTES, PacketBatch, PacketFlags as F } from '../src/net/packet-batch.ts';
import { CaptureOptionError } from '../src/net/pcap-file.ts';
import { waitFor } from '../devkit/wait.ts';
import { loadConfig } from '../src/config/load-config.ts';
import { liveOptions } from '../src/node/preflight.ts';

const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));
const LIVE_CAPTURE_URL = new URL('../src/net/live-capture.ts', import.meta.url).href;
const LOCALHOST = 0x7f000001;
const TCP = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 };

const permitted = canCapture() === true;
const skipLive = permitted ? false : 'capturing on lo needs root or CAP_NET_RAW (CI runs as root); run the tests as root';

const tmp = testTempDir('autoimmune-live-');
chmodSync(tmp, 0o755); // an unprivileged child must reach its script
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Rows of many batches as one list of row references. */
function rows(batches: PacketBatch[]): Array<[PacketBatch, number]> {
  const out: Array<[PacketBatch, number]> = [];
  for (const b of batches) for (let i = 0; i < b.length; i++) out.push([b, i]);
  return out;
}

function udpSocket(): Promise<UdpSocket> {
  const s = createSocket('udp4');
  return new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve(s)));
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/** Run a TypeScript snippet in a child node (with tsx), optionally as another user; returns its result. */
function runChild(source: string, extraArgs: string[] = [], asNobody = false): ReturnType<typeof spawnSync> {
  const dir = mkdtempSync(join(tmp, 'child-'));
  chmodSync(dir, 0o755);
  const file = join(dir, 'child.mts'); // ESM whatever package.json is near: it uses top-level await
  writeFileSync(file, source, { mode: 0o644 });
  const node = [process.execPath, ...extraArgs, '--import', 'tsx', file];
  const cmd = asNobody ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  return spawnSync(cmd[0]!, cmd.slice(1), { cwd: ROOT_DIR, encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: tmp } });
}

describe('LiveCapture on lo', { skip: skipLive }, () => {
  test('UDP and a TCP exchange: the right count and the decoded fields', async () => {
    const receiver = await udpSocket();
    const sender = await udpSocket();
    const udpPort = receiver.address().port;
    const udpSrc = sender.address().port;
    const server = createServer((sock) => sock.pipe(sock)); // echo; ends when the client does
    const tcpPort = await listen(server);

    const batches: PacketBatch[] = [];
    const capture = LiveCapture.open({
      iface: 'lo',
      filter: `(udp and port ${udpPort}) or (tcp and port ${tcpPort})`,
      ifaceIndex: 3,
      onBatch: (b) => batches.push(b),
    });
    const t0 = Date.now() / 1000;
    try {
      const UDP_COUNT = 25;
      for (let k = 1; k <= UDP_COUNT; k++) sender.send(Buffer.alloc(k, k), udpPort, '127.0.0.1');

      const request = Buffer.alloc(3000, 0x41); // more than the snaplen: rows are SNAPPED
      let clientPort = 0;
      let echoed = 0;
      await new Promise<void>((resolve, reject) => {
        const client = connect(tcpPort, '127.0.0.1', () => {
          clientPort = client.localPort!;
          client.write(request);
        });
        client.on('data', (d: Buffer) => {
          echoed += d.length;
          if (echoed === request.length) client.end();
        });
        client.on('error', reject);
        client.on('close', () => resolve());
      });

      const udpRows = (): Array<[PacketBatch, number]> => rows(batches).filter(([b, i]) => b.protocol[i] === 17);
      const finRows = (): number => rows(batches).filter(([b, i]) => b.protocol[i] === 6 && b.tcpFlags[i] & TCP.FIN).length;
      await waitFor(() => udpRows().length >= UDP_COUNT && finRows() >= 2, 'the UDP datagrams and both FINs in the capture');
      const t1 = Date.now() / 1000;

      const udp = udpRows();
      assert.equal(udp.length, UDP_COUNT);
      udp.forEach(([b, i], k) => {
        assert.equal(b.status[i], 0, 'decoded ok');
        assert.ok(b.flags[i] & F.UDP && b.flags[i] & F.IPV4 && b.flags[i] & F.ETHERNET);
        assert.equal(b.ipVersion[i], 4);
        assert.equal(b.src4[i], LOCALHOST);
        assert.equal(b.dst4[i], LOCALHOST);
        assert.equal(b.formatAddress(i, 'src'), '127.0.0.1');
        assert.equal(b.srcPort[i], udpSrc);
        assert.equal(b.dstPort[i], udpPort);
        assert.equal(b.payloadLen[i], k + 1, 'datagrams arrive in order, each with its own size');
        assert.equal(b.wirelen[i], 14 + 20 + 8 + k + 1);
      });

      const tcp = rows(batches).filter(([b, i]) => b.protocol[i] === 6);
      const toServer = tcp.filter(([b, i]) => b.srcPort[i] === clientPort && b.dstPort[i] === tcpPort);
      const toClient = tcp.filter(([b, i]) => b.srcPort[i] === tcpPort && b.dstPort[i] === clientPort);
      assert.equal(toServer.length + toClient.length, tcp.length, 'every TCP row is between the client and the server');
      // The handshake, in order.
      const [syn, synAck, ack] = tcp;
      assert.equal(syn![0].tcpFlags[syn![1]], TCP.SYN);
      assert.equal(syn![0].srcPort[syn![1]], clientPort);
      assert.ok(syn![0].flags[syn![1]] & F.TCP_MSS, 'the SYN carries an MSS option');
      assert.equal(synAck![0].tcpFlags[synAck![1]], TCP.SYN | TCP.ACK);
      assert.equal(synAck![0].srcPort[synAck![1]], tcpPort);
      assert.equal(ack![0].tcpFlags[ack![1]], TCP.ACK);
      assert.equal(ack![0].srcPort[ack![1]], clientPort);
      // Every payload byte is accounted for in each direction, whatever the segmentation.
      const bytes = (list: typeof tcp): number => list.reduce((n, [b, i]) => n + b.payloadLen[i], 0);
      assert.equal(bytes(toServer), request.length);
      assert.equal(bytes(toClient), request.length);
      assert.ok(tcp.some(([b, i]) => b.flags[i] & F.SNAPPED && b.caplen[i] === capture.snaplen), 'long segments are cut at the snaplen');

      const all = rows(batches);
      for (const [b, i] of all) {
        assert.equal(b.iface[i], 3, 'rows carry the capture interface index');
        assert.equal(b.linkType[i], 1);
        assert.ok(b.ts[i] >= t0 - 1 && b.ts[i] <= t1 + 1, 'timestamps are capture times');
      }
      const s = capture.stats();
      assert.equal(s.packets, all.length);
      assert.equal(s.batches, batches.length);
      assert.equal(s.decode.ok, all.length);
      assert.equal(s.decode.malformed, 0);
      assert.equal(s.kernelDrops, 0);
      assert.equal(s.shed, 0);
    } finally {
      await capture.close();
      receiver.close();
      sender.close();
      server.close();
    }
  });

  test('a 1,000-packet burst arrives whole', async () => {
    const receiver = await udpSocket();
    const sender = await udpSocket();
    const port = receiver.address().port;
    const batches: PacketBatch[] = [];
    const capture = LiveCapture.open({ iface: 'lo', filter: `udp and dst port ${port}`, onBatch: (b) => batches.push(b) });
    try {
      // All queued in one tick, before the capture reads anything: the ring must hold them.
      for (let k = 1; k <= 1000; k++) sender.send(Buffer.alloc(k), port, '127.0.0.1');
      const count = (): number => batches.reduce((n, b) => n + b.length, 0);
      await waitFor(() => count() >= 1000, '1,000 packets in the capture');
      const sizes = new Set(rows(batches).map(([b, i]) => b.payloadLen[i]));
      assert.equal(count(), 1000);
      assert.equal(sizes.size, 1000, 'each datagram once (they differ in size)');
      assert.equal(capture.stats().kernelDrops, 0);
    } finally {
      await capture.close();
      receiver.close();
      sender.close();
    }
  });

  test('pull mode: next() hands out batches, then null once closed; close() twice is fine', async () => {
    const receiver = await udpSocket();
    const sender = await udpSocket();
    const port = receiver.address().port;
    const capture = LiveCapture.open({ iface: 'lo', filter: `udp and dst port ${port}`, batchSize: 8 });
    try {
      for (let k = 0; k < 20; k++) sender.send('x', port, '127.0.0.1');
      let got = 0;
      while (got < 20) {
        const b = await capture.next();
        assert.ok(b !== null);
        assert.ok(b.length >= 1 && b.length <= 8, 'batches hold at most batchSize rows');
        got += b.length;
      }
      assert.equal(got, 20);
      const pending = capture.next(); // waits for traffic that never comes
      await capture.close();
      assert.equal(await pending, null);
      assert.equal(await capture.next(), null);
      await capture.close();
      capture.closeSync();
      assert.equal(capture.isOpen, false);
      assert.equal(capture.stats().packets, 20, 'stats still answer after close');
    } finally {
      await capture.close();
      receiver.close();
      sender.close();
    }
  });

  test('pull mode: a batch is the caller\'s until its next call, then refilled with the next packets', async () => {
    const receiver = await udpSocket();
    const sender = await udpSocket();
    const port = receiver.address().port;
    const capture = LiveCapture.open({ iface: 'lo', filter: `udp and dst port ${port}`, batchSize: 8 });
    try {
      const seen: string[] = [];
      const handedOut = new Set<PacketBatch>();
      let pulls = 0;
      // One datagram a round, each pulled before the next is sent: a batch per round.
      for (let k = 0; k < 6; k++) {
        sender.send(`p${k}`, port, '127.0.0.1');
        const b = await capture.next();
        assert.ok(b !== null);
        pulls++;
        handedOut.add(b);
        for (let i = 0; i < b.length; i++) seen.push(String.fromCharCode(b.head[i * PAYLOAD_HEAD_BYTES]!, b.head[i * PAYLOAD_HEAD_BYTES + 1]!));
      }
      assert.deepEqual(seen, ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'], 'every packet once, in order, whatever batch it was read into');
      assert.ok(handedOut.size < pulls, `batches handed out again (${handedOut.size} distinct in ${pulls} pulls)`);
    } finally {
      await capture.close();
      receiver.close();
      sender.close();
    }
  });

  test('a capture nobody pulls from reads no more than its queue (the node: capture.queueBatches); the rest waits in the kernel, not lost', async () => {
    const receiver = await udpSocket();
    const sender = await udpSocket();
    const port = receiver.address().port;
    const filter = `udp and dst port ${port}`;
    // The node's setting reaches its live captures.
    const { config } = loadConfig(undefined, { capture: { queueBatches: 1 } } as never);
    const tight = LiveCapture.open({ ...liveOptions(config, 'lo', 0), filter, batchSize: 8 });
    assert.equal(tight.stats().packets, 0);
    // The same traffic through a capture with a deep queue shows when every tick has run.
    const deep = LiveCapture.open({ iface: 'lo', filter, batchSize: 8, maxQueuedBatches: 256 });
    try {
      for (let k = 0; k < 20; k++) sender.send('x', port, '127.0.0.1');
      await waitFor(() => deep.stats().packets === 20, 'the deep capture reads the first 20');
      await waitFor(() => tight.stats().packets > 0, 'the tight capture reads some');
      for (let k = 0; k < 20; k++) sender.send('y', port, '127.0.0.1');
      await waitFor(() => deep.stats().packets === 40, 'the deep capture reads all 40');
      await new Promise((r) => setTimeout(r, 20)); // a few more of the tight capture's ticks
      assert.ok(tight.stats().packets <= 20, `the tight capture stopped reading at its queue (it read ${tight.stats().packets} of 40)`);
      // Pulled from, it reads on: what it left in the kernel ring arrives whole.
      let got = 0;
      while (got < 40) {
        const b = await tight.next();
        assert.ok(b !== null);
        got += b.length;
      }
      assert.equal(got, 40);
      assert.equal(tight.stats().kernelDrops, 0);
    } finally {
      await tight.close();
      await deep.close();
      receiver.close();
      sender.close();
    }
  });

  test('next() on a push-mode capture is refused', async () => {
    const capture = LiveCapture.open({ iface: 'lo', filter: 'udp and dst port 9', onBatch: () => {} });
    try {
      await assert.rejects(capture.next(), (err: unknown) => err instanceof CaptureModeError && err.code === 'AI_ERR_CAPTURE_MODE');
    } finally {
      await capture.close();
    }
  });

  test('close() from inside onBatch stops delivery, and the socket is released by the next packet', async () => {
    const receiver = await udpSocket();
    const sender = await udpSocket();
    const port = receiver.address().port;
    const before = LiveCapture.pendingReleases;
    let calls = 0;
    const capture: LiveCapture = LiveCapture.open({
      iface: 'lo',
      filter: `udp and dst port ${port}`,
      batchSize: 1,
      onBatch: () => {
        calls++;
        capture.closeSync();
      },
    });
    try {
      for (let k = 0; k < 10; k++) sender.send('x', port, '127.0.0.1');
      await waitFor(() => !capture.isOpen, 'the capture to close itself');
      const delivered = calls;
      assert.equal(capture.stats().packets, delivered, 'what was read before closing is still handed on');
      // libpcap lets go of the handle when it next sees a packet; one more datagram does it.
      sender.send('x', port, '127.0.0.1');
      await waitFor(() => LiveCapture.pendingReleases <= before, 'the closed capture to release its socket');
      assert.equal(calls, delivered, 'nothing is delivered after close');
    } finally {
      await capture.close();
      receiver.close();
      sender.close();
    }
  });

  test('no segfault when nothing on the JavaScript side references a capture or its buffers', () => {
    // A child with --expose-gc: captures it holds no reference to, collections while packets
    // flow, and many open/close cycles (each leaving a native session to the collector).
    const r = runChild(
      `import { createSocket } from 'node:dgram';
import { LiveCapture } from ${JSON.stringify(LIVE_CAPTURE_URL)};
const gc = (globalThis as { gc?: () => void }).gc!;
const s = createSocket('udp4');
await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
const port = s.address().port; // the sender's own port: a listener, and no ICMP back
let seen = 0;
LiveCapture.open({ iface: 'lo', filter: 'udp and dst port ' + port, onBatch: (b) => { seen += b.length; } });
for (let round = 0; round < 20; round++) {
  const c = LiveCapture.open({ iface: 'lo', filter: 'udp and dst port ' + port, onBatch: () => {} });
  for (let k = 0; k < 200; k++) s.send('x', port, '127.0.0.1');
  gc();
  await new Promise((r) => setTimeout(r, 5));
  gc();
  await c.close();
  gc();
}
for (let k = 0; k < 200; k++) s.send('x', port, '127.0.0.1');
const until = Date.now() + 15000;
while (seen < 4200 && Date.now() < until) { gc(); await new Promise((r) => setTimeout(r, 10)); }
console.log(JSON.stringify({ seen }));
process.exit(0);
`,
      ['--expose-gc'],
    );
    assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, String(r.stderr));
    assert.deepEqual(JSON.parse(String(r.stdout).trim().split('\n').pop()!), { seen: 4200 });
  });
});

describe('LiveCapture when its interface goes away', { skip: skipLive }, () => {
  test('the read fails with AI_ERR_CAPTURE_READ and the capture closes', (t) => {
    // In a network namespace of its own (unshare --net), so the host's interfaces are untouched.
    if (spawnSync('unshare', ['--net', 'ip', 'link', 'add', 'lc0', 'type', 'veth', 'peer', 'name', 'lc1']).status !== 0) {
      t.skip('needs unshare, ip and veth support to make an interface that can disappear');
      return;
    }
    const dir = mkdtempSync(join(tmp, 'gone-'));
    chmodSync(dir, 0o755);
    const file = join(dir, 'child.mts');
    writeFileSync(
      file,
      `import { execFileSync } from 'node:child_process';
import { LiveCapture } from ${JSON.stringify(LIVE_CAPTURE_URL)};
execFileSync('ip', ['link', 'add', 'lc0', 'type', 'veth', 'peer', 'name', 'lc1']);
execFileSync('ip', ['link', 'set', 'lc0', 'up']);
const capture = LiveCapture.open({ iface: 'lc0', onBatch: () => {}, onError: (err) => {
  console.log(JSON.stringify({ name: err.name, code: err.code, iface: err.iface, open: capture.isOpen }));
} });
setTimeout(() => execFileSync('ip', ['link', 'del', 'lc0']), 50);
`,
    );
    const r = spawnSync('unshare', ['--net', process.execPath, '--import', 'tsx', file], { cwd: ROOT_DIR, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.trim()), { name: 'CaptureReadError', code: 'AI_ERR_CAPTURE_READ', iface: 'lc0', open: false });
  });
});

describe('LiveCapture errors', () => {
  test('an unknown interface is named, with the ones there are', () => {
    assert.throws(
      () => LiveCapture.open({ iface: 'nosuch0' }),
      (err: unknown) => {
        assert.ok(err instanceof CaptureInterfaceError);
        assert.equal(err.code, 'AI_ERR_CAPTURE_NO_INTERFACE');
        assert.ok(err.available.includes('lo'));
        assert.deepEqual(err.available, captureInterfaces());
        assert.match(err.message, /^no capture interface named "nosuch0"; available: .*\blo\b/);
        return true;
      },
    );
  });

  test('a filter that does not compile is refused before any socket opens', () => {
    for (const filter of ['udpp port 5', 'port 99999']) {
      assert.throws(
        () => LiveCapture.open({ iface: 'lo', filter }),
        (err: unknown) => err instanceof CaptureFilterError && err.code === 'AI_ERR_CAPTURE_FILTER' && err.message.includes(JSON.stringify(filter)),
      );
    }
  });

  test('bad options name the value and the allowed range', () => {
    assert.throws(() => LiveCapture.open({ iface: 'lo', snaplen: 10 }), (err: unknown) => err instanceof CaptureOptionError && /snaplen=10 .* from 64 to 262144/.test(err.message));
    assert.throws(() => LiveCapture.open({ iface: 'lo', bufferSize: 1.5 }), CaptureOptionError);
    assert.throws(() => LiveCapture.open({ iface: '' }), CaptureOptionError);
  });

  test('without root or CAP_NET_RAW: one clear line with a stable code', (t) => {
    const source = `import { LiveCapture } from ${JSON.stringify(LIVE_CAPTURE_URL)};
try { LiveCapture.open({ iface: 'lo', filter: 'udp' }); console.log(JSON.stringify({ opened: true })); process.exit(1); }
catch (err) { const e = err as { name: string; code: string; message: string }; console.log(JSON.stringify({ name: e.name, code: e.code, message: e.message })); }
`;
    let out: string;
    if (permitted) {
      if (process.getuid?.() !== 0 || spawnSync('setpriv', ['--version']).error) {
        t.skip('needs root and setpriv to drop to an unprivileged user');
        return;
      }
      const r = runChild(source, [], true);
      assert.equal(r.status, 0, String(r.stderr));
      out = String(r.stdout);
    } else {
      const r = runChild(source);
      out = String(r.stdout);
    }
    assert.deepEqual(JSON.parse(out.trim()), {
      name: 'CapturePermissionError',
      code: 'AI_ERR_CAPTURE_NOT_PERMITTED',
      message: 'capturing on lo needs root or CAP_NET_RAW; run as root (or as a service with that capability: autoimmune install-service), or feed captures to the running node with `autoimmune replay --to URL FILE`',
    });
  });
});
