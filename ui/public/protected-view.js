// The protected set: what is never banned automatically, each entry with where it came from
// (loopback, this node, the allow-list, the cluster, etcd, the network's gateways, resolvers
// and NTP servers), and the bans the firewall set aside. Read from /api/protected, which needs
// no token; refreshed every 30 s (the set changes when members join or the host's routes do).

import { h } from './dom.js';
import { call } from './api.js';

const REFRESH_MS = 30_000;

export class ProtectedView {
  constructor(tbody, count, aside) {
    this.tbody = tbody;
    this.count = count;
    this.aside = aside;
  }

  start() {
    const load = () =>
      call('GET', '/api/protected', undefined, false)
        .then((p) => this.render(p))
        .catch((err) => {
          this.count.textContent = `(unavailable: ${err.message})`;
        });
    load();
    setInterval(load, REFRESH_MS);
  }

  render(p) {
    this.count.textContent = `${p.entries.length} entries`;
    this.tbody.replaceChildren(
      ...p.entries.map((e) =>
        h('tr', null, h('td', { class: 'addr', text: e.net }), h('td', { text: e.why }), h('td', { text: e.forceable ? 'with force' : 'never', title: e.forceable ? 'an operator may ban it with force' : 'never banned, not even by an operator' })),
      ),
    );
    this.aside.textContent =
      p.setAside.length === 0 ? 'No ban set aside by the firewall.' : `Set aside by the firewall (not applied): ${p.setAside.map((s) => `${s.address}: ${s.why}`).join('; ')}`;
  }
}
