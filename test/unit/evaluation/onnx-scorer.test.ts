import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadDataError, NonRetryableError } from '../../../src/runtime/errors.ts';
import {
  createScorer,
  ModelContractError,
  modelMetadataSchema,
  parseModelMetadata,
  readModelMetadata,
  resolveModelInputs,
  type Scorer,
} from '../../../src/evaluation/onnx-scorer.ts';
import { buildOnnxFixture, type OnnxFixture } from './onnx-fixture.ts';

let fx: OnnxFixture;
let scorer: Scorer;

beforeAll(async () => {
  fx = buildOnnxFixture();
  scorer = await createScorer(fx.modelBytes, fx.metadata);
});
afterAll(async () => {
  await scorer?.dispose();
  fx?.cleanup();
});

/** A metadata variant; `edit` changes a deep copy. */
function variant(edit: (m: any) => void): unknown {
  const m = structuredClone(fx.metadata);
  edit(m);
  return m;
}

async function expectContractError(metadata: unknown, ...patterns: RegExp[]): Promise<ModelContractError> {
  const error = await createScorer(fx.modelBytes, metadata).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelContractError);
  expect(error).toBeInstanceOf(NonRetryableError);
  for (const p of patterns) expect((error as Error).message).toMatch(p);
  return error as ModelContractError;
}

describe('ONNX scorer parity with scikit-learn', () => {
  it('scores every row within 1e-5 of predict_proba, unseen categories included', async () => {
    const p = await scorer.score(fx.rows);
    expect(p).toBeInstanceOf(Float64Array);
    expect(p.length).toBe(fx.rows.length);
    let worst = 0;
    p.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - fx.expected.proba[i]!))));
    expect(worst).toBeLessThan(1e-5);
    expect(fx.expected.unseen_rows.length).toBeGreaterThan(0);
    expect(fx.rows[fx.expected.unseen_rows[0]!]!.race).toBe('Zeta');
    for (const i of fx.expected.unseen_rows) expect(Math.abs(p[i]! - fx.expected.proba[i]!)).toBeLessThan(1e-5);
  });

  it('predict labels p >= threshold (the metadata threshold, or one given)', async () => {
    const { probabilities, labels } = await scorer.predict(fx.rows);
    expect(scorer.threshold).toBe(0.42);
    labels.forEach((l, i) => expect(l).toBe(probabilities[i]! >= 0.42 ? 1 : 0));
    // At 0.5 the labels are sklearn's predict (argmax).
    const at50 = await scorer.predict(fx.rows, 0.5);
    expect(Array.from(at50.labels)).toEqual(fx.expected.label);
  });

  it('gives the same scores whatever the batch size, from a path, and from numbers instead of strings', async () => {
    const reference = await scorer.score(fx.rows);
    const small = await createScorer(fx.modelPath, await readModelMetadata(fx.metadataPath), { batchSize: 7 });
    try {
      expect(await small.score(fx.rows)).toEqual(reference);
      const numeric = fx.rows.map((r) => ({ ...r, num_lab_procedures: Number(r.num_lab_procedures), time_in_hospital: Number(r.time_in_hospital) }));
      expect(await small.score(numeric)).toEqual(reference);
      expect(await small.score([])).toEqual(new Float64Array(0));
      // The serving path's vectors: values in `columns` order.
      expect(small.columns).toEqual(['num_lab_procedures', 'time_in_hospital', 'race', 'med-combo']);
      expect(await small.scoreVectors(fx.rows.map((r) => small.columns.map((c) => r[c])))).toEqual(reference);
    } finally {
      await small.dispose();
    }
  });

  it('feeds inputs by position when metadata has no `columns` array', async () => {
    // The graph input is med_combo (skl2onnx sanitised "med-combo"); name the column the same.
    const metadata = variant((m) => {
      delete m.columns;
      m.features.categorical = ['race', 'med_combo'];
    });
    const plain = await createScorer(fx.modelBytes, metadata);
    try {
      expect(plain.inputs.map((i) => `${i.name}<-${i.columns.join('+')}:${i.kind}`)).toEqual([
        'num_lab_procedures<-num_lab_procedures:numeric', 'time_in_hospital<-time_in_hospital:numeric',
        'race<-race:categorical', 'med_combo<-med_combo:categorical']);
      const rows = fx.rows.map(({ 'med-combo': med, ...rest }) => ({ ...rest, med_combo: med! }));
      expect(await plain.score(rows)).toEqual(await scorer.score(fx.rows));
    } finally {
      await plain.dispose();
    }
  });
});

