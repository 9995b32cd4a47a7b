// What a notification says about a decision or an alert, and the two payloads: plain JSON
// (`{node, sent, events: [...]}`) and a Slack-compatible incoming-webhook message (`text`, the
// fallback every such receiver shows, and `blocks` with one line per event).

import type { Alert } from '../detect/alert.ts';
import type { Decision } from '../respond/decision.ts';

export interface NotifyEvent {
  kind: 'decision' | 'alert';
  /** Wall-clock time, ms since the epoch. */
  at: number;
  /** The alert type, or the decision's detector (sshBruteForce, operator, feed:…). */
  type: string;
  /** ban / unban for a decision. */
  action?: string;
  address: string;
  target?: string;
  score: number;
  /** Ban length, seconds (decisions). */
  ttl?: number;
  reason: string;
  country?: string | null;
  asn?: number | null;
}

export function decisionEvent(d: Decision): NotifyEvent {
  return { kind: 'decision', at: d.at, type: d.detector, action: d.action, address: d.address, score: d.score, ttl: d.ttl, reason: d.reason };
}

export function alertEvent(a: Alert, now: number): NotifyEvent {
  const evidence = Object.entries(a.evidence)
    .slice(0, 6)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return { kind: 'alert', at: now, type: a.type, address: a.source, target: a.target, score: a.score, reason: evidence, country: a.geo?.country ?? null, asn: a.geo?.asn ?? null };
}

function line(e: NotifyEvent): string {
  const score = Math.round(e.score * 100) / 100;
  const where = [e.country, e.asn ? `AS${e.asn}` : null].filter(Boolean).join(' ');
  if (e.kind === 'decision') {
    return e.action === 'unban' ? `*unban* \`${e.address}\` by ${e.type}: ${e.reason}` : `*ban* \`${e.address}\` for ${e.ttl} s by ${e.type} (score ${score}): ${e.reason}`;
  }
  return `*alert* ${e.type} from \`${e.address}\`${where ? ` (${where})` : ''} to \`${e.target}\`, score ${score}: ${e.reason}`;
}

export function payloadOf(format: 'json' | 'slack', node: string, events: readonly NotifyEvent[]): unknown {
  if (format === 'json') return { node, sent: new Date().toISOString(), events };
  const lines = events.map(line);
  const text = `autoimmune ${node}: ${events.length} event${events.length === 1 ? '' : 's'}\n${lines.join('\n')}`;
  // Slack caps a section's text at 3000 characters: one section per event, at most 50 blocks.
  return { text: text.length > 39_000 ? `${text.slice(0, 39_000)}…` : text, blocks: lines.slice(0, 50).map((l) => ({ type: 'section', text: { type: 'mrkdwn', text: l.slice(0, 3000) } })) };
}
