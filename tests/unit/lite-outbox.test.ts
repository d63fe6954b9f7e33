import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Outbox, within } from '../../lite/worker/outbox';

/** A promise with its resolve and reject exposed, standing in for a PNG still being encoded. */
function later<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('messages are posted in the order they were pushed, held behind a pending one', async () => {
  const posted: string[] = [];
  const box = new Outbox<string>(
    (m) => posted.push(m),
    (e) => assert.fail(String(e)),
  );
  box.push('log 1');
  assert.deepEqual(posted, ['log 1'], 'nothing pending: posted at once');
  const chart = later<string[]>();
  box.push(chart.promise);
  box.push('log 2');
  box.push(Promise.resolve(['table']));
  let drained = false;
  void box.drained().then(() => (drained = true));
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(posted, ['log 1'], 'the log and the table wait for the chart before them');
  assert.equal(drained, false, 'the cell is not done while its chart is pending');
  chart.resolve(['chart with png']);
  await box.drained();
  assert.deepEqual(posted, ['log 1', 'chart with png', 'log 2', 'table']);
  box.push('log 3');
  assert.deepEqual(posted.at(-1), 'log 3', 'posted at once again once drained');
});

test('a rejected item is reported and does not stall the messages behind it', async () => {
  const posted: string[] = [];
  const failures: unknown[] = [];
  const box = new Outbox<string>(
    (m) => posted.push(m),
    (e) => failures.push(e),
  );
  const broken = later<string[]>();
  box.push(broken.promise);
  box.push('after');
  broken.reject(new Error('no canvas'));
  await box.drained();
  assert.deepEqual(posted, ['after']);
  assert.match(String(failures[0]), /no canvas/);
});

test('within rejects naming what took too long, and passes a prompt result through', async () => {
  assert.equal(await within(Promise.resolve(7), 50, 'drawing'), 7);
  await assert.rejects(
    within(new Promise(() => {}), 20, 'drawing the output'),
    /drawing the output took longer than 0\.02 s/,
  );
});
