// The threat-intel feeds panel: each feed (configured or imported once), its entries in force,
// when it was last refreshed and what went wrong. Read from GET /api/feeds (no token needed)
// every few seconds; a feed's entries themselves stay out of the bans panel (there may be
// 100,000s of them).

import { h, isoTime, fmtNum, fmtAgo, fmtDuration } from './dom.js';
import { call } from './api.js';
import { PolledPanel } from './polled-panel.js';

export class FeedsView extends PolledPanel {
  async load() {
    try {
      this.render(await call('GET', '/api/feeds', undefined, false));
    } catch (err) {
      this.say(`Feeds unavailable: ${err.message}`);
    }
  }

  render(feeds) {
    const list = Array.isArray(feeds) ? feeds : [];
    const now = this.now();
    this.show(
      list.map((f) => feedRow(f, now)),
      list.length ? `${fmtNum(list.length)} feed${list.length === 1 ? '' : 's'} · ${fmtNum(list.reduce((n, f) => n + (f.bans || 0), 0))} entries in force` : '',
      'No threat-intel feeds: add one under "feeds" in the config, or import a list with autoimmune feeds import FILE.',
    );
  }
}

function feedRow(f, now) {
  const problems = problemsOf(f);
  const last = f.last;
  const refreshed = f.lastRefreshAt ? fmtAgo(f.lastRefreshAt, now) : 'not yet';
  const next = f.nextRefreshAt ? `next ${f.nextRefreshAt > now ? `in ${fmtDuration((f.nextRefreshAt - now) / 1000)}` : 'due'}` : '';
  const refreshTitle = [
    f.lastRefreshAt ? `last refreshed ${isoTime(f.lastRefreshAt)}` : 'not refreshed yet',
    last ? `${fmtNum(last.entries)} entries read (${last.format}): +${fmtNum(last.added)} −${fmtNum(last.removed)}, ${fmtNum(last.extended)} extended, ${fmtNum(last.unchanged)} unchanged, in ${fmtNum(last.ms)} ms` : '',
    f.refreshS ? `refreshed every ${fmtDuration(f.refreshS)}; entries last ${fmtDuration(f.ttlS)}` : `imported once; entries last ${fmtDuration(f.ttlS)}`,
    f.nextRefreshAt ? `next refresh ${isoTime(f.nextRefreshAt)}` : '',
  ].filter(Boolean).join('\n');
  return h(
    'tr',
    { class: 'feed', 'data-feed': f.name },
    h('td', { class: 'c-feed' }, h('b', { text: f.name, title: f.name }), ' ', h('span', { class: 'badge', text: f.configured ? 'configured' : 'imported', title: f.configured ? 'in the config: refreshed on its cadence' : 'imported once (autoimmune feeds import)' })),
    h('td', { class: 'c-feed-source mono', text: f.source, title: `${f.source}\nformat: ${f.format}` }),
    h('td', { class: 'c-entries num', 'data-label': 'in force', text: fmtNum(f.bans), title: `${fmtNum(f.bans)} addresses of this feed banned now` }),
    h('td', { class: 'c-refresh', 'data-label': 'refreshed', title: refreshTitle }, h('span', { text: refreshed }), next ? h('span', { class: 'muted', text: ` · ${next}` }) : null),
    h('td', { class: `c-problems${problems.bad ? ' bad' : ''}`, 'data-label': 'problems', text: problems.text, title: problems.title }),
  );
}

/** The last error, or the lines and entries the last refresh could not use; "none". */
function problemsOf(f) {
  if (f.lastError) return { text: f.lastError, title: `the last refresh failed (the entries in force stay): ${f.lastError}`, bad: true };
  const r = f.last;
  if (!r) return { text: '–', title: 'not refreshed yet', bad: false };
  const kinds = [
    ['bad line', r.bad, 'lines that read as no address'],
    ['refused entry', r.refused, 'entries refused (allow-listed, protected or too wide)'],
    ['skipped entry', r.skipped, 'entries skipped'],
  ].filter(([, l]) => l && l.count > 0);
  if (kinds.length === 0) return { text: 'none', title: 'every line of the last refresh was used', bad: false };
  return {
    text: kinds.map(([what, l]) => `${fmtNum(l.count)} ${what}${l.count === 1 ? '' : 's'}`).join(' · '),
    title: kinds.map(([, l, what]) => `${fmtNum(l.count)} ${what}${l.first.length ? `, first: ${l.first.join('; ')}` : ''}`).join('\n'),
    bad: true,
  };
}
