/**
 * The check helper that check cells call. A failing check never aborts the notebook: it shows the
 * student what is wrong (in Korean) and records the outcome, scrapbook-style, for the grader.
 */
import { escapeHtml, showHtml } from '../notebook/display';
import { record } from '../notebook/record';
import { guarded } from './guard-hook';

/** What one check recorded; the grader reads it back from the check cell's outputs. */
export interface CheckOutcome {
  id: string;
  passed: boolean;
  points: number;
  max: number;
  message: string;
  /** In a grading kernel: the outcome's number, what the guard saw changed, and its signature. */
  seq?: number;
  tampered?: string[];
  mac?: string;
}

/** The record name a check's outcome is stored under. */
export const checkRecordName = (id: string) => `check:${id}`;

/** An expected failure of a check, whose message is shown to the student as is. */
export class CheckFailure extends Error {
  override name = 'CheckFailure';
}

/** Fails the current check with a message for the student. */
export function fail(message: string): never {
  throw new CheckFailure(message);
}

/**
 * What a check cell calls: runs the check and shows its result. It returns nothing so that the
 * cell, whose last statement it is, shows the coloured box and not the outcome object as well.
 */
export async function check(id: string, points: number, fn: () => unknown): Promise<void> {
  await runCheck(id, points, fn);
}

/**
 * Runs one check: `fn` passes by returning (optionally a short note), fails by throwing. Any other
 * error (a missing variable, a shape error) also fails the check, with the error quoted.
 */
export async function runCheck(id: string, points: number, fn: () => unknown): Promise<CheckOutcome> {
  const outcome = await guarded(id, () => evaluate(id, points, fn));
  if (!outcome.passed) outcome.points = 0;
  const { passed, message } = outcome;
  const headline = passed ? `✔ 통과 — ${id} (${points}/${points}점)` : `✘ 아직 아닙니다 — ${id} (0/${points}점)`;
  const colour = passed ? '#1a7f37' : '#cf222e';
  showHtml(
    `<div class="bn-lab-check" style="border-left:4px solid ${colour};padding:4px 10px;margin:4px 0">` +
      `<b style="color:${colour}">${escapeHtml(headline)}</b>` +
      (message ? `<div style="white-space:pre-wrap">${escapeHtml(message)}</div>` : '') +
      '</div>',
    message ? `${headline}\n${message}` : headline,
  );
  record(checkRecordName(id), outcome);
  return outcome;
}

async function evaluate(id: string, points: number, fn: () => unknown): Promise<CheckOutcome> {
  let passed = true;
  let message = '';
  try {
    const note = await fn();
    if (typeof note === 'string') message = note;
  } catch (e) {
    passed = false;
    message =
      e instanceof CheckFailure
        ? e.message
        : `검사하는 중에 오류가 났습니다: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
  }
  return { id, passed, points: passed ? points : 0, max: points, message };
}
