/**
 * Assertions for check cells. Each one fails with a Korean message that says what is wrong and
 * where (which layer is missing or misplaced, which value is off and by how much), so a student can
 * fix it without reading the check's code.
 */
import * as tf from '@tensorflow/tfjs';
import { seededDraws } from '../training/seed';
import { fail } from './check';

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : Math.abs(v) >= 0.01 ? v.toFixed(4) : v.toExponential(2));

/** Where a layer sits, named by the layer before it: "2번째 Conv2D 층 바로 뒤" or "맨 앞". */
function positionAfter(names: string[], index: number): string {
  if (index === 0) return '맨 앞';
  const prev = names[index - 1];
  const occurrence = names.slice(0, index).filter((n) => n === prev).length;
  return `${occurrence}번째 ${prev} 층 바로 뒤`;
}

/** Layers a student typically adds or moves; the alignment blames them before the backbone around them. */
const MOVABLE = new Set(['BatchNormalization', 'Dropout', 'Activation', 'BatchRenormalization']);

/**
 * Longest-common-subsequence alignment: which expected and actual entries match each other. Matches
 * of movable layers weigh slightly less, so with [Dense, Dense, BN] against [Dense, BN, Dense] the
 * BN layer is the one reported as misplaced, not a Dense layer.
 */
function align(expected: string[], actual: string[]): { missing: number[]; extra: number[] } {
  const n = expected.length;
  const m = actual.length;
  const weight = (name: string) => (MOVABLE.has(name) ? 1 - 1e-3 : 1);
  const best = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const skip = Math.max(best[i + 1][j], best[i][j + 1]);
      best[i][j] = expected[i] === actual[j] ? Math.max(skip, best[i + 1][j + 1] + weight(expected[i])) : skip;
    }
  }
  const missing: number[] = [];
  const extra: number[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j] && best[i][j] === best[i + 1][j + 1] + weight(expected[i])) {
      i++;
      j++;
    } else if (j < m && (i === n || best[i][j + 1] >= best[i + 1][j])) {
      extra.push(j++);
    } else {
      missing.push(i++);
    }
  }
  return { missing, extra };
}

/** The class names of a model's layers, in order (`Conv2D`, `BatchNormalization`, …). */
export function layerClasses(model: tf.LayersModel): string[] {
  return model.layers.map((l) => l.getClassName());
}

/**
 * Fails unless the model's layers have exactly these class names in this order. The message names
 * each missing, extra or misplaced layer by the layer it should follow.
 */
export function expectLayers(model: tf.LayersModel, expected: string[], what = '모델'): void {
  const actual = layerClasses(model);
  if (actual.length === expected.length && actual.every((n, i) => n === expected[i])) return;
  const { missing, extra } = align(expected, actual);
  const problems: string[] = [];
  const movedExtra = new Set<number>();
  for (const mi of missing) {
    const name = expected[mi];
    const ei = extra.find((x) => actual[x] === name && !movedExtra.has(x));
    if (ei !== undefined) {
      movedExtra.add(ei);
      problems.push(
        `${name} 층의 자리가 틀렸습니다: ${positionAfter(expected, mi)}에 있어야 하는데 지금은 ${positionAfter(actual, ei)}에 있습니다.`,
      );
    } else {
      problems.push(`${name} 층이 빠졌습니다: ${positionAfter(expected, mi)}에 있어야 합니다.`);
    }
  }
  for (const ei of extra) {
    if (!movedExtra.has(ei))
      problems.push(`${ei + 1}번째 층(${actual[ei]}, ${positionAfter(actual, ei)})은 여기에 없어야 합니다.`);
  }
  fail(
    `${what}의 층 구성이 기대와 다릅니다.\n- ${problems.join('\n- ')}\n` +
      `기대한 순서: ${expected.join(' → ')}\n지금 순서:   ${actual.join(' → ') || '(층 없음)'}`,
  );
}

/**
 * Fails unless the layer at `index` has these configuration values; keys may be dotted paths into
 * the config, e.g. `'gammaInitializer.config.value'`. Numbers compare within 1e-6.
 */
export function expectLayerConfig(
  model: tf.LayersModel,
  index: number,
  expected: Record<string, unknown>,
  what = '모델',
): void {
  const layer = model.layers[index];
  if (!layer) fail(`${what}에 ${index + 1}번째 층이 없습니다(층이 ${model.layers.length}개입니다).`);
  const config = { className: layer.getClassName(), ...layer.getConfig() } as Record<string, unknown>;
  // getConfig() already serializes initializers as { className, config }: dotted paths reach into them.
  const serialized = JSON.parse(JSON.stringify(config));
  const problems: string[] = [];
  for (const [path, want] of Object.entries(expected)) {
    const got = path
      .split('.')
      .reduce<unknown>(
        (o, k) => (o != null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
        serialized,
      );
    const same =
      typeof want === 'number' && typeof got === 'number'
        ? Math.abs(got - want) <= 1e-6
        : JSON.stringify(got) === JSON.stringify(want);
    if (!same) problems.push(`${path}: 지금 ${JSON.stringify(got)}, 기대 ${JSON.stringify(want)}`);
  }
  if (problems.length)
    fail(`${what}의 ${index + 1}번째 층(${layer.getClassName()})의 설정이 다릅니다.\n- ${problems.join('\n- ')}`);
}

/** Fails unless |actual − expected| ≤ tolerance, saying by how much it is off. */
export function expectClose(
  what: string,
  actual: unknown,
  expected: number,
  tolerance: number,
): asserts actual is number {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) fail(`${what}: 숫자가 아닙니다(${String(actual)}).`);
  const diff = Math.abs(actual - expected);
  if (diff > tolerance)
    fail(`${what}: ${fmt(actual)}인데 ${fmt(expected)}에 가까워야 합니다. 차이 ${fmt(diff)} (허용 ${fmt(tolerance)}).`);
}

