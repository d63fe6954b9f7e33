import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../project';
import type { BackendInfo } from './select';

/** The model families `npm run bench` measures (see scripts/reference-models.ts). */
export type BenchFamily = 'lenet' | 'small_cnn' | 'vgg' | 'iris';

interface BenchResult {
  family: string;
  engine: string;
  imagesPerSec: number;
}

interface BenchFile {
  date: string;
  results: BenchResult[];
}

/** The newest bench file under `dir` that measured `engine` on `family`, if any. */
function latestMeasurement(
  dir: string,
  engine: string,
  family: BenchFamily,
): { file: BenchFile; tfjs: BenchResult } | null {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^bench-.*\.json$/.test(n));
  } catch {
    return null;
  }
  // Bench files are named by their ISO start time, so the names sort by date.
  for (const name of names.sort().reverse()) {
    try {
      const file = JSON.parse(readFileSync(join(dir, name), 'utf8')) as BenchFile;
      const tfjs = file.results?.find((r) => r.family === family && r.engine === engine);
      if (tfjs) return { file, tfjs };
    } catch {
      // A half-written or foreign file says nothing about this machine's speed; older ones may.
    }
  }
  return null;
}

/**
 * One Korean sentence on how fast this model trains here: read from this machine's newest
 * `npm run bench` result for the running backend path (with PyTorch's speed from the same run
 * when it was measured), or how to measure it. Notebooks print it rather than quote a number
 * that would go stale on another machine or path.
 */
export function benchSpeedNote(
  info: BackendInfo,
  family: BenchFamily,
  dir = join(projectRoot() ?? '.', 'out'),
): string {
  const found = latestMeasurement(dir, `tfjs-${info.path}`, family);
  if (!found) {
    return (
      `이 컴퓨터의 학습 속도는 아직 재지 않았습니다. \`npm run bench\`로 잴 수 있고, ` +
      `백엔드 경로별로 기대할 수 있는 속도는 README의 표에 있습니다.`
    );
  }
  const { file, tfjs } = found;
  const torch = file.results
    .filter((r) => r.family === family && r.engine.startsWith('torch-'))
    .reduce<number>((best, r) => Math.max(best, r.imagesPerSec), 0);
  const versus = torch > 0 ? ` (같은 측정에서 PyTorch의 ${(tfjs.imagesPerSec / torch).toFixed(2)}배)` : '';
  return (
    `이 컴퓨터에서 ${file.date.slice(0, 10)}에 잰 \`npm run bench\`에 따르면 이 모델은 ${info.path} 경로에서 ` +
    `초당 약 ${Math.round(tfjs.imagesPerSec).toLocaleString('en-US')}장을 학습합니다${versus}.`
  );
}
