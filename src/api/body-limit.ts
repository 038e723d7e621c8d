/**
 * 413 for a body over the limit, answered from its Content-Length before any of it is read,
 * on a connection that stays open while the client finishes sending. Fastify's own check
 * answers with `connection: close`, and closing a socket that still has unread request bytes
 * makes the kernel send a reset, which can reach the client before the 413 does (a client
 * streaming 10 MB saw only "connection reset"). Here Node discards the rest of the body
 * instead; a client that takes longer than `drainTimeoutMs` to send it is cut off.
 */
import type { FastifyInstance } from 'fastify';
import { errorBody } from './errors.ts';

export interface BodyLimitOptions {
  readonly bodyLimit: number;
  /** How long the rest of a refused body may take to arrive before the connection is closed. */
  readonly drainTimeoutMs?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;

export async function bodyLimit(app: FastifyInstance, { bodyLimit: limit, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS }: BodyLimitOptions): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    const declared = Number(request.headers['content-length']);
    if (!(declared > limit)) return done();
    const raw = request.raw;
    const cutOff = setTimeout(() => raw.socket?.destroy(), drainTimeoutMs);
    cutOff.unref();
    raw.once('end', () => clearTimeout(cutOff));
    raw.once('close', () => clearTimeout(cutOff));
    // Sent from the hook, the reply ends the request here: the body is never parsed, and once
    // the answer is written Node reads and discards what is left of it.
    reply.code(413).send(errorBody(413, `The request body is ${declared} bytes, more than the limit of ${limit}. Send fewer records per request.`));
  });
}
Object.assign(bodyLimit, { [Symbol.for('skip-override')]: true });
