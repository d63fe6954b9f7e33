/** Scores of an executed submission, read from the instructor's check cells, and why a run stopped. */
import { Cell, Notebook, Output } from '../runner/notebook';
import { SCRAP_MIME } from '../notebook/record';
import { Master } from './assemble';
import { CheckOutcome, checkRecordName } from './check';
import { isCheckCell } from './format';

/** One check's score in the gradebook. */
export interface CheckScore {
  id: string;
  points: number;
  max: number;
  passed: boolean;
  message: string;
}

/**
 * A failed cell's error in one line. tslab writes both type errors ("2:14 - Cannot find name 'y'.")
 * and uncaught exceptions (source line, caret, "Error: …", stack) to stderr; runtime errors from
 * other kernels come as error outputs.
 */
function errorOf(cell: Cell): string | null {
  const outputs = cell.outputs ?? [];
  const err = outputs.find((o: Output) => o.output_type === 'error');
  if (err) return `${err.ename ?? 'Error'}: ${(err.evalue ?? '').split('\n')[0].trim()}`;
  const lines = outputs
    .filter((o) => o.output_type === 'stream' && o.name === 'stderr')
    .flatMap((o) => (Array.isArray(o.text) ? o.text.join('') : (o.text ?? '')).split('\n'))
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length === 0) return null;
  return lines.find((l) => /^([A-Z]\w*)?(Error|Exception)\b/.test(l)) ?? lines.slice(0, 3).join(' ');
}

/** A cell as the gradebook names it: its number among the code cells and its id. */
export function cellLabel(nb: Notebook, cell: Cell): string {
  const code = nb.cells.filter((c) => c.cell_type === 'code' && !c.metadata?.tags?.includes('injected-parameters'));
  const n = code.indexOf(cell) + 1;
  return `${n}번째 코드 셀${cell.id ? `(${cell.id})` : ''}`;
}

/** Why an executed notebook stopped, from its papermill metadata: the failing cell and its error. */
export function stopReason(nb: Notebook, kernelDied = false): string | null {
  if (nb.metadata?.papermill?.exception !== true) return null;
  const pm = (c: Cell) => (c.metadata?.papermill ?? {}) as { exception?: boolean; status?: string };
  const failed = nb.cells.find((c) => pm(c).exception || pm(c).status === 'failed');
  if (!failed) return '실행이 중간에 멈췄습니다.';
  const what = isCheckCell(failed)
    ? `검사 셀(${(failed.metadata.check as { id?: string })?.id ?? failed.id})`
    : cellLabel(nb, failed);
  if (kernelDied) return `${what}을 실행하는 중에 커널이 죽었습니다(메모리 한도를 넘었을 수 있습니다).`;
  const error = errorOf(failed);
  return `${what}에서 오류가 나 실행이 멈췄습니다${error ? `: ${error}` : '.'}`;
}

/** Scores every instructor check from the executed notebook: only the check cells' own records count. */
export function scoreChecks(master: Master, executed: Notebook | null, reason: string | null): CheckScore[] {
  return master.checks.map((spec) => {
    const zero = (message: string): CheckScore => ({
      id: spec.id,
      points: 0,
      max: spec.points,
      passed: false,
      message,
    });
    const cell = executed?.cells.find((c) => (c.metadata?.check as { id?: string } | undefined)?.id === spec.id);
    if (!cell) return zero(reason ?? '실행 결과가 없습니다.');
    const status = (cell.metadata?.papermill as { status?: string } | undefined)?.status;
    if (status !== 'completed') {
      const own = status === 'failed' ? errorOf(cell) : null;
      return zero(
        own ? `검사 셀이 실행되지 못했습니다: ${own}` : `실행되지 않음: ${reason ?? '앞에서 실행이 멈췄습니다.'}`,
      );
    }
    const name = checkRecordName(spec.id);
    let outcome: CheckOutcome | null = null;
    for (const out of cell.outputs ?? []) {
      const scrap = out.data?.[SCRAP_MIME];
      if (!scrap) continue;
      const payload = (typeof scrap === 'string' ? JSON.parse(scrap) : scrap) as { name: string; data: CheckOutcome };
      if (payload.name === name) outcome = payload.data;
    }
    if (!outcome) return zero('검사 결과가 기록되지 않았습니다.');
    // Points come from the instructor's metadata, not from what ran in the student's kernel.
    return {
      id: spec.id,
      points: outcome.passed === true ? spec.points : 0,
      max: spec.points,
      passed: outcome.passed === true,
      message: String(outcome.message ?? ''),
    };
  });
}
