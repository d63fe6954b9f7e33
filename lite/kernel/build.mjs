// Builds the kernel extension: TypeScript → lib/, a JupyterLab federated extension (jupyter-builder) → out/lite/labextension/, then the worker (TypeScript compiler included) with esbuild
// into the extension's static folder, where the kernel looks for it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const python = process.env.BN_LAB_PYTHON || join(root, '.venv', 'bin', 'python');
if (!existsSync(python))
  throw new Error(
    `No Python with JupyterLab at ${python}: run npm install in ${root} (it makes .venv/) or set BN_LAB_PYTHON.`,
  );
const { jupyterlab } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const outDir = resolve(here, jupyterlab.outputDir);
const development = process.argv.includes('--development');

execFileSync(
  process.execPath,
  [join(here, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(here, 'tsconfig.json')],
  { stdio: 'inherit' },
);
// JupyterLab 4.6's `jupyter labextension build` hands over to jupyter-builder (rspack), installed beside Python.
const builder = join(dirname(python), 'jupyter-builder');
if (!existsSync(builder))
  throw new Error(`jupyter-builder is missing beside ${python}: install JupyterLab 4.6 (requirements.txt) there.`);
execFileSync(builder, ['build', ...(development ? ['--development', 'True'] : []), here], { stdio: 'inherit' });
await esbuild.build({
  entryPoints: [join(root, 'lite', 'worker', 'worker.ts')],
  outfile: join(outDir, 'static', 'bn-lab-kernel-worker.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: !development,
  sourcemap: development ? 'inline' : false,
  legalComments: 'external',
  logLevel: 'warning',
});
console.log(`kernel extension: ${outDir}`);
