// Captures sent to a running node to be replayed through its packet path
// (`autoimmune replay --to URL FILE`, POST /api/captures): written to `<stateDir>/captures/`,
// checked to be pcap or pcapng, then replayed by a capture actor of their own under
// /pipeline, beside live capture, into the same shards, detectors and responder, so what
// the capture holds is detected and banned as if it had been seen live. When the shards have
// handled every packet the actor is taken out of the tree and the file deleted; the status
// (packets, decode counts, the alerts and bans the node made meanwhile) stays for an hour.

import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, openSync, readSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline as pump } from 'node:stream/promises';
import { captureSpec, type CaptureProgress } from '../actors/capture.ts';
import { PIPELINE_PATH, RESPONDER_PATH } from '../actors/tree-layout.ts';
import { AutoimmuneError } from '../errors.ts';
import { FileSource } from '../net/file-source.ts';
import { pcapMagicKind } from '../net/pcap-format.ts';
import { PCAPNG_SHB } from '../net/pcapng-format.ts';
import type { ActorSystem } from '../supervisors/actor-system.ts';
import type { Pipeline } from './pipeline.ts';

/** Why a capture is refused for its size (the node's answer, and the CLI's before it sends one). */
export function tooLargeText(name: string, size: string, maxBytes: number): string {
  return `${name} is ${size} bytes, more than http.captureUploadMb (${maxBytes / 2 ** 20} MB) allows: split it (editcap -c), or raise the setting`;
}

export class CaptureUploadError extends AutoimmuneError {
  constructor(code: string, message: string, statusCode: number) {
    super(code, message, { statusCode });
  }
}

export interface CaptureUploadStatus {
  id: string;
  /** The file's name as the client gave it. */
  name: string;
  bytes: number;
  /** 0: as fast as the node takes it; else the speed-up over the recorded timing. */
  speed: number;
  state: 'replaying' | 'done';
  /** Packets read from the file and routed to the shards. */
  packets: number;
  /** Packets the shards (and the detectors behind them) confirmed as handled. */
  confirmed: number;
  lost: number;
  decode: { ok: number; unsupported: number; malformed: number };
  /** Alerts and bans the node made since this replay began (from any source: the node does not tell them apart). */
  alerts: number;
  bans: number;
  /** The file could not be read to its end: what was readable was replayed. */
  errors: string[];
  startedAt: number;
  endedAt: number | null;
}

export interface CaptureUploadsOptions {
  system: ActorSystem;
  pipeline: Pipeline;
  dir: string;
  batchSize: number;
  highWater: number;
  /** Largest capture taken, bytes (http.captureUploadMb). */
  maxBytes: number;
  /** The node's alerts and ban decisions so far (counters). */
  counts: () => { alerts: number; bans: number };
  /** Replays at once (default 4): each is an actor reading a file. */
  maxRunning?: number;
}

interface Upload {
  status: CaptureUploadStatus;
  file: string;
  progress: CaptureProgress;
  source: FileSource | undefined;
  base: { alerts: number; bans: number };
}

/** How long a finished replay's status is kept. */
const KEEP_MS = 3_600_000;

/** The first four bytes name pcap (either byte order, µs or ns) or pcapng. */
function captureFormat(file: string): string | null {
  const b = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    if (readSync(fd, b, 0, 4, 0) < 4) return null;
  } finally {
    closeSync(fd);
  }
  if (b.readUInt32BE(0) === PCAPNG_SHB) return 'pcapng';
  return pcapMagicKind(b[0]!, b[1]!, b[2]!, b[3]!) !== 0 ? 'pcap' : null;
}

export class CaptureUploads {
  private readonly uploads = new Map<string, Upload>();
  private seq = 0;
  private closed = false;

  constructor(private readonly o: CaptureUploadsOptions) {}

  /** The largest capture taken, bytes. */
  get maxBytes(): number {
    return this.o.maxBytes;
  }

