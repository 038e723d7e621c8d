/**
 * `health-predict data …` commands. Register in src/cli/main.ts with `dataCommands(cli)`
 * (or `.command(...)` chained through it) before `parseAsync()`.
 *
 *   health-predict data synth --rows 20000 --seed 7 --out s3://bucket/raw/diabetic_data.csv
 *   health-predict data synth --rows 500 --out file:///tmp/synthetic.csv
 *
 * Prints one JSON line {uri, rows, seed, bytes, sha256}. Object-store errors print their
 * message (what failed and how to fix it) and set exit code 1.
 */
import path from 'node:path';
import type { Argv } from 'yargs';
import { TaskError } from '../runtime/errors.ts';
import { createObjectStore, fileUri } from './object-store.ts';
import { writeSynthetic } from './synth.ts';

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
            .check((argv) => {
              if (!Number.isInteger(argv.rows) || argv.rows < 1) throw new Error(`--rows must be a whole number >= 1, got ${argv.rows}`);
              if (!Number.isInteger(argv.seed) || argv.seed < 0 || argv.seed > 0xffffffff) throw new Error(`--seed must be an integer in [0, 4294967295], got ${argv.seed}`);
              return true;
            }),
        async (argv) => {
          const uri = toUri(argv.out);
          try {
            const written = await writeSynthetic(uri, { rows: argv.rows, seed: argv.seed }, createObjectStore());
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

/** Anything shaped like a URI (`scheme://…`) passes through (the store refuses unsupported schemes); anything else is a local path. */
export function toUri(out: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(out) ? out : fileUri(path.resolve(out));
}
