import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, writeFileSync, mkdirSync, copyFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import * as tar from 'tar';
import { ChecksumError, UnknownChecksumError, parseManifest } from '../../lib/data/checksums';
import { loadCifar10, CIFAR10_RECORD_BYTES, CIFAR10_CLASS_NAMES, extractCifar10Archive } from '../../lib/data/cifar10';
import { datasetFile } from '../../lib/data/files';
import { loadMnist, parseIdx, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from '../../lib/data/mnist';
import {
  copyFixture,
  fixture,
  isolateDataTests,
  NO_DATA_ENV,
  sha256,
  tempDir,
  withEnv,
  writeTrusted,
} from '../helpers/data';

isolateDataTests();

const MNIST_TRAIN = 200;
const MNIST_TEST = 100;
const CIFAR_TRAIN = 100;
const CIFAR_TEST = 50;
const small = { trainCount: MNIST_TRAIN, testCount: MNIST_TEST };

/** Smallest and largest element (spreading millions of values into Math.min overflows the stack). */
function valueRange(t: tf.Tensor): [number, number] {
  return [t.min().dataSync()[0], t.max().dataSync()[0]];
}

/** The fixture's IDX payload (header stripped) read independently of the loader. */
function rawIdx(file: string, headerBytes: number): Buffer {
  return gunzipSync(readFileSync(path.join(fixture('mnist'), file))).subarray(headerBytes);
}

test('MNIST fixtures: shapes, 0..1 range, zero padding, labels and pixels match the raw bytes', async () => {
  const mnist = await loadMnist({ dir: fixture('mnist'), ...small });
  assert.deepEqual(mnist.train.images.shape, [MNIST_TRAIN, 32, 32, 1]);
  assert.deepEqual(mnist.test.images.shape, [MNIST_TEST, 32, 32, 1]);
  assert.equal(mnist.size, 32);
  assert.equal(mnist.train.images.dtype, 'float32');
  assert.deepEqual(mnist.train.labels.shape, [MNIST_TRAIN]);
  // The first labels of the official files, as every MNIST tutorial prints them.
  assert.deepEqual(Array.from(mnist.train.labelBytes.slice(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.deepEqual(Array.from(mnist.test.labels.dataSync().slice(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  assert.deepEqual(Array.from(mnist.test.labelBytes), Array.from(rawIdx('t10k-labels-idx1-ubyte.gz', 8)));

  const images = mnist.train.images.dataSync();
  assert.deepEqual(valueRange(mnist.train.images), [0, 1]);
  const raw = rawIdx('train-images-idx3-ubyte.gz', 16);
  for (const [i, r, c] of [
    [0, 14, 14],
    [3, 10, 20],
    [199, 20, 7],
  ]) {
    assert.ok(Math.abs(images[(i * 32 + r + 2) * 32 + c + 2] - raw[(i * 28 + r) * 28 + c] / 255) < 1e-7);
  }
  const border = tf.tidy(() => {
    const x = mnist.train.images;
    return [
      x.slice([0, 0, 0, 0], [-1, 2, -1, -1]),
      x.slice([0, 30, 0, 0], [-1, 2, -1, -1]),
      x.slice([0, 0, 0, 0], [-1, -1, 2, -1]),
      x.slice([0, 0, 30, 0], [-1, -1, 2, -1]),
    ].map((t) => t.abs().sum().dataSync()[0]);
  });
  assert.deepEqual(border, [0, 0, 0, 0]);
  assert.deepEqual(Array.from(mnist.train.pixels.subarray(0, 784)), Array.from(raw.subarray(0, 784)));
  tf.dispose([mnist.train.images, mnist.train.labels, mnist.test.images, mnist.test.labels]);
});

test('MNIST: keeps the first N like x_train[:N]; pad 0 and scale false give raw 28x28 values', async () => {
  const mnist = await loadMnist({ dir: fixture('mnist'), trainCount: 5, testCount: 3, pad: 0, scale: false });
  assert.deepEqual(mnist.train.images.shape, [5, 28, 28, 1]);
  assert.deepEqual(mnist.test.images.shape, [3, 28, 28, 1]);
  assert.equal(mnist.train.images.max().dataSync()[0], 255);
  assert.deepEqual(Array.from(mnist.train.labelBytes), [5, 0, 4, 1, 9]);
  assert.deepEqual(
    Array.from(mnist.train.images.dataSync()),
    Array.from(rawIdx('train-images-idx3-ubyte.gz', 16).subarray(0, 5 * 784)),
  );
});

test('MNIST: asking for more samples than the files hold says how many exist', async () => {
  await assert.rejects(
    loadMnist({ dir: fixture('mnist') }),
    /asked for 60000 train images, but .*train-images-idx3-ubyte\.gz holds only 200/,
  );
  await assert.rejects(
    loadMnist({ dir: fixture('mnist'), trainCount: 10, testCount: 101 }),
    /asked for 101 test images, but .* holds only 100/,
  );
  await assert.rejects(
    loadMnist({ dir: fixture('mnist'), trainCount: -1 }),
    /trainCount must be a non-negative integer/,
  );
});

test('a flipped byte is rejected with a checksum error naming the file and both hashes', async () => {
  const dir = copyFixture('mnist');
  const file = path.join(dir, 'train-labels-idx1-ubyte.gz');
  const bytes = readFileSync(file);
  const expected = sha256(bytes);
  bytes[bytes.length - 3] ^= 0x01;
  writeFileSync(file, bytes);
  const err = await loadMnist({ dir, ...small }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChecksumError, `expected ChecksumError, got ${err}`);
  assert.equal(err.file, file);
  assert.equal(err.algorithm, 'sha256');
  assert.equal(err.expected, expected);
  assert.equal(err.actual, sha256(bytes));
  assert.match(
    err.message,
    new RegExp(
      `Checksum mismatch for ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: expected sha256 ${expected}.*got ${sha256(bytes)}`,
    ),
  );
  assert.match(err.message, /SHA256SUMS/);
  assert.match(err.message, /the `dir` option/);
});

test('official file names without a manifest are checked against the built-in official checksums', async () => {
  const dir = copyFixture('mnist');
  // Without SHA256SUMS the 200-image cut is judged as the official file, which it is not.
  writeFileSync(path.join(dir, 'SHA256SUMS'), '');
  const err = await loadMnist({ dir, ...small }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChecksumError);
  assert.equal(err.expected, '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609');
  assert.match(err.message, /official checksum built into bn-lab/);
});

test('a file nobody vouches for is an error, and a malformed manifest is reported', async () => {
  const dir = tempDir();
  copyFileSync(path.join(fixture('cifar10'), 'train_0000-0099.bin'), path.join(dir, 'train_0000-0099.bin'));
  copyFileSync(path.join(fixture('cifar10'), 'test_0000-0049.bin'), path.join(dir, 'test_0000-0049.bin'));
  const err = await loadCifar10({ dir, trainCount: 1, testCount: 1 }).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(err instanceof UnknownChecksumError, `got ${err}`);
  assert.match(
    err.message,
    /No known checksum for .*train_0000-0099\.bin.*sha256sum train_0000-0099\.bin >> SHA256SUMS/,
  );
  writeFileSync(path.join(dir, 'SHA256SUMS'), 'not a checksum line\n');
  await assert.rejects(loadCifar10({ dir, trainCount: 1, testCount: 1 }), /SHA256SUMS: Malformed SHA256SUMS line/);
  assert.deepEqual(
    [...parseManifest(`${'a'.repeat(64)} *x.bin\n# comment\n${'B'.repeat(64)}  ./y z.bin\n`)],
    [
      ['x.bin', 'a'.repeat(64)],
      ['y z.bin', 'b'.repeat(64)],
    ],
  );
});

function idxBytes(magic: number, dims: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

test('IDX parsing: truncated data, wrong magic, trailing bytes and broken gzip give clear errors', async () => {
  assert.throws(
    () => parseIdx(idxBytes(IDX_IMAGES_MAGIC, [10, 28, 28], new Uint8Array(5 * 784)), IDX_IMAGES_MAGIC, 'x.idx'),
    /x\.idx is truncated: its header promises 10×28×28 = 7840 bytes of data, but only 3920 follow/,
  );
  assert.throws(
    () => parseIdx(idxBytes(IDX_LABELS_MAGIC, [3], new Uint8Array(3)), IDX_IMAGES_MAGIC, 'y.idx'),
    /y\.idx has the wrong magic number 2049 .*starts with 2051/,
  );
  assert.throws(
    () => parseIdx(idxBytes(IDX_LABELS_MAGIC, [3], new Uint8Array(4)), IDX_LABELS_MAGIC, 'z.idx'),
    /1 unexpected bytes/,
  );
  assert.throws(() => parseIdx(new Uint8Array([0, 0]), IDX_LABELS_MAGIC, 'w.idx'), /w\.idx is truncated/);

  const labels = readFileSync(path.join(fixture('mnist'), 'train-labels-idx1-ubyte.gz'));
  const testFiles = {
    't10k-images-idx3-ubyte.gz': readFileSync(path.join(fixture('mnist'), 't10k-images-idx3-ubyte.gz')),
    't10k-labels-idx1-ubyte.gz': readFileSync(path.join(fixture('mnist'), 't10k-labels-idx1-ubyte.gz')),
  };
  // Each case is vouched for by SHA256SUMS, so the parser (not the checksum) must catch it.
  const cases: [string, Buffer, RegExp][] = [
    [
      'truncated IDX',
      gzipSync(idxBytes(IDX_IMAGES_MAGIC, [200, 28, 28], new Uint8Array(100 * 784))),
      /is truncated: its header promises 200×28×28/,
    ],
    ['wrong magic', gzipSync(idxBytes(IDX_LABELS_MAGIC, [200], new Uint8Array(200))), /wrong magic number 2049/],
    [
      'cut gzip',
      readFileSync(path.join(fixture('mnist'), 'train-images-idx3-ubyte.gz')).subarray(0, 10000),
      /cannot gunzip it .*truncated or not gzip data/,
    ],
    ['not gzip', Buffer.from('plain text, not gzip'), /cannot gunzip it/],
  ];
  for (const [what, images, pattern] of cases) {
    const dir = tempDir();
    await writeTrusted(dir, {
      'train-images-idx3-ubyte.gz': images,
      'train-labels-idx1-ubyte.gz': labels,
      ...testFiles,
    });
    await assert.rejects(loadMnist({ dir, ...small }), pattern, what);
  }
  const dir = tempDir();
  await writeTrusted(dir, {
    'train-images-idx3-ubyte.gz': gzipSync(idxBytes(IDX_IMAGES_MAGIC, [199, 28, 28], new Uint8Array(199 * 784))),
    'train-labels-idx1-ubyte.gz': labels,
    ...testFiles,
  });
  await assert.rejects(loadMnist({ dir, trainCount: 1, testCount: 1 }), /holds 199 images but .* holds 200 labels/);
});

test('precedence: the dir option beats BN_LAB_MNIST_DIR, which beats the cache; a named dir never falls through', async () => {
  const broken = copyFixture('mnist');
  writeFileSync(path.join(broken, 'train-images-idx3-ubyte.gz'), 'garbage');
  const cache = tempDir();
  await withEnv({ ...NO_DATA_ENV, BN_LAB_MNIST_DIR: broken, BN_LAB_CACHE_DIR: cache }, async () => {
    // dir wins over the (broken) environment directory.
    const mnist = await loadMnist({ dir: fixture('mnist'), trainCount: 2, testCount: 2 });
    assert.deepEqual(Array.from(mnist.train.labelBytes), [5, 0]);
    // Without dir, the environment directory is used, and its broken file is reported.
    await assert.rejects(
      loadMnist({ trainCount: 2, testCount: 2 }),
      (e: Error) => e instanceof ChecksumError && e.message.includes(broken) && e.message.includes('BN_LAB_MNIST_DIR'),
    );
  });
  const empty = tempDir();
  await withEnv({ ...NO_DATA_ENV, BN_LAB_MNIST_DIR: empty, BN_LAB_CACHE_DIR: cache }, async () => {
    await assert.rejects(
      loadMnist({ trainCount: 2, testCount: 2 }),
      /MNIST: train-images-idx3-ubyte\.gz not found in .* \(from BN_LAB_MNIST_DIR\).*unset BN_LAB_MNIST_DIR/,
    );
  });
  assert.deepEqual(readdirSync(cache), [], 'nothing was downloaded into the cache');
});

test('cache step: files in <cache>/mnist are used; with downloads off a missing file is an error', async () => {
  const cache = tempDir();
  mkdirSync(path.join(cache, 'mnist'));
  await withEnv(NO_DATA_ENV, async () => {
    await assert.rejects(
      loadMnist({ cacheDir: cache, download: false, trainCount: 2, testCount: 2 }),
      /train-images-idx3-ubyte\.gz is not in .*mnist and downloads are off.*BN_LAB_MNIST_DIR/,
    );
    for (const f of readdirSync(fixture('mnist')))
      copyFileSync(path.join(fixture('mnist'), f), path.join(cache, 'mnist', f));
    const mnist = await loadMnist({ cacheDir: cache, download: false, trainCount: 3, testCount: 3 });
    assert.deepEqual(Array.from(mnist.test.labelBytes), [7, 2, 1]);
    await withEnv({ BN_LAB_CACHE_DIR: cache }, async () => {
      assert.equal(
        await datasetFile('mnist', 't10k-labels-idx1-ubyte.gz', { download: false }),
        path.join(cache, 'mnist', 't10k-labels-idx1-ubyte.gz'),
      );
    });
  });
});

test('CIFAR-10 fixtures: NHWC layout from R,G,B planes, 0..1 range, labels and class names', async () => {
  const cifar = await loadCifar10({ dir: fixture('cifar10'), trainCount: CIFAR_TRAIN, testCount: CIFAR_TEST });
  assert.deepEqual(cifar.train.images.shape, [CIFAR_TRAIN, 32, 32, 3]);
  assert.deepEqual(cifar.test.images.shape, [CIFAR_TEST, 32, 32, 3]);
  assert.deepEqual(cifar.classNames, [...CIFAR10_CLASS_NAMES]);
  const raw = readFileSync(path.join(fixture('cifar10'), 'train_0000-0099.bin'));
  const labels = Array.from({ length: CIFAR_TRAIN }, (_, i) => raw[i * CIFAR10_RECORD_BYTES]);
  assert.deepEqual(Array.from(cifar.train.labelBytes), labels);
  assert.deepEqual(Array.from(cifar.train.labels.dataSync()), labels);
  // The first training labels of the official data_batch_1 (frog, truck, truck, deer, automobile).
  assert.deepEqual(labels.slice(0, 5), [6, 9, 9, 4, 1]);
  const x = cifar.train.images.dataSync();
  const [lo, hi] = valueRange(cifar.train.images);
  assert.ok(lo >= 0 && hi <= 1 && hi > 0.9, `range ${lo}..${hi}`);
  for (const [i, r, c, ch] of [
    [0, 0, 0, 0],
    [0, 5, 17, 1],
    [42, 31, 31, 2],
    [99, 16, 3, 0],
  ]) {
    const expected = raw[i * CIFAR10_RECORD_BYTES + 1 + ch * 1024 + r * 32 + c] / 255;
    assert.ok(Math.abs(x[((i * 32 + r) * 32 + c) * 3 + ch] - expected) < 1e-7, `pixel ${[i, r, c, ch]}`);
  }
  const unscaled = await loadCifar10({ dir: fixture('cifar10'), trainCount: 1, testCount: 1, scale: false });
  assert.equal(unscaled.train.images.dataSync()[0], raw[1]);
});

test('CIFAR-10: asking for more than the files hold says how many exist and where the full set comes from', async () => {
  await assert.rejects(
    loadCifar10({ dir: fixture('cifar10'), trainCount: CIFAR_TRAIN + 1, testCount: 1 }),
    (e: Error) => {
      assert.match(e.message, /asked for 101 training images, but .* holds only 100 \(train_0000-0099\.bin\)/);
      assert.match(e.message, /50,000 training and 10,000 test images/);
      assert.match(e.message, /https:\/\/www\.cs\.toronto\.edu\/~kriz\/cifar-10-binary\.tar\.gz/);
      return true;
    },
  );
  await withEnv({ ...NO_DATA_ENV, BN_LAB_CIFAR10_DIR: fixture('cifar10') }, async () => {
    await assert.rejects(
      loadCifar10({ trainCount: 1 }),
      /asked for 10000 test images, but .* holds only 50.*BN_LAB_CIFAR10_DIR points at/,
    );
  });
});

test('CIFAR-10: a named folder without CIFAR files says what it expected and never downloads', async () => {
  const empty = tempDir();
  const cache = tempDir();
  await withEnv({ ...NO_DATA_ENV, BN_LAB_CIFAR10_DIR: empty, BN_LAB_CACHE_DIR: cache }, async () => {
    await assert.rejects(
      loadCifar10({ trainCount: 1, testCount: 1 }),
      /no CIFAR-10 files in .* \(from BN_LAB_CIFAR10_DIR\)\. Expected cifar-10-batches-bin\/.*train_\*\.bin.*cifar-10-binary\.tar\.gz/,
    );
  });
  assert.deepEqual(readdirSync(cache), []);
});

test('CIFAR-10: a record file that is not whole records is rejected', async () => {
  const dir = tempDir();
  const raw = readFileSync(path.join(fixture('cifar10'), 'train_0000-0099.bin'));
  await writeTrusted(dir, {
    'train_0.bin': raw.subarray(0, 10 * CIFAR10_RECORD_BYTES - 7),
    'test_0.bin': raw.subarray(0, CIFAR10_RECORD_BYTES),
  });
  await assert.rejects(
    loadCifar10({ dir, trainCount: 1, testCount: 1 }),
    /train_0\.bin is truncated or not a CIFAR-10 binary file: 30723 bytes/,
  );
});

/** The fixture records laid out like the official archive: 20 training records per batch. */
async function officialLayout(root: string): Promise<void> {
  const batches = path.join(root, 'cifar-10-batches-bin');
  mkdirSync(batches, { recursive: true });
  const train = readFileSync(path.join(fixture('cifar10'), 'train_0000-0099.bin'));
  const per = 20 * CIFAR10_RECORD_BYTES;
  for (let b = 0; b < 5; b++)
    writeFileSync(path.join(batches, `data_batch_${b + 1}.bin`), train.subarray(b * per, (b + 1) * per));
  copyFileSync(path.join(fixture('cifar10'), 'test_0000-0049.bin'), path.join(batches, 'test_batch.bin'));
  copyFileSync(path.join(fixture('cifar10'), 'batches.meta.txt'), path.join(batches, 'batches.meta.txt'));
}

test('CIFAR-10 official layout: batches 1..5 read in order; unverifiable batches point to the archive', async () => {
  const dir = tempDir();
  await officialLayout(dir);
  await assert.rejects(
    loadCifar10({ dir, trainCount: 10, testCount: 10 }),
    (e: Error) =>
      e instanceof UnknownChecksumError &&
      /data_batch_1\.bin/.test(e.message) &&
      /cifar-10-binary\.tar\.gz/.test(e.message),
  );
  const batches = path.join(dir, 'cifar-10-batches-bin');
  const names = readdirSync(batches);
  writeFileSync(
    path.join(batches, 'SHA256SUMS'),
    names.map((n) => `${sha256(readFileSync(path.join(batches, n)))}  ${n}\n`).join(''),
  );
  const cifar = await loadCifar10({ dir, trainCount: 100, testCount: 50 });
  const fromFixture = await loadCifar10({ dir: fixture('cifar10'), trainCount: 100, testCount: 50 });
  assert.deepEqual(cifar.train.labelBytes, fromFixture.train.labelBytes);
  assert.ok(cifar.train.images.equal(fromFixture.train.images).all().dataSync()[0]);
  assert.equal(cifar.dir, batches);
});

test('CIFAR-10 archive: unpacked once with a SHA256SUMS for the batches; a wrong archive leaves nothing', async () => {
  const build = tempDir();
  await officialLayout(build);
  const dir = tempDir();
  const archive = path.join(dir, 'cifar-10-binary.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: build }, ['cifar-10-batches-bin']);
  // A manifest beside the archive vouches for this small stand-in, as the official md5 would for the real one.
  writeFileSync(path.join(dir, 'SHA256SUMS'), `${sha256(readFileSync(archive))}  cifar-10-binary.tar.gz\n`);
  const cifar = await loadCifar10({ dir, trainCount: 100, testCount: 50 });
  assert.deepEqual(cifar.train.images.shape, [100, 32, 32, 3]);
  const manifest = parseManifest(readFileSync(path.join(dir, 'cifar-10-batches-bin', 'SHA256SUMS'), 'utf8'));
  assert.deepEqual([...manifest.keys()].sort(), [
    'batches.meta.txt',
    'data_batch_1.bin',
    'data_batch_2.bin',
    'data_batch_3.bin',
    'data_batch_4.bin',
    'data_batch_5.bin',
    'test_batch.bin',
  ]);
  assert.deepEqual(
    readdirSync(dir).sort(),
    ['SHA256SUMS', 'cifar-10-batches-bin', 'cifar-10-binary.tar.gz'],
    'no temporary folder left',
  );

  const bad = tempDir();
  writeFileSync(path.join(bad, 'cifar-10-binary.tar.gz'), gzipSync(Buffer.from('not the archive')));
  await assert.rejects(
    extractCifar10Archive(path.join(bad, 'cifar-10-binary.tar.gz'), bad),
    (e: Error) =>
      e instanceof ChecksumError && e.algorithm === 'md5' && e.expected === 'c32a1d4ab5d03f1284b67883e8d87530',
  );
  assert.deepEqual(readdirSync(bad), ['cifar-10-binary.tar.gz']);
  assert.equal(existsSync(path.join(bad, 'cifar-10-batches-bin')), false);
});

// The real datasets are read only through the same environment variables a user sets; without
// them these tests skip and the fixtures above still cover the loaders.
const realMnist = process.env.BN_LAB_MNIST_DIR;
test(
  'real MNIST (BN_LAB_MNIST_DIR): official files verify, 60,000/10,000 images, fixtures are its first rows',
  { skip: realMnist ? false : 'BN_LAB_MNIST_DIR not set' },
  async () => {
    const mnist = await loadMnist();
    assert.deepEqual(mnist.train.images.shape, [60000, 32, 32, 1]);
    assert.deepEqual(mnist.test.images.shape, [10000, 32, 32, 1]);
    const counts = new Array(10).fill(0);
    for (const l of mnist.train.labelBytes) counts[l]++;
    assert.deepEqual(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    const fixtureData = await loadMnist({ dir: fixture('mnist'), ...small });
    assert.deepEqual(mnist.train.pixels.subarray(0, MNIST_TRAIN * 784), fixtureData.train.pixels);
    assert.deepEqual(mnist.test.labelBytes.subarray(0, MNIST_TEST), fixtureData.test.labelBytes);
    tf.dispose([mnist.train.images, mnist.train.labels, mnist.test.images, mnist.test.labels]);
  },
);

const realCifar = process.env.BN_LAB_CIFAR10_DIR;
test(
  'real CIFAR-10 (BN_LAB_CIFAR10_DIR): every record it holds loads; one more is refused',
  { skip: realCifar ? false : 'BN_LAB_CIFAR10_DIR not set' },
  async () => {
    const probe = await loadCifar10({ trainCount: 0, testCount: 0 });
    const sizes = (split: 'train' | 'test') =>
      readdirSync(probe.dir)
        .filter((f) => (split === 'train' ? /^(train.*|data_batch_\d)\.bin$/ : /^test.*\.bin$/).test(f))
        .reduce((n, f) => n + readFileSync(path.join(probe.dir, f)).length / CIFAR10_RECORD_BYTES, 0);
    const nTrain = sizes('train');
    const nTest = sizes('test');
    const cifar = await loadCifar10({ trainCount: nTrain, testCount: nTest });
    assert.deepEqual(cifar.train.images.shape, [nTrain, 32, 32, 3]);
    const fixtureData = await loadCifar10({ dir: fixture('cifar10'), trainCount: CIFAR_TRAIN, testCount: CIFAR_TEST });
    assert.deepEqual(cifar.train.labelBytes.subarray(0, CIFAR_TRAIN), fixtureData.train.labelBytes);
    assert.ok(cifar.test.images.slice(0, CIFAR_TEST).equal(fixtureData.test.images).all().dataSync()[0]);
    if (nTrain < 50000) {
      await assert.rejects(
        loadCifar10({ trainCount: nTrain + 1, testCount: 1 }),
        new RegExp(`holds only ${nTrain}.*BN_LAB_CIFAR10_DIR`),
      );
    }
  },
);
