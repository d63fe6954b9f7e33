import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import * as ts from 'typescript';
import { injectionSource, injectParameters, parseCliValue, parseParameterCell } from '../../lib/runner/parameters';
import { parseNotebookArgs } from '../../lib/runner/cli-args';
import { readNotebook, sourceOf } from '../../lib/runner/notebook';
import { runNotebook } from '../../lib/runner/execute';

const fixtures = projectPath('tests', 'fixtures');
const tmp = () => mkdtempSync(join(tmpdir(), 'bn-lab-runner-'));
const quiet = { onLog: () => {} };

test('CLI values are parsed as papermill does', () => {
  assert.equal(parseCliValue('3'), 3);
  assert.equal(parseCliValue('-2.5e-3'), -0.0025);
  assert.equal(parseCliValue('50_000'), 50000);
  assert.equal(parseCliValue('True'), true);
  assert.equal(parseCliValue('false'), false);
  assert.equal(parseCliValue('None'), null);
  assert.equal(parseCliValue('wasm'), 'wasm');
  assert.equal(parseCliValue('1.2.3'), '1.2.3');
});

test('parameters cells are read with names, types, defaults and help', () => {
  const specs = parseParameterCell(
    "const epochs = 1; // how long\nlet lr: number = 1e-3;\nconst name = 'a';\nconst on = true;\nconst n = -2;",
  );
  assert.deepEqual(
    specs.map((s) => [s.name, s.type, s.default, s.help]),
    [
      ['epochs', 'number', 1, 'how long'],
      ['lr', 'number', 0.001, undefined],
      ['name', 'string', 'a', undefined],
      ['on', 'boolean', true, undefined],
      ['n', 'number', -2, undefined],
    ],
  );
});

test('argument parsing: -p, -y, -f, flags, and clear errors', () => {
  const args = parseNotebookArgs([
    'in.ipynb',
    'out.ipynb',
    '-p',
    'epochs',
    '2',
    '-y',
    '{lr: 0.1, name: x}',
    '--timeout',
    '5',
    '--log-output',
  ]);
  assert.ok(args !== 'help');
  assert.deepEqual(args.parameters, { epochs: 2, lr: 0.1, name: 'x' });
  assert.equal(args.timeout, 5);
  assert.equal(args.logOutput, true);
  assert.throws(() => parseNotebookArgs(['in.ipynb', '-p', 'epochs']), /needs 2 values/);
  assert.throws(() => parseNotebookArgs(['in.ipynb', '--bogus']), /Unknown option --bogus/);
  assert.throws(() => parseNotebookArgs(['in.ipynb', '-y', '[1, 2]']), /mapping/);
  assert.equal(parseNotebookArgs(['--help']), 'help');
});

test('validation: unknown names list the valid ones, wrong types are rejected', () => {
  const nb = readNotebook(join(fixtures, 'params.ipynb'));
  assert.throws(
    () => injectParameters(nb, { epoch: 3 }),
    /no parameter "epoch"\. Valid parameters: epochs, rate, name, flag, nothing/,
  );
  assert.throws(() => injectParameters(nb, { epochs: 'three' }), /"epochs" expects a number/);
  assert.throws(() => injectParameters(nb, { name: 3 }), /"name" expects a string/);
  assert.doesNotThrow(() => injectParameters(nb, { nothing: 'anything', epochs: null }));
});

const HOSTILE = [
  "'); process.exit(3); ('",
  '"; require("fs").writeFileSync("/tmp/pwned", "x"); "',
  '`${process.exit(4)}`',
  'line\nbreak */ process.exit(5) /*',
  '\u2028process.exit(6)\u2029',
  '\\"; process.exit(7); //',
];

test('injected values are JSON literals: hostile strings parse as one string literal each', () => {
  for (const value of HOSTILE) {
    const source = injectionSource({ name: value });
    const file = ts.createSourceFile('x.ts', source, ts.ScriptTarget.ES2022, true);
    assert.equal(file.statements.length, 1, source);
    const decl = (file.statements[0] as ts.VariableStatement).declarationList.declarations[0];
    assert.ok(decl.initializer && ts.isStringLiteral(decl.initializer));
    assert.equal(decl.initializer.text, value);
  }
  assert.throws(() => injectionSource({ 'a; process.exit(1)': 1 }), /not a valid parameter name/);
});

test('a run injects a tagged cell after parameters, records values and papermill metadata', async () => {
  const out = join(tmp(), 'params.ipynb');
  const hostile = HOSTILE.join(' | ');
  const r = await runNotebook({
    input: join(fixtures, 'params.ipynb'),
    output: out,
    parameters: { epochs: 5, name: hostile },
    ...quiet,
  });
  assert.equal(r.exitCode, 0);
  assert.equal(r.records.epochs_seen, 5);
  assert.deepEqual(r.records.summary, { rate: 0.5, name: hostile, flag: false, nothing: null, type: 'number' });
  const nb = r.notebook!;
  const tags = nb.cells.map((c) => c.metadata.tags?.[0] ?? null);
  assert.deepEqual(tags.slice(1, 3), ['parameters', 'injected-parameters']);
  assert.match(sourceOf(nb.cells[2]), /const epochs: number = 5;/);
  const meta = nb.metadata.papermill;
  assert.deepEqual(meta.parameters, { epochs: 5, name: hostile });
  assert.equal(meta.default_parameters.epochs, 2);
  assert.equal(meta.exception, false);
  assert.ok(meta.duration > 0 && meta.start_time && meta.end_time);
  for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
    assert.equal((cell.metadata.papermill as { status: string }).status, 'completed');
  }
});

