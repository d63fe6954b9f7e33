/**
 * `npm run parity`: runs each seed notebook's Keras script (parity/) over several seeds and our
 * notebook at the same settings, then writes out/parity/report.json and report.html: for every
 * recorded number, Keras's min, max, mean and std beside ours, and whether ours lies in Keras's range.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NOTEBOOKS_DIR } from '../lib/runner/collection';
import { runNotebook } from '../lib/runner/execute';
import { tablePage } from '../lib/runner/export';
import {
  compareRuns,
  ensureKerasVenv,
  parityHtmlRows,
  parityMarkdown,
  ParityNotebookResult,
  ParityProfile,
  PARITY_NOTEBOOKS,
  runKerasScript,
  spreadText,
  verdict,
} from '../lib/runner/parity';

const USAGE = `Usage: npm run parity -- [options]
  --notebooks 1,3    which seed notebooks (1-5; default all)
  --seeds N          Keras seeds per notebook (1..N; default 5)
  --our-seeds N      our seeds per notebook (default: per notebook, as many as are affordable)
  --quick            smaller sizes (minutes, not the seeds' settings)
  --full-cifar       notebooks 2 and 4 on the full CIFAR-10 at the seeds' settings (default: the subset)
  --check            exit 1 when one of our test accuracies falls outside Keras's seed range ± 2 std
  --ci               the CI's quick parity: notebooks 1, 3, 5 at CI sizes, with --check
  --out DIR          where report.json / report.html go (default out/parity)
  --help
The first run installs tensorflow-cpu and keras (requirements-parity.txt) into .venv.`;

interface Options {
  notebooks: number[];
  seeds: number;
  ourSeeds?: number;
  profile: ParityProfile;
  check: boolean;
  out: string;
}

function parseArgs(argv: string[]): Options | 'help' {
  const o: Options = {
    notebooks: [1, 2, 3, 4, 5],
    seeds: 5,
    profile: 'default',
    check: false,
    out: join('out', 'parity'),
  };
  const positive = (flag: string, raw: string | undefined) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive whole number (got ${raw}).\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--notebooks') {
      o.notebooks = String(argv[++i] ?? '')
        .split(',')
        .map((s) => Number(s.trim()));
      if (o.notebooks.some((n) => !PARITY_NOTEBOOKS.some((e) => e.id === n))) {
        throw new Error(`--notebooks takes a comma-separated list of 1-5 (got ${argv[i]}).`);
      }
    } else if (a === '--seeds') o.seeds = positive(a, argv[++i]);
    else if (a === '--our-seeds') o.ourSeeds = positive(a, argv[++i]);
    else if (a === '--quick') o.profile = 'quick';
    else if (a === '--full-cifar') o.profile = 'fullCifar';
    else if (a === '--check') o.check = true;
    else if (a === '--ci') {
      o.profile = 'ci';
      o.notebooks = [1, 3, 5];
      o.check = true;
    } else if (a === '--out') o.out = argv[++i] ?? o.out;
    else throw new Error(`Unknown option ${a}.\n${USAGE}`);
  }
  return o;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

async function main(argv: string[]): Promise<number> {
  const options = parseArgs(argv);
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const python = ensureKerasVenv();
  // runNotebook forwards Ctrl-C / SIGTERM to the running notebook; stop the loop too, keeping what is done.
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  mkdirSync(join(options.out, 'notebooks'), { recursive: true });
  const results: ParityNotebookResult[] = [];
  const started = new Date().toISOString();
  const write = () => {
    const report = { started, profile: options.profile, kerasSeeds: options.seeds, results };
    writeFileSync(join(options.out, 'report.json'), JSON.stringify(report, null, 1) + '\n');
    const html = tablePage(`Keras parity (${options.profile}, ${started.slice(0, 16)}Z)`, {
      css: ['tr.checked td { background: #f4f8ff; } td:nth-child(5) { text-align: center; }'],
      tableClass: 'parity',
      headers: ['notebook', 'record', 'Keras: min – max (mean ± std)', 'ours', 'in range'],
      rows: parityHtmlRows(results),
    });
    writeFileSync(join(options.out, 'report.html'), html);
  };
  for (const entry of PARITY_NOTEBOOKS.filter((e) => options.notebooks.includes(e.id))) {
    if (stopped) break;
    const settings = entry.settings[options.profile];
    const kerasSeeds = range(options.seeds);
    const ourSeeds = range(options.ourSeeds ?? entry.ourSeeds[options.profile]);
    console.error(`\n[${entry.notebook}] settings ${JSON.stringify(settings)}: Keras seeds ${kerasSeeds.join(',')}`);
    let t = Date.now();
    const keras = await runKerasScript(python, entry.script, kerasSeeds, settings);
    const kerasSeconds = (Date.now() - t) / 1000;
    t = Date.now();
    const ours: Record<string, unknown>[] = [];
    const ourFailures: string[] = [];
    for (const seed of ourSeeds) {
      if (stopped) break;
      console.error(`[${entry.notebook}] ours, seed ${seed}`);
      const output = join(options.out, 'notebooks', entry.notebook.replace(/\.ipynb$/, `-seed${seed}.ipynb`));
      const run = await runNotebook({
        input: join(NOTEBOOKS_DIR, entry.notebook),
        output,
        parameters: { ...settings, seed },
        onLog: () => {},
      });
      if (run.ok) ours.push(run.records);
      else ourFailures.push(`seed ${seed}: exit ${run.exitCode}, see ${output}`);
    }
    const rows = compareRuns(
      keras.runs.map((r) => r.records),
      ours,
      entry.checked,
      entry.checkSlack,
    );
    results.push({
      id: entry.id,
      notebook: entry.notebook,
      settings,
      kerasSeeds,
      ourSeeds,
      kerasVersions: keras.versions,
      kerasSeconds,
      ourSeconds: (Date.now() - t) / 1000,
      ourFailures,
      rows,
    });
    write();
    if (stopped) break;
    for (const row of rows.filter((r) => /^test_(acc|loss)/.test(r.name))) {
      console.error(
        `  ${row.name.padEnd(34)} Keras ${spreadText(row.keras).padEnd(42)} ours ${spreadText(row.ours).padEnd(42)} ${verdict(row)}`,
      );
    }
    for (const f of ourFailures) console.error(`  our run failed: ${f}`);
  }
  console.log(parityMarkdown(results));
  console.log(`\nReport: ${join(options.out, 'report.html')} and report.json`);
  if (stopped) {
    console.error('Stopped: the report holds the notebooks finished so far.');
    return 130;
  }
  const failedRuns = results.flatMap((r) => r.ourFailures);
  if (!options.check) return failedRuns.length ? 1 : 0;
  const outside = results.flatMap((r) =>
    r.rows.filter((row) => row.checked && row.withinWide !== true).map((row) => `${r.notebook} ${row.name}`),
  );
  if (outside.length || failedRuns.length) {
    for (const o of outside) console.error(`parity check: ${o} is outside Keras's seed range ± 2 std (or missing).`);
    for (const f of failedRuns) console.error(`parity check: our run failed: ${f}`);
    return 1;
  }
  console.error('parity check: every checked test accuracy lies within Keras’s seed range ± 2 std.');
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  },
);