describe('model / metadata mismatches fail with a clear message', () => {
  it('an input the metadata expects but the model lacks', async () => {
    const error = await expectContractError(
      variant((m) => {
        m.features.numeric.push('num_medications');
        m.input_names.splice(2, 0, 'num_medications');
        m.columns.splice(2, 0, 'num_medications');
      }),
      /input "num_medications" \(column "num_medications", numeric\) is missing from the model/,
      /its inputs are "num_lab_procedures", "time_in_hospital", "race", "med_combo"/,
    );
    expect(error.message).toMatch(/^the ONNX model \(\d+ bytes\) does not match its metadata/);
  });

  it('a model input the metadata does not feed', async () => {
    await expectContractError(
      variant((m) => {
        m.features.categorical = ['race'];
        m.input_names = m.input_names.slice(0, 3);
        m.columns = m.columns.slice(0, 3);
      }),
      /model input "med_combo" is not in metadata.input_names/,
    );
  });

  it('a column declared numeric that the model takes as strings', async () => {
    await expectContractError(
      variant((m) => {
        m.features.numeric = ['num_lab_procedures', 'time_in_hospital', 'race'];
        m.features.categorical = ['med-combo'];
      }),
      /input "race" \(column "race"\) is string in the model but the metadata declares it numeric \(float32\)/,
    );
  });

  it('a positive class index outside the probability columns', async () => {
    await expectContractError(variant((m) => (m.positive_class_index = 2)), /positive_class_index 2 is out of range: "probabilities" has 2 columns/);
  });

  it('bytes that are not an ONNX model, and a missing file', async () => {
    await expect(createScorer(Buffer.from('not a model'), fx.metadata)).rejects.toThrow(/cannot load the ONNX model \(11 bytes\)/);
    await expect(createScorer(`${fx.dir}/nope.onnx`, fx.metadata)).rejects.toThrow(/cannot read ONNX model .*nope\.onnx/);
  });
});

