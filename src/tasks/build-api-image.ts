import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { API_BUNDLE_DIR } from '../images/context.ts';
import { buildApiImage, connectDocker } from '../images/index.ts';
import { REPO_ROOT } from '../host/repo-root.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { deployStageSkipReason, deployTargetSchema } from '../pipeline/contract/deploy-target.ts';
import { imageBuildSchema, promotedVersionSchema } from '../pipeline/contract/release.ts';
import { mlflowClientFromEnv } from '../registry/index.ts';
import { NonRetryableError, defineTask } from '../runtime/index.ts';
import { MODEL_FILE_TAGS } from '../gates/outcome.ts';

/**
 * Builds the prediction service's image with the promoted model baked in: the registered
 * version's ONNX file and metadata from MLflow, plus model-info.json (name, version, run id).
 * BASE_IMAGE overrides the Dockerfile's base (offline: the locally built Debian + Node image).
 */
export default defineTask({
  id: 'build-api-image',
  description: 'docker build of the prediction API with the promoted model; tag v{version}-{timestamp}.',
  input: z.object({ promotion: promotedVersionSchema, deploy_target: deployTargetSchema.default('kubernetes') }),
  output: imageBuildSchema,
  run: async ({ promotion, deploy_target }, ctx) => {
    const skipReason = deployStageSkipReason(deploy_target, 'image');
    if (skipReason) ctx.skip(skipReason);
    const env = loadPipelineEnv();
    const client = mlflowClientFromEnv();
    const version = await client.models.getVersion(promotion.model_name, promotion.version);
    const runId = version.runId;
    if (!runId) throw new NonRetryableError(`Model ${promotion.model_name} v${promotion.version} has no run id; cannot fetch its files.`);
    const modelDir = mkdtempSync(path.join(os.tmpdir(), 'hp-image-model-'));
    try {
      const files = { 'model.onnx': version.tags[MODEL_FILE_TAGS.onnx], 'metadata.json': version.tags[MODEL_FILE_TAGS.metadata] };
      for (const [file, artifact] of Object.entries(files)) {
        if (!artifact) throw new NonRetryableError(`Model ${promotion.model_name} v${promotion.version} has no ${MODEL_FILE_TAGS.onnx}/${MODEL_FILE_TAGS.metadata} tags; register it with register_and_promote_model.`);
        writeFileSync(path.join(modelDir, file), await client.artifacts.download(runId, artifact));
      }
      writeFileSync(path.join(modelDir, 'model-info.json'), JSON.stringify({ name: promotion.model_name, version: promotion.version, run_id: runId }));
      const built = await buildApiImage({
        docker: connectDocker(),
        model: { name: promotion.model_name, version: promotion.version, runId, dir: modelDir },
        repository: env.ECR_REPOSITORY,
        // the bundled service next to the task bundles (`health-predict bundle` writes both)
        appDir: path.join(REPO_ROOT, API_BUNDLE_DIR),
        ...(process.env.BASE_IMAGE ? { baseImage: process.env.BASE_IMAGE } : {}),
        log: ctx.log,
      });
      ctx.log.info({ image: built.reference, image_id: built.imageId, ms: built.ms }, 'image built');
      return { image: built.reference, image_id: built.imageId, tag: built.tag, model_name: promotion.model_name, model_version: promotion.version, run_id: runId, build_ms: built.ms };
    } finally {
      rmSync(modelDir, { recursive: true, force: true });
    }
  },
});
