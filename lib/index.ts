/**
 * bn-lab: the shared library behind the batch-normalization notebooks. Notebooks import
 * everything from here (`import { loadMnist, buildLeNet, fit } from 'bn-lab'`), so each cell
 * reads like the seeds' Keras code while the plumbing stays testable in one place.
 */
export * from './models';
export * from './training/fit';
export { setSeed } from './training/seed';
export { progressBar } from './training/callbacks';
export type { ProgressBarOptions } from './training/callbacks';
export * from './training/metrics';
export { seededPermutation, sortByLabel } from './training/shuffle';
export * from './plots/charts';
export { showFigure, figureHtml, standaloneHtml } from './plots/plotly';
export type { Figure } from './plots/plotly';
export { inNotebook, showHtml, newLiveOutput } from './notebook/display';
export type { LiveOutput } from './notebook/display';
export { showTable, showResults } from './notebook/table';
export { showImage } from './notebook/image';
export { record } from './notebook/record';
export * from './backend/select';
export * from './data';
export { BatchRenormalization, batchRenorm, renormClipping } from './layers/batch-renorm';
export type { BatchRenormalizationArgs, RenormSchedule } from './layers/batch-renorm';
export { trainSteps, keepingMovingStats, lossAndGradients, globalNorm } from './experiments/loop';
export type { Trace, Probe, StepLoopOptions } from './experiments/loop';
export { evaluateModel } from './experiments/evaluate';
export type { Evaluation, EvaluateOptions } from './experiments/evaluate';
export { unitStats, centreShift, spreadRatio, mean, median } from './experiments/stats';
export type { UnitStats } from './experiments/stats';
export { traceFigure } from './experiments/figures';
export type { TracePanel } from './experiments/figures';
