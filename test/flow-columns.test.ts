// Flow summaries as columns (src/shards/flow-columns.ts), the form a shard thread posts them
// in: what a real flow meter ends on real captures (sessions, a spoofed SYN flood's attempt
// aggregates, unanswered SYN-ACKs counted under their service port) and records with GeoIP,
// sent through a real MessageChannel with the numbers transferred, come back field by field
// equal, absent optional fields still absent.

import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { FlowMeter } from '../src/detect/flow-meter.ts';
import type { FlowRecord } from '../src/detect/flow-record.ts';
import { readCaptureSync } from '../src/net/pcap-file.ts';
import { PacketBatch } from '../src/net/packet-batch.ts';
import { decodeFlows, encodeFlows, type FlowColumns } from '../src/shards/flow-columns.ts';

const PCAP = fileURLToPath(new URL('../../shared/data/pcap/', import.meta.url));

function meterCaptures(files: string[]): FlowRecord[] {
  const meter = new FlowMeter({ attempts: { slotS: 60, maxPackets: 3 } });
  const records: FlowRecord[] = [];
  for (const file of files) {
    readCaptureSync(join(PCAP, file), (b: PacketBatch) => {
      meter.observe({ shard: 0, packets: b, features: new Float64Array(0), featureCount: 0, geo: null }, null, 0.5, records);
      meter.expire(meter.clock, records);
    });
  }
  meter.flushAll(records);
  return records;
}

function throughChannel(c: FlowColumns): FlowColumns {
  const { port1, port2 } = new MessageChannel();
  port1.postMessage(c, [c.numbers.buffer as ArrayBuffer]);
  const got = receiveMessageOnPort(port2)!.message as FlowColumns;
  port1.close();
  return got;
}

test("flow records posted as columns come back equal, field by field, and the numbers' buffer is transferred", () => {
  const metered = meterCaptures(['D05_benign_kali-normal-ssh.pcap', 'D12_flood_pkt.TCP.synflood.spoofed.pcap', 'D14_flood_amp.TCP.reflection.SYNACK.pcap']);
  const geo: FlowRecord[] = [
    { ...metered[0]!, country: 'DE', asn: 3320, end: 'active' },
    { ...metered[0]!, country: 'US', asn: null, end: 'evicted', servicePort: 443 },
    { ...metered[0]!, country: null, asn: 0, end: 'rst', bytes: 2 ** 40 + 3, firstTs: 1_700_000_000.123456 },
  ];
  const records = [...metered, ...geo];
  assert.ok(records.some((r) => r.attempts) && records.some((r) => !r.attempts), 'attempt aggregates and flows of their own');
  assert.ok(records.some((r) => r.servicePort !== undefined), 'replies counted under their service port');
  assert.ok(new Set(records.map((r) => r.end)).size >= 5, 'several kinds of end');

  const columns = encodeFlows(records);
  const got = throughChannel(columns);
  assert.equal(columns.numbers.byteLength, 0, 'the numbers were transferred, not copied');
  const back = decodeFlows(got);
  assert.deepEqual(back, records);
  for (let i = 0; i < records.length; i++) {
    assert.equal('servicePort' in back[i]!, 'servicePort' in records[i]!);
    assert.equal('attempts' in back[i]!, 'attempts' in records[i]!);
  }
  assert.deepEqual(decodeFlows(encodeFlows([])), []);
});
