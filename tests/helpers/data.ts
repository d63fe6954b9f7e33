import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { projectRoot } from '../../lib/project';

/** The checkout's data/ folder (found the same way the loaders find it, so it works from dist/). */
export function dataDir(): string {
  const root = projectRoot();
  if (!root) throw new Error('tests must run inside the bn-lab checkout');
  return path.join(root, 'data');
}

/** A committed fixture folder, e.g. fixture('mnist'). */
export function fixture(name: 'mnist' | 'cifar10'): string {
  return path.join(dataDir(), 'fixtures', name);
}

const tempDirs: string[] = [];

/** A fresh temporary folder, removed by cleanupTempDirs(). */
export function tempDir(prefix = 'bn-lab-data-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** Removes every folder tempDir() made; call it from an `after` hook. */
export function cleanupTempDirs(): void {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A writable copy of a fixture folder, for tests that damage files. */
export function copyFixture(name: 'mnist' | 'cifar10'): string {
  const dir = tempDir();
  cpSync(fixture(name), dir, { recursive: true });
  return dir;
}

/** sha256 of some bytes, hex. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes files and a SHA256SUMS that vouches for them, so only the content under test can fail. */
export async function writeTrusted(dir: string, files: Record<string, Uint8Array | string>): Promise<void> {
  const lines: string[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    await writeFile(path.join(dir, name), bytes);
    lines.push(`${sha256(bytes)}  ${name}\n`);
  }
  await writeFile(path.join(dir, 'SHA256SUMS'), lines.join(''));
}

/**
 * Runs `fn` with environment variables set (a value of undefined removes the variable) and restores
 * them afterwards, so one test's BN_LAB_* settings cannot leak into the next.
 */
export async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T> | T): Promise<T> {
  const saved = new Map<string, string | undefined>();
  for (const [key, value] of Object.entries(vars)) {
    saved.set(key, process.env[key]);
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  try {
    return await fn();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

/** Every BN_LAB_* data variable unset: loaders see only what a test passes explicitly. */
export const NO_DATA_ENV = {
  BN_LAB_MNIST_DIR: undefined,
  BN_LAB_CIFAR10_DIR: undefined,
  BN_LAB_IRIS_DIR: undefined,
  BN_LAB_CACHE_DIR: undefined,
  BN_LAB_DOWNLOAD_BASE: undefined,
};

/**
 * Points downloads at a local port nothing listens on and the cache at a temporary folder, so no
 * test can reach the real network or write into the checkout's data/cache by accident. Call once
 * at the top of a test file; the real-data variables (BN_LAB_MNIST_DIR, ...) are left alone.
 */
export function isolateDownloads(): void {
  process.env.BN_LAB_DOWNLOAD_BASE = 'http://127.0.0.1:9/nothing-listens-here';
  process.env.BN_LAB_CACHE_DIR = tempDir('bn-lab-cache-');
}

/** isolateDownloads() plus removal of every tempDir() after the file's tests: the setup each data test file needs. */
export function isolateDataTests(): void {
  isolateDownloads();
  after(cleanupTempDirs);
}

/** A request handler of the local test server. */
export type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A local HTTP server on 127.0.0.1 serving fixed routes, counting requests. */
export interface TestServer {
  base: string;
  requests: string[];
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1 (random port) for download tests. It closes itself after
 * `lifetimeMs` even if a test forgets, and never keeps the process alive.
 */
export async function startServer(routes: Record<string, Route>, lifetimeMs = 30_000): Promise<TestServer> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    const route = routes[url];
    if (route) route(req, res);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.unref();
  let closed = false;
  const close = () =>
    new Promise<void>((resolve) => {
      if (closed) return resolve();
      closed = true;
      clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const timer = setTimeout(() => void close(), lifetimeMs);
  timer.unref();
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, requests, close };
}

/** A route that answers with fixed bytes and their Content-Length. */
export function bytesRoute(bytes: Uint8Array): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.end(bytes);
  };
}
