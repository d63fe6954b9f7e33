/** Scores of an executed submission, read from the instructor's check cells, and why a run stopped. */
import { Cell, Notebook, Output } from '../runner/notebook';
import { SCRAP_MIME } from '../notebook/record';
import { Master } from './assemble';
import { CheckOutcome, checkRecordName } from './check';
import { isCheckCell } from './format';
import { GUARD_TAG, verifyOutcome } from './guard';

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
  const code = nb.cells.filter(
    (c) =>
      c.cell_type === 'code' &&
      !c.metadata?.tags?.includes('injected-parameters') &&
      !c.metadata?.tags?.includes(GUARD_TAG),
  );
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
  if (kernelDied) {
    const code = (nb.metadata?.bn_lab as { kernel_exit?: number | null } | undefined)?.kernel_exit;
    // Node exits with 134 (or SIGABRT, -6) when the heap limit is reached; any other code is the kernel's own exit.
    if (typeof code === 'number' && code !== 134 && code !== -6 && code !== -9)
      return `${what}을 실행하는 중에 커널이 스스로 종료했습니다(종료 코드 ${code}).`;
    return `${what}을 실행하는 중에 커널이 죽었습니다(메모리 한도를 넘었을 수 있습니다${typeof code === 'number' ? `, 종료 코드 ${code}` : ''}).`;
  }
  const error = errorOf(failed);
  return `${what}에서 오류가 나 실행이 멈췄습니다${error ? `: ${error}` : '.'}`;
}

interface Found {
  cell: Cell;
  outcome: CheckOutcome;
  valid: boolean;
}

/** Every check outcome recorded anywhere in the notebook, with whether its signature holds under `key`. */
function recordedOutcomes(executed: Notebook | null, key: Buffer | undefined): Found[] {
  const found: Found[] = [];
  for (const cell of executed?.cells ?? [])
    for (const out of cell.outputs ?? []) {
      const scrap = out.data?.[SCRAP_MIME];
      if (!scrap) continue;
      let payload: { name?: unknown; data?: CheckOutcome };
      try {
        payload = (typeof scrap === 'string' ? JSON.parse(scrap) : scrap) as typeof payload;
      } catch {
        continue;
      }
      if (typeof payload.name !== 'string' || !payload.name.startsWith('check:') || !payload.data) continue;
      const o = payload.data;
      const valid =
        key !== undefined &&
        o.id === payload.name.slice('check:'.length) &&
        Array.isArray(o.tampered) &&
        typeof o.seq === 'number' &&
        verifyOutcome(key, { id: o.id, passed: o.passed, message: o.message, seq: o.seq, tampered: o.tampered }, o.mac);
      found.push({ cell, outcome: o, valid });
    }
  return found;
}

/**
 * What the signed outcomes show about tampering, for the gradebook: outcomes whose signature does
 * not hold (printed or edited), checks run outside their cell, replayed outcomes, and what the
 * guard saw changed (patched helpers or built-ins). Empty without a key (nothing to verify against).
 */
export function outcomeFlags(master: Master, executed: Notebook | null, key: Buffer | undefined): string[] {
  if (!key || !executed) return [];
  const flags: string[] = [];
  const found = recordedOutcomes(executed, key);
  const forged = found.filter((f) => !f.valid);
  if (forged.length)
    flags.push(
      `서명이 맞지 않는 검사 결과(위조)를 무시함: ${[...new Set(forged.map((f) => f.outcome?.id ?? '?'))].join(', ')}`,
    );
  const valid = found.filter((f) => f.valid);
  const outside = valid.filter(
    (f) => (f.cell.metadata?.check as { id?: string } | undefined)?.id !== f.outcome.id || !isCheckCell(f.cell),
  );
  if (outside.length)
    flags.push(`검사를 검사 셀 밖에서 불렀음: ${[...new Set(outside.map((f) => f.outcome.id))].join(', ')}`);
  const seqs = valid.map((f) => f.outcome.seq);
  if (new Set(seqs).size !== seqs.length) flags.push('같은 검사 결과가 두 번 나옴(재생)');
  const tampered = [...new Set(valid.flatMap((f) => f.outcome.tampered ?? []))];
  if (tampered.length) flags.push(`검사 환경이 바뀜: ${tampered.slice(0, 8).join(', ')}`);
  for (const spec of master.checks) {
    const inCell = valid.filter(
      (f) => f.outcome.id === spec.id && (f.cell.metadata?.check as { id?: string } | undefined)?.id === spec.id,
    );
    if (inCell.length > 1) flags.push(`검사 셀 ${spec.id}에 결과가 ${inCell.length}개`);
  }
  return flags;
}

/**
 * Scores every instructor check from the executed notebook: only the check cells' own records count.
 * With the run's key, only an outcome signed by the guard counts, and only when it is the single
 * signed outcome for that check in the whole notebook, recorded in the check's own cell, untampered.
 */
export function scoreChecks(
  master: Master,
  executed: Notebook | null,
  reason: string | null,
  key?: Buffer,
): CheckScore[] {
  const signed = key ? recordedOutcomes(executed, key).filter((f) => f.valid) : [];
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
    if (key) {
      const mine = signed.filter((f) => f.outcome.id === spec.id);
      const own = mine.filter((f) => f.cell === cell);
      const seqs = signed.map((f) => f.outcome.seq);
      if (own.length === 0) return zero('서명된 검사 결과가 없습니다(위조되었거나 기록되지 않음).');
      if (mine.length !== 1 || new Set(seqs).size !== seqs.length)
        return zero('이 검사가 검사 셀 밖에서도 불렸거나 결과가 되풀이되어 인정하지 않습니다.');
      outcome = own[0].outcome;
      if ((outcome.tampered ?? []).length) return zero(String(outcome.message ?? ''));
    }
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
