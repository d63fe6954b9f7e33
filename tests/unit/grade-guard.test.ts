import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { projectPath } from '../../lib/project';
import { loadMasters } from '../../lib/exercises/assemble';
import { SignedFields, signOutcome, verifyOutcome } from '../../lib/exercises/guard';
import { outcomeFlags, scoreChecks } from '../../lib/exercises/score';
import { SCRAP_MIME } from '../../lib/notebook/record';
import { Cell, Notebook } from '../../lib/runner/notebook';

const [master] = loadMasters(projectPath('tests', 'fixtures', 'exercises'));
const key = randomBytes(32);

/** A recorded outcome as the check machinery writes it, signed with `signer`. */
function outcome(id: string, passed: boolean, seq: number, signer = key, tampered: string[] = []) {
  const f: SignedFields = { id, passed, message: passed ? '' : 'no', seq, tampered };
  const max = id === 'double' ? 2 : 3;
  const data = { ...f, points: passed ? max : 0, max, mac: signOutcome(signer, f) };
  return { output_type: 'display_data' as const, metadata: {}, data: { [SCRAP_MIME]: { name: `check:${id}`, data } } };
}

/** The executed notebook: the master's cells, completed, with these outputs per cell id. */
function executed(outputs: Record<string, ReturnType<typeof outcome>[]>): Notebook {
  const cells = master.notebook.cells.map((c): Cell => ({
    ...c,
    metadata: { ...c.metadata, papermill: { status: 'completed' } },
    outputs: c.cell_type === 'code' ? (outputs[c.id!] ?? []) : undefined,
  }));
  return { ...master.notebook, cells };
}

const points = (nb: Notebook) => scoreChecks(master, nb, null, key).map((c) => c.points);

test('signatures: only the run key verifies, and any changed field breaks them', () => {
  const f: SignedFields = { id: 'double', passed: false, message: 'x', seq: 1, tampered: [] };
  const mac = signOutcome(key, f);
  assert.ok(verifyOutcome(key, f, mac));
  assert.ok(!verifyOutcome(randomBytes(32), f, mac));
  assert.ok(!verifyOutcome(key, { ...f, passed: true }, mac));
  assert.ok(!verifyOutcome(key, { ...f, seq: 2 }, mac));
  assert.ok(!verifyOutcome(key, f, 'f'.repeat(64)));
});

test('a check scores only from its single signed, untampered outcome in its own cell', () => {
  const honest = executed({
    'check-double': [outcome('double', true, 1)],
    'check-model': [outcome('tiny-bn', true, 2)],
  });
  assert.deepEqual(points(honest), [2, 3]);
  assert.deepEqual(outcomeFlags(master, honest, key), []);
  // Printed with another key (or none): ignored and flagged.
  const forged = executed({
    'check-double': [outcome('double', false, 1), outcome('double', true, 9, randomBytes(32))],
  });
  assert.deepEqual(points(forged), [0, 0]);
  assert.match(outcomeFlags(master, forged, key).join('; '), /위조.*double/);
  // A genuine pass produced outside the check cell does not count, there or in the check cell.
  const outside = executed({
    'answer-double': [outcome('double', true, 1)],
    'check-double': [outcome('double', false, 2)],
  });
  assert.deepEqual(points(outside), [0, 0]);
  assert.match(outcomeFlags(master, outside, key).join('; '), /검사 셀 밖에서 불렀음: double/);
  // The same signed outcome twice (a replay) counts nowhere.
  const replay = executed({
    'check-double': [outcome('double', true, 1)],
    'check-model': [outcome('double', true, 1)],
  });
  assert.equal(points(replay)[0], 0);
  assert.match(outcomeFlags(master, replay, key).join('; '), /재생/);
  // What the guard saw changed fails the check and is named.
  const patched = executed({ 'check-double': [outcome('double', true, 1, key, ['Math.abs 바뀜'])] });
  assert.equal(points(patched)[0], 0);
  assert.match(outcomeFlags(master, patched, key).join('; '), /검사 환경이 바뀜: Math\.abs 바뀜/);
});
