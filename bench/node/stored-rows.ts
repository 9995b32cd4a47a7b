// The rows a node-run stored, read back from its events.duckdb (the store's benchmarks reuse a
// run's real rows: bench/node/store-thread-cpu.ts, bench/node/memory-tier-bytes.ts).
import { DuckDBInstance } from '@duckdb/node-api';
import type { EventRow } from '../../src/store/event-row.ts';

export async function storedRows(path: string): Promise<EventRow[]> {
  const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
  const conn = await instance.connect();
  const reader = await conn.runAndReadAll('SELECT id, at_ms, kind, type, source, target, country, asn, node, detector, score, detail, features, n FROM events ORDER BY id');
  const rows = reader.getRowsJS().map((v): EventRow => {
    const [id, at, kind, type, source, target, country, asn, node, detector, score, detail, features, n] = v as [bigint, bigint, EventRow['kind'], string, string, string, string | null, number | null, string, string, number, string, Uint8Array | null, bigint];
    const r: EventRow = { id: Number(id), kind, at: Number(at), type, source, target, country, asn, score, node, detector, detail };
    if (Number(n) !== 1) r.n = Number(n);
    if (features) r.features = new Float32Array(features.slice().buffer);
    return r;
  });
  conn.closeSync();
  instance.closeSync();
  return rows;
}
