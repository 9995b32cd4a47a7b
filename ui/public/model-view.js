// The anomaly model panel: which model (density or KitNET, scored per flow or per packet), its
// phase (learning the grace period, fitting, scoring), the grace period's progress, the model
// in force (version, alert threshold), the share of scored rows over the threshold, how many
// rule-flagged addresses are kept out of learning, and a candidate in shadow. Read from
// GET /api/model (no token needed) every few seconds. In a cluster the trainer runs on one
// node: the others say which model version the cluster has in force.

import { h, fmtNum, fmtPlain } from './dom.js';
import { call } from './api.js';
import { PolledPanel } from './polled-panel.js';

const PHASES = {
  grace: 'learning what normal traffic looks like (grace period); nothing is scored yet',
  training: 'fitting the model on the grace period\'s rows',
  scoring: 'scoring traffic with the model in force',
};

export class ModelView extends PolledPanel {
  async load() {
    try {
      this.render(await call('GET', '/api/model', undefined, false));
    } catch (err) {
      this.say(`Model state unavailable: ${err.message}`);
    }
  }

  render(m) {
    if (!m || typeof m !== 'object') return this.say('Model state unavailable.');
    if (m.enabled === false) return this.say('The anomaly model is off on this node (model.enabled false): the rules still detect and ban.');
    const scoring = m.flowScoring ? 'per flow' : 'per packet';
    const kind = `${m.kind ?? 'model'} · ${scoring}`;
    this.show([m.state ? localRow(m, kind) : clusterRow(m, kind)], kind, '');
  }
}

function localRow(m, kind) {
  const s = m.state;
  const grace = s.grace ?? { rows: 0, of: 0, progress: 0 };
  const pct = Math.round((grace.progress ?? 0) * 100);
  const current = s.current ? `v${s.current.version} · threshold ${fmtPlain(s.current.threshold)}` : 'none yet';
  const rate = typeof s.alertRate === 'number' ? `${fmtPlain(s.alertRate * 100)} %` : '–';
  const cand = s.candidate ? `v${s.candidate.version}: ${fmtNum(s.candidate.shadowRows)} / ${fmtNum(s.candidate.shadowRowsNeeded)} rows` : 'none';
  return h(
    'tr',
    { class: 'model', 'data-phase': s.phase },
    h('td', { 'data-label': 'model', text: kind, title: `${m.kind === 'density' ? 'per-feature histograms (HBOS)' : 'KitNET autoencoders'}, scored ${m.flowScoring ? 'per flow (damped means of the host pair and destination)' : 'per packet'}` }),
    h('td', { 'data-label': 'phase', class: `c-phase phase-${s.phase}`, text: s.phase, title: PHASES[s.phase] ?? s.phase }),
    h('td', { 'data-label': 'grace', class: 'c-grace', title: `${fmtNum(grace.rows)} of ${fmtNum(grace.of)} rows learnt (model.graceRows)` }, h('progress', { max: '100', value: String(pct) }), h('span', { class: 'muted', text: ` ${pct} %` })),
    h('td', { 'data-label': 'in force', class: 'c-current', text: current, title: 'the model version scoring now, and the score over which a row is anomalous (fitted on held-out benign rows of the same kind of score)' }),
    h('td', { 'data-label': 'alert rate', class: 'num c-rate-model', text: rate, title: `${fmtNum(s.scoredRows)} rows scored since the start; the share over the threshold` }),
    h('td', { 'data-label': 'flagged', class: 'num c-flagged', text: fmtNum(s.flaggedAddresses), title: 'addresses the rules flagged: their traffic is never learnt as normal' }),
    h('td', { 'data-label': 'candidate', class: 'c-candidate', text: cand, title: 'a retrained model scored in shadow beside the one in force before it may replace it' }),
  );
}

/** A node where the trainer does not run (a cluster member): the model the cluster has in force. */
function clusterRow(m, kind) {
  const inForce = m.version !== null && m.version !== undefined ? `v${m.version} · threshold ${fmtPlain(m.threshold)}` : 'none yet';
  return h(
    'tr',
    { class: 'model' },
    h('td', { 'data-label': 'model', text: kind }),
    h('td', { 'data-label': 'phase', text: m.version !== null && m.version !== undefined ? 'scoring' : 'waiting', title: 'the trainer runs on another node of the cluster; its model reaches this node when promoted' }),
    h('td', { 'data-label': 'grace', text: 'on the trainer\'s node' }),
    h('td', { 'data-label': 'in force', text: inForce }),
    h('td', { 'data-label': 'alert rate', class: 'num', text: '–' }),
    h('td', { 'data-label': 'flagged', class: 'num', text: '–' }),
    h('td', { 'data-label': 'candidate', text: m.candidate ? `v${m.candidate}` : 'none' }),
  );
}
