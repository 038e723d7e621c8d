/**
 * The fuzz lane (`make test-fuzz`): schemathesis against the prediction service's own OpenAPI
 * document. Builds the fixture model, bundles and starts the service on a free loopback port
 * (test/fuzz/service.ts), runs `st run <url>/openapi.json` over every operation, stops the
 * service, and fails unless schemathesis found nothing, no request was answered with a 5xx,
 * at least --min-requests requests were sent, and the service shut down cleanly.
 *
 *   npx tsx test/fuzz/run.ts [--max-examples 600] [--seed 1] [--min-requests 2000] [-- <more st run options>]
 *
 * Records in .cache/fuzz/: report.json and junit.xml (schemathesis), requests.log (one line
 * per request sent, by test/fuzz/request_log.py), server.log (the service's JSON log lines).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PROJECT_ROOT } from '../../src/cli/project.ts';
import { formatCounts, readRunReport, tallyRequests } from './report.ts';
import { startService } from './service.ts';

const ST = process.env.HP_FUZZ_ST ?? path.join(PROJECT_ROOT, '.venv/fuzz/bin/st');
const HOOKS = path.join(PROJECT_ROOT, 'test/fuzz/request_log.py');
const OUT = path.join(PROJECT_ROOT, '.cache/fuzz');
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_headers_conformance', 'response_schema_conformance'];
/** A run that has not finished by then is stuck, not slow (it takes about two minutes here). */
const ST_TIMEOUT_MS = 20 * 60_000;

const separator = process.argv.indexOf('--');
const extraStArgs = separator >= 0 ? process.argv.slice(separator + 1) : [];
const args = z.object({
  // Per operation and phase; the coverage phase adds its own cases. 600 sends about 2 600 requests.
  'max-examples': z.coerce.number().int().positive().default(600),
  seed: z.coerce.number().int().nonnegative().default(1),
  'min-requests': z.coerce.number().int().nonnegative().default(2000),
}).strict().parse(parseFlags(process.argv.slice(2, separator >= 0 ? separator : undefined)));

function parseFlags(argv: string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}; flags are --max-examples, --seed, --min-requests, then -- and st run options`);
    const [key, inline] = arg.slice(2).split('=', 2);
    flags[key!] = inline ?? argv[++i] ?? '';
  }
  return flags;
}

function runSchemathesis(stArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(ST, stArgs, { cwd: OUT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  const timer = setTimeout(() => {
    console.error(`fuzz: schemathesis ran longer than ${ST_TIMEOUT_MS / 60_000} min; stopping it`);
    child.kill('SIGKILL');
  }, ST_TIMEOUT_MS);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}

interface Outcome {
  readonly problems: readonly string[];
  readonly passed: number;
  readonly failed: number;
}

async function main(): Promise<Outcome> {
  if (!existsSync(ST)) throw new Error(`schemathesis is not installed at ${ST}; run \`make .venv/fuzz/.installed\` (or set HP_FUZZ_ST)`);
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const files = { report: path.join(OUT, 'report.json'), junit: path.join(OUT, 'junit.xml'), requests: path.join(OUT, 'requests.log'), server: path.join(OUT, 'server.log') };
  const started = Date.now();

  const service = await startService({ logFile: files.server });
  let stExit: number;
  let serverExit: number | null;
  try {
    console.log(`fuzz: the prediction service listens at ${service.url}; schemathesis sends --max-examples ${args['max-examples']} per operation, seed ${args.seed}`);
    stExit = await runSchemathesis([
      'run', `${service.url}/openapi.json`,
      '--checks', CHECKS.join(','),
      '--max-examples', String(args['max-examples']),
      '--seed', String(args.seed),
      '--generation-database', 'none', // no examples carried over from earlier runs: the same seed sends the same requests
      '--workers', '1', // with 2, schemathesis 4.32.5's coverage phase fails on POST /predict/batch ("Inconsistent results")
      '--request-timeout', '30',
      '--report', 'json,junit', '--report-json-path', files.report, '--report-junit-path', files.junit,
      '--no-color',
      ...extraStArgs,
    ], { ...process.env, SCHEMATHESIS_HOOKS: HOOKS, HP_FUZZ_REQUEST_LOG: files.requests, PYTHONDONTWRITEBYTECODE: '1' });
  } finally {
    serverExit = await service.stop();
  }

  const report = readRunReport(files.report);
  const requests = tallyRequests(files.requests);
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`fuzz: ${requests.total} requests sent in ${seconds} s (schemathesis ${report.schemathesis_version}, seed ${report.seed ?? args.seed}); ` +
    `${report.operations.tested}/${report.operations.selected} operations tested`);
  console.log(`fuzz: by status: ${formatCounts(requests.byStatus)}`);
  console.log(`fuzz: by operation: ${formatCounts(requests.byOperation, 9)}`); // the rest: undocumented methods, one each

  const problems: string[] = [];
  if (stExit !== 0 || report.failures.length > 0 || report.errors.length > 0) {
    problems.push(`schemathesis exited ${stExit} with ${report.test_cases.with_failures} failing test case(s) and ${report.errors.length} error(s); ` +
      `its output above shows each request and response (also in ${files.report})`);
  }
  if (requests.serverErrors.length > 0) {
    problems.push(`${requests.serverErrors.length} request(s) got a 5xx or no response (${requests.serverErrors.slice(0, 5).join('; ')}); the service's error lines are in ${files.server}`);
  }
  if (requests.total < args['min-requests']) {
    problems.push(`only ${requests.total} requests were sent, fewer than the ${args['min-requests']} required; raise --max-examples`);
  }
  if (serverExit !== 0) problems.push(`the service exited ${serverExit} on SIGTERM instead of 0; see ${files.server}`);
  const failed = report.test_cases.with_failures + report.test_cases.errored;
  return { problems, passed: report.test_cases.generated - failed, failed };
}

try {
  const { problems, passed, failed } = await main();
  for (const problem of problems) console.error(`fuzz: FAILED: ${problem}`);
  // The closing line in the form test runners use: test cases that passed every check, and the others.
  console.log(`fuzz: ${passed} passed, ${failed} failed`);
  process.exitCode = problems.length > 0 ? 1 : 0;
} catch (error) {
  console.error(`fuzz: FAILED: ${(error as Error).message}`);
  process.exitCode = 1;
}
