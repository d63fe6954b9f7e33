import * as ts from 'typescript';
import { Cell, findTaggedCell, Notebook, sourceOf } from './notebook';

/** A JSON scalar, the kind of value `-p NAME VALUE` gives. */
export type ParamScalar = number | string | boolean | null;

/** A parameter's value: what papermill passes (JSON scalars, or lists of them from YAML/JSON). */
export type ParamValue = ParamScalar | ParamScalar[];

/** The kinds a declared parameter can have, inferred from its default value or annotation. */
export type ParamType = 'number' | 'string' | 'boolean' | 'null' | 'array' | 'unknown';

/** One parameter declared in a notebook's `parameters` cell. */
export interface ParamSpec {
  name: string;
  type: ParamType;
  default: ParamValue | undefined;
  /** The comment after the declaration, used as help text. */
  help?: string;
  /** The declared type annotation's text, if any (e.g. `'wasm' | 'cpu'`). */
  annotation?: string;
  /** The values that make sense, from a `range:` note in the comment (every element, for a list). */
  range?: ParamRange;
}

/**
 * The values a numeric parameter may take, declared at the end of its comment in the parameters
 * cell so students see it beside the default:
 *   const epochs = 1; // range: integer >= 1
 *   const testSize = 0.3; // share of rows kept for testing; range: > 0, < 1
 *   const dropoutRate = 0.3; // range: 0..1   (both ends included)
 */
export interface ParamRange {
  /** The note as written after `range:`, quoted in error messages. */
  text: string;
  integer: boolean;
  min?: { value: number; inclusive: boolean };
  max?: { value: number; inclusive: boolean };
}

/** Parses the text after `range:`; an error that quotes it if it is not one of the documented forms. */
export function parseRange(text: string): ParamRange {
  const range: ParamRange = { text: text.trim(), integer: false };
  let rest = range.text;
  if (/^integer\b/.test(rest)) {
    range.integer = true;
    rest = rest.replace(/^integer\s*/, '');
  }
  const num = '([-+]?\\d*\\.?\\d+(?:[eE][-+]?\\d+)?)';
  const interval = rest.match(new RegExp(`^${num}\\s*\\.\\.\\s*${num}$`));
  if (interval) {
    range.min = { value: Number(interval[1]), inclusive: true };
    range.max = { value: Number(interval[2]), inclusive: true };
    return range;
  }
  for (const part of rest.split(/\s*(?:,|\band\b)\s*/).filter((p) => p !== '')) {
    const bound = part.match(new RegExp(`^(>=|>|<=|<)\\s*${num}$`));
    if (!bound) {
      throw new Error(
        `"range: ${range.text}" is not a range bn-lab reads: write e.g. "range: integer >= 1", "range: > 0, < 1" or "range: 0..1".`,
      );
    }
    const limit = { value: Number(bound[2]), inclusive: bound[1].endsWith('=') };
    if (bound[1].startsWith('>')) range.min = limit;
    else range.max = limit;
  }
  if (!range.min && !range.max && !range.integer) throw new Error(`"range: ${range.text}" sets no bound.`);
  return range;
}

/** Whether a number lies in a parameter's declared range. */
export function inRange(value: number, range: ParamRange): boolean {
  if (range.integer && !Number.isInteger(value)) return false;
  const { min, max } = range;
  if (min && (min.inclusive ? value < min.value : value <= min.value)) return false;
  if (max && (max.inclusive ? value > max.value : value >= max.value)) return false;
  return true;
}

function literalValue(node: ts.Expression): { value: ParamValue | undefined; type: ParamType } {
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return literalValue(node.expression);
  if (ts.isNumericLiteral(node)) return { value: Number(node.text), type: 'number' };
  if (
    ts.isPrefixUnaryExpression(node) &&
    node.operator === ts.SyntaxKind.MinusToken &&
    ts.isNumericLiteral(node.operand)
  ) {
    return { value: -Number(node.operand.text), type: 'number' };
  }
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return { value: node.text, type: 'string' };
  if (node.kind === ts.SyntaxKind.TrueKeyword) return { value: true, type: 'boolean' };
  if (node.kind === ts.SyntaxKind.FalseKeyword) return { value: false, type: 'boolean' };
  if (node.kind === ts.SyntaxKind.NullKeyword) return { value: null, type: 'null' };
  if (ts.isArrayLiteralExpression(node)) {
    const items = node.elements.map((e) => literalValue(e));
    if (items.every((i) => i.value !== undefined && i.type !== 'array'))
      return { value: items.map((i) => i.value as ParamScalar), type: 'array' };
  }
  return { value: undefined, type: 'unknown' };
}

