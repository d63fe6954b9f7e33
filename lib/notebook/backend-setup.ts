import type { BackendInfo } from '../backend/select';
import type { BenchFamily } from '../backend/speed';
import { benchSpeedNote, describeBackend, initBackend } from '../host/dispatch';

/**
 * A notebook's backend set-up in one line: picks the backend (initBackend), prints which one and
 * why, and, given the notebook's model family, what speed `npm run bench` measured for it here.
 */
export async function setUpBackend(preferred: string, family?: BenchFamily): Promise<BackendInfo> {
  const info = await initBackend(preferred);
  console.log(describeBackend(info));
  if (family) console.log(benchSpeedNote(info, family));
  return info;
}
