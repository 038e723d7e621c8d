/**
 * The three image tasks of the deploy path, in the order the DAG runs them, in one file so
 * they share one built image: build-api-image → test-api-locally → push-to-ecr, against
 * dockerd, the stack's registry behind moto's ECR API, and a real MLflow holding the promoted
 * model (registered by the register-and-promote-model task itself). The image serves the real
 * prediction service from the checkout's bundle (dist/api, what `health-predict bundle`
 * writes; bundled here when missing) and the API tests' trained fixture model.
 * The skip paths and input contract violations need no services and always run.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bundleApi } from '../../../src/api/bundle.ts';
import { createEcrClient, ecrConfigFromEnv } from '../../../src/ecr/index.ts';
import { REPO_ROOT } from '../../../src/host/repo-root.ts';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { API_BUNDLE_DIR } from '../../../src/images/context.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { EXIT_NON_RETRYABLE, EXIT_OK, EXIT_SKIP } from '../../../src/runtime/index.ts';
import buildTask from '../../../src/tasks/build-api-image.ts';
import pushTask from '../../../src/tasks/push-to-ecr.ts';
import promoteTask from '../../../src/tasks/register-and-promote-model.ts';
import testLocallyTask from '../../../src/tasks/test-api-locally.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { type ApiFixture, buildApiFixture } from '../api/api-fixture.ts';
import { client, unique } from '../registry/helpers.ts';
import { deployOutcome } from './gate-outcomes.ts';
import { problemsOf, runAsAirflow } from './run-as-airflow.ts';
import { logModelRun, manifestFor, METADATA_PATH, ONNX_PATH } from './scenario-fixtures.ts';

const PROMOTION = { model_name: 'health-predict-readmission', version: '4' };
const BUILT = { image: 'health-predict-api:v4-20260302080000', image_id: `sha256:${'a'.repeat(64)}`, tag: 'v4-20260302080000', model_name: PROMOTION.model_name, model_version: '4', run_id: 'candidate0run0id', build_ms: 1 };
const sha = '0'.repeat(64);
const split = { uri: 'file:///nowhere/test.csv', rows: 1, raw_rows: 1, positives: 0, positive_rate: 0, sha256: sha, bytes: 1 };
/** Valid by the schema only: for the paths that must end before any file is read. */
const PLACEHOLDER_MANIFEST = {
  source: { uri: 'file:///nowhere/raw.csv', sha256: sha, bytes: 1, rows: 1 },
  output_uri: 'file:///nowhere',
  split: { kind: 'random', raw_rows: 3, fractions: { train: 0.7, validation: 0.15, test: 0.15 }, seed: 1, prng: 'xoshiro128** + Fisher-Yates', applied: 'shuffle raw rows, split, then clean each split' },
  files: { train: split, validation: split, test: split },
  features_uri: 'file:///nowhere/features.json',
  features: { numeric: ['n'], categorical: [], target: 'y' },
  cleaning: { rows_in: 3, rows_dropped_excluded_discharge: 0, rows_out: 3 },
  created_at: '2026-03-02T08:00:00.000Z',
};

