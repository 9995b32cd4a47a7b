// The dashboard page: one WebSocket (/ws) brings a snapshot, then deltas (at most ~10 per
// second); messages only update state, and one animation frame writes what changed to the
// page. Block and Unblock go through the HTTP API with the token in a header.

import { h, setText, fmtNum, fmtScore, fmtDuration, fmtTime, toggleEmpty } from './dom.js';
import { adoptTokenFromFragment, hasToken, setToken, block, unblock, NeedsTokenError } from './api.js';
import { TreeView, nodeBadges } from './tree-view.js';
import { AlertsView } from './alerts-view.js';
import { BansView } from './bans-view.js';
import { ProtectedView } from './protected-view.js';
import { MapView } from './map-view.js';
import { CappedList } from './capped-list.js';
import { lifecycleRow, chaosRow } from './feeds.js';
import { FeedsView } from './feeds-view.js';
import { ModelView } from './model-view.js';
import { BouncersView } from './bouncers-view.js';

/** Mirrors ALERTS_KEPT in ui/dashboard-protocol.ts. */
const ALERTS_KEPT = 500;
const LIFECYCLE_KEPT = 200;
const CHAOS_KEPT = 200;
const MAP_SOURCES = 1000;
const BANS_SHOWN = 1000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

const $ = (id) => document.getElementById(id);

const state = {
  self: '',
  nodes: [],
  nodesJson: '',
  nodesDirty: false,
  counters: null,
  countersDirty: false,
  chaosActive: false,
  chaosSeen: 0,
  chaosDirty: false,
  /** Server clock minus ours, from each message's `at`: TTLs count down on the server's clock. */
  skewMs: 0,
  lastAt: 0,
};

const serverNow = () => Date.now() + state.skewMs;

const trees = new TreeView($('trees'));
const alerts = new AlertsView($('alerts-scroll'), $('alerts'), $('alerts-total'), $('alerts-empty'), ALERTS_KEPT, onBlock);
const bans = new BansView($('bans'), $('bans-count'), $('bans-empty'), BANS_SHOWN, onUnblock);
const map = new MapView($('map'), $('map-status'), $('map-empty'), $('map-count'), MAP_SOURCES);
new ProtectedView($('protected'), $('protected-count'), $('protected-aside'), $('protected-empty')).start();
new ModelView($('model'), $('model-kind'), $('model-empty'), serverNow, 5000).start();
const feeds = new FeedsView($('feeds'), $('feeds-count'), $('feeds-empty'), serverNow);
const bouncers = new BouncersView($('bouncers'), $('bouncers-count'), $('bouncers-empty'), serverNow);
const lifecycle = new CappedList($('lifecycle'), LIFECYCLE_KEPT, lifecycleRow);
const chaos = new CappedList($('chaos-list'), CHAOS_KEPT, chaosRow);

alerts.onScroll = () => schedule();

// ---- rendering: one frame for everything that changed ----

let frame = 0;

function schedule() {
  if (!frame) frame = requestAnimationFrame(flush);
}

function flush() {
  frame = 0;
  // The alerts first: they read the scroll position, before anything is written this frame.
  const parts = [
    () => alerts.render(),
    () => trees.render(),
    () => bans.render(serverNow()),
    () => map.render(),
    () => lifecycle.render(),
    () => chaos.render(),
    renderNodes,
    renderCounters,
    renderEmptyStates,
    renderChaosState,
    renderHeader,
  ];
  // One part failing on odd data must not stop the others.
  for (const part of parts) {
    try {
      part();
    } catch (err) {
      console.error('dashboard: render failed', err);
    }
  }
}

function renderNodes() {
  if (!state.nodesDirty) return;
  state.nodesDirty = false;
  const cards = state.nodes.map((n) => {
    const owned = Array.isArray(n.owned) ? n.owned : [];
    const link = /^https?:\/\//i.test(n.http) ? h('a', { href: n.http, text: n.http, class: 'muted', rel: 'noreferrer' }) : h('span', { class: 'muted', text: n.http ?? '' });
    return h(
      'div',
      {
        class: `node-card${n.reachable ? '' : ' unreachable'}${n.isLeader ? ' is-leader' : ''}`,
        'data-node': n.id,
        'data-lease': n.lease,
        'data-leader': String(!!n.isLeader),
        'data-epoch': n.epoch,
        'data-reachable': String(!!n.reachable),
      },
      h('div', { class: 'node-card-head' }, h('b', { class: 'node-name', text: n.id }), ...nodeBadges(n, n.id === state.self)),
      h('div', { class: 'node-card-body muted' }, h('span', { text: `runs ${owned.length} placed actor${owned.length === 1 ? '' : 's'}`, title: owned.join('\n') }), n.leader && !n.isLeader ? h('span', { text: ` · leader ${n.leader}` }) : null, ' · ', link),
    );
  });
  $('nodes').replaceChildren(...cards);
}

