// Numbers as a person reads them in a text meant to be read (a ban's reason): a float keeps
// the digits that mean something (0.30000000000000004 → 0.3, 12.3456 → 12.35, 0.033333 →
// 0.033, 1234.5 → 1235); whole numbers stay as they are. The dashboard's dom.js rounds alike.

export function readable(n: number): number {
  if (!Number.isFinite(n) || Number.isInteger(n)) return n;
  const a = Math.abs(n);
  if (a >= 100) return Math.round(n);
  return a >= 1 ? Math.round(n * 100) / 100 : Number(n.toPrecision(2));
}