test('a failing cell: exit code 1, partial notebook saved with the error banner on top', async () => {
  const dir = tmp();
  const out = join(dir, 'failing.ipynb');
  let log = '';
  const r = await runNotebook({ input: join(fixtures, 'failing.ipynb'), output: out, onLog: (t) => (log += t) });
  assert.equal(r.exitCode, 1);
  assert.match(log, /deliberate failure in cell 2/);
  assert.match(log, /partial notebook was saved/);
  const nb = r.notebook!;
  assert.match(sourceOf(nb.cells[0]), /An Exception was encountered/);
  assert.equal(r.records.step, 1, 'outputs before the failure are kept; cells after it never ran');
  assert.equal(nb.metadata.papermill.exception, true);
  const failed = nb.cells.find((c) => (c.metadata.papermill as { status?: string } | undefined)?.status === 'failed');
  assert.ok(failed && /deliberate failure/.test(sourceOf(failed)));
  assert.deepEqual(readdirSync(dir), ['failing.ipynb'], 'no temporary files are left behind');
});

test('--timeout stops a long cell and keeps the partial notebook', async () => {
  const out = join(tmp(), 'slow.ipynb');
  const r = await runNotebook({
    input: join(fixtures, 'failing.ipynb'),
    output: out,
    parameters: { failAt: 0, sleepSeconds: 60 },
    timeout: 4,
    ...quiet,
  });
  assert.equal(r.exitCode, 3);
  assert.ok(r.seconds < 40, `took ${r.seconds}s`);
  assert.equal(r.records.step, 1);
  assert.equal(r.notebook!.metadata.papermill.exception, true);
});

test('sweep: every combination runs (2 kernels at once), then CSV and chart are written', async () => {
  const { combinations, parseGrid, runSweep } = await import('../../lib/runner/sweep');
  assert.deepEqual(
    combinations(
      parseGrid([
        ['a', '1,2'],
        ['b', 'x,true'],
      ]),
    ),
    [
      { a: 1, b: 'x' },
      { a: 1, b: true },
      { a: 2, b: 'x' },
      { a: 2, b: true },
    ],
  );
  const dir = tmp();
  const runs = await runSweep(
    join(fixtures, 'params.ipynb'),
    { epochs: [1, 3], rate: [0.25] },
    { outDir: dir, jobs: 2, onLog: () => {} },
  );
  assert.deepEqual(
    runs.map((r) => r.result.records.epochs_seen),
    [1, 3],
  );
  const csv = readFileSync(join(dir, 'sweep.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'epochs,rate,status,seconds,epochs_seen,summary,output');
  assert.match(csv[1], /^1,0\.25,ok,/);
  assert.match(csv[2], /^3,0\.25,ok,/);
  const html = readFileSync(join(dir, 'sweep.html'), 'utf8');
  assert.equal(html.match(/class="bn-lab-chart"/g)?.length, 1, 'one chart: epochs_seen is the only numeric record');
  assert.equal(html.match(/\* plotly\.js \(basic - minified\)/g)?.length, 1, 'plotly embedded once');
});

test('the patched tslab kernel survives a flood of display updates and compiles shorthand properties', async () => {
  // Unpatched, zeromq throws EBUSY on overlapping sends and the kernel dies; `{ updates }` naming a
  // variable from an earlier cell threw ReferenceError.
  const r = await runNotebook({
    input: join(fixtures, 'display-flood.ipynb'),
    output: join(tmp(), 'flood.ipynb'),
    ...quiet,
  });
  assert.equal(r.exitCode, 0);
  assert.deepEqual(r.records.after, { updates: 5000 });
  const live = r.notebook!.cells[1].outputs!.find((o) => o.output_type === 'display_data');
  assert.equal([live?.data?.['text/plain']].flat().join(''), 'step 5000', 'the display holds its last update');
});

test('Ctrl-C: the runner stops the kernel, saves the partial notebook and exits 130', async () => {
  const { spawn } = await import('node:child_process');
  const out = join(tmp(), 'interrupted.ipynb');
  const cli = projectPath('dist', 'scripts', 'run-notebook.js');
  const child = spawn(
    process.execPath,
    [cli, join(fixtures, 'failing.ipynb'), out, '-p', 'failAt', '0', '-p', 'sleepSeconds', '60'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  let interrupted = false;
  child.stderr.on('data', (d) => {
    log += d;
    // Interrupt once, when the slow cell is running.
    if (!interrupted && /\[4\/5\] executing/.test(log)) interrupted = child.kill('SIGINT');
  });
  const code = await new Promise((done) => child.on('close', done));
  assert.equal(code, 130, log);
  const nb = readNotebook(out);
  assert.equal(nb.metadata.papermill.exception, true);
  assert.match(sourceOf(nb.cells[0]), /An Exception was encountered/);
  assert.match(log, /partial notebook was saved/);
});

test('list parameters: declared from array literals, given as YAML lists, injected typed', () => {
  const specs = parseParameterCell('const sizes = [2, 4, 8]; // batch sizes\nconst names = ["a"];');
  assert.deepEqual(
    specs.map((s) => [s.name, s.type, s.default]),
    [
      ['sizes', 'array', [2, 4, 8]],
      ['names', 'array', ['a']],
    ],
  );
  const args = parseNotebookArgs(['in.ipynb', '-y', '{sizes: [1, 2]}']);
  assert.ok(args !== 'help');
  assert.deepEqual(args.parameters, { sizes: [1, 2] });
  assert.equal(injectionSource({ sizes: [1, 2] }, specs), '// Parameters\nconst sizes: number[] = [1,2];');
  assert.throws(() => parseNotebookArgs(['in.ipynb', '-y', '{sizes: [[1], 2]}']), /list of those/);
});