function renderCounters() {
  if (!state.countersDirty || !state.counters) return;
  state.countersDirty = false;
  for (const el of document.querySelectorAll('#counters .counter')) {
    const v = state.counters[el.dataset.counter];
    setText(el.querySelector('.value'), fmtNum(v));
    el.classList.toggle('warn', el.dataset.counter === 'dropsPerS' && v > 0);
  }
}

function renderEmptyStates() {
  toggleEmpty($('trees-empty'), null, $('trees').childElementCount === 0);
  toggleEmpty($('lifecycle-empty'), $('lifecycle-table'), lifecycle.size === 0);
}

function renderChaosState() {
  if (!state.chaosDirty) return;
  state.chaosDirty = false;
  const section = $('chaos');
  section.hidden = !(state.chaosActive || state.chaosSeen > 0);
  section.dataset.active = String(state.chaosActive);
  const badge = $('chaos-state');
  setText(badge, state.chaosActive ? 'run going' : 'no run going');
  badge.classList.toggle('active', state.chaosActive);
}

function renderHeader() {
  setText($('self-node'), state.self ? `— node ${state.self}` : '');
  if (state.lastAt) setText($('updated'), `server time ${fmtTime(state.lastAt)} UTC`);
}

// ---- messages ----

function sortedByTime(list) {
  return Array.isArray(list) ? list.slice().sort((a, b) => a.at - b.at) : [];
}

function applySnapshot(m) {
  state.self = m.node;
  state.nodes = Array.isArray(m.nodes) ? m.nodes : [];
  state.nodesJson = JSON.stringify(state.nodes);
  state.nodesDirty = true;
  trees.reset(m.node, state.nodes, m.trees);
  const list = Array.isArray(m.alerts) ? m.alerts : [];
  alerts.reset(list, m.alertsTotal ?? list.length);
  map.reset();
  map.add(list);
  bans.set(Array.isArray(m.bans) ? m.bans : []);
  alerts.setBanned(bans.byAddress());
  state.counters = m.counters;
  state.countersDirty = true;
  lifecycle.reset(sortedByTime(m.lifecycle));
  const events = sortedByTime(m.chaos);
  chaos.reset(events);
  state.chaosSeen = events.length;
  state.chaosActive = !!m.chaosActive;
  state.chaosDirty = true;
}

function applyDelta(m) {
  // The server resends the nodes with every tree sample; redraw only when they changed.
  const nodesJson = Array.isArray(m.nodes) ? JSON.stringify(m.nodes) : state.nodesJson;
  if (nodesJson !== state.nodesJson) {
    state.nodesJson = nodesJson;
    state.nodes = m.nodes;
    state.nodesDirty = true;
    trees.setNodes(m.nodes);
  }
  if (m.trees) for (const [node, tree] of Object.entries(m.trees)) trees.setTree(node, tree);
  if (Array.isArray(m.alerts) && m.alerts.length > 0) {
    alerts.add(m.alerts);
    map.add(m.alerts);
  }
  if (typeof m.alertsTotal === 'number') alerts.setTotal(m.alertsTotal);
  if (Array.isArray(m.bans)) {
    bans.set(m.bans);
    alerts.setBanned(bans.byAddress());
  }
  if (m.counters) {
    state.counters = m.counters;
    state.countersDirty = true;
  }
  if (Array.isArray(m.lifecycle)) lifecycle.add(sortedByTime(m.lifecycle));
  if (Array.isArray(m.chaos) && m.chaos.length > 0) {
    chaos.add(sortedByTime(m.chaos));
    state.chaosSeen += m.chaos.length;
    state.chaosDirty = true;
  }
  if (typeof m.chaosActive === 'boolean' && m.chaosActive !== state.chaosActive) {
    state.chaosActive = m.chaosActive;
    state.chaosDirty = true;
  }
}

function onMessage(ev) {
  let m;
  try {
    m = JSON.parse(ev.data);
  } catch (err) {
    console.error('dashboard: a message that is not JSON', err);
    return;
  }
  if (m && typeof m.at === 'number' && Number.isFinite(m.at)) {
    state.skewMs = m.at - Date.now();
    state.lastAt = m.at;
  }
  if (m?.type === 'snapshot') {
    applySnapshot(m);
    attempt = 0;
    setConn('connected', 'connected');
  } else if (m?.type === 'delta') {
    if (!gotSnapshot()) return;
    applyDelta(m);
  } else {
    console.warn('dashboard: unknown message type', m?.type);
    return;
  }
  schedule();
}

// ---- the connection, with reconnect and backoff ----

let socket = null;
let attempt = 0;
let retryAt = 0;
let retryTimer = 0;

