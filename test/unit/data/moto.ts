/**
 * A real moto S3 server for the data tests. When the shared service harness
 * (test/harness/services.ts, `useServices()`) lands, `startMoto` can delegate to it; the tests
 * only use `endpoint`, `stop()` and the helpers below.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const MOTO_SERVER = path.join(ROOT, '.venv/ml/bin/moto_server');
export const motoAvailable = existsSync(MOTO_SERVER);
export const MOTO_MISSING = `moto is not installed at ${path.relative(ROOT, MOTO_SERVER)}; run \`make setup\` (the .venv/ml environment) to run the S3 tests`;
/** Why the moto lanes cannot run here (test/harness/skip.ts skips them, or fails them under CI), or undefined. */
export const MOTO_SKIP_REASON: string | undefined = motoAvailable ? undefined : MOTO_MISSING;

/** Credentials moto accepts (it does not check them unless auth is switched on). */
export const TEST_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };

export interface Moto {
  readonly endpoint: string;
  readonly port: number;
  /** Everything moto printed, for diagnosing a failed start. */
  readonly output: () => string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `moto_server` on `port` (a free one by default) and waits until it answers. */
export async function startMoto(options: { port?: number; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Moto> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(MOTO_SERVER, ['-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} before answering:\n${output}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer on ${endpoint} within ${options.timeoutMs ?? 45_000} ms:\n${output}`);
    }
    await sleep(100);
  }
  return { endpoint, port, output: () => output, stop };
}

/** An S3 client for the test's own set-up and checks (not the code under test). */
export function testS3(endpoint: string): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: TEST_CREDENTIALS });
}

export async function createBucket(s3: S3Client, bucket: string): Promise<void> {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

export async function putText(s3: S3Client, bucket: string, key: string, body: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return response.Body!.transformToString();
}

/** The environment the code under test reads to reach moto. */
export function motoEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
  };
}
