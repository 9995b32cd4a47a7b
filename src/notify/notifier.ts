// The node's notifications: every decision and alert of the response desk, offered to each
// configured webhook (webhook.ts), which filters, batches and sends on its own. Nothing here
// waits: the desk calls in, an event is queued, the call returns.

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';
import type { WebhookSpec } from './notify-config.ts';
import { alertEvent, decisionEvent } from './notify-event.ts';
import { Webhook, type WebhookStats } from './webhook.ts';

export interface NotifierSource {
  onDecision(fn: (d: Decision) => void): void;
  onAlert(fn: (a: Alert) => void): void;
}

export class Notifier {
  readonly hooks: Webhook[];

  constructor(specs: readonly WebhookSpec[], node: string, queue: number, backoffBaseMs?: number) {
    this.hooks = specs.map((s) => new Webhook(s, node, queue, backoffBaseMs));
  }

  /** Follows the desk's decisions and alerts (no-op without webhooks). */
  attach(source: NotifierSource): void {
    if (this.hooks.length === 0) return;
    source.onDecision((d) => {
      const e = decisionEvent(d);
      for (const h of this.hooks) h.offer(e);
    });
    if (!this.hooks.some((h) => h.spec.events.includes('alert'))) return;
    source.onAlert((a) => {
      const e = alertEvent(a, Date.now());
      for (const h of this.hooks) h.offer(e);
    });
  }

  stats(): WebhookStats[] {
    return this.hooks.map((h) => ({ ...h.stats }));
  }

  stop(): void {
    for (const h of this.hooks) h.stop();
  }
}
