/**
 * src/api/server.ts as the container runs it: bundled by bundleApi() into server.mjs, run by
 * `node` as a child process on a free port with a real model directory. SIGTERM with a
 * request in flight: readiness turns 503, the listener closes, the request is answered,
 * the process exits 0.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiBundle, bundleApi } from '../../../src/api/bundle.ts';
import { freePort } from '../../../src/host/ports.ts';
import { type ApiFixture, buildApiFixture, MODEL_INFO, originExampleRecord } from './api-fixture.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
let fixture: ApiFixture;
let bundle: ApiBundle;
let bundleDir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  // Inside node_modules/, so the bundle resolves its external onnxruntime-node as it will in the image.
  mkdirSync(path.join(ROOT, 'node_modules/.cache'), { recursive: true });
  bundleDir = mkdtempSync(path.join(ROOT, 'node_modules/.cache/hp-api-bundle-'));
  bundle = await bundleApi(bundleDir);
  fixture = buildApiFixture();
}, 180_000);

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

afterAll(() => {
  fixture?.cleanup();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** Every stdout line so far, parsed (pino JSON). */
  readonly logs: Record<string, unknown>[];
  waitForLog(predicate: (line: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [bundle.file], {
    cwd: bundleDir,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs: Record<string, unknown>[] = [];
  const waiters: { predicate: (line: Record<string, unknown>) => boolean; resolve: (line: Record<string, unknown>) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, unknown>; // every stdout line must be a JSON log line
    logs.push(line);
    for (const waiter of waiters.filter((w) => w.predicate(line))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitForLog = (predicate: (line: Record<string, unknown>) => boolean, what: string) => {
    const seen = logs.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ predicate, resolve });
      void exited.then((code) => reject(new Error(`the server exited (${code}) before logging ${what}; stderr:\n${stderr}\nlogs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}`)));
    });
  };
  return { child, url: `http://127.0.0.1:${port}`, port, logs, waitForLog, exited };
}

const message = (text: string) => (line: Record<string, unknown>) => typeof line.msg === 'string' && line.msg.startsWith(text);

describe('the bundle', () => {
  it('holds only what serving needs, with onnxruntime-node left external', () => {
    const sources = bundle.inputs.filter((file) => file.startsWith('src/'));
    const allowed = /^src\/(api\/|evaluation\/(onnx-scorer|metrics)\.ts$|data\/schema\.ts$|runtime\/(errors|contract)\.ts$)/;
    expect(sources.filter((file) => !allowed.test(file))).toEqual([]);
    expect(sources).toContain('src/api/server.ts');
    const packages = bundle.inputs.filter((file) => file.includes('node_modules/'));
    for (const heavy of ['onnxruntime-node', 'dockerode', '@aws-sdk', 'yargs', 'handlebars', 'nodemailer', 'esbuild', 'tsx']) {
      expect(packages.filter((file) => file.includes(`node_modules/${heavy}/`)), heavy).toEqual([]);
    }
  });
});

describe('server.mjs', () => {
  it('serves the model directory, and on SIGTERM finishes the request in flight and exits 0', async () => {
    const server = await startServer({ MODEL_DIR: fixture.modelDir, LOG_LEVEL: 'debug', SHUTDOWN_DELAY_MS: '1500' });
    await server.waitForLog(message('model loaded and warmed up'), 'readiness');
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const info = (await (await fetch(`${server.url}/model-info`)).json()) as Record<string, unknown>;
    expect(info).toMatchObject(MODEL_INFO);
    const first = await fetch(`${server.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(originExampleRecord()) });
    expect(first.status).toBe(200);

    // A keep-alive request whose body is only half sent when the signal arrives.
    const isPredictRequest = (line: Record<string, unknown>) => line.msg === 'incoming request' && line.url === '/predict';
    const predictsBefore = server.logs.filter(isPredictRequest).length;
    const body = JSON.stringify(originExampleRecord());
    const socket = net.connect(server.port, '127.0.0.1');
    let response = '';
    socket.on('data', (chunk) => (response += chunk));
    const socketClosed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(`POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 200)}`);
    await server.waitForLog((line) => isPredictRequest(line) && server.logs.filter(isPredictRequest).length === predictsBefore + 1, 'the request in flight');

    server.child.kill('SIGTERM');
    await server.waitForLog(message('shutting down'), 'the start of shutdown');
    const during = await fetch(`${server.url}/ready`);
    expect(during.status).toBe(503);
    expect(((await during.json()) as { reason: string }).reason).toBe('the service is shutting down');

    await server.waitForLog(message('closing the listener'), 'the listener closing');
    await expect(fetch(`${server.url}/health`)).rejects.toThrow(); // no new connections
    socket.write(body.slice(200));
    await socketClosed; // the server closes the connection after answering
    expect(response).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(response.toLowerCase()).toContain('connection: close');
    const answer = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(answer).toEqual({ prediction: expect.any(Number), probability_score: expect.any(Number), model_version: MODEL_INFO.version });
    expect(await server.exited).toBe(0);
    expect(server.logs.at(-1)?.msg).toBe('stopped');
  }, 120_000);

  describe('refuses to run without a servable model, exiting 1 with the reason', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'hp-api-server-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('model-info.json missing', async () => {
      const modelDir = path.join(dir, 'no-info');
      copyModelDir(modelDir, { info: false });
      const server = await startServer({ MODEL_DIR: modelDir });
      expect(await server.exited).toBe(1);
      expect(server.logs.at(-1)).toMatchObject({ level: 'fatal', msg: expect.stringContaining('model-info.json') });
    }, 60_000);

    it('model.onnx not a model', async () => {
      const modelDir = path.join(dir, 'broken-onnx');
      copyModelDir(modelDir, { info: true });
      writeFileSync(path.join(modelDir, 'model.onnx'), 'not an onnx file');
      const server = await startServer({ MODEL_DIR: modelDir });
      expect(await server.exited).toBe(1);
      expect(server.logs.at(-1)).toMatchObject({ level: 'fatal', msg: expect.stringMatching(/^cannot serve: the model failed to load: cannot load/) });
    }, 60_000);

    it('a bad environment', async () => {
      const server = await startServer({ MODEL_DIR: fixture.modelDir, PORT: 'eighty' });
      expect(await server.exited).toBe(1);
      expect(server.logs.at(-1)).toMatchObject({ level: 'fatal', msg: expect.stringContaining('PORT') });
    }, 60_000);

    function copyModelDir(target: string, { info }: { info: boolean }) {
      mkdirSync(target, { recursive: true });
      for (const file of ['model.onnx', 'metadata.json', ...(info ? ['model-info.json'] : [])]) {
        copyFileSync(path.join(fixture.modelDir, file), path.join(target, file));
      }
    }
  });
});
