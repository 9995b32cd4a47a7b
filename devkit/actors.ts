// Behaviours for supervision tests: workers that record what each incarnation handled and
import { ActorSystem, type ActorSystemOptions } from '../src/supervisors/actor-system.ts';
// fail on request.

import type { WorkerBehavior, WorkerSpec } from '../src/supervisors/child-spec.ts';
import type { MailboxOptions } from '../src/supervisors/mailbox.ts';
import type { RestartType } from '../src/supervisors/restart-policy.ts';

export interface Handled {
  path: string;
  incarnation: number;
  msg: unknown;
}

export const BOOM = 'boom';
export const EXIT = 'exit';

/** A worker that logs every message with its incarnation, throws on BOOM, exits on EXIT. */
export function recorder(
  id: string,
  log: Handled[],
  opts: { restart?: RestartType; mailbox?: MailboxOptions; shutdownMs?: number; slow?: () => Promise<void> } = {},
): WorkerSpec {
  return {
    type: 'worker',
    id,
    restart: opts.restart,
    mailbox: opts.mailbox,
    shutdownMs: opts.shutdownMs,
    start: (): WorkerBehavior<null, unknown> => ({
      kind: 'recorder',
      init: () => null,
      async handle(state, msg, ctx) {
        if (opts.slow) await opts.slow();
        if (msg === BOOM) throw new Error(`boom in ${ctx.path}`);
        log.push({ path: ctx.path, incarnation: ctx.incarnation, msg });
        if (msg === EXIT) ctx.stop();
        return state;
      },
    }),
  };
}

/** A deferred gate: `wait()` blocks until `open()`. */
export function gate(): { wait: () => Promise<void>; open: () => void } {
  let release!: () => void;
  let p = new Promise<void>((r) => (release = r));
  return {
    wait: () => p,
    open: () => {
      release();
      p = Promise.resolve();
    },
  };
}

/** A node for supervision tests: no rate timer, and a root give-up that is recorded, not an exit. */
export function testSystem(root: ActorSystemOptions['root'], options: Partial<ActorSystemOptions> = {}): ActorSystem & { gaveUpWith: Error[] } {
  const gaveUpWith: Error[] = [];
  const sys = new ActorSystem({ nodeId: 't', rateIntervalMs: 0, onRootGaveUp: (e) => gaveUpWith.push(e), ...options, root });
  return Object.assign(sys, { gaveUpWith });
}
