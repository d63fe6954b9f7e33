import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mean } from '../experiments/stats';
import { escapeHtml } from '../notebook/display';
import { projectPath } from '../project';
import { ParamValue } from './parameters';
import { venvPython } from './python';

/** Which settings a parity run uses for a notebook. */
export type ParityProfile = 'default' | 'quick' | 'ci' | 'fullCifar';

/** One seed notebook, its Keras script and the settings each profile runs both sides at. */
export interface ParityEntry {
  id: number;
  notebook: string;
  /** Script in parity/, taking the notebook's parameter names as flags. */
  script: string;
  /** Settings per profile (a notebook parameter name to its value); missing names keep the seed's. */
  settings: Record<ParityProfile, Record<string, ParamValue>>;
  /** Our seeds per profile (Keras always runs the requested --seeds). */
  ourSeeds: Record<ParityProfile, number>;
  /** The test-accuracy records --check holds ours to. */
  checked: string[];
  /**
   * Least widening of Keras's range for --check: one test sample's worth of accuracy where the test
   * set is so small (iris: 45 flowers) that all Keras seeds can land on one value (std 0).
   */
  checkSlack?: number;
}

const CIFAR_SUBSET = { trainCount: 4000, testCount: 1000 };

/**
 * The five seed notebooks. `default` is the seeds' settings except where this machine cannot
 * afford them: CIFAR runs on the 4,000 / 1,000-image subset the mirror holds, and notebook 4 at 5
 * epochs (30 VGG epochs take ~6 minutes per run on our side here). `ci` is the CI's quick parity
 * (see README "Keras parity" for why these sizes).
 */
export const PARITY_NOTEBOOKS: ParityEntry[] = [
  {
    id: 1,
    notebook: '01_lenet_mnist_bn.ipynb',
    script: 'nb01_lenet_mnist_bn.py',
    settings: {
      default: {},
      fullCifar: {},
      quick: { trainCount: 12000, testCount: 2000 },
      ci: { trainCount: 12000, testCount: 2000 },
    },
    ourSeeds: { default: 2, fullCifar: 2, quick: 2, ci: 1 },
    checked: ['test_acc_plain', 'test_acc_bn'],
  },
  {
    id: 2,
    notebook: '02_why_bn_small_cifar_cnn.ipynb',
    script: 'nb02_small_cifar_cnn.py',
    settings: {
      default: CIFAR_SUBSET,
      fullCifar: {},
      quick: CIFAR_SUBSET,
      ci: CIFAR_SUBSET,
    },
    ourSeeds: { default: 2, fullCifar: 1, quick: 1, ci: 1 },
    checked: ['test_acc'],
  },
  {
    id: 3,
    notebook: '03_iris_deep_mlp.ipynb',
    script: 'nb03_iris_deep_mlp.py',
    settings: { default: {}, fullCifar: {}, quick: { epochs: 200 }, ci: {} },
    ourSeeds: { default: 3, fullCifar: 3, quick: 2, ci: 2 },
    checked: ['test_acc_plain', 'test_acc_bn'],
    checkSlack: 1 / 45,
  },
  {
    id: 4,
    notebook: '04_cifar_vgg_bn.ipynb',
    script: 'nb04_cifar_vgg_bn.py',
    settings: {
      default: { ...CIFAR_SUBSET, epochs: 5 },
      fullCifar: {},
      quick: { trainCount: 4000, testCount: 500, epochs: 5 },
      ci: { trainCount: 4000, testCount: 500, epochs: 5 },
    },
    ourSeeds: { default: 1, fullCifar: 1, quick: 1, ci: 1 },
    checked: ['test_acc'],
  },
  {
    id: 5,
    notebook: '05_lenet_shuffle.ipynb',
    script: 'nb05_lenet_shuffle.py',
    settings: {
      default: {},
      fullCifar: {},
      quick: { trainCount: 12000, testCount: 2000, shuffleTrainCount: 2000, shuffleTestCount: 500, shuffleEpochs: 3 },
      ci: { trainCount: 12000, testCount: 2000, shuffleTrainCount: 2000, shuffleTestCount: 500, shuffleEpochs: 3 },
    },
    ourSeeds: { default: 1, fullCifar: 1, quick: 1, ci: 1 },
    checked: ['test_acc', 'test_acc_runs.no_shuffle', 'test_acc_runs.shuffle', 'test_acc_runs.sorted_no_shuffle'],
  },
];

