import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareRuns,
  flattenRecords,
  parityMarkdown,
  PARITY_NOTEBOOKS,
  spreadOf,
  verdict,
} from '../../lib/runner/parity';
import { notebookParameters } from '../../lib/runner/parameters';
import { readNotebook } from '../../lib/runner/notebook';
import { NOTEBOOKS_DIR } from '../../lib/runner/collection';
import { join } from 'node:path';

test('flattenRecords names every number: lists by index, objects by key, text left out', () => {
  const check = { id: 'x', max: 2, points: 2, passed: true, message: '' };
  assert.deepEqual(
    flattenRecords({ a: 1, b: [2, 3], c: { x: 4, y: [5] }, d: 'text', e: true, f: NaN, 'check:x': check }),
    {
      a: 1,
      'b[0]': 2,
      'b[1]': 3,
      'c.x': 4,
      'c.y[0]': 5,
      e: 1,
    },
  );
});

test('spreadOf: min, max, mean and the sample standard deviation', () => {
  const s = spreadOf([1, 2, 3, 4]);
  assert.equal(s.min, 1);
  assert.equal(s.max, 4);
  assert.equal(s.mean, 2.5);
  assert.ok(Math.abs(s.std - Math.sqrt(5 / 3)) < 1e-12);
  assert.equal(spreadOf([7]).std, 0);
  assert.throws(() => spreadOf([]), /at least one/);
});

test('compareRuns: inside the range, inside range ± 2 std, outside, and the slack for tiny test sets', () => {
  const keras = [0.9, 0.92, 0.94].map((acc) => ({ test_acc: acc, loss: [1, 0.5] }));
  const rows = (ours: number, slack = 0) =>
    compareRuns(keras, [{ test_acc: ours, loss: [1, 0.5] }], ['test_acc'], slack);
  const row = (ours: number, slack = 0) => rows(ours, slack).find((r) => r.name === 'test_acc')!;
  assert.equal(verdict(row(0.91)), '✔');
  assert.equal(verdict(row(0.95)), '≈'); // 2 std = 0.04
  assert.equal(verdict(row(0.99)), '✘');
  assert.equal(row(0.99).checked, true);
  assert.deepEqual(
    rows(0.91).map((r) => r.name),
    ['test_acc', 'loss[0]', 'loss[1]'],
  );
  const same = [{ acc: 0.9778 }, { acc: 0.9778 }];
  assert.equal(compareRuns(same, [{ acc: 1 }], ['acc'])[0].withinWide, false);
  assert.equal(compareRuns(same, [{ acc: 1 }], ['acc'], 1 / 45)[0].withinWide, true);
  assert.match(
    parityMarkdown([
      {
        id: 3,
        notebook: 'n',
        settings: {},
        kerasSeeds: [1],
        ourSeeds: [1],
        kerasVersions: {},
        kerasSeconds: 0,
        ourSeconds: 0,
        ourFailures: [],
        rows: rows(0.91),
      },
    ]),
    /\| 3 \| test_acc \| 0\.9000 – 0\.9400/,
  );
});

test('every parity setting names a parameter its notebook has', () => {
  for (const entry of PARITY_NOTEBOOKS) {
    const names = notebookParameters(readNotebook(join(NOTEBOOKS_DIR, entry.notebook))).map((p) => p.name);
    assert.ok(names.includes('seed'), `${entry.notebook} has a seed parameter`);
    for (const settings of Object.values(entry.settings)) {
      for (const name of Object.keys(settings))
        assert.ok(names.includes(name), `${entry.notebook} has no parameter ${name}`);
    }
  }
});
