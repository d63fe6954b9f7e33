/**
 * The bench's anchors: the same model families trained by Python frameworks on the same machine,
 * so tfjs's numbers read as ratios. Keras (the seeds' framework, on TensorFlow) and PyTorch 2 from
 * PyPI run in the project's .venv, which gets requirements-bench.txt on first use; Debian's PyTorch
 * runs in /usr/bin/python3. An anchor that cannot run is reported as skipped with the reason.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { projectPath } from '../lib/project';
import { venvPython } from '../lib/runner/python';

/** One family's measurement on one engine (a tfjs path, or an anchor at a thread count). */
export interface Result {
  family: string;
  engine: string;
  batch: number;
  steps: number;
  msPerStep: number;
  /**
   * Median CPU time of this process per step (all its threads): on a shared machine wall time
   * depends on what else runs, CPU time much less; with one thread it is the step's cost on a free core.
   */
  cpuMsPerStep?: number;
  imagesPerSec: number;
  evalImagesPerSec: number;
  peakRssMB?: number;
  peakTensorMB?: number;
  note?: string;
}

/** A Python framework the bench compares with. */
interface Anchor {
  name: AnchorName;
  script: string;
  /** The interpreter, or why there is none. */
  python: () => { py?: string; why?: string };
  /** Modules whose absence means "not installed". */
  modules: string[];
  /** TensorFlow fixes its thread pools at start-up: one process per thread count. */
  processPerThreadCount: boolean;
  /** Where the anchor comes from, for the skip reason. */
  install: string;
}

/** The anchors the bench knows. */
export const ANCHOR_NAMES = ['keras', 'torch', 'torch-debian'] as const;
/** One of ANCHOR_NAMES. */
export type AnchorName = (typeof ANCHOR_NAMES)[number];

const REQUIREMENTS = 'requirements-bench.txt';
const fromVenv = () => {
  const py = venvPython();
  return py ? { py } : { why: '.venv/ is missing (npm run python makes it)' };
};

const ANCHORS: Anchor[] = [
  {
    name: 'keras',
    script: 'bench_keras.py',
    python: fromVenv,
    modules: ['keras', 'tensorflow'],
    processPerThreadCount: true,
    install: `${REQUIREMENTS} in .venv`,
  },
  {
    name: 'torch',
    script: 'bench_torch.py',
    python: fromVenv,
    modules: ['torch'],
    processPerThreadCount: false,
    install: `${REQUIREMENTS} in .venv`,
  },
  {
    name: 'torch-debian',
    script: 'bench_torch.py',
    python: () => (existsSync('/usr/bin/python3') ? { py: '/usr/bin/python3' } : { why: 'no /usr/bin/python3' }),
    modules: ['torch'],
    processPerThreadCount: false,
    install: 'apt-get install python3-torch',
  },
];

/** What an anchor was: its version, or why it did not run. */
export interface AnchorStatus {
  version?: string;
  skipped?: string;
}

const hasModules = (py: string, modules: string[]) =>
  spawnSync(py, [
    '-c',
    `import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in ${JSON.stringify(modules)}))`,
  ]).status === 0;

const lastLine = (s: string) => s.trim().split('\n').pop() ?? '';

/**
 * Readies the requested anchors once: the .venv ones get requirements-bench.txt installed (with
 * --no-deps: the file pins everything they import, and leaves out what only a GPU run loads).
 * Returns the anchors that can run and the status of those that cannot.
 */
export function prepareAnchors(
  names: readonly AnchorName[],
  install: boolean,
): {
  ready: AnchorName[];
  status: Partial<Record<AnchorName, AnchorStatus>>;
} {
  const status: Partial<Record<AnchorName, AnchorStatus>> = {};
  const ready: AnchorName[] = [];
  for (const anchor of ANCHORS.filter((a) => names.includes(a.name))) {
    const { py, why } = anchor.python();
    if (py == null) {
      status[anchor.name] = { skipped: why };
      continue;
    }
    if (!hasModules(py, anchor.modules) && anchor.install.includes(REQUIREMENTS) && install) {
      console.error(
        `bench: installing ${REQUIREMENTS} into .venv/ for the ${anchor.name} anchor (once; about 2.7 GB to download, 5 GB on disk: ` +
          'TensorFlow, Keras, PyTorch and the CUDA libraries PyPI’s torch wheel links) ...',
      );
      const pip = spawnSync(
        py,
        ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '--no-deps', '-r', projectPath(REQUIREMENTS)],
        { stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' },
      );
      if (pip.status !== 0) {
        status[anchor.name] = { skipped: `pip install -r ${REQUIREMENTS} failed: ${lastLine(pip.stderr)}` };
        continue;
      }
    }
    if (!hasModules(py, anchor.modules)) {
      status[anchor.name] = {
        skipped: `${anchor.modules.join(' and ')} not importable by ${py} (${anchor.install}${install ? '' : '; --no-install'})`,
      };
      continue;
    }
    ready.push(anchor.name);
  }
  return { ready, status };
}

/** Raw output of bench_keras.py / bench_torch.py. */
interface ScriptOutput {
  keras?: string;
  tensorflow?: string;
  torch?: string;
  results: Array<Omit<Result, 'engine'> & { threads: number }>;
}

/**
 * Trains one family on one anchor at 1 and 2 threads. Engines are named `<anchor>-<threads>t`.
 * Returns the results, the anchor's version, or the reason it failed.
 */
export function runAnchor(
  name: AnchorName,
  family: string,
  steps: number,
  warmup: number,
): { results: Result[]; version?: string; failed?: string } {
  const anchor = ANCHORS.find((a) => a.name === name);
  const py = anchor?.python().py;
  if (anchor == null || py == null) return { results: [], failed: `${name} is not ready` };
  const script = projectPath('scripts', anchor.script);
  const threadSets = anchor.processPerThreadCount ? ['1', '2'] : ['1,2'];
  const results: Result[] = [];
  let version: string | undefined;
  for (const threads of threadSets) {
    const args = ['--steps', String(steps), '--warmup', String(warmup), '--threads', threads, '--families', family];
    const r = spawnSync(py, [script, ...args], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', PYTHONWARNINGS: 'ignore' },
    });
    if (r.status !== 0) return { results, version, failed: `${anchor.script} failed: ${lastLine(r.stderr)}` };
    const out = JSON.parse(r.stdout) as ScriptOutput;
    version = out.keras ? `Keras ${out.keras} (TensorFlow ${out.tensorflow})` : `PyTorch ${out.torch}`;
    results.push(...out.results.map(({ threads: n, ...rest }) => ({ ...rest, engine: `${name}-${n}t` })));
  }
  return { results, version };
}

/** Whether an engine name belongs to an anchor (not a tfjs path). */
export const isAnchorEngine = (engine: string) => ANCHOR_NAMES.some((a) => new RegExp(`^${a}-\\d+t$`).test(engine));