describe('metadata contract', () => {
  it('parses metadata.json and keeps extra keys', async () => {
    const m = await readModelMetadata(fx.metadataPath);
    expect(m.model_type).toBe('lr');
    expect((m as Record<string, unknown>).run_id).toBe('fixture');
    expect(modelMetadataSchema.parse(fx.metadata)).toEqual(m);
    expect(resolveModelInputs(m).map((i) => i.columns)).toEqual([['num_lab_procedures'], ['time_in_hospital'], ['race'], ['med-combo']]);
  });

  it('names every problem with its path', () => {
    const bad = variant((m) => {
      delete m.threshold;
      m.probability_output = 'output_probability';
      m.model_type = 'svm';
    });
    expect(() => parseModelMetadata(bad, 'models/x/metadata.json')).toThrow(ModelContractError);
    try {
      parseModelMetadata(bad, 'models/x/metadata.json');
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toMatch(/^models\/x\/metadata.json does not match the model metadata contract/);
      expect(message).toMatch(/threshold/);
      expect(message).toMatch(/probability_output/);
      expect(message).toMatch(/model_type/);
    }
  });

  it('checks that inputs, columns and features line up', () => {
    expect(() => parseModelMetadata(variant((m) => m.columns.pop()))).toThrow(/4 input_names but 3 columns in columns/);
    expect(() => parseModelMetadata(variant((m) => (m.columns[3] = 'med_combo')))).toThrow(/column "med_combo" is neither in features.numeric nor in features.categorical/);
    expect(() => parseModelMetadata(variant((m) => (m.input_names[1] = 'race')))).toThrow(/input "race" is listed more than once/);
    expect(() => parseModelMetadata(variant((m) => (m.features.target = 'race')))).toThrow(/the target "race" is also a feature/);
    expect(() => parseModelMetadata(variant((m) => { delete m.columns; m.input_names.pop(); })))
      .toThrow(/3 input_names but 4 columns in features.numeric \+ features.categorical/);
  });

  it('packed inputs: every feature in exactly one input, one element type per input', () => {
    const packed = (edit: (m: any) => void = () => {}) => variant((m) => {
      delete m.columns;
      m.input_names = ['numeric', 'categorical'];
      m.input_columns = [['num_lab_procedures', 'time_in_hospital'], ['race', 'med-combo']];
      edit(m);
    });
    expect(resolveModelInputs(parseModelMetadata(packed())).map((i) => `${i.name}<-${i.columns.join('+')}:${i.kind}`))
      .toEqual(['numeric<-num_lab_procedures+time_in_hospital:numeric', 'categorical<-race+med-combo:categorical']);
    expect(() => parseModelMetadata(packed((m) => (m.columns = ['race'])))).toThrow(/columns \(one input per column\) and input_columns \(packed inputs\) exclude each other/);
    expect(() => parseModelMetadata(packed((m) => m.input_columns.pop()))).toThrow(/2 input_names but 1 lists in input_columns/);
    expect(() => parseModelMetadata(packed((m) => m.input_columns[1].pop()))).toThrow(/feature column "med-combo" is in no input/);
    expect(() => parseModelMetadata(packed((m) => m.input_columns[1].push('race')))).toThrow(/column "race" is packed more than once/);
    expect(() => parseModelMetadata(packed((m) => m.input_columns[1].push('nope')))).toThrow(/column "nope" is neither in features.numeric nor in features.categorical/);
    expect(() => parseModelMetadata(packed((m) => (m.input_columns = [['num_lab_procedures'], ['time_in_hospital', 'race', 'med-combo']]))))
      .toThrow(/input "categorical" mixes numeric and categorical columns/);
  });

  it('a missing or malformed metadata file is a contract error naming the file', async () => {
    await expect(readModelMetadata(`${fx.dir}/missing.json`)).rejects.toThrow(/cannot read model metadata .*missing\.json/);
    await expect(readModelMetadata(fx.modelPath)).rejects.toThrow(/is not valid JSON/);
  });
});

describe('bad rows', () => {
  it('a missing column names the row and column', async () => {
    const rows = fx.rows.slice(0, 5).map((r, i) => (i === 3 ? { ...r, race: undefined } : r));
    const error = await scorer.score(rows).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadDataError);
    expect((error as Error).message).toMatch(/row 3 has no value for column "race"/);
  });

  it('a non-numeric value in a numeric column', async () => {
    const rows = [...fx.rows.slice(0, 2), { ...fx.rows[2]!, time_in_hospital: 'abc' }];
    await expect(scorer.score(rows)).rejects.toThrow(/row 2, column "time_in_hospital": "abc" is not a finite number/);
    await expect(scorer.score([{ ...fx.rows[0]!, time_in_hospital: '' }])).rejects.toThrow(/row 0, column "time_in_hospital": "" is not/);
    await expect(scorer.score([{ ...fx.rows[0]!, time_in_hospital: Number.NaN }])).rejects.toThrow(/NaN is not a finite number/);
  });
});

describe('lifecycle', () => {
  it('dispose is idempotent and the scorer refuses work afterwards', async () => {
    const s = await createScorer(fx.modelBytes, fx.metadata);
    await s.dispose();
    await s.dispose();
    await expect(s.score(fx.rows.slice(0, 1))).rejects.toThrow(/disposed/);
  });
});
