import { BarChart, CustomChart, LineChart, ScatterChart } from 'echarts/charts';
import { GraphicComponent, GridComponent, LegendComponent, TitleComponent } from 'echarts/components';

/**
 * The ECharts series and components that echartsOption (static.ts) emits, for builds of
 * `echarts/core` that carry only these (the browser bundle); keep in step with static.ts (a unit
 * test draws every kind of figure with these and with full ECharts and compares).
 */
export const STATIC_CHART_PARTS = [
  BarChart,
  CustomChart,
  LineChart,
  ScatterChart,
  GraphicComponent,
  GridComponent,
  LegendComponent,
  TitleComponent,
];
