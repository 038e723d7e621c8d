/** The drift decision on hand-made evidence: levels at their thresholds, the score's source, PERFORMANCE_DROP. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_THRESHOLDS, type DriftEvidence, decideDrift, driftDecisionSchema, type FeatureDrift, type PredictionDrift } from '../../../src/drift/index.ts';

const bins = [{ label: 'a', ref_count: 1, batch_count: 1, ref_share: 1, batch_share: 1, psi: 0 }];
const numeric = (feature: string, psi: number): FeatureDrift => ({ feature, kind: 'numeric', psi, ks: 0.1, p_value: 0.5, n_ref: 10, n_batch: 10, bins });
const prediction = (psi: number): PredictionDrift => ({ psi, ks: 0.1, p_value: 0.5, n_ref: 10, n_batch: 10, bins });
const evidence = (psis: number[], predictionPsi = 0, f1 = { batch_f1: 0.6, reference_f1: 0.6 }): DriftEvidence => ({
  features: psis.map((psi, i) => numeric(`f${i}`, psi)),
  prediction: prediction(predictionPsi),
  performance: f1,
});
const decide = (e: DriftEvidence) => driftDecisionSchema.parse(decideDrift(e, DEFAULT_DRIFT_THRESHOLDS));

describe('decideDrift', () => {
  it.each([
    [0, 'NONE'],
    [0.0499, 'NONE'],
    [0.05, 'MINOR'],
    [0.1499, 'MINOR'],
    [0.15, 'MODERATE'],
    [0.2999, 'MODERATE'],
    [0.3, 'MAJOR'],
    [4, 'MAJOR'],
  ])('max PSI %d → %s', (psi, level) => {
    expect(decide(evidence([0.01, psi, 0.02]))).toMatchObject({ level, drift_level: level, score: Math.max(psi, 0.02), f1_drop: 0 });
  });

  it('takes the score from the predicted probabilities when they drifted more than any feature', () => {
    expect(decide(evidence([0.01, 0.02], 0.2))).toMatchObject({ level: 'MODERATE', score: 0.2, score_source: 'prediction' });
  });

  it('names the features at or above the minor threshold, worst first, at most five', () => {
    expect(decide(evidence([0.06, 0.5, 0.01, 0.2, 0.07, 0.08, 0.09])).worst_features.map((f) => f.feature)).toEqual(['f1', 'f3', 'f6', 'f5', 'f4']);
    expect(decide(evidence([0.01, 0.02])).worst_features).toEqual([]);
  });

  it('says PERFORMANCE_DROP when F1 fell more than the threshold, whatever the distributions did, and keeps the drift level', () => {
    const decision = decide(evidence([0.01], 0, { batch_f1: 0.5, reference_f1: 0.6 }));
    expect(decision).toMatchObject({ level: 'PERFORMANCE_DROP', drift_level: 'NONE' });
    expect(decision.f1_drop).toBeCloseTo(0.1, 12);
    expect(decision.reasons.join('\n')).toMatch(/PERFORMANCE_DROP: production F1 on the batch 0.5 is 0.1 below its test F1 0.6 \(more than DRIFT_PERFORMANCE_DROP = 0.05\)/);
    expect(decide(evidence([0.4], 0, { batch_f1: 0.5, reference_f1: 0.6 }))).toMatchObject({ level: 'PERFORMANCE_DROP', drift_level: 'MAJOR' });
  });

  it('keeps the drift level for a drop within the threshold or a better F1', () => {
    expect(decide(evidence([0.2], 0, { batch_f1: 0.56, reference_f1: 0.6 })).level).toBe('MODERATE');
    expect(decide(evidence([0.2], 0, { batch_f1: 0.7, reference_f1: 0.6 })).level).toBe('MODERATE');
  });

  it('explains the level with the variable that decided it', () => {
    expect(decide(evidence([0.2])).reasons[0]).toBe(
      "the largest feature PSI ('f0') is 0.2: MODERATE (at least DRIFT_THRESHOLD_MODERATE = 0.15, below DRIFT_THRESHOLD_MAJOR = 0.3)",
    );
  });

  it('refuses evidence without features and thresholds out of order', () => {
    expect(() => decideDrift(evidence([]), DEFAULT_DRIFT_THRESHOLDS)).toThrow();
    expect(() => decideDrift(evidence([0.1]), { ...DEFAULT_DRIFT_THRESHOLDS, minor: 0.2 })).toThrow(/minor < moderate < major/);
  });
});
