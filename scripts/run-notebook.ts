/**
 * `npm run notebook -- <input.ipynb> [output.ipynb] -p NAME VALUE ...`: runs one notebook with
 * parameters, papermill-style, and prints what it recorded.
 */
import { parseNotebookArgs, NOTEBOOK_USAGE } from '../lib/runner/cli-args';
import { runNotebook } from '../lib/runner/execute';

async function main(): Promise<number> {
  const args = parseNotebookArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(NOTEBOOK_USAGE);
    return 0;
  }
  const result = await runNotebook(args);
  console.error(`\n${result.ok ? 'Done' : 'FAILED'} in ${result.seconds.toFixed(1)} s: ${result.output}`);
  for (const [name, value] of Object.entries(result.records)) console.log(`${name} = ${JSON.stringify(value)}`);
  return result.exitCode;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  },
);
