/**
 * push_to_ecr against real services: moto for the ECR API, Debian's docker-registry (htpasswd)
 * for the layers, dockerd for tag/push/pull. See src/ecr/publish.ts for how the two registries
 * are paired locally. The image is the API image with the stand-in server (test/unit/images/standin-api.ts).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { DescribeImagesCommand, DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEcrClient, decodeAuthorizationToken, ecrConfigFromEnv, type EcrConfig, pushToEcr, RegistryUnavailableError } from '../../../src/ecr/index.ts';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { buildApiImage, type BuiltImage } from '../../../src/images/build.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { followJsonStream } from '../../../src/images/json-stream.ts';
import { CredentialsRefusedError, exitCodeFor, NonRetryableError } from '../../../src/runtime/errors.ts';
import { faults, startFlakyProxy } from '../../harness/flaky-proxy.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { standinInputs, type StandinInputs } from '../images/standin-api.ts';

const lines: string[] = [];
const log = { info: (_: object, msg: string) => void lines.push(msg), warn: (_: object, msg: string) => void lines.push(`warn: ${msg}`) };

describe('ECR configuration', () => {
  it('reads the environment with defaults and names bad variables without their values', () => {
    expect(ecrConfigFromEnv({})).toEqual({ repositoryName: 'health-predict-api', tagMutability: 'IMMUTABLE', scanOnPush: true, region: 'us-east-1', endpoint: undefined, maxAttempts: 4, credentials: undefined, localRegistry: undefined });
    expect(ecrConfigFromEnv({ AWS_DEFAULT_REGION: 'eu-west-1', ECR_SCAN_ON_PUSH: 'false', AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:5001' })).toMatchObject({ region: 'eu-west-1', scanOnPush: false, endpoint: 'http://127.0.0.1:5001' });
    expect(() => ecrConfigFromEnv({ ECR_TAG_MUTABILITY: 'SOMETIMES', ECR_REPOSITORY: 'Upper' })).toThrow(/ECR_REPOSITORY: .*; ECR_TAG_MUTABILITY/);
    expect(() => ecrConfigFromEnv({ HP_LOCAL_REGISTRY: '127.0.0.1:5002', HP_LOCAL_REGISTRY_PASSWORD: 's3cret-value' })).toThrow(/go together/);
    try {
      ecrConfigFromEnv({ HP_LOCAL_REGISTRY: 'http://x', HP_LOCAL_REGISTRY_USERNAME: 'AWS', HP_LOCAL_REGISTRY_PASSWORD: 's3cret-value' });
    } catch (error) {
      expect((error as Error).message).toContain('HP_LOCAL_REGISTRY');
      expect((error as Error).message).not.toContain('s3cret-value');
    }
  });

  it('reads DOCKER_IMAGE_REGISTRY: an ECR registry URI (its region) or another registry with its login', () => {
    const ecrUri = '123456789012.dkr.ecr.eu-central-1.amazonaws.com';
    expect(ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: ecrUri })).toMatchObject({ region: 'eu-central-1', imageRegistry: { kind: 'ecr', address: ecrUri, accountId: '123456789012', region: 'eu-central-1' } });
    expect(ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: `https://${ecrUri}/` }).imageRegistry).toMatchObject({ kind: 'ecr', address: ecrUri });
    expect(() => ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: ecrUri, AWS_REGION: 'us-east-1' })).toThrow(/in region eu-central-1, but AWS_REGION\/AWS_DEFAULT_REGION says us-east-1/);
    expect(ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: 'registry.example.com:5000', DOCKER_REGISTRY_USERNAME: 'ci', DOCKER_REGISTRY_PASSWORD: 'pw' }).imageRegistry).toEqual({
      kind: 'registry',
      login: { address: 'registry.example.com:5000', username: 'ci', password: 'pw' },
    });
    expect(() => ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: 'registry.example.com' })).toThrow(/is not an ECR registry: set DOCKER_REGISTRY_USERNAME and DOCKER_REGISTRY_PASSWORD/);
    expect(() => ecrConfigFromEnv({ DOCKER_REGISTRY_USERNAME: 'ci', DOCKER_REGISTRY_PASSWORD: 'pw' })).toThrow(/DOCKER_IMAGE_REGISTRY is not/);
    expect(() => ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: 'registry.example.com', DOCKER_REGISTRY_USERNAME: 'ci' })).toThrow(/go together/);
    expect(() => ecrConfigFromEnv({ DOCKER_IMAGE_REGISTRY: 'a.example.com', DOCKER_REGISTRY_USERNAME: 'ci', DOCKER_REGISTRY_PASSWORD: 'pw', HP_LOCAL_REGISTRY: '127.0.0.1:5002', HP_LOCAL_REGISTRY_USERNAME: 'AWS', HP_LOCAL_REGISTRY_PASSWORD: 'x' })).toThrow(/name different registries/);
  });

  it('decodes an ECR token at its first colon', () => {
    expect(decodeAuthorizationToken(Buffer.from('AWS:pa:ss').toString('base64'))).toEqual({ username: 'AWS', password: 'pa:ss' });
    expect(() => decodeAuthorizationToken(Buffer.from('nocolon').toString('base64'))).toThrow(NonRetryableError);
  });
});

describeWithService(DOCKER_SKIP_REASON, 'push to ECR (moto + docker-registry)', () => {
  const services = useServices(['docker', 'registry', 'moto']);
  let docker: Docker;
  let inputs: StandinInputs;
  let image: BuiltImage;
  const suffix = randomBytes(3).toString('hex');
  const config = (overrides: Partial<EcrConfig> = {}): EcrConfig => ({
    ...ecrConfigFromEnv({ ...services.env(), ECR_REPOSITORY: `health-predict-api-${suffix}` }),
    ...overrides,
  });
  const authconfig = () => ({ username: services.registry.username, password: services.registry.password, serveraddress: services.registry.address });

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    const base = await ensureBaseImage({ docker, log });
    inputs = standinInputs('11');
    image = await buildApiImage({ docker, model: inputs.model, baseImage: base.tag, appDir: inputs.appDir, log });
  }, 900_000);

  afterAll(async () => {
    // By id: also drops the registry tags the pushes added.
    if (image) await docker.getImage(image.imageId).remove({ force: true }).catch(() => {});
    inputs?.fixture.cleanup();
    if (inputs) rmSync(inputs.appDir, { recursive: true, force: true });
  });

  it('pushes through the ECR flow, ECR confirms the digest, and pulling it back gives the same image', async () => {
    const cfg = config();
    expect(cfg.localRegistry).toEqual({ address: services.registry.address, username: 'AWS', password: services.registry.password });
    let started = performance.now();
    const published = await pushToEcr({ docker, image: image.reference, tag: image.tag, config: cfg, log });
    console.info(`push (registry empty): ${Math.round(performance.now() - started)} ms`);
    expect(published).toMatchObject({
      repositoryName: cfg.repositoryName,
      repositoryUri: expect.stringMatching(new RegExp(`^\\d{12}\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/${cfg.repositoryName}$`)),
      pullRepository: `${services.registry.address}/${cfg.repositoryName}`,
      tag: image.tag,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      localRegistry: true,
      repositoryCreated: true,
    });
    expect(published.imageRef).toBe(`${published.pullRepository}@${published.digest}`);
    expect(lines).toContainEqual(expect.stringMatching(/: Pushed$/));

    // The repository as created, and ECR's record of the image, through the ECR API.
    const ecr = createEcrClient(cfg);
    const [repository] = (await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [cfg.repositoryName] }))).repositories ?? [];
    expect(repository).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
    const [detail] = (await ecr.send(new DescribeImagesCommand({ repositoryName: cfg.repositoryName, imageIds: [{ imageTag: image.tag }] }))).imageDetails ?? [];
    expect(detail?.imageDigest).toBe(published.digest);

    // Pull back by digest into a daemon that no longer has the image: same image id, same digest.
    await docker.getImage(`${published.pullRepository}:${image.tag}`).remove();
    await docker.getImage(image.reference).remove();
    await expect(docker.getImage(image.imageId).inspect()).rejects.toMatchObject({ statusCode: 404 });
    const pull = await followJsonStream(await docker.pull(published.imageRef, { authconfig: authconfig() }));
    expect(pull.error).toBeUndefined();
    const pulled = await docker.getImage(published.imageRef).inspect();
    expect(pulled.Id).toBe(image.imageId);
    expect(pulled.RepoDigests).toContain(published.imageRef);
    await docker.getImage(image.imageId).tag({ repo: image.repository, tag: image.tag });

    // Same image, new tag: every layer is already there.
    started = performance.now();
    const again = await pushToEcr({ docker, image: image.reference, tag: `${image.tag}-again`, config: cfg, log });
    console.info(`push (layers present): ${Math.round(performance.now() - started)} ms`);
    expect(again.digest).toBe(published.digest);
    expect(again.repositoryCreated).toBe(false);
    expect(lines).toContainEqual(expect.stringMatching(/: Layer already exists$/));

    // A re-run of the same push (e.g. after a crash before XCom was written) succeeds with the same digest.
    expect((await pushToEcr({ docker, image: image.reference, tag: image.tag, config: cfg, log })).digest).toBe(published.digest);
  }, 600_000);

  it('pushes straight to another registry named by DOCKER_IMAGE_REGISTRY (no ECR API), the digest confirmed from its manifest', async () => {
    const name = `other-registry-${suffix}`;
    const cfg = ecrConfigFromEnv({
      ECR_REPOSITORY: name,
      DOCKER_IMAGE_REGISTRY: services.registry.address,
      DOCKER_REGISTRY_USERNAME: services.registry.username,
      DOCKER_REGISTRY_PASSWORD: services.registry.password,
      AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:9', // an ECR call would fail: there must be none
    });
    const published = await pushToEcr({ docker, image: image.reference, tag: image.tag, config: cfg, log });
    expect(published).toMatchObject({ repositoryUri: `${services.registry.address}/${name}`, registry: services.registry.address, localRegistry: false, repositoryCreated: false });
    expect(published.imageRef).toBe(`${services.registry.address}/${name}@${published.digest}`);
    const manifest = await fetch(`http://${services.registry.address}/v2/${name}/manifests/${image.tag}`, {
      method: 'HEAD',
      headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json', authorization: `Basic ${Buffer.from(`${services.registry.username}:${services.registry.password}`).toString('base64')}` },
    });
    expect(manifest.headers.get('docker-content-digest')).toBe(published.digest);
  }, 600_000);

  it('refuses an ECR registry the credentials do not push to', async () => {
    const cfg = { ...config(), imageRegistry: { kind: 'ecr' as const, address: '999999999999.dkr.ecr.us-east-1.amazonaws.com', accountId: '999999999999', region: 'us-east-1' } };
    const error = await pushToEcr({ docker, image: image.reference, tag: `${image.tag}-elsewhere`, config: cfg, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as Error).message).toMatch(/^DOCKER_IMAGE_REGISTRY is 999999999999\.dkr\.ecr\.us-east-1\.amazonaws\.com, but with these AWS credentials the repository .* is \d{12}\.dkr\.ecr/);
  }, 120_000);

  it('a wrong registry password fails at once and non-retryably, without echoing the password', async () => {
    const cfg = config({ localRegistry: { address: services.registry.address, username: 'AWS', password: 'not-the-password' } });
    const started = performance.now();
    const error = await pushToEcr({ docker, image: image.reference, tag: `${image.tag}-refused`, config: cfg, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsRefusedError);
    expect(exitCodeFor(error)).toBe(97);
    expect((error as Error).message).toMatch(new RegExp(`registry ${services.registry.address} refused the push .* for user AWS: .*(unauthorized|authentication required|no basic auth)`, 'i'));
    expect((error as Error).message).not.toContain('not-the-password');
    expect(lines.filter((line) => line.includes('-refused') && line.includes('retrying'))).toEqual([]);
    expect(performance.now() - started).toBeLessThan(60_000);
  }, 120_000);

  it('retries ECR API calls through transient failures', async () => {
    const proxy = await startFlakyProxy({ target: services.s3Endpoint, failures: 2, fault: faults.status(503, '{"__type":"ServerException","message":"injected"}', 'application/x-amz-json-1.1') });
    try {
      const published = await pushToEcr({ docker, image: image.reference, tag: `${image.tag}-flaky`, config: config({ endpoint: proxy.endpoint }), log });
      expect(published.digest).toMatch(/^sha256:/);
      expect(proxy.faulted()).toBe(2);
      expect(lines).toContainEqual(expect.stringMatching(/^warn: ECR describing repository .* failed on attempt 1\/4 .*retrying in \d+ ms$/));
    } finally {
      await proxy.close();
    }
  }, 300_000);

  it('an unreachable registry is retried, then fails retryably', async () => {
    const cfg = config({ maxAttempts: 2, localRegistry: { address: '127.0.0.1:9', username: 'AWS', password: services.registry.password } });
    const error = await pushToEcr({ docker, image: image.reference, tag: `${image.tag}-unreachable`, config: cfg, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(exitCodeFor(error)).not.toBe(97);
    expect((error as Error).message).toMatch(/127\.0\.0\.1:9 could not be reached .*connection refused/);
    expect(lines).toContainEqual(expect.stringMatching(/^warn: push of 127\.0\.0\.1:9\/.* failed on attempt 1 /));
  }, 300_000);
});
