import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { buildRecordSchema, MAX_COUNT } from '../../../src/api/record-schema.ts';
import { AGE_BRACKETS, CATEGORICAL_FEATURES, MEDICATION_COLUMNS, NUMERIC_FEATURES, RAW_COLUMNS } from '../../../src/data/schema.ts';
import { ModelContractError } from '../../../src/evaluation/onnx-scorer.ts';
import { hyphenated, originExampleRecord, underscored } from './api-fixture.ts';
import { metadataFor } from './model-metadata.ts';

const schema = buildRecordSchema(metadataFor());
const ajv = new Ajv({ allErrors: true, strict: false });

describe('the request fields, derived from the model metadata', () => {
  it('has one field per feature, named as its raw column (age for age_ordinal)', () => {
    const names = schema.fields.map((f) => f.name);
    expect(names).toHaveLength(NUMERIC_FEATURES.length + CATEGORICAL_FEATURES.length);
    expect(names).toContain('age');
    expect(names).not.toContain('age_ordinal');
    for (const name of names) expect(RAW_COLUMNS as readonly string[]).toContain(name);
    expect(schema.fields.find((f) => f.name === 'age')).toMatchObject({ feature: 'age_ordinal', kind: 'age' });
    expect(schema.fields.find((f) => f.name === 'time_in_hospital')?.kind).toBe('integer');
    expect(schema.fields.find((f) => f.name === 'diag_1')?.kind).toBe('category');
  });

  it('accepts every field by its alias: underscores as hyphens, and the hyphenated columns with underscores', () => {
    const aliases = Object.fromEntries(schema.fields.filter((f) => f.alias).map((f) => [f.name, f.alias]));
    for (const medication of MEDICATION_COLUMNS.filter((m) => m.includes('-'))) expect(aliases[medication]).toBe(medication.replaceAll('-', '_'));
    expect(aliases).toMatchObject({ time_in_hospital: 'time-in-hospital', admission_type_id: 'admission-type-id', num_lab_procedures: 'num-lab-procedures', number_outpatient: 'number-outpatient', diag_1: 'diag-1', max_glu_serum: 'max-glu-serum' });
    const unaliased = schema.fields.filter((f) => !f.alias).map((f) => f.name);
    for (const name of unaliased) expect(name).toMatch(/^[A-Za-z0-9]+$/);
    expect(unaliased).toEqual(expect.arrayContaining(['race', 'gender', 'age', 'A1Cresult', 'insulin']));
  });

  it('keeps the origin API\'s optional fields optional and the rest required', () => {
    const optional = schema.fields.filter((f) => f.optional).map((f) => f.name).sort();
    expect(optional).toEqual(['A1Cresult', 'diag_1', 'diag_2', 'diag_3', 'max_glu_serum', 'race']);
  });

  it('follows the model: a model on fewer features asks for fewer fields', () => {
    const small = buildRecordSchema(metadataFor({ numeric: ['time_in_hospital', 'age_ordinal'], categorical: ['insulin', 'glyburide-metformin'] }));
    expect(small.fields.map((f) => f.name)).toEqual(['time_in_hospital', 'age', 'insulin', 'glyburide-metformin']);
  });

  it('refuses a model feature that no request field can feed, naming it', () => {
    expect(() => buildRecordSchema(metadataFor({ numeric: ['time_in_hospital', 'bmi'] }))).toThrow(ModelContractError);
    expect(() => buildRecordSchema(metadataFor({ numeric: ['time_in_hospital', 'bmi'] }))).toThrow(/"bmi"/);
  });
});

describe('spellings', () => {
  it('moves an underscore spelling to the canonical name', () => {
    const body = underscored(originExampleRecord());
    expect(schema.normalise(body, '')).toEqual([]);
    expect(body['glyburide-metformin']).toBe('No');
    expect(body).not.toHaveProperty('glyburide_metformin');
  });

  it('moves every hyphen alias (time-in-hospital, diag-1, …) to the canonical name', () => {
    const body = hyphenated(originExampleRecord());
    expect(body).toHaveProperty('time-in-hospital', 5);
    expect(schema.normalise(body, '')).toEqual([]);
    expect(body).toEqual(originExampleRecord());
  });

  it('names the field given in both spellings, whether the values agree or not', () => {
    for (const [alias, value] of [['glyburide_metformin', 'No'], ['glyburide_metformin', 'Up'], ['time-in-hospital', 5], ['diag-1', '250']] as const) {
      const canonicalName = schema.fields.find((f) => f.alias === alias)!.name;
      expect(schema.normalise({ ...originExampleRecord(), [alias]: value }, 'records[2].'), alias).toEqual([
        { field: `records[2].${canonicalName}`, message: expect.stringContaining(`"${canonicalName}" and "${alias}" are the same field`) },
      ]);
    }
  });
});

