/** The plotly figure format every chart is built in, shared by the plotly output and its static picture. */

/** A plotly trace or layout: plain JSON, passed to Plotly.newPlot unchanged. */
export type PlotlyObject = Record<string, unknown>;

/** A plotly figure: traces plus layout. */
export interface Figure {
  data: PlotlyObject[];
  layout?: PlotlyObject;
}

/** A plotly title given as a string or as { text }. */
export function titleText(title: unknown): string {
  if (typeof title === 'string') return title;
  const text = title && typeof title === 'object' ? (title as PlotlyObject).text : undefined;
  return typeof text === 'string' ? text : '';
}
