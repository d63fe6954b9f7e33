import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { comparisonFigure, historyFigure, metricFigure, probabilityFigure } from '../../lib/plots/charts';
import { CurveRecorder, liveCurves, RedrawThrottle } from '../../lib/plots/live';
import { Figure } from '../../lib/plots/figure';
import { figureBundle, plotlyBundle, PLOTLY_MIME, showFigure, STATIC_WIDTH } from '../../lib/plots/plotly';
import { figureSvg } from '../../lib/plots/static';
import { svgToPngSync } from '../../lib/plots/raster';
import { loadImageTensor } from '../../lib/data/image';
import { showImage } from '../../lib/notebook/image';
import { imageFigureHtml } from '../../lib/notebook/display';
import { traceFigure } from '../../lib/experiments/figures';

/** Static pictures are saved here for people to look at (like the browser tests' screenshots). */
const screenshots = projectPath('out', 'screenshots');

const epoch = Array.from({ length: 12 }, (_, i) => i);
const curve = (a: number, b: number) => epoch.map((e) => a + b / (e + 1));
const history = {
  epoch,
  seconds: 1,
  history: { loss: curve(0.1, 1), acc: curve(0.9, -0.5), val_loss: curve(0.3, 1), val_acc: curve(0.8, -0.4) },
};

/** Stands in for a tslab kernel: captures what would be sent to Jupyter, with a front-end session id. */
interface Sent {
  content: { data: Record<string, unknown>; transient: { display_id?: string } };
  update: boolean;
}
function fakeKernel(session: string): { sent: Sent[]; restore: () => void } {
  const jupyter = require('tslab/dist/jupyter');
  const before = jupyter.lastWriteDisplayData;
  const sent: Sent[] = [];
  const write = Object.assign((content: Sent['content'], update: boolean) => sent.push({ content, update }), {
    session,
  });
  jupyter.lastWriteDisplayData = write;
  return { sent, restore: () => (jupyter.lastWriteDisplayData = before) };
}

/** The SVG's path elements that draw data (not the legend's icons). */
function plotPaths(svg: string): string[] {
  return (svg.match(/<(?:path|polygon) [^>]*>/g) ?? []).filter((p) => !/ecmeta_ssr_type="legend"/.test(p));
}

/** Fraction of pixels that are not (near) white. */
async function inkFraction(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (let i = 0; i < data.length; i += info.channels)
    if (data[i] < 200 || data[i + 1] < 200 || data[i + 2] < 200) ink++;
  return ink / (info.width * info.height);
}

/** Pixels of roughly this colour (e.g. a trace's line colour). */
async function pixelsNear(png: Buffer, [r, g, b]: [number, number, number]): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels)
    if (Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b) < 60) n++;
  return n;
}

test('a chart is one output carrying plotly JSON, HTML with a static picture, a PNG and its title', async () => {
  const figure = historyFigure({ run: history }, '학습 곡선');
  const bundle = figureBundle(figure, 400);
  assert.deepEqual(Object.keys(bundle).sort(), [PLOTLY_MIME, 'image/png', 'text/html', 'text/plain'].sort());
  assert.equal(bundle['text/plain'], '학습 곡선');

  const plotly = JSON.parse(JSON.stringify(bundle[PLOTLY_MIME])) as Figure;
  assert.equal(plotly.data.length, 4, 'train and validation, loss and accuracy');
  assert.deepEqual(plotly.data[0].y, history.history.loss);
  assert.equal(plotly.layout!.height, 400);

  const png = Buffer.from(bundle['image/png'] as string, 'base64');
  mkdirSync(screenshots, { recursive: true });
  writeFileSync(join(screenshots, 'static-history.png'), png);
  const meta = await sharp(png).metadata();
  assert.equal(meta.format, 'png');
  assert.equal(meta.width, STATIC_WIDTH);
  assert.equal(meta.height, 400);
  const ink = await inkFraction(png);
  assert.ok(ink > 0.01 && ink < 0.5, `the picture has drawing on a white background (ink ${ink})`);
  assert.ok((await pixelsNear(png, [0x1f, 0x77, 0xb4])) > 300, 'the blue training curve is drawn');

  const html = bundle['text/html'] as string;
  const img = html.match(/<img class="bn-lab-chart-static" src="data:image\/png;base64,([^"]+)"/);
  assert.ok(img, 'the HTML holds the static picture');
  assert.equal(img[1], bundle['image/png']);
  assert.match(html, /window\.Plotly\.newPlot/);
  assert.doesNotMatch(html, /plotly\.js \(basic/, 'the library is not embedded unless asked for');
});

