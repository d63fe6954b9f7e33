/**
 * `npm run grade -- <submission.ipynb | folder> [options]`: runs each submitted notebook with the
 * instructor's checks and writes a gradebook (grades.csv and grades.html).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadMasters } from '../lib/exercises/assemble';
import { DEFAULT_MAX_CELL_OUTPUT, DEFAULT_MAX_OUTPUT, findSubmissions, gradeAll } from '../lib/exercises/grade';
import { gradebookCsv, gradebookHtml } from '../lib/exercises/gradebook';
import { writeFileAtomic } from '../lib/runner/notebook';
import { ParamValue, parseCliValue } from '../lib/runner/parameters';

const USAGE = `Usage: npm run grade -- <submission.ipynb | folder> [options]

Runs every submission (a folder holds <student>.ipynb files or <student>/ folders) in its own
kernel and bubblewrap sandbox (read-only system and project, no network, own processes, other
submissions and the instructor's notebooks hidden) with the instructor's check cells put back,
then writes OUT/grades.csv, OUT/grades.html and each executed submission under OUT/<student>/.

Options:
  --timeout SECONDS     wall-clock limit per submission (default 600)
  --jobs N              submissions graded at once (default 1)
  --memory MB           heap limit of each kernel (default 2048)
  --notebooks DIR       instructor notebooks with the checks (default notebooks)
  --out DIR             where the gradebook goes (default out/grades)
  --max-cell-output B   bytes of output kept per cell (default 2000000)
  --max-output B        bytes of output kept per submission (default 5000000)
  --no-sandbox          grade without bubblewrap: submissions run with YOUR rights, can read and
                        write your files and use the network (see README, "Using it in class")
  -p NAME VALUE         a parameter for the notebooks that declare it (e.g. -p epochs 1)
  -h, --help            show this help`;

function parse(argv: string[]) {
  const o = {
    path: '',
    timeout: 600,
    jobs: 1,
    memoryMb: 2048,
    notebooks: 'notebooks',
    out: join('out', 'grades'),
    parameters: {} as Record<string, ParamValue>,
    sandbox: true,
    maxCellOutput: DEFAULT_MAX_CELL_OUTPUT,
    maxOutput: DEFAULT_MAX_OUTPUT,
  };
  const number = (flag: string, v: string | undefined) => {
    const n = Number(v);
    if (!v || !Number.isFinite(n) || n <= 0)
      throw new Error(`${flag} needs a positive number, got ${v ?? 'nothing'}.\n\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') return null;
    else if (a === '--timeout') o.timeout = number(a, argv[++i]);
    else if (a === '--jobs') o.jobs = Math.floor(number(a, argv[++i]));
    else if (a === '--memory') o.memoryMb = Math.floor(number(a, argv[++i]));
    else if (a === '--notebooks') o.notebooks = argv[++i];
    else if (a === '--no-sandbox') o.sandbox = false;
    else if (a === '--max-cell-output') o.maxCellOutput = Math.floor(number(a, argv[++i]));
    else if (a === '--max-output') o.maxOutput = Math.floor(number(a, argv[++i]));
    else if (a === '--out') o.out = argv[++i];
    else if (a === '-p' || a === '--parameters') {
      if (argv.length - i - 1 < 2) throw new Error(`${a} needs a name and a value.\n\n${USAGE}`);
      o.parameters[argv[i + 1]] = parseCliValue(argv[i + 2]);
      i += 2;
    } else if (a.startsWith('-')) throw new Error(`Unknown option ${a}.\n\n${USAGE}`);
    else if (o.path) throw new Error(`Give one submission file or folder (got ${o.path} and ${a}).\n\n${USAGE}`);
    else o.path = a;
  }
  if (!o.path) throw new Error(`Which submissions? Give a .ipynb file or a folder.\n\n${USAGE}`);
  return o;
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  if (!o) {
    console.log(USAGE);
    return 0;
  }
  if (!o.sandbox)
    console.error(
      'WARNING: --no-sandbox: submissions run with your rights and can read and write your files and use the network.',
    );
  const masters = loadMasters(o.notebooks);
  if (masters.length === 0) throw new Error(`No notebook in ${o.notebooks} has check cells to grade with.`);
  const submissions = findSubmissions(o.path);
  const outDir = resolve(o.out);
  mkdirSync(outDir, { recursive: true });
  console.error(`Grading ${submissions.length} submission(s), ${o.jobs} at a time, ${o.timeout} s each at most.`);
  const results = await gradeAll(
    submissions,
    {
      masters,
      outDir,
      timeout: o.timeout,
      memoryMb: o.memoryMb,
      parameters: o.parameters,
      sandbox: o.sandbox,
      hide: [o.path, o.notebooks],
      maxCellOutputBytes: o.maxCellOutput,
      maxOutputBytes: o.maxOutput,
      onLog: (t) => process.stderr.write(t),
    },
    o.jobs,
  );
  writeFileAtomic(join(outDir, 'grades.csv'), gradebookCsv(results, outDir));
  writeFileAtomic(join(outDir, 'grades.html'), gradebookHtml(results, outDir));
  console.log(`gradebook: ${join(outDir, 'grades.csv')}, ${join(outDir, 'grades.html')}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  },
);
