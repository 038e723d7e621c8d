/**
 * HPO on a real Ray cluster vs the local Ray instance, same budget, one run: runs
 * bench/ray_hpo.py with the ML environment's Python (origin split of the real UCI file,
 * 4 LogisticRegression trials of 5 epochs, no early stopping), passes its progress (stderr)
 * through, validates its result and prints it as one JSON object. The cluster is a 1-CPU head
 * and BENCH_RAY_WORKERS (1) 1-CPU worker nodes, each started with `ray start` as a separate
 * process; the training command joins it through RAY_ADDRESS.
 *
 * Keys: `workers`, `trials`, `local_wall_s` / `cluster_wall_s` (Tune's wall, refit and ONNX
 * export left out), `trials_per_min_local` / `trials_per_min_cluster`, `nodes_used`,
 * `trials_per_node` (head / worker-N), `cluster_start_s`, `cpus`, `budget`, `data`, `val_f1`.
 * Both runs have the same 2 CPUs, and this machine has 2 cores: the cluster shows that the trials
 * are distributed over its nodes, not a speed-up (it pays for the extra node processes and the
 * package upload). The data file is HP_REAL_DATA, default
 * /work/shared/data/diabetes-130/diabetic_data.csv; when it is absent the benchmark prints
 * {"skipped": "..."} and exits 0.
 */
import { z } from 'zod';
import { runPythonBench } from './python-bench.ts';

const seconds = z.number().nonnegative();
const count = z.number().int().nonnegative();
const benchResult = z.union([
  z.strictObject({ skipped: z.string().min(1) }),
  z
    .looseObject({
      workers: count,
      trials: count,
      local_wall_s: seconds,
      cluster_wall_s: seconds,
      trials_per_min_local: seconds,
      trials_per_min_cluster: seconds,
      nodes_used: count,
      trials_per_node: z.record(z.string(), count),
      budget: z.looseObject({ num_samples: count, max_epochs: count }),
      data: z.looseObject({ file: z.string(), train_rows: count }),
    })
    .refine((r) => Object.values(r.trials_per_node).reduce((a, b) => a + b, 0) === r.trials, {
      message: 'trials_per_node does not add up to trials',
      path: ['trials_per_node'],
    }),
]);

// The Ray nodes run in process groups of their own: SIGTERM lets the script stop them (they also
// stop when it dies), hence the longer grace.
await runPythonBench({ name: 'bench:ray', script: 'bench/ray_hpo.py', schema: benchResult, graceMs: 30_000 });
