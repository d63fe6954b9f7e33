/**
 * bn-lab: the shared library behind the batch-normalization notebooks. Notebooks import
 * everything from here (`import { loadMnist, buildLeNet, fit } from 'bn-lab'`), so each cell
 * reads like the seeds' Keras code while the plumbing stays testable in one place.
 */
export * from './models';
export * from './training/fit';
export * from './training/metrics';
export { seededPermutation, sortByLabel } from './training/shuffle';
export * from './plots/charts';
export { showFigure, figureHtml, standaloneHtml } from './plots/plotly';
export type { Figure } from './plots/plotly';
export { liveCurves } from './plots/live';
export type { LiveCurvesOptions } from './plots/live';
export { inNotebook, showHtml, newLiveOutput } from './notebook/display';
export type { LiveOutput } from './notebook/display';
export { showTable, showResults } from './notebook/table';
export { showImage } from './notebook/image';
export { record } from './notebook/record';
export * from './backend/select';
export * from './data';
export * from './layers/batch-renorm';
export * from './layers/small-batch';
export * from './experiments/modes';
export * from './experiments/drift';
export * from './experiments/smoothness';
export * from './experiments/lr-sweep';
export * from './experiments/dropout';
export { buildDeepMlp, preActivationTaps } from './experiments/common';
export type { DeepMlpOptions, MlpActivation, ModelBuilder, OptimizerName } from './experiments/common';
