import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

let cachedRoot: string | null | undefined;

/**
 * The bn-lab checkout: the nearest folder above this module whose package.json is named bn-lab.
 * Found from __dirname so it works from lib/ (ts) and dist/lib/ (compiled) alike; null if this
 * module runs outside a checkout.
 */
export function projectRoot(): string | null {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if (JSON.parse(readFileSync(pkg, 'utf8')).name === 'bn-lab') return (cachedRoot = dir);
      } catch {
        // An unreadable package.json is not ours; keep walking up.
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return (cachedRoot = null);
    dir = parent;
  }
}

/**
 * A path inside the bn-lab checkout (notebooks, scripts, out/); an error outside one, since the
 * runner and its templates only exist in a checkout.
 */
export function projectPath(...parts: string[]): string {
  const root = projectRoot();
  if (root === null) {
    throw new Error(
      `bn-lab: ${__dirname} is not inside a bn-lab checkout, so ${path.join(...parts)} cannot be found. Run it from a clone of the repository.`,
    );
  }
  return path.join(root, ...parts);
}
