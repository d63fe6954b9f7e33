/** A private folder per graded submission, laid out like the project so notebooks run unchanged. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..', '..');

/** A sandbox folder and where its notebook goes. */
export interface Sandbox {
  dir: string;
  notebooksDir: string;
  remove(): void;
}

/**
 * Creates a fresh temporary folder (mode 0700) that mirrors the project: its package.json (so
 * `import … from 'bn-lab'` resolves, as in notebooks/), links to node_modules, dist and data
 * (for relative paths such as '../data/2.png'), and an empty notebooks/ for the submission.
 * Each submission gets its own, removed after grading, so no run sees another's files.
 */
export function createSandbox(root = ROOT): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-grade-'));
  copyFileSync(join(root, 'package.json'), join(dir, 'package.json'));
  for (const name of ['node_modules', 'dist', 'data']) symlinkSync(join(root, name), join(dir, name), 'dir');
  const notebooksDir = join(dir, 'notebooks');
  mkdirSync(notebooksDir);
  return { dir, notebooksDir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
