// Files the program reads by path at run time (config/default.json, ui/, package.json, bin/)
// and the files its worker threads start from. The same code runs from two places: the
// sources (src/, through tsx) and the build (dist/src/, plain node), one directory deeper;
// both find the project's directory as the nearest one above them with a package.json.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AutoimmuneError } from '../errors.ts';

/** The program's files are not where they should be (a partial copy of the project). */
export class PackageFilesError extends AutoimmuneError {
  constructor(message: string) {
    super('AI_ERR_PACKAGE_FILES', message);
  }
}

function findRoot(from: URL): URL {
  for (let dir = new URL('./', from); ; dir = new URL('../', dir)) {
    if (existsSync(new URL('package.json', dir))) return dir;
    if (dir.pathname === '/') throw new PackageFilesError(`no package.json above ${fileURLToPath(from)}: run autoimmune from a full copy of the project (bin/, config/, dist/ or src/, ui/, package.json)`);
  }
}

/** The project's directory, as a file: URL ending in '/'. */
export const PACKAGE_ROOT = findRoot(new URL(import.meta.url));

/** A file of the project by its path from the project's directory, e.g. 'config/default.json'. */
export function packageFile(path: string): URL {
  return new URL(path, PACKAGE_ROOT);
}

/** True when this code runs from the sources through tsx (not the compiled dist/). */
export const FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * The file a worker thread starts from. From the sources: `boot`, a .mjs file that registers
 * tsx's loader in the thread (the loader is per thread) before importing the body. Compiled:
 * the body itself (`body` with .ts turned into .js), with no loader at all.
 * Both paths are relative to `base`, the caller's import.meta.url.
 */
export function threadEntry(base: string, boot: string, body: string): URL {
  return FROM_SOURCES ? new URL(boot, base) : new URL(body.replace(/\.ts$/, '.js'), base);
}
