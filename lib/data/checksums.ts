import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { MANIFEST, parseManifest } from './manifest';

export { MANIFEST, parseManifest, formatManifest } from './manifest';

/** Known digests of one file (lowercase hex); a file is trusted only if one of them is known. */
export interface Checksums {
  md5?: string;
  sha256?: string;
}

/** md5 and sha256 of a file's bytes. */
export interface FileDigests {
  md5: string;
  sha256: string;
}

const digestCache = new Map<string, Promise<FileDigests>>();

async function digestKey(file: string): Promise<string> {
  const s = await stat(file);
  // ctime changes on every write, so an in-place edit of the same size is hashed again too.
  return `${path.resolve(file)}\0${s.size}\0${s.mtimeMs}\0${s.ctimeMs}\0${s.ino}`;
}

/**
 * md5 and sha256 of a file, computed in one pass and remembered per path, size and modification time, so a
 * notebook that reloads MNIST ten times hashes it once while an edited file is hashed again.
 */
export async function fileDigests(file: string): Promise<FileDigests> {
  const key = await digestKey(file);
  let pending = digestCache.get(key);
  if (!pending) {
    pending = new Promise<FileDigests>((resolve, reject) => {
      const md5 = createHash('md5');
      const sha256 = createHash('sha256');
      createReadStream(file)
        .on('data', (chunk) => {
          md5.update(chunk);
          sha256.update(chunk);
        })
        .on('error', reject)
        .on('end', () => resolve({ md5: md5.digest('hex'), sha256: sha256.digest('hex') }));
    });
    digestCache.set(key, pending);
    pending.catch(() => digestCache.delete(key));
  }
  return pending;
}

/** Records digests computed elsewhere (while downloading), so the fresh file is not read again. */
export async function rememberDigests(file: string, digests: FileDigests): Promise<void> {
  digestCache.set(await digestKey(file), Promise.resolve(digests));
}

/** Where a file's expected checksum came from. */
export interface ExpectedChecksums {
  checksums: Checksums;
  source: string;
}

/**
 * The checksum a file must have: its directory's SHA256SUMS entry if it lists the file (that is
 * how subsets and fixtures with official names verify), else the official one passed in.
 */
export async function expectedChecksums(file: string, official?: Checksums): Promise<ExpectedChecksums | null> {
  const manifestPath = path.join(path.dirname(file), MANIFEST);
  let text: string | null = null;
  try {
    text = await readFile(manifestPath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    let entries: Map<string, string>;
    try {
      entries = parseManifest(text);
    } catch (err) {
      throw new Error(`${manifestPath}: ${(err as Error).message}`, { cause: err });
    }
    const sha256 = entries.get(path.basename(file));
    if (sha256) return { checksums: { sha256 }, source: manifestPath };
  }
  if (official && (official.md5 || official.sha256)) {
    return { checksums: { md5: official.md5, sha256: official.sha256 }, source: 'the official checksum built into bn-lab' };
  }
  return null;
}

/** A file whose bytes do not match its known checksum. */
export class ChecksumError extends Error {
  /**
   * @param file the offending file
   * @param algorithm which digest differed
   * @param expected the known digest
   * @param actual the file's digest
   */
  constructor(
    readonly file: string,
    readonly algorithm: 'md5' | 'sha256',
    readonly expected: string,
    readonly actual: string,
    source: string,
    advice: string,
  ) {
    super(`Checksum mismatch for ${file}: expected ${algorithm} ${expected} (from ${source}), got ${actual}. ${advice}`);
    this.name = 'ChecksumError';
  }
}

/** A file for which no checksum is known, so it cannot be trusted. */
export class UnknownChecksumError extends Error {
  /** @param file the file nobody vouches for */
  constructor(readonly file: string, advice = '') {
    const name = path.basename(file);
    super(
      `No known checksum for ${file}: it is not an official dataset file bn-lab knows, and ` +
        `${path.join(path.dirname(file), MANIFEST)} does not list it. If you trust this file, record its checksum: ` +
        `(cd ${JSON.stringify(path.dirname(file))} && sha256sum ${name} >> ${MANIFEST}).${advice ? ' ' + advice : ''}`,
    );
    this.name = 'UnknownChecksumError';
  }
}

/** Compares digests with expectations; the first mismatch (sha256 before md5) becomes a ChecksumError. */
export function checkDigests(file: string, actual: FileDigests, expected: ExpectedChecksums, advice: string): void {
  for (const algorithm of ['sha256', 'md5'] as const) {
    const want = expected.checksums[algorithm]?.toLowerCase();
    if (want && want !== actual[algorithm]) {
      throw new ChecksumError(file, algorithm, want, actual[algorithm], expected.source, advice);
    }
  }
}

/**
 * Checks a file against its known checksum (its directory's SHA256SUMS, else `official`) before
 * anything reads it. `advice` ends the error message: what the user should do about it.
 */
export async function verifyFile(file: string, official?: Checksums, advice = ''): Promise<void> {
  const expected = await expectedChecksums(file, official);
  if (!expected) throw new UnknownChecksumError(file, advice);
  checkDigests(file, await fileDigests(file), expected, advice);
}

/**
 * Reads a whole file after checking it like verifyFile, hashing the bytes already in memory so a
 * loader reads each file once.
 */
export async function readVerified(file: string, official?: Checksums, advice = ''): Promise<Buffer> {
  const expected = await expectedChecksums(file, official);
  if (!expected) throw new UnknownChecksumError(file, advice);
  const key = await digestKey(file);
  const bytes = await readFile(file);
  let digests = await digestCache.get(key);
  if (!digests) {
    digests = {
      md5: createHash('md5').update(bytes).digest('hex'),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
    digestCache.set(key, Promise.resolve(digests));
  }
  checkDigests(file, digests, expected, advice);
  return bytes;
}
