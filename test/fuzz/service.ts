/**
 * The prediction service as the image runs it, for the fuzz lane: the fixture model
 * (test/unit/api/api-fixture.ts), bundled by bundleApi() into server.mjs and started with
 * `node server.mjs` on a free loopback port. Its log lines go to a file, so a 5xx found by
 * the fuzzer can be read next to the server's own error line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { bundleApi } from '../../src/api/bundle.ts';
import { PROJECT_ROOT } from '../../src/cli/project.ts';
import { buildApiFixture } from '../unit/api/api-fixture.ts';

export interface RunningService {
  readonly url: string;
  /** SIGTERM, then the exit code (the server finishes in-flight requests and exits 0). */
  stop(): Promise<number | null>;
}

export async function startService(options: { logFile: string; readyTimeoutMs?: number }): Promise<RunningService> {
  const fixture = buildApiFixture();
  // Inside node_modules/, so the bundle resolves its external onnxruntime-node as it will in the image.
  const cacheDir = path.join(PROJECT_ROOT, 'node_modules/.cache');
  mkdirSync(cacheDir, { recursive: true });
  const bundleDir = mkdtempSync(path.join(cacheDir, 'hp-fuzz-bundle-'));
  const cleanup = () => {
    fixture.cleanup();
    rmSync(bundleDir, { recursive: true, force: true });
  };
  let child: ChildProcess | undefined;
  try {
    const { file } = await bundleApi(bundleDir);
    child = spawn(process.execPath, [file], {
      cwd: bundleDir,
      env: { ...process.env, MODEL_DIR: fixture.modelDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const url = await listeningUrl(child, options.logFile);
    await waitReady(url, child, options.readyTimeoutMs ?? 60_000);
    const exited = new Promise<number | null>((resolve) => {
      if (child!.exitCode !== null || child!.signalCode !== null) resolve(child!.exitCode);
      else child!.once('exit', (code) => resolve(code));
    });
    return {
      url,
      stop: async () => {
        child!.kill('SIGTERM');
        const code = await exited;
        cleanup();
        return code;
      },
    };
  } catch (error) {
    child?.kill('SIGKILL');
    cleanup();
    throw error;
  }
}

/** Port 0 lets the OS pick a free port with no race; the server's first log line names it. */
function listeningUrl(child: ChildProcess, logFile: string): Promise<string> {
  const log = createWriteStream(logFile);
  child.stderr!.pipe(log, { end: false });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      log.write(`${line}\n`);
      const match = /Server listening at (http:\/\/[^"\s]+)/.exec(line);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the prediction service exited (${code}) before listening; its log is ${logFile}`)));
  });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && child.exitCode === null) {
    const response = await fetch(`${url}/ready`).catch(() => undefined);
    if (response?.status === 200) return;
    await sleep(200);
  }
  throw new Error(`${url}/ready did not answer 200 within ${timeoutMs / 1000} s (exit code ${child.exitCode}); the model did not load`);
}
