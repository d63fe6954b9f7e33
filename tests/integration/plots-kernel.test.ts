import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../lib/project';
import { findJupyterPython } from '../../lib/runner/python';

const root = projectPath();

// Two front-end connections to one running tslab kernel, as a JupyterLab tab before and after a
// reload: each connection is a jupyter_client client with its own session id. Prints, per chart,
// its MIME types and whether its HTML carried plotly.js.
const DRIVER = `
import json, sys
from jupyter_client import BlockingKernelClient
from jupyter_client.manager import start_new_kernel
from jupyter_client.session import Session
km, first = start_new_kernel(kernel_name=sys.argv[2], cwd=sys.argv[1])
# A new page is a new client with its own session id (km.client() would reuse the manager's).
second = BlockingKernelClient(connection_file=km.connection_file)
second.load_connection_file()
second.session = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
second.start_channels()
chart = "import { plotProbabilities } from 'bn-lab'; plotProbabilities([0.3, 0.7], undefined, 'p');"
try:
    second.wait_for_ready(timeout=60)
    for label, client in [('page 1', first), ('page 1', first), ('page 2', second), ('page 2', second)]:
        outputs = []
        def hook(msg):
            if msg['msg_type'] == 'display_data':
                data = msg['content']['data']
                outputs.append([sorted(data), 'plotly.js (basic - minified)' in data.get('text/html', '')])
            elif msg['msg_type'] == 'error':
                outputs.append(['error', msg['content']['evalue']])
        reply = client.execute_interactive(chart, timeout=120, output_hook=hook)
        print(json.dumps({'page': label, 'status': reply['content']['status'], 'outputs': outputs}), flush=True)
finally:
    second.stop_channels()
    first.stop_channels()
    km.shutdown_kernel(now=True)
`;

test('a page that connects anew to a running kernel gets plotly.js again with its first chart', (t) => {
  const python = findJupyterPython(['jupyter_client']);
  if (!python) return t.skip('Jupyter (jupyter_client) is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'bn-lab-kernel-'));
  const script = join(dir, 'two_pages.py');
  writeFileSync(script, DRIVER);
  // A private kernel spec for this checkout's (patched) tslab: the global 'tslab' spec points at
  // whichever checkout last ran \`npm install\`.
  const spec = join(dir, 'kernels', 'bn-lab-test-tslab');
  mkdirSync(spec, { recursive: true });
  const tslab = join(root, 'node_modules', '.bin', 'tslab');
  const argv = [tslab, 'kernel', '--config-path', '{connection_file}'];
  writeFileSync(
    join(spec, 'kernel.json'),
    JSON.stringify({ argv, display_name: 'TypeScript', language: 'typescript' }),
  );
  const r = spawnSync(python, [script, join(root, 'tests', 'fixtures'), 'bn-lab-test-tslab'], {
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, JUPYTER_PATH: dir },
  });
  assert.equal(r.status, 0, r.stderr);
  const runs = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { page: string; status: string; outputs: [string[], boolean][] });
  const mimes = ['application/vnd.plotly.v1+json', 'image/png', 'text/html', 'text/plain'];
  for (const run of runs) {
    assert.equal(run.status, 'ok', JSON.stringify(run));
    assert.equal(run.outputs.length, 1, `one output per chart: ${JSON.stringify(run)}`);
    assert.deepEqual(run.outputs[0][0], mimes);
  }
  assert.deepEqual(
    runs.map((run) => run.outputs[0][1]),
    [true, false, true, false],
    'plotly.js with the first chart of each page only',
  );
});
