/**
 * The DSL by example: typed outputs flowing downstream, a branch chosen by a param, a join,
 * a task that skips (exit 99), one that fails once and succeeds on retry, and a task group.
 * `health-predict dag build` compiles it to generated/dags/health_predict_example.py.
 */
import { z } from 'zod';
import { dag, param } from '../src/dsl/index.ts';
import choose from './tasks/choose-route.ts';
import fastPath from './tasks/fast-path.ts';
import flaky from './tasks/flaky-step.ts';
import optionalExport from './tasks/optional-export.ts';
import prepare from './tasks/prepare-batch.ts';
import summarise from './tasks/summarise.ts';
import thoroughPath from './tasks/thorough-path.ts';

/** Quotes, newlines, shell and Jinja syntax, non-ASCII: it must arrive unchanged. */
export const TRICKY_MESSAGE = `it's "quoted" \\ back\nline 2 $(touch /tmp/hp-pwned) \`id\` {{ ti }} {% if %} café 😀`;

export default dag(
  'health_predict_example',
  {
    description: 'Example of the health-predict DSL: branch, join, skip, retry, task group.',
    doc: 'Trigger with `{"route": "thorough"}` to take the other branch.',
    schedule: null,
    startDate: '2024-01-01',
    catchup: false,
    maxActiveRuns: 1,
    dagrunTimeout: { minutes: 30 },
    tags: ['example', 'health-predict'],
    owner: 'health-predict',
    defaultArgs: { retries: 2, retryDelay: { seconds: 1 } },
    profiles: {
      local: { kind: 'bash' },
      cluster: {
        kind: 'kubernetes',
        image: 'health-predict-tasks:latest',
        namespace: 'health-predict',
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
        imagePullPolicy: 'IfNotPresent',
        // The registry's login (`health-predict cluster pull-secret`); a cluster whose nodes may pull without one ignores it.
        imagePullSecrets: ['health-predict-registry'],
        env: { NODE_OPTIONS: '--max-old-space-size=384' },
      },
    },
    params: {
      route: param(z.enum(['fast', 'thorough']).default('fast'), 'Which branch to follow.'),
      rows: param(z.number().int().default(100), 'Rows in the batch; negative rows fail without retries.'),
      message: param(z.string().default(TRICKY_MESSAGE), 'Carried through every task unchanged.'),
      export_enabled: param(z.boolean().default(false), 'When false, optional_export skips.'),
    },
  },
  (d) => {
    const batch = d.task(prepare, { inputs: { message: d.params.message, rows: d.params.rows } });
    const route = d.task(choose, { inputs: { route: d.params.route, rows: batch.field('rows') } });
    const decide = d.branch('route_branch', { on: route.field('route'), doc: 'Follows the route chosen by choose_route.' });
    const fast = d.task(fastPath, { after: [decide.when('fast')], inputs: { rows: batch.field('rows') } });
    const thorough = d.task(thoroughPath, { after: [decide.when('thorough')], inputs: { rows: batch.field('rows') } });
    const join = d.empty('join', { after: [fast, thorough], triggerRule: 'none_failed_min_one_success', doc: 'Joins the fast and thorough paths.' });

    d.group('report', { tooltip: 'Retry and typed values end to end', after: [join] }, (g) => {
      const echo = g.task(flaky, { inputs: { message: batch.field('message') } });
      return g.task(summarise, {
        inputs: { message: echo.field('echoed'), characters: batch.field('characters'), attempt: echo.field('attempt') },
      });
    });
    d.task(optionalExport, { after: [join], inputs: { enabled: d.params.export_enabled } });
  },
);
