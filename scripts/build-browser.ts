/**
 * `npm run build:browser`: bundles bn-lab for a browser's Web Worker (the JupyterLite kernel) into
 * out/browser/ as four ES modules that share one tfjs engine:
 *   tfjs.js     @tensorflow/tfjs with the webgl, webgpu and wasm backends registered (wasm binaries beside it)
 *   danfojs.js  danfo.js with tfjs external, i.e. importing ./tfjs.js (danfojs issue 332: two engines break it)
 *   charts.js   static chart pictures (lib/host/browser-chart.ts: echarts/core on an OffscreenCanvas)
 *   bn-lab.js   lib/index.ts with the browser host, importing ./tfjs.js, ./danfojs.js and ./charts.js
 * plus plotly.js (embedded once per page in chart outputs). With `--data DIR` it also writes the
 * site's data folder (lib/host/node-site-data.ts) into DIR. See lib/host/README.md.
 */
import { build, Plugin } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { writeSiteData } from '../lib/host/node-site-data';
import { projectPath } from '../lib/project';

const root = projectPath();
const out = join(root, 'out', 'browser');

/** Node-only modules that must never reach the browser bundle: a clear build error instead of a runtime one. */
const NODE_ONLY =
  /^(node:|sharp$|tslab(\/|$)|tar$|child_process$|fs$|fs\/promises$|path$|os$|zlib$|worker_threads$|crypto$)/;

/** Resolves the shared tfjs and danfojs to the sibling bundles, and the host's default to the browser host. */
function browserResolution(externals: Record<string, string>, stubs: Record<string, string> = {}): Plugin {
  return {
    name: 'bn-lab-browser',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        // CommonJS code (danfojs) requires these; a re-exporting ES module turns that require into a static import.
        if (args.path in externals) return { path: externals[args.path], namespace: 'bn-lab-external' };
        if (args.namespace === 'bn-lab-external') return { path: args.path, external: true };
        if (args.path === './default' && args.importer.endsWith(join('lib', 'host', 'index.ts'))) {
          return { path: join(dirname(args.importer), 'default.browser.ts') };
        }
        if (args.path in stubs) return { path: args.path, namespace: 'bn-lab-stub' };
        if (NODE_ONLY.test(args.path) && args.importer.includes(join(root, 'lib'))) {
          return {
            errors: [
              { text: `${args.path} is Node-only and must stay behind lib/host (imported by ${args.importer})` },
            ],
          };
        }
        return undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'bn-lab-external' }, (args) => ({
        contents: `export * from ${JSON.stringify(args.path)};`,
        loader: 'js',
      }));
      b.onLoad({ filter: /.*/, namespace: 'bn-lab-stub' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(stubs[args.path])});`,
        loader: 'js',
      }));
    },
  };
}

const common = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  logLevel: 'warning',
  legalComments: 'none',
} as const;

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    ...common,
    stdin: {
      contents:
        "export * from '@tensorflow/tfjs';\n" +
        "import '@tensorflow/tfjs-backend-webgpu';\n" +
        "import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';\n" +
        'export { setWasmPaths };\n' +
        // The .wasm files sit beside this module, wherever the site serves it.
        "setWasmPaths(new URL('./', import.meta.url).href);\n",
      resolveDir: root,
      sourcefile: 'tfjs-entry.js',
    },
    outfile: join(out, 'tfjs.js'),
    minify: true,
  });
  const wasmDir = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(wasmDir).filter((n) => n.endsWith('.wasm'))) copyFileSync(join(wasmDir, f), join(out, f));
  const tfjs = { '@tensorflow/tfjs': './tfjs.js' };
  const danfoEntry = join(root, 'node_modules', 'danfojs', 'dist', 'danfojs-browser', 'src', 'index.js');
  await build({
    ...common,
    // danfojs is CommonJS: name its exports (as Node sees them) so `import { DataFrame } from 'danfojs'` works.
    stdin: {
      contents:
        `import * as danfo from ${JSON.stringify(danfoEntry)};\n` +
        `export const { ${Object.keys(require(danfoEntry))
          .filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== 'default')
          .join(', ')} } = danfo;\n` +
        'export default danfo;\n',
      resolveDir: root,
      sourcefile: 'danfojs-entry.js',
    },
    outfile: join(out, 'danfojs.js'),
    minify: true,
    // danfo's own plots bundle all of plotly (3.5 MB); notebooks draw with bn-lab's plot functions.
    plugins: [
      browserResolution(tfjs, {
        'plotly.js-dist-min': "danfo.js's plots are not in bn-lab's browser bundle; use bn-lab's plot functions.",
      }),
    ],
  });
  // Chart pictures: echarts/core with only the parts static charts use and the canvas renderer
  // (lib/host/browser-chart.ts), minified on its own so bn-lab.js stays readable. It costs 0.56 MB
  // (0.19 MB gzipped); unminified inside bn-lab.js it was 1.56 MB (bn-lab.js alone is 0.15 MB).
  await build({
    ...common,
    entryPoints: [join(root, 'lib', 'host', 'browser-chart.ts')],
    outfile: join(out, 'charts.js'),
    minify: true,
  });
  await build({
    ...common,
    entryPoints: [join(root, 'lib', 'index.ts')],
    outfile: join(out, 'bn-lab.js'),
    banner: { js: 'const __bnLabBundleUrl = import.meta.url;' },
    plugins: [
      // Full `echarts`, which static.ts loads for Node's SVG pictures (figureSvg, never called in a
      // browser), would add every chart type and the SVG renderer: stubbed.
      browserResolution(
        {
          ...tfjs,
          danfojs: './danfojs.js',
          'danfojs/dist/danfojs-browser/src': './danfojs.js',
          './browser-chart': './charts.js',
        },
        {
          echarts:
            'The browser draws charts with echarts/core in charts.js (lib/host/browser-chart.ts), not with full echarts.',
        },
      ),
    ],
  });
  copyFileSync(require.resolve('plotly.js-basic-dist-min'), join(out, 'plotly.js'));
  const dataAt = process.argv.indexOf('--data');
  if (dataAt > 0) {
    const dest = resolve(process.argv[dataAt + 1] ?? '');
    await writeSiteData(dest);
    console.log(`data folder written to ${dest}`);
  }
  for (const f of readdirSync(out).sort())
    console.log(`${join('out', 'browser', f)}  ${(statSync(join(out, f)).size / 1e6).toFixed(2)} MB`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
