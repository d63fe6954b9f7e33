/** A private folder per graded submission, placed and laid out so notebooks run as they do in notebooks/. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');

/** Where sandboxes are made: inside the project, so module resolution matches notebooks/ exactly. */
export const SANDBOX_BASE = join(ROOT, 'out', '.grading');

/** A sandbox folder and where its notebook goes. */
export interface Sandbox {
  dir: string;
  notebooksDir: string;
  remove(): void;
}

/**
 * Creates a fresh folder (mode 0700) under out/.grading with an empty notebooks/ for the submission
 * and a link to data/ (for relative paths such as '../data/2.png'). It lives inside the project
 * because tslab type-checks each cell: `bn-lab`, tfjs and danfojs must resolve through the
 * project's own package.json and node_modules, as they do for notebooks/ (through symlinks from a
 * folder elsewhere, TypeScript cannot name danfojs's types). Each submission gets its own,
 * removed after grading, so no run sees another's files.
 */
export function createSandbox(): Sandbox {
  let dir: string;
  try {
    mkdirSync(SANDBOX_BASE, { recursive: true });
    dir = mkdtempSync(join(SANDBOX_BASE, 'submission-'));
  } catch (e) {
    const why = (e as Error).message;
    throw new Error(
      `Cannot create a grading sandbox in ${SANDBOX_BASE} (${why}); out/ must be writable by the user who grades.`,
      {
        cause: e,
      },
    );
  }
  symlinkSync(join(ROOT, 'data'), join(dir, 'data'), 'dir');
  const notebooksDir = join(dir, 'notebooks');
  mkdirSync(notebooksDir);
  return { dir, notebooksDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
