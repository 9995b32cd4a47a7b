// The live actor tree of every node: one table per node, one row per supervisor or actor,
// keyed by path so an update touches only the cells that changed. A row whose restart count
// went up is highlighted for a few seconds, so a crash and its restart are seen as they happen.

import { h, setText, fmtNum, fmtPlain, safeClass } from './dom.js';

const FLASH_MS = 5000;
const COLUMNS = ['actor', 'kind', 'status', 'restarts', 'mailbox', 'msg/s', 'processed', 'dropped', 'last error'];

export class TreeView {
  constructor(container) {
    this.container = container;
    /** node id → { section, head, tbody, rows: Map<path, row>, order } */
    this.nodes = new Map();
    this.views = new Map();
    this.trees = new Map();
    this.self = null;
    /** Node ids to render; null: all of them. */
    this.changed = new Set();
  }

  /** Everything at once (a snapshot): nodes in the order to show them, trees by node id. */
  reset(self, nodes, trees) {
    this.self = self;
    this.views = new Map(nodes.map((n) => [n.id, n]));
    this.trees = new Map(Object.entries(trees ?? {}));
    this.changed = null;
  }

  setNodes(nodes) {
    this.views = new Map(nodes.map((n) => [n.id, n]));
    this.changed = null;
  }

  setTree(nodeId, tree) {
    this.trees.set(nodeId, tree);
    this.changed?.add(nodeId);
  }

  get dirty() {
    return this.changed === null || this.changed.size > 0;
  }

  /** Renders the nodes that changed since the last call, and the section order. */
  render() {
    const changed = this.changed;
    this.changed = new Set();
    if (changed !== null && changed.size === 0) return;
    const ids = [...this.views.keys()];
    for (const id of this.trees.keys()) if (!this.views.has(id)) ids.push(id);
    for (const [id, n] of this.nodes) {
      if (!ids.includes(id)) {
        n.section.remove();
        for (const r of n.rows.values()) clearTimeout(r.flashTimer);
        this.nodes.delete(id);
      }
    }
    let prev = null;
    for (const id of ids) {
      let n = this.nodes.get(id);
      const fresh = !n;
      if (!n) {
        n = this.makeSection(id);
        this.nodes.set(id, n);
      }
      if (fresh || changed === null || changed.has(id)) this.renderNode(id, n);
      // Keep sections in node order without moving the ones already in place.
      const want = prev ? prev.nextSibling : this.container.firstChild;
      if (want !== n.section) this.container.insertBefore(n.section, want);
      prev = n.section;
    }
  }

  makeSection(id) {
    const name = h('span', { class: 'node-name', text: id });
    const badges = h('span', { class: 'badges' });
    const summary = h('span', { class: 'tree-summary' });
    const head = h('header', null, name, badges, summary);
    const tbody = h('tbody');
    const table = h('table', { class: 'tree-table' }, h('thead', null, h('tr', null, ...COLUMNS.map((c, i) => h('th', { class: i >= 3 && i <= 7 ? 'num' : undefined, text: c })))), tbody);
    const empty = h('p', { class: 'empty', text: 'no tree from this node yet', hidden: true });
    const section = h('section', { class: 'node-tree', 'data-node': id }, head, h('div', { class: 'table-wrap' }, table), empty);
    return { section, head, badges, summary, table, tbody, empty, rows: new Map(), order: '' };
  }

  renderNode(id, n) {
    const view = this.views.get(id);
    const tree = this.trees.get(id);
    n.badges.replaceChildren(...nodeBadges(view, id === this.self));
    n.section.classList.toggle('unreachable', view ? !view.reachable : false);
    n.empty.hidden = !!tree;
    n.table.hidden = !tree;
    if (!tree) return;

    const owned = new Set(view?.owned ?? []);
    const seen = new Set();
    const order = [];
    let actors = 0;
    let restarts = 0;
    const walk = (t, depth) => {
      if (!t || typeof t.path !== 'string' || seen.has(t.path)) return;
      seen.add(t.path);
      order.push(t.path);
      actors++;
      restarts += t.restarts || 0;
      let row = n.rows.get(t.path);
      if (!row) {
        row = makeRow(id, t.path);
        n.rows.set(t.path, row);
      }
      updateRow(row, t, depth, owned.has(t.id) || owned.has(`${t.id}@${id}`), view?.epoch);
      for (const c of t.children ?? []) walk(c, depth + 1);
    };
    walk(tree, 0);
    for (const [path, row] of n.rows) {
      if (!seen.has(path)) {
        clearTimeout(row.flashTimer);
        row.tr.remove();
        n.rows.delete(path);
      }
    }
    const key = order.join('\n');
    if (key !== n.order) {
      // Appending moves rows already in the table: one pass puts them all in tree order.
      for (const path of order) n.tbody.append(n.rows.get(path).tr);
      n.order = key;
    }
    setText(n.summary, `${actors} actors · ${fmtNum(restarts)} restarts`);
  }
}