function annotatedType(node: ts.TypeNode | undefined): ParamType | undefined {
  if (!node) return undefined;
  switch (node.kind) {
    case ts.SyntaxKind.NumberKeyword:
      return 'number';
    case ts.SyntaxKind.StringKeyword:
      return 'string';
    case ts.SyntaxKind.BooleanKeyword:
      return 'boolean';
    default:
      if (ts.isArrayTypeNode(node)) return 'array';
      return ts.isLiteralTypeNode(node) || ts.isUnionTypeNode(node) ? 'string' : undefined;
  }
}

/**
 * Reads the parameters declared in a `parameters` cell (`const epochs = 1; // help`), using the
 * TypeScript parser so comments, type annotations and numeric separators are handled right.
 */
export function parseParameterCell(source: string): ParamSpec[] {
  const file = ts.createSourceFile('parameters.ts', source, ts.ScriptTarget.ES2022, true);
  const specs: ParamSpec[] = [];
  for (const stmt of file.statements) {
    if (!ts.isVariableStatement(stmt)) continue;
    for (const decl of stmt.declarationList.declarations) {
      if (!ts.isIdentifier(decl.name)) continue;
      const literal = decl.initializer
        ? literalValue(decl.initializer)
        : { value: undefined, type: 'unknown' as ParamType };
      const comment = source
        .slice(decl.end, source.indexOf('\n', decl.end) === -1 ? undefined : source.indexOf('\n', decl.end))
        .match(/\/\/\s*(.*)$/)?.[1];
      // `help; range: ...` or `range: ...` alone: the range is the comment's last part.
      const [help, rangeText] = (comment ?? '').split(/(?:^|;\s*)range:/);
      let range: ParamRange | undefined;
      try {
        range = rangeText === undefined ? undefined : parseRange(rangeText);
      } catch (e) {
        throw new Error(`Parameter "${decl.name.text}": ${(e as Error).message}`, { cause: e });
      }
      specs.push({
        name: decl.name.text,
        type: annotatedType(decl.type) ?? literal.type,
        default: literal.value,
        help: help.trim() || undefined,
        annotation: decl.type?.getText(file),
        range,
      });
    }
  }
  return specs;
}

/** The declared parameters of a notebook; an error if it has no cell tagged `parameters`. */
export function notebookParameters(nb: Notebook, path = 'notebook'): ParamSpec[] {
  const index = findTaggedCell(nb, 'parameters');
  if (index < 0) throw new Error(`${path} has no cell tagged "parameters", so it takes no parameters.`);
  return parseParameterCell(sourceOf(nb.cells[index]));
}

/**
 * Parses a command-line value as papermill's `-p` does: ints and floats become numbers,
 * True/true/False/false booleans, None/null null, anything else a string.
 */
export function parseCliValue(raw: string): ParamValue {
  if (/^(true|True)$/.test(raw)) return true;
  if (/^(false|False)$/.test(raw)) return false;
  if (/^(None|null)$/.test(raw)) return null;
  if (/^[-+]?(\d[\d_]*)(\.\d*)?([eE][-+]?\d+)?$/.test(raw) || /^[-+]?\.\d+([eE][-+]?\d+)?$/.test(raw)) {
    return Number(raw.replace(/_/g, ''));
  }
  return raw;
}

/**
 * Checks values against the declared parameters: an unknown name is an error listing the valid
 * names; a value of another type than the default is an error (numbers stay numbers, etc.).
 */
