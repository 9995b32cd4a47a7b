// Capture files as a packet source, one after the other, as fast as possible or paced at
// their original timing (scaled by a speed factor). It can resume after `skip` packets, so
// a capture actor restarted mid-file neither loses nor repeats packets.

import { DecodeStats } from './decode-stats.ts';
import { PacketBatch } from './packet-batch.ts';
import { CaptureFileReader } from './pcap-file.ts';
import type { PacketSource, SourceStats } from './packet-source.ts';

/** 0 = as fast as possible; otherwise the speed-up over the recorded timing. */
export type ReplaySpeed = number;

export function parseSpeed(text: string): ReplaySpeed {
  if (text === 'max') return 0;
  const m = /^(\d+(?:\.\d+)?)x$/.exec(text);
  const v = m ? Number(m[1]) : NaN;
  if (!(v > 0) || v > 1_000_000) throw new RangeError(`--speed must be max or a factor such as 1x or 10x, got ${JSON.stringify(text)}`);
  return v;
}

export interface FileSourceOptions {
  speed?: ReplaySpeed;
  batchSize?: number;
  /** Packets to pass over first (already delivered by an earlier incarnation). */
  skip?: number;
  /** Called when a file starts, with its index. */
  onFile?: (path: string, index: number) => void;
  /**
   * Lay the files on one timeline: each file's timestamps are shifted so that it starts
   * this many seconds after the previous file's last packet (the first file keeps its own
   * times). Without it every file keeps its recorded times.
   */
  backToBackGapS?: number;
  /** Pace by count instead of by timestamps: this many packets per second (overrides speed). */
  pps?: number;
  /**
   * Like pps, but read at every step, so its owner can change the rate while the source runs
   * (a load spike, a throttle); overrides pps and speed. A change applies from that moment on.
   */
  pace?: { pps: number };
  /** Stop after handing out this many packets (counted after `skip`). */
  limit?: number;
  /**
   * Start over at the first file after the last one, for ever (traffic for a long run).
   * Each pass is laid after the one before (backToBackGapS, default 1 s), so capture time
   * keeps moving forward and flows and rate windows see new traffic, not a clock going back.
   */
  loop?: boolean;
  /**
   * A looping source's pass, measured by the first source that completes one and read by
   * the next ones (pass one object to each incarnation): a resume passes over whole passes
   * by arithmetic and reads at most one pass, instead of every packet ever delivered.
   */
  passes?: LoopPass;
}

/** The packets one pass over the files holds, and how far each pass's timeline is shifted from the one before (s). */
export interface LoopPass {
  packets?: number;
  shiftS?: number;
}

/** Where a file landed on the timeline (after any back-to-back shift). */
export interface FileSpan {
  file: string;
  index: number;
  /** Which pass over the files (0 unless looping). */
  pass: number;
  /** Seconds added to the file's recorded timestamps. */
  shiftS: number;
  firstTs: number;
  lastTs: number;
  packets: number;
}

export class FileSource implements PacketSource {
  readonly name: string;
  readonly decodeStats = new DecodeStats();
  private readonly speed: number;
  private readonly batchSize: number;
  private skip: number;
  private fileIndex = -1;
  private iter: AsyncGenerator<PacketBatch, void, undefined> | undefined;
  private reader: CaptureFileReader | undefined;
  /** The read buffer of the files read so far, for the next (CaptureReadOptions.buffer). */
  private readBuffer: Buffer | undefined;
  private doneBytes = 0;
  private pending: PacketBatch | undefined;
  private cursor = 0;
  private packets = 0;
  // pacing: wall time and capture time of the first packet of the current file
  private wall0 = 0;
  private ts0 = NaN;
  private ppsWall0: number | undefined;
  // the rate the pps clock was anchored at, and the packets handed out before that anchor
  private ppsAt = 0;
  private ppsBase = 0;
  private closed = false;
  /** The files read so far, in order, with their place on the timeline. */
  readonly spans: FileSpan[] = [];
  /** Completed passes over all the files (looping). */
  passes = 0;
  /** Packets (read, skipped or not) of the current pass, and the shift of its first span. */
  private passRead = 0;
  private passFirstShiftS: number | undefined;
  /** The shift of the first span when whole passes were passed over (none before it to lay it after). */
  private baseShiftS = 0;
  /** Files that could not be read to the end: every readable packet was delivered first. */
  readonly errors: Array<{ file: string; message: string; offset?: number }> = [];

