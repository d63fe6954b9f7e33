import { danfo, DataFrame } from './dataframe';
import { host } from '../host';
import type { SourceOptions } from './files';

/** Feature names exactly as scikit-learn's load_iris gives them (the seed selects columns by them). */
export const IRIS_FEATURE_NAMES = ['sepal length (cm)', 'sepal width (cm)', 'petal length (cm)', 'petal width (cm)'] as const;

/** The iris table, shaped like scikit-learn's load_iris() Bunch. */
export interface IrisData {
  /** The four feature columns as a danfo.js DataFrame (like `pd.DataFrame(data.data, columns=data.feature_names)`). */
  frame: DataFrame;
  /** The same features as rows of numbers. */
  data: number[][];
  /** Class index of each row (0 setosa, 1 versicolor, 2 virginica). */
  target: number[];
  /** Class names in index order, from the file's header. */
  targetNames: string[];
  featureNames: string[];
  /** The CSV file that was read. */
  path: string;
}

/** Parsed contents of scikit-learn's iris.csv. */
export interface IrisTable {
  data: number[][];
  target: number[];
  targetNames: string[];
}

/**
 * Parses scikit-learn's iris.csv: a header `rows,features,class names...`, then rows of feature
 * values and a class index. The header's counts are checked, so a cut or edited file fails with
 * the line at fault.
 */
export function parseIrisCsv(text: string, name = 'iris.csv'): IrisTable {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new Error(`${name} is empty.`);
  const [rowsField, featuresField, ...targetNames] = lines[0].split(',').map((s) => s.trim());
  const rows = Number(rowsField);
  const features = Number(featuresField);
  if (!Number.isInteger(rows) || !Number.isInteger(features) || targetNames.length === 0) {
    throw new Error(`${name}: the first line should be "rows,features,class names..." (got "${lines[0]}").`);
  }
  if (lines.length - 1 !== rows) throw new Error(`${name}: the header announces ${rows} rows but the file has ${lines.length - 1}.`);
  const data: number[][] = [];
  const target: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const fields = lines[i].split(',').map(Number);
    if (fields.length !== features + 1 || fields.some((v) => !Number.isFinite(v))) {
      throw new Error(`${name}, line ${i + 1}: expected ${features} numbers and a class index, got "${lines[i]}".`);
    }
    const label = fields[features];
    if (!Number.isInteger(label) || label < 0 || label >= targetNames.length) {
      throw new Error(`${name}, line ${i + 1}: class index ${label} is not one of 0..${targetNames.length - 1}.`);
    }
    data.push(fields.slice(0, features));
    target.push(label);
  }
  return { data, target, targetNames };
}

/**
 * Loads the iris table into a danfo.js DataFrame with scikit-learn's feature names, plus the
 * target codes and class names. Finds iris.csv via the `dir` option, BN_LAB_IRIS_DIR, the copy in
 * data/, the download cache, then scikit-learn's public copy, and checks its checksum.
 */
export async function loadIris(options: SourceOptions = {}): Promise<IrisData> {
  const { path, bytes } = await host().readDatasetFile('iris', 'iris.csv', options);
  const { data, target, targetNames } = parseIrisCsv(new TextDecoder().decode(bytes), path);
  if (data[0]?.length !== IRIS_FEATURE_NAMES.length) {
    throw new Error(`${path} has ${data[0]?.length ?? 0} features per row; iris has ${IRIS_FEATURE_NAMES.length}.`);
  }
  const featureNames = [...IRIS_FEATURE_NAMES];
  const frame = new (danfo().DataFrame)(data, { columns: featureNames });
  return { frame, data, target, targetNames, featureNames, path };
}
