import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCollection } from '../../lib/runner/collection';

// `npm start`'s quick profile must teach what the full run teaches. This runs the whole profile
// (minutes) on the real datasets and checks the direction of each lesson in the recorded values,
// where that direction is robust to the seed; accuracies within a few test images of each other
// (iris's 45 rows, notebook 7's small-batch renorm gain) are left to the notebooks' own readouts.
// BN_LAB_QUICK_RESULTS=out/results.json checks the values an `npm start` just wrote instead.
const saved = process.env.BN_LAB_QUICK_RESULTS;
const datasets = saved || (process.env.BN_LAB_MNIST_DIR && process.env.BN_LAB_CIFAR10_DIR);

/** Each notebook's exit code and recorded values, by its number ('01' …), from a run or a results file. */
async function quickRuns(): Promise<Record<string, { exitCode: number; records: Record<string, unknown> }>> {
  if (saved) {
    const byNotebook = JSON.parse(readFileSync(saved, 'utf8')) as Record<string, { exitCode: number; records: object }>;
    return Object.fromEntries(Object.entries(byNotebook).map(([name, r]) => [name.slice(0, 2), r])) as never;
  }
  const rows = await runCollection('quick', mkdtempSync(join(tmpdir(), 'bn-lab-quick-')));
  return Object.fromEntries(rows.map((r) => [r.notebook.slice(0, 2), r.result]));
}

type Row = Record<string, number>;

test(
  'quick profile: every notebook shows its lesson',
  { skip: !datasets && 'needs BN_LAB_MNIST_DIR and BN_LAB_CIFAR10_DIR (the full MNIST, CIFAR-10 files)' },
  async () => {
    const runs = await quickRuns();
    assert.deepEqual(Object.keys(runs).sort(), ['01', '02', '03', '04', '05', '06', '07']);
    for (const [n, r] of Object.entries(runs)) assert.equal(r.exitCode, 0, `notebook ${n} failed`);
    const records = Object.fromEntries(Object.entries(runs).map(([n, r]) => [n, r.records]));

    const n1 = records['01'] as Row;
    assert.ok(n1.test_acc_bn > n1.test_acc_plain, `01: BN ${n1.test_acc_bn} above plain ${n1.test_acc_plain}`);
    assert.ok(n1.test_loss_bn < n1.test_loss_plain, `01: BN loss ${n1.test_loss_bn} below ${n1.test_loss_plain}`);

    const n2 = records['02'] as Row;
    assert.ok(n2.test_acc > 0.3, `02: the BN CNN learns well past chance (0.1): ${n2.test_acc}`);

    const n3 = records['03'] as Row;
    assert.ok(
      n3.test_acc_plain >= 0.85 && n3.test_acc_bn >= 0.85,
      `03: both deep MLPs learn iris: ${JSON.stringify(n3)}`,
    );

    const n4 = records['04'] as Row;
    assert.ok(n4.test_acc > 0.3, `04: the VGG learns past chance: ${n4.test_acc}`);
    assert.ok(n4.train_val_acc_gap > 0.1, `04: training accuracy runs ahead of validation: ${n4.train_val_acc_gap}`);

    const n5 = records['05'].test_acc_runs as Row;
    assert.ok(n5.shuffle > 0.5, `05: the shuffled run learns: ${n5.shuffle}`);
    assert.ok(
      n5.sorted_no_shuffle < n5.shuffle - 0.3,
      `05: the label-sorted run falls far below: ${JSON.stringify(n5)}`,
    );

    const drift = records['06'].drift_layers as Row[];
    for (const l of drift) assert.ok(l.bnShift < l.plainShift, `06 layer ${l.layer}: BN's inputs drift less`);
    const driftLoss = records['06'].drift_final_loss as Row;
    assert.ok(driftLoss.bn < driftLoss.plain, `06: BN trains faster: ${JSON.stringify(driftLoss)}`);
    const smooth = records['06'].smoothness as Record<string, Row>;
    assert.ok(smooth.lossRange.bn < smooth.lossRange.plain, `06: BN's loss changes less along the gradient`);
    assert.ok(smooth.gradChange.bn < smooth.gradChange.plain, `06: BN's gradient changes less along the gradient`);
    const sweep = records['06'].lr_sweep as Row[];
    const best = (arm: 'plain' | 'bn') => Math.max(...sweep.map((s) => s[arm]));
    assert.ok(best('bn') > best('plain'), `06: BN's best learning rate beats plain's best`);
    const usable = (arm: 'plain' | 'bn') =>
      sweep.filter((s) => s[arm] >= 0.9 * Math.max(best('bn'), best('plain'))).length;
    assert.ok(usable('bn') > usable('plain'), `06: BN trains well at more learning rates: ${JSON.stringify(sweep)}`);

    const n7 = records['07'];
    const modes = n7.modes_rows as Row[];
    assert.ok(
      Math.abs(modes[0].mixedAcc - 0.1) < 0.1,
      `07: a batch of one in training mode is chance: ${modes[0].mixedAcc}`,
    );
    const last = modes.at(-1)!;
    assert.ok(last.oneClassAcc < last.mixedAcc, `07: one-class batches score below mixed ones in training mode`);
    assert.ok((n7.modes_inference_acc as number) > 0.8, `07: inference mode does not depend on the batch`);
    const gaps = n7.momentum_final_gap as number[];
    assert.ok(gaps[0] < gaps[gaps.length - 1], `07: a smaller momentum tracks the data faster: ${gaps}`);
    const variants = Object.fromEntries((n7.dropout_vs_bn as (Row & { variant: string })[]).map((v) => [v.variant, v]));
    assert.ok(variants['드롭아웃'].gap < variants['둘 다 없음'].gap, `07: dropout narrows the train-validation gap`);
  },
);
