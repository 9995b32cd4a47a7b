// The alerts table: newest first, at most `kept` rows. New alerts wait in a queue (itself
// capped, so a hidden tab that gets no animation frames does not pile them up) and are added
// in one batch per frame; the rows that fall off the end are removed. Rows are never rebuilt.

import { h, setText, fmtTime, isoTime, fmtNum, fmtScore, scoreBand, safeClass } from './dom.js';

export class AlertsView {
  /**
   * tbody: the table body; total: where "N alerts total" goes; onBlock(alert, resultEl):
   * called for a click on a Block button.
   */
  constructor(tbody, total, kept, onBlock) {
    this.tbody = tbody;
    this.total = total;
    this.kept = kept;
    this.onBlock = onBlock;
    /** Shown rows, oldest first: { alert, tr }. */
    this.rows = [];
    this.byId = new Map();
    this.pending = [];
    this.alertsTotal = 0;
    this.banned = new Set();
    this.cleared = false;
    tbody.addEventListener('click', (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest('button.block') : null;
      if (!button) return;
      const tr = button.closest('tr');
      const row = tr && this.byId.get(tr.dataset.id);
      if (row) this.onBlock(row.alert, tr.querySelector('.action-result'), button);
    });
  }

  /** A snapshot: the list starts over. */
  reset(alerts, total) {
    this.pending = alerts.slice(-this.kept);
    this.cleared = true;
    this.alertsTotal = total;
  }

  add(alerts) {
    for (const a of alerts) this.pending.push(a);
    if (this.pending.length > this.kept) this.pending.splice(0, this.pending.length - this.kept);
  }

  setTotal(n) {
    this.alertsTotal = n;
  }

  /** Sources currently banned, to mark their rows. */
  setBanned(addresses) {
    this.banned = addresses;
    for (const { alert, tr } of this.rows) tr.classList.toggle('src-banned', addresses.has(alert.source));
  }

  render() {
    if (this.cleared) {
      this.tbody.replaceChildren();
      this.rows = [];
      this.byId.clear();
      this.cleared = false;
    }
    if (this.pending.length > 0) {
      const fresh = [];
      for (const a of this.pending) {
        if (!a || typeof a.id !== 'string' || this.byId.has(a.id)) continue;
        const row = { alert: a, tr: alertRow(a, this.banned.has(a.source)) };
        this.byId.set(a.id, row);
        fresh.push(row);
      }
      this.pending = [];
      const frag = document.createDocumentFragment();
      for (let i = fresh.length - 1; i >= 0; i--) frag.append(fresh[i].tr);
      this.tbody.prepend(frag);
      for (const row of fresh) this.rows.push(row);
      const excess = this.rows.length - this.kept;
      if (excess > 0) {
        for (const row of this.rows.splice(0, excess)) {
          row.tr.remove();
          this.byId.delete(row.alert.id);
        }
      }
    }
    const shown = this.rows.length;
    this.total.dataset.total = String(this.alertsTotal);
    setText(this.total, `${fmtNum(this.alertsTotal)} alerts total${this.alertsTotal > shown ? ` · newest ${fmtNum(shown)} shown` : ''}`);
  }
}

function alertRow(a, banned) {
  const score = Number(a.score);
  const asn = a.asn != null ? `AS${a.asn}${a.asnOrg ? ` ${a.asnOrg}` : ''}` : a.asnOrg ?? '';
  const action = h('td', { class: 'c-action' });
  if (a.blockable) {
    action.append(h('button', { type: 'button', class: 'block', 'data-source': a.source, title: `ban ${a.source} on every firewall` , text: 'Block' }));
  } else {
    action.append(h('span', { class: 'muted', text: 'n/a', title: 'not blockable: the sources of this flood are spoofed or abused reflectors, so the alert names the victim' }));
  }
  action.append(h('span', { class: 'action-result', role: 'status' }));
  return h(
    'tr',
    { class: `alert${banned ? ' src-banned' : ''}`, 'data-id': a.id, 'data-source': a.source, 'data-type': a.type },
    h('td', { class: 'c-time' }, h('time', { datetime: isoTime(a.at), title: isoTime(a.at), text: fmtTime(a.at) })),
    h('td', { class: 'c-node', text: a.node }),
    h('td', { class: 'c-source mono', text: a.source, title: a.source }),
    h('td', { class: 'c-country', text: a.country ?? '', title: a.country ?? 'unknown' }),
    h('td', { class: 'c-asn', text: asn, title: asn }),
    h('td', { class: 'c-target mono', text: a.target, title: a.target }),
    h('td', { class: `c-type type-${safeClass(a.type)}`, text: a.type, title: `detector: ${a.detector}` }),
    h('td', { class: 'c-score num' }, h('span', { class: `score ${scoreBand(score)}`, text: fmtScore(score) })),
    h('td', { class: 'c-evidence', text: a.evidence, title: a.evidence }),
    action,
  );
}
