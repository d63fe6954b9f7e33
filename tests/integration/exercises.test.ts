import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import * as tf from '@tensorflow/tfjs';
import { check, fail, runCheck } from '../../lib/exercises/check';
import { setSeed } from '../../lib/training/seed';
import {
  expectAccuracyMetric,
  expectColumns,
  expectLayers,
  expectOneHot,
  expectSameWeights,
  expectTensorClose,
  recordTraining,
} from '../../lib/exercises/expect';
import { checkSpecs, solutionRegions, studentSource } from '../../lib/exercises/format';
import { EXERCISE_META, makeExercise, validateExercise, writeExercises } from '../../lib/exercises/generate';
import { assembleSubmission, loadMasters } from '../../lib/exercises/assemble';
import { GradeResult, findSubmissions, gradeAll } from '../../lib/exercises/grade';
import { SANDBOX_BASE } from '../../lib/exercises/sandbox';
import { gradebookCsv, gradebookHtml } from '../../lib/exercises/gradebook';
import { Notebook, readNotebook, sourceOf, writeNotebook } from '../../lib/runner/notebook';

const root = projectPath();
const fixtures = join(root, 'tests', 'fixtures');
const env = {
  BN_LAB_MNIST_DIR: join(root, 'data', 'fixtures', 'mnist'),
  BN_LAB_CIFAR10_DIR: join(root, 'data', 'fixtures', 'cifar10'),
  BN_LAB_BACKEND: '',
};

