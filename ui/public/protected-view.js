// The protected set: what is never banned automatically, each entry with where it came from
// (loopback, this node, the allow-list, the cluster, etcd, the network's gateways, resolvers
// and NTP servers), and the bans the firewall set aside. Read from /api/protected, which needs
// no token; refreshed every 30 s (the set changes when members join or the host's routes do).

import { h } from './dom.js';
import { call } from './api.js';
import { PolledPanel } from './polled-panel.js';

const REFRESH_MS = 30_000;

export class ProtectedView extends PolledPanel {
  constructor(tbody, count, aside, empty) {
    super(tbody, count, empty, Date.now, REFRESH_MS);
    this.aside = aside;
  }

  async load() {
    try {
      this.render(await call('GET', '/api/protected', undefined, false));
    } catch (err) {
      this.say(`The protected set is unavailable: ${err.message}`);
    }
  }

  render(p) {
    this.show(
      p.entries.map((e) =>
        h('tr', null, h('td', { class: 'addr mono', text: e.net, title: e.net }), h('td', { text: e.why, title: e.why }), h('td', { 'data-label': 'operator ban', text: e.forceable ? 'with force' : 'never', title: e.forceable ? 'an operator may ban it with force' : 'never banned, not even by an operator' })),
      ),
      `${p.entries.length} entries`,
      'Nothing is protected, not even loopback, which the node always protects: is the response side running?',
    );
    this.aside.textContent =
      p.setAside.length === 0 ? 'No ban set aside by the firewall.' : `Set aside by the firewall (not applied): ${p.setAside.map((s) => `${s.address}: ${s.why}`).join('; ')}`;
  }
}