/** The feature vector of a record, keyed by its columns. */
const featureRow = (record: Parameters<typeof schema.toFeatureVector>[0]) => {
  const vector = schema.toFeatureVector(record);
  expect(vector).toHaveLength(schema.featureColumns.length);
  return Object.fromEntries(schema.featureColumns.map((column, i) => [column, vector[i]]));
};

describe('feature vectors', () => {
  it('maps the age bracket to its ordinal and keeps counts as numbers', () => {
    const row = featureRow(originExampleRecord());
    expect(row.age_ordinal).toBe(AGE_BRACKETS.indexOf('[70-80)'));
    expect(row.time_in_hospital).toBe(5);
    expect(row).not.toHaveProperty('age');
    expect(Object.keys(row).sort()).toEqual([...NUMERIC_FEATURES, ...CATEGORICAL_FEATURES].sort());
  });

  it('cleans missing categories the way training data was cleaned (→ "Unknown")', () => {
    const record = { ...originExampleRecord(), race: null, diag_1: '?', diag_2: '', max_glu_serum: undefined };
    const row = featureRow(record);
    expect([row.race, row.diag_1, row.diag_2, row.max_glu_serum]).toEqual(['Unknown', 'Unknown', 'Unknown', 'Unknown']);
    expect(row.A1Cresult).toBe('>8'); // 'None' and other values stay categories
  });
});

describe('the JSON Schemas', () => {
  const canonical = ajv.compile(schema.canonicalJsonSchema);
  const wire = ajv.compile(schema.jsonSchema);

  it('validate a full record in either spelling (the documented one) and the canonical one after normalising', () => {
    expect(wire(originExampleRecord())).toBe(true);
    expect(wire(underscored(originExampleRecord()))).toBe(true);
    expect(wire(hyphenated(originExampleRecord()))).toBe(true);
    expect(canonical(originExampleRecord())).toBe(true);
    expect(canonical(underscored(originExampleRecord()))).toBe(false);
    expect(canonical(hyphenated(originExampleRecord()))).toBe(false);
  });

  it('document three whole spellings, each with its own required names and no second spelling of a field', () => {
    const { 'glyburide-metformin': _, ...missing } = originExampleRecord();
    expect(wire(missing)).toBe(false);
    const { 'time-in-hospital': __, ...noTime } = hyphenated(originExampleRecord());
    expect(wire(noTime)).toBe(false);
    expect(wire({ ...originExampleRecord(), glyburide_metformin: 'No' })).toBe(false);
    expect(wire({ ...originExampleRecord(), 'time-in-hospital': 5 })).toBe(false);
    expect(wire({ ...hyphenated(originExampleRecord()), diag_1: '428' })).toBe(false);
    expect((schema.jsonSchema.oneOf as { title: string }[]).map((branch) => branch.title)).toEqual([
      "the UCI file's column names", "the origin API's field names (underscores)", "the origin API's aliases (every underscore a hyphen)",
    ]);
  });

  it('reject wrong types, out-of-range counts and unknown age brackets; allow unknown categories and extra keys', () => {
    for (const bad of [{ time_in_hospital: '3' }, { time_in_hospital: -1 }, { time_in_hospital: MAX_COUNT + 1 }, { num_procedures: 1.5 },
      { age: '70-80' }, { gender: 3 }, { insulin: 'x'.repeat(65) }]) {
      expect(wire({ ...originExampleRecord(), ...bad }), JSON.stringify(bad)).toBe(false);
    }
    expect(wire({ ...originExampleRecord(), race: 'Martian', insulin: 'Sideways', encounter_id: 12 })).toBe(true);
    expect(wire({ ...originExampleRecord(), race: null, diag_1: null })).toBe(true);
  });
});
