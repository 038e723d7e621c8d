/** zod issues as sentences: did-you-mean against the schema's keys, formats, code points. */
import { describe, expect, it } from 'vitest';
import { checkOptions } from '../../../src/dsl/checked-options.ts';
import { closest, nonAscii } from '../../../src/dsl/issues.ts';
import { dagOptionsSchema, nodeTaskOptionsSchema } from '../../../src/dsl/options.ts';

const messages = (value: Record<string, unknown>) => checkOptions(dagOptionsSchema, value, "DAG 'd'").problems.map((p) => `${p.path.join('.')}: ${p.message}`);

describe('option problems', () => {
  it('suggests the nearest key of the schema at that depth, and stays quiet when nothing is near', () => {
    expect(closest('retires', ['retries', 'retryDelay'])).toBe('retries');
    expect(closest('colour', ['schedule', 'startDate'])).toBeUndefined();
    const [problem] = checkOptions(nodeTaskOptionsSchema, { runner: { kind: 'kubernetes', image: 'i', namespace: 'n', imagePulPolicy: 'Always' } }, "Task 't'").problems;
    expect(problem).toEqual({ path: ['runner', 'imagePulPolicy'], message: "Task 't' has an unknown option 'runner.imagePulPolicy'. Did you mean 'imagePullPolicy'?" });
    expect(messages({ schedule: null, startDate: '2024-01-01', colour: 'red' })[0]).toMatch(/^colour: DAG 'd' has an unknown option 'colour'. Known options: description, doc, schedule, scheduleEnv, startDate/);
  });

  it('gives dates and durations their expected form, and keeps valid keys when others fail', () => {
    const checked = checkOptions(dagOptionsSchema, { schedule: '@daily', startDate: 20240101, dagrunTimeout: 30, maxActiveRuns: 2 }, "DAG 'd'");
    expect(checked.problems.map((p) => p.message)).toEqual([
      "DAG 'd' option 'startDate' is 20240101, which is not a date, 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SSZ' (UTC), e.g. '2024-01-01'.",
      "DAG 'd' option 'dagrunTimeout' is 30, which is not a duration, an object such as { minutes: 5 } with any of days, hours, minutes, seconds (numbers ≥ 0).",
    ]);
    expect(checked.data).toMatchObject({ schedule: '@daily', maxActiveRuns: 2, catchup: false });
  });

  it('names the accepted tags of a runner kind, bad record keys and zod-worded formats in sentences', () => {
    const problems = checkOptions(nodeTaskOptionsSchema, { runner: { kind: 'kubernetis' }, env: { 'BAD-NAME': 'x' } }, "Task 't'").problems.map((p) => p.message);
    expect(problems).toEqual([
      "Task 't' option 'runner.kind' is 'kubernetis', but must be one of 'bash', 'kubernetes'. Did you mean 'kubernetes'?",
      "Task 't' option 'env.BAD-NAME' has the key 'BAD-NAME', which is refused; it must be an environment variable name.",
    ]);
    expect(messages({ schedule: null, startDate: '2024-01-01', defaultArgs: { email: ['nope'] } })).toEqual([
      "defaultArgs.email.0: DAG 'd' option 'defaultArgs.email[0]' is 'nope'; it must be a valid email.",
    ]);
  });

  it('shows non-ASCII characters as code points', () => {
    expect(nonAscii('dеploy')).toBe("'е' (U+0435)");
    expect(nonAscii('deploy')).toBeUndefined();
  });
});