/** Runs `fn`, expecting a check failure, and returns its message. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('expected the check to fail');
}

// ---- authoring format and student versions (no Jupyter needed)

test('studentSource: each answer region becomes TODO with its hint, indented like the marker', () => {
  const source = [
    'function f(x: number) {',
    '  // BEGIN SOLUTION',
    '  // HINT: 두 배를 돌려주세요',
    '  return 2 * x;',
    '  // END SOLUTION',
    '}',
    '// BEGIN SOLUTION',
    'const y = f(1);',
    '// END SOLUTION',
    '  // SOLUTION: 한 줄짜리 답',
    '  const z = f(2);',
    'const w = 3;',
  ].join('\n');
  assert.equal(
    studentSource(source),
    [
      'function f(x: number) {',
      '  // TODO: 두 배를 돌려주세요',
      '}',
      '// TODO',
      '  // TODO: 한 줄짜리 답',
      'const w = 3;',
    ].join('\n'),
  );
  assert.throws(() => solutionRegions('x\n// SOLUTION: hint\n', 'cell'), /line 2: \/\/ SOLUTION must be followed/);
  assert.throws(
    () => solutionRegions('// BEGIN SOLUTION\nx\n', 'nb, cell 3'),
    /nb, cell 3, line 1: BEGIN SOLUTION is never closed/,
  );
  assert.throws(() => solutionRegions('x\n// END SOLUTION', 'cell'), /line 2: END SOLUTION without a BEGIN/);
});

test('the instructor notebooks 1, 2, 3 and 5 make exercises without their answers and with their checks as authored', () => {
  const answers: Record<string, RegExp[]> = {
    '01_lenet_mnist_bn': [/batchNormalization\(\)/, /model\.compile\(\{/],
    '02_why_bn_small_cifar_cnn': [/x\.mean\(axes\)/, /xHat\.mul\(s\.gamma\)/, /s\.movingMean\.mul\(momentum\)/],
    '03_iris_deep_mlp': [/dfd\.concat\(/, /\.drop\(/, /batchNormalization\(/],
    '05_lenet_shuffle': [/await model\.fit\(x, y/, /setSeed\(seed\); \/\/ every run/],
  };
  for (const [name, patterns] of Object.entries(answers)) {
    const master = readNotebook(join(root, 'notebooks', `${name}.ipynb`));
    const exercise = makeExercise(master, name);
    const specs = checkSpecs(master, name);
    assert.ok(specs.length >= 1, `${name} has checks`);
    const studentCode = exercise.cells
      .filter((c) => c.cell_type === 'code' && !c.metadata.tags?.includes('check'))
      .map(sourceOf)
      .join('\n');
    for (const p of patterns) assert.doesNotMatch(studentCode, p, `${name}: answer ${p} is not handed out`);
    assert.match(studentCode, /\/\/ TODO: /, `${name}: hints are shown`);
    assert.doesNotMatch(studentCode, /BEGIN SOLUTION|END SOLUTION|HINT:/);
    for (const spec of specs)
      assert.equal(
        sourceOf(exercise.cells[spec.index]),
        sourceOf(spec.cell),
        `${name}: check ${spec.id} kept as authored`,
      );
    assert.ok(
      exercise.cells.every((c) => c.cell_type !== 'code' || (c.outputs!.length === 0 && c.execution_count === null)),
      'outputs cleared',
    );
    assert.equal(exercise.metadata[EXERCISE_META].source, name);
    assert.equal(exercise.cells.length, master.cells.length);
  }
});

test('npm run exercises writes the student notebook and an HTML handout without the answers', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bn-lab-handouts-'));
  const [written] = await writeExercises(join(fixtures, 'exercises'), out);
  assert.deepEqual([written.checks, written.points], [2, 5]);
  // The page's text as a reader sees it: syntax highlighting splits code into spans.
  const text = readFileSync(written.html!, 'utf8')
    .replace(/<[^>]+>/g, '')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
  assert.match(text, /TODO: x의 두 배를 돌려주세요/);
  assert.doesNotMatch(text, /return 2 \* x|batchNormalization\(\)|BEGIN SOLUTION/);
  assert.match(text, /await check\('tiny-bn', 3,/, 'the checks are in the handout');
});

test('validateExercise: a check call that disagrees with its metadata is an authoring error', () => {
  const nb = readNotebook(join(fixtures, 'exercises', '90_tiny_exercise.ipynb'));
  validateExercise(nb, 'tiny');
  const bad: Notebook = JSON.parse(JSON.stringify(nb));
  (bad.cells.find((c) => c.id === 'check-double')!.metadata.check as { points: number }).points = 5;
  assert.throws(() => validateExercise(bad, 'tiny'), /check\('double', 2, …\) disagrees with metadata\.check/);
  delete bad.cells.find((c) => c.id === 'check-model')!.metadata.check;
  assert.throws(() => checkSpecs(bad, 'tiny'), /tagged "check" but has no metadata\.check\.id/);
});

test('assembleSubmission puts edited and deleted check cells back as authored and flags them', () => {
  const [master] = loadMasters(join(fixtures, 'exercises'));
  const carol = readNotebook(join(fixtures, 'submissions', 'mixed', 'carol.ipynb'));
  const a = assembleSubmission(master, carol);
  assert.deepEqual(a.flags, ['검사 셀 tiny-bn이(가) 수정됨: 원본으로 채점']);
  assert.equal(sourceOf(a.notebook.cells.find((c) => c.id === 'check-model')!), sourceOf(master.checks[1].cell));
  const erin = readNotebook(join(fixtures, 'submissions', 'mixed', 'erin', '90_tiny_exercise.ipynb'));
  const e = assembleSubmission(master, erin);
  assert.equal(e.flags.length, 3);
  assert.match(e.flags[0], /원본에 없는 검사 셀을 제거함\(bonus\)/);
  // Each deleted check comes back right after the cell it followed in the instructor's notebook.
  const ids = e.notebook.cells.map((c) => c.id);
  assert.equal(ids.indexOf('check-double'), ids.indexOf('answer-double') + 1);
  assert.equal(ids.indexOf('check-model'), ids.indexOf('answer-model') + 1);
  assert.ok(!ids.includes('fake'));
  // A check moved above the code it checks goes back; one left below added cells stays.
  const moved: Notebook = JSON.parse(JSON.stringify(carol));
  const checkModel = moved.cells.splice(
    moved.cells.findIndex((c) => c.id === 'check-model'),
    1,
  )[0];
  moved.cells.splice(1, 0, checkModel);
  const m = assembleSubmission(master, moved);
  assert.ok(m.flags.includes('검사 셀 tiny-bn이(가) 위로 옮겨짐: 원래 자리에서 채점'), m.flags.join('; '));
  const movedIds = m.notebook.cells.map((c) => c.id);
  assert.equal(movedIds.indexOf('check-model'), movedIds.indexOf('answer-model') + 1);
  const extraCell: Notebook = JSON.parse(
    JSON.stringify(readNotebook(join(fixtures, 'submissions', 'mixed', 'alice.ipynb'))),
  );
  extraCell.cells.splice(extraCell.cells.findIndex((c) => c.id === 'answer-model') + 1, 0, {
    cell_type: 'code',
    id: 'mine',
    metadata: {},
    source: 'const z = 1;\n',
    outputs: [],
  });
  const kept = assembleSubmission(master, extraCell);
  const keptIds = kept.notebook.cells.map((c) => c.id);
  assert.equal(keptIds.indexOf('check-model'), keptIds.indexOf('mine') + 1);
  assert.deepEqual(kept.flags, []);
  // The parameters cell is the instructor's: alice shrank n while working.
  const alice = assembleSubmission(master, readNotebook(join(fixtures, 'submissions', 'mixed', 'alice.ipynb')));
  assert.equal(sourceOf(alice.notebook.cells.find((c) => c.id === 'params')!), 'const n = 3;\n');
  assert.deepEqual(alice.flags, []);
});

// ---- check helpers: what the student reads

test('expectLayers names the missing, misplaced and extra layers by the layer they follow', () => {
  const build = (names: string[]) => {
    const m = tf.sequential();
    names.forEach((n, i) =>
      m.add(
        n === 'Dense'
          ? tf.layers.dense({ units: 2, inputShape: i === 0 ? [4] : undefined })
          : tf.layers.batchNormalization(),
      ),
    );
    return m;
  };
  const expected = ['Dense', 'BatchNormalization', 'Dense', 'BatchNormalization', 'Dense'];
  expectLayers(build(expected), expected);
  const missing = failure(() =>
    expectLayers(build(['Dense', 'BatchNormalization', 'Dense', 'Dense']), expected, 'mlp(true)'),
  );
  assert.match(missing, /^mlp\(true\)의 층 구성이 기대와 다릅니다/);
  assert.match(missing, /BatchNormalization 층이 빠졌습니다: 2번째 Dense 층 바로 뒤에 있어야 합니다/);
  const moved = failure(() =>
    expectLayers(build(['Dense', 'BatchNormalization', 'Dense', 'Dense', 'BatchNormalization']), expected),
  );
  assert.match(
    moved,
    /BatchNormalization 층의 자리가 틀렸습니다: 2번째 Dense 층 바로 뒤에 있어야 하는데 지금은 3번째 Dense 층 바로 뒤에 있습니다/,
  );
  const extra = failure(() => expectLayers(build([...expected, 'BatchNormalization']), expected));
  assert.match(extra, /6번째 층\(BatchNormalization, 3번째 Dense 층 바로 뒤\)은 여기에 없어야 합니다/);
  // LeNet with BN after the pooling instead of after each convolution: BN is blamed, not the pooling.
  const lenet = (bnAfter: string) => {
    const m = tf.sequential();
    const add = (layer: tf.layers.Layer, name: string) => {
      m.add(layer);
      if (name === bnAfter) m.add(tf.layers.batchNormalization());
    };
    add(tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 2, kernelSize: 3 }), 'Conv2D');
    add(tf.layers.averagePooling2d({ poolSize: 2 }), 'AveragePooling2D');
    add(tf.layers.conv2d({ filters: 2, kernelSize: 3 }), 'Conv2D');
    add(tf.layers.flatten(), 'Flatten');
    return m;
  };
  const expectedLenet = ['Conv2D', 'BatchNormalization', 'AveragePooling2D', 'Conv2D', 'BatchNormalization', 'Flatten'];
  const movedLenet = failure(() => expectLayers(lenet('AveragePooling2D'), expectedLenet));
  assert.match(
    movedLenet,
    /BatchNormalization 층의 자리가 틀렸습니다: 1번째 Conv2D 층 바로 뒤에 있어야 하는데 지금은 1번째 AveragePooling2D 층 바로 뒤에 있습니다/,
  );
  assert.match(movedLenet, /BatchNormalization 층이 빠졌습니다: 2번째 Conv2D 층 바로 뒤에 있어야 합니다/);
});

test('expectColumns, expectOneHot, expectTensorClose and expectSameWeights say which value is off and by how much', () => {
  assert.match(
    failure(() => expectColumns(['a', 'y'], ['a', 'Y_x'])),
    /빠진 열: Y_x\n- 없어야 할 열: y/,
  );
  assert.match(
    failure(() => expectColumns(['b', 'a'], ['a', 'b'])),
    /순서가 다릅니다/,
  );
  assert.match(
    failure(() =>
      expectOneHot(
        [
          [1, 0],
          [1, 0],
        ],
        [0, 1],
      ),
    ),
    /1번째 행의 1이 0번째 열에 있는데, 레이블 1에 맞는 1번째 열/,
  );
  assert.match(
    failure(() => expectOneHot([[1, 1]], [0])),
    /0번째 행 \[1, 1\]은 원-핫이 아닙니다/,
  );
  const t = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  assert.match(
    failure(() =>
      expectTensorClose(
        '출력',
        t,
        tf.tensor2d([
          [1, 2],
          [3, 4.5],
        ]),
        1e-3,
      ),
    ),
    /원소 \[1, 1\]가 4인데 4\.5000이어야 합니다\. 차이 0\.5000/,
  );
  assert.match(
    failure(() => expectTensorClose('출력', t, tf.tensor1d([1, 2]))),
    /모양이 \[2,2\]인데 \[2\]이어야/,
  );
  assert.match(
    failure(() => expectSameWeights('초기 가중치', [new Float32Array([1, 2])], [new Float32Array([1, 2.25])])),
    /1번째 가중치 텐서가 최대 0\.2500만큼 다릅니다/,
  );
});

test('expectAccuracyMetric catches categoricalAccuracy on integer labels; recordTraining sees initial weights, epochs, batch size and whether fit shuffled', async () => {
  await tf.setBackend('cpu');
  const x = tf.tensor2d([
    [1, 0],
    [0, 1],
    [1, 1],
    [0, 0],
  ]);
  const y = tf.tensor1d([1, 2, 2, 1]);
  const model = (metric: string | typeof tf.metrics.sparseCategoricalAccuracy) => {
    const m = tf.sequential({
      layers: [tf.layers.dense({ inputShape: [2], units: 3, activation: 'softmax', kernelInitializer: 'ones' })],
    });
    m.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: [metric] });
    return m;
  };
  expectAccuracyMetric(model('accuracy'), x, y);
  expectAccuracyMetric(model(tf.metrics.sparseCategoricalAccuracy), x, y);
  // All-equal outputs predict class 0 everywhere: the true accuracy is 0, the wrong metric says otherwise.
  assert.match(
    failure(() => expectAccuracyMetric(model('categoricalAccuracy'), x, y)),
    /model\.evaluate가 보고한 정확도는 .* 실제로 맞힌 비율은 0입니다/,
  );
  const fitBefore = tf.LayersModel.prototype.fit;
  const runs = await recordTraining(async () => {
    setSeed(3);
    await model('accuracy').fit(x, y, { epochs: 1, shuffle: false });
    setSeed(3);
    await model('accuracy').fit(x, y, { epochs: 2, batchSize: 2 });
  });
  assert.equal(runs.length, 2);
  assert.deepEqual(
    runs.map((r) => [r.epochs, r.batchSize, r.samples, r.shuffled]),
    [
      [1, 32, 4, false],
      [2, 2, 4, true],
    ],
  );
  expectSameWeights('같은 초기화', runs[0].initialWeights, runs[1].initialWeights);
  // Outside a recording nothing is collected, and tfjs's own fit is untouched.
  const outside = await recordTraining(() => undefined);
  await model('accuracy').fit(x, y, { epochs: 1 });
  assert.deepEqual(outside, []);
  assert.equal(tf.LayersModel.prototype.fit, fitBefore);
  // Without setSeed's generator, whether fit shuffled cannot be told.
  const random = Math.random;
  Math.random = () => 0.5;
  try {
    const [unseeded] = await recordTraining(() => model('accuracy').fit(x, y, { epochs: 1 }));
    assert.equal(unseeded.shuffled, undefined);
  } finally {
    Math.random = random;
  }
});

test('check() records a failure instead of throwing, and quotes unexpected errors', async () => {
  const passed = await runCheck('ok', 2, () => undefined);
  assert.deepEqual(passed, { id: 'ok', passed: true, points: 2, max: 2, message: '' });
  const failed = await runCheck('bad', 3, async () => fail('BN 층이 빠졌습니다.'));
  assert.deepEqual([failed.passed, failed.points, failed.message], [false, 0, 'BN 층이 빠졌습니다.']);
  const crashed = await runCheck('crash', 1, () => (undefined as unknown as { x: number }).x);
  assert.match(crashed.message, /^검사하는 중에 오류가 났습니다: TypeError/);
  // What check cells call returns nothing, so a cell shows the result box and no outcome object.
  assert.equal(await check('quiet', 1, () => fail('x')), undefined);
});

test('gradebookCsv quotes fields with commas, quotes and newlines', () => {
  const r: GradeResult = {
    student: 'kim, "j"',
    file: 'x.ipynb',
    exercise: 'e',
    checks: [{ id: 'c', points: 1, max: 2, passed: false, message: 'a\nb' }],
    points: 1,
    max: 2,
    flags: [],
    reason: '줄1\n줄2',
    seconds: 1.25,
    executed: null,
  };
  const csv = gradebookCsv([r], '/tmp');
  assert.equal(
    csv,
    'student,exercise,points,max,e:c,flagged,flags,reason,seconds,executed\n"kim, ""j""",e,1,2,1,no,,"줄1\n줄2",1.3,\n',
  );
  assert.match(gradebookHtml([r], '/tmp'), /kim, &quot;j&quot;/);
});

// ---- grading through real kernels

// The mixed folder is graded once, by the first test that needs it.
const gradeDir = mkdtempSync(join(tmpdir(), 'bn-lab-grades-'));
let grading: Promise<GradeResult[]> | undefined;
function gradeMixed(): Promise<GradeResult[]> {
  const masters = loadMasters(join(fixtures, 'exercises'));
  const submissions = findSubmissions(join(fixtures, 'submissions', 'mixed'));
  return (grading ??= gradeAll(submissions, { masters, outDir: gradeDir, timeout: 60, memoryMb: 256, env }, 2));
}

test('a folder of mixed submissions grades to the expected points per student', async () => {
  const mixed = await gradeMixed();
  const rows = gradebookCsv(mixed, gradeDir)
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, 8));
  assert.deepEqual(rows, [
    ['student', 'exercise', 'points', 'max', '90_tiny_exercise:double', '90_tiny_exercise:tiny-bn', 'flagged', 'flags'],
    ['alice', '90_tiny_exercise', '5', '5', '2', '3', 'no', ''],
    ['bob', '90_tiny_exercise', '0', '5', '0', '0', 'no', ''],
    ['carol', '90_tiny_exercise', '2', '5', '2', '0', 'yes', '검사 셀 tiny-bn이(가) 수정됨: 원본으로 채점'],
    ['dave', '90_tiny_exercise', '2', '5', '2', '0', 'no', ''],
    [
      'erin',
      '90_tiny_exercise',
      '0',
      '5',
      '0',
      '0',
      'yes',
      '원본에 없는 검사 셀을 제거함(bonus); 검사 셀 double이(가) 삭제됨: 원본으로 채점; 검사 셀 tiny-bn이(가) 삭제됨: 원본으로 채점; 서명이 맞지 않는 검사 결과(위조)를 무시함: double',
    ],
    ['frank', '90_tiny_exercise', '2', '5', '2', '0', 'no', ''],
    ['gina', '90_tiny_exercise', '0', '5', '0', '0', 'no', ''],
  ]);
  const by = Object.fromEntries(mixed.map((r) => [r.student, r]));
  assert.match(by.bob.checks[0].message, /double\(n\): 숫자가 아닙니다\(undefined\)/);
  assert.match(by.bob.checks[1].message, /BatchNormalization 층이 빠졌습니다: 1번째 Dense 층 바로 뒤/);
  assert.equal(by.bob.reason, null, 'an untouched exercise runs to the end; only its checks fail');
  assert.match(
    by.erin.checks[0].message,
    /double\(n\): 9인데 6에 가까워야 합니다/,
    "erin's fake record does not count",
  );
  assert.match(
    by.gina.reason!,
    /3번째 코드 셀\(answer-double\)에서 오류가 나 실행이 멈췄습니다: .*Cannot find name 'y'/,
  );
  assert.match(by.gina.checks[1].message, /^실행되지 않음: 3번째 코드 셀/);
  assert.match(by.frank.reason!, /커널이 죽었습니다/);
  for (const r of mixed)
    assert.ok(r.executed && readNotebook(r.executed).cells.length > 0, `${r.student}: executed notebook kept`);
  assert.match(readFileSync(join(gradeDir, 'alice', '90_tiny_exercise.ipynb'), 'utf8'), /check:double/);
  assert.match(readFileSync(join(gradeDir, 'alice', '90_tiny_exercise.log'), 'utf8'), /executing cell/);
});

test('an infinite loop is cut off at the timeout with the points earned before it', async () => {
  const dave = (await gradeMixed()).find((r) => r.student === 'dave')!;
  assert.match(dave.reason!, /^시간 제한 60초를 넘겨 중단했습니다\(5번째 코드 셀\(answer-model\) 실행 중\)/);
  assert.ok(dave.seconds >= 60 && dave.seconds < 60 + 40, `stopped soon after the limit: ${dave.seconds} s`);
  assert.match(dave.checks[1].message, /시간 제한/);
  // The looping kernel was killed, not left behind: no process still works in a grading sandbox.
  const inSandbox = readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/cwd`).startsWith(SANDBOX_BASE);
      } catch {
        return false; // gone, or not ours to inspect
      }
    });
  assert.deepEqual(inSandbox, []);
});

test('a tampered submission is flagged and graded with the original checks', async () => {
  const carol = (await gradeMixed()).find((r) => r.student === 'carol')!;
  assert.equal(carol.flags.length, 1);
  assert.match(
    carol.checks[1].message,
    /BatchNormalization 층의 자리가 틀렸습니다: 1번째 Dense 층 바로 뒤에 있어야 하는데 지금은 2번째 Dense 층 바로 뒤/,
  );
});

test('each generated exercise, executed as handed out, fails its checks with the expected messages', async () => {
  const exercisesDir = mkdtempSync(join(tmpdir(), 'bn-lab-exercises-'));
  const written = await writeExercises(join(root, 'notebooks'), exercisesDir, false);
  assert.deepEqual(
    written.map((w) => w.notebook.split('/').pop()),
    ['01_lenet_mnist_bn.ipynb', '02_why_bn_small_cifar_cnn.ipynb', '03_iris_deep_mlp.ipynb', '05_lenet_shuffle.ipynb'],
  );
  // And the seed's own pitfall: the instructor's solution with categoricalAccuracy on integer labels.
  const pitfall = readNotebook(join(root, 'notebooks', '01_lenet_mnist_bn.ipynb'));
  const compileCell = pitfall.cells.find((c) => c.id === 'cell-09')!;
  compileCell.source = sourceOf(compileCell).replace("metrics: ['accuracy']", "metrics: ['categoricalAccuracy']");
  assert.match(sourceOf(compileCell), /categoricalAccuracy/);
  writeNotebook(join(exercisesDir, 'pitfall_01_lenet_mnist_bn.ipynb'), pitfall);
  const masters = loadMasters(join(root, 'notebooks'));
  const parameters = {
    trainCount: 100,
    testCount: 50,
    shuffleTrainCount: 100,
    shuffleTestCount: 50,
    shuffleEpochs: 1,
    epochs: 1,
  };
  const results = await gradeAll(
    findSubmissions(exercisesDir),
    { masters, outDir: join(exercisesDir, 'graded'), timeout: 600, memoryMb: 2048, env, parameters },
    2,
  );
  const by = Object.fromEntries(results.map((r) => [r.student, r]));
  const pit = by['pitfall_01_lenet_mnist_bn'];
  assert.deepEqual([pit.points, pit.checks.map((c) => c.points)], [3, [3, 0, 0]]);
  assert.match(
    pit.checks[1].message,
    /model\.evaluate가 보고한 정확도는 [0-9.]+인데, 실제로 맞힌 비율은 [0-9.]+입니다/,
  );
  assert.match(pit.checks[2].message, /^BN 모델의 test_acc: [0-9.]+인데 [0-9.]+에 가까워야 합니다/);
  delete by['pitfall_01_lenet_mnist_bn'];
  for (const r of Object.values(by)) assert.equal(r.points, 0, `${r.exercise}: nothing earned`);
  const [layers, metric, acc] = by['01_lenet_mnist_bn'].checks;
  assert.match(
    layers.message,
    /lenet\(true\)의 층 구성이 기대와 다릅니다\.\n- BatchNormalization 층이 빠졌습니다: 1번째 Conv2D 층 바로 뒤/,
  );
  assert.match(by['01_lenet_mnist_bn'].reason!, /코드 셀\(cell-10\)에서 오류가 나 실행이 멈췄습니다: .*compile/);
  for (const c of [metric, acc]) assert.match(c.message, /^실행되지 않음: .*cell-10/);
  const [oneHot, mlp] = by['03_iris_deep_mlp'].checks;
  assert.match(oneHot.message, /빠진 열: Y_setosa, Y_versicolor, Y_virginica\n- 없어야 할 열: y/);
  assert.match(mlp.message, /^실행되지 않음: .*cell-16/);
  assert.match(by['05_lenet_shuffle'].checks[0].message, /^실행되지 않음: .*cell-10.*Cannot find name 'history'/);
  // Notebook 2's student version compiles (the function returns its input), so the check runs and says what is off.
  assert.equal(by['02_why_bn_small_cifar_cnn'].reason ?? '', '', 'notebook 2 runs to the end');
  assert.match(by['02_why_bn_small_cifar_cnn'].checks[0].message, /학습 모드 출력/);
});

test('the CLIs: npm run exercises and npm run grade write their files; bad arguments are clear errors', () => {
  const out = mkdtempSync(join(tmpdir(), 'bn-lab-cli-'));
  const node = (script: string, args: string[]) =>
    spawnSync(process.execPath, [join(root, 'dist', 'scripts', script), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
  const made = node('exercises.js', [join(fixtures, 'exercises'), join(out, 'exercises'), '--no-handouts']);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /90_tiny_exercise\.ipynb {2}2 checks, 5 points/);
  const alice = join(fixtures, 'submissions', 'mixed', 'alice.ipynb');
  const graded = node('grade.js', [
    alice,
    '--notebooks',
    join(fixtures, 'exercises'),
    '--out',
    join(out, 'grades'),
    '--timeout',
    '120',
  ]);
  assert.equal(graded.status, 0, graded.stderr);
  const csv = readFileSync(join(out, 'grades', 'grades.csv'), 'utf8').split('\n');
  assert.match(csv[1], /^alice,90_tiny_exercise,5,5,2,3,no,/);
  assert.match(readFileSync(join(out, 'grades', 'grades.html'), 'utf8'), /<a href="alice\/90_tiny_exercise\.ipynb">/);
  const bad = node('grade.js', [alice, '--timeout', 'soon']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--timeout needs a positive number, got soon/);
});