describe('image tasks: skips and input contracts (no services)', () => {
  it("build-api-image skips (exit 99) when deploy_target 'registry' leaves the image out", async () => {
    const result = await runAsAirflow(buildTask, 'build_api_image', { promotion: PROMOTION, deploy_target: 'registry' });
    expect(result.code).toBe(EXIT_SKIP);
    expect(result.skipReason).toBe(
      "deploy_target is 'registry': the API image build, its local test and the ECR push are not part of this run (set deploy_target to 'ecr' or 'kubernetes' to include them)",
    );
    expect(result.stdout).toEqual([]);
  });

  it('test-api-locally skips (exit 99) with a warning when skip_api_tests is set', async () => {
    const result = await runAsAirflow(testLocallyTask, 'test_api_locally', { image: BUILT, outcome: deployOutcome(), manifest: PLACEHOLDER_MANIFEST, skip_api_tests: true });
    expect(result.code).toBe(EXIT_SKIP);
    expect(result.skipReason).toBe('skip_api_tests was set for this run');
    expect(result.logs.find((l) => l.level === 'warn' && String(l.msg).startsWith('skip_api_tests is set'))).toMatchObject({ image: BUILT.image });
  });

  it.each([
    ['build-api-image without a version', buildTask, 'build_api_image', { promotion: { model_name: PROMOTION.model_name } }, 'promotion.version'],
    ['build-api-image with an unknown deploy_target', buildTask, 'build_api_image', { promotion: PROMOTION, deploy_target: 'mars' }, 'deploy_target'],
    ['test-api-locally without a manifest', testLocallyTask, 'test_api_locally', { image: BUILT, outcome: deployOutcome() }, 'manifest'],
    ['push-to-ecr without the image id', pushTask, 'push_to_ecr', { image: { ...BUILT, image_id: undefined } }, 'image.image_id'],
  ])('%s is an input contract violation (exit 97)', async (_, task, taskId, input, field) => {
    const result = await runAsAirflow(task, taskId, input);
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure).toMatchObject({ error_name: 'InputContractError' });
    expect(result.failure!.error_message).toContain(field);
  });
});

