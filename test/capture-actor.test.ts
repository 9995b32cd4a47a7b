import { strict as assert } from 'node:assert';
import { createSocket } from 'node:dgram';
import { createServer, connect, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { EnrichedBatch } from '../src/detect/enrichment.ts';
import { openGeoLookup, type GeoInfo } from '../src/geo/geo-lookup.ts';
import { LiveCapture } from '../src/net/live-capture.ts';
import { PacketFlags } from '../src/net/packet-batch.ts';
import { buildPipeline } from '../src/node/pipeline.ts';
import { ActorSystem } from '../src/supervisors/actor-system.ts';
import { waitFor } from '../devkit/wait.ts';

const root = process.getuid?.() === 0;

test('CaptureActor on lo: UDP and TCP sent to 127.0.0.1 arrive at the shards, counted and decoded', { skip: root ? false : 'live capture needs root or CAP_NET_RAW' }, async () => {
  const server = createServer((s) => s.on('data', () => {}).on('end', () => s.end()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const tcpPort = (server.address() as AddressInfo).port;
  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const udpPort = udp.address().port;

  const seen: Array<{ proto: number; src: string; dst: string; sport: number; dport: number; flags: number; tcpFlags: number; geo: string | null }> = [];
  const pipeline = buildPipeline({
    sources: [{ id: 'capture-lo', restart: 'permanent', open: () => LiveCapture.open({ iface: 'lo', filter: `(udp and dst port ${udpPort}) or (tcp and port ${tcpPort})`, snaplen: 2048 }) }],
    shards: 2,
    batchSize: 64,
    highWater: 32,
    features: {},
    geo: await openGeoLookup(),
    shardMailbox: { capacity: 64, overflow: 'reject' },
    onEnriched: (e: EnrichedBatch<GeoInfo>) => {
      const b = e.packets;
      for (let i = 0; i < b.length; i++) {
        seen.push({ proto: b.protocol[i]!, src: b.formatAddress(i, 'src'), dst: b.formatAddress(i, 'dst'), sport: b.srcPort[i]!, dport: b.dstPort[i]!, flags: b.flags[i]!, tcpFlags: b.tcpFlags[i]!, geo: e.geo!.lookup(b.hostKey(i, 'src')).addressClass });
        assert.equal(e.features[i * e.featureCount]! > 0, true, 'the source host weight is positive');
      }
    },
  });
  const sys = new ActorSystem({ nodeId: 't', rateIntervalMs: 0, onRootGaveUp: (e) => assert.fail(e), root: { strategy: 'one_for_one', children: [pipeline.spec] } });
  await sys.start();
  try {
    const sender = createSocket('udp4');
    for (let i = 0; i < 50; i++) sender.send(Buffer.alloc(100, i), udpPort, '127.0.0.1');
    const client = connect(tcpPort, '127.0.0.1');
    await new Promise<void>((r) => client.on('connect', r));
    client.end('hello');
    await new Promise((r) => client.on('close', r));
    await waitFor(() => seen.filter((p) => p.proto === 17).length >= 50 && seen.some((p) => p.proto === 6 && p.tcpFlags & 0x01), 'all UDP and the TCP FIN seen');
    sender.close();
    const udpSeen = seen.filter((p) => p.proto === 17);
    assert.equal(udpSeen.length, 50, 'exactly the 50 datagrams sent');
    for (const p of udpSeen) {
      assert.equal(p.dst, '127.0.0.1');
      assert.equal(p.dport, udpPort);
      assert.equal(p.geo, 'loopback', 'loopback is tagged, not looked up');
      assert.ok(p.flags & PacketFlags.UDP);
    }
    const syn = seen.find((p) => p.proto === 6 && p.tcpFlags === 0x02)!;
    assert.ok(syn, 'the SYN was captured');
    assert.equal(syn.dport, tcpPort);
    assert.ok(seen.some((p) => p.proto === 6 && p.tcpFlags === 0x12 && p.sport === tcpPort), 'the SYN-ACK was captured');
    const snap = () => sys.snapshot().tree.children![0]!.children!.find((c) => c.id === 'capture-lo')!;
    assert.equal(snap().status, 'running');
    assert.equal(snap().stats!.kernelDrops, 0);
    // The connection's last packets (the server's FIN, the last ACK) may still be on their way to the shards.
    await waitFor(() => snap().stats!.packets === seen.length, 'the actor counts what it delivered, and the shards got it');
  } finally {
    await sys.stop();
    udp.close();
    server.close();
  }
});
