/** Readiness: poll a service's health URL until it answers, its process exits, or time runs out. */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { logTail } from '../host/log-tail.ts';
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
    await Promise.race([exit, sleep(options.intervalMs ?? 250)]);
  }
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}