describeWithService(DOCKER_SKIP_REASON, 'image tasks in order on dockerd, registry, moto and MLflow', () => {
  const services = useServices(['docker', 'registry', 'moto', 'mlflow']);
  const repository = `health-predict-api-tasks-${randomBytes(3).toString('hex')}`;
  const modelName = unique('hp-image-tasks');
  let docker: Docker;
  let fixture: ApiFixture;
  let promotion: Record<string, any>;
  let manifest: ReturnType<typeof manifestFor>;
  let built: Record<string, any> | undefined;

  beforeAll(async () => {
    for (const [name, value] of Object.entries(services.env())) vi.stubEnv(name, value);
    vi.stubEnv('ECR_REPOSITORY', repository);
    vi.stubEnv('MODEL_NAME', modelName);
    vi.stubEnv('MLFLOW_EXPERIMENT_NAME', unique('image-tasks'));
    docker = connectDocker(services.dockerHost);
    const appDir = path.join(REPO_ROOT, API_BUNDLE_DIR);
    if (!existsSync(path.join(appDir, 'server.mjs'))) await bundleApi(appDir);
    const base = await ensureBaseImage({ docker });
    vi.stubEnv('BASE_IMAGE', base.tag);

    fixture = buildApiFixture({ modelType: 'lr', rows: 800, seed: 5 });
    manifest = manifestFor(fixture.dir, { rows: 800, seed: 5 });
    const mlflow = client(services.mlflowUri);
    const { experimentId } = await mlflow.experiments.getOrCreate(unique('image-tasks-training'));
    const run = await logModelRun(mlflow, experimentId, 'lr', readFileSync(fixture.onnxPath), fixture.metadata);
    const outcome = deployOutcome({ run_id: run.info.runId, onnx_path: ONNX_PATH, metadata_path: METADATA_PATH, threshold: fixture.metadata.threshold });
    const promoted = await runAsAirflow(promoteTask, 'register_and_promote_model', { outcome }, { runId: unique('manual__image-tasks') });
    expect(promoted.code, problemsOf(promoted)).toBe(EXIT_OK);
    promotion = promoted.output!;
  }, 900_000);

  afterAll(async () => {
    // By id: also drops the registry tags the push added.
    if (built) await docker.getImage(built.image_id).remove({ force: true }).catch(() => {});
    fixture?.cleanup();
    vi.unstubAllEnvs();
  });

  it('build-api-image bakes the promoted version from MLflow into an image tagged v{version}-{timestamp}', async () => {
    const result = await runAsAirflow(buildTask, 'build_api_image', { promotion, deploy_target: 'ecr' });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    built = result.output!;
    expect(built).toMatchObject({
      image: `${repository}:${built.tag}`,
      image_id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      tag: expect.stringMatching(new RegExp(`^v${promotion.version}-\\d{14}$`)),
      model_name: modelName,
      model_version: promotion.version,
      run_id: promotion.outcome.candidate.run_id,
    });
    const inspect = await docker.getImage(built.image).inspect();
    expect(inspect.Id).toBe(built.image_id);
    expect(inspect.Config.Labels).toMatchObject({ 'health-predict.model.version': promotion.version, 'health-predict.model.run-id': built.run_id });
  }, 600_000);

  it('test-api-locally passes the image whose predictions equal the evaluated model on held-out rows', async () => {
    expect(built, 'the image was not built').toBeDefined();
    const result = await runAsAirflow(testLocallyTask, 'test_api_locally', { image: built, outcome: promotion.outcome, manifest });
    expect(result.code, problemsOf(result)).toBe(EXIT_OK);
    expect(result.output).toMatchObject({ passed: true, image: built!.image });
    expect(result.output!.checks.map((c: { name: string; passed: boolean }) => [c.name, c.passed])).toContainEqual(['predictions', true]);
    expect(result.output!.checks.every((c: { passed: boolean }) => c.passed)).toBe(true);
  }, 300_000);

  it('test-api-locally fails without retries when the image serves another version than the build says', async () => {
    expect(built, 'the image was not built').toBeDefined();
    const result = await runAsAirflow(testLocallyTask, 'test_api_locally', { image: { ...built, model_version: '999' }, outcome: promotion.outcome, manifest });
    expect(result.code).toBe(EXIT_NON_RETRYABLE);
    expect(result.failure!.error_message).toMatch(new RegExp(`^The image ${built!.image} failed its local API test; nothing was pushed and production is unchanged\\. `));
    expect(result.failure!.error_message).toContain(`model_version: the image serves ${modelName} v${built!.model_version}, but ${modelName} v999 was registered`);
  }, 300_000);

  it('push-to-ecr pushes the tested image, ECR confirms the digest, and a re-run finds the repository', async () => {
    expect(built, 'the image was not built').toBeDefined();
    const first = await runAsAirflow(pushTask, 'push_to_ecr', { image: built });
    expect(first.code, problemsOf(first)).toBe(EXIT_OK);
    const pushed = first.output!;
    expect(pushed).toMatchObject({
      repository_uri: expect.stringMatching(new RegExp(`^\\d{12}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/${repository}$`)),
      image_ref: `${services.registry.address}/${repository}@${pushed.digest}`,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      tag: built!.tag,
      repository_created: true,
    });
    const ecr = createEcrClient(ecrConfigFromEnv());
    const [detail] = (await ecr.send(new DescribeImagesCommand({ repositoryName: repository, imageIds: [{ imageTag: built!.tag }] }))).imageDetails ?? [];
    expect(detail?.imageDigest).toBe(pushed.digest);

    const again = await runAsAirflow(pushTask, 'push_to_ecr', { image: built }, { tryNumber: 2 });
    expect(again.code, problemsOf(again)).toBe(EXIT_OK);
    expect(again.output).toEqual({ ...pushed, repository_created: false });
  }, 600_000);

  it('push-to-ecr fails without retries when the registry refuses the credentials', async () => {
    expect(built, 'the image was not built').toBeDefined();
    vi.stubEnv('HP_LOCAL_REGISTRY_PASSWORD', 'not-the-password');
    try {
      const result = await runAsAirflow(pushTask, 'push_to_ecr', { image: built });
      expect(result.code).toBe(EXIT_NON_RETRYABLE);
      expect(result.failure).toMatchObject({ error_name: 'CredentialsRefusedError' });
      expect(JSON.stringify(result.logs)).not.toContain('not-the-password');
    } finally {
      vi.stubEnv('HP_LOCAL_REGISTRY_PASSWORD', services.registry.password);
    }
  }, 300_000);
});
