// Rows of the two event feeds: lifecycle events of the actor trees and the chaos monkey's moves.

import { h, fmtTime, isoTime, safeClass } from './dom.js';

export function lifecycleRow(e) {
  const detail = [e.restarts !== undefined ? `restarts ${e.restarts}` : '', e.error ?? ''].filter(Boolean).join(' · ');
  return h(
    'tr',
    // Not data-node/data-path: those pick out rows of the actor trees.
    { class: `ev ev-${safeClass(e.type)}`, 'data-event': e.type, 'data-event-node': e.node, 'data-event-path': e.path },
    h('td', { class: 'c-time' }, h('time', { datetime: isoTime(e.at), title: isoTime(e.at), text: fmtTime(e.at) })),
    h('td', { class: 'c-node', text: e.node }),
    h('td', { class: 'c-event' }, h('span', { class: `status st-${safeClass(e.type)}`, text: String(e.type).replace('_', ' ') })),
    h('td', { class: 'c-path mono', text: e.path, title: e.path }),
    h('td', { class: 'c-detail', text: detail, title: detail }),
  );
}

export function chaosRow(e) {
  return h(
    'tr',
    { class: 'chaos-event', 'data-kind': e.kind, 'data-target': e.target },
    h('td', { class: 'c-time' }, h('time', { datetime: isoTime(e.at), title: isoTime(e.at), text: fmtTime(e.at) })),
    h('td', { class: 'c-kind', text: e.kind }),
    h('td', { class: 'c-target mono', text: e.target, title: e.target }),
    h('td', { class: 'c-detail', text: e.detail, title: e.detail }),
  );
}