export function validateParameters(specs: ParamSpec[], values: Record<string, unknown>, path = 'notebook'): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const [name, value] of Object.entries(values)) {
    const spec = byName.get(name);
    if (!spec) {
      throw new Error(`${path} has no parameter "${name}". Valid parameters: ${specs.map((s) => s.name).join(', ')}.`);
    }
    const isScalar = (v: unknown) => v === null || ['number', 'string', 'boolean'].includes(typeof v);
    const t = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
    if (!(isScalar(value) || (Array.isArray(value) && value.every(isScalar)))) {
      throw new Error(`Parameter "${name}" must be a number, string, boolean, null or a list of those (got ${t}).`);
    }
    if (spec.type !== 'unknown' && spec.type !== 'null' && value !== null && t !== spec.type) {
      throw new Error(
        `Parameter "${name}" expects a ${spec.type} (default ${JSON.stringify(spec.default)}), got ${t} ${JSON.stringify(value)}.`,
      );
    }
    if (spec.type === 'number' && typeof value === 'number' && !Number.isFinite(value)) {
      throw new Error(`Parameter "${name}" must be a finite number (got ${value}).`);
    }
    const outside = spec.range && [value].flat().find((v) => typeof v === 'number' && !inRange(v, spec.range!));
    if (spec.range && outside !== undefined) {
      const what = Array.isArray(value) ? `contains ${outside}` : `is ${outside}`;
      throw new Error(
        `Parameter "${name}" ${what}, outside its valid range: ${spec.range.text} (default ${JSON.stringify(spec.default)}).`,
      );
    }
  }
}

/** The TypeScript type a parameter is injected with when the notebook declares none. */
function widenedType(spec: ParamSpec): string | undefined {
  if (['number', 'string', 'boolean'].includes(spec.type)) return spec.type;
  if (spec.type === 'array' && Array.isArray(spec.default)) {
    const kinds = [...new Set(spec.default.map((v) => (v === null ? 'null' : typeof v)))];
    return kinds.length === 1 ? `${kinds[0]}[]` : `(${kinds.join(' | ') || 'unknown'})[]`;
  }
  return undefined;
}

/**
 * The injected cell's source: one `const` per parameter whose value is a JSON literal, so no
 * value can ever be read as code (JSON string escaping covers quotes, backslashes and newlines;
 * U+2028/2029 are escaped as well because older JS parsers ended lines at them). Each gets the
 * declared annotation, or its default's widened type, because `const x = 0` alone would type x as
 * the literal 0 and make later cells' comparisons fail tslab's type check.
 */
export function injectionSource(values: Record<string, ParamValue>, specs: ParamSpec[] = []): string {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const lines = Object.entries(values).map(([name, value]) => {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`"${name}" is not a valid parameter name.`);
    const literal = JSON.stringify(value)
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
    const spec = byName.get(name);
    const widened = spec && value !== null ? widenedType(spec) : undefined;
    const type = spec?.annotation ?? widened;
    return `const ${name}${type ? `: ${type}` : ''} = ${literal};`;
  });
  return ['// Parameters', ...lines].join('\n');
}

/** Returns a copy of the notebook with an `injected-parameters` cell right after `parameters`. */
export function injectParameters(nb: Notebook, values: Record<string, ParamValue>, path = 'notebook'): Notebook {
  // Nothing to inject: run the notebook as it is (it need not even have a parameters cell).
  if (Object.keys(values).length === 0) return JSON.parse(JSON.stringify(nb));
  const specs = notebookParameters(nb, path);
  validateParameters(specs, values, path);
  const copy: Notebook = JSON.parse(JSON.stringify(nb));
  // A rerun of an already-parameterized output replaces the old injection, as papermill does.
  copy.cells = copy.cells.filter((c) => !c.metadata?.tags?.includes('injected-parameters'));
  const at = findTaggedCell(copy, 'parameters');
  const cell: Cell = {
    cell_type: 'code',
    source: injectionSource(values, specs),
    metadata: { tags: ['injected-parameters'] },
    outputs: [],
    execution_count: null,
  };
  if (copy.nbformat_minor >= 5) cell.id = `injected-${Date.now().toString(36)}`;
  copy.cells.splice(at + 1, 0, cell);
  return copy;
}
