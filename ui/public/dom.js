// Small DOM and formatting helpers for the dashboard. Everything from the server goes into
// the page through textContent and setAttribute only: alerts carry attacker-chosen text.

/**
 * Makes an element. attrs: 'class', 'text' (textContent), 'title', data-* and other
 * attributes (set with setAttribute, so values are never parsed as markup); a value of
 * undefined, null or false leaves the attribute out.
 */
export function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  if (attrs) {
    for (const k in attrs) {
      const v = attrs[k];
      if (v === undefined || v === null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) if (c !== undefined && c !== null && c !== false) e.append(c);
  return e;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs) {
  const e = document.createElementNS(SVG_NS, tag);
  if (attrs) for (const k in attrs) e.setAttribute(k, String(attrs[k]));
  return e;
}

/** Sets textContent only when it changed (cheap to call on every update). */
export function setText(el, text) {
  const t = String(text);
  if (el.textContent !== t) el.textContent = t;
}

const pad2 = (n) => String(n).padStart(2, '0');

/** "14:03:07" for today (UTC), "2024-05-01 14:03:07" for another day. UTC like the status page and the CLI. */
export function fmtTime(ms, now = Date.now()) {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '?';
  const iso = d.toISOString();
  const time = iso.slice(11, 19);
  return iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10) ? time : `${iso.slice(0, 10)} ${time}`;
}

export function isoTime(ms) {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** Seconds left as "1h 02m 03s", "4m 05s", "12s". */
export function fmtDuration(totalS) {
  const s = Math.max(0, Math.floor(totalS));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (hh > 0) return `${hh}h ${pad2(mm)}m ${pad2(ss)}s`;
  if (mm > 0) return `${mm}m ${pad2(ss)}s`;
  return `${ss}s`;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** Whole numbers grouped (12,345); small rates keep one decimal (2.5). */
export function fmtNum(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  return Math.abs(n) < 100 && !Number.isInteger(n) ? oneDecimal.format(n) : grouped.format(n);
}

/** A score in [0, 1] as at most two decimals ("0.8", "0.93"): what the Block reason carries. */
export function fmtScore(score) {
  return typeof score === 'number' && Number.isFinite(score) ? String(Math.round(score * 100) / 100) : '?';
}

/** The severity band of a score, for colour. */
export function scoreBand(score) {
  if (score >= 0.8) return 'high';
  if (score >= 0.5) return 'mid';
  return 'low';
}

/** A server string reduced to something safe in a class name. */
export function safeClass(s) {
  return String(s).replace(/[^a-z0-9_-]/gi, '_');
}