  /**
   * Reads a capture from `body` into the captures folder (refused past maxBytes), checks it,
   * and starts replaying it. Throws CaptureUploadError (413 too large, 400 not a capture, 429
   * too many at once).
   */
  async receive(body: Readable, o: { name: string; speed: number; length: number | undefined }): Promise<CaptureUploadStatus> {
    if (this.closed) throw new CaptureUploadError('AI_ERR_STOPPING', 'the node is stopping', 503);
    const running = [...this.uploads.values()].filter((u) => u.status.state === 'replaying').length;
    if (running >= (this.o.maxRunning ?? 4)) throw new CaptureUploadError('AI_ERR_TOO_MANY_REPLAYS', `this node replays ${running} captures already; wait for one to finish`, 429);
    const max = this.o.maxBytes;
    const tooBig = (size: string) => new CaptureUploadError('AI_ERR_CAPTURE_TOO_LARGE', tooLargeText(o.name, size, max), 413);
    if (o.length !== undefined && o.length > max) throw tooBig(o.length.toLocaleString('en'));
    mkdirSync(this.o.dir, { recursive: true, mode: 0o700 });
    const id = `${++this.seq}-${randomBytes(3).toString('hex')}`;
    const file = join(this.o.dir, `${id}.cap`);
    let bytes = 0;
    try {
      await pump(
        body,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const c of chunks) {
            bytes += c.length;
            if (bytes > max) throw tooBig(`over ${max.toLocaleString('en')}`);
            yield c;
          }
        },
        createWriteStream(file, { mode: 0o600 }),
      );
      const format = captureFormat(file);
      if (!format) throw new CaptureUploadError('AI_ERR_NOT_A_CAPTURE', `${o.name} is not a pcap or pcapng capture (its first bytes are no capture's magic number); send a .pcap or .pcapng file`, 400);
    } catch (err) {
      rmSync(file, { force: true });
      throw err;
    }
    const u: Upload = {
      file,
      source: undefined,
      base: this.o.counts(),
      progress: undefined as unknown as CaptureProgress,
      status: { id, name: o.name, bytes, speed: o.speed, state: 'replaying', packets: 0, confirmed: 0, lost: 0, decode: { ok: 0, unsupported: 0, malformed: 0 }, alerts: 0, bans: 0, errors: [], startedAt: Date.now(), endedAt: null },
    };
    const spec = captureSpec({
      id: `replay-${id}`,
      restart: 'transient',
      shards: this.o.pipeline.shardPaths,
      batchSize: this.o.batchSize,
      highWater: this.o.highWater,
      open: (skip) => (u.source = new FileSource([file], { speed: o.speed, skip, batchSize: this.o.batchSize })),
      onEnd: () => void this.finish(u),
      verifier: this.o.pipeline.verifier(`replay-${id}`),
    });
    u.progress = spec.progress;
    this.uploads.set(id, u);
    this.forgetOld();
    try {
      await this.o.system.startChild(PIPELINE_PATH, spec);
    } catch (err) {
      this.uploads.delete(id);
      rmSync(file, { force: true });
      throw err;
    }
    return this.status(id)!;
  }

  status(id: string): CaptureUploadStatus | undefined {
    const u = this.uploads.get(id);
    if (!u) return undefined;
    const s = u.status;
    if (s.state === 'replaying') {
      const p = u.progress;
      s.packets = p.delivered + p.unroutable;
      s.confirmed = p.confirmed;
      s.lost = p.lost;
      const d = p.decode;
      if (d) s.decode = { ok: d.ok, unsupported: d.unsupported, malformed: d.malformed };
      const now = this.o.counts();
      s.alerts = now.alerts - u.base.alerts;
      s.bans = now.bans - u.base.bans;
      s.errors = (u.source?.errors ?? []).map((e) => e.message);
    }
    return { ...s, decode: { ...s.decode }, errors: [...s.errors] };
  }

  list(): CaptureUploadStatus[] {
    return [...this.uploads.keys()].map((id) => this.status(id)!);
  }

  /** Stops the replays still running and deletes their files (the node is stopping). */
  async close(): Promise<void> {
    this.closed = true;
    for (const u of this.uploads.values()) rmSync(u.file, { force: true });
  }

  /** The file is read: once the shards have confirmed (or lost) every packet, the actor leaves the tree and the file goes. */
  private async finish(u: Upload): Promise<void> {
    const p = u.progress;
    const deadline = Date.now() + 60_000;
    const settled = () => p.confirmed + p.lost >= p.delivered && this.o.system.depth(RESPONDER_PATH) === 0;
    while (!this.closed && !settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    // The final counts, then the end: the detectors have handled every packet and the responder's mailbox is empty.
    this.status(u.status.id);
    u.status.state = 'done';
    u.status.endedAt = Date.now();
    rmSync(u.file, { force: true });
    if (!this.closed) await this.o.system.stopChild(PIPELINE_PATH, `replay-${u.status.id}`).catch(() => false);
  }

  private forgetOld(): void {
    const now = Date.now();
    for (const [id, u] of this.uploads) if (u.status.endedAt !== null && now - u.status.endedAt > KEEP_MS) this.uploads.delete(id);
  }
}
