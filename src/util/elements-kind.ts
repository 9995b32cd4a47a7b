// Arrays made in the elements kind they end up in. V8 gives an array a map by what it holds
// (small integers, doubles or objects; packed or with holes) and moves it along as it is
// filled; optimised code checks that map. The packet path's warm-up (detect/warm-up.ts) runs
// throwaway tables whose arrays have already moved on (strings stored by slot, with holes) when
// the real tables' arrays, still empty, meet the optimised code: a "wrong map" deoptimisation
// of each function that reads them, on the first real packets. Made in their final kind from
// the start, both have the same map and the code fits both.

/** An empty array with holes, for objects or strings stored by index (V8's HOLEY_ELEMENTS). */
export function holeyObjects<T>(): T[] {
  const a: T[] = [];
  a[1] = undefined as T;
  a.length = 0;
  return a;
}

/** An empty packed array of objects, for a stack used by push and pop (V8's PACKED_ELEMENTS). */
export function packedObjects<T extends object>(): T[] {
  const a: object[] = [{}];
  a.length = 0;
  return a as T[];
}
