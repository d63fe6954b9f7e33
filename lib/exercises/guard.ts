/**
 * The grading guard: armed by a cell the grader runs before any student code, it freezes the check
 * machinery, snapshots what checks rely on (built-ins, tfjs classes, the module loader) and signs
 * every check outcome with a per-run key, so the grader can tell a check's own outcome from one
 * that student code printed, replayed or produced with patched helpers. See README, "Using it in
 * class", for what this defends against and what it does not.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { GuardStamp, installGuard } from './guard-hook';

// Captured when this module loads, which the guard cell makes happen before any student code.
const { ownKeys, getOwnPropertyDescriptor, defineProperty, getPrototypeOf } = Reflect;
const { freeze, isFrozen } = Object;
const stringify = JSON.stringify;
const hmac = createHmac;

/** The tag of the cell the grader inserts first to arm the guard. */
export const GUARD_TAG = 'bn-lab-guard';

/** The signed fields of a check outcome, as the check machinery records them when armed. */
export interface SignedFields {
  id: string;
  passed: boolean;
  message: string;
  seq: number;
  tampered: string[];
}

/** The signature of an outcome's fields under `key` (hex HMAC-SHA256). */
export function signOutcome(key: Buffer, f: SignedFields): string {
  return hmac('sha256', key)
    .update(stringify([f.id, f.passed, f.message, f.seq, f.tampered]))
    .digest('hex');
}

/** Whether `mac` is the signature of these fields under `key`. */
export function verifyOutcome(key: Buffer, f: SignedFields, mac: unknown): boolean {
  if (typeof mac !== 'string' || !/^[0-9a-f]{64}$/.test(mac)) return false;
  try {
    return timingSafeEqual(Buffer.from(signOutcome(key, f), 'hex'), Buffer.from(mac, 'hex'));
  } catch {
    return false; // malformed fields
  }
}

type Snapshot = Map<string, unknown>;

interface Armed {
  key: Buffer;
  seq: number;
  busy: boolean;
  targets: [string, object, string[]?][];
  snapshot: Snapshot;
}

let armed: Armed | null = null;
/** What student code tried to replace among the locked properties, named for the gradebook. */
const attempts: string[] = [];

/**
 * Locks an own property: reads give the value it has now, writes are refused, counted and named
 * (a silent failure in sloppy code would hide the attempt), and it can no longer be redefined.
 */
function lock(o: object, k: string, label: string): void {
  const d = getOwnPropertyDescriptor(o, k);
  if (!d || !d.configurable) return;
  const value = 'value' in d ? d.value : undefined;
  const get = 'value' in d ? () => value : d.get;
  defineProperty(o, k, {
    get,
    set: () => {
      if (!attempts.includes(label)) attempts.push(label);
      throw new TypeError(`채점 중에는 ${label}을(를) 바꿀 수 없습니다.`);
    },
    enumerable: d.enumerable,
    configurable: false,
  });
}

/** Identity of every own property of `o`: a data property's value, an accessor's functions. */
function describe(name: string, o: object, skip: string[] = [], into: Snapshot = new Map()): Snapshot {
  for (const k of ownKeys(o)) {
    const key = typeof k === 'symbol' ? `[${String(k.description)}]` : k;
    if (skip.includes(key)) continue;
    const d = getOwnPropertyDescriptor(o, k)!;
    into.set(`${name}.${key}`, 'value' in d ? d.value : [d.get, d.set]);
  }
  return into;
}

function takeSnapshot(targets: Armed['targets']): Snapshot {
  const s: Snapshot = new Map();
  for (const [name, o, skip] of targets) describe(name, o, skip, s);
  return s;
}