  constructor(
    readonly files: readonly string[],
    private readonly options: FileSourceOptions = {},
  ) {
    if (files.length === 0) throw new RangeError('a file source needs at least one capture file');
    this.name = files.length === 1 ? `file:${files[0]}` : `files:${files.length}`;
    this.speed = options.speed ?? 0;
    this.batchSize = options.batchSize ?? 1024;
    this.skip = options.skip ?? 0;
    const pass = options.passes;
    if (options.loop && pass?.packets && pass.shiftS !== undefined && this.skip >= pass.packets) {
      const whole = Math.floor(this.skip / pass.packets);
      this.skip -= whole * pass.packets;
      this.passes = whole;
      this.baseShiftS = whole * pass.shiftS;
    }
  }

  /** Bytes read so far over all files (for progress against their total size). */
  get bytesRead(): number {
    return this.doneBytes + (this.reader?.bytesRead ?? 0);
  }

  stats(): SourceStats {
    return { packets: this.packets, kernelDrops: 0, interfaceDrops: 0 };
  }

  private async nextRaw(): Promise<PacketBatch | null> {
    for (;;) {
      if (this.closed) return null;
      if (!this.iter) {
        if (++this.fileIndex >= this.files.length) {
          // Loop only over files that gave packets, or an empty set would spin.
          if (!this.options.loop || this.spans.length === 0) return null;
          this.fileIndex = 0;
          this.passes++;
          const pass = this.options.passes;
          if (pass && pass.packets === undefined) pass.packets = this.passRead;
          this.passRead = 0;
        }
        const path = this.files[this.fileIndex]!;
        this.options.onFile?.(path, this.fileIndex);
        // One batch per file, refilled: a PacketSource's batch is its caller's only until the
        // next call; and one read buffer for every file, the previous reader's (done with it).
        this.reader = new CaptureFileReader(path, { batchSize: this.batchSize, stats: this.decodeStats, reuseBatch: true, ...(this.readBuffer ? { buffer: this.readBuffer } : {}) });
        this.iter = this.reader.batches();
        this.ts0 = NaN;
      }
      let r: IteratorResult<PacketBatch, void>;
      try {
        r = await this.iter.next();
      } catch (err) {
        // A truncated or corrupt file is not a reason to restart: note it and go on with
        // the next file (restarting would only meet the same bytes again).
        const e = err as Error & { offset?: number };
        this.errors.push({ file: this.files[this.fileIndex]!, message: e.message, ...(e.offset !== undefined ? { offset: e.offset } : {}) });
        r = { done: true, value: undefined };
      }
      if (r.done) {
        this.doneBytes += this.reader!.bytesRead;
        this.readBuffer = this.reader!.buffer;
        this.reader = undefined;
        this.iter = undefined;
        continue;
      }
      this.place(r.value);
      this.passRead += r.value.length;
      return r.value;
    }
  }

  async next(): Promise<PacketBatch | null> {
    const limit = this.options.limit;
    if (limit !== undefined) {
      if (this.packets >= limit) return null;
      const b = await this.nextUnlimited();
      if (!b || this.packets <= limit) return b;
      // The last batch went past the limit: hand out only its first rows.
      const keep = b.length - (this.packets - limit);
      const cut = new PacketBatch(Math.max(1, keep));
      for (let i = 0; i < keep; i++) cut.appendRow(b, i);
      this.packets = limit;
      return cut;
    }
    return this.nextUnlimited();
  }

