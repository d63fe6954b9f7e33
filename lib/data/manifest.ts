/** Name of the per-directory checksum manifest, in `sha256sum` format. */
export const MANIFEST = 'SHA256SUMS';

/**
 * Parses a `sha256sum` manifest into file name -> sha256. Both text (`hash  name`) and binary
 * (`hash *name`) lines are accepted, as sha256sum writes either. Shared by both hosts: a browser
 * also reads it as the folder's file list, since HTTP has no directory listing.
 */
export function parseManifest(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`Malformed ${MANIFEST} line: "${line}" (expected "<sha256>  <file name>").`);
    entries.set(normalizeName(m[2]), m[1].toLowerCase());
  }
  return entries;
}

/** A relative file name without `./` segments or doubled slashes (what path.normalize did, portably). */
function normalizeName(name: string): string {
  return name.split('/').filter((part, i, parts) => part !== '.' && (part !== '' || i === parts.length - 1)).join('/');
}

/** Formats manifest lines the way `sha256sum` does, so users can check them with `sha256sum -c`. */
export function formatManifest(entries: Iterable<[string, string]>): string {
  return [...entries].map(([name, hash]) => `${hash}  ${name}\n`).join('');
}
