// The order in which queued messages go on the wire: highest priority first, first-in first-out
// within a priority. It matters when the socket was blocked and a backlog formed: a ban decision
// should not wait behind a thousand packet batches. Pure.

interface Level<T> {
  priority: number;
  items: T[];
  head: number;
}

export class SendQueue<T extends { readonly priority: number }> {
  /** Highest priority first. */
  #levels: Level<T>[] = [];
  #length = 0;

  /** Items queued, including ones the caller may skip as no longer wanted. */
  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    let level: Level<T> | undefined;
    let i = 0;
    for (; i < this.#levels.length; i++) {
      const l = this.#levels[i]!;
      if (l.priority === item.priority) {
        level = l;
        break;
      }
      if (l.priority < item.priority) break;
    }
    if (!level) {
      level = { priority: item.priority, items: [], head: 0 };
      this.#levels.splice(i, 0, level);
    }
    level.items.push(item);
    this.#length++;
  }

  shift(): T | undefined {
    for (const level of this.#levels) {
      if (level.head < level.items.length) {
        const item = level.items[level.head]!;
        level.items[level.head++] = undefined as unknown as T; // let the item be collected
        this.#length--;
        if (level.head === level.items.length) {
          level.items.length = 0;
          level.head = 0;
        } else if (level.head >= 1024 && level.head * 2 >= level.items.length) {
          level.items.splice(0, level.head);
          level.head = 0;
        }
        return item;
      }
    }
    return undefined;
  }

  clear(): void {
    this.#levels = [];
    this.#length = 0;
  }
}
