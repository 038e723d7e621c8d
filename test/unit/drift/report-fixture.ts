/**
 * A drift report from synthetic rows (synthetic.ts) for the report, picture and record tests: a
 * reference of 3000 rows and a batch of 1500, optionally with age shifted by one standard
 * deviation; the label follows age, the "model" scores age, so a shift moves the predictions too.
 */
import { seededRandom } from '../../../src/runtime/random.ts';
import {
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftAction,
  type DriftReport,
  type MeasureDriftInput,
  decideAction,
  driftReportSchema,
  measureDrift,
  NO_ALERTS,
} from '../../../src/drift/index.ts';
import { BASE, rows, SCHEMA } from './synthetic.ts';

export const SPEC = { ...SCHEMA, target: 'readmitted' } as const;

/** p(positive) of a row: a logistic of its age. */
const score = (row: Record<string, string>) => 1 / (1 + Math.exp(-(Number(row.age) - 65) / 6));

function labelled(seed: number, n: number, ageMean: number): Record<string, string>[] {
  const random = seededRandom(seed);
  return rows(random, n, { ...BASE, ageMean }).map((row) => ({ ...row, readmitted: random() < score(row) ? '1' : '0' }));
}

export function driftInput(options: { shift?: boolean; referenceF1?: number } = {}): MeasureDriftInput {
  const reference = labelled(1, 3000, 60);
  const batch = labelled(2, 1500, options.shift ? 70 : 60);
  return {
    reference,
    batch,
    features: SPEC,
    referenceProbabilities: Float64Array.from(reference, score),
    batchProbabilities: batch.map(score),
    threshold: 0.5,
    referenceF1: options.referenceF1 ?? 0.55,
    thresholds: DEFAULT_DRIFT_THRESHOLDS,
  };
}

export const NOW = new Date('2026-12-07T09:00:00.000Z');

export function driftReport(options: { shift?: boolean; batchIndex?: number; action?: DriftAction } = {}): DriftReport {
  const measured = measureDrift(driftInput(options));
  return driftReportSchema.parse({
    ...measured,
    created_at: NOW.toISOString(),
    batch: { index: options.batchIndex ?? 3, uri: 's3://bucket/monitoring/batches/batch-0003.csv', rows: 1500 },
    production: { model_name: 'HealthPredictModel', version: '2', run_id: 'a'.repeat(32), reference_uri: 's3://bucket/processed/train.csv', reference_rows: 3000 },
    action: options.action ?? decideAction(measured.decision, NO_ALERTS, NOW, 6),
  });
}
