import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { ChecksumError } from '../../lib/data/checksums';
import { loadCifar10 } from '../../lib/data/cifar10';
import { downloadFile } from '../../lib/data/download';
import { loadIris } from '../../lib/data/iris';
import { loadMnist, MNIST_FILES } from '../../lib/data/mnist';
import {
  bytesRoute,
  dataDir,
  isolateDataTests,
  NO_DATA_ENV,
  sha256,
  startServer,
  tempDir,
  withEnv,
} from '../helpers/data';

// Every download here goes to a server on 127.0.0.1; nothing reaches the real network.
isolateDataTests();

const irisBytes = readFileSync(path.join(dataDir(), 'iris.csv'));

/** Everything in a folder, recursively, so leftover temporary files would show. */
function listAll(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

test('download: good bytes arrive, verify against the official checksum and land in the cache once', async () => {
  const server = await startServer({ '/iris/iris.csv': bytesRoute(irisBytes) });
  const cache = tempDir();
  const progress: [number, number | undefined][] = [];
  try {
    await withEnv(NO_DATA_ENV, async () => {
      const options = {
        cacheDir: cache,
        downloadBase: server.base,
        progress: false,
        onProgress: (r: number, t: number | undefined) => progress.push([r, t]),
      };
      const iris = await loadIris(options);
      assert.equal(iris.path, path.join(cache, 'iris', 'iris.csv'));
      assert.deepEqual(iris.frame.shape, [150, 4]);
      assert.deepEqual(listAll(cache), ['iris', path.join('iris', 'iris.csv')]);
      assert.deepEqual(readFileSync(iris.path), irisBytes);
      assert.deepEqual(progress.at(-1), [irisBytes.length, irisBytes.length]);
      await loadIris(options);
      assert.deepEqual(server.requests, ['/iris/iris.csv'], 'the second load uses the cache');
    });
  } finally {
    await server.close();
  }
});

test('download: a corrupted response is rejected and leaves no file in the cache', async () => {
  const corrupt = Buffer.from(irisBytes);
  corrupt[100] ^= 0x20;
  const server = await startServer({ '/iris/iris.csv': bytesRoute(corrupt) });
  const cache = tempDir();
  try {
    await withEnv({ ...NO_DATA_ENV, BN_LAB_DOWNLOAD_BASE: server.base }, async () => {
      const err = await loadIris({ cacheDir: cache, progress: false }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof ChecksumError, `got ${err}`);
      assert.equal(err.actual, sha256(corrupt));
      assert.equal(err.expected, 'f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449');
      assert.match(
        err.message,
        new RegExp(`${server.base}/iris/iris\\.csv.*Nothing was saved to .*iris\\.csv.*BN_LAB_IRIS_DIR`),
      );
    });
    assert.deepEqual(listAll(path.join(cache, 'iris')), []);
  } finally {
    await server.close();
  }
});

test('download: a short response (connection dropped mid-file) is rejected and leaves no file', async () => {
  const server = await startServer({
    '/iris/iris.csv': (_req, res) => {
      res.writeHead(200, { 'content-length': irisBytes.length });
      res.write(irisBytes.subarray(0, 1000), () => res.socket?.destroy());
    },
    '/iris/short-but-complete': (_req, res) => {
      // No Content-Length: only the checksum can tell that bytes are missing.
      res.end(irisBytes.subarray(0, 1000));
    },
  });
  const cache = tempDir();
  try {
    await withEnv(NO_DATA_ENV, async () => {
      await assert.rejects(
        loadIris({ cacheDir: cache, downloadBase: server.base, progress: false }),
        /Download of http:\/\/127\.0\.0\.1:\d+\/iris\/iris\.csv (failed after 1000 bytes|is incomplete: got 1000 of 2734 bytes).*Nothing was saved/,
      );
      await assert.rejects(
        downloadFile(`${server.base}/iris/short-but-complete`, path.join(cache, 'x.csv'), {
          expected: { sha256: sha256(irisBytes) },
          progress: false,
        }),
        (e: Error) => e instanceof ChecksumError && e.actual === sha256(irisBytes.subarray(0, 1000)),
      );
    });
    assert.deepEqual(listAll(cache), ['iris']);
  } finally {
    await server.close();
  }
});

test('download: HTTP errors, redirects, stalls and missing checksums', async () => {
  const server = await startServer({
    '/moved': (_req, res) => {
      res.writeHead(302, { location: '/iris/iris.csv' });
      res.end();
    },
    '/iris/iris.csv': bytesRoute(irisBytes),
    '/stall': (_req, res) => {
      res.writeHead(200, { 'content-length': 10 });
      res.write('12345');
    },
  });
  const dir = tempDir();
  const expected = { md5: 'd69a16ea6136ccb02a7c37c66375ebba' };
  try {
    await assert.rejects(
      downloadFile(`${server.base}/missing`, path.join(dir, 'a'), { expected, progress: false }),
      /failed after 0 bytes: HTTP 404/,
    );
    await downloadFile(`${server.base}/moved`, path.join(dir, 'b'), { expected, progress: false });
    assert.deepEqual(readFileSync(path.join(dir, 'b')), irisBytes);
    await assert.rejects(
      downloadFile(`${server.base}/stall`, path.join(dir, 'c'), { expected, progress: false, idleTimeoutMs: 200 }),
      /no data for 0\.2 s/,
    );
    await assert.rejects(
      downloadFile(`${server.base}/iris/iris.csv`, path.join(dir, 'd'), { expected: {}, progress: false }),
      /no checksum/,
    );
    assert.deepEqual(listAll(dir), ['b']);
  } finally {
    await server.close();
  }
});

/** Collects what the progress printer writes. */
function captureStream(isTTY: boolean): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  }) as unknown as NodeJS.WriteStream;
  stream.isTTY = isTTY;
  return { stream, text: () => chunks.join('') };
}

