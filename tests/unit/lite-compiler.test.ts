// The JupyterLite kernel's cell compiler, run in Node the way the worker runs it: indirect eval of
// the compiled code, top-level names as globals, imports through a global function.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CellSyntaxError, compileCell } from '../../lite/worker/compiler';

const scope = globalThis as unknown as Record<string, unknown>;
const IMPORT = '__testImport';
const DECLARE = '__testDeclare';
const imported: string[] = [];
const MODULES: Record<string, unknown> = {
  mod: { default: 'the default', f: () => 'f', g: () => 'g', value: 41 },
  other: { sideEffect: true },
};
let declared: string[] = [];
let cellNumber = 0;
const indirectEval = eval;

scope[IMPORT] = async (specifier: string) => {
  imported.push(specifier);
  if (!(specifier in MODULES)) throw new Error(`no module ${specifier}`);
  return MODULES[specifier];
};
scope[DECLARE] = (names: string[]) => declared.push(...names);

/** Compiles and runs one cell; returns its value. */
async function run(source: string): Promise<unknown> {
  const compiled = compileCell(source, {
    sourceName: `test-cell-${++cellNumber}.ts`,
    importFunction: IMPORT,
    declareFunction: DECLARE,
  });
  return indirectEval(compiled.code);
}

/** The cell line an error thrown by a cell points at, read from its stack as the worker does. */
async function errorLine(source: string): Promise<{ error: Error; line: number | undefined }> {
  const sourceName = `test-cell-${++cellNumber}.ts`;
  const compiled = compileCell(source, { sourceName, importFunction: IMPORT, declareFunction: DECLARE });
  try {
    await indirectEval(compiled.code);
  } catch (error) {
    const match = new RegExp(`${sourceName.replace(/\./g, '\\.')}:(\\d+):\\d+`).exec((error as Error).stack ?? '');
    return { error: error as Error, line: match ? compiled.cellLine(Number(match[1])) : undefined };
  }
  throw new Error('the cell did not throw');
}

const globalsBefore = new Set(Object.keys(globalThis));
afterEach(() => {
  for (const key of Object.keys(globalThis)) if (!globalsBefore.has(key)) delete scope[key];
  imported.length = 0;
  declared = [];
});

describe('lite cell compiler', () => {
  test('top-level const, let, var, destructuring, function and class are visible to later cells', async () => {
    await run(
      'const a: number = 1;\nlet b = 2, c: string = "x";\nvar d;\nconst { e, f: [g = 7] } = { e: 3, f: [] as number[] };',
    );
    await run(
      'function twice(n: number): number {\n  return 2 * n;\n}\nclass Box<T> {\n  constructor(readonly v: T) {}\n}',
    );
    assert.equal(await run('a + b + e + g + twice(5) + new Box(100).v'), 1 + 2 + 3 + 7 + 10 + 100);
    assert.equal(await run('c'), 'x');
    assert.equal(await run('d'), undefined);
    assert.deepEqual(declared, ['a', 'b', 'c', 'd', 'e', 'g', 'twice', 'Box']);
  });

  test('a function can be called above its declaration in the same cell (hoisting)', async () => {
    assert.equal(await run('const early = later(2);\nfunction later(n: number) { return n + 1; }\nearly'), 3);
    assert.equal(await run('later(10)'), 11);
  });

  test('re-running a declaration replaces the value, also for functions from earlier cells', async () => {
    await run('const rate = 0.1;\nconst scaled = (x: number) => x * rate;');
    assert.equal(await run('scaled(10)'), 1);
    await run('const rate = 0.5;');
    assert.equal(await run('scaled(10)'), 5);
    await run('function shape() { return 1; }');
    await run('function shape() { return 2; }');
    assert.equal(await run('shape()'), 2);
    await run('class K { n = 1 }');
    assert.equal(await run('class K { n = 2 }\nnew K().n'), 2);
  });

  test('top-level await, and the last expression is the value', async () => {
    assert.equal(await run('const v = await new Promise<number>((r) => setTimeout(() => r(7), 1));\nv * 6'), 42);
    assert.equal(await run('const w = 1;'), undefined);
    assert.equal(await run('for (const i of [1, 2]) { void i; }'), undefined);
    assert.deepEqual(await run('({ answer: v })'), { answer: 7 });
  });

  test('imports go through the kernel, bind their names for later cells, and type-only ones vanish', async () => {
    await run(
      "import * as m from 'mod';\nimport def, { f, g as h } from 'mod';\nimport type { Nothing } from 'mod';\nimport { type Alias, value } from 'mod';\nimport 'other';",
    );
    assert.deepEqual(imported, ['mod', 'mod', 'mod', 'other']);
    assert.deepEqual(await run('[def, f(), h(), value, (m as { value: number }).value]'), [
      'the default',
      'f',
      'g',
      41,
      41,
    ]);
    // Imported only for later cells: TypeScript would drop an import unused in its own file.
    await run("import { value as later } from 'mod';");
    assert.equal(await run('later + 1'), 42);
    // Re-importing names another cell imported already (notebooks do this in every check cell).
    await run("import { f, value } from 'mod';\nconst again = f() + value;");
    assert.equal(await run('again'), 'f41');
    await assert.rejects(run("import { x } from 'missing';"), /no module missing/);
  });

  test('enums and namespaces survive across cells', async () => {
    await run('enum Mode { Train = 1, Eval }');
    assert.equal(await run('Mode.Eval'), 2);
  });

  test('a syntax error names the cell line and column', () => {
    assert.throws(
      () =>
        compileCell('const ok = 1;\nconst broken = (;\n', {
          sourceName: 'x.ts',
          importFunction: IMPORT,
          declareFunction: DECLARE,
        }),
      (error: unknown) => error instanceof CellSyntaxError && error.line === 2 && error.column > 1,
    );
  });

  test('a runtime error maps to the line of the cell that threw, past imports, types and blank lines', async () => {
    const source = [
      'import {',
      '  f,',
      '  value,',
      "} from 'mod';",
      '',
      'interface Shape {',
      '  n: number;',
      '}',
      '',
      'const s: Shape = { n: value };',
      'function fail(x: Shape): never {',
      '  throw new RangeError(`bad ${x.n}`);',
      '}',
      'f();',
      'fail(s);',
    ].join('\n');
    const { error, line } = await errorLine(source);
    assert.equal(error.name, 'RangeError');
    assert.equal(error.message, 'bad 41');
    assert.equal(line, 12);
    const undefinedName = await errorLine('const fine = 1;\n\nnotDefinedAnywhere + fine;');
    assert.match(undefinedName.error.message, /notDefinedAnywhere is not defined/);
    assert.equal(undefinedName.line, 3);
  });

  test('a name used before any cell declares it is a ReferenceError, as in tslab', async () => {
    await assert.rejects(run('neverDeclared + 1'), ReferenceError);
  });
});
