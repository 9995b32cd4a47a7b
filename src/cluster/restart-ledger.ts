// Restart records of placed actors, kept in the coordinator under restarts/<actorId> so they
// follow an actor from node to node: the node that starts it seeds its supervisor with them
// (restarts shown, intensity, backoff), so a crash-looping actor does not get a fresh budget
// by being moved. Written by the node that runs the actor, one write per restart (restarts
// are rate-limited by the backoff already). Times are wall-clock ms in the coordinator and
// converted to the host clock for the supervisor.

import type { ActorSystem } from '../supervisors/actor-system.ts';
import type { LifecycleEvent } from '../supervisors/events.ts';
import type { RestartHistory } from '../supervisors/restart-policy.ts';
import type { Coordinator } from './coordinator.ts';
import type { EtcdValues, RestartRecord } from './etcd-values.ts';
import { keys } from './keys.ts';
import type { PlacementLayout } from './placement/specs.ts';

export class RestartLedger {
  writes = 0;
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly coordinator: Coordinator,
    private readonly cluster: string,
    private readonly system: ActorSystem,
    private readonly onError: (err: unknown) => void,
    private readonly values: EtcdValues,
    private readonly layout: PlacementLayout,
    /** Restart times kept per actor: enough for any intensity window in use. */
    private readonly keep = 32,
  ) {}

  /** The actor's record; undefined when there is none or it is malformed (then rewritten at its next restart). */
  private async read(actorId: string): Promise<RestartRecord | undefined> {
    const kv = await this.coordinator.get(keys.restarts(this.cluster, actorId));
    return kv ? (this.values.restarts(kv) ?? undefined) : undefined;
  }

  /**
   * The actor's restarts, on the host clock, to seed its start with; those on this node are
   * marked local (still in its supervisor's window). Undefined when it never restarted.
   */
  async history(actorId: string): Promise<RestartHistory | undefined> {
    const r = await this.read(actorId);
    if (!r) return undefined;
    const shift = this.system.clock.now() - Date.now();
    const me = this.system.nodeId;
    const nodes = r.times.map((_, i) => r.nodes?.[i] ?? '?');
    return { restarts: r.restarts, times: r.times.map((t) => t + shift), keys: r.times.map((t, i) => `${nodes[i]}@${t}`), local: nodes.map((n) => n === me) };
  }

  /** Records every restart of a placed actor this node runs (`runsHere`); returns a stop function. */
  follow(runsHere: (actorId: string) => boolean): () => void {
    const onEvent = (ev: LifecycleEvent) => {
      if (ev.type !== 'restarted') return;
      const id = this.layout.actorIdOf(ev.path);
      if (id === undefined || !runsHere(id)) return;
      const at = Date.now();
      const prev = this.chains.get(id) ?? Promise.resolve();
      const next = prev
        .then(async () => {
          const r = (await this.read(id)) ?? { restarts: 0, times: [] };
          const nodes = r.nodes && r.nodes.length === r.times.length ? r.nodes : r.times.map(() => '?');
          const record: RestartRecord = {
            restarts: Math.max(ev.restarts ?? 0, r.restarts + 1),
            times: [...r.times, at].slice(-this.keep),
            nodes: [...nodes, this.system.nodeId].slice(-this.keep),
          };
          await this.coordinator.put(keys.restarts(this.cluster, id), JSON.stringify(record));
          this.writes++;
        })
        .catch(this.onError);
      this.chains.set(id, next);
      void next.then(() => {
        if (this.chains.get(id) === next) this.chains.delete(id);
      });
    };
    this.system.lifecycle.on('lifecycle', onEvent);
    return () => this.system.lifecycle.off('lifecycle', onEvent);
  }
}
