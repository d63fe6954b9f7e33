import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runNotebook } from '../lib/runner/execute';
import { exportHandouts } from '../lib/runner/export';
import { inspectPage } from './helpers/browser';

const root = resolve(__dirname, '..', '..');

test('a handout opened offline from file:// draws every chart, shows Korean text and has no script errors', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-handout-'));
  const run = await runNotebook({ input: join(root, 'tests', 'fixtures', 'charts.ipynb'), output: join(dir, 'charts.ipynb'), onLog: () => {} });
  assert.equal(run.exitCode, 0);
  const [handout] = await exportHandouts(dir, join(dir, 'handouts'));
  const html = readFileSync(handout.html, 'utf8');
  assert.doesNotMatch(html, /<script[^>]+src="https?:/, 'no script is loaded from a CDN');
  assert.equal(html.match(/\* plotly\.js \(basic - minified\)/g)?.length, 1, 'plotly.js is embedded once, not per chart');
  assert.ok(statSync(handout.html).size < 3_000_000, 'handout stays small');
  const report = await inspectPage(handout.html, join(root, 'out', 'screenshots', 'handout-charts.png'));
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.blockedRequests, [], 'the page asked for nothing over the network');
  assert.equal(report.charts.length, 4);
  for (const chart of report.charts) {
    assert.ok(chart.svg && chart.traces > 0 && chart.points > 0, `chart ${chart.id} drew its data: ${JSON.stringify(chart)}`);
  }
  assert.equal(report.charts[0].traces, 4, 'loss and accuracy, train and validation');
  assert.match(html, /한글 문단이 제대로 보이는지/);
  const index = await inspectPage(join(dir, 'handouts', 'index.html'));
  assert.deepEqual(index.errors, []);
  assert.match(readFileSync(join(dir, 'handouts', 'index.html'), 'utf8'), /차트 확인용 노트북/);
});
