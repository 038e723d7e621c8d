/**
 * Docker's build, push, pull and import answers are HTTP 200 followed by newline-separated JSON
 * events; a failure is an event carrying `error` / `errorDetail`, not an HTTP status. Every
 * event is looked at. BuildKit's progress arrives as base64 protobuf in `moby.buildkit.trace`
 * events; dockerode's `followProgress` decodes those into `stream` lines and passes every
 * other event through unchanged, so its errors are seen too.
 */
import type Docker from 'dockerode';
import { z } from 'zod';

export const dockerEventSchema = z.looseObject({
  stream: z.string().optional(),
  status: z.string().optional(),
  progress: z.string().optional(),
  id: z.string().optional(),
  error: z.string().optional(),
  errorDetail: z.looseObject({ message: z.string().optional(), code: z.number().optional() }).optional(),
  aux: z.unknown().optional(),
});
export type DockerEvent = z.infer<typeof dockerEventSchema>;

export interface StreamResult {
  events: DockerEvent[];
  /** The first error an event reported (errorDetail.message, else error). */
  error?: string;
}

/** The error an event carries, or undefined. */
export function eventError(event: DockerEvent): string | undefined {
  if (event.errorDetail?.message) return event.errorDetail.message;
  if (event.error) return event.error;
  return undefined;
}

/** Reads the whole stream; calls `onEvent` for each event. Rejects only when the stream itself fails (connection lost). */
export function followJsonStream(stream: NodeJS.ReadableStream, onEvent?: (event: DockerEvent) => void): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const events: DockerEvent[] = [];
    let error: string | undefined;
    let buffer = '';
    const handle = (line: string) => {
      const text = line.trim();
      if (!text) return;
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = { stream: `${text}\n` }; // not JSON: keep it as output rather than lose it
      }
      const parsed = dockerEventSchema.safeParse(raw);
      const event: DockerEvent = parsed.success ? parsed.data : { error: `unexpected event from the daemon: ${text.slice(0, 200)}` };
      events.push(event);
      error ??= eventError(event);
      onEvent?.(event);
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffer += chunk.toString();
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        handle(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
      }
    });
    stream.once('error', reject);
    stream.once('end', () => {
      handle(buffer);
      resolve({ events, error });
    });
  });
}

type ProgressFollower = (stream: NodeJS.ReadableStream, onFinished: (error: Error | null) => void, onProgress: (event: unknown) => void) => void;

/** Like followJsonStream, decoding BuildKit's progress with dockerode (5.x) when it can. */
export function followDockerStream(docker: Docker, stream: NodeJS.ReadableStream, onEvent?: (event: DockerEvent) => void): Promise<StreamResult> {
  const follow = (docker as unknown as { followProgress?: ProgressFollower }).followProgress;
  if (typeof follow !== 'function') return followJsonStream(stream, onEvent);
  return new Promise((resolve, reject) => {
    const events: DockerEvent[] = [];
    let error: string | undefined;
    follow.call(
      docker,
      stream,
      (failure) => (failure ? reject(failure) : resolve({ events, error })),
      (raw) => {
        const parsed = dockerEventSchema.safeParse(raw);
        const event: DockerEvent = parsed.success ? parsed.data : { error: `unexpected event from the daemon: ${JSON.stringify(raw).slice(0, 200)}` };
        events.push(event);
        error ??= eventError(event);
        onEvent?.(event);
      },
    );
  });
}
