// The "Ask / Pregunta" box: a question in Spanish or English goes to POST /api/ask; the
// answer's text comes first, then (folded) what was understood, the query and which nodes
// answered, and the rows as a table. A command ("bloquea …") comes back as a dry run: its
// Confirm posts the confirmation id to POST /api/tools/<name> with the token. Asking never
// changes anything; only Confirm does. Server text reaches the page through textContent only.

import { h, setText, fmtNum, fmtPlain, fmtTime, fmtDuration, isoTime } from './dom.js';
import { call, NeedsTokenError } from './api.js';

/** The labels around the answer, in the answer's language. */
const SAY = {
  en: {
    asking: 'asking…',
    details: 'what I understood / the query',
    understood: 'Understood',
    query: 'Query',
    scope: 'Scope',
    asked: (where) => (where === 'cluster' ? 'the cluster' : `node ${where}`),
    answered: 'answered',
    missing: 'no answer',
    none: 'none',
    noRows: 'no rows',
    would: { ban: 'Would ban', unban: 'Would unban' },
    refused: 'Refused',
    confirmBy: (t) => `Confirm before ${t} UTC, or it lapses.`,
    nothing: 'Nothing to confirm.',
    confirm: 'Confirm',
    cancel: 'Cancel',
    confirming: 'applying…',
    cancelled: 'Cancelled: nothing was changed (the dry run lapses by itself).',
    done: { ban: 'Done: banned', unban: 'Done: unbanned' },
    notThere: 'was not banned',
    refusedNow: 'Refused',
  },
  es: {
    asking: 'preguntando…',
    details: 'lo que entendí / la consulta',
    understood: 'Entendí',
    query: 'Consulta',
    scope: 'Ámbito',
    asked: (where) => (where === 'cluster' ? 'el clúster' : `nodo ${where}`),
    answered: 'respondieron',
    missing: 'sin respuesta',
    none: 'ninguno',
    noRows: 'sin filas',
    would: { ban: 'Se bloquearía', unban: 'Se desbloquearía' },
    refused: 'Rechazadas',
    confirmBy: (t) => `Confirma antes de las ${t} UTC, o caduca.`,
    nothing: 'Nada que confirmar.',
    confirm: 'Confirmar',
    cancel: 'Cancelar',
    confirming: 'aplicando…',
    cancelled: 'Cancelado: no se ha cambiado nada (la simulación caduca sola).',
    done: { ban: 'Hecho: bloqueadas', unban: 'Hecho: desbloqueadas' },
    notThere: 'no estaba bloqueada',
    refusedNow: 'Rechazadas',
  },
};

/** Columns whose numbers are times (ms since the epoch). */
const TIME_COLUMNS = new Set(['at', 'bucket']);

const $ = (id) => document.getElementById(id);

/** The browser's zone: "today" in a question means the asker's day. */
function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

const zone = browserZone();
const zoneTime = zone ? new Intl.DateTimeFormat('sv-SE', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }) : null;

/** A table cell: times in the zone the question was asked in, counts grouped, the rest as text. */
function cell(column, v) {
  if (v === null || v === undefined) return h('td', { class: 'muted', text: '–' });
  if (typeof v === 'number' && TIME_COLUMNS.has(column)) {
    const text = zoneTime ? zoneTime.format(new Date(v)) : isoTime(v);
    return h('td', { class: 'mono', text, title: isoTime(v) });
  }
  if (typeof v === 'number') return h('td', { class: 'num', text: column === 'count' ? fmtNum(v) : fmtPlain(v), title: String(v) });
  return h('td', { text: String(v), title: String(v) });
}

/**
 * An aggregate of unverified attempts (a flow row whose detail has `attempts`, stored once for
 * many flows, e.g. a spoofed flood's): its source cell says how many flows and sources it holds,
 * and for a target's many-ports row how many ports.
 */
function attemptsOf(columns, r) {
  const d = columns.indexOf('detail');
  if (d < 0 || typeof r[d] !== 'string' || !r[d].includes('"attempts"')) return null;
  try {
    return JSON.parse(r[d]).attempts ?? null;
  } catch {
    return null;
  }
}