test('the static SVG shows the traces, title, axis titles, panel titles and legend of the figure', () => {
  const svg = figureSvg(historyFigure({ BN: history, 'no BN': history }, '학습 곡선'), { width: 800, height: 420 });
  for (const text of [
    '학습 곡선',
    'epoch',
    'loss',
    'accuracy',
    'BN train',
    'BN validation',
    'no BN train',
    'no BN validation',
  ]) {
    assert.ok(svg.includes(`>${text}<`), `SVG has the text "${text}"`);
  }
  // 8 traces (2 runs × train/validation × 2 panels) are 8 lines of 12 points; the validation ones dashed.
  const lines = plotPaths(svg).filter(
    (p) => /fill="none"/.test(p) && /stroke-width="2"/.test(p) && (p.match(/L/g) ?? []).length === 11,
  );
  assert.equal(lines.length, 8);
  assert.equal(lines.filter((p) => /stroke-dasharray/.test(p)).length, 4, 'validation curves are dashed');

  const bars = figureSvg(comparisonFigure({ 'BN 없음': { test_acc: 0.95 }, 'BN 있음': { test_acc: 0.98 } }, '비교'), {
    width: 600,
    height: 360,
  });
  for (const text of ['비교', 'BN 없음', 'BN 있음', '0.9500', '0.9800'])
    assert.ok(bars.includes(`>${text}<`), `bar SVG has "${text}"`);
});

test('every figure builder renders a static picture, subplot grids and bands included', async () => {
  const steps = [0, 10, 20, 30];
  const band = (o: number) => ({
    p15: steps.map((s) => o - 1 + s / 50),
    p50: steps.map((s) => o + s / 40),
    p85: steps.map((s) => o + 1 + s / 30),
  });
  const trace = (label: string, o: number) => {
    const [l1, l2] = [band(0), band(o)];
    const series = { p15_1: l1.p15, p50_1: l1.p50, p85_1: l1.p85, p15_2: l2.p15, p50_2: l2.p50, p85_2: l2.p85 };
    return { label, steps, series, loss: [], seconds: 0 };
  };
  const drift = traceFigure(
    [trace('without BN', 3), trace('with BN', 0.2)],
    [1, 2].map((l) => ({ title: `layer ${l}`, line: `p50_${l}`, band: [`p15_${l}`, `p85_${l}`] as [string, string] })),
    'drift',
  );
  mkdirSync(screenshots, { recursive: true });
  const figures: Figure[] = [
    drift,
    probabilityFigure([0.1, 0.7, 0.2], undefined, 'p'),
    metricFigure({ shuffle: curve(0.2, 1), 'no shuffle': curve(0.25, 1) }, 'loss', '손실'),
  ];
  const svg = figureSvg(drift, { width: 800, height: 600 });
  assert.equal((svg.match(/>step</g) ?? []).length, 2, 'x titles on the bottom row only');
  for (const t of ['without BN', 'with BN', 'layer 1', 'layer 2']) assert.ok(svg.includes(`>${t}<`), t);
  const bands = plotPaths(svg).filter((p) => /fill-opacity="0\.25"/.test(p));
  assert.equal(bands.length, 4, 'a shaded band per run and panel');
  for (const [i, f] of figures.entries()) {
    const png = Buffer.from(figureBundle(f)['image/png'] as string, 'base64');
    writeFileSync(join(screenshots, `static-${['drift', 'probabilities', 'metric'][i]}.png`), png);
    assert.ok((await inkFraction(png)) > 0.005, `${JSON.stringify(f.layout?.title)} has a picture`);
  }
  // plotly.js-basic-dist-min registers scatter, bar and pie: every trace these charts use.
  const registered = new Set([...plotlyBundle().matchAll(/moduleType:"trace",name:"(\w+)"/g)].map((m) => m[1]));
  for (const f of [...figures, historyFigure({ run: history }), comparisonFigure({ a: { x: 1 } })]) {
    for (const t of f.data) assert.ok(registered.has(String(t.type)), `trace type ${t.type} is in the basic bundle`);
  }
});

