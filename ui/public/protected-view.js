// The protected set: what is never banned automatically, each entry with where it came from
// (loopback, this node, the allow-list, the cluster, etcd, the network's gateways, resolvers
// and NTP servers), and the bans the firewall set aside. Read from /api/protected, which needs
// no token; refreshed every 30 s (the set changes when members join or the host's routes do).

import { h, toggleEmpty } from './dom.js';
import { call } from './api.js';

const REFRESH_MS = 30_000;

export class ProtectedView {
  constructor(tbody, count, aside, empty) {
    this.tbody = tbody;
    this.empty = empty;
    this.count = count;
    this.aside = aside;
  }

  start() {
    const load = () =>
      call('GET', '/api/protected', undefined, false)
        .then((p) => this.render(p))
        .catch((err) => {
          this.count.textContent = '';
          this.empty.textContent = `The protected set is unavailable: ${err.message}`;
          toggleEmpty(this.empty, this.tbody.parentElement, true);
        });
    load();
    setInterval(load, REFRESH_MS);
  }

  render(p) {
    this.count.textContent = `${p.entries.length} entries`;
    this.empty.textContent = 'Nothing is protected: not even loopback, which the node always protects; is the response side running?';
    toggleEmpty(this.empty, this.tbody.parentElement, p.entries.length === 0);
    this.tbody.replaceChildren(
      ...p.entries.map((e) =>
        h('tr', null, h('td', { class: 'addr mono', text: e.net, title: e.net }), h('td', { text: e.why, title: e.why }), h('td', { 'data-label': 'operator ban', text: e.forceable ? 'with force' : 'never', title: e.forceable ? 'an operator may ban it with force' : 'never banned, not even by an operator' })),
      ),
    );
    this.aside.textContent =
      p.setAside.length === 0 ? 'No ban set aside by the firewall.' : `Set aside by the firewall (not applied): ${p.setAside.map((s) => `${s.address}: ${s.why}`).join('; ')}`;
  }
}
