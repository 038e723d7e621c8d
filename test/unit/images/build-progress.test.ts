/**
 * BuildKit's progress reaches the build's logger as readable lines: a real build on the stack's
 * dockerd whose RUN step echoes a marker logs the step's name and the marker, and no base64.
 * Undecodable progress is left out rather than printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { buildFromContext } from '../../../src/images/build.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { BUILDKIT_TRACE_ID, buildkitTraceLines, followJsonStream } from '../../../src/images/json-stream.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';

/** A line that is one long base64 word (what the progress looked like before it was decoded). */
const BASE64_BLOB = /^[A-Za-z0-9+/]{16,}={0,2}$/;

describe('BuildKit progress that does not decode', () => {
  it('is no lines, not its base64', async () => {
    expect(buildkitTraceLines(Buffer.from('hello, not protobuf').toString('base64'))).toBeUndefined();
    const stream = Readable.from([`${JSON.stringify({ id: BUILDKIT_TRACE_ID, aux: 'aGVsbG8sIG5vdCBwcm90b2J1Zg==' })}\n`, `${JSON.stringify({ stream: 'Step done\n' })}\n`]);
    const lines: string[] = [];
    const result = await followJsonStream(stream, (event) => lines.push(event.stream ?? ''));
    expect(lines).toEqual(['Step done\n']);
    expect(result.error).toBeUndefined();
  });
});

describeWithService(DOCKER_SKIP_REASON, 'BuildKit progress on a real dockerd', () => {
  const services = useServices(['docker']);
  const reference = `hp-build-progress-test:${process.pid}`;
  let docker: Docker;
  let baseImage: string;
  let contextDir: string;

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    baseImage = (await ensureBaseImage({ docker })).tag;
    contextDir = mkdtempSync(path.join(os.tmpdir(), 'hp-build-progress-'));
    writeFileSync(path.join(contextDir, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG MARKER\nRUN echo "marker: $MARKER" && echo "second line"\n');
  }, 600_000);

  afterAll(async () => {
    await docker?.getImage(reference).remove().catch(() => {});
    if (contextDir) rmSync(contextDir, { recursive: true, force: true });
  });

  it("logs the steps' names and their output, and no base64", async () => {
    const marker = `build-progress-${process.pid}-${Date.now()}`; // a new value: the RUN step runs, not cached
    const lines: string[] = [];
    const log = { info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(`warn: ${msg}`) };
    const context = { dir: contextDir, entries: ['Dockerfile'] };
    await buildFromContext({ docker, context, reference, buildargs: { MARKER: marker }, source: { dockerfile: 'Dockerfile', baseImage }, networkMode: 'none', log });
    expect(lines).toContain(`[2/2] RUN echo "marker: ${marker}" && echo "second line"`);
    expect(lines).toContain(`marker: ${marker}`);
    expect(lines).toContain('second line');
    expect(lines.filter((line) => BASE64_BLOB.test(line))).toEqual([]);
    expect(lines.join('\n')).not.toContain(Buffer.from(`marker: ${marker}`).toString('base64').slice(0, 16));
  }, 300_000);
});
