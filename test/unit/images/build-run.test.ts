/**
 * The API image on a real dockerd: build from deploy/api/Dockerfile on the local base image,
 * run with host networking until /ready, and the failures (bad Dockerfile, never ready, crash,
 * no daemon) each fail the right way with the container removed.
 *
 * The image carries the stand-in server from standin-api.ts (a real Node server that loads
 * onnxruntime-node and a real ONNX model in the container); api-image.test.ts runs the real API.
 */
import { readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { buildApiImage, imageTag } from '../../../src/images/build.ts';
import { DEFAULT_DOCKERFILE } from '../../../src/images/context.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { ContainerExitedError, ContainerNotReadyError, DockerUnavailableError, ImageBuildError } from '../../../src/images/errors.ts';
import { startContainer, TEST_CONTAINER_LABEL, withContainer } from '../../../src/images/run.ts';
import { NonRetryableError, exitCodeFor } from '../../../src/runtime/errors.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { standinInputs, type StandinInputs } from './standin-api.ts';

const lines: string[] = [];
const log = { info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(`warn: ${msg}`) };

async function containersOf(docker: Docker, image: string) {
  return docker.listContainers({ all: true, filters: { label: [`${TEST_CONTAINER_LABEL}=api-test`], ancestor: [image] } });
}

describe('imageTag', () => {
  it('is v{version}-{UTC yyyymmddHHMMSS}', () => {
    expect(imageTag('12', new Date('2026-01-31T23:59:58.765Z'))).toBe('v12-20260131235958');
    expect(imageTag('3', new Date('2026-07-04T00:00:00+02:00'))).toBe('v3-20260703220000');
  });
});

describe('DockerUnavailableError', () => {
  it('a missing daemon socket is retryable and says how to start one', async () => {
    const docker = connectDocker(`unix://${path.join(os.tmpdir(), 'hp-no-such-docker.sock')}`);
    const error = await buildApiImage({ docker, model: { name: 'm', version: '1', runId: 'r', dir: '/nonexistent' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DockerUnavailableError);
    expect((error as Error).message).toMatch(/did not answer while answering a ping .*stack up --services docker/);
    expect(exitCodeFor(error)).not.toBe(exitCodeFor(new NonRetryableError('x')));
  }, 60_000);
});

describeWithService(DOCKER_SKIP_REASON, 'API image on a real dockerd', () => {
  const services = useServices(['docker']);
  let docker: Docker;
  let baseImage: string;
  let inputs: StandinInputs;
  const built: string[] = [];

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    const base = await ensureBaseImage({ docker, log });
    baseImage = base.tag;
    console.info(`base image ${base.tag}: ${base.source} (root filesystem ${base.rootfsMs} ms, import ${base.importMs} ms)`);
    inputs = standinInputs('7');
  }, 900_000);

  afterAll(async () => {
    for (const reference of built) await docker?.getImage(reference).remove({ force: true }).catch(() => {});
    inputs?.fixture.cleanup();
    if (inputs) rmSync(inputs.appDir, { recursive: true, force: true });
  });

  it('builds a tagged, labelled, non-root image that runs until /ready, then removes the container', async () => {
    const now = new Date('2026-03-04T05:06:07Z');
    const image = await buildApiImage({ docker, model: inputs.model, baseImage, appDir: inputs.appDir, now, log });
    built.push(image.reference);
    console.info(`image build: ${image.ms} ms, context ${(image.contextBytes / 1e6).toFixed(1)} MB`);
    expect(image.reference).toBe('health-predict-api:v7-20260304050607');
    expect(lines).toContainEqual(expect.stringMatching(/\[\d\/\d\] COPY runtime\/ \/app\/$/)); // the builder's progress reached the logger

    const inspect = await docker.getImage(image.reference).inspect();
    expect(inspect.Id).toBe(image.imageId);
    expect(inspect.Config.Labels).toMatchObject({
      'health-predict.model.name': 'health-predict-readmission',
      'health-predict.model.version': '7',
      'health-predict.model.run-id': 'standin0run0id',
      'org.opencontainers.image.created': now.toISOString(),
    });
    expect(inspect.Config.User).toBe('10001:10001');
    expect(inspect.Config.Cmd).toEqual(['node', 'server.mjs']);
    expect((inspect.Config as { Healthcheck?: { Test?: string[] } }).Healthcheck?.Test?.join(' ')).toContain('/health');
    expect(inspect.Config.Env).toEqual(expect.arrayContaining(['MODEL_DIR=/app/model', 'MODEL_VERSION=7', 'MODEL_RUN_ID=standin0run0id']));
    // Few layers: the base, the runtime and app+model COPYs, and WORKDIR's empty one.
    const base = await docker.getImage(baseImage).inspect();
    expect(inspect.RootFS.Layers!.length - base.RootFS.Layers!.length).toBe(3);

    let id = '';
    const info = await withContainer({ docker, image: image.reference, log }, async (container) => {
      id = container.id;
      expect((await fetch(`${container.baseUrl}/health`)).status).toBe(200);
      expect((await fetch(`${container.baseUrl}/ready`)).status).toBe(200);
      expect(await container.logs()).toMatch(/model loaded; inputs: \d+, uid 10001/);
      return (await fetch(`${container.baseUrl}/model-info`)).json();
    });
    expect(info).toEqual({ name: 'health-predict-readmission', version: '7', run_id: 'standin0run0id' });
    await expect(docker.getContainer(id).inspect()).rejects.toMatchObject({ statusCode: 404 });
  }, 600_000);

  /** What building the image throws (or returns) with deploy/api/Dockerfile edited by `edit`. */
  async function buildWithDockerfile(edit: (dockerfile: string) => string): Promise<unknown> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hp-bad-dockerfile-'));
    const dockerfile = path.join(dir, 'Dockerfile');
    writeFileSync(dockerfile, edit(readFileSync(DEFAULT_DOCKERFILE, 'utf8')));
    try {
      return await buildApiImage({ docker, model: inputs.model, baseImage, appDir: inputs.appDir, dockerfile, log }).catch((e: unknown) => e);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('a bad Dockerfile instruction fails with the builder message, non-retryably', async () => {
    const error = await buildWithDockerfile((text) => text.replace('WORKDIR /app', 'WORKDIR /app\nCOPYY app/ /app/'));
    expect(error).toBeInstanceOf(ImageBuildError);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as ImageBuildError).builderMessage).toMatch(/unknown instruction: COPYY/i);
    expect((error as Error).message).toMatch(/docker build of health-predict-api:v7-\d{14} failed: .*unknown instruction: COPYY/i);
  }, 300_000);

  it('a COPY of a file missing from the context fails with the builder message', async () => {
    const error = await buildWithDockerfile((text) => text.replace('COPY app/ /app/', 'COPY app/ /app/\nCOPY no-such-file /app/'));
    expect(error).toBeInstanceOf(ImageBuildError);
    expect((error as ImageBuildError).builderMessage).toMatch(/no-such-file.*not found/i);
  }, 300_000);

  describe('containers that do not become ready', () => {
    let reference = '';
    beforeAll(async () => {
      const image = await buildApiImage({ docker, model: { ...inputs.model, version: '8' }, baseImage, appDir: inputs.appDir, log });
      built.push(image.reference);
      reference = image.reference;
    }, 600_000);

    it('fails by the deadline, with the container output, and removes the container', async () => {
      const started = Date.now();
      const error = await startContainer({ docker, image: reference, env: { STANDIN_NEVER_READY: '1' }, readyTimeoutMs: 3_000, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContainerNotReadyError);
      expect((error as Error).message).toMatch(/did not become ready within 3 s: http:\/\/127\.0\.0\.1:\d+\/ready last answered 503/);
      expect((error as Error).message).toContain('listening on');
      expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
      expect(await containersOf(docker, reference)).toEqual([]);
    }, 120_000);

    it('a container that exits fails without waiting for the deadline, non-retryably, and is removed', async () => {
      const error = await startContainer({ docker, image: reference, env: { MODEL_DIR: '/nonexistent' }, readyTimeoutMs: 120_000, log }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ContainerExitedError);
      expect(error).toBeInstanceOf(NonRetryableError);
      expect((error as Error).message).toMatch(/exited with code 1 before .* answered 200/);
      expect((error as Error).message).toMatch(/ENOENT.*model-info\.json/);
      expect(await containersOf(docker, reference)).toEqual([]);
    }, 120_000);

    it('removes the container when the caller fails', async () => {
      await expect(withContainer({ docker, image: reference, log }, async () => {
        throw new Error('suite failed');
      })).rejects.toThrow('suite failed');
      expect(await containersOf(docker, reference)).toEqual([]);
    }, 120_000);
  });
});
