// The parent's side of devkit/transport-node.ts: fork it, and ask it something over IPC.
import { fork, type ChildProcess } from 'node:child_process';

/** A transport node in a child process; it waits for a `start` (TransportNodeStart). */
export function forkTransportNode(): ChildProcess {
  return fork(new URL('./transport-node.ts', import.meta.url), { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** Sends `msg` to the child and resolves with its first answer of type `type`. */
export function ask<T>(child: ChildProcess, msg: object, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
    child.send(msg);
  });
}