/** Badges of a node: this node, lease, leader, epoch, unreachable. */
export function nodeBadges(view, self) {
  const out = [];
  if (self) out.push(h('span', { class: 'badge self', text: 'this node' }));
  if (!view) return out;
  out.push(h('span', { class: `badge lease lease-${safeClass(view.lease)}`, text: `lease ${view.lease}`, title: 'cluster lease' }));
  if (view.isLeader) out.push(h('span', { class: 'badge leader', text: 'leader' }));
  out.push(h('span', { class: 'badge epoch', text: `epoch ${view.epoch}`, title: 'newest placement epoch this node knows' }));
  if (!view.reachable) out.push(h('span', { class: 'badge unreachable', text: 'unreachable', title: 'its tree could not be read lately: the rows show the last one seen' }));
  return out;
}

function makeRow(node, path) {
  const td = {};
  const tr = h('tr', { 'data-node': node, 'data-path': path });
  for (const name of ['actor', 'kind', 'status', 'restarts', 'mailbox', 'rate', 'processed', 'dropped', 'error']) {
    td[name] = h('td', { class: `c-${name}` });
    tr.append(td[name]);
  }
  td.name = h('span', { class: 'actor-name' });
  td.tags = h('span', { class: 'tags' });
  td.actor.append(td.name, td.tags);
  td.depth = h('span', { class: 'depth' });
  td.meter = h('span', { class: 'meter' }, (td.fill = h('span', { class: 'fill' })));
  td.mailbox.append(td.meter, td.depth);
  return { tr, td, v: {}, flashTimer: undefined };
}

/** Writes one cell's value when it differs from the last one written. */
function put(row, key, value, write) {
  if (row.v[key] === value) return;
  row.v[key] = value;
  write(value);
}

function updateRow(row, t, depth, placed, epoch) {
  const { tr, td } = row;
  const status = String(t.status);
  const restarts = Number(t.restarts) || 0;
  const before = row.v.restarts;
  put(row, 'status', status, (s) => {
    tr.dataset.status = s;
    tr.className = `st-${safeClass(s)}${row.flashTimer !== undefined ? ' restarted' : ''}`;
    td.status.replaceChildren(h('span', { class: `status st-${safeClass(s)}`, text: s.replace('_', ' ') }));
  });
  put(row, 'restarts', restarts, (r) => {
    tr.dataset.restarts = String(r);
    setText(td.restarts, fmtNum(r));
  });
  if (before !== undefined && restarts > before) flash(row);
  put(row, 'depth', depth, (d) => (td.actor.style.paddingLeft = `${0.5 + d * 1.2}em`));
  put(row, 'name', `${t.type}|${t.id}|${t.strategy ?? ''}`, () => {
    tr.dataset.type = t.type;
    td.name.textContent = t.path === '/' ? '/' : t.id;
    td.name.classList.toggle('supervisor', t.type === 'supervisor');
  });
  put(row, 'tags', `${placed}|${epoch}|${t.strategy ?? ''}|${t.incarnation}`, () => {
    const tags = [];
    if (t.type === 'supervisor' && t.strategy) tags.push(h('span', { class: 'tag', text: t.strategy }));
    if (placed) tags.push(h('span', { class: 'tag placed', text: `placed · epoch ${epoch ?? '?'}`, title: 'placed on this node by the cluster' }));
    if (t.incarnation > 1) tags.push(h('span', { class: 'tag', text: `#${t.incarnation}`, title: 'incarnation' }));
    td.tags.replaceChildren(...tags);
  });
  put(row, 'title', `${t.path}|${JSON.stringify(t.stats ?? null)}`, () => {
    const lines = [t.path, `${t.restartType ?? ''} ${t.type}`];
    for (const [k, v] of Object.entries(t.stats ?? {})) lines.push(`${k}: ${fmtPlain(v)}`);
    td.actor.title = lines.join('\n');
  });
  put(row, 'kind', t.kind, (k) => setText(td.kind, k));
  const cap = Number(t.mailboxCapacity) || 0;
  const dep = Number(t.mailboxDepth) || 0;
  put(row, 'mailbox', `${dep}/${cap}`, () => {
    setText(td.depth, cap > 0 ? `${fmtNum(dep)}/${fmtNum(cap)}` : fmtNum(dep));
    td.meter.hidden = cap <= 0;
    const fill = cap > 0 ? Math.min(1, dep / cap) : 0;
    td.fill.style.width = `${(fill * 100).toFixed(1)}%`;
    td.meter.className = `meter${fill >= 0.9 ? ' full' : fill >= 0.5 ? ' busy' : ''}`;
  });
  put(row, 'rate', t.rate, (r) => setText(td.rate, fmtNum(r)));
  put(row, 'processed', t.processed, (p) => setText(td.processed, fmtNum(p)));
  const lost = (Number(t.dropped) || 0) + (Number(t.rejected) || 0);
  put(row, 'dropped', lost, (d) => {
    setText(td.dropped, fmtNum(d));
    td.dropped.classList.toggle('warn', d > 0);
  });
  put(row, 'error', t.lastError ?? '', (e) => {
    setText(td.error, e);
    td.error.title = e;
  });
}

function flash(row) {
  clearTimeout(row.flashTimer);
  row.tr.classList.remove('restarted');
  // Restart the CSS animation when a second restart lands inside the first one's highlight.
  void row.tr.offsetWidth;
  row.tr.classList.add('restarted');
  row.flashTimer = setTimeout(() => {
    row.flashTimer = undefined;
    row.tr.classList.remove('restarted');
  }, FLASH_MS);
}
