/**
 * What the packed model inputs buy: the fixture model as the trainer exports it (two inputs,
 * numeric [N, 12] and categorical [N, 32]) against the same graph behind one [N, 1] input per
 * column (bench/per_column_onnx.py; the layout before packing), both scored through
 * `createScorer(...).scoreVectors` as the API does, interleaved in one process. Prints one
 * JSON object: median CPU µs per ONNX run at 1, 11 (what 16 connections merge) and 64 rows.
 *
 *   npm run bench:onnx-layout [-- --model-type xgb|rf|lr]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createScorer, readModelMetadata } from '../src/evaluation/onnx-scorer.ts';
import { buildRecordSchema } from '../src/api/record-schema.ts';
import { z } from 'zod';
import { percentile } from '../src/api-checks/http.ts';
import { PROJECT_ROOT } from '../src/cli/project.ts';
import { onCleanup, removeOnCleanup, tempDir } from '../src/host/cleanup.ts';
import { buildApiFixture, variedRecords } from '../test/unit/api/api-fixture.ts';
import { ML_PYTHON } from '../test/unit/evaluation/onnx-fixture.ts';
import { parseFlags, round } from './api-load.ts';

const modelType = z.object({ 'model-type': z.enum(['lr', 'rf', 'xgb']).default('xgb') }).strict()
  .parse(parseFlags(process.argv.slice(2)))['model-type'];
const BATCHES = [1, 11, 64];
const ROUNDS = 7;

const fixture = buildApiFixture({ modelType });
removeOnCleanup(fixture.dir);
const perColumnDir = tempDir('hp-per-column-').path;
const run = spawnSync(ML_PYTHON, [path.join(PROJECT_ROOT, 'bench/per_column_onnx.py'), fixture.modelDir, perColumnDir], { encoding: 'utf8' });
if (run.status !== 0) throw new Error(`per_column_onnx.py failed (exit ${run.status}):\n${run.stderr}`);
const sessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1 };
const layouts = {
  packed: await createScorer(fixture.onnxPath, await readModelMetadata(path.join(fixture.modelDir, 'metadata.json')), { sessionOptions }),
  per_column: await createScorer(path.join(perColumnDir, 'model.onnx'), await readModelMetadata(path.join(perColumnDir, 'metadata.json')), { sessionOptions }),
};
for (const [layout, scorer] of Object.entries(layouts)) onCleanup({ name: `the ${layout} ONNX session`, dispose: () => scorer.dispose() });
const schema = buildRecordSchema(layouts.packed.metadata);
const vectors = variedRecords(64).map((record) => schema.toFeatureVector(record));
const [packed, perColumn] = [await layouts.packed.scoreVectors(vectors), await layouts.per_column.scoreVectors(vectors)];
const maxDiff = packed.reduce((worst, p, i) => Math.max(worst, Math.abs(p - perColumn[i]!)), 0);
if (maxDiff > 1e-6) throw new Error(`the two layouts disagree by ${maxDiff}: not the same model`);

const cpuPerRun: Record<string, Record<string, number>> = { packed: {}, per_column: {} };
for (const rows of BATCHES) {
  const batch = vectors.slice(0, rows);
  const samples: Record<string, number[]> = { packed: [], per_column: [] };
  const iterations = rows === 64 ? 200 : 600;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [layout, scorer] of Object.entries(layouts)) {
      for (let i = 0; i < 50; i++) await scorer.scoreVectors(batch); // warm-up
      const before = process.cpuUsage();
      for (let i = 0; i < iterations; i++) await scorer.scoreVectors(batch);
      const used = process.cpuUsage(before);
      samples[layout]!.push((used.user + used.system) / iterations);
    }
  }
  for (const layout of Object.keys(samples)) {
    cpuPerRun[layout]![`rows_${rows}`] = Math.round(percentile([...samples[layout]!].sort((a, b) => a - b), 50));
  }
}
console.log(JSON.stringify({
  benchmark: 'onnx-layout',
  model_type: modelType,
  cpu_us_per_run: cpuPerRun,
  speedup: Object.fromEntries(BATCHES.map((rows) => [`rows_${rows}`, round(cpuPerRun.per_column![`rows_${rows}`]! / cpuPerRun.packed![`rows_${rows}`]!, 2)])),
  max_abs_diff: maxDiff,
}));
