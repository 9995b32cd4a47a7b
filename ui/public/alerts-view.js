// The alerts table: the newest `kept` alerts, newest first, virtualised. Rows have one fixed
// height and only those in (or near) the scrolled view exist in the page, so a burst of 500
// alerts costs a few dozen rows, not 500 (measured: 500 real rows took ~55 ms a frame to
// style and lay out; the window takes a few ms). Rows already shown are reused by alert id.
// The row height is the CSS variable --alert-row (one line wide, three lines on a phone).
//
// The time shown is when the node saw the alert; the packet's capture time (a replayed
// file's own clock) is in the evidence. A flood of spoofed or reflected sources shows as
// "spoofed: N sources", with no Block button; a source already banned gets Extend instead.

import { h, setText, fmtTime, isoTime, fmtNum, fmtPlain, fmtScore, fmtDuration, scoreBand, safeClass, toggleEmpty } from './dom.js';
import { blockTitle, kindOf, notBlockableTitle, spreadText, spreadTitle, typeTitle } from './alert-kinds.js';

/** When --alert-row cannot be read. */
const ROW_H = 26;
/** Rows made above and below the view, so a quick scroll does not show blanks. */
const OVERSCAN = 10;

export class AlertsView {
  /**
   * scroller: the element that scrolls; tbody: the table body in it; total: where "N alerts
   * total" goes; empty: the empty-state text; onBlock(alert, resultEl, button, ban): called
   * for a click on a Block (ban undefined) or Extend button.
   */
  constructor(scroller, tbody, total, empty, kept, onBlock) {
    this.scroller = scroller;
    this.tbody = tbody;
    this.total = total;
    this.empty = empty;
    this.kept = kept;
    this.rowH = ROW_H;
    /** Oldest first; the newest is shown at the top. */
    this.items = [];
    this.ids = new Set();
    /** Shown rows by alert id. */
    this.rows = new Map();
    this.added = 0;
    this.alertsTotal = 0;
    /** Bans in force by address. */
    this.banned = new Map();
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
      if (row) onBlock(row.alert, tr.querySelector('.action-result'), button, this.banned.get(row.alert.source));
    });
    this.measure();
    window.addEventListener('resize', () => {
      if (this.measure()) {
        this.dirty = true;
        this.onScroll?.();
      }
    });
  }

  /** Reads the row height the stylesheet gives at this width; true when it changed. */
  measure() {
    const h = parseFloat(getComputedStyle(this.tbody).getPropertyValue('--alert-row'));
    const rowH = Number.isFinite(h) && h > 0 ? h : ROW_H;
    if (rowH === this.rowH) return false;
    this.rowH = rowH;
    return true;
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

  /** Bans in force by address, to mark their sources and offer Extend. */
  setBanned(bans) {
    this.banned = bans;
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    const n = this.items.length;
    toggleEmpty(this.empty, this.tbody.parentElement, n === 0);
    const rowH = this.rowH;
    // Someone reading further down keeps the same rows in view as new ones arrive on top.
    if (this.added > 0 && this.scroller.scrollTop > 0) this.scroller.scrollTop += this.added * rowH;
    this.added = 0;
    const top = Math.max(0, this.scroller.scrollTop - this.tbody.offsetTop);
    const inView = Math.ceil((this.scroller.clientHeight || 600) / rowH);
    const start = Math.max(0, Math.min(n, Math.floor(top / rowH) - OVERSCAN));
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
        row = alertRow(a);
        this.rows.set(id, row);
      }
      markBanned(row, this.banned.get(a.source));
      if (prev.nextSibling !== row.tr) this.tbody.insertBefore(row.tr, prev.nextSibling);
      prev = row.tr;
    }
    this.before.style.height = `${start * rowH}px`;
    this.after.style.height = `${(n - end) * rowH}px`;

    this.tbody.dataset.kept = String(n);
    this.total.dataset.total = String(this.alertsTotal);
    setText(this.total, `${fmtNum(this.alertsTotal)} alerts total${this.alertsTotal > n ? ` · newest ${fmtNum(n)} kept` : ''}`);
  }
}

