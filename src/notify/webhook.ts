// One webhook: the node's decisions and alerts that pass its filters (kind, type, minimum
// score) go to a URL in batches, as plain JSON or as a Slack-compatible message, with retries
// and exponential backoff. Offering an event never waits: it goes into a bounded queue (the
// oldest is dropped and counted when full) and a sender drains it on its own schedule, so a
// slow or dead receiver never holds up the response path.

import type { WebhookSpec } from './notify-config.ts';
import { payloadOf, type NotifyEvent } from './notify-event.ts';

export interface WebhookStats {
  name: string;
  queued: number;
  sent: number;
  /** Events dropped because the queue was full. */
  dropped: number;
  /** Events given up on after every retry (or refused with a 4xx). */
  failed: number;
  retries: number;
  lastError: string | null;
}

/** Backoff between tries: 1 s, 2 s, 4 s… capped at a minute, ±20 %. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 60_000;

export class Webhook {
  private readonly queue: NotifyEvent[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private sending = false;
  private stopped = false;
  private readonly abort = new AbortController();
  readonly stats: WebhookStats;

  constructor(
    readonly spec: WebhookSpec,
    private readonly node: string,
    private readonly capacity: number,
    private readonly backoffBaseMs = BACKOFF_BASE_MS,
  ) {
    this.stats = { name: spec.name, queued: 0, sent: 0, dropped: 0, failed: 0, retries: 0, lastError: null };
  }

  wants(e: NotifyEvent): boolean {
    const s = this.spec;
    return s.events.includes(e.kind) && e.score >= s.minScore && (s.types === null || s.types.includes(e.type));
  }

  /** O(1), never waits. */
  offer(e: NotifyEvent): void {
    if (this.stopped || !this.wants(e)) return;
    if (this.queue.length - this.head >= this.capacity) {
      this.head++;
      this.stats.dropped++;
    }
    this.queue.push(e);
    this.stats.queued = this.queue.length - this.head;
    if (!this.timer && !this.sending) this.arm(this.spec.batchMs);
  }

  /** Stops sending; what is queued is dropped (counted). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.abort.abort();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, ms);
    this.timer.unref();
  }

  private take(): NotifyEvent[] {
    const n = Math.min(this.spec.maxBatch, this.queue.length - this.head);
    const batch = this.queue.slice(this.head, this.head + n);
    this.head += n;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.stats.queued = this.queue.length - this.head;
    return batch;
  }

  private async drain(): Promise<void> {
    if (this.sending || this.stopped) return;
    this.sending = true;
    try {
      while (!this.stopped && this.queue.length - this.head > 0) {
        const batch = this.take();
        await this.deliver(batch);
      }
    } finally {
      this.sending = false;
    }
  }

  /** One batch, tried 1 + retries times. */
  private async deliver(batch: NotifyEvent[]): Promise<void> {
    const body = JSON.stringify(payloadOf(this.spec.format, this.node, batch));
    for (let attempt = 0; ; attempt++) {
      if (this.stopped) return;
      const outcome = await this.post(body);
      if (outcome === 'ok') {
        this.stats.sent += batch.length;
        return;
      }
      if (outcome === 'refused' || attempt >= this.spec.retries) {
        this.stats.failed += batch.length;
        return;
      }
      this.stats.retries++;
      const delay = Math.min(BACKOFF_MAX_MS, this.backoffBaseMs * 2 ** attempt) * (0.8 + 0.4 * Math.random());
      await new Promise<void>((r) => setTimeout(r, delay).unref());
    }
  }

  /** 'ok'; 'retry' (network error, time limit, 5xx, 429); 'refused' (other 4xx: retrying will not help). */
  private async post(body: string): Promise<'ok' | 'retry' | 'refused'> {
    try {
      const res = await fetch(this.spec.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'autoimmune-notify', ...this.spec.headers },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.spec.timeoutS * 1000), this.abort.signal]),
      });
      await res.body?.cancel();
      if (res.ok) return 'ok';
      this.stats.lastError = `${this.spec.url} answered ${res.status}`;
      return res.status === 429 || res.status >= 500 ? 'retry' : 'refused';
    } catch (err) {
      this.stats.lastError = `${this.spec.url}: ${String((err as Error).cause ?? (err as Error).message)}`;
      return 'retry';
    }
  }
}
