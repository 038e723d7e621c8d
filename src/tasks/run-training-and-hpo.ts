import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createObjectStore } from '../data/object-store.ts';
import { readSplit } from '../data/read-split.ts';
import { loadPipelineEnv } from '../pipeline/contract/environment.ts';
import { manifestSchema, modelTypeSchema, trainingResultSchema } from '../pipeline/contract/training.ts';
import { defineTask } from '../runtime/index.ts';
import { runTrainer } from '../training/run-trainer.ts';

/** Both this file and its bundle (dist/tasks/*.mjs) sit two levels below the checkout root. */
const CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Tunes and trains every configured model type on the prepared splits (Python trainer, Ray
 * Tune with ASHA, one MLflow run per trial) and returns the best model of each type.
 */
export default defineTask({
  id: 'run-training-and-hpo',
  description: 'Hyperparameter search and training per model type; ONNX export with a parity check.',
  input: z.object({
    manifest: manifestSchema,
    model_types: z.array(modelTypeSchema).min(1).optional(),
  }),
  output: trainingResultSchema,
  run: async ({ manifest, model_types }, ctx) => {
    const config = loadPipelineEnv();
    const store = createObjectStore({ log: ctx.log });
    const work = mkdtempSync(path.join(os.tmpdir(), 'hp-training-'));
    try {
      const files = { train: path.join(work, 'train.csv'), validation: path.join(work, 'validation.csv'), features: path.join(work, 'features.json') };
      writeFileSync(files.train, await readSplit(store, manifest.files.train));
      writeFileSync(files.validation, await readSplit(store, manifest.files.validation));
      writeFileSync(files.features, JSON.stringify(manifest.features));
      ctx.log.info({ train_rows: manifest.files.train.rows, validation_rows: manifest.files.validation.rows }, 'splits downloaded and verified');
      return await runTrainer(
        {
          python: config.HEALTH_PREDICT_TRAINER_PYTHON ?? path.join(CHECKOUT, '.venv/ml/bin/python'),
          packageDir: path.join(CHECKOUT, 'trainer/src'),
          trainCsv: files.train,
          validationCsv: files.validation,
          featuresJson: files.features,
          modelTypes: model_types ?? config.TRAINING_MODEL_TYPES,
          numSamples: config.RAY_NUM_SAMPLES,
          maxEpochs: config.RAY_MAX_EPOCHS,
          gracePeriod: config.RAY_GRACE_PERIOD,
          mlflowUri: config.MLFLOW_TRACKING_URI,
          experiment: config.MLFLOW_EXPERIMENT_NAME,
          dagRunId: ctx.origin.runId,
          seed: config.TRAINING_SEED,
        },
        ctx.log,
      );
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
});
