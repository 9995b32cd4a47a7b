// The CrowdSec bouncers panel: each bouncer registered with `autoimmune bouncers add`, where
// and what it is (address, user agent) and when it last pulled the decisions. Read from GET
// /api/bouncers, which needs the API token (it names the machines that enforce the bans).

import { h, isoTime, fmtNum, fmtAgo } from './dom.js';
import { call, hasToken } from './api.js';
import { PolledPanel } from './polled-panel.js';

/** A bouncer that has not pulled for this long is marked stale (they pull every 10 s by default). */
const STALE_MS = 120_000;

export class BouncersView extends PolledPanel {
  /** Reads the list (again when the token changes). */
  async load() {
    if (!hasToken()) return this.say('The bouncers are listed for operators only: paste the API token above to see them.');
    try {
      this.render(await call('GET', '/api/bouncers', undefined, true));
    } catch (err) {
      this.say(err.status === 401 ? `The API token was refused: ${err.message}` : `Bouncers unavailable: ${err.message}`);
    }
  }

  render(bouncers) {
    const list = Array.isArray(bouncers) ? bouncers : [];
    const now = this.now();
    const pulling = list.filter((b) => b.lastPull && now - b.lastPull < STALE_MS).length;
    this.show(
      list.map((b) => bouncerRow(b, now)),
      list.length ? `${fmtNum(list.length)} registered · ${fmtNum(pulling)} pulling` : '',
      `No CrowdSec bouncer registered: register one with autoimmune bouncers add NAME and give it this node's address (${location.origin}/) as its api_url.`,
    );
  }
}

function bouncerRow(b, now) {
  const stale = !b.lastPull || now - b.lastPull >= STALE_MS;
  return h(
    'tr',
    { class: 'bouncer', 'data-bouncer': b.name },
    h('td', { class: 'c-bouncer', text: b.name, title: `${b.name}\nregistered ${isoTime(b.createdAt)}` }),
    h('td', { class: 'c-ip mono', text: b.ip ?? '–', title: b.ip ? `last pulled from ${b.ip}` : 'has not pulled yet' }),
    h('td', { class: 'c-version', 'data-label': 'version', text: b.version ?? '–', title: b.version ?? 'has not pulled yet' }),
    h('td', { class: `c-pull${stale ? ' stale' : ''}`, 'data-label': 'last pull', 'data-last-pull': b.lastPull ?? '', text: b.lastPull ? fmtAgo(b.lastPull, now) : 'never', title: b.lastPull ? `last pull ${isoTime(b.lastPull)}${stale ? ' (over 2 min ago: is it still running?)' : ''}` : 'it has not pulled the decisions yet' }),
  );
}
