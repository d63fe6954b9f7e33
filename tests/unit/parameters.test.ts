import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { projectPath } from '../../lib/project';
import { readNotebook } from '../../lib/runner/notebook';
import {
  inRange,
  injectParameters,
  notebookParameters,
  parseParameterCell,
  parseRange,
  validateParameters,
} from '../../lib/runner/parameters';

test('parseRange reads integer bounds, open and closed bounds, and a closed interval', () => {
  const epochs = parseRange(' integer >= 1');
  assert.equal(epochs.text, 'integer >= 1');
  assert.deepEqual(
    [1, 30].map((v) => inRange(v, epochs)),
    [true, true],
  );
  assert.deepEqual(
    [0, -5, 1.5].map((v) => inRange(v, epochs)),
    [false, false, false],
  );
  const share = parseRange('> 0, < 1');
  assert.deepEqual(
    [0, 0.3, 1].map((v) => inRange(v, share)),
    [false, true, false],
  );
  const rate = parseRange('0..1');
  assert.deepEqual(
    [0, 1, 1.01, -0.1].map((v) => inRange(v, rate)),
    [true, true, false, false],
  );
  assert.ok(inRange(1e-4, parseRange('> 0')));
  assert.throws(() => parseRange('positive'), /"range: positive" is not a range bn-lab reads: write e\.g\./);
});

test('a parameters cell declares ranges at the end of a comment; the help text stays apart', () => {
  const [a, b, c] = parseParameterCell(
    [
      'const epochs = 1; // range: integer >= 1',
      'const testSize = 0.3; // share of rows for the test; range: > 0, < 1',
      "const backend = 'auto'; // 'auto' | 'wasm'",
    ].join('\n'),
  );
  assert.equal(a.help, undefined);
  assert.equal(a.range?.text, 'integer >= 1');
  assert.equal(b.help, 'share of rows for the test');
  assert.equal(b.range?.text, '> 0, < 1');
  assert.equal(c.range, undefined);
  assert.throws(() => parseParameterCell('const n = 1; // range: lots'), /Parameter "n": "range: lots"/);
});

test('a value outside its range is refused naming the parameter, its value and the valid range', () => {
  const specs = parseParameterCell(
    'const epochs = 1; // range: integer >= 1\nconst sizes = [2, 8]; // range: integer >= 1\nconst rate = 0.3; // range: >= 0, < 1',
  );
  assert.throws(
    () => validateParameters(specs, { epochs: -5 }),
    /Parameter "epochs" is -5, outside its valid range: integer >= 1 \(default 1\)/,
  );
  assert.throws(() => validateParameters(specs, { epochs: 2.5 }), /"epochs" is 2\.5/);
  assert.throws(() => validateParameters(specs, { sizes: [4, 0] }), /"sizes" contains 0, outside its valid range/);
  assert.throws(() => validateParameters(specs, { rate: 1 }), /"rate" is 1, outside its valid range: >= 0, < 1/);
  assert.doesNotThrow(() => validateParameters(specs, { epochs: 3, sizes: [1, 64], rate: 0 }));
});

const notebooks = readdirSync(projectPath('notebooks')).filter((f) => f.endsWith('.ipynb'));

test('every notebook: counts, epochs, steps, batch sizes, shares and rates declare a range their defaults meet', () => {
  assert.equal(notebooks.length, 7);
  const needsRange =
    /Count$|Epochs$|^epochs$|Steps$|Every$|[bB]atchSizes?$|Size$|Split$|[lL]earningRates?$|Samples$|Rate$/;
  for (const name of notebooks) {
    for (const spec of notebookParameters(readNotebook(projectPath('notebooks', name)), name)) {
      if (needsRange.test(spec.name)) assert.ok(spec.range, `${name}: ${spec.name} declares no range`);
      if (!spec.range) continue;
      for (const v of [spec.default].flat()) {
        assert.ok(typeof v === 'number' && inRange(v, spec.range), `${name}: ${spec.name} default ${v}`);
      }
    }
  }
});

test('notebook 1 with -p epochs -5 is refused before any cell runs', () => {
  const nb = readNotebook(projectPath('notebooks', '01_lenet_mnist_bn.ipynb'));
  assert.throws(
    () => injectParameters(nb, { epochs: -5 }, '01_lenet_mnist_bn.ipynb'),
    /Parameter "epochs" is -5, outside its valid range: integer >= 1/,
  );
  assert.throws(() => injectParameters(nb, { batchSize: 0 }), /"batchSize" is 0/);
});