function sourceCell(v, a) {
  const who = v === '*' ? 'spoofed/unverified sources' : String(v);
  // a target's many-ports row (tcp/*, udp/*): the ports past those with rows of their own
  const ports = typeof a.ports === 'number' ? `, ${fmtNum(a.ports)} more ports` : '';
  const text = `${who}: ${fmtNum(a.flows)} flows, ${a.sourcesExact ? '' : '~'}${fmtNum(a.sources)} sources${ports}`;
  return h('td', { class: 'attempts', text, title: `e.g. ${(a.samples ?? []).join(', ')}` });
}

function rowsTable(columns, rows, say) {
  const head = h('tr', null, ...columns.map((c) => h('th', { class: c === 'count' ? 'num' : undefined, text: TIME_COLUMNS.has(c) && zone ? `${c} (${zone})` : c })));
  const row = (r) => {
    const a = attemptsOf(columns, r);
    return h('tr', a ? { 'data-attempts': String(a.flows) } : null, ...columns.map((c, i) => (a && c === 'source' ? sourceCell(r[i], a) : cell(c, r[i]))));
  };
  const body = rows.length
    ? rows.map(row)
    : [h('tr', null, h('td', { class: 'muted', colspan: String(columns.length), text: say.noRows }))];
  return h('div', { class: 'scroll short' }, h('table', { id: 'ask-rows', 'data-rows': String(rows.length) }, h('thead', null, head), h('tbody', null, ...body)));
}

function scopeText(scope, say) {
  const answered = scope.answered.length ? scope.answered.join(', ') : say.none;
  const missing = scope.missing.length ? scope.missing.map((m) => `${m.node} (${m.why})`).join(', ') : say.none;
  return `${say.asked(scope.asked)} · ${say.answered}: ${answered} · ${say.missing}: ${missing}`;
}

function detailsBlock(a, say) {
  const parts = [];
  if (a.understood.length) parts.push(h('p', { class: 'ask-label', text: say.understood }), h('ul', { class: 'ask-understood' }, ...a.understood.map((u) => h('li', { text: u }))));
  if (a.query) parts.push(h('p', { class: 'ask-label', text: say.query }), h('pre', { class: 'ask-query mono', text: JSON.stringify(a.query, null, 2) }));
  if (a.scope) {
    parts.push(
      h('p', { class: 'ask-label', text: say.scope }),
      h('p', { class: 'ask-scope', 'data-answered': a.scope.answered.join(' '), 'data-missing': a.scope.missing.map((m) => m.node).join(' '), text: scopeText(a.scope, say) }),
    );
  }
  if (!parts.length) return null;
  return h('details', { id: 'ask-details', class: 'ask-details' }, h('summary', { text: say.details }), ...parts);
}

function addressList(cls, items) {
  return h('ul', { class: `ask-addresses ${cls}` }, ...items.map(([address, note]) => h('li', { 'data-address': address }, h('span', { class: 'mono', text: address }), note ? h('span', { class: 'muted', text: ` — ${note}` }) : null)));
}

