/**
 * Inputs for the image infrastructure tests: a minimal but real Node server written as
 * `server.mjs`, and a real model directory. It keeps those tests independent of the API's
 * own development and can refuse to become ready on request; api-image.test.ts builds and
 * runs the real service (bundleApi) instead.
 *
 * The stand-in does what the image contract needs: it loads onnxruntime-node from the image's
 * node_modules and opens MODEL_DIR/model.onnx (so the runtime files and the model really work
 * inside the container), serves GET /health, GET /ready (200 once the session is open, 503
 * before; never, when STANDIN_NEVER_READY=1) and GET /model-info, and exits on SIGTERM.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildOnnxFixture, type OnnxFixture } from '../evaluation/onnx-fixture.ts';

const SERVER = String.raw`
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';

const modelDir = process.env.MODEL_DIR;
const port = Number(process.env.PORT || 8080);
const info = JSON.parse(readFileSync(path.join(modelDir, 'model-info.json'), 'utf8'));
let ready = false;
if (process.env.STANDIN_NEVER_READY !== '1') {
  ort.InferenceSession.create(path.join(modelDir, 'model.onnx')).then((session) => {
    console.log('model loaded; inputs: ' + session.inputNames.length + ', uid ' + process.getuid());
    ready = true;
  }, (error) => { console.error('cannot load the model: ' + error.message); process.exit(3); });
}
const send = (res, status, body) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
const server = http.createServer((req, res) => {
  if (req.url === '/health') return send(res, 200, { status: 'ok' });
  if (req.url === '/ready') return ready ? send(res, 200, { ready: true }) : send(res, 503, { ready: false });
  if (req.url === '/model-info') return send(res, 200, info);
  send(res, 404, { error: 'not found' });
});
server.listen(port, '127.0.0.1', () => console.log('listening on ' + port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

export interface StandinInputs {
  appDir: string;
  modelDir: string;
  model: { name: string; version: string; runId: string; dir: string };
  fixture: OnnxFixture;
}

/** Writes the stand-in server and a model dir (model.onnx from the ONNX fixture + metadata + model-info). */
export function standinInputs(version = '7'): StandinInputs {
  const appDir = mkdtempSync(path.join(os.tmpdir(), 'hp-standin-app-'));
  writeFileSync(path.join(appDir, 'server.mjs'), SERVER);
  const fixture = buildOnnxFixture({ rows: 200 });
  const model = { name: 'health-predict-readmission', version, runId: 'standin0run0id', dir: fixture.dir };
  writeFileSync(path.join(fixture.dir, 'model-info.json'), JSON.stringify({ name: model.name, version, run_id: model.runId }));
  return { appDir, modelDir: fixture.dir, model, fixture };
}
