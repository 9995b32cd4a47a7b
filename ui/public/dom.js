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

/**
 * A time in UTC (like the status page and the CLI), short enough for a narrow column: "14:03:07"
 * today, "05-01 14:03" another day of this year, "2009-11-18" another year. The full time
 * goes in a title (isoTime).
 */
export function fmtTime(ms, now = Date.now()) {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '?';
  const iso = d.toISOString();
  const today = new Date(now).toISOString();
  if (iso.slice(0, 10) === today.slice(0, 10)) return iso.slice(11, 19);
  if (iso.slice(0, 4) === today.slice(0, 4)) return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
  return iso.slice(0, 10);
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
const twoDigits = new Intl.NumberFormat('en-US', { maximumSignificantDigits: 2 });

/** Counts and rates: whole numbers grouped (12,345); under 100 one decimal (2.5); under 1 two digits (0.033). */
export function fmtNum(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (Number.isInteger(n) || a >= 100) return grouped.format(n);
  return a >= 1 ? oneDecimal.format(n) : twoDigits.format(n);
}

/**
 * A number of evidence or an answer's cell, without grouping (ports, years and ids stay as
 * they are): floats rounded to what means something (0.30000000000000004 → 0.3, 12.3456 →
 * 12.35, 0.033333 → 0.033, 1234.5 → 1235).
 */
export function fmtPlain(n) {
  if (typeof n !== 'number') return String(n);
  if (!Number.isFinite(n) || Number.isInteger(n)) return String(n);
  const a = Math.abs(n);
  if (a >= 100) return String(Math.round(n));
  if (a >= 1) return String(Math.round(n * 100) / 100);
  return String(Number(n.toPrecision(2)));
}

/** How long ago, from `now`: "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago". */
export function fmtAgo(ms, now = Date.now()) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return 'never';
  const s = Math.round((now - ms) / 1000);
  if (s < 0) return `in ${fmtDuration(-s)}`;
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** Shows `empty` (an element with the empty-state text) and hides `full` when there is nothing to show. */
export function toggleEmpty(empty, full, isEmpty) {
  if (empty.hidden === !isEmpty && (!full || full.hidden === isEmpty)) return;
  empty.hidden = !isEmpty;
  if (full) full.hidden = isEmpty;
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
