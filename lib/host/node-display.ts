import type { Display } from 'tslab';
import type { DisplayHost, MimeBundle } from './types';

/**
 * Rich output through tslab. Outside a tslab kernel (tests, scripts, plain `node`) there is no
 * notebook, and callers fall back to text on stdout.
 */
type Tslab = typeof import('tslab');

let tslabModule: Tslab | null | undefined;

function tslab(): Tslab | null {
  if (tslabModule === undefined) {
    try {
      tslabModule = require('tslab') as Tslab;
    } catch {
      tslabModule = null;
    }
  }
  return tslabModule;
}

type WriteDisplayData = ((content: object, update: boolean) => void) & { session?: string };

function writeDisplayData(): WriteDisplayData | null {
  try {
    return (require('tslab/dist/jupyter').lastWriteDisplayData as WriteDisplayData | null) ?? null;
  } catch {
    return null;
  }
}

/** Display through tslab's kernel connection. */
export const nodeDisplay: DisplayHost = {
  inNotebook(): boolean {
    // tslab throws "Not ready" from display calls unless a kernel is connected; a probe with an
    // empty display id would emit output, so ask the same internal switch it checks instead.
    return tslab() != null && writeDisplayData() != null;
  },
  show(contentType: string, data: string | object): void {
    tslab()!.display.raw(contentType, data as string);
  },
  showBundle(data: MimeBundle, displayId?: string, update = false): boolean {
    // tslab's public display sends one MIME type per output; its writer takes whole bundles.
    const write = writeDisplayData();
    if (!write) return false;
    write({ data, metadata: {}, transient: displayId ? { display_id: displayId } : {} }, update);
    return true;
  },
  frontEndSession(): string | undefined {
    return writeDisplayData()?.session;
  },
  newLiveOutput() {
    if (!nodeDisplay.inNotebook()) return null;
    const d: Display = tslab()!.newDisplay();
    return { text: (s: string) => d.text(s), html: (s: string) => d.html(s) };
  },
};
