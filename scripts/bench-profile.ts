/**
 * Where a training step's time goes on one backend: tf.profile around trainOnBatch for each model
 * family, summed per kernel, so kernel work (issue #4) follows measurements.
 * Run: `node dist/scripts/bench-profile.js [--backend wasm] [--families lenet,vgg] [--top 12] [--repeats 5]`
 */
import * as tf from '@tensorflow/tfjs';
import { performance } from 'node:perf_hooks';
import { compileClassifier, irisMlp, lenet, smallCifarCnn, vggCnn } from './reference-models';
import { describeBackend, initBackend } from '../lib/backend/select';

const FAMILIES: Record<string, { batch: number; shape: number[]; classes: number; build: () => tf.LayersModel }> = {
  lenet: { batch: 32, shape: [32, 32, 1], classes: 10, build: () => lenet(true) },
  lenet_s5: { batch: 32, shape: [32, 32, 1], classes: 10, build: () => lenet(true, { kernelSize: 1, strides: 5 }) },
  small_cnn: { batch: 256, shape: [32, 32, 3], classes: 10, build: () => smallCifarCnn() },
  vgg: { batch: 32, shape: [32, 32, 3], classes: 10, build: () => vggCnn() },
  iris: { batch: 32, shape: [4], classes: 3, build: () => irisMlp(true) },
};

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const get = (flag: string, dflt: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : dflt);
  console.log(describeBackend(await initBackend(get('--backend', 'wasm'))));
  const top = Number(get('--top', '12'));
  const repeats = Number(get('--repeats', '5'));
  for (const name of get('--families', Object.keys(FAMILIES).join(',')).split(',')) {
    const f = FAMILIES[name];
    const model = f.build();
    compileClassifier(model, 'sparse');
    const x = tf.randomNormal([f.batch, ...f.shape], 0, 1, 'float32', 1);
    const y = tf.randomUniform([f.batch], 0, f.classes, 'int32', 2).cast('float32');
    await model.trainOnBatch(x, y);
    await model.trainOnBatch(x, y);
    // Several profiled steps, keeping each kernel call's fastest time: on a shared machine a single
    // step's times are dominated by whichever kernel another process preempted.
    let wall = Infinity;
    let info: Awaited<ReturnType<typeof tf.profile>> | undefined;
    const fastest: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const run = await tf.profile(async () => {
        await model.trainOnBatch(x, y);
      });
      wall = Math.min(wall, performance.now() - t0);
      run.kernels.forEach((k, i) => (fastest[i] = Math.min(fastest[i] ?? Infinity, Number(k.kernelTimeMs))));
      info = run;
    }
    // Per kernel name and input shape, so e.g. each conv layer's backprop shows separately. Kernels
    // that wrap others (fusedConv2d__op around FusedConv2D) count both, so the total double-counts them.
    const byKernel = new Map<string, { ms: number; calls: number }>();
    let kernelTotal = 0;
    info!.kernels.forEach((k, i) => {
      const ms = fastest[i];
      kernelTotal += ms;
      const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
      const e = byKernel.get(key) ?? { ms: 0, calls: 0 };
      e.ms += ms;
      e.calls++;
      byKernel.set(key, e);
    });
    const byName = new Map<string, number>();
    info!.kernels.forEach((k, i) => byName.set(k.name, (byName.get(k.name) ?? 0) + fastest[i]));
    console.log(
      `\n${name} (batch ${f.batch}): fastest step ${wall.toFixed(0)} ms under the profiler, kernels ${kernelTotal.toFixed(0)} ms ` +
        `(each call's fastest of ${repeats}), ${info!.kernels.length} kernel calls`,
    );
    console.log(
      '  by kernel: ' +
        [...byName]
          .sort((a, b) => b[1] - a[1])
          .slice(0, top)
          .map(([n, ms]) => `${n} ${ms.toFixed(1)}`)
          .join(', '),
    );
    for (const [key, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
      console.log(`  ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(3)}x  ${key}`);
    }
    tf.dispose([x, y]);
    model.optimizer.dispose();
    model.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