/** Recorded values as numbers by flat name: lists as name[i], objects as name.key; text and check results are left out. */
export function flattenRecords(records: Record<string, unknown>, prefix = ''): Record<string, number> {
  const out: Record<string, number> = {};
  const visit = (name: string, v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) out[name] = v;
    else if (typeof v === 'boolean') out[name] = v ? 1 : 0;
    else if (Array.isArray(v)) v.forEach((item, i) => visit(`${name}[${i}]`, item));
    else if (v && typeof v === 'object') for (const [k, item] of Object.entries(v)) visit(`${name}.${k}`, item);
  };
  // Exercise checks (check:<id>) grade the notebook; they are no measurement to compare.
  for (const [k, v] of Object.entries(records)) if (!k.startsWith('check:')) visit(prefix + k, v);
  return out;
}

/** min, max, mean and sample standard deviation (n − 1; 0 for one value) of some runs' values. */
export interface Spread {
  n: number;
  min: number;
  max: number;
  mean: number;
  std: number;
}

/** The spread of `values` (at least one). */
export function spreadOf(values: number[]): Spread {
  if (values.length === 0) throw new Error('spreadOf needs at least one value.');
  const m = mean(values);
  const ss = values.reduce((s, v) => s + (v - m) ** 2, 0);
  return {
    n: values.length,
    min: Math.min(...values),
    max: Math.max(...values),
    mean: m,
    std: values.length > 1 ? Math.sqrt(ss / (values.length - 1)) : 0,
  };
}

/** One recorded number: Keras's spread over its seeds beside ours. */
export interface ParityRow {
  name: string;
  keras: Spread | null;
  ours: Spread | null;
  /** Every one of our runs inside Keras's [min, max]. */
  withinRange: boolean | null;
  /** Every one of our runs inside [min − w, max + w], w = max(2·std, slack): what --check requires of test accuracy. */
  withinWide: boolean | null;
  checked: boolean;
}

/** Compares every number either side recorded (by flat name), Keras's seeds against ours. */
export function compareRuns(
  keras: Record<string, unknown>[],
  ours: Record<string, unknown>[],
  checked: string[],
  slack = 0,
): ParityRow[] {
  const k = keras.map((r) => flattenRecords(r));
  const o = ours.map((r) => flattenRecords(r));
  const names = [...new Set([...k.flatMap(Object.keys), ...o.flatMap(Object.keys)])];
  return names.map((name) => {
    const kv = k.map((r) => r[name]).filter((v) => v !== undefined);
    const ov = o.map((r) => r[name]).filter((v) => v !== undefined);
    const ks = kv.length ? spreadOf(kv) : null;
    const os = ov.length ? spreadOf(ov) : null;
    const inside = (lo: number, hi: number) => ov.every((v) => v >= lo - 1e-9 && v <= hi + 1e-9);
    return {
      name,
      keras: ks,
      ours: os,
      withinRange: ks && os ? inside(ks.min, ks.max) : null,
      withinWide: ks && os ? inside(ks.min - Math.max(2 * ks.std, slack), ks.max + Math.max(2 * ks.std, slack)) : null,
      checked: checked.includes(name),
    };
  });
}

/** What a Keras script printed: its settings, versions and one record dict per seed. */
export interface KerasRuns {
  settings: Record<string, ParamValue>;
  versions: Record<string, string>;
  runs: { seed: number; seconds: number; records: Record<string, unknown> }[];
}

/** TensorFlow and Keras importable from the project's .venv at the pinned versions, installing them on first use. */
export function ensureKerasVenv(log: (line: string) => void = (l) => console.error(l)): string {
  const python = venvPython();
  if (!python)
    throw new Error(
      'npm run parity needs the project .venv (made by `npm install`, or `npm run python`); it was not found.',
    );
  const probe = 'import tensorflow as tf, keras; print(tf.__version__, keras.__version__)';
  const have = spawnSync(python, ['-c', probe], {
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '3' },
  });
  // The pins live in requirements-parity.txt only; installed versions must match them.
  const pins = Object.fromEntries(
    readFileSync(projectPath('requirements-parity.txt'), 'utf8')
      .split('\n')
      .map((l) => /^([\w-]+)==(\S+)/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  );
  const wanted = `${pins['tensorflow-cpu']} ${pins.keras}`;
  if (have.status === 0 && have.stdout.trim() === wanted) return python;
  log(
    `Installing the Keras side (tensorflow-cpu ${pins['tensorflow-cpu']}, keras ${pins.keras} from requirements-parity.txt) into .venv: first run only, ~600 MB.`,
  );
  const pip = spawnSync(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', projectPath('requirements-parity.txt')],
    {
      stdio: 'inherit',
    },
  );
  if (pip.status !== 0)
    throw new Error(
      `pip could not install requirements-parity.txt into .venv (exit ${pip.status}); see its output above.`,
    );
  return python;
}