/** Fails unless actual ≥ min, saying how far below it is. */
export function expectAtLeast(what: string, actual: unknown, min: number, advice = ''): asserts actual is number {
  if (typeof actual !== 'number' || !Number.isFinite(actual)) fail(`${what}: 숫자가 아닙니다(${String(actual)}).`);
  if (actual < min)
    fail(`${what}: ${fmt(actual)}로 기준 ${fmt(min)}보다 ${fmt(min - actual)} 낮습니다.${advice ? ` ${advice}` : ''}`);
}

/** Fails unless the columns are exactly these, in this order: names the missing, extra and misplaced ones. */
export function expectColumns(actual: string[], expected: string[], what = '데이터프레임'): void {
  if (actual.length === expected.length && actual.every((c, i) => c === expected[i])) return;
  const missing = expected.filter((c) => !actual.includes(c));
  const extra = actual.filter((c) => !expected.includes(c));
  const problems: string[] = [];
  if (missing.length) problems.push(`빠진 열: ${missing.join(', ')}`);
  if (extra.length) problems.push(`없어야 할 열: ${extra.join(', ')}`);
  if (!missing.length && !extra.length) problems.push('열은 모두 있지만 순서가 다릅니다');
  fail(
    `${what}의 열이 기대와 다릅니다.\n- ${problems.join('\n- ')}\n기대: ${expected.join(', ')}\n지금: ${actual.join(', ')}`,
  );
}

/** Fails unless every row is one-hot (a single 1, the rest 0) with its 1 in the column of the row's label. */
export function expectOneHot(rows: number[][], labels: number[], what = '원-핫 열'): void {
  if (rows.length !== labels.length) fail(`${what}: 행이 ${rows.length}개인데 레이블은 ${labels.length}개입니다.`);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r].map(Number);
    const ones = row.filter((v) => v === 1).length;
    const others = row.filter((v) => v !== 0 && v !== 1).length;
    if (ones !== 1 || others !== 0)
      fail(`${what}: ${r}번째 행 [${row.join(', ')}]은 원-핫이 아닙니다(1이 정확히 하나, 나머지는 0이어야 합니다).`);
    if (row.indexOf(1) !== labels[r])
      fail(
        `${what}: ${r}번째 행의 1이 ${row.indexOf(1)}번째 열에 있는데, 레이블 ${labels[r]}에 맞는 ${labels[r]}번째 열이어야 합니다.`,
      );
  }
}

/** Fails unless the tensors have the same shape and agree within `tolerance` everywhere; names the worst element. */
export function expectTensorClose(what: string, actual: tf.Tensor, expected: tf.Tensor, tolerance = 1e-4): void {
  if (!(actual instanceof tf.Tensor)) fail(`${what}: 텐서가 아닙니다(${typeof actual}).`);
  if (actual.shape.join() !== expected.shape.join())
    fail(`${what}: 모양이 [${actual.shape}]인데 [${expected.shape}]이어야 합니다.`);
  const a = actual.dataSync();
  const e = expected.dataSync();
  let worst = 0;
  let at = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Number.isNaN(a[i]) ? Infinity : Math.abs(a[i] - e[i]);
    if (d > worst) [worst, at] = [d, i];
  }
  if (worst <= tolerance) return;
  const index: number[] = [];
  for (let rest = at, k = expected.shape.length - 1; k >= 0; k--) {
    index.unshift(rest % expected.shape[k]);
    rest = Math.floor(rest / expected.shape[k]);
  }
  fail(
    `${what}: 원소 [${index.join(', ')}]가 ${fmt(a[at])}인데 ${fmt(e[at])}이어야 합니다. 차이 ${fmt(worst)} (허용 ${fmt(tolerance)}).`,
  );
}

/** Fails unless the model was compiled with this loss (by name, e.g. 'sparseCategoricalCrossentropy'). */
export function expectLoss(model: tf.LayersModel, expected: string): void {
  const loss = (model as unknown as { loss?: unknown }).loss;
  if (loss === undefined)
    fail('모델이 아직 compile되지 않았습니다. model.compile({ optimizer, loss, metrics })를 호출하세요.');
  const name = typeof loss === 'function' ? loss.name : Array.isArray(loss) ? String(loss[0]) : String(loss);
  const norm = (s: string) => s.replace(/[_\s]/g, '').toLowerCase();
  if (norm(name) !== norm(expected)) fail(`손실 함수가 ${name}인데 ${expected}이어야 합니다.`);
}

