// Runs a benchmark's helper process (a traffic generator, a node) and resolves with the last
// line it printed, parsed as JSON; rejects with what it said on stderr when it fails.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export function runJsonChild<T>(file: string, args: readonly string[], what: string, env?: NodeJS.ProcessEnv): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${what} exited with ${code}: ${err.trim().slice(-2000)}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
    });
  });
}
