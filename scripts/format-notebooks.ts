/**
 * Formats every code cell of notebooks/*.ipynb with Prettier (the repository's .prettierrc, as
 * TypeScript) and lints it with ESLint (the repository's config, as one TypeScript file per notebook).
 *   node dist/scripts/format-notebooks.js          rewrite the cells that Prettier would change
 *   node dist/scripts/format-notebooks.js --check  list them (and ESLint's findings), exit 1 if any
 * Prettier ignores notebooks (JSON it would reflow), so this is how cells keep one style.
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as prettier from 'prettier';
import { ESLint } from 'eslint';
import { projectPath } from '../lib/project';
import { Cell, readNotebook, sourceOf, writeNotebook } from '../lib/runner/notebook';

/** nbformat's list-of-lines form of a cell source (each line keeps its newline, the last has none). */
function toLines(source: string): string[] {
  return source.split(/(?<=\n)/);
}

/** A cell's source as Prettier prints it, without the trailing newline Jupyter does not keep. */
async function formatCell(source: string, options: prettier.Options, where: string): Promise<string> {
  try {
    return (await prettier.format(source, { ...options, parser: 'typescript' })).replace(/\n$/, '');
  } catch (e) {
    throw new Error(`${where}: Prettier cannot parse this cell: ${(e as Error).message.split('\n')[0]}`, { cause: e });
  }
}

/**
 * ESLint's findings for a notebook's code cells, joined as tslab runs them (one module), each
 * message mapped back to its cell and line. Rules that do not fit a notebook are off: a cell's last
 * expression is its output, a later cell uses what an earlier one declares, and an exercise cell
 * starts its answer from a placeholder value the solution overwrites.
 */
async function lintCells(eslint: ESLint, file: string, cells: Cell[]): Promise<string[]> {
  const code = cells.flatMap((c, i) => (c.cell_type === 'code' ? [{ i, source: sourceOf(c) }] : []));
  const starts: { i: number; line: number }[] = [];
  let line = 1;
  for (const c of code) {
    starts.push({ i: c.i, line });
    line += c.source.split('\n').length + 1;
  }
  const text = code.map((c) => c.source).join('\n\n');
  const [result] = await eslint.lintText(text, { filePath: projectPath('notebooks', 'cells.ts') });
  return result.messages.map((m) => {
    const start = [...starts].reverse().find((s) => s.line <= m.line) ?? starts[0];
    return `${file} cell ${start.i}, line ${m.line - start.line + 1}: ${m.message} (${m.ruleId ?? 'syntax'})`;
  });
}

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const dir = projectPath('notebooks');
  const configFile = projectPath('.prettierrc.json');
  const options = (await prettier.resolveConfig(configFile, { config: configFile })) ?? {};
  const eslint = new ESLint({
    cwd: projectPath(),
    ignore: false,
    overrideConfig: {
      rules: {
        '@typescript-eslint/no-unused-expressions': 'off',
        '@typescript-eslint/no-unused-vars': 'off',
        'no-useless-assignment': 'off',
      },
    },
  });
  const changed: string[] = [];
  const findings: string[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.ipynb'))) {
    const path = join(dir, name);
    const file = relative(projectPath(), path);
    const nb = readNotebook(path);
    let dirty = false;
    for (const [i, cell] of nb.cells.entries()) {
      if (cell.cell_type !== 'code') continue;
      const before = sourceOf(cell);
      const after = await formatCell(before, options, `${file} cell ${i}`);
      if (after === before) continue;
      dirty = true;
      changed.push(`${file} cell ${i}`);
      cell.source = toLines(after);
    }
    if (dirty && !check) writeNotebook(path, nb);
    findings.push(...(await lintCells(eslint, file, nb.cells)));
  }
  if (findings.length > 0) console.error(findings.join('\n'));
  if (check) {
    if (changed.length > 0) {
      console.error(`${changed.join('\n')}\n${changed.length} notebook cells are not formatted: run npm run format.`);
    }
    return changed.length > 0 || findings.length > 0 ? 1 : 0;
  }
  console.log(`${changed.length} notebook cells formatted.`);
  return findings.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: Error) => {
    console.error(`error: ${e.message}`);
    process.exit(2);
  },
);
