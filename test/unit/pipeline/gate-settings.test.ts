import { describe, expect, it } from 'vitest';
import { GATE_PARAM_KEYS, GateConfigError, gateConfigSchema, resolveGateConfig } from '../../../src/gates/config.ts';
import { PipelineConfigError, loadPipelineEnv } from '../../../src/pipeline/contract/environment.ts';
import { GATE_SETTINGS } from '../../../src/pipeline/contract/index.ts';
import { pipelineParams } from '../../../src/pipeline/health-predict.dag.ts';
import compareAgainstProduction from '../../../src/tasks/compare-against-production.ts';

/** A value just outside each setting's range, and one inside it that is not the default. */
const OUTSIDE = { improvement_threshold: 1.5, confidence_level: 1, min_sample_size: 0, max_days_since_update: 2.5 } as const;
const INSIDE = { improvement_threshold: 0.1, confidence_level: 0.9, min_sample_size: 50, max_days_since_update: 7 } as const;

describe('gate settings: one definition for the env schema, the gates and the DAG params', () => {
  it.each(GATE_PARAM_KEYS)('%s has the same default in the pipeline environment and the gate config', (key) => {
    const env = loadPipelineEnv({}) as Record<string, unknown>;
    expect(env[GATE_SETTINGS[key].env]).toBe(GATE_SETTINGS[key].default);
    expect(gateConfigSchema.parse({})[key]).toBe(GATE_SETTINGS[key].default);
  });

  it.each(GATE_PARAM_KEYS)('%s: the pipeline environment and the gate resolver accept and reject the same values', (key) => {
    const name = GATE_SETTINGS[key].env;
    expect((loadPipelineEnv({ [name]: String(INSIDE[key]) }) as Record<string, unknown>)[name]).toBe(INSIDE[key]);
    expect(resolveGateConfig({ [name]: String(INSIDE[key]) })[key]).toBe(INSIDE[key]);
    expect(() => loadPipelineEnv({ [name]: String(OUTSIDE[key]) })).toThrow(PipelineConfigError);
    expect(() => resolveGateConfig({ [name]: String(OUTSIDE[key]) })).toThrow(GateConfigError);
  });

  it("the improvement_threshold DAG param defaults to null (the environment's MODEL_IMPROVEMENT_THRESHOLD, else 0.02) and shares the task input's range", () => {
    const param = pipelineParams.improvement_threshold;
    expect(param.schema.parse(undefined)).toBeNull();
    expect(param.description).toBe(`${GATE_SETTINGS.improvement_threshold.description} Empty (null): the environment's MODEL_IMPROVEMENT_THRESHOLD, else 0.02.`);
    expect(param.schema.safeParse(OUTSIDE.improvement_threshold).success).toBe(false);
    expect(compareAgainstProduction.input.shape.improvement_threshold.safeParse(OUTSIDE.improvement_threshold).success).toBe(false);
    expect(compareAgainstProduction.input.shape.improvement_threshold.parse(undefined)).toBeUndefined();
    // What the task does with the param's default: the environment's value wins, else the default.
    const fromParam = compareAgainstProduction.input.shape.improvement_threshold.parse(param.schema.parse(undefined));
    expect(resolveGateConfig({ MODEL_IMPROVEMENT_THRESHOLD: '0.07' }, { improvement_threshold: fromParam })).toMatchObject({ improvement_threshold: 0.07, sources: { improvement_threshold: 'env' } });
    expect(resolveGateConfig({}, { improvement_threshold: fromParam })).toMatchObject({ improvement_threshold: 0.02, sources: { improvement_threshold: 'default' } });
    expect(resolveGateConfig({ MODEL_IMPROVEMENT_THRESHOLD: '0.07' }, { improvement_threshold: 0.01 }).improvement_threshold).toBe(0.01);
  });
});
