import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseCliValue, ParamValue } from './parameters';

/** The parsed command line of `npm run notebook`, papermill's flags and defaults. */
export interface NotebookArgs {
  input: string;
  output?: string;
  parameters: Record<string, ParamValue>;
  kernel?: string;
  cwd?: string;
  timeout?: number;
  logOutput: boolean;
}

/** Usage text shown on --help and on argument errors. */
export const NOTEBOOK_USAGE = `Usage: npm run notebook -- <input.ipynb> [output.ipynb] [options]

Runs a notebook with parameters, papermill-style, and saves the executed copy
(default: out/<name>.ipynb).

Options:
  -p, --parameters NAME VALUE   set a parameter (int, float, bool, null or string)
  -y, --parameters_yaml YAML    parameters as a YAML mapping, e.g. '{epochs: 2}'
  -f, --parameters_file FILE    parameters from a .json, .yaml or .yml file
  -k, --kernel NAME             kernel to use (default: the notebook's, tslab)
  --cwd DIR                     working directory of the kernel (default: the notebook's folder)
  --timeout SECONDS             stop when one cell runs longer than this
  --log-output                  echo the cells' output while they run
  -h, --help                    show this help`;

function scalarsOnly(source: string, values: unknown): Record<string, ParamValue> {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new Error(`${source} must be a mapping of parameter names to values.`);
  }
  const isScalar = (v: unknown) => v === null || ['number', 'string', 'boolean'].includes(typeof v);
  for (const [k, v] of Object.entries(values)) {
    if (!isScalar(v) && !(Array.isArray(v) && v.every(isScalar))) {
      throw new Error(`${source}: parameter "${k}" must be a number, string, boolean, null or a list of those.`);
    }
  }
  return values as Record<string, ParamValue>;
}

/** Reads a parameters file (.json, .yaml or .yml) into a mapping. */
export function readParametersFile(path: string): Record<string, ParamValue> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read parameters file ${path}: ${(e as Error).message}`, { cause: e });
  }
  const values = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  return scalarsOnly(path, values);
}

/**
 * Parses papermill-style arguments. Later sources override earlier ones in the order given on
 * the command line, as in papermill.
 */
export function parseNotebookArgs(argv: string[]): NotebookArgs | 'help' {
  const positional: string[] = [];
  const parameters: Record<string, ParamValue> = {};
  const out: Partial<NotebookArgs> = { logOutput: false };
  const need = (i: number, flag: string, count = 1) => {
    if (argv.length - i - 1 < count)
      throw new Error(`${flag} needs ${count === 1 ? 'a value' : `${count} values`}.\n\n${NOTEBOOK_USAGE}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '-p':
      case '--parameters':
        need(i, a, 2);
        parameters[argv[i + 1]] = parseCliValue(argv[i + 2]);
        i += 2;
        break;
      case '-y':
      case '--parameters_yaml':
        need(i, a);
        Object.assign(parameters, scalarsOnly('--parameters_yaml', parseYaml(argv[++i])));
        break;
      case '-f':
      case '--parameters_file':
        need(i, a);
        Object.assign(parameters, readParametersFile(argv[++i]));
        break;
      case '-k':
      case '--kernel':
        need(i, a);
        out.kernel = argv[++i];
        break;
      case '--cwd':
        need(i, a);
        out.cwd = argv[++i];
        break;
      case '--timeout': {
        need(i, a);
        const t = Number(argv[++i]);
        if (!(t > 0)) throw new Error(`--timeout takes a positive number of seconds (got "${argv[i]}").`);
        out.timeout = t;
        break;
      }
      case '--log-output':
        out.logOutput = true;
        break;
      default:
        if (a.startsWith('-')) throw new Error(`Unknown option ${a}.\n\n${NOTEBOOK_USAGE}`);
        positional.push(a);
    }
  }
  if (positional.length < 1 || positional.length > 2) {
    throw new Error(`Expected an input notebook and an optional output path.\n\n${NOTEBOOK_USAGE}`);
  }
  return { ...out, input: positional[0], output: positional[1], parameters } as NotebookArgs;
}
