import { BackendInfo, describeBackend, initBackend } from '../backend/select';
import { BenchFamily, benchSpeedNote } from '../backend/speed';

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
