import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectPath } from '../../lib/project';
import { loadMasters } from '../../lib/exercises/assemble';
import { gradeAll } from '../../lib/exercises/grade';
import { SANDBOX_BASE, sandboxUnavailable } from '../../lib/exercises/sandbox';
import { readNotebook } from '../../lib/runner/notebook';

const root = projectPath();
const fixtures = join(root, 'tests', 'fixtures');
const hostile = join(fixtures, 'submissions', 'hostile');
const env = {
  BN_LAB_MNIST_DIR: join(root, 'data', 'fixtures', 'mnist'),
  BN_LAB_CIFAR10_DIR: join(root, 'data', 'fixtures', 'cifar10'),
  BN_LAB_BACKEND: '',
};
const MARKER = 'sleep 3001'; // what the hostile fixtures leave running
const PWNED = '/tmp/bn-lab-hostile-pwned.txt';

/** A hash of every file of the project a submission could want to change (not out/, the installs or git). */
function treeHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (dir === root && ['out', 'node_modules', '.venv', '.git'].includes(e.name)) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) h.update(relative(root, p)).update('\0').update(readFileSync(p)).update('\0');
    }
  };
  walk(root);
  return h.digest('hex');
}

/** Processes on this machine whose command line contains `text`. */
function processesWith(text: string): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .flatMap((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmd.includes(text) ? [`${pid}: ${cmd}`] : [];
      } catch {
        return []; // gone
      }
    });
}

/** RFC 4180 CSV, as gradebookCsv writes it. */
function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',' || ch === '\n') {
      row.push(field);
      field = '';
      if (ch === '\n') {
        rows.push(row);
        row = [];
      }
    } else field += ch;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]])));
}

test('bubblewrap can isolate grading runs on this machine (CI installs the bubblewrap package)', () => {
  assert.equal(sandboxUnavailable(), null);
});

test('npm run grade contains every hostile submission: no forged points, nothing written or left running, each flagged', () => {
  const before = treeHash();
  assert.deepEqual(processesWith(MARKER), [], 'no leftover from an earlier run');
  assert.ok(!existsSync(PWNED));
  const out = mkdtempSync(join(tmpdir(), 'bn-lab-hostile-'));
  const run = spawnSync(
    process.execPath,
    [
      join(root, 'dist', 'scripts', 'grade.js'),
      hostile,
      '--notebooks',
      join(fixtures, 'exercises'),
      '--out',
      out,
      '--timeout',
      '120',
      '--jobs',
      '2',
      '--memory',
      '512',
    ],
    { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  const rows = Object.fromEntries(parseCsv(readFileSync(join(out, 'grades.csv'), 'utf8')).map((r) => [r.student, r]));
  const expected: Record<string, RegExp> = {
    replace_helper: /bn-lab\/exercises\/expect\.expectClose 바꾸려 함.*Module\._load 바꾸려 함/,
    patch_globals: /Array\.prototype\.every 바뀜.*Math\.abs 바뀜.*summary 바뀜/,
    write_outside: /\/tmp\)에 파일을 씀.*bn-lab-hostile-pwned\.txt.*읽기 전용이라 막힘/,
    background: /돌던 프로세스 \d+개를 종료함: .*sleep 3001/,
    flood: /출력이 한도를 넘어 잘림: attack 셀/,
    exit: /커널이 스스로 종료함\(종료 코드 0\)/,
    read_others:
      /숨겨진 파일을 읽으려 함\(막힘\): .*fixtures\/exercises.*submissions\/mixed\/alice.*submissions\/hostile.*notebooks\/03/,
    network: /네트워크에 접속하려 함\(막힘\)/,
    fork_bomb: /돌던 프로세스 (6[3-9]|[7-9]\d|1\d\d)개를 종료함/,
    forge: /서명이 맞지 않는 검사 결과\(위조\)를 무시함: double; 검사를 검사 셀 밖에서 불렀음: double/,
  };
  assert.deepEqual(Object.keys(rows).sort(), [...Object.keys(expected), 'honest'].sort());
  for (const [student, flag] of Object.entries(expected)) {
    const r = rows[student];
    assert.deepEqual([student, r.points, r.max, r.flagged], [student, '0', '5', 'yes'], `${student}: ${r.flags}`);
    assert.match(r.flags, flag, student);
  }
  assert.deepEqual([rows.honest.points, rows.honest.flagged, rows.honest.reason], ['5', 'no', '']);
  assert.match(
    rows.exit.reason,
    /커널이 스스로 종료했습니다\(종료 코드 0\)/,
    'an exit is not reported as out of memory',
  );
  // What the attacks saw from inside.
  const outputs = (student: string) =>
    JSON.stringify(readNotebook(join(out, student, '90_tiny_exercise.ipynb')).cells.map((c) => c.outputs ?? []));
  assert.doesNotMatch(outputs('read_others'), /READ /);
  assert.doesNotMatch(outputs('network'), /NETWORK OK/);
  assert.ok(statSync(join(out, 'flood', '90_tiny_exercise.ipynb')).size < 6_000_000, 'flood cut to the caps');
  assert.ok(statSync(join(out, 'flood', '90_tiny_exercise.log')).size < 1_100_000, 'log capped');
  // Nothing left behind: no process, no file outside the submission's folder, the project unchanged.
  assert.deepEqual(processesWith(MARKER), []);
  assert.ok(!existsSync(PWNED), 'the host /tmp was not written');
  assert.deepEqual(existsSync(SANDBOX_BASE) ? readdirSync(SANDBOX_BASE) : [], [], 'sandbox folders removed');
  assert.equal(treeHash(), before, 'project tree unchanged');
});

test('grading without bubblewrap is refused unless asked for, and the sandbox cost per honest submission is measured', async () => {
  const masters = loadMasters(join(fixtures, 'exercises'));
  const honest = [{ file: join(hostile, 'honest.ipynb'), student: 'honest' }];
  const out = mkdtempSync(join(tmpdir(), 'bn-lab-honest-'));
  const base = { masters, timeout: 120, memoryMb: 512, env };
  const [open] = await gradeAll(honest, { ...base, outDir: join(out, 'open'), sandbox: false });
  const [boxed] = await gradeAll(honest, { ...base, outDir: join(out, 'boxed') });
  assert.deepEqual([open.points, boxed.points], [5, 5]);
  assert.deepEqual(open.flags, ['샌드박스 없이 채점함(--no-sandbox)']);
  assert.deepEqual(boxed.flags, []);
  console.log(
    `honest submission: ${open.seconds.toFixed(1)} s without the sandbox, ${boxed.seconds.toFixed(1)} s in it`,
  );
  const refused = spawnSync(
    process.execPath,
    [
      join(root, 'dist', 'scripts', 'grade.js'),
      join(hostile, 'honest.ipynb'),
      '--notebooks',
      join(fixtures, 'exercises'),
    ],
    { cwd: root, env: { ...process.env, ...env, PATH: '/nonexistent' }, encoding: 'utf8' },
  );
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /bwrap was not found.*\n.*apt-get install bubblewrap.*--no-sandbox/);
});