export class AskBox {
  constructor(form, input, submit, output) {
    this.form = form;
    this.input = input;
    this.submit = submit;
    this.output = output;
    /** Only the newest question's answer is shown, whatever order the answers come in. */
    this.seq = 0;
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.ask(input.value.trim());
    });
  }

  async ask(question) {
    if (!question) return;
    const seq = ++this.seq;
    this.submit.disabled = true;
    this.output.dataset.state = 'busy';
    this.show(h('p', { id: 'ask-answer', class: 'ask-text muted', text: SAY.en.asking }));
    try {
      // The token goes along when set (a command's dry run needs it), but asking needs none.
      const a = await call('POST', '/api/ask', zone ? { question, timeZone: zone } : { question }, false);
      if (seq === this.seq) this.render(a);
    } catch (err) {
      if (seq === this.seq) this.fail(err);
    } finally {
      if (seq === this.seq) this.submit.disabled = false;
    }
  }

  show(...children) {
    this.output.hidden = false;
    this.output.replaceChildren(...children.filter(Boolean));
  }

  fail(err) {
    this.output.dataset.state = 'error';
    this.show(h('p', { id: 'ask-answer', class: 'ask-text', 'data-kind': 'error', 'data-status': String(err.status ?? ''), text: err.message }));
  }

  render(a) {
    const say = SAY[a.language] ?? SAY.en;
    this.output.dataset.state = 'answered';
    this.output.dataset.mapped = String(!!a.mapped);
    this.output.lang = a.language;
    const text = h('p', { id: 'ask-answer', class: 'ask-text', 'data-kind': a.mapped ? 'answer' : 'unmapped', text: a.text });
    const table = a.mapped && Array.isArray(a.columns) && Array.isArray(a.rows) ? rowsTable(a.columns, a.rows, say) : null;
    this.show(text, a.toolCall ? this.dryRun(a.toolCall, say) : null, detailsBlock(a, say), table);
  }

  /** The dry run of a command, with Confirm and Cancel. */
  dryRun(toolCall, say) {
    const d = toolCall.dryRun ?? {};
    const would = Array.isArray(d.would) ? d.would : [];
    const refused = Array.isArray(d.refused) ? d.refused : [];
    const action = toolCall.name === 'unblock_addresses' ? 'unban' : 'ban';
    const outcome = h('p', { id: 'ask-outcome', class: 'ask-outcome', role: 'status' });
    const box = h(
      'div',
      { id: 'ask-dryrun', class: 'ask-dryrun', 'data-tool': toolCall.name, 'data-confirmation': d.confirmation ?? '' },
      would.length ? h('p', { class: 'ask-label', text: `${say.would[action]} (${would.length})` }) : null,
      would.length ? addressList('would', would.map((w) => [w.address, w.ttl ? `TTL ${fmtDuration(w.ttl)}` : ''])) : null,
      refused.length ? h('p', { class: 'ask-label', text: `${say.refused} (${refused.length})` }) : null,
      refused.length ? addressList('refused', refused.map((r) => [r.address, r.why])) : null,
    );
    if (!d.confirmation) {
      box.append(h('p', { class: 'muted', text: say.nothing }));
      return box;
    }
    const confirm = h('button', { id: 'ask-confirm', type: 'button', class: 'block', text: say.confirm });
    const cancel = h('button', { id: 'ask-cancel', type: 'button', text: say.cancel });
    const expires = Date.parse(d.expiresAt);
    box.append(h('p', { class: 'ask-actions' }, confirm, ' ', cancel, Number.isFinite(expires) ? h('span', { class: 'muted', text: ` ${say.confirmBy(fmtTime(expires))}` }) : null), outcome);
    const settle = () => {
      confirm.disabled = true;
      cancel.disabled = true;
    };
    cancel.addEventListener('click', () => {
      settle();
      box.dataset.state = 'cancelled';
      outcome.dataset.kind = 'cancelled';
      setText(outcome, say.cancelled);
    });
    confirm.addEventListener('click', async () => {
      settle();
      box.dataset.state = 'confirming';
      outcome.dataset.kind = 'busy';
      setText(outcome, say.confirming);
      try {
        const r = await call('POST', `/api/tools/${encodeURIComponent(toolCall.name)}`, { confirm: d.confirmation }, true);
        box.dataset.state = 'done';
        outcome.dataset.kind = Array.isArray(r?.refused) && r.refused.length ? 'partial' : 'ok';
        outcome.replaceChildren(...this.outcome(r, action, say));
      } catch (err) {
        box.dataset.state = 'error';
        outcome.dataset.kind = 'error';
        setText(outcome, err.message);
        // Without the token (or with a wrong one) nothing was used up: it can be set and tried again.
        if (err instanceof NeedsTokenError || err.status === 401) {
          confirm.disabled = false;
          cancel.disabled = false;
        }
      }
    });
    return box;
  }

  outcome(r, action, say) {
    const done = Array.isArray(r?.done) ? r.done : [];
    const refused = Array.isArray(r?.refused) ? r.refused : [];
    return [
      h('span', { class: 'ask-label', text: `${say.done[action]} (${done.length})` }),
      addressList('done', done.map((d) => [d.address, d.existed === false ? say.notThere : d.ttl ? `TTL ${fmtDuration(d.ttl)}` : ''])),
      refused.length ? h('span', { class: 'ask-label', text: `${say.refusedNow} (${refused.length})` }) : null,
      refused.length ? addressList('refused', refused.map((x) => [x.address, x.why])) : null,
    ].filter(Boolean);
  }
}

new AskBox($('ask-form'), $('ask-input'), $('ask-submit'), $('ask-output'));
