import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { type EnvelopeKey, decodeKey, encodeKey } from '../src/remote/envelope/envelope-key.ts';
import { EnvelopeAuthError, EnvelopeError, EnvelopeFormatError, EnvelopeKeyError, EnvelopeNoKeyError, EnvelopeUnknownKeyError } from '../src/remote/envelope/errors.ts';
import { KeyRing } from '../src/remote/envelope/key-ring.ts';
import { type RotationOptions, planRotation } from '../src/remote/envelope/rotation.ts';
import { ConfigError } from '../src/errors.ts';
import { mulberry32 } from '../devkit/prng.ts';

const key = (id: string, activatesAt = 0, createdAt = activatesAt): EnvelopeKey => ({ id, key: randomBytes(32), createdAt, activatesAt });
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function isCode(code: string, cls: abstract new (...args: never[]) => EnvelopeError) {
  return (e: unknown): boolean => e instanceof cls && e.code === code;
}

test('seal then open returns the plaintext, for empty, small, large and offset inputs', () => {
  const ring = new KeyRing([key('k1')]);
  const big = randomBytes(32 * 1024);
  const arena = new Uint8Array(100);
  arena.set(text('inside an arena'), 40);
  for (const plain of [new Uint8Array(0), text('x'), text('a batch of packets'), big, arena.subarray(40, 55)]) {
    const sealed = ring.seal(plain);
    assert.equal(sealed.length, 2 + 2 + 12 + plain.length + 16);
    assert.deepEqual(Buffer.from(ring.open(sealed)), Buffer.from(plain));
  }
  // Random IVs: the same plaintext seals differently each time.
  assert.notDeepEqual(Buffer.from(ring.seal(text('same'))), Buffer.from(ring.seal(text('same'))));
});

test('another node holding the same key set opens what this one seals', () => {
  const keys = [key('aa11bb22')];
  const a = new KeyRing(keys);
  const b = new KeyRing(keys.map((k) => decodeKey(encodeKey(k))));
  assert.equal(Buffer.from(b.open(a.seal(text('hello')))).toString(), 'hello');
});

test('flipping any bit of a frame is detected: header bits as format or unknown key, the rest as failed authentication', () => {
  const ring = new KeyRing([key('k1')]);
  const sealed = Buffer.from(ring.seal(text('twenty bytes of data')));
  const headerEnd = 2 + 2;
  for (let bit = 0; bit < sealed.length * 8; bit++) {
    const bad = Buffer.from(sealed);
    bad[bit >> 3]! ^= 1 << (bit & 7);
    const byte = bit >> 3;
    const expected =
      byte === 0 ? isCode('AI_ERR_ENVELOPE_FORMAT', EnvelopeFormatError)
      : byte === 1 ? (e: unknown) => e instanceof EnvelopeFormatError || e instanceof EnvelopeUnknownKeyError
      : byte < headerEnd ? isCode('AI_ERR_ENVELOPE_UNKNOWN_KEY', EnvelopeUnknownKeyError)
      : isCode('AI_ERR_ENVELOPE_AUTH', EnvelopeAuthError);
    assert.throws(() => ring.open(bad), expected, `bit ${bit} (byte ${byte})`);
  }
});

test('every truncation is refused', () => {
  const ring = new KeyRing([key('k1')]);
  const sealed = ring.seal(text('some payload'));
  for (let n = 0; n < sealed.length; n++) {
    assert.throws(() => ring.open(sealed.subarray(0, n)), (e: unknown) => e instanceof EnvelopeFormatError || e instanceof EnvelopeAuthError, `cut to ${n} bytes`);
  }
  assert.throws(() => ring.open(sealed.subarray(0, 29)), isCode('AI_ERR_ENVELOPE_FORMAT', EnvelopeFormatError));
});

test('a frame under a key id the ring does not hold is refused, naming the id', () => {
  const sender = new KeyRing([key('gone')]);
  const receiver = new KeyRing([key('here')]);
  assert.throws(
    () => receiver.open(sender.seal(text('x'))),
    (e: unknown) => e instanceof EnvelopeUnknownKeyError && e.keyId === 'gone' && /"gone".*holds "here"/.test(e.message),
  );
});

