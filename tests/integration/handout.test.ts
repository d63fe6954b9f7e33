import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import { runNotebook } from '../../lib/runner/execute';
import { exportHandouts, keepFirstPlotlyLoader } from '../../lib/runner/export';
import { figureHtml } from '../../lib/plots/plotly';
import { inspectPage } from '../helpers/browser';

const root = projectPath();

test('a handout opened offline from file:// draws every chart, shows Korean text and has no script errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-handout-'));
  const run = await runNotebook({
    input: join(root, 'tests', 'fixtures', 'charts.ipynb'),
    output: join(dir, 'charts.ipynb'),
    onLog: () => {},
  });
  assert.equal(run.exitCode, 0);
  const [handout] = await exportHandouts(dir, join(dir, 'handouts'));
  const html = readFileSync(handout.html, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src="https?:/, 'no script is loaded from a CDN');
  assert.equal(
    html.match(/\* plotly\.js \(basic - minified\)/g)?.length,
    1,
    'plotly.js is embedded once, not per chart',
  );
  assert.ok(statSync(handout.html).size < 3_000_000, 'handout stays small');
  const report = await inspectPage(handout.html, join(root, 'out', 'screenshots', 'handout-charts.png'));
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.blockedRequests, [], 'the page asked for nothing over the network');
  assert.equal(report.charts.length, 4);
  for (const chart of report.charts) {
    assert.ok(
      chart.svg && chart.traces > 0 && chart.points > 0,
      `chart ${chart.id} drew its data: ${JSON.stringify(chart)}`,
    );
  }
  assert.equal(report.charts[0].traces, 4, 'loss and accuracy, train and validation');
  assert.deepEqual(report.pictures, [], 'plotly replaced every static picture');

  // Where no script runs (an untrusted notebook in JupyterLab, GitHub), each chart still shows its picture.
  const still = await inspectPage(handout.html, join(root, 'out', 'screenshots', 'handout-no-javascript.png'), {
    javaScript: false,
  });
  assert.equal(still.pictures.length, 4);
  for (const p of still.pictures)
    assert.ok(p.width === 800 && p.height >= 300, `picture decoded: ${JSON.stringify(p)}`);
  assert.deepEqual(still.blockedRequests, []);

  // The executed notebook: every chart is one output with the plotly JSON, HTML, PNG and title.
  const nb = JSON.parse(readFileSync(join(dir, 'charts.ipynb'), 'utf8')) as {
    cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[];
  };
  const chartOutputs = nb.cells
    .flatMap((c) => c.outputs ?? [])
    .filter((o) => o.data?.['application/vnd.plotly.v1+json']);
  assert.equal(chartOutputs.length, 4);
  for (const o of chartOutputs) {
    assert.equal(o.output_type, 'display_data');
    assert.deepEqual(Object.keys(o.data!).sort(), [
      'application/vnd.plotly.v1+json',
      'image/png',
      'text/html',
      'text/plain',
    ]);
  }
  assert.match(html, /한글 문단이 제대로 보이는지/);
  const index = await inspectPage(join(dir, 'handouts', 'index.html'));
  assert.deepEqual(index.errors, []);
  assert.match(readFileSync(join(dir, 'handouts', 'index.html'), 'utf8'), /차트 확인용 노트북/);
});

test('live training curves in a real kernel end as one full chart output that the handout draws', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-live-'));
  const cell = (source: string) => ({ cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source });
  const notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'tslab', display_name: 'TypeScript', language: 'typescript' } },
    cells: [
      { cell_type: 'markdown', metadata: {}, source: '# 실시간 학습 곡선' },
      cell(
        "import * as tf from '@tensorflow/tfjs';\nimport { liveCurves } from 'bn-lab';\n" +
          "const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' })] });\n" +
          "model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });\n" +
          "const x = tf.randomNormal([96, 4], 0, 1, 'float32', 1);\nconst y = tf.tensor1d(Array.from({ length: 96 }, (_, i) => i % 3));\n" +
          "const history = await model.fit(x, y, { epochs: 4, batchSize: 8, validationSplit: 0.25, verbose: 0, callbacks: [liveCurves({ title: '학습 곡선', minIntervalMs: 50 })] });",
      ),
    ],
  };
  const input = join(dir, 'live-input.ipynb');
  writeFileSync(input, JSON.stringify(notebook));
  const run = await runNotebook({
    input,
    output: join(dir, 'out', 'live.ipynb'),
    cwd: join(root, 'tests', 'fixtures'),
    onLog: () => {},
  });
  assert.equal(run.exitCode, 0, run.output);
  const saved = JSON.parse(readFileSync(join(dir, 'out', 'live.ipynb'), 'utf8')) as {
    cells: { outputs?: { output_type: string; data?: Record<string, unknown> }[] }[];
  };
  const outputs = (saved.cells[1].outputs ?? []).filter((o) => o.output_type !== 'stream'); // tfjs prints a banner
  assert.equal(outputs.length, 1, `one output, updated in place: ${JSON.stringify(outputs.map((o) => o.output_type))}`);
  assert.deepEqual(Object.keys(outputs[0].data!).sort(), [
    'application/vnd.plotly.v1+json',
    'image/png',
    'text/html',
    'text/plain',
  ]);
  const fig = outputs[0].data!['application/vnd.plotly.v1+json'] as { data: { name: string; x: number[] }[] };
  assert.deepEqual(
    fig.data.map((t) => t.name),
    ['train', 'validation', 'train', 'validation'],
  );
  assert.deepEqual(fig.data[1].x, [1, 2, 3, 4]);
  const [handout] = await exportHandouts(join(dir, 'out'), join(dir, 'handouts'));
  const report = await inspectPage(handout.html, join(root, 'out', 'screenshots', 'handout-live-curves.png'));
  assert.deepEqual(report.errors, []);
  assert.equal(report.charts.length, 1);
  assert.equal(report.charts[0].traces, 4);
});

test('a handout keeps one copy of plotly.js when the notebook carried one per browser page', () => {
  const chart = (title: string) =>
    figureHtml({ data: [{ type: 'bar', x: ['a'], y: [1] }], layout: { title: { text: title } } }, 300, {
      includeLibrary: true,
    });
  const page = `<html><body>${chart('first page')}<p>text</p>${chart('after a reload')}</body></html>`;
  assert.equal(page.match(/\* plotly\.js \(basic - minified\)/g)?.length, 2);
  const kept = keepFirstPlotlyLoader(page);
  assert.equal(kept.match(/\* plotly\.js \(basic - minified\)/g)?.length, 1);
  assert.equal(kept.match(/class="bn-lab-chart"/g)?.length, 2, 'both charts stay');
  assert.ok(kept.indexOf('plotly.js (basic') < kept.indexOf('class="bn-lab-chart"'), 'the library comes first');
  assert.match(kept, /<p>text<\/p>/);
  assert.equal(keepFirstPlotlyLoader('<p>no charts</p>'), '<p>no charts</p>');
});
