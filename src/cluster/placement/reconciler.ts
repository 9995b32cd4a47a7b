// Makes this node run what the placement gives it: starts the actors assigned here under
// their parent supervisors, stops those assigned elsewhere (or all movable ones while the
// node is fenced), and tells the router where every placed actor is. One pass at a time;
// a change that arrives during a pass runs another pass after it.
//
// An actor that moves away is stopped after the router already points at its new owner,
// so what was still queued for it here (local sends, which are not tracked) is routed on
// to the new owner instead of being lost; tracked messages go back to their senders, who
// re-send them.

import type { ActorSystem } from '../../supervisors/actor-system.ts';
import type { ChildSpec } from '../../supervisors/child-spec.ts';
import type { DeadLetter } from '../../supervisors/events.ts';
import type { RestartHistory } from '../../supervisors/restart-policy.ts';
import type { ClusterRouter, Route } from '../../remote/cluster-router.ts';
import type { PlacementLayout } from './specs.ts';

export interface LocalActor {
  /** Path of the supervisor it runs under. */
  parent: string;
  /** Its id under that supervisor. */
  id: string;
  spec: () => ChildSpec;
  /** The placed kind it runs as: one whose placement names another kind is restarted as that. */
  kind?: string;
}

export interface PlacementEntry {
  node: string;
  epoch: number;
  /** The kind the placement names (an actor id may be placed as more than one kind). */
  kind?: string;
}

export class Reconciler {
  readonly running = new Map<string, LocalActor>();
  fenced = false;
  passes = 0;
  private latest = new Map<string, PlacementEntry>();
  private busy: Promise<void> | undefined;
  private dirty = false;
  private readonly moving = new Set<string>();
  private readonly onDeadLetter = (d: DeadLetter) => {
    if (!d.tracked && d.reason === 'stopped' && d.to.node === this.system.nodeId && this.moving.has(d.to.path)) this.router.route(d.to.path, d.message, d.priority);
  };

  constructor(
    private readonly system: ActorSystem,
    private readonly catalogue: (actorId: string, kind: string | undefined) => LocalActor | undefined,
    private readonly router: ClusterRouter,
    private readonly onError: (actorId: string, err: unknown) => void,
    /** The actor's restarts elsewhere in the cluster, to seed its start with. */
    private readonly history: (actorId: string) => Promise<RestartHistory | undefined>,
    private readonly layout: PlacementLayout,
  ) {
    system.deadLetters.on('dead-letter', this.onDeadLetter);
  }

  update(placements: Map<string, PlacementEntry>): Promise<void> {
    this.latest = placements;
    return this.kick();
  }

  /** Stops every movable actor here: this node's lease may have lapsed. */
  fence(): Promise<void> {
    this.fenced = true;
    return this.kick();
  }

  unfence(): Promise<void> {
    this.fenced = false;
    return this.kick();
  }

  /** Resolves when no pass is running or pending. */
  settled(): Promise<void> {
    return this.busy ?? Promise.resolve();
  }

  private kick(): Promise<void> {
    this.dirty = true;
    if (!this.busy) {
      this.busy = (async () => {
        while (this.dirty) {
          this.dirty = false;
          await this.pass();
        }
        this.busy = undefined;
      })();
    }
    return this.busy;
  }

  private routes(): Map<string, Route> {
    const routes = new Map<string, Route>();
    for (const [id, e] of this.latest) {
      const path = this.layout.pathOf(id);
      if (path !== undefined) routes.set(path, { node: e.node, epoch: e.epoch });
    }
    return routes;
  }

  private async pass(): Promise<void> {
    this.passes++;
    const me = this.system.nodeId;
    const want = new Map<string, LocalActor>();
    for (const [id, e] of this.latest) {
      if (e.node !== me) continue;
      const pinned = this.layout.pinnedParts(id) !== undefined;
      if (this.fenced && !pinned) continue;
      const local = this.catalogue(id, e.kind);
      if (local) want.set(id, local);
    }
    const routes = this.routes();
    if (this.fenced) for (const [path, r] of routes) if (r.node === me) routes.delete(path);
    this.router.setRoutes(routes);
    for (const [id, a] of [...this.running]) {
      if (want.has(id) && want.get(id)!.kind === a.kind) continue;
      const path = this.layout.pathOf(id) ?? `${a.parent}/${a.id}`;
      this.moving.add(path);
      try {
        await this.system.stopChild(a.parent, a.id);
      } catch (err) {
        this.onError(id, err);
      } finally {
        this.moving.delete(path);
      }
      this.running.delete(id);
    }
    for (const [id, a] of want) {
      if (this.running.has(id)) continue;
      try {
        const h = await this.history(id).catch(() => undefined);
        await this.system.startChild(a.parent, a.spec(), h);
        this.running.set(id, a);
      } catch (err) {
        this.onError(id, err);
      }
    }
    // Now that the new actors run, what waited for them goes in.
    this.router.setRoutes(routes);
  }

  close(): void {
    this.system.deadLetters.off('dead-letter', this.onDeadLetter);
  }
}
