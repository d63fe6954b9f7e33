import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparisonFigure, historyFigure, metricFigure, probabilityFigure } from '../../lib/plots/charts';
import { STATIC_CHART_PARTS } from '../../lib/plots/echarts-parts';
import { Figure } from '../../lib/plots/figure';
import { echartsOption, figureSvg, StaticSize } from '../../lib/plots/static';

// The browser draws with echarts/core and only STATIC_CHART_PARTS (lib/host/browser-chart.ts); Node
// with full echarts. Drawn to SVG with both, every kind of figure must come out the same, or a part
// static.ts started to use is missing from the browser's picture.
const figures: Figure[] = [
  historyFigure({ run: { epoch: [0, 1, 2], history: { loss: [1, 0.5, 0.3], acc: [0.5, 0.7, 0.8] } } }, '학습'),
  comparisonFigure({ 'BN 없음': { test_acc: 0.95 }, 'BN 있음': { test_acc: 0.98 } }, '비교'),
  probabilityFigure([0.1, 0.7, 0.2], undefined, 'p'),
  metricFigure({ a: [1, 0.5, 0.25], b: [2, 1, 0.5] }, 'loss', 'metric'),
  {
    // A band (tonexty), a log axis with powers of two, markers, and a paper annotation.
    data: [
      { type: 'scatter', x: [1, 2, 4, 8], y: [1, 2, 3, 4], line: { width: 0 }, showlegend: false },
      { type: 'scatter', x: [1, 2, 4, 8], y: [2, 3, 5, 6], fill: 'tonexty', mode: 'lines+markers', name: 'band' },
    ],
    layout: {
      title: { text: 'band' },
      xaxis: { type: 'log', tickvals: [1, 2, 4, 8] },
      annotations: [{ xref: 'paper', yref: 'paper', x: 0.5, y: 1, text: 'note', showarrow: false }],
    },
  },
];

test('echarts/core with STATIC_CHART_PARTS draws every kind of figure as full echarts does', async () => {
  const core = (await import('echarts/core')) as typeof import('echarts/core');
  const { SVGRenderer } = (await import('echarts/renderers')) as typeof import('echarts/renderers');
  core.use([...STATIC_CHART_PARTS, SVGRenderer]);
  const size: StaticSize = { width: 800, height: 420 };
  for (const figure of figures) {
    const chart = core.init(null as unknown as HTMLElement, null, { renderer: 'svg', ssr: true, ...size });
    chart.setOption(echartsOption(figure, size) as import('echarts/core').EChartsCoreOption);
    const svg = chart.renderToSVGString();
    chart.dispose();
    const full = figureSvg(figure, size);
    assert.ok(svg.length > 2000, 'a picture was drawn');
    assert.equal(svg, full, `${JSON.stringify(figure.layout?.title)} differs`);
  }
});
