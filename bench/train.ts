/**
 * Training benchmark on the real UCI file: runs trainer/bench_train.py (origin split,
 * production HPO budget, all three model types) with the ML environment's Python, passes its
 * progress (stderr) through, validates its result and prints it as one JSON object.
 * The data file is HP_REAL_DATA, default /work/shared/data/diabetes-130/diabetic_data.csv;
 * when it is absent the benchmark prints {"skipped": "..."} and exits 0.
 */
import { z } from 'zod';
import { runPythonBench } from './python-bench.ts';

const unit = z.number().min(0).max(1);
const modelResult = z.looseObject({
  test_auc: unit,
  test_f1: unit,
  val_f1: unit,
  threshold: unit,
  trials_run: z.number().int().nonnegative(),
  trials_stopped_early: z.number().int().nonnegative(),
  wall_s: z.number().nonnegative().optional(),
});
const benchResult = z.union([
  z.strictObject({ skipped: z.string().min(1) }),
  z
    .looseObject({
      champion: z.string(),
      champion_test_auc: unit,
      champion_test_f1: unit,
      wall_s: z.number().nonnegative(),
      models: z.record(z.string(), modelResult),
    })
    .refine((r) => r.champion in r.models, { message: 'the champion is not one of the models', path: ['champion'] }),
]);

// Its process group is stopped as a whole (with Ray's workers) however this benchmark ends.
await runPythonBench({ name: 'bench:train', script: 'trainer/bench_train.py', schema: benchResult, graceMs: 10_000 });
