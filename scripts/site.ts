// npm run site [-- --full-cifar] [--serve [--port N]] [--no-build]: builds the JupyterLite site into
// out/site/ (kernel extension, exercises and browser bundles first) and optionally serves it.
import * as path from 'node:path';
import { projectRoot } from '../lib/project';
import { buildSite, buildSiteParts, serveSite } from '../lite/site';

const USAGE = 'usage: npm run site -- [--full-cifar] [--serve [--port N] [--host ADDRESS]] [--no-build]';

async function main(argv: string[]): Promise<void> {
  const root = projectRoot();
  if (!root) throw new Error('npm run site runs inside the bn-lab repository.');
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const known = new Set([
    '--full-cifar',
    '--serve',
    '--port',
    '--host',
    '--no-build',
    value('--port'),
    value('--host'),
  ]);
  const unknown = argv.filter((a) => !known.has(a));
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]}\n${USAGE}`);
  const outDir = path.join(root, 'out', 'site');
  if (!argv.includes('--no-build')) {
    buildSiteParts(root);
    const data = await buildSite({ root, outDir, fullCifar: argv.includes('--full-cifar') });
    console.log(`site: ${outDir} (${data.length} data files)`);
  }
  if (argv.includes('--serve')) {
    const port = Number(value('--port') ?? 8000);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new Error(`--port wants a port number, not ${value('--port')}\n${USAGE}`);
    const site = await serveSite(outDir, port, value('--host') ?? '127.0.0.1');
    console.log(`serving ${outDir} at ${site.url}lab/index.html (cross-origin isolated; Ctrl-C stops)`);
  }
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