test('download progress: a redrawn bar on a terminal, plain lines otherwise', async () => {
  const big = Buffer.alloc(3_000_000, 7);
  const server = await startServer({ '/big': bytesRoute(big) });
  const dir = tempDir();
  try {
    const plain = captureStream(false);
    await downloadFile(`${server.base}/big`, path.join(dir, 'plain.bin'), {
      expected: { sha256: sha256(big) },
      stream: plain.stream,
    });
    const lines = plain.text().trim().split('\n');
    assert.ok(!plain.text().includes('\r'));
    assert.match(lines[0], /^downloading plain\.bin: \d+% \(/);
    assert.equal(lines.at(-1), 'downloaded plain.bin: 100% (3.00 of 3.00 MB)');
    assert.ok(lines.length <= 12, `one line per 10%, got ${lines.length}`);
    const tty = captureStream(true);
    await downloadFile(`${server.base}/big`, path.join(dir, 'tty.bin'), {
      expected: { sha256: sha256(big) },
      stream: tty.stream,
    });
    assert.match(tty.text(), /\rtty\.bin \[=+\] 100% 3\.00\/3\.00 MB .*MB\/s\n$/);
  } finally {
    await server.close();
  }
});

test('CIFAR-10 download: an archive that fails the official md5 is discarded before extraction', async () => {
  const server = await startServer({
    '/cifar10/cifar-10-binary.tar.gz': bytesRoute(Buffer.from('not really an archive')),
  });
  const cache = tempDir();
  try {
    await withEnv(NO_DATA_ENV, async () => {
      await assert.rejects(
        loadCifar10({ cacheDir: cache, downloadBase: server.base, progress: false, trainCount: 1, testCount: 1 }),
        (e: Error) =>
          e instanceof ChecksumError && e.algorithm === 'md5' && e.expected === 'c32a1d4ab5d03f1284b67883e8d87530',
      );
    });
    assert.deepEqual(listAll(path.join(cache, 'cifar10')), []);
    assert.deepEqual(server.requests, ['/cifar10/cifar-10-binary.tar.gz']);
  } finally {
    await server.close();
  }
});

// Needs the real official files, which may only be read through BN_LAB_MNIST_DIR: serves them
// from 127.0.0.1 so the whole download path runs against the official checksums.
const realMnist = process.env.BN_LAB_MNIST_DIR;
test(
  'MNIST download end to end: the four official files download, verify and load',
  { skip: realMnist ? false : 'BN_LAB_MNIST_DIR not set' },
  async () => {
    const names = [...Object.values(MNIST_FILES.train), ...Object.values(MNIST_FILES.test)];
    const routes = Object.fromEntries(
      names.map((n) => [`/mnist/${n}`, bytesRoute(readFileSync(path.join(realMnist!, n)))]),
    );
    const server = await startServer(routes);
    const cache = tempDir();
    try {
      await withEnv(NO_DATA_ENV, async () => {
        const mnist = await loadMnist({
          cacheDir: cache,
          downloadBase: server.base,
          progress: false,
          trainCount: 1000,
          testCount: 500,
        });
        assert.deepEqual(mnist.train.images.shape, [1000, 32, 32, 1]);
        assert.deepEqual(listAll(path.join(cache, 'mnist')), [...names].sort());
      });
    } finally {
      await server.close();
    }
  },
);
