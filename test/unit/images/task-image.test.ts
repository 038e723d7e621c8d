/**
 * The real task image on the stack's dockerd: built from a snapshot of this checkout (so edits
 * made while it builds do not change what is tested), then run the way a KubernetesPodOperator
 * pod runs it — as uid 50000, a task bundle with its HP_* inputs, the output on the last stdout
 * line or in /airflow/xcom/return.json, exit 99 for a skip — and its ML environment imported.
 * A second build after a source change must reuse the ML environment's and node_modules' layers.
 * Pushed to the stack's registry, it is named by the digest the registry serves.
 */
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localPlatform, publishTaskImage } from '../../../src/cluster/task-image.ts';
import { fetchManifest } from '../../../src/ecr/manifest.ts';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { buildFromContext } from '../../../src/images/build.ts';
import type { BuildContext } from '../../../src/images/context.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { demuxLogs } from '../../../src/images/run.ts';
import { assembleTaskContext, buildTaskImage, type TaskImage } from '../../../src/images/task-image.ts';
import { withReplacedImageRemoved } from '../../../src/images/replaced-image.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';

const CHECKOUT = '/opt/health-predict';
const BUILD_TIMEOUT_MS = 1_800_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` to completion in a fresh container of `image` (host network, as the stack's dockerd has no bridge) and removes it. */
async function runOnce(docker: Docker, image: string, cmd: string[], env: Record<string, string> = {}): Promise<Run> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: cmd,
    Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
    Labels: { 'health-predict.role': 'task-image-test' },
    HostConfig: { NetworkMode: 'host' },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const read = async (stdout: boolean) => demuxLogs((await container.logs({ stdout, stderr: !stdout, follow: false })) as unknown as Buffer);
    return { code: StatusCode, stdout: await read(true), stderr: await read(false) };
  } finally {
    await container.remove({ force: true });
  }
}

/** How the compiled DAG passes a task its inputs (src/runtime/contract.ts): bindings plus one HP_INPUT__<field> per bound field. */
const taskEnv = (taskId: string, bindings: object, inputs: Record<string, unknown>) => ({
  HP_DAG_ID: 'health_predict_task_image_test',
  HP_TASK_ID: taskId,
  HP_RUN_ID: 'manual__task-image-test',
  HP_TRY_NUMBER: '1',
  HP_BINDINGS: JSON.stringify(bindings),
  ...Object.fromEntries(Object.entries(inputs).map(([field, value]) => [`HP_INPUT__${field}`, JSON.stringify(value)])),
});

const chooseRoute = ['node', '--enable-source-maps', `${CHECKOUT}/dist/tasks/choose-route.mjs`];
const chooseRouteEnv = taskEnv('choose_route', { route: { from: 'param', name: 'route' }, rows: { from: 'const', value: 120 } }, { route: 'thorough' });

describeWithService(DOCKER_SKIP_REASON, 'the task image', () => {
  const services = useServices(['docker', 'registry']);
  const tag = `test-${process.pid}`;
  let docker: Docker;
  let baseImage: string;
  let snapshot: BuildContext;
  let image: TaskImage;
  const built: string[] = [];

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    baseImage = (await ensureBaseImage({ docker })).tag;
    snapshot = assembleTaskContext();
    image = await buildTaskImage({ docker, root: snapshot.dir, baseImage, tag });
    built.push(image.reference);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    // Only the tags: the layers stay in the daemon's cache for the next build.
    for (const reference of built) await docker?.getImage(reference).remove().catch(() => {});
    snapshot?.cleanup();
  });

  it('runs as uid 50000 in group 0, with a shell and a writable /airflow/xcom', async () => {
    const run = await runOnce(docker, image.reference, ['sh', '-c', 'id -u; id -g; touch /airflow/xcom/return.json && echo writable']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n')).toEqual(['50000', '0', 'writable']);
    expect(image.sizeBytes).toBeGreaterThan(0);
  }, 120_000);

  it('runs a task bundle with its inputs from the environment: the output is the last stdout line', async () => {
    const run = await runOnce(docker, image.reference, chooseRoute, chooseRouteEnv);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!)).toEqual({ route: 'thorough', reason: "route 'thorough' requested for 120 rows" });
  }, 120_000);

  it("writes the output to KubernetesPodOperator's XCom file when HP_XCOM_FILE names it", async () => {
    const script = `${chooseRoute.join(' ')} > /dev/null && cat /airflow/xcom/return.json`;
    const run = await runOnce(docker, image.reference, ['sh', '-c', script], { ...chooseRouteEnv, HP_XCOM_FILE: '/airflow/xcom/return.json' });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ route: 'thorough' });
  }, 120_000);

  it("a skipping task's exit code 99 is the container's exit code", async () => {
    const run = await runOnce(docker, image.reference, ['node', `${CHECKOUT}/dist/tasks/optional-export.mjs`], taskEnv('optional_export', { enabled: { from: 'param', name: 'export_enabled' } }, { enabled: false }));
    expect(run.code, run.stderr).toBe(99);
    expect(run.stderr).toContain('task skipped');
  }, 120_000);

  it('has the ML environment: the trainer, xgboost, ray and onnx import, and xgboost trains without NCCL', async () => {
    const script = [
      'import health_predict_trainer, xgboost, ray, onnx, sklearn, mlflow, numpy',
      'x = numpy.random.default_rng(0).normal(size=(64, 3))',
      'model = xgboost.XGBClassifier(n_estimators=3, max_depth=2).fit(x, (x[:, 0] > 0).astype(int))',
      'print(len(model.predict(x)))',
    ].join('\n');
    // As runTrainer starts it: HEALTH_PREDICT_TRAINER_PYTHON, the trainer's sources on PYTHONPATH.
    const run = await runOnce(docker, image.reference, ['sh', '-c', '"$HEALTH_PREDICT_TRAINER_PYTHON" -c "$SCRIPT"'], { PYTHONPATH: `${CHECKOUT}/trainer/src`, SCRIPT: script });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('64');
  }, 300_000);

  it('rebuilds only the bundles and the trainer layers after a source change', async () => {
    appendFileSync(path.join(snapshot.dir, 'examples/tasks/fast-path.ts'), '\n// changed by the task image test\n');
    writeFileSync(path.join(snapshot.dir, 'trainer/src/health_predict_trainer/_task_image_test.py'), '# changed by the task image test\n');
    const changed = await buildTaskImage({ docker, root: snapshot.dir, baseImage, tag: `${tag}-changed` });
    built.push(changed.reference);
    const layers = async (id: string) => (await docker.getImage(id).inspect()).RootFS.Layers ?? [];
    const before = await layers(image.imageId);
    const after = await layers(changed.imageId);
    expect(changed.imageId).not.toBe(image.imageId);
    expect(after).toHaveLength(before.length);
    // The layers end [… apt, lock file, ML environment, node_modules, package.json, dist, deploy, trainer]:
    // all up to package.json are shared, dist and trainer are new.
    expect(after.slice(0, -3)).toEqual(before.slice(0, -3));
    expect(after.at(-3)).not.toBe(before.at(-3));
    expect(after.at(-1)).not.toBe(before.at(-1));
  }, BUILD_TIMEOUT_MS);

  it("is pushed to the registry and named by the digest the registry serves", async () => {
    const { address, username, password } = services.registry;
    const registry = { address, username, password };
    const published = await publishTaskImage({ docker, registry, root: snapshot.dir, baseImage, tag: `${tag}-pushed` });
    built.push(`${published.image.reference}`, published.tagReference);
    expect(published.reference).toBe(`${address}/health-predict-tasks@${published.digest}`);
    expect((await fetchManifest(registry, 'health-predict-tasks', published.digest)).digest).toBe(published.digest);
  }, BUILD_TIMEOUT_MS);
});

/**
 * The previous image when a build moves its tag, on tiny images (the base image plus a label, so
 * each build is a new id in a second): removed when nothing names or uses it, kept otherwise.
 */
describeWithService(DOCKER_SKIP_REASON, 'the image a rebuild replaces', () => {
  const services = useServices(['docker']);
  const repository = `hp-replaced-image-test-${process.pid}`;
  const lines: string[] = [];
  const log = { info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(`warn: ${msg}`), debug: (_: object, msg: string) => void lines.push(`debug: ${msg}`) };
  let docker: Docker;
  let baseImage: string;
  let contextDir: string;
  const made: string[] = [];

  /** Builds `<repository>:<tag>` (labelled `build`), removing the image the tag named before when unused. */
  const build = (tag: string, build: string) =>
    withReplacedImageRemoved(docker, `${repository}:${tag}`, log, async () => {
      const id = await buildFromContext({ docker, context: { dir: contextDir, entries: ['Dockerfile'] }, reference: `${repository}:${tag}`, labels: { 'health-predict.test.build': build }, source: { dockerfile: 'Dockerfile', baseImage }, log });
      made.push(id);
      return id;
    });
  const exists = (id: string) => docker.getImage(id).inspect().then(() => true, () => false);

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    baseImage = (await ensureBaseImage({ docker })).tag;
    contextDir = mkdtempSync(path.join(os.tmpdir(), 'hp-replaced-image-'));
    writeFileSync(path.join(contextDir, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nLABEL health-predict.test=replaced-image\n');
  }, 600_000);

  afterAll(async () => {
    // Only what these tests made, by id (force: the tags several of them share).
    for (const id of made.reverse()) await docker?.getImage(id).remove({ force: true }).catch(() => {});
    if (contextDir) rmSync(contextDir, { recursive: true, force: true });
  });

  it('removes the previous image when the tag moved and nothing else names it', async () => {
    const first = await build('moved', `moved-1-${Date.now()}`);
    const second = await build('moved', `moved-2-${Date.now()}`);
    expect(second).not.toBe(first);
    expect(await exists(first)).toBe(false);
    expect(await exists(second)).toBe(true);
    expect(lines).toContain(`removed the previous image ${first}: no tag names it any more`);
  }, 120_000);

  it('keeps the previous image while another tag names it', async () => {
    const first = await build('tagged', `tagged-1-${Date.now()}`);
    await docker.getImage(first).tag({ repo: repository, tag: 'tagged-elsewhere' });
    const second = await build('tagged', `tagged-2-${Date.now()}`);
    expect(second).not.toBe(first);
    expect(await exists(first)).toBe(true);
    expect(lines).toContain(`debug: kept the previous image ${first}: still tagged ${repository}:tagged-elsewhere`);
  }, 120_000);

  it('keeps the previous image while a container uses it (the daemon refuses, no force)', async () => {
    const first = await build('used', `used-1-${Date.now()}`);
    const container = await docker.createContainer({ Image: first, Cmd: ['true'], Labels: { 'health-predict.role': 'task-image-test' } });
    try {
      const second = await build('used', `used-2-${Date.now()}`);
      expect(second).not.toBe(first);
      expect(await exists(first)).toBe(true);
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^debug: kept the previous image ${first}: .*(container|conflict)`)));
    } finally {
      await container.remove({ force: true });
    }
  }, 120_000);

  it('leaves the image alone when a rebuild keeps the tag where it was', async () => {
    const label = `same-${Date.now()}`;
    const first = await build('same', label);
    const again = await build('same', label);
    expect(again).toBe(first);
    expect(await exists(first)).toBe(true);
  }, 120_000);
});

describe('where the task image is built and pushed', () => {
  it('takes the dockerd, registry and base image from the environment `stack env` exports', async () => {
    const platform = await localPlatform({
      DOCKER_HOST: 'unix:///nonexistent/docker.sock',
      HP_LOCAL_REGISTRY: '127.0.0.1:5999',
      HP_LOCAL_REGISTRY_USERNAME: 'AWS',
      HP_LOCAL_REGISTRY_PASSWORD: 'a-password-of-16-chars',
      BASE_IMAGE: 'node:20-bookworm-slim',
    });
    expect(platform.registry).toEqual({ address: '127.0.0.1:5999', username: 'AWS', password: 'a-password-of-16-chars' });
    expect(platform.baseImage).toBe('node:20-bookworm-slim');
  });

  it('says how to get a dockerd and a registry when neither the environment nor the stack has them', async () => {
    await expect(localPlatform({}, path.join(os.tmpdir(), `hp-no-stack-${process.pid}`))).rejects.toThrow(/needs a dockerd and a registry: set DOCKER_HOST .*stack up --services docker,registry/);
  });
});
