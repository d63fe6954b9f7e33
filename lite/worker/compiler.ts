// Compiles one notebook cell of TypeScript into JavaScript that a browser worker can evaluate with
// tslab's semantics: top-level await, top-level names (const/let/var/function/class/import) shared
// with later cells and re-declarable, imports resolved by the kernel instead of the browser.
import ts from 'typescript';

/** A cell compiled for evaluation: `code` evaluates (indirect eval) to a Promise of the last expression's value. */
export interface CompiledCell {
  code: string;
  /** The cell's top-level names, in order of appearance. */
  declaredNames: string[];
  /** The cell line (1-based) that a line of `code` (1-based) came from, if it came from one. */
  cellLine(codeLine: number): number | undefined;
}

/** A cell that does not parse: `line` and `column` are 1-based positions in the cell. */
export class CellSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'SyntaxError';
  }
}

/** How compiled cells reach the kernel: the global function that loads a module by its import specifier. */
export interface CompileOptions {
  /** Name in stack traces (`//# sourceURL`), e.g. `cell-3.ts`. */
  sourceName: string;
  /** Global async function `(specifier) => module namespace` the imports call. */
  importFunction: string;
  /** Global function `(names) => void` called first with the cell's top-level names, so the kernel can make
   * each one a writable global (a worker's `name` or `location` would otherwise ignore the assignment). */
  declareFunction: string;
}

