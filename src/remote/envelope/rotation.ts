// The leader's key rotation plan: pure apart from drawing new key material. The leader writes
// the created key under the key prefix and deletes the retired ones; every node's KeyRing
// follows the prefix.
//
// Two waits make a rotation safe while messages are in flight:
// - a new key is distributed `activateAfterMs` before anyone seals with it, so every node
//   holds it (can open) before any node uses it (seals);
// - a replaced key is kept `maxMessageAgeMs` after its successor activated, so whatever was
//   sealed with it in its last moments still opens on arrival.
import { ConfigError } from '../../errors.ts';
import { type EnvelopeKey, compareKeys, createKey } from './envelope-key.ts';

export interface RotationOptions {
  /** How long a key seals before a new one takes over. */
  rotateEveryMs: number;
  /**
   * How long after its creation a key activates: at least the time the key set takes to
   * reach every node (a watch's propagation bound) plus the clock skew between nodes.
   */
  activateAfterMs: number;
  /**
   * How long a message may be on its way, counted from its sealing to its opening,
   * retransmissions and clock skew included: a replaced key is kept this long.
   */
  maxMessageAgeMs: number;
}

export interface RotationPlan {
  /** A key to distribute now; it activates at its activatesAt and then becomes the sealing key. */
  create?: EnvelopeKey;
  /** Ids of keys no message in flight can still be sealed with: delete them. */
  retire: string[];
  /** The key nodes seal with at `now`; undefined until the first key activates. */
  current: string | undefined;
}

export function planRotation(keys: readonly EnvelopeKey[], now: number, options: RotationOptions): RotationPlan {
  checkOptions(options);
  const sorted = [...keys].sort(compareKeys);
  let current: EnvelopeKey | undefined;
  let pending = false;
  const retire: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const k = sorted[i]!;
    if (k.activatesAt > now) {
      pending = true;
      continue;
    }
    current = k;
    // A key stopped sealing when the next one activated: once no message sealed before that
    // can still be in flight, nobody needs it.
    const successor = sorted[i + 1];
    if (successor !== undefined && successor.activatesAt <= now && now >= successor.activatesAt + options.maxMessageAgeMs) retire.push(k.id);
  }
  const plan: RotationPlan = { retire, current: current?.id };
  // One rotation at a time: while a key waits for its activation no other is made.
  if (!pending && (current === undefined || now - current.activatesAt >= options.rotateEveryMs)) {
    plan.create = createKey(now, now + options.activateAfterMs, new Set(keys.map((k) => k.id)));
  }
  return plan;
}

function checkOptions(o: RotationOptions): void {
  for (const [name, v, min] of [
    ['rotateEveryMs', o.rotateEveryMs, 1],
    ['activateAfterMs', o.activateAfterMs, 0],
    ['maxMessageAgeMs', o.maxMessageAgeMs, 0],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
      throw new ConfigError(`envelope rotation ${name} ${JSON.stringify(v)} is not a finite number of ms of at least ${min}`);
    }
  }
}