test('rewriting the key id to another held key fails authentication, even when both ids name the same key material', () => {
  const material = randomBytes(32);
  const sameMaterial = new KeyRing([
    { id: 'kA', key: material, createdAt: 0, activatesAt: 0 },
    { id: 'kB', key: material, createdAt: 0, activatesAt: 1 },
  ]);
  const sealed = Buffer.from(sameMaterial.seal(text('payload')));
  assert.equal(sealed.subarray(2, 4).toString(), 'kB');
  sealed.write('kA', 2, 'latin1');
  // The key alone would decrypt: only the id in the authenticated data catches the swap.
  assert.throws(() => sameMaterial.open(sealed), (e: unknown) => e instanceof EnvelopeAuthError && e.keyId === 'kA');

  const twoKeys = new KeyRing([key('kA', 0), key('kB', 1)]);
  const other = Buffer.from(twoKeys.seal(text('payload')));
  other.write('kA', 2, 'latin1');
  assert.throws(() => twoKeys.open(other), isCode('AI_ERR_ENVELOPE_AUTH', EnvelopeAuthError));
});

test('the current key is the newest active one, re-chosen as the clock passes an activation', () => {
  let now = 1000;
  const ring = new KeyRing([key('old', 0), key('mid', 500), key('next', 2000), key('later', 5000)], { now: () => now });
  assert.equal(ring.currentKeyId(), 'mid');
  const early = ring.seal(text('a'));
  now = 2000;
  assert.equal(ring.currentKeyId(), 'next');
  const sealedNext = Buffer.from(ring.seal(text('b')));
  assert.equal(sealedNext.subarray(2, 6).toString(), 'next');
  now = 9000;
  assert.equal(ring.currentKeyId(), 'later');
  // Still opens what was sealed under the older keys it holds.
  assert.equal(Buffer.from(ring.open(early)).toString(), 'a');
});

test('a node that receives a pending key opens frames sealed with it by a node whose clock has reached it', () => {
  const keys = [key('k0', 0), key('k1', 100)];
  const behind = new KeyRing(keys, { now: () => 50 });
  const ahead = new KeyRing(keys, { now: () => 150 });
  assert.equal(behind.currentKeyId(), 'k0');
  assert.equal(ahead.currentKeyId(), 'k1');
  assert.equal(Buffer.from(behind.open(ahead.seal(text('early bird')))).toString(), 'early bird');
});

test('sealing with no active key is refused, saying when one activates', () => {
  assert.throws(() => new KeyRing([]).seal(text('x')), (e: unknown) => e instanceof EnvelopeNoKeyError && e.code === 'AI_ERR_ENVELOPE_NO_KEY' && /none pending/.test(e.message));
  let now = 0;
  const ring = new KeyRing([key('first', 1000)], { now: () => now });
  assert.throws(() => ring.seal(text('x')), (e: unknown) => e instanceof EnvelopeNoKeyError && /1970-01-01T00:00:01.000Z/.test(e.message));
  now = 1000;
  assert.equal(Buffer.from(ring.open(ring.seal(text('x')))).toString(), 'x');
});

test('setKeys replaces the set: a dropped key no longer opens, a duplicate id or bad key is refused', () => {
  const k1 = key('k1', 0);
  const k2 = key('k2', 10);
  const ring = new KeyRing([k1], { now: () => 20 });
  const underK1 = ring.seal(text('x'));
  ring.setKeys([k1, k2]);
  assert.equal(ring.currentKeyId(), 'k2');
  ring.setKeys([k2]);
  assert.throws(() => ring.open(underK1), isCode('AI_ERR_ENVELOPE_UNKNOWN_KEY', EnvelopeUnknownKeyError));
  assert.throws(() => ring.setKeys([k2, { ...k1, id: 'k2' }]), (e: unknown) => e instanceof EnvelopeKeyError && /"k2" appears twice/.test(e.message));
  assert.throws(() => ring.setKeys([{ ...k1, key: randomBytes(16) }]), (e: unknown) => e instanceof EnvelopeKeyError && /16 bytes/.test(e.message));
  // A refused set leaves the previous one in place.
  assert.equal(ring.currentKeyId(), 'k2');
});

test('a frame of another version is refused as a format error', () => {
  const ring = new KeyRing([key('k1')]);
  const sealed = Buffer.from(ring.seal(text('x')));
  sealed[0] = 2;
  assert.throws(() => ring.open(sealed), (e: unknown) => e instanceof EnvelopeFormatError && /version 2/.test(e.message));
});