test('showFigure sends one multi-MIME output and plotly.js once per browser page (again after a reload)', () => {
  const kernel = fakeKernel('page-1');
  try {
    showFigure(probabilityFigure([0.2, 0.8], undefined, 'first'));
    showFigure(probabilityFigure([0.3, 0.7], undefined, 'second'));
    const jupyter = require('tslab/dist/jupyter');
    jupyter.lastWriteDisplayData.session = 'page-2'; // the same kernel, now driven by a reloaded page
    showFigure(probabilityFigure([0.4, 0.6], undefined, 'after reload'));
    const carriesLibrary = kernel.sent.map((s) =>
      /plotly\.js \(basic - minified\)/.test(s.content.data['text/html'] as string),
    );
    assert.deepEqual(carriesLibrary, [true, false, true]);
    for (const s of kernel.sent) {
      assert.equal(s.update, false);
      assert.deepEqual(
        Object.keys(s.content.data).sort(),
        [PLOTLY_MIME, 'image/png', 'text/html', 'text/plain'].sort(),
      );
    }
    assert.deepEqual(
      kernel.sent.map((s) => s.content.data['text/plain']),
      ['first', 'second', 'after reload'],
    );
  } finally {
    kernel.restore();
  }
});

test('RedrawThrottle redraws by time, and backs off when a redraw is slow', () => {
  let now = 0;
  const throttle = new RedrawThrottle(1000, () => now);
  assert.equal(throttle.due(), true, 'the first redraw is immediate');
  throttle.drew(0);
  now = 999;
  assert.equal(throttle.due(), false);
  now = 1000;
  assert.equal(throttle.due(), true);
  // A redraw that took 200 ms pushes the next one to 20 × 200 ms later.
  const started = now;
  now += 200;
  throttle.drew(started);
  now += 1000;
  assert.equal(throttle.due(), false);
  now += 3000;
  assert.equal(throttle.due(), true);
});

test('CurveRecorder keeps running means per epoch, validation per epoch, and thins long runs', () => {
  const r = new CurveRecorder(8);
  r.batch({ batch: 0, size: 10, loss: 2, acc: 0.1 }, 4);
  r.batch({ batch: 1, size: 30, loss: 1, acc: 0.5 }, 4);
  assert.deepEqual(r.train.loss.x, [0.25, 0.5]);
  assert.deepEqual(r.train.loss.y, [2, 1.25], 'size-weighted running mean');
  r.epochEnd({ loss: 1.2, acc: 0.4, val_loss: 1.5, val_acc: 0.3 });
  assert.deepEqual(r.validation.loss, { x: [1], y: [1.5] });
  assert.equal(r.train.loss.x.at(-1), 1);
  assert.equal(r.train.loss.y.at(-1), 1.2, 'the epoch value closes its running mean');
  assert.deepEqual(r.metrics(), ['loss', 'acc']);
  for (let e = 1; e < 6; e++) {
    for (let b = 0; b < 4; b++) r.batch({ batch: b, size: 1, loss: 1 / (e + 1), acc: 0.5 }, 4);
    r.epochEnd({ loss: 1 / (e + 1), acc: 0.5 });
  }
  assert.ok(r.train.loss.x.length <= 8, `thinned to the point budget (${r.train.loss.x.length})`);
  assert.equal(r.train.loss.x.at(-1), 6, 'the newest point is kept');
  const fig = r.figure('curves');
  assert.equal(fig.data.length, 4, 'train and validation for loss and accuracy');
  assert.equal(fig.layout!.xaxis2 !== undefined, true, 'two panels');
});