/** What differs between two snapshots: replaced, deleted or added properties. */
function changes(before: Snapshot, after: Snapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of before) {
    if (!after.has(k)) out.push(`${k} 삭제됨`);
    else if (k.startsWith('globalThis.') && Array.isArray(v)) {
      // Node's lazy globals (fetch, streams, TextEncoder…) replace their own accessors on first use.
    } else {
      const w = after.get(k);
      const same = Array.isArray(v) && Array.isArray(w) ? v[0] === w[0] && v[1] === w[1] : Object.is(v, w);
      if (!same) out.push(`${k} 바뀜`);
    }
  }
  // New globals are a notebook's own business; new properties on built-ins and tfjs classes are not.
  for (const k of after.keys()) if (!before.has(k) && !k.startsWith('globalThis.')) out.push(`${k} 추가됨`);
  return out;
}

/** Prototypes along an object's chain up to (not including) Object.prototype. */
function chain(name: string, o: object): [string, object][] {
  const out: [string, object][] = [];
  for (let p = getPrototypeOf(o) as object | null, i = 0; p && p !== Object.prototype; p = getPrototypeOf(p), i++)
    out.push([`${name}${'.__proto__'.repeat(i + 1)}`, p]);
  return out;
}

/**
 * Arms the guard in a grading kernel: reads the run's key from `keyFile` and deletes it, freezes
 * bn-lab's modules and the loader paths check cells import them through, blocks the in-process
 * debugger and heap snapshots, and snapshots the built-ins and tfjs classes checks use. Called once,
 * by the cell the grader puts first; a second call (student code) is refused.
 */
export function armGrading(keyFile: string): void {
  if (armed) throw new Error('The grading guard is already armed.');
  const key = Buffer.from(readFileSync(keyFile, 'utf8').trim(), 'hex');
  unlinkSync(keyFile);
  const Module = require('node:module') as typeof import('node:module') & Record<string, unknown>;
  const cache = Module._cache as Record<string, NodeModule>;
  const distLib = resolve(__dirname, '..') + sep;
  // Load every bn-lab module now, so none is first loaded after student code could meddle.
  require(join(distLib, 'index.js'));
  for (const file of ownKeys(cache) as string[]) {
    if (!file.startsWith(distLib)) continue;
    const mod = cache[file];
    const name = `bn-lab/${file.slice(distLib.length).replace(/\.js$/, '')}`;
    for (const k of ownKeys(mod.exports)) if (typeof k === 'string') lock(mod.exports, k, `${name}.${k}`);
    freeze(mod.exports);
    defineProperty(cache, file, { value: mod, writable: false, configurable: false, enumerable: true });
  }
  // The loader check cells import bn-lab through, and the debugger/heap routes to this module's key.
  const load = Module._load as (request: string, ...rest: unknown[]) => unknown;
  const blocked = new Set(['inspector', 'node:inspector', 'inspector/promises', 'node:inspector/promises']);
  defineProperty(Module, '_load', {
    value: function (this: unknown, request: string, ...rest: unknown[]) {
      if (blocked.has(request)) throw new Error(`채점 중에는 ${request} 모듈을 쓸 수 없습니다.`);
      return load.call(this, request, ...rest);
    },
    writable: true,
    configurable: true,
  });
  for (const name of ['_load', '_resolveFilename', '_cache', '_extensions', '_findPath'])
    lock(Module, name, `Module.${name}`);
  const v8 = require('node:v8') as Record<string, unknown>;
  for (const name of ['getHeapSnapshot', 'writeHeapSnapshot']) {
    defineProperty(v8, name, {
      value: () => {
        throw new Error('채점 중에는 힙 스냅숏을 만들 수 없습니다.');
      },
      writable: true,
      configurable: true,
    });
    lock(v8, name, `v8.${name}`);
  }
  defineProperty(process, 'binding', {
    value: () => {
      throw new Error('채점 중에는 process.binding을 쓸 수 없습니다.');
    },
    writable: false,
    configurable: false,
  });
  const vm = require('node:vm') as typeof import('node:vm');
  for (const k of ownKeys(vm)) if (typeof k === 'string') lock(vm, k, `vm.${k}`);
  for (const k of ownKeys(vm.Script.prototype))
    if (typeof k === 'string') lock(vm.Script.prototype, k, `vm.Script.prototype.${k}`);
  freeze(vm);
  freeze(vm.Script.prototype);
  const g = globalThis as Record<string, unknown>;
  const tslab = g.__tslab__ as object | undefined;
  if (tslab && !isFrozen(tslab)) {
    lock(tslab, 'require', '__tslab__.require');
    lock(tslab, 'exports', '__tslab__.exports');
    freeze(tslab);
    lock(g, '__tslab__', 'globalThis.__tslab__');
  }
  // A layer and a model stand for tfjs's class chains (Dense → Layer, Sequential → LayersModel → Container).
  const dense = tf.layers.dense({ units: 1 });
  const model = tf.sequential();
  const tensor = tf.scalar(0);
  const typedArray = getPrototypeOf(Float32Array.prototype) as object;
  const targets: Armed['targets'] = [
    ['globalThis', globalThis, ['__tslab__']],
    ['Object', Object],
    ['Object.prototype', Object.prototype],
    ['Array', Array],
    ['Array.prototype', Array.prototype],
    ['Function.prototype', Function.prototype],
    ['String.prototype', String.prototype],
    ['Number', Number],
    ['Number.prototype', Number.prototype],
    ['Boolean.prototype', Boolean.prototype],
    ['Math', Math, ['random']], // setSeed replaces Math.random on purpose
    ['JSON', JSON],
    ['Reflect', Reflect],
    ['Promise', Promise],
    ['Promise.prototype', Promise.prototype],
    ['Map.prototype', Map.prototype],
    ['Set.prototype', Set.prototype],
    ['RegExp.prototype', RegExp.prototype],
    ['Error.prototype', Error.prototype],
    ['TypedArray.prototype', typedArray],
    ['Float32Array.prototype', Float32Array.prototype],
    ['Module.prototype', Module.prototype as object],
    ['tf.layers', tf.layers],
    ['tf.metrics', tf.metrics],
    ['tf.losses', tf.losses],
    ['tf.util', tf.util],
    ...chain('tf.layers.dense()', dense),
    ...chain('tf.sequential()', model),
    ...chain('tf.scalar()', tensor),
  ];
  tensor.dispose();
  armed = { key, seq: 0, busy: false, targets, snapshot: takeSnapshot(targets) };
  installGuard(guarded);
}

