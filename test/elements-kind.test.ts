// Arrays made in their final elements kind (src/util/elements-kind.ts): an empty one has the
// map a used one has, so code optimised on the warm-up's used tables fits the real tables'
// empty ones (no "wrong map" deoptimisation on the first real packets). Maps are compared with
// V8's own %HaveSameMap.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import v8 from 'node:v8';
import { FlowTable } from '../src/detect/flow-table.ts';
import { holeyObjects, packedObjects } from '../src/util/elements-kind.ts';

v8.setFlagsFromString('--allow-natives-syntax');
const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: unknown, b: unknown) => boolean;

test('an empty holey array has the map of one holding strings and objects by slot; a plain [] does not', () => {
  const used = holeyObjects<unknown>();
  used[7] = '2001:db8::1';
  used[2] = { open: true };
  used[7] = undefined;
  assert.ok(sameMap(holeyObjects(), used));
  const plainUsed: unknown[] = [];
  plainUsed[7] = '2001:db8::1';
  assert.ok(!sameMap([], plainUsed), 'a plain [] moves to another map once used (what the helper avoids)');
});

test('an empty packed array has the map of a stack of buffers after push and pop', () => {
  const used = packedObjects<Float64Array>();
  used.push(new Float64Array(4), new Float64Array(4));
  used.pop();
  assert.ok(sameMap(packedObjects<Float64Array>(), used));
  const plainUsed: Float64Array[] = [];
  plainUsed.push(new Float64Array(4));
  assert.ok(!sameMap([], plainUsed));
});

test("a flow table's IPv6 texts: a new table's array has the map of a table that stored and dropped some", () => {
  const used = new FlowTable(64);
  const s = used.insert('2001:db8::1', '2001:db8::2', 1, 2);
  used.insert(0x0a000001, 0x0a000002, 3, 4);
  assert.ok(s >= 0);
  const fresh = new FlowTable(64);
  const strA = (t: FlowTable) => (t as unknown as { strA: unknown[] }).strA;
  assert.ok(sameMap(strA(fresh), strA(used)));
});
