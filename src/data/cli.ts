/**
 * `health-predict data …` commands. Register in src/cli/main.ts with `dataCommands(cli)`
 * (or `.command(...)` chained through it) before `parseAsync()`.
 *
 *   health-predict data synth --rows 20000 --seed 7 --out s3://bucket/raw/diabetic_data.csv
 *   health-predict data synth --rows 500 --out file:///tmp/synthetic.csv
 *   health-predict data synth --rows 20000 --drift-from-row 8000 --drift-features num_medications,age --out …
 *
 * Prints one JSON line {uri, rows, seed, [drift,] bytes, sha256}. Object-store errors print their
 * message (what failed and how to fix it) and set exit code 1.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { TaskError } from '../runtime/errors.ts';
import { createObjectStore, fileUri } from './object-store.ts';
import { DRIFTABLE_FEATURES, driftProblem, type SynthDrift, writeSynthetic } from './synth.ts';

export function dataCommands<T>(yargs: Argv<T>): Argv<T> {
  return yargs.command('data', 'Synthetic and real data tools', (data) =>
    data
      .command(
        'synth',
        'Write a seeded synthetic CSV with the 50 raw columns of the UCI diabetes file and a learnable readmission signal',
        (y) =>
          y
            .option('rows', { type: 'number', default: 10_000, describe: 'Data rows to generate' })
            .option('seed', { type: 'number', default: 42, describe: 'PRNG seed (same seed, same bytes)' })
            .option('out', { type: 'string', demandOption: true, describe: 'Destination: s3://bucket/key, file:///abs/path or a local path' })
            .option('drift-from-row', { type: 'number', describe: 'Shift --drift-features from this raw row position (0-based) on' })
            .option('drift-features', { type: 'string', describe: `Comma-separated model inputs to shift (raw column names: ${DRIFTABLE_FEATURES.join(', ')})` })
            .check((argv) => {
              if (!Number.isInteger(argv.rows) || argv.rows < 1) throw new Error(`--rows must be a whole number >= 1, got ${argv.rows}`);
              if (!Number.isInteger(argv.seed) || argv.seed < 0 || argv.seed > 0xffffffff) throw new Error(`--seed must be an integer in [0, 4294967295], got ${argv.seed}`);
              driftOption(argv);
              return true;
            }),
        async (argv) => {
          const uri = toUri(argv.out);
          const drift = driftOption(argv);
          try {
            const written = await writeSynthetic(uri, { rows: argv.rows, seed: argv.seed, ...(drift ? { drift } : {}) }, createObjectStore());
            process.stdout.write(`${JSON.stringify(written)}\n`);
          } catch (error) {
            if (!(error instanceof TaskError)) throw error;
            console.error(error.message);
            process.exitCode = 1;
          }
        },
      )
      .demandCommand(1),
  ) as Argv<T>;
}

/** The drift the two --drift-* options ask for (both or neither); throws a usage error naming what is wrong. */
export function driftOption(argv: { 'drift-from-row'?: number; 'drift-features'?: string }): SynthDrift | undefined {
  const { 'drift-from-row': driftFromRow, 'drift-features': driftFeatures } = argv;
  if (driftFromRow === undefined && driftFeatures === undefined) return undefined;
  if (driftFromRow === undefined || driftFeatures === undefined) {
    throw new Error(`--drift-from-row and --drift-features go together: give both (e.g. --drift-from-row 8000 --drift-features num_medications,age) or neither`);
  }
  const drift = { fromRow: driftFromRow, features: driftFeatures.split(',').map((name) => name.trim()).filter(Boolean) };
  const problem = driftProblem(drift);
  if (problem) throw new Error(problem.replace('drift.fromRow', '--drift-from-row').replace('drift.features', '--drift-features'));
  return drift;
}

/** Anything shaped like a URI (`scheme://…`) passes through (the store refuses unsupported schemes); anything else is a local path. */
export function toUri(out: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(out) ? out : fileUri(path.resolve(out));
}
