/**
 * Bootstrap cost on 20 000 rows (the size of the origin split's test set ×7): 1000 ROC AUC
 * resamples, beside the cost of one plain AUC computation in the same run. One JSON object.
 */
import { bootstrapCi, bootstrapMetrics, rocAuc } from '../src/evaluation/index.ts';

const ROWS = 20_000;
let state = 99;
const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const labels = new Uint8Array(ROWS);
const scores = new Float64Array(ROWS);
for (let i = 0; i < ROWS; i += 1) {
  labels[i] = random() < 0.45 ? 1 : 0;
  scores[i] = Math.min(1, Math.max(0, 0.3 * labels[i]! + 0.7 * random()));
}
bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 50 }); // JIT warm-up
const single = performance.now();
const auc = rocAuc(labels, scores);
const singleMs = performance.now() - single;
const start = performance.now();
const ci = bootstrapCi(labels, scores, bootstrapMetrics.rocAuc, { resamples: 1000, seed: 1 });
const bootstrapMs = performance.now() - start;
console.log(
  JSON.stringify({
    benchmark: 'bootstrap',
    rows: ROWS,
    resamples: 1000,
    auc: Number(auc.toFixed(4)),
    ci: [Number(ci.lower.toFixed(4)), Number(ci.upper.toFixed(4))],
    bootstrap_ms: Math.round(bootstrapMs),
    baseline_single_auc_ms: Number(singleMs.toFixed(2)),
    per_resample_vs_single: Number((bootstrapMs / 1000 / singleMs).toFixed(2)),
  }),
);
