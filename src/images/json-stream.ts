/**
 * Docker's build, push, pull and import answers are HTTP 200 followed by newline-separated JSON
 * events; a failure is an event carrying `error` / `errorDetail`, not an HTTP status. Every
 * event is looked at.
 *
 * BuildKit's progress (`version: '2'` builds) arrives as `moby.buildkit.trace` events whose `aux`
 * is a base64 protobuf StatusResponse. They become `stream` lines here: the step names
 * ("[2/5] RUN …") and the steps' output. dockerode 5's own decoder (followProgress) passes the
 * output on still base64-encoded, so a few lines of protobuf reading (buildkitTraceLines) do it.
 */
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

/** The `id` of BuildKit's progress events. */
export const BUILDKIT_TRACE_ID = 'moby.buildkit.trace';

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

/** The event itself, except BuildKit's progress: one `stream` event per readable line, none when it does not decode (never base64). */
function readableEvents(event: DockerEvent): DockerEvent[] {
  if (event.id !== BUILDKIT_TRACE_ID || eventError(event)) return [event];
  const lines = typeof event.aux === 'string' ? buildkitTraceLines(event.aux) : undefined;
  return (lines ?? []).map((line) => ({ stream: `${line}\n` }));
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
      for (const each of readableEvents(event)) {
        events.push(each);
        error ??= eventError(each);
        onEvent?.(each);
      }
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

/** One field of a protobuf message: a varint as a number, a length-delimited field as its bytes. */
interface ProtoField {
  field: number;
  value: number | Buffer;
}

/**
 * The fields of one protobuf message in order (fixed-width ones skipped); throws on a malformed
 * or truncated buffer. Enough of the wire format for BuildKit's status, not a general decoder.
 */
function protoFields(buffer: Buffer): ProtoField[] {
  const fields: ProtoField[] = [];
  let at = 0;
  const varint = (): number => {
    let value = 0;
    for (let scale = 1, read = 0; read < 10; scale *= 128, read++) {
      if (at >= buffer.length) break;
      const byte = buffer[at++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
    }
    throw new Error('malformed varint');
  };
  while (at < buffer.length) {
    const key = varint();
    const wireType = key % 8;
    const field = Math.floor(key / 8);
    if (wireType === 0) fields.push({ field, value: varint() });
    else if (wireType === 2) {
      const length = varint();
      if (at + length > buffer.length) throw new Error('truncated field');
      fields.push({ field, value: buffer.subarray(at, at + length) });
      at += length;
    } else if (wireType === 1 || wireType === 5) at += wireType === 1 ? 8 : 4;
    else throw new Error(`unknown wire type ${wireType}`);
  }
  if (at > buffer.length || fields.some((f) => f.field === 0)) throw new Error('malformed message');
  return fields;
}

const bytesOf = (fields: ProtoField[], field: number) => fields.flatMap((f) => (f.field === field && Buffer.isBuffer(f.value) ? [f.value] : []));
const textOf = (fields: ProtoField[], field: number) => bytesOf(fields, field).at(-1)?.toString('utf8') ?? '';
const has = (fields: ProtoField[], field: number) => fields.some((f) => f.field === field);

/**
 * The readable lines of one `moby.buildkit.trace` event's `aux`, or undefined when it does not
 * decode. Field numbers from moby/buildkit api/services/control/control.proto: StatusResponse
 * {1 vertexes, 3 logs, 4 warnings}, Vertex {3 name, 4 cached, 5 started, 6 completed, 7 error},
 * VertexLog {4 msg}, VertexWarning {3 short}. A step is named when it starts (or is cached).
 */
export function buildkitTraceLines(aux: string): string[] | undefined {
  try {
    const status = protoFields(Buffer.from(aux, 'base64'));
    const lines: string[] = [];
    for (const vertex of bytesOf(status, 1).map(protoFields)) {
      const name = textOf(vertex, 3);
      const error = textOf(vertex, 7);
      if (error) lines.push(`ERROR: ${name}: ${error}`);
      else if (vertex.some((f) => f.field === 4 && f.value === 1)) lines.push(`CACHED: ${name}`);
      else if (has(vertex, 5) && !has(vertex, 6)) lines.push(name);
    }
    for (const log of bytesOf(status, 3).map(protoFields)) lines.push(...textOf(log, 4).split(/\r?\n/).filter((line) => line.trim()));
    for (const warning of bytesOf(status, 4).map(protoFields)) lines.push(`WARNING: ${textOf(warning, 3)}`);
    return lines;
  } catch {
    return undefined;
  }
}
