/**
 * `npm start` (quick profile) and `npm run start:full` (the seeds' settings): run every
 * notebook of the collection into out/, export the HTML handouts to out/handouts/, and print a summary table.
 */
import { join } from 'node:path';
import { exportHandouts } from '../lib/runner/export';
import { runCollection, Profile } from '../lib/runner/collection';
import { writeFileAtomic } from '../lib/runner/notebook';
import { SummaryRow, summaryJson, summaryText } from '../lib/runner/records';

async function main(): Promise<number> {
  const profile: Profile = process.argv.includes('--full') ? 'full' : 'quick';
  const outDir = 'out';
  const started = Date.now();
  const rows = await runCollection(profile, outDir, { logOutput: process.argv.includes('--log-output') });
  const handouts = await exportHandouts(outDir, `${outDir}/handouts`);
  const summary: SummaryRow[] = rows.map(({ notebook, parameters, result }) => ({
    notebook,
    parameters,
    ok: result.ok,
    exitCode: result.exitCode,
    seconds: result.seconds,
    records: result.records,
  }));
  const resultsFile = join(outDir, 'results.json');
  writeFileAtomic(resultsFile, summaryJson(summary));
  console.log(`\n${summaryText(summary)}\n`);
  console.log(`full recorded values: ${resultsFile}`);
  console.log(
    `${rows.length} notebooks in ${outDir}/, ${handouts.length} handouts + index in ${outDir}/handouts/index.html`,
  );
  console.log(`total ${((Date.now() - started) / 60000).toFixed(1)} min (${profile} profile)`);
  return rows.every((r) => r.result.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  },
);
