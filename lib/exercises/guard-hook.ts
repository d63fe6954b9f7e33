/**
 * Where check() meets the grading guard. The guard itself (guard.ts) is Node-only: it signs outcomes
 * with node:crypto and locks Node's module loader. check() runs in the browser too, so it reaches the
 * guard only through this hook, which the grader's first cell fills before any student code runs.
 */

/** What the guard adds to a check's outcome: its number, what it saw changed, and its signature. */
export interface GuardStamp {
  seq?: number;
  tampered?: string[];
  mac?: string;
}

/** Runs one check under the guard and stamps its outcome. */
export type GuardedRun = <T extends { passed: boolean; message: string }>(
  id: string,
  run: () => Promise<T>,
) => Promise<T & GuardStamp>;

let installed: GuardedRun | null = null;

/** Installs the grading guard; only the first call counts (the grader's, before any student code). */
export function installGuard(run: GuardedRun): void {
  if (installed) throw new Error('The grading guard is already installed.');
  installed = run;
}

/** Runs one check under the grading guard when one is installed (a grading kernel), else just runs it. */
export function guarded<T extends { passed: boolean; message: string }>(
  id: string,
  run: () => Promise<T>,
): Promise<T & GuardStamp> {
  return installed ? installed(id, run) : run();
}
