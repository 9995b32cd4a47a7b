// Walking an actor tree as ActorSystem.snapshot() and GET /api/tree give it: each node with
// its children, whatever else the caller reads from it.

type Tree<T> = { children?: T[] };

/** The first node, the root first and then depth first, that `match` accepts. */
export function findNode<T extends Tree<T>>(t: T, match: (n: T) => boolean): T | undefined {
  if (match(t)) return t;
  for (const c of t.children ?? []) {
    const f = findNode(c, match);
    if (f) return f;
  }
  return undefined;
}

/** Calls `visit` on every node, the root first, depth first. */
export function eachNode<T extends Tree<T>>(t: T, visit: (n: T) => void): void {
  visit(t);
  for (const c of t.children ?? []) eachNode(c, visit);
}
