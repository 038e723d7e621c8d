/** measureDrift on synthetic rows: the statistics, the production model's F1 on the batch, the decision. */
import { describe, expect, it } from 'vitest';
import { confusionMatrix, f1 } from '../../../src/evaluation/metrics.ts';
import { driftMeasurementSchema, driftReportSchema, measureDrift } from '../../../src/drift/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { driftInput, driftReport } from './report-fixture.ts';

describe('measureDrift', () => {
  it('sees a batch of the same population as NONE, every feature measured with its bins', () => {
    const measured = measureDrift(driftInput());
    driftMeasurementSchema.parse(measured);
    expect(measured.features.map((f) => f.feature)).toEqual(['age', 'visits', 'group', 'code']);
    expect(measured.features.every((f) => f.bins.length > 1)).toBe(true);
    expect(measured.decision).toMatchObject({ level: 'NONE', worst_features: [] });
    expect(measured.thresholds).toEqual({ minor: 0.05, moderate: 0.15, major: 0.3, performance_drop: 0.05 });
  });

  it('sees age shifted by one standard deviation as MAJOR, age first among the worst features, and the predictions drifted too', () => {
    const measured = measureDrift(driftInput({ shift: true }));
    expect(measured.decision.level).toBe('MAJOR');
    expect(measured.decision.worst_features[0]!.feature).toBe('age');
    expect(measured.decision.worst_features.map((f) => f.feature)).not.toContain('group');
    expect(measured.prediction.psi).toBeGreaterThan(0.3);
  });

  it("computes the production model's F1 on the batch at its threshold with the evaluation's metrics, from the target column", () => {
    const input = driftInput();
    const { performance } = measureDrift(input);
    const labels = input.batch.map((row) => Number(row.readmitted));
    expect(performance.batch_f1).toBe(f1(confusionMatrix(labels, input.batchProbabilities, 0.5)));
    expect(performance).toMatchObject({ reference_f1: 0.55, threshold: 0.5, batch_rows: 1500, batch_positives: labels.filter((y) => y === 1).length });
    expect(performance.precision).toBeGreaterThan(0);
    expect(performance.recall).toBeGreaterThan(0);
    // explicit labels win over the target column
    const allNegative = measureDrift({ ...input, batchLabels: new Uint8Array(1500) }).performance;
    expect(allNegative).toMatchObject({ batch_f1: 0, batch_positives: 0 });
  });

  it('says PERFORMANCE_DROP when the batch F1 is more than DRIFT_PERFORMANCE_DROP below the recorded test F1', () => {
    const measured = measureDrift(driftInput({ referenceF1: 0.95 }));
    expect(measured.decision).toMatchObject({ level: 'PERFORMANCE_DROP', drift_level: 'NONE' });
  });

  it('refuses probabilities or labels that do not match the batch, a threshold or F1 out of range, and a bad label', () => {
    const input = driftInput();
    expect(() => measureDrift({ ...input, batchProbabilities: [0.1] })).toThrow(BadDataError);
    expect(() => measureDrift({ ...input, batchProbabilities: [0.1] })).toThrow(/1500 rows but 1 predicted probabilities/);
    expect(() => measureDrift({ ...input, batchLabels: [1, 0] })).toThrow(/1500 rows but 2 labels/);
    expect(() => measureDrift({ ...input, threshold: 1.5 })).toThrow(/decision threshold is 1.5/);
    expect(() => measureDrift({ ...input, referenceF1: Number.NaN })).toThrow(/test F1 is NaN/);
    const batch = input.batch.map((row, i) => (i === 7 ? { ...row, readmitted: 'yes' } : row));
    expect(() => measureDrift({ ...input, batch })).toThrow(/row 7, target column "readmitted"/);
  });

  it('makes a report that round-trips through JSON and its schema', () => {
    const report = driftReport({ shift: true });
    expect(driftReportSchema.parse(JSON.parse(JSON.stringify(report)))).toEqual(report);
    expect(report.action).toMatchObject({ action: 'retrain', cooldown: { active: false, last: null } });
  });
});
