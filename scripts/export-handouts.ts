/** `npm run export [-- NOTEBOOK_DIR [OUT_DIR]]`: executed notebooks (default out/) to HTML handouts. */
import { exportHandouts } from '../lib/runner/export';

const [notebooksDir = 'out', outDir = 'out/handouts'] = process.argv.slice(2);
exportHandouts(notebooksDir, outDir).then(
  (handouts) => {
    for (const h of handouts) console.log(`${h.ok ? 'ok    ' : 'FAILED'} ${h.html}  ${h.title}`);
    console.log(`index: ${outDir}/index.html`);
  },
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(1);
  },
);
