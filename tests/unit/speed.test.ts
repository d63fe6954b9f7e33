import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchSpeedNote } from '../../lib/backend/speed';
import type { BackendInfo } from '../../lib/backend/select';

const info: BackendInfo = { name: 'wasm', path: 'wasm-dnnl', summary: '', reason: '' };
const result = (family: string, engine: string, imagesPerSec: number) => ({ family, engine, imagesPerSec });

test("the speed note quotes this machine's newest bench of the running path, with PyTorch's from the same run", () => {
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-bench-'));
  assert.match(benchSpeedNote(info, 'vgg', dir), /아직 재지 않았습니다.*npm run bench/);
  const older = { date: '2026-11-20T10:00:00Z', results: [result('vgg', 'tfjs-wasm-dnnl', 50)] };
  const newer = {
    date: '2026-11-23T04:23:08Z',
    results: [
      result('vgg', 'tfjs-wasm-dnnl', 151.4),
      result('vgg', 'tfjs-wasm-1thread', 49),
      result('vgg', 'torch-1t', 120),
      result('vgg', 'torch-2t', 160),
    ],
  };
  writeFileSync(join(dir, 'bench-2026-11-20T10-00-00-000Z.json'), JSON.stringify(older));
  writeFileSync(join(dir, 'bench-2026-11-23T04-23-08-908Z.json'), JSON.stringify(newer));
  writeFileSync(join(dir, 'bench-2026-11-24T00-00-00-000Z.json'), '{ "date": "2026-11-24", "resu'); // cut short
  assert.equal(
    benchSpeedNote(info, 'vgg', dir),
    '이 컴퓨터에서 2026-11-23에 잰 `npm run bench`에 따르면 이 모델은 wasm-dnnl 경로에서 초당 약 151장을 학습합니다 ' +
      '(같은 측정에서 PyTorch의 0.95배).',
  );
  assert.match(
    benchSpeedNote({ ...info, path: 'cpu' }, 'vgg', dir),
    /아직 재지 않았습니다/,
    'another path was not measured',
  );
  assert.match(benchSpeedNote(info, 'lenet', dir), /아직 재지 않았습니다/, 'another family was not measured');
});
