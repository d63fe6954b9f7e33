import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Checksums, checkDigests, rememberDigests } from './checksums';

/** Receives download progress; total is undefined when the server sends no Content-Length. */
export type DownloadProgress = (received: number, total: number | undefined) => void;

/** Options for downloadFile. */
export interface DownloadOptions {
  /** The checksum the bytes must have; the file is kept only if they match. */
  expected: Checksums;
  /** Progress on stderr: a redrawn bar on a TTY, a line per 10% otherwise. Default true. */
  progress?: boolean;
  onProgress?: DownloadProgress;
  /** Give up when no byte arrives for this long; default 60 s. */
  idleTimeoutMs?: number;
  /** Appended to error messages: what the user can do instead. */
  hint?: string;
  /** Where progress goes; stderr by default (tests pass their own). */
  stream?: NodeJS.WriteStream;
}

const MAX_REDIRECTS = 5;

function get(url: string, idleTimeoutMs: number, redirects = 0): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : null;
    if (!client) {
      reject(new Error(`unsupported URL protocol ${parsed.protocol} (only http and https)`));
      return;
    }
    let response: http.IncomingMessage | undefined;
    const req = client.get(parsed, { headers: { 'user-agent': 'bn-lab' } }, (res) => {
      response = res;
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) reject(new Error(`too many redirects (last: ${res.headers.location})`));
        else resolve(get(new URL(res.headers.location, url).toString(), idleTimeoutMs, redirects + 1));
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
        return;
      }
      resolve(res);
    });
    // The socket timeout covers the whole response, so a stalled transfer fails instead of hanging.
    req.setTimeout(idleTimeoutMs, () => {
      const err = new Error(`no data for ${idleTimeoutMs / 1000} s`);
      // Once the body is streaming, only destroying the response makes the reader see this reason.
      response?.destroy(err);
      req.destroy(err);
    });
    req.on('error', reject);
  });
}

function megabytes(n: number): string {
  return (n / 1e6).toFixed(n < 1e7 ? 2 : 1);
}

/**
 * Renders download progress: a bar redrawn in place on a terminal, or (in notebooks and logs,
 * where carriage returns pile up) one plain line per 10%.
 */
class ProgressPrinter {
  private lastDraw = 0;
  private lastStep = -1;
  private readonly started = Date.now();

  constructor(
    private readonly name: string,
    private readonly out: NodeJS.WriteStream,
    private readonly tty: boolean,
  ) {}

  update(received: number, total: number | undefined, done = false): void {
    const now = Date.now();
    if (this.tty) {
      if (!done && now - this.lastDraw < 100) return;
      this.lastDraw = now;
      const rate = received / Math.max(0.001, (now - this.started) / 1000);
      let bar = '';
      if (total) {
        const width = 30;
        const filled = Math.min(width, Math.floor((received / total) * width));
        bar =
          `[${'='.repeat(filled)}${filled < width ? '>' : ''}${' '.repeat(Math.max(0, width - filled - 1))}] ` +
          `${Math.floor((received / total) * 100)}% `;
      }
      const size = total ? `${megabytes(received)}/${megabytes(total)} MB` : `${megabytes(received)} MB`;
      this.out.write(`\r${this.name} ${bar}${size} ${megabytes(rate)} MB/s`);
      if (done) this.out.write('\n');
      return;
    }
    // Without a total, a line per 10 MB keeps logs short but shows the transfer is alive.
    const step = total ? Math.floor((received / total) * 10) : Math.floor(received / 1e7);
    if (step !== this.lastStep || done) {
      this.lastStep = step;
      const pct = total ? ` ${Math.floor((received / total) * 100)}%` : '';
      const size = total ? `${megabytes(received)} of ${megabytes(total)} MB` : `${megabytes(received)} MB`;
      this.out.write(`${done ? 'downloaded' : 'downloading'} ${this.name}:${pct} (${size})\n`);
    }
  }
}

/**
 * Downloads `url` to `dest` atomically: the bytes go to a temporary file beside `dest`, are hashed
 * on the way, and only a complete file with the expected checksum is renamed into place. Anything
 * else (HTTP error, short or stalled transfer, checksum mismatch) deletes the temporary file and
 * throws, so a partial download can never be mistaken for the real file.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<void> {
  const { expected, progress = true, idleTimeoutMs = 60_000, hint = '' } = options;
  if (!expected.md5 && !expected.sha256)
    throw new Error(`Refusing to download ${url}: no checksum to verify it against.`);
  const dir = path.dirname(dest);
  await mkdir(dir, { recursive: true });
  const tmp = path.join(dir, `.${path.basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);
  const out = options.stream ?? process.stderr;
  const printer = progress ? new ProgressPrinter(path.basename(dest), out, Boolean(out.isTTY)) : null;
  try {
    let received = 0;
    let total: number | undefined;
    const md5 = createHash('md5');
    const sha256 = createHash('sha256');
    try {
      const res = await get(url, idleTimeoutMs);
      const length = Number(res.headers['content-length']);
      total = Number.isFinite(length) && length >= 0 ? length : undefined;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          received += chunk.length;
          md5.update(chunk);
          sha256.update(chunk);
          options.onProgress?.(received, total);
          printer?.update(received, total);
          callback(null, chunk);
        },
      });
      await pipeline(res, meter, createWriteStream(tmp, { flags: 'wx' }));
    } catch (err) {
      throw new Error(`Download of ${url} failed after ${received} bytes: ${(err as Error).message}.`, { cause: err });
    }
    if (total !== undefined && received !== total) {
      throw new Error(`Download of ${url} is incomplete: got ${received} of ${total} bytes.`);
    }
    printer?.update(received, total, true);
    const digests = { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
    checkDigests(
      url,
      digests,
      { checksums: expected, source: 'the official checksum built into bn-lab' },
      `The download was discarded; run again to retry. If it keeps failing, the server may be serving a different file.`,
    );
    await rename(tmp, dest);
    await rememberDigests(dest, digests);
  } catch (err) {
    await rm(tmp, { force: true });
    const e = err as Error;
    e.message = `${e.message} Nothing was saved to ${dest}.${hint ? ' ' + hint : ''}`;
    throw e;
  }
}
