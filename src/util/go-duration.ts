// Durations as Go writes and reads them (time.Duration's String and ParseDuration), which is
// how CrowdSec's API and its CSV/JSON decision files carry a ban's length: "4h", "3h59m58s",
// "1h30m0.5s", "-2m3s" (a decision that already ran out).

const UNIT_S: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Seconds of a Go duration ("3h59m58s", "-2m", "0"), or null when it is not one. */
export function parseGoDuration(text: string): number | null {
  let s = text.trim();
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const m = PART.exec(s);
    if (!m) return null;
    total += Number(m[1]) * UNIT_S[m[2]!]!;
  }
  return sign * total;
}

/** Whole seconds as Go prints a Duration: "3h59m58s", "4m0s", "45s", "0s", "-1m5s". */
export function formatGoDuration(seconds: number): string {
  const neg = seconds < 0;
  let s = Math.floor(Math.abs(seconds));
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const text = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg && text !== '0s' ? `-${text}` : text;
}
