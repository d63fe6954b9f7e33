/** The gradebook: a CSV for the spreadsheet and an HTML page to read, one row per submission. */
import { basename, relative } from 'node:path';
import { escapeHtml } from '../notebook/display';
import { tablePage } from '../runner/export';
import { GradeResult } from './grade';

/** The check columns across all graded exercises, as `exercise:check`. */
function checkColumns(results: GradeResult[]): string[] {
  const columns: string[] = [];
  for (const r of results)
    for (const c of r.checks) if (!columns.includes(`${r.exercise}:${c.id}`)) columns.push(`${r.exercise}:${c.id}`);
  return columns;
}

const csvField = (v: string | number) => {
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** The gradebook as CSV: student, exercise, points and maximum, one column per check, flags, reason, seconds, executed file. */
export function gradebookCsv(results: GradeResult[], outDir: string): string {
  const columns = checkColumns(results);
  const header = [
    'student',
    'exercise',
    'points',
    'max',
    ...columns,
    'flagged',
    'flags',
    'reason',
    'seconds',
    'executed',
  ];
  const rows = results.map((r) => {
    const byColumn = new Map(r.checks.map((c) => [`${r.exercise}:${c.id}`, c.points]));
    return [
      r.student,
      r.exercise ?? '',
      r.points,
      r.max,
      ...columns.map((c) => byColumn.get(c) ?? ''),
      r.flags.length ? 'yes' : 'no',
      r.flags.join('; '),
      r.reason ?? '',
      r.seconds.toFixed(1),
      r.executed ? relative(outDir, r.executed) : '',
    ];
  });
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** The gradebook as an HTML page: per student the points of each check, the failing checks' messages, duration and a link to the executed notebook. */
export function gradebookHtml(results: GradeResult[], outDir: string, title = '채점 결과'): string {
  const rows = results
    .map((r) => {
      const checks = r.checks
        .map(
          (c) =>
            `<li class="${c.passed ? 'pass' : 'fail'}"><code>${escapeHtml(c.id)}</code> ${c.points}/${c.max}${c.passed ? '' : `<div class="msg">${escapeHtml(c.message)}</div>`}</li>`,
        )
        .join('');
      const link = r.executed
        ? `<a href="${encodeURI(relative(outDir, r.executed))}">${escapeHtml(basename(r.executed))}</a>`
        : '';
      return (
        `<tr><td><b>${escapeHtml(r.student)}</b><br><small>${escapeHtml(r.exercise ?? basename(r.file))}</small></td>` +
        `<td class="num">${r.points} / ${r.max}</td><td><ul>${checks}</ul></td>` +
        `<td>${r.flags.map((f) => `<div class="flag">${escapeHtml(f)}</div>`).join('')}${r.reason ? `<div class="reason">${escapeHtml(r.reason)}</div>` : ''}</td>` +
        `<td class="num">${r.seconds.toFixed(0)} s</td><td>${link}</td></tr>`
      );
    })
    .join('\n');
  return tablePage(title, {
    css: [
      'ul { margin: 0; padding-left: 1.2em; } .num { text-align: right; white-space: nowrap; }',
      '.pass { color: #1a7f37; } .fail { color: #cf222e; } .msg { color: #333; white-space: pre-wrap; font-size: 90%; }',
      '.flag { color: #9a6700; font-weight: bold; } .reason { color: #cf222e; }',
    ],
    headers: ['학생', '점수', '검사별 점수', '표시 / 멈춘 이유', '실행 시간', '실행된 노트북'],
    rows,
  });
}
