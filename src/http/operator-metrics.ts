// /metrics for the operator services: each feed's bans in force and the problems of its last
// refresh, the webhooks' events by outcome (sent, dropped from a full queue, failed after
// every retry), and the bouncers registered. Read at scrape time.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { OperatorServices } from '../node/operator-services.ts';

export function registerOperatorMetrics(registry: Registry, s: OperatorServices): void {
  new Gauge({
    name: 'autoimmune_feed_bans',
    help: 'Bans in force from each threat-intel feed',
    labelNames: ['feed'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await s.feeds.list()) this.set({ feed: f.name }, f.bans);
    },
  });
  new Gauge({
    name: 'autoimmune_feed_problems',
    help: "Entries of each feed's last refresh that were not banned: bad lines, refused by the guard, skipped",
    labelNames: ['feed', 'kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const f of await s.feeds.list()) {
        if (!f.last) continue;
        this.set({ feed: f.name, kind: 'bad' }, f.last.bad.count);
        this.set({ feed: f.name, kind: 'refused' }, f.last.refused.count);
        this.set({ feed: f.name, kind: 'skipped' }, f.last.skipped.count);
      }
    },
  });
  new Counter({
    name: 'autoimmune_notify_events_total',
    help: 'Notification events per webhook by outcome: sent, dropped (queue full), failed (given up)',
    labelNames: ['webhook', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const w of s.notifier.stats()) {
        this.inc({ webhook: w.name, outcome: 'sent' }, w.sent);
        this.inc({ webhook: w.name, outcome: 'dropped' }, w.dropped);
        this.inc({ webhook: w.name, outcome: 'failed' }, w.failed);
      }
    },
  });
  new Gauge({
    name: 'autoimmune_lapi_bouncers',
    help: 'CrowdSec bouncers registered to pull this node\u2019s decisions',
    registers: [registry],
    collect() {
      this.set(s.lapi.keys.list().length);
    },
  });
}
