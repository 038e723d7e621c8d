/**
 * Peak memory of reading the raw CSV, before and after the streaming reader, on a synthetic
 * file ten times the UCI file (1 017 660 rows, `synthesize`; the UCI file has 101 766).
 * Each measurement runs in its own child process (peak RSS from process.resourceUsage()):
 *  - read, whole_text: the hand-written whole-text reader this project used until the
 *    streaming one (taken with `git archive` from BASELINE_COMMIT, not kept in src/): read
 *    the file, decode it, parse every record (as prepare did);
 *  - read, streaming: readCsv over a file stream (src/data/csv.ts);
 *  - prepare, whole_text / streaming: the whole preparation (file:// in and out, origin
 *    split) at BASELINE_COMMIT and now.
 * Prints one JSON object.
 *
 *   npm run bench:csv-memory [-- --rows 1017660 --seed 42]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { parseFlags } from './api-load.ts';

/** The last commit with the whole-text reader (src/data/csv.ts before csv-parse). */
const BASELINE_COMMIT = 'c881498';
const UCI_ROWS = 101_766;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SELF = fileURLToPath(import.meta.url);
/** The same heap ceiling for every child, high enough that the whole-text runs finish. */
const HEAP_MB = 8192;

const MODES = ['read-whole-text', 'read-streaming', 'prepare-whole-text', 'prepare-streaming'] as const;
type Mode = (typeof MODES)[number];

const flags = z
  .object({
    rows: z.coerce.number().int().min(1).default(10 * UCI_ROWS),
    seed: z.coerce.number().int().min(0).default(42),
    child: z.enum(MODES).optional(),
    file: z.string().optional(),
    baseline: z.string().optional(),
  })
  .strict()
  .parse(parseFlags(process.argv.slice(2)));

interface Measured {
  readonly rows: number;
  readonly peak_rss_mb: number;
  readonly wall_ms: number;
}

if (flags.child) {
  process.stdout.write(`${JSON.stringify(await measure(flags.child, flags.file!, flags.baseline!))}\n`);
} else {
  await main();
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'hp-csv-memory-'));
  try {
    const baseline = extractBaseline();
    const file = path.join(work, 'diabetic_data_x10.csv');
    const { synthesize } = await import('../src/data/synth.ts');
    writeFileSync(file, synthesize({ rows: flags.rows, seed: flags.seed }));
    const bytes = statSync(file).size;
    const results = Object.fromEntries(MODES.map((mode) => [mode, runChild(mode, file, baseline)]));
    process.stdout.write(
      `${JSON.stringify({
        bench: 'csv-memory',
        file: { rows: flags.rows, bytes, mb: round(bytes / 2 ** 20), times_uci_rows: round(flags.rows / UCI_ROWS), seed: flags.seed },
        baseline: `whole-text reader at ${BASELINE_COMMIT} (git archive)`,
        read: { whole_text: results['read-whole-text'], streaming: results['read-streaming'] },
        prepare: { whole_text: results['prepare-whole-text'], streaming: results['prepare-streaming'] },
        heap_limit_mb: HEAP_MB,
        node: process.version,
      })}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** src/data and src/runtime at BASELINE_COMMIT, under node_modules/.cache so their imports resolve. */
function extractBaseline(): string {
  const dir = path.join(ROOT, 'node_modules/.cache', `hp-csv-memory-baseline-${BASELINE_COMMIT}`);
  if (!existsSync(path.join(dir, 'src/data/csv.ts'))) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['-C', ROOT, 'archive', BASELINE_COMMIT, 'src/data', 'src/runtime'], { maxBuffer: 64 * 2 ** 20 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
  }
  return dir;
}

function runChild(mode: Mode, file: string, baseline: string): Measured | { error: string } {
  const child = spawnSync(
    process.execPath,
    [`--max-old-space-size=${HEAP_MB}`, '--import', 'tsx', SELF, '--child', mode, '--file', file, '--baseline', baseline],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 * 2 ** 20 },
  );
  if (child.status !== 0) return { error: `exit ${child.status ?? child.signal}: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measured;
}

async function measure(mode: Mode, file: string, baseline: string): Promise<Measured> {
  const started = performance.now();
  const rows = await run(mode, file, baseline);
  return { rows, peak_rss_mb: round(process.resourceUsage().maxRSS / 1024), wall_ms: Math.round(performance.now() - started) };
}

async function run(mode: Mode, file: string, baseline: string): Promise<number> {
  const from = (module: string) => import(pathToFileURL(path.join(baseline, module)).href);
  switch (mode) {
    case 'read-whole-text': {
      const { parseCsv } = await from('src/data/csv.ts');
      return parseCsv((await readFile(file)).toString('utf8')).length - 1;
    }
    case 'read-streaming': {
      const { readCsv } = await import('../src/data/csv.ts');
      let records = 0;
      for await (const _ of readCsv(createReadStream(file))) records++;
      return records - 1;
    }
    case 'prepare-whole-text':
    case 'prepare-streaming': {
      const [{ prepareTrainingData }, { createObjectStore, fileUri }] =
        mode === 'prepare-streaming'
          ? await Promise.all([import('../src/data/prepare.ts'), import('../src/data/object-store.ts')])
          : await Promise.all([from('src/data/prepare.ts'), from('src/data/object-store.ts')]);
      const out = mkdtempSync(path.join(tmpdir(), 'hp-csv-memory-out-'));
      try {
        const manifest = await prepareTrainingData(
          { sourceUri: fileUri(file), outputUri: fileUri(out) },
          { store: createObjectStore(), log: { info() {} } },
        );
        return manifest.source.rows as number;
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