  private async nextUnlimited(): Promise<PacketBatch | null> {
    for (;;) {
      if (!this.pending || this.cursor >= this.pending.length) {
        this.pending = (await this.nextRaw()) ?? undefined;
        this.cursor = 0;
        if (!this.pending) return null;
      }
      const b = this.pending;
      if (this.skip > 0) {
        const n = Math.min(this.skip, b.length - this.cursor);
        this.skip -= n;
        this.cursor += n;
        continue;
      }
      const pps = this.options.pace?.pps ?? this.options.pps;
      if (pps !== undefined) {
        // One clock for the whole run (timestamp pacing restarts per file; this does not),
        // anchored again when the rate changes so a new rate neither bursts nor stalls.
        if (this.ppsWall0 === undefined || pps !== this.ppsAt) {
          this.ppsWall0 = performance.now() - 1000 / pps;
          this.ppsAt = pps;
          this.ppsBase = this.packets;
        }
        const due = Math.floor(((performance.now() - this.ppsWall0) * pps) / 1000) - (this.packets - this.ppsBase);
        if (due > 0) return this.take(b, Math.min(b.length, this.cursor + due));
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      if (this.speed === 0) {
        if (this.cursor === 0) {
          this.cursor = b.length;
          this.packets += b.length;
          return b;
        }
        return this.take(b, b.length);
      }
      // Paced: hand out the rows that are due; wait for the first one that is not.
      if (Number.isNaN(this.ts0)) {
        this.ts0 = b.ts[this.cursor]!;
        this.wall0 = performance.now();
      }
      const now = performance.now();
      let end = this.cursor;
      while (end < b.length && (b.ts[end]! - this.ts0) * 1000 / this.speed <= now - this.wall0) end++;
      if (end > this.cursor) return this.take(b, end);
      const dueIn = (b.ts[this.cursor]! - this.ts0) * 1000 / this.speed - (now - this.wall0);
      await new Promise((r) => setTimeout(r, Math.min(1000, Math.max(1, dueIn))));
    }
  }

  /** Records the batch in its file's span, shifting its timestamps when asked to. */
  private place(b: PacketBatch): void {
    if (b.length === 0) return;
    let span = this.spans[this.spans.length - 1];
    if (!span || span.index !== this.fileIndex || span.pass !== this.passes) {
      const prev = span;
      const gap = this.options.backToBackGapS ?? (this.options.loop ? 1 : undefined);
      const shiftS = gap !== undefined && prev ? prev.lastTs + gap - b.ts[0]! : this.baseShiftS;
      span = { file: this.files[this.fileIndex]!, index: this.fileIndex, pass: this.passes, shiftS, firstTs: b.ts[0]! + shiftS, lastTs: -Infinity, packets: 0 };
      if (!prev || prev.pass !== this.passes) {
        // The first span of a pass: each pass lies the same distance after the one before.
        const pass = this.options.passes;
        if (pass && pass.shiftS === undefined && prev && this.passFirstShiftS !== undefined && this.passes === prev.pass + 1) pass.shiftS = shiftS - this.passFirstShiftS;
        this.passFirstShiftS = shiftS;
      }
      this.spans.push(span);
      if (this.spans.length > 10_000) this.spans.splice(0, this.spans.length - 10_000);
    }
    const { ts } = b;
    if (span.shiftS !== 0) for (let i = 0; i < b.length; i++) ts[i] = ts[i]! + span.shiftS;
    for (let i = 0; i < b.length; i++) if (ts[i]! > span.lastTs) span.lastTs = ts[i]!;
    span.packets += b.length;
  }

  /** Rows cursor..end of b as a batch of their own. */
  private take(b: PacketBatch, end: number): PacketBatch {
    const out = new PacketBatch(Math.max(1, end - this.cursor));
    for (let i = this.cursor; i < end; i++) out.appendRow(b, i);
    this.packets += end - this.cursor;
    this.cursor = end;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.iter?.return(undefined);
    this.iter = undefined;
  }
}
