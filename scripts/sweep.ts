/**
 * `npm run sweep -- <input.ipynb> -p NAME v1,v2,... [-p ...] [--jobs N] [--out DIR] [--timeout S]`:
 * one run per combination, then a CSV and an HTML chart comparing what the runs recorded.
 */
import { basename, join } from 'node:path';
import { parseGrid, runSweep } from '../lib/runner/sweep';

const USAGE =
  'Usage: npm run sweep -- <input.ipynb> -p NAME v1,v2,... [-p NAME ...] [--jobs N] [--out DIR] [--timeout SECONDS]';

async function main(argv: string[]): Promise<number> {
  const pairs: [string, string][] = [];
  let input: string | undefined;
  let jobs = 1;
  let outDir: string | undefined;
  let timeout: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-p' || a === '--parameters') {
      if (i + 2 >= argv.length) throw new Error(`${a} needs a name and a comma-separated list.\n${USAGE}`);
      pairs.push([argv[i + 1], argv[i + 2]]);
      i += 2;
    } else if (a === '--jobs') jobs = Number(argv[++i]);
    else if (a === '--out') outDir = argv[++i];
    else if (a === '--timeout') timeout = Number(argv[++i]);
    else if (a === '-h' || a === '--help') {
      console.log(USAGE);
      return 0;
    } else if (a.startsWith('-')) throw new Error(`Unknown option ${a}.\n${USAGE}`);
    else input = a;
  }
  if (!input) throw new Error(USAGE);
  if (!(jobs >= 1)) throw new Error('--jobs takes a positive whole number.');
  const dir = outDir ?? join('out', 'sweeps', basename(input).replace(/\.ipynb$/, ''));
  const runs = await runSweep(input, parseGrid(pairs), { outDir: dir, jobs, timeout });
  const failed = runs.filter((r) => !r.result.ok).length;
  console.log(`${runs.length} runs (${failed} failed): ${dir}/sweep.csv, ${dir}/sweep.html`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  },
);
