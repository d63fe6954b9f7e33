import type { Host } from './types';

let current: Host | undefined;

/**
 * The host bn-lab runs on: the one setHost installed, else the default, loaded on first use. The
 * default is Node's (lib/host/default.ts); the browser bundle swaps in the browser's, so Node code
 * never enters it.
 */
export function host(): Host {
  return (current ??= (require('./default') as typeof import('./default')).defaultHost);
}

/** Installs a host in place of the default (tests, or an embedding that brings its own). */
export function setHost(next: Host): void {
  current = next;
}

/**
 * A random hex id for outputs and charts. Not Math.random: notebooks seed it, and a display must
 * not shift the training's random stream. Web Crypto exists in Node 20 and browsers alike.
 */
export function randomId(bytes = 8): string {
  const buf = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(buf, (b) => b.toString(16).padStart(2, '0')).join('');
}
