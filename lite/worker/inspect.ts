// Text for console arguments and cell values, close to what Node's util.inspect prints under tslab.

/** Joins console.log arguments the way Node does: strings as they are, other values inspected. */
export function formatArgs(args: unknown[]): string {
  return args.map((arg) => (typeof arg === 'string' ? arg : inspect(arg))).join(' ');
}

/** A value as Node's util.inspect would show it (strings quoted, nesting to depth 2, long arrays cut). */
export function inspect(value: unknown, depth = 2, seen = new Set<unknown>()): string {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function')
    return `[${value.constructor?.name === 'AsyncFunction' ? 'AsyncFunction' : 'Function'}: ${value.name || '(anonymous)'}]`;
  if (value instanceof Error) return value.stack ?? `${value.name}: ${value.message}`;
  if (seen.has(value)) return '[Circular]';
  const nested = (v: unknown) => inspect(v, depth - 1, new Set([...seen, value]));
  if (Array.isArray(value)) return depth < 0 ? '[Array]' : list('', value, nested);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const items = Array.from(value as unknown as ArrayLike<number>);
    return list(`${value.constructor.name}(${items.length}) `, items, nested);
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map)
    return depth < 0
      ? '[Map]'
      : `Map(${value.size}) {${pairs([...value].map(([k, v]) => `${nested(k)} => ${nested(v)}`))}}`;
  if (value instanceof Set) return depth < 0 ? '[Set]' : `Set(${value.size}) {${pairs([...value].map(nested))}}`;
  const proto = Object.getPrototypeOf(value);
  // Objects with their own toString (tf.Tensor, dataframes) say best what they are.
  if (
    proto &&
    proto !== Object.prototype &&
    typeof (value as { toString?: unknown }).toString === 'function' &&
    (value as object).toString !== Object.prototype.toString
  ) {
    return String(value);
  }
  const prefix = proto && proto !== Object.prototype && proto.constructor?.name ? `${proto.constructor.name} ` : '';
  if (depth < 0) return `[${prefix.trim() || 'Object'}]`;
  const entries = Object.entries(value as object).map(
    ([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : inspect(k)}: ${nested(v)}`,
  );
  return `${prefix}{${pairs(entries)}}`;
}

function list(prefix: string, items: unknown[], show: (v: unknown) => string): string {
  const shown = items.slice(0, 100).map(show);
  if (items.length > 100) shown.push(`... ${items.length - 100} more items`);
  return `${prefix}[${pairs(shown)}]`;
}

function pairs(parts: string[]): string {
  if (!parts.length) return '';
  const line = ` ${parts.join(', ')} `;
  return line.length <= 72 && !line.includes('\n')
    ? line
    : `\n  ${parts.join(',\n  ').replace(/\n(?! {2})/g, '\n  ')}\n`;
}