test('encodeKey and decodeKey round-trip, and bad stored values are named', () => {
  const k = key('c0ffee00', 2000, 1000);
  const s = encodeKey(k);
  const back = decodeKey(s);
  assert.deepEqual(back, k);
  const badText = (stored: string, pattern: RegExp): void => {
    assert.throws(() => decodeKey(stored), (e: unknown) => e instanceof EnvelopeKeyError && e.code === 'AI_ERR_ENVELOPE_KEY' && pattern.test(e.message), pattern.source);
  };
  const bad = (mutate: (o: Record<string, unknown>) => void, pattern: RegExp): void => {
    const o = JSON.parse(s) as Record<string, unknown>;
    mutate(o);
    badText(JSON.stringify(o), pattern);
  };
  badText('{not json', /\(9 characters\) is not JSON/);
  badText('[1]', /is an array, not a JSON object/);
  badText('null', /is null, not a JSON object/);
  bad((o) => void (o.id = 'has space'), /id "has space" is not 1 to 64 characters/);
  bad((o) => void delete o.id, /id undefined/);
  bad((o) => void (o.key = randomBytes(31).toString('base64')), /"c0ffee00" has 31 bytes of key material; AES-256 needs exactly 32/);
  bad((o) => void (o.key = 'not*base64'), /key field of 10 characters that are not padded base64/);
  bad((o) => void (o.key = 42), /key field of number/);
  bad((o) => void (o.createdAt = -5), /createdAt -5/);
  bad((o) => void (o.activatesAt = 'soon'), /activatesAt "soon"/);
  bad((o) => void delete o.activatesAt, /activatesAt undefined/);
  // The key material never appears in a message.
  try {
    decodeKey(JSON.stringify({ ...JSON.parse(s), createdAt: 'x' }));
  } catch (e) {
    assert.ok(!(e as Error).message.includes(k.key.toString('base64')));
  }
  assert.throws(() => encodeKey({ ...k, key: Buffer.alloc(8) }), EnvelopeKeyError);
});

const ROTATION: RotationOptions = { rotateEveryMs: 10_000, activateAfterMs: 2_000, maxMessageAgeMs: 3_000 };

test('planRotation: first key, waiting, rotating, retiring', () => {
  const first = planRotation([], 0, ROTATION);
  assert.ok(first.create);
  assert.equal(first.create.activatesAt, 2_000);
  assert.equal(first.create.createdAt, 0);
  assert.equal(first.create.key.length, 32);
  assert.match(first.create.id, /^[0-9a-f]{8}$/);
  assert.equal(first.current, undefined);
  const k1 = first.create;
  // Pending: nothing else is created meanwhile.
  assert.deepEqual(planRotation([k1], 1_000, ROTATION), { retire: [], current: undefined });
  assert.deepEqual(planRotation([k1], 2_000, ROTATION), { retire: [], current: k1.id });
  assert.equal(planRotation([k1], 11_999, ROTATION).create, undefined);
  const rotate = planRotation([k1], 12_000, ROTATION);
  assert.ok(rotate.create);
  assert.equal(rotate.create.activatesAt, 14_000);
  assert.notEqual(rotate.create.id, k1.id);
  const k2 = rotate.create;
  // k1 stays current until k2 activates, then is kept maxMessageAgeMs more.
  assert.deepEqual(planRotation([k1, k2], 13_999, ROTATION), { retire: [], current: k1.id });
  assert.deepEqual(planRotation([k2, k1], 14_000, ROTATION), { retire: [], current: k2.id });
  assert.deepEqual(planRotation([k1, k2], 16_999, ROTATION), { retire: [], current: k2.id });
  assert.deepEqual(planRotation([k1, k2], 17_000, ROTATION), { retire: [k1.id], current: k2.id });
  assert.throws(() => planRotation([], 0, { ...ROTATION, rotateEveryMs: 0 }), (e: unknown) => e instanceof ConfigError && /rotateEveryMs 0/.test(e.message));
  assert.throws(() => planRotation([], 0, { ...ROTATION, maxMessageAgeMs: Number.NaN }), (e: unknown) => e instanceof ConfigError && /maxMessageAgeMs null/.test(e.message));
});

interface SimResult {
  opened: number;
  failures: string[];
  created: number;
  retired: number;
  /** A frame sealed by node 0 early on, under a key retired since. */
  early: Uint8Array;
  rings: KeyRing[];
  noKeyAfterStart: number;
}

/**
 * Three nodes, a leader planning every 500 ms, a key set that reaches node i `watchDelayMs[i]`
 * after the leader writes it, and messages between every pair that take up to
 * `messageDelayMs` to arrive. Time advances in 100 ms steps.
 */
