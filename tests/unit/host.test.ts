import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { host, setHost } from '../../lib/host';
import { nodeHost } from '../../lib/host/node';
import type { Host, MimeBundle } from '../../lib/host/types';
import { record } from '../../lib/notebook/record';
import { progressBar } from '../../lib/training/callbacks';
import { initBackend } from '../../lib/backend/select';
import { AGREEMENT_TOLERANCE, convBnProbe, probeDifference } from '../../lib/backend/agreement';

/** A host that shows everything it is sent, on top of Node's. */
function recordingHost(stopAfter = Infinity): {
  host: Host;
  sent: { data: MimeBundle; id?: string; update: boolean }[];
} {
  const sent: { data: MimeBundle; id?: string; update: boolean }[] = [];
  let calls = 0;
  const fake: Host = {
    ...nodeHost,
    display: {
      inNotebook: () => true,
      show: (type, data) => void sent.push({ data: { [type]: data }, update: false }),
      showBundle: (data, id, update = false) => (sent.push({ data, id, update }), true),
      frontEndSession: () => undefined,
      newLiveOutput: () => null,
    },
    interrupted: () => ++calls > stopAfter,
  };
  return { host: fake, sent };
}

test('Node is the default host, and shared code reaches display and interruption through the installed host', async () => {
  assert.equal(host().name, 'node');
  const { host: fake, sent } = recordingHost(3);
  setHost(fake);
  try {
    record('accuracy', 0.5);
    assert.deepEqual(sent[0].data, {
      'application/scrapbook.scrap.json+json': { name: 'accuracy', data: 0.5, encoder: 'json', version: 1 },
    });
    await initBackend('cpu');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 1 })] });
    model.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
    const h = await model.fit(tf.ones([32, 2]), tf.ones([32, 1]), {
      epochs: 5,
      batchSize: 8,
      callbacks: [progressBar({ every: 'epoch' })],
    });
    // interrupted() turns true at its 4th call, i.e. after the 4th batch: fit ends with the first epoch.
    assert.equal(h.epoch.length, 1);
    model.dispose();
  } finally {
    setHost(nodeHost);
  }
});

test('the conv+BN probe initBackend uses in browsers gives the same numbers on cpu and wasm in Node', async () => {
  const cpu = await convBnProbe('cpu');
  await initBackend('wasm');
  const wasm = await convBnProbe('wasm');
  assert.ok(cpu.losses[4] < cpu.losses[0], `losses ${cpu.losses}`);
  assert.ok(probeDifference(wasm, cpu) <= AGREEMENT_TOLERANCE, `difference ${probeDifference(wasm, cpu)}`);
  const off = { ...wasm, losses: wasm.losses.map((l, i) => (i === 2 ? l * 1.01 : l)) };
  assert.ok(probeDifference(off, cpu) > AGREEMENT_TOLERANCE, 'a 1% loss difference is caught');
});
