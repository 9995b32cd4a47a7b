// The alerts table: the newest `kept` alerts, newest first, virtualised. Rows have one fixed
// height and only those in (or near) the scrolled view exist in the page, so a burst of 500
// alerts costs a few dozen rows, not 500 (measured: 500 real rows took ~55 ms a frame to
// style and lay out; the window takes a few ms). Rows already shown are reused by alert id.

import { h, setText, fmtTime, isoTime, fmtNum, fmtScore, scoreBand, safeClass } from './dom.js';

/** Must match `#alerts tr.alert { height }` in dashboard.css. */
const ROW_H = 26;
/** Rows made above and below the view, so a quick scroll does not show blanks. */
const OVERSCAN = 10;

export class AlertsView {
  /**
   * scroller: the element that scrolls; tbody: the table body in it; total: where "N alerts
   * total" goes; onBlock(alert, resultEl, button): called for a click on a Block button.
   */
  constructor(scroller, tbody, total, kept, onBlock) {
    this.scroller = scroller;
    this.tbody = tbody;
    this.total = total;
    this.kept = kept;
    /** Oldest first; the newest is shown at the top. */
    this.items = [];
    this.ids = new Set();
    /** Shown rows by alert id. */
    this.rows = new Map();
    this.added = 0;
    this.alertsTotal = 0;
    this.banned = new Set();
    this.dirty = true;
    this.before = h('tr', { class: 'spacer', 'aria-hidden': 'true' });
    this.after = h('tr', { class: 'spacer', 'aria-hidden': 'true' });
    tbody.append(this.before, this.after);
    this.onScroll = null;
    scroller.addEventListener('scroll', () => {
      this.dirty = true;
      this.onScroll?.();
    }, { passive: true });
    tbody.addEventListener('click', (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest('button.block') : null;
      const tr = button?.closest('tr');
      const row = tr && this.rows.get(tr.dataset.id);
      if (row) onBlock(row.alert, tr.querySelector('.action-result'), button);
    });
  }

  /** A snapshot: the list starts over. */
  reset(alerts, total) {
    this.items = [];
    this.ids.clear();
    this.add(alerts);
    this.added = 0;
    this.alertsTotal = total;
  }

  /** New alerts, oldest first. */
  add(alerts) {
    for (const a of alerts) {
      if (!a || typeof a.id !== 'string' || this.ids.has(a.id)) continue;
      this.items.push(a);
      this.ids.add(a.id);
      this.added++;
    }
    const excess = this.items.length - this.kept;
    if (excess > 0) for (const a of this.items.splice(0, excess)) this.ids.delete(a.id);
    this.dirty = true;
  }

  setTotal(n) {
    this.alertsTotal = n;
    this.dirty = true;
  }

  /** Sources currently banned, to mark their rows. */
  setBanned(addresses) {
    this.banned = addresses;
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const n = this.items.length;
    // Someone reading further down keeps the same rows in view as new ones arrive on top.
    if (this.added > 0 && this.scroller.scrollTop > 0) this.scroller.scrollTop += this.added * ROW_H;
    this.added = 0;
    const top = Math.max(0, this.scroller.scrollTop - this.tbody.offsetTop);
    const inView = Math.ceil((this.scroller.clientHeight || 600) / ROW_H);
    const start = Math.max(0, Math.min(n, Math.floor(top / ROW_H) - OVERSCAN));
    const end = Math.min(n, start + inView + 2 * OVERSCAN);

    const want = new Map();
    for (let i = start; i < end; i++) {
      const a = this.items[n - 1 - i];
      want.set(a.id, a);
    }
    for (const [id, row] of this.rows) {
      if (!want.has(id)) {
        row.tr.remove();
        this.rows.delete(id);
      }
    }
    let prev = this.before;
    for (const [id, a] of want) {
      let row = this.rows.get(id);
      if (!row) {
        row = { alert: a, tr: alertRow(a) };
        this.rows.set(id, row);
      }
      row.tr.classList.toggle('src-banned', this.banned.has(a.source));
      if (prev.nextSibling !== row.tr) this.tbody.insertBefore(row.tr, prev.nextSibling);
      prev = row.tr;
    }
    this.before.style.height = `${start * ROW_H}px`;
    this.after.style.height = `${(n - end) * ROW_H}px`;

    this.tbody.dataset.kept = String(n);
    this.total.dataset.total = String(this.alertsTotal);
    setText(this.total, `${fmtNum(this.alertsTotal)} alerts total${this.alertsTotal > n ? ` · newest ${fmtNum(n)} kept` : ''}`);
  }
}

function alertRow(a) {
  const score = Number(a.score);
  const asn = a.asn != null ? `AS${a.asn}${a.asnOrg ? ` ${a.asnOrg}` : ''}` : a.asnOrg ?? '';
  const action = h('td', { class: 'c-action' });
  if (a.blockable) {
    action.append(h('button', { type: 'button', class: 'block', 'data-source': a.source, title: `ban ${a.source} on every firewall`, text: 'Block' }));
  } else {
    action.append(h('span', { class: 'muted', text: 'n/a', title: 'not blockable: the sources of this flood are spoofed or abused reflectors, so the alert names the victim' }));
  }
  action.append(h('span', { class: 'action-result', role: 'status' }));
  return h(
    'tr',
    { class: 'alert', 'data-id': a.id, 'data-source': a.source, 'data-type': a.type },
    h('td', { class: 'c-time', text: fmtTime(a.at), title: isoTime(a.at) }),
    h('td', { class: 'c-node', text: a.node }),
    h('td', { class: 'c-source mono', text: a.source, title: a.source }),
    h('td', { class: 'c-country', text: a.country ?? '', title: a.country ?? 'unknown' }),
    h('td', { class: 'c-asn', text: asn, title: asn }),
    h('td', { class: 'c-target mono', text: a.target, title: a.target }),
    h('td', { class: `c-type type-${safeClass(a.type)}`, text: a.type, title: `detector: ${a.detector}` }),
    h('td', { class: `c-score num score ${scoreBand(score)}`, text: fmtScore(score) }),
    h('td', { class: 'c-evidence', text: a.evidence, title: a.evidence }),
    action,
  );
}
