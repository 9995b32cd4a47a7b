// The bans table: newest first, rows keyed by address. The server sends the whole list when
// it changes; the time left is counted down here every second from expiresAt.

import { h, setText, isoTime, fmtDuration, fmtNum, fmtScore, toggleEmpty } from './dom.js';

export class BansView {
  /** empty: the empty-state text; onUnblock(ban, resultEl, button): called for a click on an Unblock button. */
  constructor(tbody, count, empty, shownMax, onUnblock) {
    this.tbody = tbody;
    this.empty = empty;
    this.count = count;
    this.shownMax = shownMax;
    this.onUnblock = onUnblock;
    this.bans = [];
    this.dirty = false;
    /** address → { ban, key, tr, ttl } */
    this.rows = new Map();
    tbody.addEventListener('click', (ev) => {
      const button = ev.target instanceof Element ? ev.target.closest('button.unblock') : null;
      if (!button) return;
      const row = this.rows.get(button.dataset.address);
      if (row) this.onUnblock(row.ban, row.tr.querySelector('.action-result'), button);
    });
  }

  set(bans) {
    this.bans = bans.filter((b) => b && typeof b.address === 'string').sort((a, b) => b.at - a.at);
    this.dirty = true;
  }

  /** Bans in force by address, for the alerts table. */
  byAddress() {
    return new Map(this.bans.map((b) => [b.address, b]));
  }

  render(now) {
    if (!this.dirty) return;
    this.dirty = false;
    const shown = this.bans.slice(0, this.shownMax);
    const keep = new Set();
    let prev = null;
    for (const ban of shown) {
      keep.add(ban.address);
      const key = `${ban.at}|${ban.expiresAt}|${ban.reason}|${ban.decidedBy}|${ban.score}`;
      let row = this.rows.get(ban.address);
      if (row && row.key !== key) {
        row.tr.remove();
        row = undefined;
      }
      if (!row) {
        row = banRow(ban);
        row.key = key;
        this.rows.set(ban.address, row);
      }
      row.ban = ban;
      const want = prev ? prev.nextSibling : this.tbody.firstChild;
      if (want !== row.tr) this.tbody.insertBefore(row.tr, want);
      prev = row.tr;
    }
    for (const [address, row] of this.rows) {
      if (!keep.has(address)) {
        row.tr.remove();
        this.rows.delete(address);
      }
    }
    this.count.dataset.count = String(this.bans.length);
    toggleEmpty(this.empty, this.tbody.parentElement, this.bans.length === 0);
    setText(this.count, this.bans.length > shown.length ? `${fmtNum(this.bans.length)} in force · newest ${fmtNum(shown.length)} shown` : `${fmtNum(this.bans.length)} in force`);
    this.tick(now);
  }

  /** Counts the time left down; `now` is the server's clock as best known. */
  tick(now) {
    for (const row of this.rows.values()) {
      const left = (row.ban.expiresAt - now) / 1000;
      setText(row.ttl, left > 0 ? fmtDuration(left) : 'expired');
      row.ttl.classList.toggle('expired', left <= 0);
      const frac = row.ban.ttl > 0 ? Math.max(0, Math.min(1, left / row.ban.ttl)) : 0;
      row.bar.style.width = `${(frac * 100).toFixed(1)}%`;
    }
  }
}

function banRow(ban) {
  const operator = ban.decidedBy === 'operator';
  const ttl = h('span', { class: 'ttl-text' });
  const bar = h('span', { class: 'fill' });
  const tr = h(
    'tr',
    { class: 'ban', 'data-address': ban.address, 'data-decided-by': ban.decidedBy },
    h('td', { class: 'c-address mono', text: ban.address, title: `${ban.address}\nbanned at ${isoTime(ban.at)}` }),
    h('td', { class: 'c-reason', text: ban.reason, title: ban.reason }),
    h('td', { class: 'c-decided', 'data-label': 'by' }, h('span', { class: `badge ${operator ? 'operator' : 'detector'}`, text: operator ? 'operator' : ban.decidedBy, title: operator ? 'decided by an operator' : `decided by the detector ${ban.decidedBy}, score ${fmtScore(ban.score)}` })),
    h('td', { class: 'c-ttl num', 'data-label': 'left', 'data-expires-at': ban.expiresAt, title: `until ${isoTime(ban.expiresAt)} (TTL ${fmtDuration(ban.ttl)})` }, h('span', { class: 'meter' }, bar), ttl),
    h('td', { class: 'c-action' }, h('button', { type: 'button', class: 'unblock', 'data-address': ban.address, text: 'Unblock', title: `lift the ban on ${ban.address}` }), h('span', { class: 'action-result', role: 'status' })),
  );
  return { ban, key: '', tr, ttl, bar };
}
