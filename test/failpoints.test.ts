import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseFailpoints } from '../src/node/failpoints.ts';

test('fail points: none unless named; known names parse; an unknown name is refused with the name and the known ones', () => {
  assert.deepEqual([...parseFailpoints(undefined)], []);
  assert.deepEqual([...parseFailpoints(' , ')], []);
  assert.deepEqual([...parseFailpoints('firewall.skip-reconcile')], ['firewall.skip-reconcile']);
  assert.throws(() => parseFailpoints('firewall.skip-reconcile,firewal.typo'), (e: Error & { code?: string }) => e.code === 'AI_ERR_CONFIG' && /"firewal\.typo".*known: firewall\.skip-reconcile/.test(e.message));
});