/** Runs parity/<script> for `seeds` at `settings` (flags named after the notebook's parameters) and parses its JSON. */
export async function runKerasScript(
  python: string,
  script: string,
  seeds: number[],
  settings: Record<string, ParamValue>,
  log: (text: string) => void = (t) => process.stderr.write(t),
): Promise<KerasRuns> {
  const args = [projectPath('parity', script), '--seeds', seeds.join(',')];
  for (const [k, v] of Object.entries(settings)) args.push(`--${k}`, String(v));
  const child = spawn(python, args, {
    env: { TF_NUM_INTRAOP_THREADS: '2', TF_NUM_INTEROP_THREADS: '1', TF_CPP_MIN_LOG_LEVEL: '3', ...process.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => {
    for (const line of String(d).split('\n'))
      if (line.startsWith('seed ') || /^(error|Traceback)|Error:/.test(line)) log(`  keras ${line}\n`);
  });
  const code = await new Promise<number>((done, fail) => {
    child.on('error', fail);
    child.on('close', (c) => done(c ?? 1));
  });
  const line = stdout.split('\n').find((l) => l.startsWith('PARITY_JSON '));
  if (code !== 0 || !line)
    throw new Error(`parity/${script} failed (exit ${code}); run it by hand with --verbose 1 to see why.`);
  return JSON.parse(line.slice('PARITY_JSON '.length)) as KerasRuns;
}

/** One notebook's side-by-side result. */
export interface ParityNotebookResult {
  id: number;
  notebook: string;
  settings: Record<string, ParamValue>;
  kerasSeeds: number[];
  ourSeeds: number[];
  kerasVersions: Record<string, string>;
  kerasSeconds: number;
  ourSeconds: number;
  /** Our runs that failed (their records are left out). */
  ourFailures: string[];
  rows: ParityRow[];
}

const fmt = (v: number) =>
  Number.isInteger(v) ? String(v) : Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(2) : v.toFixed(4);

/** A spread as "min – max (mean ± std)". */
export function spreadText(s: Spread | null): string {
  if (!s) return '—';
  if (s.n === 1) return fmt(s.mean);
  if (s.min === s.max) return `${fmt(s.min)} (all ${s.n})`;
  return `${fmt(s.min)} – ${fmt(s.max)} (${fmt(s.mean)} ± ${fmt(s.std)})`;
}

/** The verdict cell: ✔ inside Keras's range, ≈ inside range ± 2 std, ✘ outside. */
export function verdict(row: ParityRow): string {
  if (row.withinRange === null) return '—';
  return row.withinRange ? '✔' : row.withinWide ? '≈' : '✘';
}

/** Rows of the report table (HTML), one per recorded number. */
export function parityHtmlRows(results: ParityNotebookResult[]): string {
  return results
    .flatMap((r) =>
      r.rows.map(
        (row) =>
          `<tr${row.checked ? ' class="checked"' : ''}><td>${escapeHtml(r.notebook)}</td><td><code>${escapeHtml(row.name)}</code></td>` +
          `<td>${escapeHtml(spreadText(row.keras))}</td><td>${escapeHtml(spreadText(row.ours))}</td><td>${verdict(row)}</td></tr>`,
      ),
    )
    .join('\n');
}

/** The report as a Markdown table (the README's "last table"), test accuracies and losses only unless `all`. */
export function parityMarkdown(results: ParityNotebookResult[], all = false): string {
  const lines = ['| notebook | record | Keras (min – max (mean ± std)) | ours | |', '|---|---|---|---|---|'];
  for (const r of results) {
    for (const row of r.rows) {
      if (!all && !/^test_(acc|loss)/.test(row.name)) continue;
      lines.push(`| ${r.id} | ${row.name} | ${spreadText(row.keras)} | ${spreadText(row.ours)} | ${verdict(row)} |`);
    }
  }
  return lines.join('\n');
}
