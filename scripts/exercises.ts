/**
 * `npm run exercises [-- NOTEBOOK_DIR [OUT_DIR]] [--no-handouts]`: writes the student version of
 * each instructor notebook (answers replaced by TODO and hints, outputs cleared, checks kept) to
 * exercises/, and an HTML handout of each to exercises/handouts/.
 */
import { writeExercises } from '../lib/exercises/generate';

const args = process.argv.slice(2);
if (args.includes('-h') || args.includes('--help')) {
  console.log('Usage: npm run exercises -- [NOTEBOOK_DIR (notebooks)] [OUT_DIR (exercises)] [--no-handouts]');
  process.exit(0);
}
const handouts = !args.includes('--no-handouts');
const [notebooksDir = 'notebooks', outDir = 'exercises'] = args.filter((a) => !a.startsWith('--'));
writeExercises(notebooksDir, outDir, handouts).then(
  (written) => {
    for (const w of written)
      console.log(`${w.notebook}  ${w.checks} checks, ${w.points} points${w.html ? `  ${w.html}` : ''}`);
  },
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  },
);