/** Whether the guard is armed in this process (only in a grading kernel). */
export const guardArmed = (): boolean => armed !== null;

/**
 * Runs one check under the guard: what student code changed before the check or while it ran,
 * and a check started inside another, make the outcome fail and are named; the outcome is then
 * numbered and signed. Unarmed (a student's own kernel), it just runs the check.
 */
async function guarded<T extends { passed: boolean; message: string }>(
  id: string,
  run: () => Promise<T>,
): Promise<T & GuardStamp> {
  const a = armed;
  if (!a) return run();
  const nested = a.busy;
  a.busy = true;
  const tampered = changes(a.snapshot, takeSnapshot(a.targets));
  let outcome: T;
  try {
    outcome = await run();
  } finally {
    if (!nested) a.busy = false;
  }
  for (const c of changes(a.snapshot, takeSnapshot(a.targets))) if (!tampered.includes(c)) tampered.push(c);
  for (const t of attempts) if (!tampered.includes(`${t} 바꾸려 함`)) tampered.push(`${t} 바꾸려 함`);
  if (nested) tampered.push('다른 검사가 실행되는 도중에 불린 검사');
  const result = { ...outcome, seq: ++a.seq, tampered };
  if (tampered.length) {
    result.passed = false;
    result.message = `채점기가 검사 환경이 바뀐 것을 보았습니다: ${tampered.slice(0, 5).join(', ')}`;
  }
  return { ...result, mac: signOutcome(a.key, { ...result, id }) };
}