/** The evidence in one line, numbers rounded, then the capture time. */
export function evidenceText(a) {
  const parts = Object.entries(a.evidence ?? {}).map(([k, v]) => `${k}=${fmtPlain(v)}`);
  parts.push(`captured=${isoTime(a.capturedAt)}`);
  return parts.join(' ');
}

/** The tooltip: the line as shown, then the values as the detector gave them. */
function evidenceTitle(a, text) {
  const lines = [text, '', 'as the detector gave it:', ...Object.entries(a.evidence ?? {}).map(([k, v]) => `${k} = ${v}`)];
  lines.push(`captured = ${isoTime(a.capturedAt)}: the capture time of the packet that made the alert (a replayed file keeps its own clock)`);
  return lines.join('\n');
}

function alertRow(a) {
  const score = Number(a.score);
  const asn = a.asn != null ? `AS${a.asn}${a.asnOrg ? ` ${a.asnOrg}` : ''}` : a.asnOrg ?? '';
  const action = h('td', { class: 'c-action' });
  let button = null;
  if (a.spread) {
    action.append(h('span', { class: 'muted', text: 'n/a', title: notBlockableTitle(a) }));
  } else {
    button = h('button', { type: 'button', class: 'block', 'data-source': a.source, title: blockTitle(a), text: 'Block' });
    action.append(button);
  }
  action.append(h('span', { class: 'action-result', role: 'status' }));
  const spread = spreadText(a);
  const source = spread
    ? h('td', { class: 'c-source spread', text: spread, title: spreadTitle(a), 'data-spread': a.spread.kind })
    : h('td', { class: 'c-source mono', text: a.source, title: a.source });
  const seen = `seen by ${a.node} at ${isoTime(a.at)}\npacket captured at ${isoTime(a.capturedAt)}`;
  const evidence = evidenceText(a);
  const tr = h(
    'tr',
    { class: 'alert', 'data-id': a.id, 'data-source': a.source, 'data-type': a.type, 'data-kind': kindOf(a.type) },
    h('td', { class: 'c-time', text: fmtTime(a.at), title: seen }),
    h('td', { class: 'c-node', text: a.node, title: a.node }),
    source,
    h('td', { class: 'c-country', text: a.country ?? '–', title: a.country ? `country ${a.country}` : 'country unknown' }),
    h('td', { class: 'c-asn', text: asn || '–', title: asn || 'AS unknown' }),
    h('td', { class: 'c-target mono', text: a.target, title: a.target === '*' ? 'many targets' : a.target }),
    h('td', { class: `c-type type-${safeClass(a.type)}`, text: a.type, title: typeTitle(a) }),
    h('td', { class: `c-score num score ${scoreBand(score)}`, text: fmtScore(score), title: `risk score ${fmtScore(score)} of 1` }),
    h('td', { class: 'c-evidence', text: evidence, title: evidenceTitle(a, evidence) }),
    action,
  );
  return { alert: a, tr, button, source, spread: !!spread, ban: undefined };
}

/** Block becomes Extend on a source already banned (and back when the ban goes). */
function markBanned(row, ban) {
  if (row.ban === ban) return;
  row.ban = ban;
  row.tr.classList.toggle('src-banned', !!ban);
  const a = row.alert;
  if (!row.spread) row.source.title = ban ? `${a.source}\nbanned until ${isoTime(ban.expiresAt)}: ${ban.reason}` : a.source;
  if (!row.button) return;
  row.button.textContent = ban ? 'Extend' : 'Block';
  row.button.classList.toggle('extend', !!ban);
  row.button.title = ban
    ? `${a.source} is banned until ${isoTime(ban.expiresAt)} (${ban.reason}). Extend: ban it again for what is left plus its own length (${fmtDuration(ban.ttl)}).`
    : blockTitle(a);
}
