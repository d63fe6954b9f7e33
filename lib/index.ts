/**
 * bn-lab: the infrastructure behind the batch-normalization notebooks. The lesson (models, BN
 * layers, compile and fit) is written in the notebooks with tfjs's own API; this package serves
 * what is not the lesson: data, backends, display, recording results, and a few custom layers.
 * Notebooks import it by name: `import { loadMnist, progressBar, setSeed } from 'bn-lab'`.
 */

// Backends: native TensorFlow, WebAssembly with bn-lab's kernels, or plain JavaScript.
// Host-specific functions come from lib/host/dispatch (Node or browser, see lib/host/README.md).
export { initBackend, describeBackend, benchSpeedNote } from './host/dispatch';
export { setUpBackend } from './notebook/backend-setup';
export type { BenchFamily } from './backend/speed';
export type { BackendName, BackendInfo } from './backend/select';
export { convBnProbe, probeDifference, AGREEMENT_TOLERANCE } from './backend/agreement';
export type { ProbeRun } from './backend/agreement';

// Datasets (checksummed, looked up locally, downloaded when missing) and preprocessing.
export { loadMnist } from './data/mnist';
export type { MnistData, MnistOptions, MnistSplit, LabeledImages } from './data/mnist';
export { loadCifar10 } from './host/dispatch';
export { CIFAR10_CLASS_NAMES } from './data/cifar10-records';
export type { Cifar10Data, Cifar10Options } from './data/cifar10';
export { loadIris } from './data/iris';
export type { IrisData } from './data/iris';
export { loadImageTensor } from './host/dispatch';
export type { ImageTensorOptions } from './data/image';
export { trainTestSplit } from './data/split';
export type { SplitOptions } from './data/split';
export { dfd } from './data/dataframe';
export type { DataFrame } from './data/dataframe';
export type { SourceOptions } from './data/files';

// Training plumbing: reproducibility, progress, data order, BN's moving-statistics lag.
export { setSeed } from './training/seed';
export { progressBar } from './training/callbacks';
export type { ProgressBarOptions } from './training/callbacks';
export { seededPermutation, sortByLabel } from './training/shuffle';
export { movingAverageLag, movingAverageWarning } from './training/moving-average';

// Display: charts, tables, model summaries, images, and recorded results.
export { plotHistory, plotMetric, plotProbabilities, plotComparison } from './plots/charts';
export { historyFigure, metricFigure, probabilityFigure, comparisonFigure, sideBySideLayout } from './plots/charts';
export { showFigure } from './plots/plotly';
export type { Figure, PlotlyObject } from './plots/figure';
export { liveCurves } from './plots/live';
export type { LiveCurvesOptions } from './plots/live';
export { showTable, showResults } from './notebook/table';
export { showSummary } from './notebook/summary';
export { showImage } from './host/dispatch';
export { showHtml, newLiveOutput } from './notebook/display';
export type { LiveOutput } from './notebook/display';
export { record } from './notebook/record';

// Layers and measurement plumbing for the experiments (notebooks 6 and 7).
export { BatchRenormalization, batchRenorm, renormClipping } from './layers/batch-renorm';
export type { BatchRenormalizationArgs, RenormSchedule } from './layers/batch-renorm';
export { trainSteps, keepingMovingStats, lossAndGradients, globalNorm } from './experiments/loop';
export type { Trace, Probe, StepLoopOptions } from './experiments/loop';
export { evaluateModel } from './experiments/evaluate';
export type { Evaluation, EvaluateOptions } from './experiments/evaluate';
export { mean, median } from './experiments/stats';
export { plotTraces } from './experiments/figures';
export type { TracePanel } from './experiments/figures';

// Classroom exercises: what check cells call (see lib/exercises/ and `npm run exercises` / `npm run grade`).
export { check, fail, CheckFailure } from './exercises/check';
export type { CheckOutcome } from './exercises/check';
export {
  expectLayers,
  expectLayerConfig,
  layerClasses,
  expectClose,
  expectAtLeast,
  expectColumns,
  expectOneHot,
} from './exercises/expect';
export {
  expectTensorClose,
  expectLoss,
  expectAccuracyMetric,
  recordTraining,
  expectSameWeights,
} from './exercises/expect';
export type { TrainingRun } from './exercises/expect';
