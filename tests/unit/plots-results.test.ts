import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexHtml } from '../../lib/runner/export';
import { record } from '../../lib/notebook/record';
import { recordHtml, summarizeRecordValue, summaryJson, summaryText, SummaryRow } from '../../lib/runner/records';

// Shaped like what notebook 2 records (lists of rows, nested objects, long per-step lists).
const records = {
  test_loss: 1.2345678,
  test_acc: 0.5631,
  drift_layers: [1, 2, 3].map((layer) => ({
    layer,
    plainMeanShift: 0.123456 * layer,
    bnMeanShift: 0.0123 * layer,
    plainStdRatio: 1.5,
    bnStdRatio: 1.02,
  })),
  smoothness: {
    lossRange: { plain: 0.8123, bn: 0.2412 },
    gradChange: { plain: 3.123, bn: 0.512 },
    beta: { plain: 12.5, bn: 2.25 },
  },
  loss_shuffle: Array.from({ length: 120 }, (_, i) => 2 / (i + 1)),
  renorm_batch_sizes: [2, 4, 8, 16],
  predicted_class: 2,
};
const rows: SummaryRow[] = [
  {
    notebook: '02_why_bn_small_cifar_cnn.ipynb',
    ok: true,
    exitCode: 0,
    seconds: 412.3,
    parameters: { trainCount: 4000, testCount: 1000, epochs: 6, batchSize: 32 },
    records,
  },
  { notebook: '03_iris_deep_mlp.ipynb', ok: false, exitCode: 1, seconds: 3, parameters: {}, records: {} },
];

test('the run summary fits an 80-column terminal and summarises long values', () => {
  for (const width of [80, 100]) {
    const text = summaryText(rows, width);
    for (const line of text.split('\n'))
      assert.ok(line.length <= width, `line fits ${width} columns: "${line}" (${line.length})`);
    assert.match(text, /02_why_bn_small_cifar_cnn\s+ok\s+412 s\s+trainCount=4000/);
    assert.match(text, /03_iris_deep_mlp\s+FAILED \(exit 1\)/);
    assert.match(text, /test_loss=1\.235/);
    assert.match(text, /drift_layers=3 rows \(layer, plainMeanShift/);
    assert.match(text, /loss_shuffle=120 values: 2 … 0\.01667/);
    assert.match(text, /renorm_batch_sizes=\[2, 4, 8, 16\]/);
  }
  assert.equal(summarizeRecordValue('x'.repeat(100), 20).length, 20);
  const full = JSON.parse(summaryJson(rows));
  assert.deepEqual(full['02_why_bn_small_cifar_cnn.ipynb'].records, records, 'the JSON file keeps every value whole');
});

test('record() takes one name and value, or several as an object, one scrap per name', () => {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    record({ testLoss: 0.25, testAcc: 0.9, layers: [1, 2] });
    record('seed', 1);
  } finally {
    console.log = log;
  }
  assert.deepEqual(lines, ['testLoss = 0.25', 'testAcc = 0.9', 'layers = [1,2]', 'seed = 1']);
});

test('the handout index shows recorded results as small tables, not raw JSON', () => {
  const html = indexHtml([
    {
      notebook: 'out/02.ipynb',
      html: 'out/handouts/02.html',
      title: '2. 왜 BN인가',
      ok: true,
      seconds: 412,
      parameters: rows[0].parameters,
      records,
    },
  ]);
  assert.doesNotMatch(html, /\{"/, 'no JSON objects printed');
  assert.doesNotMatch(html, /\[\{/, 'no JSON lists printed');
  const drift = recordHtml(records.drift_layers);
  assert.match(drift, /^<table class="record"><thead><tr><th>layer<\/th><th>plainMeanShift<\/th>/);
  assert.equal(drift.match(/<tr>/g)?.length, 4, 'a header and one row per layer');
  assert.match(
    recordHtml(records.smoothness),
    /<tr><th>lossRange<\/th><td><table class="record"><tr><th>plain<\/th><td>0\.8123<\/td>/,
  );
  assert.match(recordHtml(records.loss_shuffle), /^<details><summary>120 values/);
  assert.equal(recordHtml(records.renorm_batch_sizes), '2, 4, 8, 16');
  assert.ok(html.includes(drift));
});

test("a check cell's recorded outcome shows as its score in the summary and the index", () => {
  const passed = { id: 'a', passed: true, points: 3, max: 3, message: '' };
  const failed = { id: 'b', passed: false, points: 0, max: 2, message: 'BN 층이 빠졌습니다.\n자세히: …' };
  assert.equal(summarizeRecordValue(passed), '✔ 3/3');
  assert.equal(summarizeRecordValue(failed, 80), '✘ 0/2: BN 층이 빠졌습니다.');
  assert.equal(recordHtml(failed), '✘ 0/2: BN 층이 빠졌습니다.');
  assert.match(recordHtml({ passed: 'yes', points: 1 }), /<table/, 'other objects stay tables');
});