test('liveCurves redraws one output in place during model.fit and leaves the full chart at the end', async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [4], activation: 'softmax' })] });
  model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['acc'] });
  const x = tf.randomNormal([64, 4], 0, 1, 'float32', 1);
  const y = tf.tensor1d(
    Array.from({ length: 64 }, (_, i) => i % 3),
    'float32',
  );
  const kernel = fakeKernel('page-live');
  try {
    await model.fit(x, y, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [liveCurves({ minIntervalMs: 60_000 })],
    });
  } finally {
    kernel.restore();
    tf.dispose([x, y]);
    model.dispose();
  }
  // Throttled to one redraw a minute: the first draw, then the final chart; nothing in between.
  assert.equal(kernel.sent.length, 2);
  const [first, last] = kernel.sent;
  assert.equal(first.update, false);
  assert.equal(last.update, true);
  assert.ok(first.content.transient.display_id);
  assert.equal(last.content.transient.display_id, first.content.transient.display_id, 'the same output is replaced');
  assert.deepEqual(Object.keys(last.content.data).sort(), [PLOTLY_MIME, 'image/png', 'text/html', 'text/plain'].sort());
  const fig = last.content.data[PLOTLY_MIME] as Figure;
  const names = fig.data.map((t) => `${t.name}:${t.xaxis ?? 'x'}`);
  assert.deepEqual(names, ['train:x', 'validation:x', 'train:x2', 'validation:x2']);
  assert.deepEqual(fig.data[1].x, [1, 2, 3], 'validation once per epoch');
  assert.equal((fig.data[0].x as number[]).at(-1), 3);
});

test('liveCurves prints nothing and sends nothing headless', async () => {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const logged: unknown[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => logged.push(a);
  try {
    await model.fit(tf.ones([4, 2]), tf.ones([4, 1]), { epochs: 2, verbose: 0, callbacks: [liveCurves()] });
  } finally {
    console.log = log;
    model.dispose();
  }
  assert.deepEqual(logged, []);
});

test('an unreadable image names the file, what it seems to be and what to do', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-image-'));
  const html = join(dir, 'digit.png');
  writeFileSync(html, '<!DOCTYPE html><html><body>Not Found</body></html>');
  const empty = join(dir, 'empty.jpg');
  writeFileSync(empty, '');
  for (const load of [() => loadImageTensor(html, { height: 32, width: 32 }), () => showImage(html)]) {
    await assert.rejects(load, (e: Error) => {
      assert.match(e.message, /Cannot read image .*digit\.png: it is an HTML page, not an image/);
      assert.match(e.message, /export it again as PNG or JPEG/);
      assert.match(e.message, /imagePath/);
      return true;
    });
  }
  await assert.rejects(showImage(empty), /empty\.jpg: the file is empty/);
  await assert.rejects(showImage(join(dir, 'missing.png')), /Image not found: .*missing\.png/);
});

test('the synchronous rasterizer reports a bad SVG as an error and keeps working', () => {
  assert.throws(() => svgToPngSync('this is not an svg'), /Could not rasterize a chart: .+/);
  const png = svgToPngSync(
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20"/></svg>',
  );
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
});

test('imageFigureHtml frames the picture the same on both hosts and escapes its texts', () => {
  const html = imageFigureHtml('data:image/png;base64,AAAA', 96, 'a<b>.png', '"2" & more');
  assert.match(html, /^<figure style="margin:0"><img src="data:image\/png;base64,AAAA" width="96" /);
  assert.match(html, /image-rendering:pixelated/);
  assert.match(html, /alt="a&lt;b&gt;\.png"/);
  assert.match(html, /<figcaption>&quot;2&quot; &amp; more<\/figcaption><\/figure>$/);
  assert.doesNotMatch(imageFigureHtml('x', 1, 'y', ''), /figcaption/);
});
