// Builds short ASCII text (a row's JSON detail) in a reused byte buffer and makes one flat
// string of it at the end. Joining the same text with `+` or a template makes a rope: a cons
// string per join and a string per number, about 800 bytes of garbage for a flow row's
// 150-character detail (and the rope, kept as is by whoever holds the row, is flattened or
// copied later). Here the only allocation is the finished string.

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

export class AsciiWriter {
  private buf: Buffer;
  private at = 0;

  constructor(capacity = 512) {
    this.buf = Buffer.allocUnsafe(capacity);
  }

  /** Starts a new text (whatever was written and not taken is dropped). */
  reset(): this {
    this.at = 0;
    return this;
  }

  /** Appends `s`, which must be ASCII (each char code below 128). */
  text(s: string): this {
    const n = s.length;
    this.room(n);
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < n; i++) b[at++] = s.charCodeAt(i);
    this.at = at;
    return this;
  }

  /** Appends a number as String() and JSON spell it; anything not finite as `null` (JSON's spelling). */
  number(v: number): this {
    if (!Number.isFinite(v)) return this.text('null');
    if (!Number.isInteger(v) || v > MAX_SAFE || v < -MAX_SAFE) return this.text(String(v));
    this.room(17);
    const b = this.buf;
    if (v < 0) {
      b[this.at++] = 45; // '-'
      v = -v;
    }
    // digits from the right, then in place
    let end = this.at;
    do {
      const q = Math.floor(v / 10);
      b[end++] = 48 + (v - q * 10);
      v = q;
    } while (v > 0);
    for (let i = this.at, j = end - 1; i < j; i++, j--) {
      const c = b[i]!;
      b[i] = b[j]!;
      b[j] = c;
    }
    this.at = end;
    return this;
  }

  /** The text written since reset(), as one flat string. */
  take(): string {
    return this.buf.toString('latin1', 0, this.at);
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(grown, 0, 0, this.at);
    this.buf = grown;
  }
}
