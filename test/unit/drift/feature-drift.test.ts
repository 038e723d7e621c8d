/** featureDrift / predictionDrift on synthetic samples, and the drift decision they lead to. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_DRIFT_THRESHOLDS, decideDrift, featureDrift, featureDriftSchema, predictionDrift, predictionDriftSchema } from '../../../src/drift/index.ts';
import { BadDataError } from '../../../src/runtime/errors.ts';
import { seededRandom } from '../../../src/runtime/random.ts';
import { BASE, rows, SCHEMA } from './synthetic.ts';

const NO_F1_DROP = { batch_f1: 0.6, reference_f1: 0.6 };
const probabilities = (random: () => number, n: number, shift = 0) => Array.from({ length: n }, () => Math.min(1, random() ** 2 + shift));

describe('featureDrift', () => {
  const random = seededRandom(11);
  const reference = rows(random, 5000);

  it('reports every feature with the schema of its kind, and PSI ≈ 0 / NONE for a sample of the same population', () => {
    const drift = featureDrift(reference, rows(random, 5000), SCHEMA);
    expect(drift.map((d) => [d.feature, d.kind])).toEqual([['age', 'numeric'], ['visits', 'numeric'], ['group', 'categorical'], ['code', 'categorical']]);
    for (const d of drift) {
      featureDriftSchema.parse(d);
      expect(d.psi).toBeLessThan(0.02);
      expect(d).toMatchObject({ n_ref: 5000, n_batch: 5000 });
    }
    const prediction = predictionDrift(probabilities(random, 5000), probabilities(random, 5000));
    predictionDriftSchema.parse(prediction);
    expect(decideDrift({ features: drift, prediction, performance: NO_F1_DROP }, DEFAULT_DRIFT_THRESHOLDS).level).toBe('NONE');
  });

  it('sees a numeric feature shifted by one standard deviation as MAJOR, with a tiny KS p-value', () => {
    const drift = featureDrift(reference, rows(random, 3000, { ...BASE, ageMean: 70 }), SCHEMA);
    const age = drift.find((d) => d.feature === 'age')!;
    expect(age.kind === 'numeric' && age.ks).toBeGreaterThan(0.3);
    expect(age.p_value).toBeLessThan(1e-10);
    const prediction = predictionDrift(probabilities(random, 5000), probabilities(random, 3000));
    const decision = decideDrift({ features: drift, prediction, performance: NO_F1_DROP }, DEFAULT_DRIFT_THRESHOLDS);
    expect(decision).toMatchObject({ level: 'MAJOR', score_source: 'age' });
    expect(decision.worst_features[0]!.feature).toBe('age');
  });

  it('sees a re-weighted categorical feature as MAJOR, with a tiny chi-square p-value', () => {
    const drift = featureDrift(reference, rows(random, 3000, { ...BASE, groupWeights: [0.15, 0.25, 0.6] }), SCHEMA);
    const group = drift.find((d) => d.feature === 'group')!;
    expect(group.kind === 'categorical' && group.chi2_df).toBe(2); // A, B, C (other and unseen are empty)
    expect(group.p_value).toBeLessThan(1e-10);
    const prediction = predictionDrift(probabilities(random, 5000), probabilities(random, 3000));
    expect(decideDrift({ features: drift, prediction, performance: NO_F1_DROP }, DEFAULT_DRIFT_THRESHOLDS)).toMatchObject({ level: 'MAJOR', score_source: 'group' });
  });

  it('counts a category the reference never had, frequent in the batch, in the unseen bin', () => {
    const batch = rows(random, 1000).map((row, i) => (i % 4 === 0 ? { ...row, code: 'never-seen' } : row));
    const code = featureDrift(reference, batch, SCHEMA).find((d) => d.feature === 'code')!;
    expect(code.bins.find((b) => b.label === '__unseen__')).toMatchObject({ ref_count: 0, batch_count: 250 });
    expect(code.psi).toBeGreaterThan(0.3);
  });

  it('refuses an empty batch or reference with a BadDataError saying which', () => {
    expect(() => featureDrift(reference, [], SCHEMA)).toThrow(BadDataError);
    expect(() => featureDrift(reference, [], SCHEMA)).toThrow(/the batch is empty/);
    expect(() => featureDrift([], reference, SCHEMA)).toThrow(/the reference is empty/);
    expect(() => predictionDrift([0.1], [])).toThrow(/the batch is empty/);
  });

  it('names the feature and row of a value that is not a number, and a missing column', () => {
    const batch = rows(random, 3);
    batch[1] = { ...batch[1]!, visits: 'many' };
    expect(() => featureDrift(reference, batch, SCHEMA)).toThrow(/'visits' of batch row 2 is 'many'/);
    expect(() => featureDrift(reference, [{ age: '1', visits: '0', group: 'A' }], SCHEMA)).toThrow(/batch row 1 has no column 'code'/);
  });
});

describe('predictionDrift', () => {
  it('sees probabilities pushed up by 0.3 as a major shift', () => {
    const random = seededRandom(5);
    const drift = predictionDrift(probabilities(random, 4000), probabilities(random, 4000, 0.3));
    expect(drift.psi).toBeGreaterThan(0.3);
    expect(drift.bins.length).toBe(10);
  });

  it('refuses a value that is not a probability', () => {
    expect(() => predictionDrift([0.2, 1.5], [0.3])).toThrow(/reference probability at position 1 is 1.5/);
    expect(() => predictionDrift([0.2], [Number.NaN])).toThrow(BadDataError);
  });
});
