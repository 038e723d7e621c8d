/**
 * Compile-time contract tests: `npm run typecheck` (part of `make test`) fails if the DSL's
 * types stop catching these mistakes. Nothing here runs.
 */
import { z } from 'zod';
import { dag, param, type NodeTask, type OutputRef, type ParamRef } from '../src/dsl/index.ts';
import { produce, consumeCount, consumeLabel } from '../test/fixtures/tasks.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

dag('type_tests', { schedule: null, startDate: '2024-01-01', params: { n: param(z.number().int().default(1)), route: param(z.enum(['a', 'b']).default('a')) } }, (d) => {
  const source = d.task(produce, {});
  type _Source = Expect<Equal<typeof source, NodeTask<{ count: number; label: string; decision: 'DEPLOY' | 'SKIP'; maybe?: string | undefined }>>>;
  type _Field = Expect<Equal<ReturnType<typeof source.field<'decision'>>, OutputRef<'DEPLOY' | 'SKIP'>>>;
  type _Param = Expect<Equal<typeof d.params.n, ParamRef<number>>>;

  d.task(consumeCount, { inputs: { count: source.field('count') } });
  d.task(consumeCount, { id: 'from_param', inputs: { count: d.params.n } });
  d.task(consumeCount, { id: 'from_const', inputs: { count: 3 } });
  // @ts-expect-error a string field cannot feed a number input
  d.task(consumeCount, { id: 'wrong_type', inputs: { count: source.field('label') } });
  // @ts-expect-error no such output field
  source.field('nope');
  // @ts-expect-error a required input must be bound
  d.task(consumeLabel, {});
  // @ts-expect-error unknown input name
  d.task(consumeLabel, { id: 'extra', inputs: { label: 'x', other: 1 } });

  const decide = d.branch('decide', { on: source.field('decision') });
  d.empty('deploy', { after: [decide.when('DEPLOY')] });
  // @ts-expect-error not a value the decision can take
  d.empty('typo', { after: [decide.when('DEPLOYY')] });
  const byParam = d.branch('by_param', { on: d.params.route });
  d.empty('a', { after: [byParam.when('a')] });
  // @ts-expect-error params are typed too
  d.empty('c', { after: [byParam.when('c')] });
  // @ts-expect-error trigger rules are a closed set
  d.empty('rule', { triggerRule: 'all_sucess' });
});

const triggerTarget = dag('trigger_target', { schedule: null, startDate: '2024-01-01', params: { uri: param(z.string().default('s3://b/k')), rows: param(z.number().int().default(1)) } }, (d) => {
  d.empty('start');
});
dag('trigger_types', { schedule: null, startDate: '2024-01-01', params: { n: param(z.number().int().default(1)) } }, (d) => {
  const source = d.task(produce, {});
  d.trigger(triggerTarget, { conf: { uri: source.field('label'), rows: d.params.n } });
  // @ts-expect-error a conf key must be a param of the target
  d.trigger(triggerTarget, { id: 'unknown_key', conf: { url: 'x' } });
  // @ts-expect-error a conf value must have the param's type
  d.trigger(triggerTarget, { id: 'wrong_type', conf: { rows: source.field('label') } });
  // @ts-expect-error a constant too
  d.trigger(triggerTarget, { id: 'wrong_constant', conf: { uri: 3 } });
});