function gotSnapshot() {
  return $('conn').dataset.state === 'connected';
}

function setConn(stateName, text) {
  const el = $('conn');
  el.dataset.state = stateName;
  setText(el, text);
  document.body.dataset.conn = stateName;
}

function connect() {
  clearTimeout(retryTimer);
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  setConn(attempt === 0 ? 'connecting' : 'reconnecting', attempt === 0 ? 'connecting…' : `reconnecting… (attempt ${attempt + 1})`);
  let ws;
  try {
    ws = new WebSocket(url);
  } catch (err) {
    console.error('dashboard: cannot open the WebSocket', err);
    retryLater();
    return;
  }
  socket = ws;
  ws.addEventListener('message', (ev) => {
    if (socket === ws) onMessage(ev);
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = null;
    retryLater();
  });
}

function retryLater() {
  attempt++;
  // Exponential backoff with jitter, so many pages do not all come back at once after a restart.
  const base = Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** (attempt - 1));
  const delay = Math.round(base * (0.75 + Math.random() * 0.5));
  retryAt = Date.now() + delay;
  showRetry();
  retryTimer = setTimeout(connect, delay);
}

function showRetry() {
  const left = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
  setConn('reconnecting', `disconnected · reconnecting in ${left} s (attempt ${attempt})`);
}

// ---- actions ----

function announce(text, kind) {
  const el = $('action-status');
  el.hidden = false;
  el.dataset.kind = kind;
  setText(el, text);
}

function showResult(el, text, kind) {
  if (!el) return;
  el.dataset.kind = kind;
  setText(el, text);
  el.title = text;
}

function needToken(resultEl) {
  showResult(resultEl, 'needs the API token', 'error');
  announce(new NeedsTokenError().message, 'error');
  $('token').focus();
}

const EXTENDED = 'extended from the dashboard: ';

/** The reason an extended ban carries: its own, said once to be extended. */
function extendedReason(ban) {
  const reason = String(ban.reason ?? '');
  return (reason.startsWith(EXTENDED) ? reason : `${EXTENDED}${reason}`).slice(0, 500);
}

/** Block an alert's source, or Extend its ban in force: what is left of it plus its own length again. */
async function onBlock(alert, resultEl, button, ban) {
  if (!hasToken()) return needToken(resultEl);
  const verb = ban ? 'Extend' : 'Block';
  button.disabled = true;
  showResult(resultEl, ban ? 'extending…' : 'blocking…', 'busy');
  try {
    const left = ban ? Math.max(0, Math.round((ban.expiresAt - serverNow()) / 1000)) : 0;
    const d = ban
      ? await block(alert.source, extendedReason(ban), left + Math.max(1, Math.round(ban.ttl)))
      : await block(alert.source, `dashboard: ${alert.type} score ${fmtScore(alert.score)}`);
    const ttl = typeof d?.ttl === 'number' ? ` for ${fmtDuration(d.ttl)}` : '';
    showResult(resultEl, `${ban ? 'extended' : 'blocked'}${ttl}`, 'ok');
    announce(`${ban ? 'Extended the ban on' : 'Blocked'} ${d?.address ?? alert.source}${ttl}.`, 'ok');
  } catch (err) {
    showResult(resultEl, err.message, 'error');
    announce(`${verb} ${alert.source} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`, 'error');
  } finally {
    button.disabled = false;
  }
}

async function onUnblock(ban, resultEl, button) {
  if (!hasToken()) return needToken(resultEl);
  button.disabled = true;
  showResult(resultEl, 'unblocking…', 'busy');
  try {
    await unblock(ban.address);
    showResult(resultEl, 'unblocked', 'ok');
    announce(`Unblocked ${ban.address}.`, 'ok');
  } catch (err) {
    showResult(resultEl, err.message, 'error');
    announce(`Unblock ${ban.address} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`, 'error');
  } finally {
    button.disabled = false;
  }
}

function renderTokenState() {
  const set = hasToken();
  const el = $('token-state');
  el.dataset.set = String(set);
  setText(el, set ? 'set for this tab' : 'not set: Block and Unblock need it');
  document.body.dataset.token = set ? 'set' : 'unset';
}

$('token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const input = $('token');
  setToken(input.value);
  input.value = '';
  renderTokenState();
  announce(hasToken() ? 'API token saved for this tab.' : 'API token cleared.', 'ok');
  void bouncers.load();
});

window.addEventListener('hashchange', () => {
  adoptTokenFromFragment();
  renderTokenState();
  void bouncers.load();
});

// ---- start ----

adoptTokenFromFragment();
renderTokenState();
void map.load('/api/map');
feeds.start();
bouncers.start();
connect();

setInterval(() => {
  if (retryTimer && !socket) showRetry();
  if (!document.hidden) bans.tick(serverNow());
}, 1000);
