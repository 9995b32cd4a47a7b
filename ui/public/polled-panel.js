// A panel read from the API every few seconds while the tab is visible (feeds, bouncers, the
// protected set): a
// table body, a count in its heading and an empty-state text that also says what went wrong.
// A subclass's load() reads and calls show(rows, count, emptyText) or say(text).

import { setText, toggleEmpty } from './dom.js';

export class PolledPanel {
  /** now(): the server's clock as best known; refreshMs: how often to read. */
  constructor(tbody, count, empty, now, refreshMs = 10_000) {
    this.tbody = tbody;
    this.count = count;
    this.empty = empty;
    this.now = now;
    this.refreshMs = refreshMs;
  }

  start() {
    void this.load();
    setInterval(() => {
      if (!document.hidden) void this.load();
    }, this.refreshMs);
  }

  /** The rows, the heading's count, and what the panel says when there are none. */
  show(rows, count, emptyText) {
    setText(this.count, count);
    setText(this.empty, emptyText);
    toggleEmpty(this.empty, this.tbody.parentElement, rows.length === 0);
    this.tbody.replaceChildren(...rows);
  }

  /** No rows, and why. */
  say(text) {
    this.show([], '', text);
  }
}
