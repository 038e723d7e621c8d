/** Readiness: poll a service's health URL until it answers, its process exits, or time runs out. */
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import http from 'node:http';
import { ServiceStartError } from './errors.ts';

export type HealthCheck = (status: number, body: string) => boolean;

/** One GET on a unix socket (e.g. dockerd's API); true when `check` accepts the answer. Errors and timeouts are `false`. */
export function probeSocket(socketPath: string, requestPath: string, check: HealthCheck, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath, path: requestPath, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(check(response.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'))));
      response.on('error', () => resolve(false));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(false));
  });
}

/** One GET; true when `check` accepts the answer. Network errors and timeouts are `false`. */
export async function probe(url: string, check: HealthCheck, timeoutMs = 2_000, headers?: Record<string, string>): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers });
    return check(response.status, await response.text());
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file (at most its last 8 KiB), or '' when it cannot be read. */
export function logTail(file: string, lines = 20): string {
  try {
    const size = statSync(file).size;
    const length = Math.min(size, 8_192);
    const buffer = Buffer.alloc(length);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buffer, 0, length, size - length);
    } finally {
      closeSync(fd);
    }
    return buffer.toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export interface WaitOptions {
  /** Service name (recorded on the error). */
  service: string;
  /** Human name for messages. */
  title: string;
  /** What is polled, for messages (and for the default probe, the URL fetched). */
  url: string;
  check: HealthCheck;
  /** Replaces `GET url` + `check`, e.g. for a unix socket or an authenticated endpoint. */
  probe?: () => Promise<boolean>;
  child: ChildProcess;
  log: string;
  timeoutMs: number;
  intervalMs?: number;
}

const tailNote = (log: string) => {
  const tail = logTail(log);
  return tail ? `\n--- last lines of ${log} ---\n${tail}` : ` (${log} is empty)`;
};

/** Resolves once `url` passes `check`; throws ServiceStartError naming the log when the process exits or the deadline passes. */
export async function waitUntilHealthy(options: WaitOptions): Promise<void> {
  const { service, title, url, check, child, log, timeoutMs } = options;
  const exit = new Promise<string>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(describeExit(child.exitCode, child.signalCode));
    child.once('exit', (code, signal) => resolve(describeExit(code, signal)));
  });
  let exited: string | undefined;
  void exit.then((how) => (exited = how));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== undefined) {
      throw new ServiceStartError(service, log, `${title} ${exited} before it answered on ${url}. See its log ${log}.${tailNote(log)}`);
    }
    if (await (options.probe ? options.probe() : probe(url, check))) return;
    if (Date.now() > deadline) {
      throw new ServiceStartError(service, log, `${title} did not become healthy on ${url} within ${Math.round(timeoutMs / 1000)} s. See its log ${log}.${tailNote(log)}`);
    }
    await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250))]);
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
