/**
 * Real local receivers for notification tests: an SMTP server (smtp-server) whose mail is
 * parsed with mailparser, an HTTP server standing in for a Slack webhook, and a pino logger
 * writing into memory. Each listens on a free loopback port and is closed by the test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createLogger } from '../../../src/runtime/logger.ts';
import type { NotificationChannel, Notification } from '../../../src/notify/index.ts';

export interface SmtpSinkOptions {
  /** Require AUTH with these credentials; without, the server offers no AUTH at all. */
  credentials?: { user: string; pass: string };
  /** Answer every AUTH with 535. */
  refuseLogin?: boolean;
  /** Answer this many DATA commands with 451 before accepting. */
  transientFailures?: number;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: ParsedMail[];
  readonly logins: { username: string | undefined; password: string | undefined }[];
  readonly connections: () => number;
  close(): Promise<void>;
}

function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

function listenOnLoopback(server: { listen(port: number, host: string, cb: () => void): unknown }, address: () => AddressInfo): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(address().port)));
}

export async function startSmtpSink(options: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: ParsedMail[] = [];
  const logins: SmtpSink['logins'] = [];
  const wantsAuth = options.credentials !== undefined || options.refuseLogin === true;
  let failuresLeft = options.transientFailures ?? 0;
  let connections = 0;
  const server = new SMTPServer({
    secure: false,
    // STARTTLS off: the server's built-in certificate is self-signed and the client would refuse it
    disabledCommands: wantsAuth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    allowInsecureAuth: true,
    authOptional: !wantsAuth,
    disableReverseLookup: true,
    logger: false,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    onAuth(auth, _session, callback) {
      logins.push({ username: auth.username ?? undefined, password: auth.password ?? undefined });
      const ok = !options.refuseLogin && auth.username === options.credentials?.user && auth.password === options.credentials?.pass;
      if (ok) callback(null, { user: auth.username });
      else callback(smtpError(535, 'Authentication credentials invalid'));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          callback(smtpError(451, 'Requested action aborted: local error in processing'));
          return;
        }
        simpleParser(Buffer.concat(chunks)).then(
          (mail) => {
            messages.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  const port = await listenOnLoopback(server, () => server.server.address() as AddressInfo);
  return {
    port,
    messages,
    logins,
    connections: () => connections,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpSink {
  /** The webhook URL: a secret-looking path on the sink. */
  readonly url: string;
  readonly requests: { method: string; path: string; contentType: string | undefined; body: string }[];
  close(): Promise<void>;
}

/**
 * Answers requests with `script` in order, repeating its last entry. With `listAt`, a GET of that
 * path answers the requests so far as JSON (for a sink started in another process than its test).
 */
export async function startHttpSink(script: readonly ScriptedResponse[], path = '/services/T000TEST/B000TEST/s3cr3tW3bh00kT0ken', listAt?: string): Promise<HttpSink> {
  const requests: HttpSink['requests'] = [];
  const server = http.createServer((request, response) => {
    if (listAt && request.method === 'GET' && request.url === listAt) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(requests));
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
      const answer = script[Math.min(requests.length, script.length) - 1] ?? { status: 200 };
      response.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers });
      response.end(answer.body ?? (answer.status === 200 ? 'ok' : ''));
    });
  });
  const port = await listenOnLoopback(server, () => server.address() as AddressInfo);
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  const port = await listenOnLoopback(server, () => server.address() as AddressInfo);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The task runtime's pino logger, writing JSON lines into memory. */
export function captureLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const log = createLogger({ dagId: 'health_predict_continuous_improvement', taskId: 'notify_deployment_success', runId: 'test-run', tryNumber: 1, script: 'notify' }, destination);
  return {
    log,
    text: () => lines.join('\n'),
    entries: () => lines.map((line) => JSON.parse(line) as Record<string, unknown> & { msg: string; level: string }),
  };
}

export const SAMPLE: Notification = {
  kind: 'deployment_success',
  severity: 'info',
  title: 'Model v7 deployed (DEPLOY, ΔF1 +0.031)',
  summary: 'The xgb candidate beat production by 0.031 F1 (95 % CI 0.012 to 0.049).\nIt is now served as version 7.',
  facts: [
    { label: 'Decision', value: 'DEPLOY' },
    { label: 'ΔF1', value: '+0.031' },
    { label: 'Model version', value: '7' },
    { label: 'Note', value: '<script>alert("x")</script> & <!channel>' },
  ],
  dagId: 'health_predict_continuous_improvement',
  runId: 'manual__2026-01-01T00:00:00+00:00',
};

export const ALL: readonly NotificationChannel[] = ['log', 'email', 'slack'];