/** Compiles a cell; throws CellSyntaxError when it does not parse. */
export function compileCell(source: string, options: CompileOptions): CompiledCell {
  const output = ts.transpileModule(source, {
    fileName: 'cell.ts',
    reportDiagnostics: true,
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleDetection: ts.ModuleDetectionKind.Force,
      // Keep every import that is not `import type`: a cell may import a name only for later cells.
      verbatimModuleSyntax: true,
      sourceMap: true,
      removeComments: false,
    },
  });
  const error = output.diagnostics?.find((d) => d.category === ts.DiagnosticCategory.Error);
  if (error) {
    const { line, character } =
      error.file && error.start !== undefined
        ? error.file.getLineAndCharacterOfPosition(error.start)
        : { line: 0, character: 0 };
    throw new CellSyntaxError(ts.flattenDiagnosticMessageText(error.messageText, '\n'), line + 1, character + 1);
  }
  const js = output.outputText.replace(/\/\/# sourceMappingURL=.*\s*$/, '');
  const jsToCell = sourceMapLines(JSON.parse(output.sourceMapText ?? '{"mappings":""}').mappings);
  const { body, prologue, declaredNames } = rewriteTopLevel(js, options);
  // Line 1 holds the wrapper and the prologue, so JavaScript line n (0-based) is code line n + 2.
  const code = `(async () => {${prologue}\n${body}\n})()\n//# sourceURL=${options.sourceName}\n`;
  return {
    code,
    declaredNames,
    cellLine: (codeLine) => {
      const line = jsToCell[codeLine - 2];
      return line === undefined ? undefined : line + 1;
    },
  };
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function rewriteTopLevel(
  js: string,
  { importFunction, declareFunction }: CompileOptions,
): { body: string; prologue: string; declaredNames: string[] } {
  const file = ts.createSourceFile('cell.js', js, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const edits: Edit[] = [];
  const names: string[] = [];
  const prologue: string[] = [];
  const text = (node: ts.Node) => js.slice(node.getStart(file), node.getEnd());
  const replace = (node: ts.Node, replacement: string) =>
    edits.push({ start: node.getStart(file), end: node.getEnd(), text: replacement });
  const statements = file.statements;
  // TypeScript closes a module without imports or exports with `export {};`, which is not the cell's last statement.
  const last = statements.filter((s) => !(ts.isExportDeclaration(s) && !s.moduleSpecifier)).at(-1);
  statements.forEach((statement) => {
    const isLast = statement === last;
    if (ts.isImportDeclaration(statement)) {
      replace(statement, importStatement(statement, importFunction, names));
    } else if (ts.isVariableStatement(statement)) {
      const parts = statement.declarationList.declarations.map((d) => {
        collectBindingNames(d.name, names);
        return `${text(d.name)} = ${d.initializer ? text(d.initializer) : 'undefined'}`;
      });
      replace(statement, `(${parts.join(', ')});`);
    } else if (ts.isFunctionDeclaration(statement) && statement.name) {
      const name = statement.name.text;
      names.push(name);
      // Function declarations are hoisted inside the wrapper, so the cell's first line can publish them.
      prologue.push(` globalThis[${JSON.stringify(name)}] = ${name};`);
      stripExport(statement, file, edits);
    } else if (ts.isClassDeclaration(statement) && statement.name) {
      const name = statement.name.text;
      names.push(name);
      stripExport(statement, file, edits);
      const classKeyword = statement.getChildren(file).find((c) => c.kind === ts.SyntaxKind.ClassKeyword);
      const start = classKeyword ? classKeyword.getStart(file) : statement.getStart(file);
      edits.push(
        { start, end: start, text: `${name} = ` },
        { start: statement.getEnd(), end: statement.getEnd(), text: ';' },
      );
    } else if (ts.isExportDeclaration(statement)) {
      replace(statement, '');
    } else if (ts.isExportAssignment(statement)) {
      replace(statement, isLast ? `return (${text(statement.expression)});` : `${text(statement.expression)};`);
    } else if (isLast && ts.isExpressionStatement(statement)) {
      replace(statement, `return (${text(statement.expression)});`);
    }
  });
  let body = js;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    // Keep the line count so that error lines still map to the cell (a multi-line import becomes one line).
    const lost = countLines(body.slice(edit.start, edit.end)) - countLines(edit.text);
    body = body.slice(0, edit.start) + edit.text + '\n'.repeat(Math.max(0, lost)) + body.slice(edit.end);
  }
  const declaredNames = [...new Set(names)];
  const declare = declaredNames.length ? ` ${declareFunction}(${JSON.stringify(declaredNames)});` : '';
  return { body, prologue: declare + prologue.join(''), declaredNames };
}

function countLines(text: string): number {
  return text.split('\n').length - 1;
}

function stripExport(
  statement: ts.FunctionDeclaration | ts.ClassDeclaration,
  file: ts.SourceFile,
  edits: Edit[],
): void {
  for (const modifier of statement.modifiers ?? []) {
    if (modifier.kind === ts.SyntaxKind.ExportKeyword || modifier.kind === ts.SyntaxKind.DefaultKeyword) {
      edits.push({ start: modifier.getStart(file), end: modifier.getEnd(), text: '' });
    }
  }
}

function importStatement(statement: ts.ImportDeclaration, importFunction: string, names: string[]): string {
  const specifier = (statement.moduleSpecifier as ts.StringLiteral).text;
  const load = `await ${importFunction}(${JSON.stringify(specifier)})`;
  const clause = statement.importClause;
  if (!clause) return `${load};`;
  const bindings = clause.namedBindings;
  if (bindings && ts.isNamespaceImport(bindings)) {
    const ns = bindings.name.text;
    names.push(ns);
    if (!clause.name) return `${ns} = ${load};`;
    names.push(clause.name.text);
    return `${ns} = ${load}; ${clause.name.text} = ${ns}.default;`;
  }
  const properties: string[] = [];
  if (clause.name) {
    names.push(clause.name.text);
    properties.push(`default: ${clause.name.text}`);
  }
  for (const element of bindings && ts.isNamedImports(bindings) ? bindings.elements : []) {
    if (element.isTypeOnly) continue;
    names.push(element.name.text);
    properties.push(
      element.propertyName ? `${JSON.stringify(element.propertyName.text)}: ${element.name.text}` : element.name.text,
    );
  }
  return properties.length ? `({ ${properties.join(', ')} } = ${load});` : `${load};`;
}

function collectBindingNames(name: ts.BindingName, into: string[]): void {
  if (ts.isIdentifier(name)) into.push(name.text);
  else
    for (const element of name.elements) if (!ts.isOmittedExpression(element)) collectBindingNames(element.name, into);
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

// For each generated line of a source map's `mappings`, the original line (0-based) of its first segment.
function sourceMapLines(mappings: string): (number | undefined)[] {
  const lines: (number | undefined)[] = [];
  let originalLine = 0;
  for (const lineText of mappings.split(';')) {
    let first: number | undefined;
    for (const segment of lineText.split(',')) {
      if (!segment) continue;
      const fields = decodeVlq(segment);
      if (fields.length >= 4) {
        originalLine += fields[2];
        first ??= originalLine;
      }
    }
    lines.push(first);
  }
  return lines;
}

function decodeVlq(segment: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
}
