// A local copy of everything under a key prefix, kept current the way DESIGN.md asks: list,
// then watch from the list's revision; when the watch's revision was compacted away, list
// again. Listeners get the whole map after every change (placement and membership are small).

import type { Coordinator, KeyValue } from './coordinator.ts';

export type MirrorListener = (items: ReadonlyMap<string, KeyValue>, revision: number) => void;

export class PrefixMirror {
  readonly items = new Map<string, KeyValue>();
  revision = 0;
  relists = 0;
  private stopWatch: (() => void) | undefined;
  private readonly listeners = new Set<MirrorListener>();
  private closed = false;

  constructor(
    private readonly coordinator: Coordinator,
    readonly prefix: string,
    /** Where list errors go while retrying (the coordinator may be briefly unavailable). */
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  /** Resolves after the first list. */
  async start(): Promise<void> {
    await this.relist();
  }

  on(listener: MirrorListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async relist(): Promise<void> {
    for (let delay = 100; !this.closed; delay = Math.min(delay * 2, 2000)) {
      try {
        const { items, revision } = await this.coordinator.list(this.prefix);
        if (this.closed) return;
        this.items.clear();
        for (const kv of items) this.items.set(kv.key, kv);
        this.revision = revision;
        this.stopWatch?.();
        this.stopWatch = this.coordinator.watch(
          this.prefix,
          revision,
          (ev) => {
            if (ev.type === 'put') this.items.set(ev.key, { key: ev.key, value: ev.value ?? '', revision: ev.revision });
            else this.items.delete(ev.key);
            this.revision = Math.max(this.revision, ev.revision);
            this.emit();
          },
          () => {
            this.relists++;
            void this.relist();
          },
        );
        this.emit();
        return;
      } catch (err) {
        this.onError(err);
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  }

  private emit(): void {
    for (const l of this.listeners) l(this.items, this.revision);
  }

  close(): void {
    this.closed = true;
    this.stopWatch?.();
    this.listeners.clear();
  }
}
