// How the monkey's observer tells a firewall that differs from the registry from a reading that
// merely straddled a ban's end: the firewalls are read between two reads of the registry.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { differences, type Reading } from '../chaos/observer.ts';

const reading = (before: string[], fw: Record<string, string[]>, after: string[]): Reading => ({
  at: 0,
  health: new Map(),
  firewalls: new Map(Object.entries(fw).map(([k, v]) => [k, new Set(v)])),
  registryBefore: new Set(before),
  registry: new Set(after),
});

test('a ban that ran out, or was made, while the firewalls were read is no difference', () => {
  // 10.0.0.1 ran out between the reads (the firewalls still had it); 10.0.0.2 was made (they had not yet).
  const d = differences(reading(['198.51.100.77', '10.0.0.1'], { n1: ['198.51.100.77', '10.0.0.1'], n2: ['198.51.100.77'] }, ['198.51.100.77', '10.0.0.2']));
  assert.deepEqual(d.get('n1'), { extra: [], missing: [] });
  assert.deepEqual(d.get('n2'), { extra: [], missing: [] });
});

test('a ban both registry reads lack is extra; one both have is missing', () => {
  const d = differences(reading(['198.51.100.77'], { n1: ['198.51.100.77', '10.0.0.9'], n2: [] }, ['198.51.100.77']));
  assert.deepEqual(d.get('n1'), { extra: ['10.0.0.9'], missing: [] });
  assert.deepEqual(d.get('n2'), { extra: [], missing: ['198.51.100.77'] });
});

test('without a registry read nothing is judged', () => {
  assert.equal(differences({ at: 0, health: new Map(), firewalls: new Map([['n1', new Set(['10.0.0.1'])]]), registry: undefined, registryBefore: undefined }).size, 0);
});
