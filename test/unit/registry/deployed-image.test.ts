/** The deployed-image record on a model version: pinned by digest, written once, read back (real MLflow). */
import { describe, expect, it } from 'vitest';
import { DEPLOYED_TO_TAG, IMAGE_TAG, deployedImageOf, pinnedImage, recordDeployedImage } from '../../../src/registry/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { useServices } from '../../harness/services.ts';
import { client, unique } from './helpers.ts';

const services = useServices(['mlflow']);
const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('pinnedImage', () => {
  it('appends the digest to the pushed reference, keeps a pinned one, refuses a missing digest', () => {
    expect(pinnedImage('127.0.0.1:5001/api:v1-abc', DIGEST)).toBe(`127.0.0.1:5001/api:v1-abc@${DIGEST}`);
    expect(pinnedImage(`repo/api@${DIGEST}`, DIGEST)).toBe(`repo/api@${DIGEST}`);
    expect(() => pinnedImage('repo/api:v1', '')).toThrow(BadDataError);
    expect(() => pinnedImage('repo/api:v1', 'sha256:short')).toThrow(/has no usable digest/);
  });
});

describe('recordDeployedImage', () => {
  it('tags the version with its image and where it ran; a repeat writes nothing, a new deploy overwrites', async () => {
    const mlflow = client(services.mlflowUri);
    const name = unique('deployed-image');
    const { experimentId } = await mlflow.experiments.getOrCreate(unique('deployed-image'));
    const run = await mlflow.runs.create({ experimentId });
    await mlflow.models.getOrCreate(name);
    const created = await mlflow.models.createVersion({ name, source: `${run.info.artifactUri}/model`, runId: run.info.runId });
    expect(deployedImageOf(created)).toBeUndefined();

    const writes: string[] = [];
    const counting = { ...mlflow, models: { ...mlflow.models, setVersionTag: async (...args: Parameters<typeof mlflow.models.setVersionTag>) => (writes.push(args[2]), mlflow.models.setVersionTag(...args)) } };
    const deployed = { image: `repo/api:v1@${DIGEST}`, deployedTo: 'hp/hp-api' };
    await recordDeployedImage(counting, name, created.version, deployed);
    expect(writes).toEqual([IMAGE_TAG, DEPLOYED_TO_TAG]);
    const version = await mlflow.models.getVersion(name, created.version);
    expect(version.tags).toMatchObject({ [IMAGE_TAG]: deployed.image, [DEPLOYED_TO_TAG]: 'hp/hp-api' });
    expect(deployedImageOf(version)).toEqual(deployed);

    await recordDeployedImage(counting, name, created.version, deployed);
    expect(writes).toHaveLength(2);
    await recordDeployedImage(counting, name, created.version, { ...deployed, deployedTo: 'prod/hp-api' });
    expect(writes).toEqual([IMAGE_TAG, DEPLOYED_TO_TAG, DEPLOYED_TO_TAG]);
  });
});
