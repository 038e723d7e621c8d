/**
 * What a schemathesis run did, read back from its two records: the JSON run report
 * (`--report json`: test cases, failures, errors) and the request log our hook writes
 * (test/fuzz/request_log.py: one line per request actually sent, with its status).
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';

const runReportSchema = z.looseObject({
  schemathesis_version: z.string(),
  seed: z.number().nullable().optional(),
  exit_code: z.number().int(),
  operations: z.looseObject({ selected: z.number().int(), tested: z.number().int(), errored: z.number().int() }),
  test_cases: z.looseObject({ generated: z.number().int(), with_failures: z.number().int(), errored: z.number().int() }),
  failures: z.array(z.unknown()),
  errors: z.array(z.unknown()),
});
export type RunReport = z.infer<typeof runReportSchema>;

export function readRunReport(file: string): RunReport {
  if (!existsSync(file)) throw new Error(`schemathesis wrote no JSON report at ${file}; its output above says why`);
  const parsed = runReportSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not the schemathesis 4 JSON report this driver reads: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export interface RequestTally {
  readonly total: number;
  /** "200" → count; "error" counts requests that got no response (network-level failure). */
  readonly byStatus: ReadonlyMap<string, number>;
  /** "POST /predict" → count. */
  readonly byOperation: ReadonlyMap<string, number>;
  /** Lines of requests answered with a 5xx (or not answered at all). */
  readonly serverErrors: readonly string[];
}

export function tallyRequests(file: string): RequestTally {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const byStatus = new Map<string, number>();
  const byOperation = new Map<string, number>();
  const serverErrors: string[] = [];
  for (const line of lines) {
    const [status = '', method = '', ...pathParts] = line.split(' ');
    const operation = `${method} ${pathParts.join(' ')}`;
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
    if (status === 'error' || status.startsWith('5')) serverErrors.push(line);
  }
  return { total: lines.length, byStatus, byOperation, serverErrors };
}

/** "200 × 1441, 422 × 853" in descending count; past `shown` entries, one "N more" for the rest. */
export function formatCounts(counts: ReadonlyMap<string, number>, shown = 12): string {
  const sorted = [...counts].sort((a, b) => b[1] - a[1]);
  const listed = sorted.slice(0, shown).map(([key, count]) => `${key} × ${count}`);
  const rest = sorted.slice(shown);
  if (rest.length > 0) listed.push(`${rest.length} more × ${rest.reduce((sum, [, count]) => sum + count, 0)}`);
  return listed.join(', ');
}
