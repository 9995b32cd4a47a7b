// The node's CURVE keypair, kept in its state directory (0600) so a restarted node keeps
// its identity; the public half is published with its registration in etcd.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { curveKeyPair } from 'zeromq';
import { ConfigError } from '../errors.ts';

export interface NodeKeys {
  publicKey: string;
  secretKey: string;
}

const Z85_KEY = /^[0-9a-zA-Z.\-:+=^!/*?&<>()[\]{}@%$#]{40}$/;

export function loadOrCreateNodeKeys(stateDir: string): NodeKeys {
  const file = join(stateDir, 'curve-keys.json');
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== undefined) {
    let k: Partial<NodeKeys>;
    try {
      k = JSON.parse(text) as Partial<NodeKeys>;
    } catch (err) {
      throw new ConfigError(`${file} is not JSON (${(err as Error).message}); delete it to make a new keypair`, { cause: err });
    }
    if (typeof k.publicKey !== 'string' || !Z85_KEY.test(k.publicKey) || typeof k.secretKey !== 'string' || !Z85_KEY.test(k.secretKey)) {
      throw new ConfigError(`${file} does not hold a CURVE keypair (40-character Z85 publicKey and secretKey); delete it to make a new one`);
    }
    return { publicKey: k.publicKey, secretKey: k.secretKey };
  }
  const keys = curveKeyPair();
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}
