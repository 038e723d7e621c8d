/**
 * The real prediction service in the image: buildApiImage without appDir bundles src/api
 * (bundleApi), the model dir is the API tests' real trained pipeline (test/unit/api/api-fixture.ts),
 * and the container answers /ready, /model-info and a prediction as the non-root user.
 * The API's full HTTP suite lives with the API; this checks that the image carries it intact.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBaseImage } from '../../../src/images/base-image.ts';
import { buildApiImage, type BuiltImage } from '../../../src/images/build.ts';
import { connectDocker } from '../../../src/images/docker.ts';
import { withContainer } from '../../../src/images/run.ts';
import { DOCKER_SKIP_REASON, useServices } from '../../harness/services.ts';
import { describeWithService } from '../../harness/skip.ts';
import { type ApiFixture, buildApiFixture, MODEL_INFO } from '../api/api-fixture.ts';

describeWithService(DOCKER_SKIP_REASON, 'the API image with the real service', () => {
  const services = useServices(['docker']);
  let docker: Docker;
  let fixture: ApiFixture;
  let image: BuiltImage;

  beforeAll(async () => {
    docker = connectDocker(services.dockerHost);
    const base = await ensureBaseImage({ docker });
    fixture = buildApiFixture({ modelType: 'lr' });
    image = await buildApiImage({
      docker,
      model: { name: MODEL_INFO.name, version: MODEL_INFO.version, runId: MODEL_INFO.run_id, dir: fixture.modelDir },
      baseImage: base.tag,
    });
  }, 900_000);

  afterAll(async () => {
    if (image) await docker.getImage(image.reference).remove({ force: true }).catch(() => {});
    fixture?.cleanup();
  });

  it('becomes ready, reports the baked-in model version, and predicts', async () => {
    const inspect = await docker.getImage(image.reference).inspect();
    expect(inspect.Config.Labels).toMatchObject({ 'health-predict.model.version': MODEL_INFO.version, 'health-predict.model.run-id': MODEL_INFO.run_id });
    await withContainer({ docker, image: image.reference, readyTimeoutMs: 120_000 }, async ({ baseUrl }) => {
      expect((await fetch(`${baseUrl}/health`)).status).toBe(200);
      expect(await (await fetch(`${baseUrl}/model-info`)).json()).toMatchObject({ name: MODEL_INFO.name, version: MODEL_INFO.version, run_id: MODEL_INFO.run_id });
      const response = await fetch(`${baseUrl}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(fixture.records[0]) });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { prediction: number; probability_score: number; model_version: string };
      expect(body.model_version).toBe(MODEL_INFO.version);
      expect([0, 1]).toContain(body.prediction);
      expect(body.probability_score).toBeGreaterThanOrEqual(0);
      expect(body.probability_score).toBeLessThanOrEqual(1);
    });
  }, 300_000);
});
