import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../src/data/csv.ts';
import {
  A1C_RESULT_VALUES, AGE_BRACKETS, EXCLUDED_DISCHARGE_DISPOSITIONS, INTEGER_COLUMNS, MAX_GLU_SERUM_VALUES, MEDICATION_COLUMNS,
  MEDICATION_VALUES, RAW_COLUMNS, READMITTED_VALUES,
} from '../../../src/data/schema.ts';
import { synthesize } from '../../../src/data/synth.ts';
import { prepareText } from './fixtures.ts';

const ROWS = 20_000;
const text = synthesize({ rows: ROWS, seed: 7 });
const records = parseCsv(text);
const header = records[0]!.fields;
const rows = records.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r.fields[i]!])));
const readmittedRate = (subset: Record<string, string>[]) => subset.filter((r) => r.readmitted !== 'NO').length / subset.length;

describe('synthesize', () => {
  it('is deterministic: same seed, same bytes; another seed, other bytes', () => {
    const sha = (t: string) => createHash('sha256').update(t).digest('hex');
    expect(sha(synthesize({ rows: 500, seed: 1 }))).toBe(sha(synthesize({ rows: 500, seed: 1 })));
    expect(synthesize({ rows: 500, seed: 1 })).not.toBe(synthesize({ rows: 500, seed: 2 }));
    expect(synthesize({ rows: 500, seed: 7 })).toBe(text.split('\r\n').slice(0, 501).join('\r\n') + '\r\n'); // prefix-stable
  });

  it('has exactly the 50 raw columns in file order, CRLF line ends and one record per row', () => {
    expect(header).toEqual([...RAW_COLUMNS]);
    expect(header).toHaveLength(50);
    expect(text.startsWith(`${RAW_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(records).toHaveLength(ROWS + 1);
    expect(records.filter((r) => r.fields.length !== 50)).toEqual([]);
  });

  it('uses the value domains of the UCI file', () => {
    const values = (column: string) => new Set(rows.map((r) => r[column]!));
    const subset = (column: string, allowed: readonly string[]) => expect([...values(column)].filter((v) => !allowed.includes(v))).toEqual([]);
    subset('age', AGE_BRACKETS);
    subset('readmitted', READMITTED_VALUES);
    subset('max_glu_serum', MAX_GLU_SERUM_VALUES);
    subset('A1Cresult', A1C_RESULT_VALUES);
    for (const m of MEDICATION_COLUMNS) subset(m, MEDICATION_VALUES);
    subset('change', ['Ch', 'No']);
    subset('diabetesMed', ['Yes', 'No']);
    subset('gender', ['Female', 'Male', 'Unknown/Invalid']);
    for (const c of INTEGER_COLUMNS) expect([...values(c)].filter((v) => !/^\d+$/.test(v))).toEqual([]);
    for (const c of ['race', 'weight', 'payer_code', 'medical_specialty', 'diag_3']) expect(values(c).has('?')).toBe(true);
    const diags = [...values('diag_1'), ...values('diag_2'), ...values('diag_3')];
    expect(diags.some((d) => /^250\.\d+$/.test(d))).toBe(true);
    expect(diags.some((d) => /^V\d+/.test(d))).toBe(true);
    expect(diags.some((d) => /^E\d+/.test(d))).toBe(true);
    expect(diags.every((d) => /^(\?|\d{1,3}(\.\d+)?|V\d{2}(\.\d)?|E\d{3})$/.test(d))).toBe(true);
    const excluded = rows.filter((r) => (EXCLUDED_DISCHARGE_DISPOSITIONS as readonly number[]).includes(Number(r.discharge_disposition_id)));
    expect(excluded.length / ROWS).toBeGreaterThan(0.01);
    expect(excluded.length / ROWS).toBeLessThan(0.05);
  });

  it('is ~45 % positive and passes validation and cleaning', async () => {
    expect(readmittedRate(rows)).toBeGreaterThan(0.4);
    expect(readmittedRate(rows)).toBeLessThan(0.5);
    const prepared = await prepareText(text, { kind: 'origin' }, 'synthetic');
    expect(prepared.cleaning.rows_in).toBe(ROWS);
    expect(prepared.cleaning.rows_dropped_excluded_discharge).toBeGreaterThan(0);
    for (const split of prepared.splits) expect(split.positives / split.rows.length).toBeGreaterThan(0.35);
  });

  it('carries a learnable signal in the features the generator says it uses', () => {
    const by = (predicate: (r: Record<string, string>) => boolean) => readmittedRate(rows.filter(predicate));
    const none = by((r) => r.number_inpatient === '0');
    const many = by((r) => Number(r.number_inpatient) >= 2);
    expect(many - none).toBeGreaterThan(0.2);
    expect(by((r) => Number(r.number_emergency) >= 1) - by((r) => r.number_emergency === '0')).toBeGreaterThan(0.05);
    expect(by((r) => Number(r.time_in_hospital) >= 8) - by((r) => Number(r.time_in_hospital) <= 2)).toBeGreaterThan(0.04);
    expect(by((r) => AGE_BRACKETS.indexOf(r.age as never) >= 7) - by((r) => AGE_BRACKETS.indexOf(r.age as never) <= 4)).toBeGreaterThan(0.03);
    expect(by((r) => r.insulin === 'Up') - by((r) => r.insulin === 'No')).toBeGreaterThan(0.05);
    // death discharges are never readmitted
    expect(by((r) => r.discharge_disposition_id === '11')).toBe(0);
  });

  it('a one-feature rule beats the base rate on held-out rows (the signal generalises)', () => {
    const heldOut = parseCsv(synthesize({ rows: 5_000, seed: 99 })).slice(1).map((r) => r.fields);
    const at = (c: string) => RAW_COLUMNS.indexOf(c as never);
    const score = (f: string[]) => 0.55 * Number(f[at('number_inpatient')]) + 0.3 * Number(f[at('number_emergency')]) + 0.04 * Number(f[at('time_in_hospital')]);
    const labels = heldOut.map((f) => (f[at('readmitted')] === 'NO' ? 0 : 1));
    const scores = heldOut.map(score);
    expect(auc(scores, labels)).toBeGreaterThan(0.6);
  });

  it('refuses nonsense sizes and seeds', () => {
    expect(() => synthesize({ rows: -1, seed: 1 })).toThrow(/rows must be/);
    expect(() => synthesize({ rows: 1, seed: 1.5 })).toThrow(/seed must be/);
    expect(synthesize({ rows: 0, seed: 1 })).toBe(`${RAW_COLUMNS.join(',')}\r\n`);
  });
});

/** ROC AUC by the rank statistic (ties count half). */
function auc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  const sortedNeg = [...neg].sort((a, b) => a - b);
  for (const p of pos) {
    let lo = 0;
    let hi = sortedNeg.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sortedNeg[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    let eq = lo;
    while (eq < sortedNeg.length && sortedNeg[eq] === p) eq++;
    wins += lo + (eq - lo) / 2;
    pairs += sortedNeg.length;
  }
  return wins / pairs;
}
