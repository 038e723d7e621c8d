/**
 * Drift on the real UCI file: the first 20 % of raw rows (the origin project's initial data)
 * as the reference, the next 20 % in file order as the batch, cleaned as prepare does.
 * Prints the PSI of every feature; asserts only what must hold for any such file.
 * The file is HP_REAL_DATA, default ../shared/data/diabetes-130/diabetic_data.csv; absent → skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { cleanRows } from '../../../src/data/clean.ts';
import { parseCsv } from '../../../src/data/csv.ts';
import { CLEAN_COLUMNS, FEATURE_SPEC } from '../../../src/data/schema.ts';
import { validateRecords } from '../../../src/data/validate.ts';
import { DEFAULT_DRIFT_THRESHOLDS, featureDrift, levelOf } from '../../../src/drift/index.ts';
import { describeUnless } from '../../harness/skip.ts';

const REAL = process.env.HP_REAL_DATA ?? path.resolve(import.meta.dirname, '../../../../shared/data/diabetes-130/diabetic_data.csv');

describeUnless(existsSync(REAL) ? undefined : `the UCI file is absent (${REAL}); set HP_REAL_DATA`, 'drift on the real UCI file', () => {
  it('measures every feature of the first 20 % against the next 20 % in file order', () => {
    const table = validateRecords(parseCsv(readFileSync(REAL, 'utf8'), { source: REAL }), REAL);
    const window = Math.floor(table.rows.length * 0.2);
    const records = (first: number) =>
      cleanRows(table, Array.from({ length: window }, (_, i) => first + i)).rows.map((row) => Object.fromEntries(CLEAN_COLUMNS.map((name, i) => [name, row[i]!])));
    const reference = records(0);
    const batch = records(window);

    const drift = featureDrift(reference, batch, FEATURE_SPEC);

    expect(drift.map((d) => d.feature)).toEqual([...FEATURE_SPEC.numeric, ...FEATURE_SPEC.categorical]);
    for (const d of drift) {
      expect(Number.isFinite(d.psi) && d.psi >= 0).toBe(true);
      expect(d).toMatchObject({ n_ref: reference.length, n_batch: batch.length });
    }
    const byPsi = [...drift].sort((a, b) => b.psi - a.psi);
    console.log(
      `PSI per feature, raw rows 0–${window - 1} (${reference.length} cleaned) vs ${window}–${2 * window - 1} (${batch.length} cleaned); ` +
        `max ${byPsi[0]!.psi.toFixed(4)} → ${levelOf(byPsi[0]!.psi, DEFAULT_DRIFT_THRESHOLDS)}\n` +
        byPsi.map((d) => `  ${d.feature.padEnd(26)} ${d.kind.padEnd(12)} psi ${d.psi.toFixed(4)}  p ${d.p_value.toExponential(2)}  bins ${d.bins.length}`).join('\n'),
    );
  });
});