/**
 * Fails unless the model's compiled accuracy metric, as `model.evaluate` reports it, equals the
 * true share of correct predictions: catches `categoricalAccuracy` on integer labels.
 */
export function expectAccuracyMetric(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): void {
  const result = model.evaluate(x, y);
  if (!Array.isArray(result) || result.length < 2) {
    fail("compile에 정확도 지표가 없습니다. metrics: ['accuracy']를 넣으세요.");
  }
  const reported = result[1].dataSync()[0];
  const truth = tf.tidy(() => {
    const labels = y.rank === 2 && y.shape[1]! > 1 ? y.argMax(-1) : y.reshape([-1]);
    const predicted = (model.predict(x) as tf.Tensor).argMax(-1);
    return predicted.equal(labels.cast(predicted.dtype)).mean().dataSync()[0];
  });
  tf.dispose(result);
  if (Math.abs(reported - truth) > 1e-3) {
    fail(
      `model.evaluate가 보고한 정확도는 ${fmt(reported)}인데, 실제로 맞힌 비율은 ${fmt(truth)}입니다(차이 ${fmt(Math.abs(reported - truth))}).\n` +
        "레이블 모양에 맞지 않는 정확도 지표를 쓴 것 같습니다. 정수 레이블에는 'accuracy'(또는 tf.metrics.sparseCategoricalAccuracy)를, " +
        "원-핫 레이블에는 'accuracy'(또는 'categoricalAccuracy')를 쓰세요.",
    );
  }
}

/** One `model.fit` seen by recordTraining: the weights it started from and how it trained. */
export interface TrainingRun {
  initialWeights: Float32Array[];
  epochs: number;
  batchSize: number;
  samples: number;
  /**
   * Whether fit reordered the samples each epoch: tf.util.shuffle draws once per sample from
   * Math.random, so it did if setSeed's generator gave at least that many numbers meanwhile.
   * Undefined when Math.random is not setSeed's generator.
   */
  shuffled: boolean | undefined;
}

let recording: TrainingRun[] | undefined;

/** A fit callback that tfjs creates for every fit (registerCallbackConstructor); it records only inside recordTraining. */
class TrainingRecorder extends tf.Callback {
  private run: TrainingRun | undefined;
  private drawsAtStart: number | undefined;
  private epochsRun = 0;

  override async onTrainBegin(): Promise<void> {
    if (!recording) return;
    const { epochs, batchSize, samples } = this.params as { epochs: number; batchSize: number; samples: number };
    this.run = {
      initialWeights: this.model.getWeights().map((w) => w.dataSync().slice() as Float32Array),
      epochs,
      batchSize,
      samples,
      shuffled: undefined,
    };
    this.drawsAtStart = seededDraws();
    recording.push(this.run);
  }

  override async onEpochEnd(): Promise<void> {
    this.epochsRun++;
  }

  override async onTrainEnd(): Promise<void> {
    const now = seededDraws();
    if (this.run && now !== undefined && this.drawsAtStart !== undefined)
      this.run.shuffled = now - this.drawsAtStart >= this.run.samples * Math.max(this.epochsRun, 1);
  }
}

let recorderRegistered = false;

/**
 * Runs `fn` and returns every `model.fit` made meanwhile: the model's weights just before training,
 * its epochs, batch size and sample count, and whether it shuffled. Lets a check ask "did both runs
 * start from the same weights, and what differed?" without changing the student's code or tfjs.
 */
export async function recordTraining(fn: () => unknown): Promise<TrainingRun[]> {
  if (recording) throw new Error('recordTraining: one recording at a time (calls cannot nest).');
  if (!recorderRegistered) {
    // Verbosity 0: tfjs creates callbacks registered at levels up to a fit's verbose, so every fit gets one.
    tf.registerCallbackConstructor(0, TrainingRecorder);
    recorderRegistered = true;
  }
  const runs: TrainingRun[] = [];
  recording = runs;
  try {
    await fn();
  } finally {
    recording = undefined;
  }
  return runs;
}

/** Fails unless two weight lists (as recordTraining gives them) are identical; names the first tensor that differs. */
export function expectSameWeights(what: string, a: Float32Array[], b: Float32Array[]): void {
  if (a.length !== b.length)
    fail(`${what}: 가중치 텐서 수가 다릅니다(${a.length}개와 ${b.length}개). 같은 모델 구조인지 확인하세요.`);
  for (let k = 0; k < a.length; k++) {
    if (a[k].length !== b[k].length)
      fail(`${what}: ${k + 1}번째 가중치 텐서의 크기가 다릅니다(${a[k].length}와 ${b[k].length}).`);
    let worst = 0;
    for (let i = 0; i < a[k].length; i++) worst = Math.max(worst, Math.abs(a[k][i] - b[k][i]));
    if (worst > 0)
      fail(
        `${what}: ${k + 1}번째 가중치 텐서가 최대 ${fmt(worst)}만큼 다릅니다. 두 실행이 같은 초기 가중치에서 출발하지 않았습니다.`,
      );
  }
}