function simulate(plan: RotationOptions, watchDelayMs: number[], messageDelayMs: number, seed: number): SimResult {
  let now = 0;
  const clock = (): number => now;
  const rings = watchDelayMs.map(() => new KeyRing([], { now: clock }));
  const etcd = new Map<string, string>(); // key id → stored form
  const updates: Array<{ at: number; node: number; stored: string[] }> = [];
  const inFlight: Array<{ at: number; to: number; frame: Uint8Array; body: string }> = [];
  const rand = mulberry32(seed);
  const result: SimResult = { opened: 0, failures: [], created: 0, retired: 0, early: new Uint8Array(0), rings, noKeyAfterStart: 0 };
  const firstActivation = plan.activateAfterMs;
  for (now = 0; now <= 120_000; now += 100) {
    if (now % 500 === 0) {
      const p = planRotation([...etcd.values()].map(decodeKey), now, plan);
      if (p.create) {
        etcd.set(p.create.id, encodeKey(p.create));
        result.created++;
      }
      for (const id of p.retire) etcd.delete(id);
      result.retired += p.retire.length;
      if (p.create || p.retire.length > 0) watchDelayMs.forEach((d, node) => updates.push({ at: now + d, node, stored: [...etcd.values()] }));
    }
    for (const u of updates.filter((u) => u.at <= now)) rings[u.node]!.setKeys(u.stored.map(decodeKey));
    updates.splice(0, updates.length, ...updates.filter((u) => u.at > now));
    for (const m of inFlight.filter((m) => m.at <= now)) {
      try {
        assert.equal(Buffer.from(rings[m.to]!.open(m.frame)).toString(), m.body);
        result.opened++;
      } catch (e) {
        result.failures.push(`t=${now} to node ${m.to}: ${(e as Error).message}`);
      }
    }
    inFlight.splice(0, inFlight.length, ...inFlight.filter((m) => m.at > now));
    for (let from = 0; from < rings.length; from++) {
      for (let to = 0; to < rings.length; to++) {
        if (to === from) continue;
        const body = `${from}→${to} at ${now}`;
        let frame: Uint8Array;
        try {
          frame = rings[from]!.seal(text(body));
        } catch (e) {
          if (!(e instanceof EnvelopeNoKeyError)) throw e;
          if (now >= firstActivation) result.noKeyAfterStart++;
          continue;
        }
        if (from === 0 && result.early.length === 0) result.early = frame;
        inFlight.push({ at: now + Math.floor(((rand() % 1000) / 999) * messageDelayMs), to, frame, body });
      }
    }
  }
  return result;
}

test('rotation across three nodes that learn of keys at different times: every message opens everywhere', () => {
  const r = simulate(ROTATION, [0, 800, 1_900], ROTATION.maxMessageAgeMs, 1);
  assert.deepEqual(r.failures.slice(0, 5), []);
  assert.equal(r.noKeyAfterStart, 0);
  // About one rotation per 12.5 s over two minutes, each replaced key retired.
  assert.ok(r.created >= 8, `${r.created} keys created`);
  assert.ok(r.retired >= r.created - 2, `${r.retired} of ${r.created} keys retired`);
  assert.ok(r.opened > 6 * 1000, `${r.opened} messages opened`);
  // Each node ends holding at most the current key, a pending one and one being kept.
  for (const ring of r.rings) assert.ok(ring.keyIds().length <= 3, `holds ${ring.keyIds().join(',')}`);
  // What was sealed under a key retired since no longer opens anywhere.
  for (const ring of r.rings) assert.throws(() => ring.open(r.early), isCode('AI_ERR_ENVELOPE_UNKNOWN_KEY', EnvelopeUnknownKeyError));
});

test('the same schedule fails without the activation wait or with too short a retention: the two waits are what make it safe', () => {
  const noWait = simulate({ ...ROTATION, activateAfterMs: 0 }, [0, 800, 1_900], ROTATION.maxMessageAgeMs, 2);
  assert.ok(noWait.failures.length > 0, 'sealing with a key before every node held it went unnoticed');
  assert.ok(noWait.failures.every((f) => /does not hold/.test(f)));
  // Not only at start-up: at rotations too, while the slow node has not heard of the new key.
  assert.ok(noWait.failures.some((f) => Number(/^t=(\d+)/.exec(f)![1]) > 10_000), 'failures only at start-up');
  const shortRetention = simulate({ ...ROTATION, maxMessageAgeMs: 300 }, [0, 0, 0], ROTATION.maxMessageAgeMs, 3);
  assert.ok(shortRetention.failures.length > 0, 'retiring keys while messages under them were in flight went unnoticed');
});
