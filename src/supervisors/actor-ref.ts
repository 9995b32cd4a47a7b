// Actor references as plain data: a node id and a path. They survive serialisation, so the
// cluster layer can route a message to an actor on another node with the same `send` call.

export interface ActorRef {
  readonly node: string;
  readonly path: string;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

export function actorRef(node: string, path: string): ActorRef {
  return { node, path };
}

export function isActorRef(x: unknown): x is ActorRef {
  return typeof x === 'object' && x !== null && typeof (x as ActorRef).node === 'string' && typeof (x as ActorRef).path === 'string';
}

/** Throws a RangeError naming the id when it cannot be a path segment. */
export function assertActorId(id: string): void {
  if (typeof id !== 'string' || !ID.test(id)) {
    throw new RangeError(`actor id ${JSON.stringify(id)} is not allowed: use letters, digits, '_' or '-', starting with a letter or digit`);
  }
}

/** The root supervisor is "/", its children "/pipeline", theirs "/pipeline/enricher-0". */
export function childPath(parent: string, id: string): string {
  return parent === '/' ? `/${id}` : `${parent}/${id}`;
}

export function formatRef(ref: ActorRef): string {
  return `${ref.node}:${ref.path}`;
}
