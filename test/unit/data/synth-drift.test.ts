/** Synthetic drift: chosen features move far (PSI > 0.3) from a row on; everything else stays as it was (PSI < 0.05, same bytes). */
import { describe, expect, it } from 'vitest';
import { cleanRows } from '../../../src/data/clean.ts';
import { parseCsv } from '../../../src/data/csv.ts';
import { CATEGORICAL_FEATURES, CLEAN_COLUMNS, NUMERIC_FEATURES } from '../../../src/data/schema.ts';
import { DRIFTABLE_FEATURES, synthesize } from '../../../src/data/synth.ts';
import { validateRecords } from '../../../src/data/validate.ts';
import { categoricalPsi, numericPsi } from '../../../src/drift/psi.ts';
import { ConfigurationError } from '../../../src/runtime/index.ts';

const ROWS = 8_000;
const FROM = 4_000;
const SHIFTED = ['num_medications', 'age', 'number_emergency', 'time_in_hospital', 'admission_type_id', 'race', 'diag_1', 'insulin', 'A1Cresult'];
const drifted = synthesize({ rows: ROWS, seed: 9, drift: { fromRow: FROM, features: SHIFTED } });
const plain = synthesize({ rows: ROWS, seed: 9 });

/** The cleaned rows (as prepare cleans them) of raw rows [0, FROM) and [FROM, ROWS). */
function halves(text: string): [string[][], string[][]] {
  const table = validateRecords(parseCsv(text), 'synthetic.csv');
  const positions = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  return [cleanRows(table, positions(0, FROM)).rows, cleanRows(table, positions(FROM, ROWS)).rows];
}
const driftedHalves = halves(drifted);

/** The PSI of one model input (raw name; age → age_ordinal) after fromRow against before it, by src/drift. */
function psiOf(feature: string): number {
  const at = CLEAN_COLUMNS.indexOf((feature === 'age' ? 'age_ordinal' : feature) as (typeof CLEAN_COLUMNS)[number]);
  const [before, after] = driftedHalves.map((rows) => rows.map((row) => row[at]!));
  if (!before || !after) throw new Error('two halves expected');
  const clean = feature === 'age' ? 'age_ordinal' : feature;
  if ((NUMERIC_FEATURES as readonly string[]).includes(clean)) return numericPsi(before.map(Number), after.map(Number)).psi;
  expect(CATEGORICAL_FEATURES as readonly string[]).toContain(clean);
  return categoricalPsi(before, after).psi;
}

describe('synthesize with drift', () => {
  it('shifted features have PSI > 0.3 between the rows before and after fromRow; every other model input < 0.05', () => {
    const psi = Object.fromEntries(DRIFTABLE_FEATURES.map((feature) => [feature, psiOf(feature)]));
    for (const feature of SHIFTED) expect(psi[feature], feature).toBeGreaterThan(0.3);
    // Including the ICD-9 codes' long tail (diag_2, diag_3): codes a sample missed count with the tail (src/drift/psi.ts).
    const calm = DRIFTABLE_FEATURES.filter((feature) => !SHIFTED.includes(feature));
    expect(calm).toHaveLength(44 - SHIFTED.length);
    for (const feature of calm) expect(psi[feature], feature).toBeLessThan(0.05);
  });

  it('changes only the shifted columns of the rows from fromRow on; deterministic for a seed', () => {
    const [a, b] = [parseCsv(drifted), parseCsv(plain)];
    expect(a.slice(0, FROM + 1)).toEqual(b.slice(0, FROM + 1)); // header + the rows before fromRow
    const header = a[0]!.fields;
    const shiftedAt = SHIFTED.map((name) => header.indexOf(name));
    const others = (fields: string[]) => fields.filter((_, i) => !shiftedAt.includes(i));
    expect(a.slice(FROM + 1).map((r) => others(r.fields))).toEqual(b.slice(FROM + 1).map((r) => others(r.fields)));
    expect(a.slice(FROM + 1).every((r, i) => r.fields[header.indexOf('num_medications')] !== b[FROM + 1 + i]!.fields[header.indexOf('num_medications')])).toBe(true);
    expect(synthesize({ rows: 500, seed: 4, drift: { fromRow: 100, features: ['race'] } })).toBe(synthesize({ rows: 500, seed: 4, drift: { fromRow: 100, features: ['race'] } }));
  });

  it('refuses an unknown feature, listing the valid ones, and a bad fromRow', () => {
    const call = (drift: { fromRow: number; features: string[] }) => () => synthesize({ rows: 10, seed: 1, drift });
    expect(call({ fromRow: 0, features: ['num_medications', 'weight', 'shoe_size'] })).toThrow(ConfigurationError);
    expect(call({ fromRow: 0, features: ['num_medications', 'weight', 'shoe_size'] })).toThrow(
      `synthesize: drift feature(s) 'weight', 'shoe_size' cannot be shifted; choose among the model inputs (raw column names): ${DRIFTABLE_FEATURES.join(', ')}.`,
    );
    expect(call({ fromRow: -1, features: ['age'] })).toThrow(/drift\.fromRow must be a whole number >= 0/);
    expect(call({ fromRow: 0, features: [] })).toThrow(/drift\.features is empty/);
  });
});
