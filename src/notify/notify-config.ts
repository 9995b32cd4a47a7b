// The `notify` section: each webhook with its defaults filled in. Defaults and their reasons:
// - events ["decision"]: a ban is what an operator must know about; alerts are many more (every
//   scan, every alert during a ban) and are opted into;
// - batchMs 2000, maxBatch 50: a burst (a scan of many hosts) becomes a few messages, not one
//   per ban, and Slack-compatible receivers take about one message a second per hook;
// - retries 5 with backoff from 1 s doubling (up to a minute): a receiver down for half a
//   minute loses nothing;
// - timeoutS 10: Slack asks receivers to answer within a few seconds.

import { ConfigError } from '../errors.ts';

export interface WebhookSetting {
  name: string;
  url: string;
  format?: 'json' | 'slack';
  events?: Array<'decision' | 'alert'>;
  types?: string[];
  minScore?: number;
  batchMs?: number;
  maxBatch?: number;
  retries?: number;
  timeoutS?: number;
  headers?: Record<string, string>;
}

export interface WebhookSpec {
  name: string;
  url: string;
  format: 'json' | 'slack';
  events: Array<'decision' | 'alert'>;
  /** null: every type. */
  types: string[] | null;
  minScore: number;
  batchMs: number;
  maxBatch: number;
  retries: number;
  timeoutS: number;
  headers: Record<string, string>;
}

export function webhookSpecs(settings: readonly WebhookSetting[]): WebhookSpec[] {
  const seen = new Set<string>();
  return settings.map((w, i) => {
    if (seen.has(w.name)) throw new ConfigError(`notify.webhooks[${i}].name ${JSON.stringify(w.name)} is used by two webhooks: give each its own name`);
    seen.add(w.name);
    return {
      name: w.name,
      url: w.url,
      format: w.format ?? 'json',
      events: w.events ?? ['decision'],
      types: w.types ?? null,
      minScore: w.minScore ?? 0,
      batchMs: w.batchMs ?? 2000,
      maxBatch: w.maxBatch ?? 50,
      retries: w.retries ?? 5,
      timeoutS: w.timeoutS ?? 10,
      headers: w.headers ?? {},
    };
  });
}
