// A newest-first list of at most `kept` elements that grows only at the top. Items wait in a
// queue (itself capped, so a hidden tab that gets no animation frames does not pile them up)
// and go into the page in one batch per frame; elements that fall off the end are removed.
// Nothing already shown is rebuilt.

export class CappedList {
  /**
   * container: the parent element; make(item) → element; key(item) → string or undefined:
   * items with a key already shown are skipped.
   */
  constructor(container, kept, make, key = () => undefined) {
    this.container = container;
    this.kept = kept;
    this.make = make;
    this.key = key;
    /** Shown, oldest first: { item, el, key }. */
    this.rows = [];
    this.keys = new Map();
    this.pending = [];
    this.cleared = false;
  }

  /** Starts over with these items (oldest first). */
  reset(items) {
    this.pending = items.slice(-this.kept);
    this.cleared = true;
  }

  /** Adds items, oldest first. */
  add(items) {
    for (const it of items) this.pending.push(it);
    if (this.pending.length > this.kept) this.pending.splice(0, this.pending.length - this.kept);
  }

  get dirty() {
    return this.cleared || this.pending.length > 0;
  }

  get size() {
    return this.rows.length;
  }

  /** The shown row of a key. */
  get(key) {
    return this.keys.get(key);
  }

  render() {
    if (this.cleared) {
      this.container.replaceChildren();
      this.rows = [];
      this.keys.clear();
      this.cleared = false;
    }
    if (this.pending.length === 0) return;
    const fresh = [];
    for (const item of this.pending) {
      if (item === null || typeof item !== 'object') continue;
      const key = this.key(item);
      if (key !== undefined && this.keys.has(key)) continue;
      const row = { item, el: this.make(item), key };
      if (key !== undefined) this.keys.set(key, row);
      fresh.push(row);
    }
    this.pending = [];
    const frag = document.createDocumentFragment();
    for (let i = fresh.length - 1; i >= 0; i--) frag.append(fresh[i].el);
    this.container.prepend(frag);
    for (const row of fresh) this.rows.push(row);
    const excess = this.rows.length - this.kept;
    if (excess > 0) {
      for (const row of this.rows.splice(0, excess)) {
        row.el.remove();
        if (row.key !== undefined) this.keys.delete(row.key);
      }
    }
  }
}
